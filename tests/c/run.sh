#!/usr/bin/env bash
# Runs the C ABI test against a freshly started Graph emulator.
#
#   tests/c/run.sh [debug|release]              every check; last line "N passed, 0 failed"
#   tests/c/run.sh [debug|release] leak [N]     N (default 10000) get calls through the ABI
#   PUP_VALGRIND=1 tests/c/run.sh ...           run the program under valgrind
#                                               (--leak-check=full, definite leaks are errors)
#   PUP_SKIP_CARGO=1 tests/c/run.sh ...         reuse the already built library and emulator
#
# Builds the library (cdylib) and the emulator binary, starts `graph-emulator --port 0`, mints an
# access token with curl through the control API, runs tests/c/build/<profile>/abi_test, and
# stops the emulator on exit.
set -euo pipefail

PROFILE="${1:-debug}"
MODE="${2:-checks}"
LEAK_COUNT="${3:-10000}"
case "$PROFILE" in
  debug) CARGO_PROFILE=() ;;
  release) CARGO_PROFILE=(--release) ;;
  *) echo "usage: $0 [debug|release] [leak [N]]" >&2; exit 2 ;;
esac
case "$MODE" in
  checks|leak) ;;
  *) echo "usage: $0 [debug|release] [leak [N]]" >&2; exit 2 ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

if [[ "${PUP_SKIP_CARGO:-0}" != "1" ]]; then
  cargo build -p photo_update_policy --lib "${CARGO_PROFILE[@]}"
  cargo build -p graph_emulator --bin graph-emulator "${CARGO_PROFILE[@]}"
fi
make -s -C tests/c PROFILE="$PROFILE"

WORK="$(mktemp -d)"
EMU_PID=""
cleanup() {
  if [[ -n "$EMU_PID" ]] && kill -0 "$EMU_PID" 2>/dev/null; then
    kill "$EMU_PID" 2>/dev/null || true
    wait "$EMU_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"target/$PROFILE/graph-emulator" --port 0 >"$WORK/emulator.out" 2>"$WORK/emulator.err" &
EMU_PID=$!

URL=""
for _ in $(seq 1 100); do
  if [[ -s "$WORK/emulator.out" ]]; then
    URL="$(head -n1 "$WORK/emulator.out" | sed -n 's/^graph-emulator listening on \(http:\/\/[^ ]*\)$/\1/p')"
    [[ -n "$URL" ]] && break
  fi
  if ! kill -0 "$EMU_PID" 2>/dev/null; then
    echo "graph-emulator exited early:" >&2
    cat "$WORK/emulator.err" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$URL" ]]; then
  echo "graph-emulator did not print its URL within 10 s" >&2
  exit 1
fi

TENANT="7d3b9f1e-4c2a-4e8b-9a61-2f5c8d0e1b34"
TOKEN_JSON="$(curl -sS --fail -X POST "$URL/_emulator/tokens" \
  -H 'Content-Type: application/json' \
  -d "{\"tenantId\":\"$TENANT\",\"roles\":[\"PeopleSettings.ReadWrite.All\"]}")"
TOKEN="$(printf '%s' "$TOKEN_JSON" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')"
if [[ -z "$TOKEN" ]]; then
  echo "could not mint a token: $TOKEN_JSON" >&2
  exit 1
fi

RUNNER=()
if [[ "${PUP_VALGRIND:-0}" == "1" ]]; then
  RUNNER=(valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
          --show-leak-kinds=definite --track-origins=no)
fi

ARGS=()
if [[ "$MODE" == "leak" ]]; then
  ARGS=(--leak-loop "$LEAK_COUNT")
fi

set +e
PUP_EMULATOR_URL="$URL" PUP_TENANT="$TENANT" PUP_TOKEN="$TOKEN" \
  "${RUNNER[@]}" "tests/c/build/$PROFILE/abi_test" "${ARGS[@]}"
STATUS=$?
set -e
exit "$STATUS"

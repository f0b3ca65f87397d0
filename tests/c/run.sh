#!/usr/bin/env bash
# Runs the C ABI test against a freshly started Graph emulator.
#
#   tests/c/run.sh [debug|release]              every check; last line "N passed, 0 failed"
#   tests/c/run.sh [debug|release] leak [N]     N (default 10000) get calls through the ABI
#   PUP_VALGRIND=1 tests/c/run.sh ...           run the program under valgrind
#                                               (--leak-check=full, definite leaks are errors)
#   PUP_SANITIZE=1 tests/c/run.sh ...           build and run the test with AddressSanitizer
#                                               (leaks included) and UndefinedBehaviorSanitizer;
#                                               any finding fails the run
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
SANITIZE="${PUP_SANITIZE:-0}"
if [[ "$SANITIZE" == "1" && "${PUP_VALGRIND:-0}" == "1" ]]; then
  echo "PUP_SANITIZE and PUP_VALGRIND exclude each other (both watch every allocation)" >&2
  exit 2
fi
if [[ "$SANITIZE" == "1" ]] && ! echo 'int main(void){return 0;}' \
    | "${CC:-gcc}" -fsanitize=address,undefined -x c - -o /dev/null 2>/dev/null; then
  echo "${CC:-gcc} cannot link -fsanitize=address,undefined: install the sanitizer runtimes" \
       "(Debian/Ubuntu: apt-get install libasan8 libubsan1)" >&2
  exit 1
fi
make -s -C tests/c PROFILE="$PROFILE" SANITIZE="$SANITIZE"
BUILD_DIR="tests/c/build/$PROFILE"
if [[ "$SANITIZE" == "1" ]]; then
  BUILD_DIR="tests/c/build/$PROFILE-sanitize"
  # Fail on the first report; leaks of the C side (and of anything the library hands out and
  # the caller must free) are reported at exit.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fi

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
  "${RUNNER[@]}" "$BUILD_DIR/abi_test" "${ARGS[@]}"
STATUS=$?
set -e
exit "$STATUS"

#!/usr/bin/env bash
# Builds the libFuzzer targets on stable Rust (sancov flags, no cargo-fuzz) and runs each for N
# seconds. Usage: tests/fuzz/run.sh [SECONDS=60] [TARGET...]
#   PUP_FUZZ_BUILD_ONLY=1   build, do not run
#   PUP_FUZZ_JOBS=n         libFuzzer -jobs/-workers (default 1)
# Artifacts: target/fuzz (its own target dir, so the sancov RUSTFLAGS never invalidate the
# workspace's builds); corpora in target/fuzz/corpus/<target> seeded from tests/fuzz/corpus/<target>;
# crashes in target/fuzz/artifacts/<target>/. Prints one summary line per target:
#   <target>: <runs> runs in <s> s (<exec/s> exec/s), corpus <n>, crashes <n>
# Exit code 1 when any target crashed.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(client_config change_request roles_resolve policy_from_slice)
fi
triple="$(rustc -vV | sed -n 's/^host: //p')"
export CARGO_TARGET_DIR="$root/target/fuzz"

# The flags cargo-fuzz passes, on stable. --target keeps them off build scripts and proc macros
# (which are not linked with libFuzzer and would miss the __sanitizer_cov_* symbols).
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"

echo "==> building fuzz targets ($triple, release with debug assertions)"
cargo build --release --manifest-path "$here/Cargo.toml" --target "$triple" --bins

if [ "${PUP_FUZZ_BUILD_ONLY:-0}" = "1" ]; then
  exit 0
fi

bin_dir="$CARGO_TARGET_DIR/$triple/release"
crashed=0
for t in "${targets[@]}"; do
  corpus="$CARGO_TARGET_DIR/corpus/$t"
  artifacts="$CARGO_TARGET_DIR/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  if [ -d "$here/corpus/$t" ]; then
    cp -n "$here/corpus/$t"/* "$corpus"/ 2>/dev/null || true
  fi
  log="$CARGO_TARGET_DIR/$t.log"
  echo "==> fuzzing $t for ${seconds}s"
  set +e
  "$bin_dir/$t" "$corpus" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 -jobs="${PUP_FUZZ_JOBS:-1}" \
    -workers="${PUP_FUZZ_JOBS:-1}" >"$log" 2>&1
  rc=$?
  set -e
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  crashes="$(find "$artifacts" -type f | wc -l)"
  size="$(find "$corpus" -type f | wc -l)"
  echo "$t: ${runs:-?} runs in ${seconds} s (${speed:-?} exec/s), corpus $size, crashes $crashes (exit $rc, log $log)"
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    crashed=1
    grep -m 20 -E "panicked|ERROR|SUMMARY|Test unit written" "$log" || true
  fi
done
exit "$crashed"

#!/usr/bin/env bash
# Builds the graph-emulator binary and runs the .NET peer tests against it (offline: NuGet
# packages come from the configured mirror or the local cache).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [[ -z "${GRAPH_EMULATOR_BIN:-}" ]]; then
  cargo build -p graph_emulator --bin graph-emulator --manifest-path "$root/Cargo.toml"
  export GRAPH_EMULATOR_BIN="$root/target/debug/graph-emulator"
fi
dotnet test "$here/PeerTests.csproj" --nologo "$@"

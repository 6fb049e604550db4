#!/usr/bin/env bash
# Runs Weft's end-to-end loopback benchmarks (bench/Weft.LoadTest): raw TCP, Weft (in process and as
# separate weft-peer processes) and Go hashicorp/yamux, measured by one harness in one run.
#
#   scripts/bench.sh                 # full run (about 5 minutes on 2 cores); table on the terminal
#   scripts/bench.sh --quick         # smoke run, well under a minute
#   scripts/bench.sh --only rtt      # any other Weft.LoadTest option is passed through
#
# The JSON lines ({"test","impl","value","unit"} plus weft/raw-tcp and weft/go-yamux ratios) go to
# $WEFT_BENCH_OUT, default artifacts/bench/loadtest-<UTC time>.jsonl. BenchmarkDotNet micro-benchmarks:
#   dotnet run -c Release --project bench/Weft.Benchmarks -- --filter '*' [--quick]
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

GO_PEER="interop/go-yamux/build/go-yamux-peer"
WEFT_PEER="interop/weft-peer/bin/Release/net10.0/weft-peer"

echo "bench: building Release (Weft.LoadTest, weft-peer)" >&2
dotnet build bench/Weft.LoadTest -c Release -nologo -v quiet >&2
dotnet build interop/weft-peer -c Release -nologo -v quiet >&2

if [[ ! -x "$GO_PEER" ]]; then
    echo "bench: building the Go yamux peer" >&2
    if command -v go >/dev/null && [[ -d /usr/share/gocode/src/github.com/hashicorp/yamux ]]; then
        gocache="$(mktemp -d)"
        (cd interop/go-yamux && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$gocache" go build -o build/go-yamux-peer .) >&2
        rm -rf "$gocache"
    else
        echo "bench: Go or hashicorp/yamux is missing; run scripts/install-deps.sh (the go-yamux columns stay empty)" >&2
    fi
fi

OUT="${WEFT_BENCH_OUT:-artifacts/bench/loadtest-$(date -u +%Y%m%dT%H%M%SZ).jsonl}"
mkdir -p "$(dirname "$OUT")"
echo "bench: machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# The table and progress go to stderr (the terminal), the JSON lines to the file.
status=0
dotnet bench/Weft.LoadTest/bin/Release/net10.0/Weft.LoadTest.dll --json "$@" >"$OUT" || status=$?
echo "bench: JSON lines in $OUT" >&2
exit "$status"

#!/usr/bin/env bash
# Tunnel benchmark on loopback (bench/Weft.TunnelBench): raw TCP, `ssh -N -L` through a throwaway sshd,
# a three-hop socat chain and Weft's three-hop chain (client agent -> relay -> server agent -> target,
# real `weft` processes), all measured by one harness in one run; then the relay's memory per
# connection with N concurrent forwarded connections.
#
#   scripts/bench-tunnel.sh                          # 3 rounds x 5 s bulk + 2000 x 64 B round trips per route
#   scripts/bench-tunnel.sh --rounds 5 --seconds 3   # any Weft.TunnelBench option is passed through
#   scripts/bench-tunnel.sh --routes raw,weft-3hop --connections 0
#
# The table goes to stdout, progress to stderr; JSON lines to $WEFT_BENCH_OUT
# (default artifacts/bench/tunnel-<UTC time>.jsonl). Needs openssh-server, openssh-client and socat
# (scripts/install-deps.sh).
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "bench-tunnel: building Release (Weft.TunnelBench, weft)" >&2
dotnet build bench/Weft.TunnelBench -c Release -nologo -v quiet >&2

OUT="${WEFT_BENCH_OUT:-artifacts/bench/tunnel-$(date -u +%Y%m%dT%H%M%SZ).jsonl}"
mkdir -p "$(dirname "$OUT")"
echo "bench-tunnel: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
status=0
dotnet bench/Weft.TunnelBench/bin/Release/net10.0/Weft.TunnelBench.dll --json "$OUT" "$@" || status=$?
echo "bench-tunnel: JSON lines in $OUT" >&2
exit "$status"

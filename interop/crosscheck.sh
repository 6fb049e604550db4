#!/usr/bin/env bash
# Runs every yamux client implementation against every yamux server implementation on loopback
# and prints a table. Needs scripts/install-deps.sh to have run (Go peer built, npm peers installed).
#
#   interop/crosscheck.sh                 # all pairs
#   PEERS="go-yamux libp2p-yamux" interop/crosscheck.sh
#   SMALL=1 interop/crosscheck.sh         # 4 x 256 KiB and 1 x 4 MiB instead of 16 x 1 MiB / 1 x 64 MiB
#
# Raw JSON results go to a temporary directory whose path is printed at the end.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="${PEERS:-go-yamux yamux-js libp2p-yamux}"
TIMEOUT="${TIMEOUT:-120}"
OUT="$(mktemp -d -t weft-crosscheck.XXXXXX)"

if [[ "${SMALL:-0}" == "1" ]]; then
    MANY_N=4; MANY_B=262144; BIG_B=4194304; MANY_LABEL="4x256K"; BIG_LABEL="1x4M"
else
    MANY_N=16; MANY_B=1048576; BIG_B=67108864; MANY_LABEL="16x1M"; BIG_LABEL="1x64M"
fi
RTT_COUNT=1000
OC_COUNT=500
RESET_AFTER=65536

peer_cmd() {
    case "$1" in
        go-yamux) echo "$ROOT/interop/go-yamux/build/go-yamux-peer" ;;
        yamux-js) echo "node $ROOT/interop/js/yamux-js-peer.js" ;;
        libp2p-yamux) echo "node $ROOT/interop/js/libp2p-yamux-peer.mjs" ;;
        *) echo "unknown peer $1" >&2; exit 2 ;;
    esac
}

[[ -x "$ROOT/interop/go-yamux/build/go-yamux-peer" ]] || { echo "Go peer not built: run scripts/install-deps.sh" >&2; exit 2; }
[[ -d "$ROOT/interop/js/node_modules/yamux-js" ]] || { echo "npm peers not installed: run scripts/install-deps.sh" >&2; exit 2; }

SERVER_PIDS=()
cleanup() { for p in "${SERVER_PIDS[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

# start_server NAME TAG [ARGS...] -> sets PORT; stdout/stderr in $OUT/server-TAG.{out,err}
start_server() {
    local name="$1" tag="$2"; shift 2
    # shellcheck disable=SC2046
    $(peer_cmd "$name") server --listen 127.0.0.1:0 --ignore-stdin "$@" \
        >"$OUT/server-$tag.out" 2>"$OUT/server-$tag.err" &
    SERVER_PIDS+=($!)
    PORT=""
    for _ in $(seq 1 100); do
        if head -n1 "$OUT/server-$tag.out" 2>/dev/null | grep -q '^listening '; then
            PORT="$(head -n1 "$OUT/server-$tag.out" | sed 's/.*://')"
            return 0
        fi
        sleep 0.1
    done
    echo "server $name did not start; see $OUT/server-$tag.err" >&2
    return 1
}

# run_client NAME FILE ARGS... -> JSON line into FILE (or a synthetic failure line)
run_client() {
    local name="$1" file="$2"; shift 2
    # shellcheck disable=SC2046
    timeout $((TIMEOUT + 10)) $(peer_cmd "$name") "$@" --timeout "$TIMEOUT" >"$file" 2>"$file.err" </dev/null
    if ! grep -q '^{' "$file"; then
        echo '{"ok":false,"error":"no JSON result (crashed or killed); see stderr"}' >"$file"
    fi
}

# field FILE EXPR: evaluate a JS expression over the JSON result `r`
field() {
    node -e '
        const fs = require("fs");
        const line = fs.readFileSync(process.argv[1], "utf8").split("\n").find(l => l.startsWith("{"));
        const r = JSON.parse(line);
        const f = (x, d = 0) => (typeof x === "number" ? x.toFixed(d) : "?");
        process.stdout.write(String(eval(process.argv[2])));
    ' "$1" "$2"
}

cell_tput() { field "$1" 'r.ok ? f(r.mbps) + " Mb/s" : "FAIL"'; }
cell_rtt() { field "$1" 'r.ok ? f(r.p50_us) + "/" + f(r.p99_us) : "FAIL"'; }
cell_oc() { field "$1" 'r.ok ? f(r.per_second) : "FAIL"'; }
cell_ping() { field "$1" 'r.ok ? f(r.ping_us) : "-"'; }
# A reset is "seen" when the client fails with a reset-type error (and not a timeout).
cell_rst() { field "$1" '!r.ok && /reset|Reset|RST/.test(r.error || "") ? "yes" : (r.ok ? "NO (echo completed)" : "NO: " + String(r.error).slice(0, 40))'; }

printf '%-13s %-13s %-15s %-15s %-16s %-12s %-9s %s\n' \
    server client "$MANY_LABEL" "$BIG_LABEL" "rtt64 p50/p99us" "openclose/s" "ping_us" "rst@${RESET_AFTER}"
FAILURES=0
for s in $PEERS; do
    start_server "$s" "$s" || { FAILURES=$((FAILURES + 1)); continue; }
    SPORT="$PORT"
    start_server "$s" "$s-rst" --reset-after "$RESET_AFTER" || { FAILURES=$((FAILURES + 1)); continue; }
    RPORT="$PORT"
    for c in $PEERS; do
        base="$OUT/$s--$c"
        run_client "$c" "$base.many.json" client --connect "127.0.0.1:$SPORT" --streams "$MANY_N" --bytes "$MANY_B"
        run_client "$c" "$base.big.json" client --connect "127.0.0.1:$SPORT" --streams 1 --bytes "$BIG_B"
        run_client "$c" "$base.rtt.json" rtt --connect "127.0.0.1:$SPORT" --count "$RTT_COUNT" --size 64
        run_client "$c" "$base.oc.json" openclose --connect "127.0.0.1:$SPORT" --count "$OC_COUNT"
        run_client "$c" "$base.rst.json" client --connect "127.0.0.1:$RPORT" --streams 1 --bytes 1048576
        for f in many big rtt oc; do
            [[ "$(field "$base.$f.json" 'r.ok')" == "true" ]] || FAILURES=$((FAILURES + 1))
        done
        printf '%-13s %-13s %-15s %-15s %-16s %-12s %-9s %s\n' "$s" "$c" \
            "$(cell_tput "$base.many.json")" "$(cell_tput "$base.big.json")" "$(cell_rtt "$base.rtt.json")" \
            "$(cell_oc "$base.oc.json")" "$(cell_ping "$base.many.json")" "$(cell_rst "$base.rst.json")"
    done
    cleanup
    SERVER_PIDS=()
done

echo
echo "raw results: $OUT"
if ((FAILURES > 0)); then
    echo "$FAILURES echo/rtt/openclose runs failed; error texts:"
    grep -h '"ok":false' "$OUT"/*.many.json "$OUT"/*.big.json "$OUT"/*.rtt.json "$OUT"/*.oc.json 2>/dev/null | cut -c1-300
    exit 1
fi

#!/usr/bin/env bash
# Runs Weft's tests, after installing everything they need (apt packages, npm peers, Go peers).
#
#   scripts/test.sh             # every test but the long stress/soak runs (what CI runs)
#   scripts/test.sh --stress    # only the stress/soak tests ([Trait("Category", "Stress")])
#   scripts/test.sh --all       # both
#
# Needs root (or sudo) for apt on Debian 12; WEFT_SKIP_APT=1 skips apt. Ends with one line
# "N passed, N failed" (a build failure or a crashed test host counts as a failure).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

filter="Category!=Stress"
case "${1:-}" in
    --stress) filter="Category=Stress" ;;
    --all) filter="" ;;
    "") ;;
    *) echo "usage: scripts/test.sh [--stress|--all]" >&2; exit 2 ;;
esac

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! bash scripts/install-deps.sh; then
    echo "test: installing the test dependencies failed (see above)"
    echo "0 passed, 1 failed"
    exit 1
fi

log="$(mktemp -t weft-test.XXXXXX.log)"
echo "test: building (warnings are errors)"
if ! dotnet build Weft.slnx -c Debug -nologo -v quiet >"$log" 2>&1; then
    grep -E "error|Error" "$log" | sort -u | head -40
    echo "test: the build failed"
    echo "0 passed, 1 failed"
    exit 1
fi
# The interop tests run the Release build of Weft's own peer program.
dotnet build interop/weft-peer -c Release -nologo -v quiet >>"$log" 2>&1 || true

echo "test: running dotnet test ${filter:+(filter: $filter)}"
args=(test Weft.slnx --no-build -nologo)
[[ -n "$filter" ]] && args+=(--filter "$filter")
dotnet "${args[@]}" 2>&1 | tee -a "$log"
rc=${PIPESTATUS[0]}

# Sum the per-assembly summaries: "Passed!  - Failed: 0, Passed: 46, Skipped: 0, Total: 46, ..."
read -r passed failed < <(grep -E '^(Passed|Failed)! +- ' "$log" | awk -F'[:,]' '
    { for (i = 1; i <= NF; i++) { if ($i ~ /Failed$/) f += $(i+1); if ($i ~ /Passed$/) p += $(i+1) } }
    END { printf "%d %d\n", p, f }')
if [[ $rc -ne 0 && $failed -eq 0 ]]; then
    # A test host crash or abort: the runner failed without naming a failed test.
    echo "test: dotnet test exited with $rc without a failed test; counting it as a failure"
    failed=1
fi
if [[ $failed -ne 0 ]]; then
    # Name what failed just above the summary, so the tail of a CI log says it.
    echo "test: failed:"
    grep -E '^\s+Failed [A-Za-z_][A-Za-z0-9_.]+|Test Run Aborted|test host process crashed' "$log" | sed 's/^ */  /' | sort -u | head -40
    grep -A3 -E '^\s+Error Message:' "$log" | head -60
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

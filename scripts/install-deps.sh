#!/usr/bin/env bash
# Installs everything Weft's interop tests and benchmarks need besides the .NET SDK and node/npm,
# then builds the real-peer programs.
#
#   sudo scripts/install-deps.sh            # Debian 12, run as root (or with sudo); no TTY/stdin needed
#
# Idempotent: apt is skipped when every package is already installed; npm and the Go build are cheap
# when nothing changed. Set WEFT_SKIP_APT=1 to skip the apt step entirely (e.g. non-Debian dev box).
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOG="$(mktemp -t weft-install-deps.XXXXXX.log)"
STEP="starting"

on_error() {
    local rc=$?
    echo "install-deps: FAILED during: $STEP (exit $rc)" >&2
    echo "install-deps: last lines of $LOG:" >&2
    tail -n 40 "$LOG" >&2 || true
    exit "$rc"
}
trap on_error ERR

# Runs a command with its output in the log; the log is shown only on failure.
run() { "$@" </dev/null >>"$LOG" 2>&1; }
step() { STEP="$1"; echo "install-deps: $1"; }

APT_PACKAGES=(
    libsodium23
    golang-go
    golang-github-hashicorp-yamux-dev
    golang-github-xtaci-smux-dev
    golang-golang-x-crypto-dev
    golang-github-flynn-noise-dev
    microsocks
    socat
    iperf3
    openssh-server
    openssh-client
    curl
)

# ---------------------------------------------------------------- apt
missing=()
for p in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ "${WEFT_SKIP_APT:-0}" == "1" ]]; then
    echo "install-deps: WEFT_SKIP_APT=1, not touching apt (missing: ${missing[*]:-none})"
elif ((${#missing[@]} == 0)); then
    echo "install-deps: apt packages already installed"
else
    SUDO=()
    if [[ $EUID -ne 0 ]]; then
        command -v sudo >/dev/null || { echo "install-deps: must run as root (missing: ${missing[*]})" >&2; exit 1; }
        SUDO=(sudo -n)
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Another apt/dpkg may hold the lock (e.g. unattended upgrades); wait for it rather than fail.
    APT_OPTS=(-o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
    step "apt-get update"
    run "${SUDO[@]}" apt-get "${APT_OPTS[@]}" update -q
    step "apt-get install ${missing[*]}"
    run "${SUDO[@]}" apt-get "${APT_OPTS[@]}" install -y -q --no-install-recommends "${missing[@]}"
fi

# ---------------------------------------------------------------- npm peers
command -v node >/dev/null || { echo "install-deps: node is not installed (need node >= 20)" >&2; exit 1; }
command -v npm >/dev/null || { echo "install-deps: npm is not installed" >&2; exit 1; }
cd "$ROOT/interop/js"
# npm records what it installed in node_modules/.package-lock.json; skip when that is newer than the
# manifest and the lock (re-running `npm ci` would delete node_modules under running tests).
if [[ -f package-lock.json && -f node_modules/.package-lock.json
      && node_modules/.package-lock.json -nt package-lock.json
      && node_modules/.package-lock.json -nt package.json ]]; then
    echo "install-deps: npm packages already installed"
elif [[ -f package-lock.json ]]; then
    step "npm ci in interop/js"
    run npm ci --no-audit --no-fund
else
    step "npm install in interop/js"
    run npm install --no-audit --no-fund
fi

# ---------------------------------------------------------------- Go peer (offline, GOPATH mode)
command -v go >/dev/null || { echo "install-deps: go is not installed (apt package golang-go)" >&2; exit 1; }
step "build interop/go-yamux/build/go-yamux-peer"
cd "$ROOT/interop/go-yamux"
mkdir -p build
# The build cache lives in build/ (git-ignored) so re-runs are quick. Directory build (not
# `go build main.go`): the package has an empty .s file that permits its //go:linkname declarations.
run env GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off GOCACHE="$PWD/build/.gocache" \
    go build -o build/go-yamux-peer .

step "build interop/go-noise/build/go-noise-peer"
cd "$ROOT/interop/go-noise"
mkdir -p build
run env GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off GOCACHE="$PWD/build/.gocache" \
    go build -o build/go-noise-peer .

rm -f "$LOG"
echo "install-deps: done"

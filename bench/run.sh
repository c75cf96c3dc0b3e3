#!/usr/bin/env bash
# bench/run.sh BUILD_DIR - what `make bench` runs once the programs,
# build/bench/loadgen and build/bench/yardstick are built: every server
# design of tcp-server, the yardstick, and socat and ncat as echo peers,
# each measured with loadgen over loopback; the exchange over TCP
# loopback, AF_LOCAL and UDP side by side; tcp-watch beside the exchange
# (what it lost, what it cost); then tcp-client, nc and socat piping a
# million lines through the yardstick.  The tables go to stdout
# and into docs/performance.md, the plot to docs/bench-clients.svg
# (bench/README.md says what is measured and how).
#
# This file is the driver: the settings, the clock, the passes in order
# and the end.  The jobs are in bench/lib/: servers.sh starts and stops
# the programs measured, measure.sh runs loadgen and reads what a server
# spent, cases.sh is the matrix and runs its cases, watch.sh runs
# tcp-watch beside the exchange, table.sh writes the tables,
# docs/performance.md and the plot.
#
# Bounded: every run ends by the deadline (BENCH_SECONDS, default 295 s
# from the start: make bench, the build included, stays within 5 1/2
# minutes); runs that no longer fit read "skipped: time".
# Every process it starts is stopped on exit, by the id it was given:
# servers run in a session of their own, so the process group with the
# server's PID holds all they fork.
#
# SPDX-License-Identifier: MIT
# shellcheck source-path=SCRIPTDIR
set -u -o pipefail
export LC_ALL=C

B=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$HERE")
LOADGEN=$B/bench/loadgen
YARDSTICK=$B/bench/yardstick
SERVER=$B/tcp-server
CLIENT=$B/tcp-client
DOC=$TOP/docs/performance.md
SVG=$TOP/docs/bench-clients.svg
HOST=127.0.0.1
BUDGET=${BENCH_SECONDS:-295}

for f in "$LOADGEN" "$YARDSTICK" "$SERVER" "$CLIENT"; do
    [ -x "$f" ] || { echo "bench: $f is missing: run 'make bench'" >&2; exit 1; }
done

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
T0=$(now_ms)
DEADLINE=$((T0 + BUDGET * 1000))
left_s() { echo $(((DEADLINE - $(now_ms)) / 1000)); }
say() { printf '[%3ds] %s\n' $((($(now_ms) - T0) / 1000)) "$*" >&2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX") || exit 1
GROUPS_STARTED=()   # process groups (= the PIDs of what we started)
LG_PID=""

# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    local pg
    [ -n "$LG_PID" ] && kill -KILL "$LG_PID" 2>/dev/null && wait "$LG_PID" 2>/dev/null
    for pg in "${GROUPS_STARTED[@]}"; do
        stop_group "$pg"
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# The libraries define functions and settings (what tcp-server can do,
# the CPUs, the matrix) and start nothing; they share this file's
# variables (sourced at the top level, so their declare -A are global).
# shellcheck source=lib/servers.sh
source "$HERE/lib/servers.sh"
# shellcheck source=lib/measure.sh
source "$HERE/lib/measure.sh"
# shellcheck source=lib/cases.sh
source "$HERE/lib/cases.sh"
# shellcheck source=lib/watch.sh
source "$HERE/lib/watch.sh"
# shellcheck source=lib/table.sh
source "$HERE/lib/table.sh"

# ---- run it ---------------------------------------------------------------

ensure_peers
seq -f '%063.0f' 1 $PIPE_LINES >"$TMP/lines"
LOAD0=$(cut -d ' ' -f 1 /proc/loadavg)
# Two benches on one machine measure each other.
others=$(pgrep -x loadgen | tr '\n' ' ')
[ -n "$others" ] && say "warning: loadgen already running (pid $others): the figures will be disturbed"
say "bench: ${#SERVERS[@]} servers, deadline ${BUDGET} s; loadgen: $LOADGEN"

# tcp-watch first: a fixed ~20 s that the passes below must not squeeze out.
watch_cases
for s in "${SERVERS[@]}" "${TRANSPORTS[@]}"; do
    serve_cases "$s" 1
done
lookup_case
pipe_round 1
# Second pass: the short cases again, up to three runs each, while time allows.
for s in "${SERVERS[@]}" "${TRANSPORTS[@]}"; do
    [ -z "${UNAVAILABLE[$s]:-}" ] && wants_more "$s" && serve_cases "$s" 2
done
pipe_round 2
pipe_round 3

# ---- the tables -------------------------------------------------------------

TABLE=$(tables)
echo
echo "$TABLE"
if [ -n "$ONLY" ]; then
    say "done in $((($(now_ms) - T0) / 1000)) s (BENCH_ONLY: docs/ left as they are)"
    exit $FAILED
fi

write_doc "$TABLE"
plot
say "done in $((($(now_ms) - T0) / 1000)) s: $DOC, $SVG"
exit $FAILED

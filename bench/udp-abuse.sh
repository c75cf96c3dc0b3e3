#!/usr/bin/env bash
# bench/udp-abuse.sh SERVER [TOOL] - what a hostile sender makes of
# `SERVER -u` (a tcp-server binary: run it against the one before a
# change and the one after), measured with build/bench/udp_abuse over
# loopback: the loop one forged datagram starts (between two servers and
# from a server to itself, in a user and network namespace of its own,
# where forging needs no privilege on the machine), the bytes an empty
# datagram draws, a table filled from one address, and a lookup beside
# 60,000 peers.  Every server it starts is stopped by its PID.  About
# 30 s.  docs/robustness.md ("UDP") holds the numbers.
#
# SPDX-License-Identifier: MIT
set -u -o pipefail
export LC_ALL=C

SERVER=$(realpath "${1:?usage: udp-abuse.sh SERVER [TOOL]}")
TOOL=$(realpath "${2:-build/bench/udp_abuse}")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/udp-abuse.XXXXXX") || exit 1
PIDS=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
# A server without the rate option (before it existed) runs as it is.
RATE=()
"$SERVER" --help | grep -q -- --udp-rate && RATE=(--udp-rate 0)

# start NAME ARGS...: a server on a kernel-chosen port; PORT is its port.
start() {
    local name=$1 i
    shift
    "$SERVER" -u -b 127.0.0.1 "$@" 0 2>"$TMP/$name.err" >/dev/null &
    PIDS+=($!)
    for ((i = 0; i < 100; i++)); do
        PORT=$(sed -n 's/^listening on udp:127.0.0.1:\([0-9]*\)$/\1/p' "$TMP/$name.err")
        [ -n "$PORT" ] && return 0
        sleep 0.05
    done
    echo "udp-abuse: $name did not start" >&2
    exit 1
}

echo "== $SERVER"
echo "-- one datagram forged from server A to server B, then from A to itself (defaults)"
# shellcheck disable=SC2016  # expanded by the namespace's own shell
unshare -rn bash -c '
    set -u
    ip link set lo up
    S=$1 TOOL=$2 TMP=$3
    port() { local i p; for ((i = 0; i < 100; i++)); do
        p=$(sed -n "s/^listening on udp:127.0.0.1:\([0-9]*\)$/\1/p" "$1")
        [ -n "$p" ] && { echo "$p"; return; }; sleep 0.05; done; }
    "$S" -u -q -q -b 127.0.0.1 0 2>"$TMP/a.err" & A=$!
    "$S" -u -q -q -b 127.0.0.1 0 2>"$TMP/b.err" & B=$!
    PA=$(port "$TMP/a.err") PB=$(port "$TMP/b.err")
    echo "A to B:"; "$TOOL" loop "$PA" "$PB" 4
    kill "$A" "$B"; wait "$A" "$B"
    "$S" -u -q -q -b 127.0.0.1 0 2>"$TMP/c.err" & C=$!
    PC=$(port "$TMP/c.err")
    echo "A to A:"; "$TOOL" loop "$PC" "$PC" 4
    kill "$C"; wait "$C"
    grep -h "" "$TMP/a.err" "$TMP/b.err" "$TMP/c.err" | grep -v "^listening" | sed "s/^/  server: /"
' sh "$SERVER" "$TOOL" "$TMP"

echo "-- one empty datagram, --idle-timeout 1, replies within 2 s"
start amp --idle-timeout 1
"$TOOL" amp "$PORT" 2000

echo "-- 1024 peers from 127.0.0.1 (the default --max-clients), then 127.0.0.2, then 100 more from it"
start fill -q
"$TOOL" fill "$PORT" 1024 100

if [ ${#RATE[@]} -gt 0 ]; then   # --max-per-ip came with -u's limits
    echo "-- --max-per-ip 1: a second port of 127.0.0.1 sends 100 datagrams"
    start busy -q --max-per-ip 1
    "$TOOL" busy "$PORT" 100
fi

echo "-- lockstep, 20,000 rounds, beside 1 peer and beside 60,000 ${RATE[*]}"
start lookup -q -q --max-clients 100000 "${RATE[@]}"
"$TOOL" lookup "$PORT" 60000 20000

#!/usr/bin/env bash
# bench/iterative-hold.sh [BUILD_DIR] [SECS] - how long one slow client
# holds a design.  A first client sends one byte a second for SECS
# seconds (default 10), then quits; a second client connects right after
# the first and we time its welcome.  Run for --model iterative and the
# default design, with --idle-timeout 2, which frees only a *silent*
# client: the trickle is activity.  A measurement for docs/robustness.md,
# run by hand (it is not part of `make bench`).  Loopback only; every
# process started is stopped by its PID.
#
# SPDX-License-Identifier: MIT
set -u
export LC_ALL=C
B=${1:-build}
SECS=${2:-10}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/iterhold.XXXXXX") || exit 1
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

one() {     # one MODEL: print the second client's wait for its welcome
    local model=$1 port srv t0 t i
    "$B/tcp-server" -qq -b 127.0.0.1 --model "$model" --idle-timeout 2 0 \
        >"$TMP/srv" 2>&1 &
    srv=$!; PIDS+=("$srv")
    for ((i = 0; i < 50; i++)); do
        port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$TMP/srv")
        [ -n "$port" ] && break
        sleep 0.1
    done
    { for ((i = 0; i < SECS; i++)); do printf x; sleep 1; done
      printf '\nquit\n'; } | "$B/tcp-client" 127.0.0.1 "$port" >/dev/null 2>&1 &
    PIDS+=("$!")
    sleep 0.3
    : >"$TMP/second"
    t0=$(now_ms)
    # Its input stays open (a FIFO we hold) until the server stops.
    rm -f "$TMP/in"; mkfifo "$TMP/in"; exec 3<>"$TMP/in"
    "$B/tcp-client" 127.0.0.1 "$port" <"$TMP/in" >"$TMP/second" 2>/dev/null &
    PIDS+=("$!")
    for ((i = 0; i < (SECS + 5) * 20; i++)); do
        grep -q welcome "$TMP/second" && break
        sleep 0.05
    done
    t=$(($(now_ms) - t0))
    if grep -q welcome "$TMP/second"; then
        printf '%-10s a client sending 1 byte/s for %2d s: the next one welcomed after %d.%02d s\n' \
            "$model" "$SECS" $((t / 1000)) $((t % 1000 / 10))
    else
        printf '%-10s the next one not welcomed within %d s\n' "$model" $((SECS + 5))
    fi
    kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
    exec 3>&-
    wait
}

one iterative
one epoll

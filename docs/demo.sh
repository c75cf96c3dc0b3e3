#!/bin/sh
# demo.sh - the article's exchange in one terminal (make demo): a
# tcp-server on a free port and a tcp-client that "types" a few lines,
# each side's output labelled.  Ends by itself in a few seconds.
# Usage: docs/demo.sh [BUILD_DIR]
# SPDX-License-Identifier: MIT
set -u
B=${1:-build}
tmp=$(mktemp -d) || exit 1
spid=""
tpid=""
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null
    [ -n "$tpid" ] && kill "$tpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# Prefix each line of input with a label, line by line as it comes.
label() {
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s %s\n' "$1" "$line"
    done
}

echo "== Terminal 1 would run: tcp-server --once 0   (0: the kernel picks a free port)"
: >"$tmp/server.log"
"$B/tcp-server" --once 0 >>"$tmp/server.log" 2>&1 &
spid=$!
tail -n +1 -f "$tmp/server.log" 2>/dev/null | label "   server |" &
tpid=$!

# Wait (at most 5 s) for "listening on [::]:PORT" to learn the port.
i=0
port=""
while [ $i -lt 50 ] && [ -z "$port" ]; do
    port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$tmp/server.log")
    [ -z "$port" ] && sleep 0.1
    i=$((i + 1))
done
if [ -z "$port" ]; then
    echo "demo: the server did not start" >&2
    exit 1
fi
sleep 0.3

echo "== Terminal 2 would run: tcp-client 127.0.0.1 $port"
# The "user" types three lines, slowly, the last one quit.
(
    for line in "hello, server" "你好, socket" "quit"; do
        sleep 0.8
        printf '   client > %s\n' "$line" >&2
        printf '%s\n' "$line"
    done
) | "$B/tcp-client" 127.0.0.1 "$port" 2>&1 | label "   client <"
status=$?

wait "$spid"
spid=""
sleep 0.2
echo "== Both ended: the client after quit, the server (--once) after its one client."
echo "   Lines marked '>' were typed, '<' came back from the server."
echo "   The same exchange over a local path or over UDP: tcp-server -U /tmp/x.sock"
echo "   with tcp-client -U /tmp/x.sock, or tcp-server -u with tcp-client -u."
exit $status

#!/bin/sh
# valgrind-exchange.sh - the article's exchange with both programs under
# valgrind memcheck (make check), both traced first: a full session, an
# EOF with a partial line, a too long line, then SIGTERM with a client
# connected.  Fails on
# any memcheck error or leak, or on a wrong byte.
# Usage: tests/valgrind-exchange.sh BUILD_DIR
# SPDX-License-Identifier: MIT
set -u
B=${1:-build}
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --show-leak-kinds=definite,indirect,possible"
tmp=$(mktemp -d) || exit 1
spid=""
cleanup() {
    [ -n "$spid" ] && kill -9 "$spid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "valgrind-exchange: FAILED: $*"; cat "$tmp/server.err"; exit 1; }

# Traced (-t), so that trace mode is under memcheck too.
$VG "$B/tcp-server" -t --max-line 32 -b 127.0.0.1 0 >"$tmp/server.out" 2>"$tmp/server.err" &
spid=$!
i=0
port=""
while [ $i -lt 100 ] && [ -z "$port" ]; do
    port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$tmp/server.err")
    [ -z "$port" ] && sleep 0.1
    i=$((i + 1))
done
[ -n "$port" ] || fail "server did not start"

client() {   # client INPUT EXPECTED [OPTION]
    printf "$1" | $VG "$B/tcp-client" ${3:-} 127.0.0.1 "$port" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc = 0 ] || fail "client exit $rc: $(cat "$tmp/err")"
    printf "$2" | cmp -s - "$tmp/out" || fail "client got '$(cat "$tmp/out")'"
}
client 'hello\n你好\nquit\n' 'welcome!\nhello\n你好\n' -t
grep -q '^close(3) = 0$' "$tmp/err" || fail "the traced client did not trace its close"
client 'one\ntwo' 'welcome!\none\ntwo'
client 'this line is much longer than 32 bytes\n' 'welcome!\nerror: line too long (max 32 bytes)\n'

# A client still connected when the server is told to stop: its input
# held open (a fifo) until then, the stop sent once the server has said
# "connected" for it, the fourth (valgrind may take seconds to start a
# program).
mkfifo "$tmp/in" || fail "mkfifo"
$VG "$B/tcp-client" 127.0.0.1 "$port" <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
cpid=$!
exec 3>"$tmp/in"
i=0
while [ $i -lt 600 ] &&
      [ "$(grep -c '^connected ' "$tmp/server.err")" -lt 4 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill -TERM "$spid"
wait "$spid"
rc=$?
spid=""
[ $rc = 0 ] || fail "server exit $rc (99: memcheck errors)"
wait "$cpid"
rc=$?
exec 3>&-
[ $rc = 0 ] || fail "client exit $rc at shutdown: $(cat "$tmp/err")"
printf 'welcome!\nerror: server shutting down\n' | cmp -s - "$tmp/out" ||
    fail "shutdown notice missing: '$(cat "$tmp/out")'"
echo "valgrind-exchange: both programs clean under memcheck"

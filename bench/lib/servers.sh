# bench/lib/servers.sh - sourced by bench/run.sh: the programs measured,
# started and stopped.  Each server runs in a session of its own on a
# loopback port the kernel picks (or one found free), and is stopped
# through its process group, so nothing it forks outlives the bench;
# socat and ncat serve as plain echo peers; the transports' servers are
# pinned to a CPU.  Also what this tcp-server can do (--model, -U, -u).
#
# SPDX-License-Identifier: MIT
# shellcheck shell=bash

# Stop one process group: TERM to all of it, a second for its leader to
# exit (a zombie until reaped), KILL to whatever of the group is left;
# then reap the leader.
stop_group() {
    local pg=$1 i st
    kill -TERM -- "-$pg" 2>/dev/null || kill -TERM "$pg" 2>/dev/null
    for ((i = 0; i < 20; i++)); do
        st=$(awk '{ print $3 }' "/proc/$pg/stat" 2>/dev/null)
        [ -z "$st" ] || [ "$st" = Z ] && break
        sleep 0.05
    done
    kill -KILL -- "-$pg" 2>/dev/null
    wait "$pg" 2>/dev/null
    return 0
}

# ---- the peers ------------------------------------------------------------

# socat and ncat serve the exchange as plain echo peers with a welcome:
# "echo welcome!; exec cat" for each connection (printf "welcome!\n" would
# lose its quotes and its \n to socat's address syntax).
# As root, install the missing ones (bounded in time); otherwise skip them.
ensure_peers() {
    local need=()
    command -v socat >/dev/null 2>&1 || need+=(socat)
    command -v ncat >/dev/null 2>&1 || need+=(ncat)
    [ ${#need[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        say "not root: ${need[*]} missing, skipped (apt-get install ${need[*]})"
        return 0
    fi
    say "installing ${need[*]} with apt-get (missing)"
    DEBIAN_FRONTEND=noninteractive timeout 60 apt-get install -y -q "${need[@]}" \
        >"$TMP/apt.log" 2>&1 ||
        { timeout 60 apt-get update -q >>"$TMP/apt.log" 2>&1 &&
          DEBIAN_FRONTEND=noninteractive timeout 60 apt-get install -y -q "${need[@]}" \
              >>"$TMP/apt.log" 2>&1; } ||
        { say "apt-get failed; going on without ${need[*]}:"; tail -n 3 "$TMP/apt.log" >&2; }
    return 0
}

# Start a server in a session of its own; SPID is its PID (and group).
launch() {
    local log=$1
    shift
    : >"$log"
    setsid "$@" >/dev/null 2>"$log" </dev/null &
    SPID=$!
    GROUPS_STARTED+=("$SPID")
}

stop_server() {
    local pg=$1 i kept=()
    stop_group "$pg"
    for i in "${GROUPS_STARTED[@]}"; do
        [ "$i" != "$pg" ] && kept+=("$i")
    done
    GROUPS_STARTED=("${kept[@]}")
}

# Wait for "listening on ADDR:PORT" (SPORT), or for the line LINE when
# given, or the server's exit (SWHY).
await_listening() {
    local log=$1 line=${2:-} i p
    for ((i = 0; i < 40; i++)); do
        if [ -n "$line" ]; then
            grep -qxF -- "$line" "$log" && return 0
        else
            p=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$log" | head -n 1)
            if [ -n "$p" ]; then SPORT=$p; return 0; fi
        fi
        if ! kill -0 "$SPID" 2>/dev/null; then
            wait "$SPID"
            SWHY="exit $?: $(head -n 1 "$log")"
            stop_server "$SPID"
            return 1
        fi
        sleep 0.05
    done
    SWHY="no 'listening on' line in 2 s"
    stop_server "$SPID"
    return 1
}

# Wait until something listens on 127.0.0.1:PORT (for peers that do not
# say so): /proc/net/tcp, state 0A.
await_port() {
    local hex i
    hex=$(printf '0100007F:%04X' "$1")
    for ((i = 0; i < 40; i++)); do
        grep -q " $hex 00000000:0000 0A " /proc/net/tcp && return 0
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.05
    done
    SWHY="nothing listening on port $1"
    stop_server "$SPID"
    return 1
}

# A free loopback port (SPORT), from the kernel: tcp-server on port 0,
# stopped.
free_port() {
    launch "$TMP/port.log" "$SERVER" -q -q -b "$HOST" 0
    await_listening "$TMP/port.log" || return 1
    stop_server "$SPID"
}

HAS_MODEL=0 HAS_LOCAL=0 HAS_UDP=0
SERVER_HELP=$("$SERVER" --help 2>&1)
grep -q -- '--model' <<<"$SERVER_HELP" && HAS_MODEL=1
grep -q -- '-U PATH' <<<"$SERVER_HELP" && HAS_LOCAL=1
grep -qE -- '(^|[ [|])-u( |\]|$)' <<<"$SERVER_HELP" && HAS_UDP=1
# -u's limit of replies a second to one peer (default 1000) is off for
# the bench: one client's exchange runs far faster.  A tcp-server from
# before the option runs with no limit anyway.
UDP_RATE=()
grep -q -- '--udp-rate' <<<"$SERVER_HELP" && UDP_RATE=(--udp-rate 0)
SPATH=$TMP/echo.sock   # the AF_LOCAL server's socket, in our mktemp -d
# The transports' servers run on CPU_A; loadgen beside them on CPU_A
# (one CPU) or on CPU_B (two CPUs): the first two CPUs we may use.
CPU_A="" CPU_B=""
if command -v taskset >/dev/null 2>&1; then
    read -r CPU_A CPU_B _ < <(taskset -cp $$ 2>/dev/null | sed 's/.*: *//' | tr ',' '\n' |
        awk -F- '{ for (c = $1; c <= ($2 == "" ? $1 : $2); c++) printf "%d ", c } END { print "" }')
fi
pin_server() { [ -n "$CPU_A" ] && echo "taskset -c $CPU_A"; }

# Start server NAME: SPID, SPORT and SKIND (quit or eof: how its sessions
# end), or return 1 with SWHY.
start_server() {
    local name=$1 log=$TMP/$1.log
    SWHY=""
    SKIND=quit
    case $name in
    yardstick)
        launch "$log" "$YARDSTICK" -b "$HOST" 0
        await_listening "$log" ;;
    iterative | fork | thread | poll | epoll)
        launch "$log" "$SERVER" --model "$name" -q -q -b "$HOST" --max-clients 10100 0
        await_listening "$log" && return 0
        # Today's server has no --model and is the poll design.
        [ "$name" = poll ] && [ $HAS_MODEL = 0 ] || return 1
        launch "$log" "$SERVER" -q -q -b "$HOST" --max-clients 10100 0
        await_listening "$log" ;;
    socat)
        command -v socat >/dev/null 2>&1 || { SWHY="not installed"; return 1; }
        free_port || { SWHY="no free port"; return 1; }
        SKIND=eof
        launch "$log" socat "TCP-LISTEN:$SPORT,bind=$HOST,fork,reuseaddr,backlog=4096" \
            SYSTEM:'echo welcome!; exec cat'
        await_port "$SPORT" ;;
    ncat)
        command -v ncat >/dev/null 2>&1 || { SWHY="not installed"; return 1; }
        free_port || { SWHY="no free port"; return 1; }
        SKIND=eof
        launch "$log" ncat -l "$HOST" "$SPORT" -k -m 2000 \
            --sh-exec 'echo welcome!; exec cat'
        await_port "$SPORT" ;;
    # The exchange over three transports, with the default design
    # (UDP has a design of its own: one socket, no connections).
    tcp)
        # shellcheck disable=SC2046
        launch "$log" $(pin_server) "$SERVER" --model epoll -q -q -b "$HOST" 0
        await_listening "$log" ;;
    unix)
        [ $HAS_LOCAL = 1 ] || { SWHY="this tcp-server has no -U"; return 1; }
        # shellcheck disable=SC2046
        launch "$log" $(pin_server) "$SERVER" --model epoll -q -q -U "$SPATH"
        await_listening "$log" "listening on unix:$SPATH" ;;
    udp)
        [ $HAS_UDP = 1 ] || { SWHY="this tcp-server has no -u"; return 1; }
        # shellcheck disable=SC2046
        launch "$log" $(pin_server) "$SERVER" -u -q -q "${UDP_RATE[@]}" -b "$HOST" 0
        await_listening "$log" ;;
    *) SWHY="unknown"; return 1 ;;
    esac
}

# loadgen's arguments that say where server NAME is.
target_args() {
    case $1 in
    unix) echo "-U $SPATH" ;;
    udp) echo "-u -H $HOST -p $SPORT" ;;
    *) echo "-H $HOST -p $SPORT" ;;
    esac
}

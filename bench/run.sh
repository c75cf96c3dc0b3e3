#!/usr/bin/env bash
# bench/run.sh BUILD_DIR - what `make bench` runs once the programs,
# build/bench/loadgen and build/bench/yardstick are built: every server
# design of tcp-server, the yardstick, and socat and ncat as echo peers,
# each measured with loadgen over loopback; the exchange over TCP
# loopback, AF_LOCAL and UDP side by side; then tcp-client, nc and socat
# piping a million lines through the yardstick.  The tables go to stdout
# and into docs/performance.md, the plot to docs/bench-clients.svg
# (bench/README.md says what is measured and how).
#
# Bounded: every run ends by the deadline (BENCH_SECONDS, default 265 s
# from the start: make bench, the build included, stays within 5
# minutes); runs that no longer fit read "skipped: time".
# Every process it starts is stopped on exit, by the id it was given:
# servers run in a session of their own, so the process group with the
# server's PID holds all they fork.
#
# SPDX-License-Identifier: MIT
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
BUDGET=${BENCH_SECONDS:-265}

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
SPATH=$TMP/echo.sock   # the AF_LOCAL server's socket, in our mktemp -d
# The transports' servers run on CPU_A; loadgen beside them on CPU_A
# (one CPU) or on CPU_B (two CPUs): the first two CPUs we may use.
CPU_A="" CPU_B=""
if command -v taskset >/dev/null 2>&1; then
    read -r CPU_A CPU_B _ < <(taskset -cp $$ 2>/dev/null | sed 's/.*: *//' | tr ',' '\n' |
        awk -F- '{ for (c = $1; c <= ($2 == "" ? $1 : $2); c++) printf "%d ", c } END { print "" }')
fi
pin_server() { [ -n "$CPU_A" ] && echo "taskset -c $CPU_A"; }
LG_WRAP=()

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
        launch "$log" $(pin_server) "$SERVER" -u -q -q -b "$HOST" 0
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

# Datagrams the kernel dropped at the UDP socket on HOST:PORT because its
# receive buffer was full: the last field of its /proc/net/udp line.
udp_drops() {
    awk -v a="$(printf '0100007F:%04X' "$1")" '$2 == a { print $NF; f = 1 } END { if (!f) print 0 }' \
        /proc/net/udp
}
# The system's count of UDP datagrams dropped for a full receive buffer.
rcvbuf_errors() {
    awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 } else print $c }' \
        /proc/net/snmp
}

# ---- what a server costs: its CPU and memory, its children included ------

# The processes of PID's tree: PID and all below it, from /proc/*/stat.
tree_pids() {
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
        { pp[$1] = $0; sub(/^.*\) [^ ]+ /, "", pp[$1]); sub(/ .*/, "", pp[$1]) }
        END { for (p in pp) { q = p; d = 0
                  while (q != root && (q in pp) && d++ < 64) q = pp[q]
                  if (q == root) print p } }'
}

# Clock ticks used by PID and every process under it, the children they
# reaped included (utime, stime, cutime, cstime: /proc/PID/stat 14-17).
tree_cpu() {
    local pids
    pids=$(tree_pids "$1")
    # shellcheck disable=SC2046,SC2086
    (cd /proc && cat $(printf '%s/stat ' $pids) 2>/dev/null) | awk '
        { sub(/^.*\) /, ""); t += $12 + $13 + $14 + $15 } END { print t + 0 }'
}

# Memory of PID's tree in KiB: VmRSS of a lone process; for several
# processes the sum of their Pss (each shared page divided among its
# sharers: summed VmRSS would count the shared libraries once a process).
tree_mem() {
    local pids
    pids=$(tree_pids "$1")
    if [ "$(echo "$pids" | wc -l)" -le 1 ]; then
        awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
    else
        # shellcheck disable=SC2046,SC2086
        (cd /proc && cat $(printf '%s/smaps_rollup ' $pids) 2>/dev/null) |
            awk '/^Pss:/ { s += $2 } END { print s + 0 }'
    fi
}

# Before a case: the previous one's connections gone (forked servers
# end a process per client; those still ending would blur the count).
quiesce() {
    local i
    for ((i = 0; i < 30; i++)); do
        [ "$(tree_pids "$1" | wc -l)" -le 1 ] && return 0
        sleep 0.1
    done
}
HZ=$(getconf CLK_TCK)

# ---- one loadgen run ------------------------------------------------------

# run_loadgen SERVER_PID LIMIT_S ARGS...: loadgen --sync, and what the
# server spent: its memory at loadgen's "start" (before connecting) and
# "held" points; its CPU from "start" to when loadgen is gone and the
# server is back to one process (every connection served and closed,
# forked children reaped: their time, in ticks, is exact only once
# summed by the parent's wait), or in idle mode from "held" to "end" (the
# active client alone).  Sets LG (its result line), LG_RC, CPU_T (clock
# ticks), RSS0 and RSS1 (KiB).
run_loadgen() {
    local spid=$1 limit=$2 line out in c0=0 c1=-1 held=""
    shift 2
    LG="" LG_RC=0 CPU_T=0 RSS0=0 RSS1=0
    coproc LGP { exec ${LG_WRAP[@]+"${LG_WRAP[@]}"} "$LOADGEN" --sync -T "$limit" "$@" 2>>"$TMP/loadgen.err"; }
    # shellcheck disable=SC2153  # LGP_PID: set by coproc
    LG_PID=$LGP_PID
    # Our own copies: bash closes the coproc's when it ends.
    exec {out}<&"${LGP[0]}" {in}>&"${LGP[1]}"
    while IFS= read -r -t $((limit + 5)) line <&"$out"; do
        case $line in
        "sync start") c0=$(tree_cpu "$spid"); RSS0=$(tree_mem "$spid") ;;
        "sync held") held=1; RSS1=$(tree_mem "$spid"); c0=$(tree_cpu "$spid") ;;
        "sync end") [ -n "$held" ] && c1=$(tree_cpu "$spid") ;;
        ok* | fail*) LG=$line; continue ;;
        *) continue ;;
        esac
        echo go 1>&"$in" 2>/dev/null
    done
    exec {out}<&- {in}>&-
    kill -KILL "$LG_PID" 2>/dev/null
    wait "$LG_PID" 2>/dev/null
    LG_RC=$?
    LG_PID=""
    if [ "$c1" = -1 ]; then
        quiesce "$spid"
        c1=$(tree_cpu "$spid")
    fi
    CPU_T=$((c1 > c0 ? c1 - c0 : 0))
    [ -n "$LG" ] || { LG="fail errors=1 first=\"loadgen gave no result (status $LG_RC)\""; LG_RC=1; }
}

field() { # field NAME LINE: a key=value of loadgen's line
    local v=${2#* "$1"=}
    [ "$v" = "$2" ] && return 1
    echo "${v%% *}"
}
first_error() { # the quoted first="..." of a failed line
    local v=${1#*first=\"}
    echo "${v%\"}"
}

# ---- the matrix -----------------------------------------------------------

SERVERS=(yardstick iterative fork thread poll epoll socat ncat)
CASES=(l1 l100 l1000 p1 churn idle)
# The second table: the exchange over TCP loopback, AF_LOCAL and UDP,
# the default design, one client: lockstep (the time of a round trip)
# with loadgen on the server's CPU (tl1) and on another (tl2), pipelined
# (lines per second); and UDP with TCP's window (tw: overrun).
TRANSPORTS=(tcp unix udp)
cases_of() {
    case $1 in
    tcp | unix) echo "tl1 tl2 tp" ;;
    udp) echo "tl1 tl2 tp tw" ;;
    *) echo "${CASES[*]}" ;;
    esac
}
declare -A TITLE=(
    [l1]="lockstep, 1 client × 20,000 lines"
    [l100]="lockstep, 100 clients × 2,000"
    [l1000]="lockstep, 1,000 clients × 200"
    [p1]="pipelined, 1 client × 1,000,000"
    [churn]="connections (churn, 5 s)"
    [idle]="10,000 idle clients: memory"
    [active]="1 active client, 10,000 idle"
    [tl1]="lockstep, 1 client × 20,000 lines, one CPU"
    [tl2]="lockstep, 1 client × 20,000 lines, two CPUs"
    [tp]="pipelined, 1 client"
    [tw]="pipelined, 1 client, 4,096 datagrams in flight"
)
# Each case: loadgen's arguments (-d 10: no new lines after 10 s), the
# lines a whole run echoes, its runs at most and its time limit (s).
declare -A ARGS=(
    [l1]="-m lockstep -c 1 -n 20000 -l 64 -d 10"
    [l100]="-m lockstep -c 100 -n 2000 -l 64 -d 10"
    [l1000]="-m lockstep -c 1000 -n 200 -l 64 -C 500 -d 10"
    [p1]="-m pipelined -c 1 -n 1000000 -l 64 -d 10"
    [churn]="-m churn -c 16 -d 5"
    [idle]="-m idle -a lockstep -n 20000 -l 64 -d 3"
    [tl1]="-m lockstep -c 1 -n 20000 -l 64 -d 10"
    [tl2]="-m lockstep -c 1 -n 20000 -l 64 -d 10"
    [tp]="-m pipelined -c 1 -n 1000000 -l 64 -d 10"
    [tw]="-m pipelined -c 1 -n 200000 -l 64 -w 262144 -d 10"
)
# BENCH_ONLY="NAME ...": only these servers (and "pipe": the pipe rows),
# e.g. BENCH_ONLY="tcp unix udp" for the transports; the tables are
# printed, docs/ is left alone.
ONLY=${BENCH_ONLY:-}
only() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }
if [ -n "$ONLY" ]; then
    kept=()
    for s in "${SERVERS[@]}"; do only "$s" && kept+=("$s"); done
    SERVERS=("${kept[@]}")
    kept=()
    for s in "${TRANSPORTS[@]}"; do only "$s" && kept+=("$s"); done
    TRANSPORTS=("${kept[@]}")
fi
declare -A RUNS_MAX=([l1]=3 [l100]=3 [l1000]=3 [p1]=3 [churn]=1 [idle]=1 [tl1]=3 [tl2]=3 [tp]=3 [tw]=3)
declare -A LIMIT=([l1]=25 [l100]=25 [l1000]=30 [p1]=25 [churn]=15 [idle]=40 [tl1]=25 [tl2]=25 [tp]=25 [tw]=25)

# LAT: µs per round trip (lockstep); LOST, SENT, SDROP: UDP lines lost,
# lines sent, and datagrams dropped at the server's socket, summed over
# the runs.
declare -A RATE CPU NOTE RSS PERCL N DUR LAT LOST SENT SDROP
FAILED=0

# Which cases a design cannot run, and how many idle clients it holds.
not_for() { # not_for SERVER CASE -> a reason, or nothing
    case $1:$2 in
    iterative:l100 | iterative:l1000 | iterative:idle) echo "n/a (one at a time)" ;;
    *:tl1) [ -n "$CPU_A" ] || echo "n/a (no taskset)" ;;
    *:tl2) [ -n "$CPU_B" ] || echo "n/a (needs taskset and 2 CPUs)" ;;
    esac
}
# What a peer needs to be measured at all: ncat listens with a backlog of
# 10 (a burst beyond it waits for SYN-ACK retransmissions, seconds), and
# its --sh-exec relay (socket -> pipe -> cat -> pipe -> socket, blocking
# writes) deadlocks once more than its pipes hold is in flight; so it
# gets 8 connects at a time and a 32 KiB window.
peer_args() {
    case $1:$2 in
    ncat:p1) echo "-C 8 -w 32768" ;;
    ncat:*) echo "-C 8" ;;
    # UDP: a datagram per line, so 200,000 lines take as long as TCP's
    # million; and 128 in flight (8 KiB), which the sockets' receive
    # buffers hold: "tw" shows what TCP's 256 KiB window does instead.
    udp:tp) echo "-n 200000 -w 8192" ;;
    esac
}
idle_clients() {
    case $1 in
    fork | thread | socat | ncat) echo 1000 ;;
    *) echo 10000 ;;
    esac
}

# One run of CASE against the running server; records its figures.
# Returns 1, running nothing, when too little time is left (in the first
# pass 10 s, in the next ones twice the first run's time: the run itself
# is cut at the deadline in any case) or, after a first run, when that
# one took over 5 s: long cases run once.
run_case() {
    local s=$1 c=$2 pass=$3 limit left need extra=() k=$1:$2 rate cpu ops t0 d0=0 e0=0 lost
    [ "$c" = idle ] && k=$s:active
    left=$(left_s)
    need=10
    if [ "$pass" != 1 ]; then
        [ "${DUR[$k]:-0}" -le 5000 ] || return 1
        need=$((2 * ${DUR[$k]:-0} / 1000 + 3))
    fi
    [ "$left" -ge "$need" ] || return 1
    limit=${LIMIT[$c]}
    [ "$left" -lt "$limit" ] && limit=$left
    [ "$SKIND" = eof ] && extra+=(--no-quit)
    [ "$c" = idle ] && extra+=(-c "$(idle_clients "$s")")
    quiesce "$SPID"
    # The transports: loadgen on the server's CPU, or on the other one.
    LG_WRAP=()
    case $c in
    tl1) LG_WRAP=(taskset -c "$CPU_A") ;;
    tl2 | tp | tw) [ -n "$CPU_B" ] && LG_WRAP=(taskset -c "$CPU_B") ;;
    esac
    [ "$s" = udp ] && d0=$(udp_drops "$SPORT") && e0=$(rcvbuf_errors)
    t0=$(now_ms)
    # shellcheck disable=SC2046,SC2086
    run_loadgen "$SPID" "$limit" $(target_args "$s") ${ARGS[$c]} "${extra[@]}" \
        $(peer_args "$s" "$c")
    DUR[$k]=$(($(now_ms) - t0))
    if [ "$LG_RC" != 0 ]; then
        if [ "$LG_RC" = 3 ]; then
            NOTE[$k]="stopped: time limit"
        else
            NOTE[$k]="FAILED: $(first_error "$LG")"
            FAILED=1
        fi
        say "$s: ${TITLE[$c]}: $LG"
        return 0
    fi
    ops=$(field ops "$LG")
    rate=$(field rate "$LG")
    cpu=$(awk -v t="$CPU_T" -v hz="$HZ" -v n="$ops" 'BEGIN { printf "%.3f", (n > 0 ? t / hz / n * 1e6 : 0) }')
    RATE[$k]+="$rate "
    CPU[$k]+="$cpu "
    N[$k]=$((${N[$k]:-0} + 1))
    if [ "$c" = idle ]; then
        RSS[$s]=$RSS1
        PERCL[$s]=$(awk -v a="$RSS0" -v b="$RSS1" -v n="$(field clients "$LG")" \
            'BEGIN { printf "%.3f", (b - a) / n }')
        say "$s: ${TITLE[$c]}: $(field clients "$LG") held, $((RSS1 / 1024)) MiB; one more client: $rate lines/s, $cpu µs CPU/line"
    elif [ "$c" = churn ]; then
        say "$s: ${TITLE[$c]}: $rate/s, $cpu µs CPU/op (run ${N[$k]}; loadgen used $(field cpu "$LG") s CPU in $(field secs "$LG") s)"
    else
        # Fewer lines than asked, lost ones aside: -d stopped the run.
        lost=$(field lost "$LG" || echo 0)
        [ $((ops + lost)) -lt $(($(field lines "$LG") * $(field clients "$LG"))) ] &&
            NOTE[$k]="stopped at 10 s"
        LAT[$k]+="$(awk -v s="$(field secs "$LG")" -v n="$ops" 'BEGIN { if (n > 0) printf "%.3f", s / n * 1e6 }') "
        if [ "$s" = udp ]; then
            d0=$(($(udp_drops "$SPORT") - d0))
            LOST[$k]=$((${LOST[$k]:-0} + lost))
            SENT[$k]=$((${SENT[$k]:-0} + $(field lines "$LG") * $(field clients "$LG")))
            SDROP[$k]=$((${SDROP[$k]:-0} + d0))
            lost=", $lost lost ($d0 dropped at the server's socket; RcvbufErrors +$(($(rcvbuf_errors) - e0)), all sockets)"
        else
            lost=""
        fi
        say "$s: ${TITLE[$c]}: $rate/s, $cpu µs CPU/op$lost (run ${N[$k]}; loadgen used $(field cpu "$LG") s CPU in $(field secs "$LG") s)"
    fi
    return 0
}

# ---- the pipe: tcp-client, nc and socat through the yardstick -----------

PIPE_LINES=1000000
declare -A PTIME PCPU PN
PIPERS=(tcp-client "nc -N" "socat -")
pipe_cmd() {
    case $1 in
    tcp-client) echo "$CLIENT $HOST $2" ;;
    "nc -N") { nc -h 2>&1 || true; } | grep -q OpenBSD && echo "nc -N $HOST $2" ;;
    "socat -") command -v socat >/dev/null 2>&1 && echo "socat -t 30 - TCP:$HOST:$2" ;;
    esac
}

run_pipe() { # run_pipe NAME PORT
    local name=$1 cmd t0 t1 size tm left
    cmd=$(pipe_cmd "$1" "$2") || return 1
    [ -n "$cmd" ] || return 1
    left=$(left_s)
    [ "$left" -ge 10 ] || return 2
    [ "$left" -gt 25 ] && left=25
    t0=$(now_ms)
    # shellcheck disable=SC2086
    tm=$( { TIMEFORMAT='%U %S'; time timeout -k 1 "$left" $cmd <"$TMP/lines" >"$TMP/pipe.out" 2>>"$TMP/pipe.err"; } 2>&1 )
    t1=$(now_ms)
    size=$(stat -c %s "$TMP/pipe.out")
    if [ "$size" != $((PIPE_LINES * 64 + 9)) ] ||
       [ "$(head -c 9 "$TMP/pipe.out")" != "welcome!" ] ||
       ! tail -c +10 "$TMP/pipe.out" | cmp -s - "$TMP/lines"; then
        NOTE[pipe:$name]="FAILED: $size bytes back, $((PIPE_LINES * 64 + 9)) expected"
        FAILED=1
        say "$name: pipe: FAILED ($size bytes back)"
        return 0
    fi
    PTIME[$name]+="$((t1 - t0)) "
    PCPU[$name]+="$(awk -v u="${tm% *}" -v s="${tm#* }" -v n=$PIPE_LINES 'BEGIN { printf "%.4f", (u + s) / n * 1e6 }') "
    PN[$name]=$((${PN[$name]:-0} + 1))
    say "$name: ${PIPE_LINES} lines through the yardstick in $((t1 - t0)) ms (${tm% *} s user, ${tm#* } s sys)"
    return 0
}

# ---- run it ---------------------------------------------------------------

ensure_peers
seq -f '%063.0f' 1 $PIPE_LINES >"$TMP/lines"
LOAD0=$(cut -d ' ' -f 1 /proc/loadavg)
# Two benches on one machine measure each other.
others=$(pgrep -x loadgen | tr '\n' ' ')
[ -n "$others" ] && say "warning: loadgen already running (pid $others): the figures will be disturbed"
say "bench: ${#SERVERS[@]} servers, deadline ${BUDGET} s; loadgen: $LOADGEN"

declare -A UNAVAILABLE
# Whether SERVER has a case that ran once, briefly, and may run again.
wants_more() {
    local c k
    for c in $(cases_of "$1"); do
        k=$1:$c
        [ "$c" = idle ] && k=$1:active
        [ "${N[$k]:-0}" -ge 1 ] && [ "${N[$k]}" -lt "${RUNS_MAX[$c]}" ] &&
            [ "${DUR[$k]}" -le 5000 ] && [ -z "${NOTE[$k]:-}" ] && return 0
    done
    return 1
}
serve_cases() { # serve_cases SERVER PASS
    local s=$1 pass=$2 c k
    if ! start_server "$s"; then
        UNAVAILABLE[$s]="n/a: ${SWHY}"
        say "$s: n/a ($SWHY)"
        return
    fi
    for c in $(cases_of "$s"); do
        k=$s:$c
        [ "$c" = idle ] && k=$s:active
        [ -n "$(not_for "$s" "$c")" ] && continue
        if [ "$pass" = 1 ]; then
            run_case "$s" "$c" 1 || say "$s: ${TITLE[$c]}: skipped: time"
        elif [ "${N[$k]:-0}" -ge 1 ]; then
            while [ "${N[$k]}" -lt "${RUNS_MAX[$c]}" ] && [ -z "${NOTE[$k]:-}" ] &&
                  run_case "$s" "$c" "$pass"; do :; done
        fi
    done
    stop_server "$SPID"
}

for s in "${SERVERS[@]}" "${TRANSPORTS[@]}"; do
    serve_cases "$s" 1
done
pipe_round() {
    local p
    only pipe || return
    start_server yardstick || { say "yardstick: $SWHY"; return; }
    for p in "${PIPERS[@]}"; do
        [ "${PN[$p]:-0}" -lt "$1" ] || continue
        run_pipe "$p" "$SPORT"
        [ $? = 1 ] && UNAVAILABLE[pipe:$p]="n/a: not installed"
    done
    stop_server "$SPID"
}
pipe_round 1
# Second pass: the short cases again, up to three runs each, while time allows.
for s in "${SERVERS[@]}" "${TRANSPORTS[@]}"; do
    [ -z "${UNAVAILABLE[$s]:-}" ] && wants_more "$s" && serve_cases "$s" 2
done
pipe_round 2
pipe_round 3

# ---- the table --------------------------------------------------------------

median() { tr ' ' '\n' | awk 'NF { v[n++] = $1 } END {
    if (n == 0) exit
    for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    print (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2 }'; }
# Numbers for people: 3 significant digits, k and M.
human() { awk -v x="$1" 'BEGIN { u = ""; if (x >= 1e6) { x /= 1e6; u = "M" } else if (x >= 1e4) { x /= 1e3; u = "k" }
    printf (x >= 100 ? "%.0f%s" : x >= 10 ? "%.1f%s" : "%.2f%s"), x, u }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "–"; else printf "%.2f×", a / b }'; }

label() {
    case $1 in
    socat | ncat) echo "$1 (fork + cat)" ;;
    poll) [ $HAS_MODEL = 0 ] && echo "poll (today's server)" || echo poll ;;
    *) echo "$1" ;;
    esac
}

row() { # row CASE SERVER RUNS RESULT [RATIO CPU CPU-RATIO]
    echo "| $1 | $2 | $3 | $4 | ${5:-} | ${6:-} | ${7:-} |"
}
median_of() { echo "${1:-}" | median; }

table() {
    local c s k r cp cell unit n ref p t
    row case server runs result "rate ÷ yardstick" "server CPU per op" "CPU ÷ yardstick"
    echo "| --- | --- | --: | --: | --: | --: | --: |"
    for c in l1 l100 l1000 p1 churn idle active; do
        unit="lines/s"
        [ "$c" = churn ] && unit="conn/s"
        for s in "${SERVERS[@]}"; do
            k=$s:$c
            [ -n "${UNAVAILABLE[$s]:-}" ] && continue
            cell=$(not_for "$s" "${c/active/idle}")
            if [ -n "$cell" ]; then
                row "${TITLE[$c]}" "$(label "$s")" 0 "$cell"
            elif [ "$c" = idle ]; then
                n=$(idle_clients "$s")
                if [ -n "${RSS[$s]:-}" ]; then
                    cell="$(awk -v k="${RSS[$s]}" 'BEGIN { printf "%.1f", k / 1024 }') MiB, $(human "${PERCL[$s]}") KiB per client"
                    [ "$n" != 10000 ] && cell="$cell (1,000 clients: capped)"
                    row "${TITLE[$c]}" "$(label "$s")" 1 "$cell" \
                        "$(ratio "${PERCL[$s]}" "${PERCL[yardstick]:-}") per client"
                else
                    row "${TITLE[$c]}" "$(label "$s")" 0 "${NOTE[$s:active]:-skipped: time}"
                fi
            elif [ "${N[$k]:-0}" = 0 ]; then
                row "${TITLE[$c]}" "$(label "$s")" 0 "${NOTE[$k]:-skipped: time}"
            else
                r=$(median_of "${RATE[$k]}")
                cp=$(median_of "${CPU[$k]}")
                cell="$(human "$r") $unit"
                [ -n "${NOTE[$k]:-}" ] && cell="$cell (${NOTE[$k]})"
                [ "$c" = active ] && [ "$(idle_clients "$s")" != 10000 ] && cell="$cell (1,000 idle)"
                row "${TITLE[$c]}" "$(label "$s")" "${N[$k]}" "$cell" \
                    "$(ratio "$r" "$(median_of "${RATE[yardstick:$c]:-}")")" "$(human "$cp") µs" \
                    "$(ratio "$cp" "$(median_of "${CPU[yardstick:$c]:-}")")"
            fi
        done
    done
    for s in "${SERVERS[@]}"; do
        [ -n "${UNAVAILABLE[$s]:-}" ] && row "every case" "$(label "$s")" 0 "${UNAVAILABLE[$s]}"
    done
    ref=$(median_of "${PTIME[nc -N]:-}")
    for p in "${PIPERS[@]}"; do
        k="pipe:$p"
        c="pipe 1,000,000 lines through the yardstick"
        if [ "${PN[$p]:-0}" = 0 ]; then
            row "$c" "\`$p\`" 0 "${UNAVAILABLE[$k]:-${NOTE[$k]:-skipped: time}}"
            continue
        fi
        t=$(median_of "${PTIME[$p]}")
        cell="$(human "$(awk -v t="$t" -v n=$PIPE_LINES 'BEGIN { print n / t * 1000 }')") lines/s in $(awk -v t="$t" 'BEGIN { printf "%.2f", t / 1000 }') s"
        [ -n "${NOTE[$k]:-}" ] && cell="$cell (${NOTE[$k]})"
        row "$c" "\`$p\`" "${PN[$p]}" "$cell" "$(ratio "$ref" "$t") \`nc -N\`" \
            "$(human "$(median_of "${PCPU[$p]}")") µs (client's)"
    done
}

machine() {
    local model
    model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs (${model:-unknown CPU}), Linux $(uname -r); load average before the run $LOAD0."
}

notes() {
    cat <<'EOF'

- Each figure is the median of the runs counted: up to 3, one for
  churn, the idle case and any case whose first run took over 5 s.
  Lines are 64 bytes, newline included.
- Server CPU per op: user + system time of the server, its threads and
  its processes (the children it reaped included; /proc/PID/stat), from
  before the first connect to when the last connection is closed and
  reaped, divided by the lines echoed (churn: by the connections); for
  the active client among idle ones, while it works.
- Ratios are to the yardstick of the same run: a rate ratio over 1 is
  faster than the yardstick, a CPU ratio over 1 costs more.
- tcp-server runs as `-q -q -b 127.0.0.1 --max-clients 10100 0`
  (the client limit, 1024 by default, raised for the idle case).
- fork, thread, socat and ncat hold 1,000 idle clients, not 10,000
  (a process or a thread each).  Memory: the server's VmRSS with the
  clients held, or for several processes the sum of their Pss (shared
  pages divided among their sharers); per client, its growth from
  before they connected, divided by their number.  The active client
  sends up to 20,000 lines for at most 3 s.
- socat and ncat run `echo welcome!; exec cat` for each connection and
  know no quit: loadgen ends their sessions by half-closing.  ncat
  listens with a backlog of 10 and its relay (socket, pipe, cat, pipe,
  socket, with blocking writes) deadlocks once more than its pipes hold
  is in flight: it gets 8 connects at a time, not 200 or 500, and a
  32 KiB window when pipelined, not 256 KiB.
- The pipe rows: `tcp-client`, `nc -N` and `socat -` send a million
  lines to the yardstick and print the echo, checked byte for byte;
  their CPU is the client's own.
EOF
}

# The second table: the exchange over each transport, side by side.
tlabel() {
    case $1 in
    tcp) echo "TCP loopback (epoll)" ;;
    unix) echo "AF_LOCAL stream (epoll)" ;;
    udp) echo "UDP" ;;
    esac
}
commas() { awk -v n="$1" 'BEGIN { s = ""; while (n >= 1000) { s = sprintf(",%03d", n % 1000) s; n = int(n / 1000) } print n s }'; }
lost_text() { # lost_text KEY: what loadgen counted lost over the runs
    local k=$1
    [ -n "${SENT[$k]:-}" ] || return 0
    printf 'lost %s of %s' "$(commas "${LOST[$k]}")" "$(commas "${SENT[$k]}")"
    [ "${LOST[$k]}" != 0 ] && printf ', %s dropped at the server' "$(commas "${SDROP[$k]}")"
    return 0
}
# One row per measure, one column per transport, each figure with its
# ratio to TCP's (two significant digits when small).
tratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "–"
    else printf (a / b < 0.1 ? "%.2g×" : "%.2f×"), a / b }'; }
tcell() { # tcell KIND KEY: a cell of the transport table
    local kind=$1 k=$2 v ref cell lost
    if [ "${N[$k]:-0}" = 0 ]; then
        cell=${NOTE[$k]:-$(not_for "${k%%:*}" "${k#*:}")}
        echo "${cell:-skipped: time}"
        return
    fi
    case $kind in
    lat) v=$(median_of "${LAT[$k]}"); ref=$(median_of "${LAT[tcp:${k#*:}]:-}"); cell="$(human "$v") µs" ;;
    cpu) v=$(median_of "${CPU[$k]}"); ref=$(median_of "${CPU[tcp:${k#*:}]:-}"); cell="$(human "$v") µs" ;;
    rate) v=$(median_of "${RATE[$k]}"); ref=$(median_of "${RATE[tcp:tp]:-}"); cell="$(human "$v") lines/s" ;;
    esac
    if [ "$k" = udp:tw ]; then
        cell="$cell ($(tratio "$v" "$(median_of "${RATE[udp:tp]:-}")") UDP's with 128)"
    elif [ "${k%%:*}" != tcp ]; then
        cell="$cell ($(tratio "$v" "$ref"))"
    fi
    [ -n "${NOTE[$k]:-}" ] && cell="$cell (${NOTE[$k]})"
    lost=$(lost_text "$k")
    [ "$kind" != cpu ] && [ -n "$lost" ] && { [ "${LOST[$k]}" != 0 ] || [ "$kind" = rate ]; } &&
        cell="$cell, $lost"
    echo "$cell"
}
transport_table() {
    local s line kind c title
    line="| one client of the exchange |"
    for s in "${TRANSPORTS[@]}"; do line="$line $(tlabel "$s") |"; done
    echo "$line"
    line="| --- |"
    for s in "${TRANSPORTS[@]}"; do line="$line --: |"; done
    echo "$line"
    while IFS='|' read -r kind c title; do
        line="| $title |"
        for s in "${TRANSPORTS[@]}"; do
            if [ -n "${UNAVAILABLE[$s]:-}" ]; then
                line="$line ${UNAVAILABLE[$s]} |"
            elif [ "$c" = tw ] && [ "$s" != udp ]; then
                line="$line – |"
            else
                line="$line $(tcell "$kind" "$s:$c") |"
            fi
        done
        echo "$line"
    done <<'ROWS'
lat|tl1|lockstep, one CPU: time per round trip
lat|tl2|lockstep, two CPUs: time per round trip
cpu|tl2|lockstep, two CPUs: server CPU per round trip
rate|tp|pipelined: lines per second
cpu|tp|pipelined: server CPU per line
rate|tw|pipelined with 4,096 datagrams in flight (TCP's 256 KiB)
ROWS
    line="| runs (each row above) |"
    for s in "${TRANSPORTS[@]}"; do
        line="$line ${N[$s:tl1]:-0}, ${N[$s:tl2]:-0}, ${N[$s:tl2]:-0}, ${N[$s:tp]:-0}, ${N[$s:tp]:-0}"
        [ "$s" = udp ] && line="$line, ${N[$s:tw]:-0}"
        line="$line |"
    done
    echo "$line"
}

transport_notes() {
    cat <<'EOF'

- The same exchange over three transports, one client, in the same
  run. TCP and AF_LOCAL: tcp-server's default design, `--model epoll
  -q -q` with `-b 127.0.0.1 0` or `-U` and a socket file in a
  `mktemp -d` directory. UDP: `tcp-server -u -q -q -b 127.0.0.1 0`,
  which has one design of its own (one socket, a poll loop, a
  `recvfrom` and a `sendto` per datagram).
- Lockstep: 20,000 lines of 64 bytes, each sent when the echo of the
  one before is back; time per round trip is the run's time divided by
  its lines. Under 1× TCP is quicker.
- Pipelined: TCP and AF_LOCAL 1,000,000 lines with up to 256 KiB
  unanswered; UDP 200,000 lines, a datagram each, up to 128 in flight
  (8 KiB), which loadgen sends and reads 64 at a time (`sendmmsg`,
  `recvmmsg`).
- UDP is never sent again: a line whose echo does not come (a later
  line's echo came first, or none in 0.5 s) is lost, is not in the rate
  and is counted over the runs. "Dropped at the server": the server
  socket's receive-buffer overflows (the drops of /proc/net/udp); the
  other losses are echoes dropped at loadgen's own socket. The last
  row sends with TCP's window, 4,096 datagrams at once.
EOF
}

# The SVG: lockstep throughput against clients, for each server.
plot() {
    local s c r
    for s in "${SERVERS[@]}"; do
        [ -n "${UNAVAILABLE[$s]:-}" ] && continue
        for c in l1 l100 l1000; do
            [ "${N[$s:$c]:-0}" -ge 1 ] || continue
            r=$(echo "${RATE[$s:$c]}" | median)
            printf '%s\t%s\t%s\n' "$(label "$s")" "${c#l}" "$r"
        done
    done | awk -f "$HERE/plot.awk" >"$SVG.tmp" && mv "$SVG.tmp" "$SVG"
}

TABLE=$(
    machine
    echo
    table
    notes
    if [ ${#TRANSPORTS[@]} -gt 0 ]; then
        echo
        echo "The exchange over TCP loopback, AF_LOCAL and UDP, one client:"
        echo
        transport_table
        transport_notes
    fi
)
echo
echo "$TABLE"
if [ -n "$ONLY" ]; then
    say "done in $((($(now_ms) - T0) / 1000)) s (BENCH_ONLY: docs/ left as they are)"
    exit $FAILED
fi

if [ ! -f "$DOC" ]; then
    cat >"$DOC" <<'EOF'
# Performance

The tables below and the plot [bench-clients.svg](bench-clients.svg) are
written by `make bench` (bench/run.sh, bench/README.md): every server
design of tcp-server, the yardstick and socat and ncat, measured over
loopback on the machine named above the tables; then the exchange itself
over TCP loopback, an AF_LOCAL stream socket and UDP, side by side.

<!-- bench:table -->
<!-- /bench:table -->

![Lockstep throughput against clients](bench-clients.svg)
EOF
fi
printf '%s\n' "$TABLE" >"$TMP/table.md"
grep -q '^<!-- bench:table -->$' "$DOC" ||
    printf '\n<!-- bench:table -->\n<!-- /bench:table -->\n' >>"$DOC"
awk -v f="$TMP/table.md" '
    /^<!-- bench:table -->$/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
    /^<!-- \/bench:table -->$/ { skip = 0 }
    !skip' "$DOC" >"$TMP/doc.md" && cat "$TMP/doc.md" >"$DOC"
plot
say "done in $((($(now_ms) - T0) / 1000)) s: $DOC, $SVG"
exit $FAILED

#!/usr/bin/env bash
# bench/run.sh BUILD_DIR - what `make bench` runs once the programs,
# build/bench/loadgen and build/bench/yardstick are built: every server
# design of tcp-server, the yardstick, and socat and ncat as echo peers,
# each measured with loadgen over loopback; then tcp-client, nc and socat
# piping a million lines through the yardstick.  One table goes to
# stdout and into docs/performance.md, the plot to docs/bench-clients.svg
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

# Wait for "listening on ADDR:PORT" (SPORT) or the server's exit (SWHY).
await_listening() {
    local log=$1 i p
    for ((i = 0; i < 40; i++)); do
        p=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$log" | head -n 1)
        if [ -n "$p" ]; then SPORT=$p; return 0; fi
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

HAS_MODEL=0
"$SERVER" --help 2>/dev/null | grep -q -- '--model' && HAS_MODEL=1

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
    *) SWHY="unknown"; return 1 ;;
    esac
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
    coproc LGP { exec "$LOADGEN" --sync -T "$limit" "$@" 2>>"$TMP/loadgen.err"; }
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
declare -A TITLE=(
    [l1]="lockstep, 1 client × 20,000 lines"
    [l100]="lockstep, 100 clients × 2,000"
    [l1000]="lockstep, 1,000 clients × 200"
    [p1]="pipelined, 1 client × 1,000,000"
    [churn]="connections (churn, 5 s)"
    [idle]="10,000 idle clients: memory"
    [active]="1 active client, 10,000 idle"
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
)
declare -A WANT=([l1]=20000 [l100]=200000 [l1000]=200000 [p1]=1000000)
declare -A RUNS_MAX=([l1]=3 [l100]=3 [l1000]=3 [p1]=3 [churn]=1 [idle]=1)
declare -A LIMIT=([l1]=25 [l100]=25 [l1000]=30 [p1]=25 [churn]=15 [idle]=40)

declare -A RATE CPU NOTE RSS PERCL N DUR
FAILED=0

# Which cases a design cannot run, and how many idle clients it holds.
not_for() { # not_for SERVER CASE -> a reason, or nothing
    case $1:$2 in
    iterative:l100 | iterative:l1000 | iterative:idle) echo "n/a (one at a time)" ;;
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
    local s=$1 c=$2 pass=$3 limit left need extra=() k=$1:$2 rate cpu ops t0
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
    t0=$(now_ms)
    # shellcheck disable=SC2046,SC2086
    run_loadgen "$SPID" "$limit" -H "$HOST" -p "$SPORT" ${ARGS[$c]} "${extra[@]}" \
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
    else
        [ -n "${WANT[$c]:-}" ] && [ "$ops" -lt "${WANT[$c]}" ] && NOTE[$k]="stopped at 10 s"
        say "$s: ${TITLE[$c]}: $rate/s, $cpu µs CPU/op (run ${N[$k]}; loadgen used $(field cpu "$LG") s CPU in $(field secs "$LG") s)"
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
    for c in "${CASES[@]}"; do
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
    for c in "${CASES[@]}"; do
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

for s in "${SERVERS[@]}"; do
    serve_cases "$s" 1
done
pipe_round() {
    local p
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
for s in "${SERVERS[@]}"; do
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
)
echo
echo "$TABLE"

if [ ! -f "$DOC" ]; then
    cat >"$DOC" <<'EOF'
# Performance

The table below and the plot [bench-clients.svg](bench-clients.svg) are
written by `make bench` (bench/run.sh, bench/README.md): every server
design of tcp-server, the yardstick and socat and ncat, measured over
loopback on the machine named above the table.

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

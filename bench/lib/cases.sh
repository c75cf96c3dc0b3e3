# bench/lib/cases.sh - sourced by bench/run.sh: what is measured.  The
# matrix (servers, cases, loadgen's arguments for each, their runs and
# time limits), one case run against a running server and its figures
# recorded, the pipe rows (tcp-client, nc and socat through the
# yardstick), and a pass over a server's cases.
#
# SPDX-License-Identifier: MIT
# shellcheck shell=bash

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

# ---- the passes -----------------------------------------------------------

# Servers and pipe rows that could not run at all, and why.
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
# The UDP lookup: one peer's lockstep beside 1 peer, then beside 60,000
# (bench/udp_abuse.c: real datagrams from 240 sockets and 250 loopback
# addresses), against tcp-server -u with room for them.  LOOKUP holds
# udp_abuse's line.
LOOKUP=""
lookup_case() {
    local log=$TMP/lookup.log
    only udp || return
    [ $HAS_UDP = 1 ] && [ "$(left_s)" -gt 10 ] || return
    # shellcheck disable=SC2046
    launch "$log" $(pin_server) "$SERVER" -u -q -q "${UDP_RATE[@]}" \
        --max-clients 100000 -b "$HOST" 0
    await_listening "$log" || return
    LOOKUP=$(timeout 20 "$B/bench/udp_abuse" lookup "$SPORT" 60000 20000) ||
        LOOKUP="failed: $LOOKUP"
    stop_server "$SPID"
    say "udp lookup: $LOOKUP"
}
# pipe_round N: the pipe rows through one yardstick, each up to N runs.
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

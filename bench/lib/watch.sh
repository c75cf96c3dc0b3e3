# bench/lib/watch.sh - sourced by bench/run.sh: tcp-watch beside the
# exchange.  Each run is a network namespace of its own (unshare -rn: a
# user and a network namespace, no root needed), where tcp-server (epoll)
# serves loadgen on port 8080 and tcp-watch watches that port on the
# namespace's loopback, its output to /dev/null.  Nothing else talks TCP
# there, so the namespace's TCP counters (/proc/net/snmp: InSegs) are the
# true count of the segments tcp-watch should have shown; it shows what it
# saw, and says what the kernel dropped from its ring.  Its CPU is the
# time it spent on a CPU (user + system) while the exchange ran and until
# it had caught up, from /proc/PID/schedstat in nanoseconds (its
# /proc/PID/stat ticks are 10 ms: too coarse for a few tens of ms).
# "busy": two `yes > /dev/null` run meanwhile, as many as the machine
# has cores here, so that tcp-watch has to wait for a CPU.
#
# SPDX-License-Identifier: MIT
# shellcheck shell=bash

WATCH=$B/tcp-watch
WATCH_CASES=(wl wlb wp wpb)
declare -A WTITLE=(
    [wl]="lockstep, 1 client × 15,000 lines, idle"
    [wlb]="lockstep, 1 client × 15,000 lines, 2 busy cores"
    [wp]="pipelined, 1 client × 1,000,000 lines, idle"
    [wpb]="pipelined, 1 client × 1,000,000 lines, 2 busy cores"
)
declare -A WARGS=(
    [wl]="-m lockstep -c 1 -n 15000 -l 64 -d 10"
    [wlb]="-m lockstep -c 1 -n 15000 -l 64 -d 10"
    [wp]="-m pipelined -c 1 -n 1000000 -l 64 -d 10"
    [wpb]="-m pipelined -c 1 -n 1000000 -l 64 -d 10"
)
WATCH_RUNS=3
WATCH_LIMIT=20   # s, a run at most (loadgen's -T; the rest is bounded)
# Over the runs of a case: true segments, segments shown, kernel drops
# (sums); tcp-watch's CPU per segment and the exchange's rate (each run's,
# for the median).
declare -A WSEGS WSHOWN WDROPS WCPU WRATE WN
WATCH_WHY=""

# In the namespace (run through declare -f): bring its loopback up, start
# the server, the busy loops if asked, tcp-watch, then loadgen; print
# loadgen's line and one "watch ..." line.  Every process it starts is
# stopped by its PID; the whole namespace's processes are also one
# process group, which run.sh stops if this is cut short.
watch_inner() {
    local b=$1 t=$2 busy=$3 limit=$4 port=8080 sp wp hogs=() i l0 l1 s0 s1 w
    shift 4
    snmp() { awk -v f="$1" '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == f) c = i; h = 1 } else print $c }' /proc/net/snmp; }
    on_cpu() { awk '{ print $1 }' "/proc/$1/schedstat" 2>/dev/null || echo 0; }
    ip link set lo up || { echo "watch fail why=no-loopback"; return 1; }
    "$b/tcp-server" --model epoll -q -q -b 127.0.0.1 "$port" >/dev/null 2>"$t/ns-server.err" </dev/null &
    sp=$!
    # Up to 5 s each to start: a loaded machine once took over 2.
    for ((i = 0; i < 100; i++)); do grep -q '^listening on' "$t/ns-server.err" && break; sleep 0.05; done
    if [ "$busy" = 1 ]; then
        yes >/dev/null &
        hogs+=($!)
        yes >/dev/null &
        hogs+=($!)
    fi
    "$b/tcp-watch" "$port" >/dev/null 2>"$t/ns-watch.err" </dev/null &
    wp=$!
    for ((i = 0; i < 100; i++)); do grep -q '^tcp-watch: watching' "$t/ns-watch.err" && break; sleep 0.05; done
    s0=$(on_cpu "$wp")
    l0=$(snmp InSegs)
    "$b/bench/loadgen" -H 127.0.0.1 -p "$port" -T "$limit" "$@" 2>>"$t/ns-loadgen.err"
    # tcp-watch has caught up when its CPU time stops growing (an idle
    # turn of its loop, every 50 ms, is a few µs); at most 3 s.
    sleep 0.2
    s1=$(on_cpu "$wp")
    for ((i = 0; i < 30; i++)); do
        sleep 0.1
        w=$(on_cpu "$wp")
        [ $((w - s1)) -lt 1000000 ] && break
        s1=$w
    done
    l1=$(snmp InSegs)
    [ ${#hogs[@]} -gt 0 ] && kill "${hogs[@]}"
    kill -TERM "$wp"
    for ((i = 0; i < 40; i++)); do kill -0 "$wp" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$wp" 2>/dev/null
    wait "$wp"
    kill -TERM "$sp"
    for ((i = 0; i < 40; i++)); do kill -0 "$sp" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$sp" 2>/dev/null
    wait "$sp"
    # "tcp-watch: N segments and M datagrams shown, C connections; the
    # kernel dropped D frames"
    awk -v segs=$((l1 - l0)) -v ns=$((s1 - s0)) '
        /^tcp-watch: [0-9]+ segments? and/ {
            shown = $2
            if (match($0, /dropped [0-9]+ frame/)) drops = substr($0, RSTART + 8, RLENGTH - 14) + 0 }
        END { if (shown == "") print "watch fail why=no-summary"
              else printf "watch ok segs=%d shown=%d drops=%d ns=%d\n", segs, shown, drops, ns }' \
        "$t/ns-watch.err"
}

# Whether runs can be made here: tcp-watch built, unshare and ip there,
# and a user and network namespace allowed (WATCH_WHY otherwise).
watch_possible() {
    [ -x "$WATCH" ] || { WATCH_WHY="no $WATCH"; return 1; }
    command -v unshare >/dev/null 2>&1 || { WATCH_WHY="no unshare"; return 1; }
    command -v ip >/dev/null 2>&1 || { WATCH_WHY="no ip (iproute2)"; return 1; }
    unshare -rn true 2>/dev/null || { WATCH_WHY="no user namespaces (unshare -rn)"; return 1; }
}

# One run of case C: records its figures, or returns 1 when too little
# time is left.
watch_run() {
    local c=$1 busy=0 limit left out lg w segs shown drops ns cpu pid
    left=$(left_s)
    [ "$left" -ge 8 ] || return 1
    limit=$WATCH_LIMIT
    [ "$left" -lt $((limit + 5)) ] && limit=$((left - 5))
    [[ $c == *b ]] && busy=1
    # A session of its own: run.sh's exit trap stops its process group.
    # shellcheck disable=SC2086
    setsid unshare -rn bash -c "$(declare -f watch_inner); watch_inner \"\$@\"" \
        watch_inner "$B" "$TMP" "$busy" "$limit" ${WARGS[$c]} >"$TMP/watch.out" 2>>"$TMP/watch-run.err" </dev/null &
    pid=$!
    GROUPS_STARTED+=("$pid")
    wait "$pid"
    stop_server "$pid"
    out=$(cat "$TMP/watch.out")
    lg=$(grep -E '^(ok|fail) ' <<<"$out")
    w=$(grep '^watch ' <<<"$out")
    if [[ $lg != ok* ]] || [[ $w != "watch ok"* ]]; then
        NOTE[watch:$c]="FAILED: ${lg:+$(first_error "$lg") }${w:-no result}"
        FAILED=1
        say "tcp-watch: ${WTITLE[$c]}: FAILED: ${lg:-no loadgen line}; ${w:-no result}"
        return 0
    fi
    segs=$(field segs "$w") shown=$(field shown "$w") drops=$(field drops "$w") ns=$(field ns "$w")
    cpu=$(awk -v t="$ns" -v n="$segs" 'BEGIN { printf "%.3f", (n > 0 ? t / 1000 / n : 0) }')
    WSEGS[$c]=$((${WSEGS[$c]:-0} + segs))
    WSHOWN[$c]=$((${WSHOWN[$c]:-0} + shown))
    WDROPS[$c]=$((${WDROPS[$c]:-0} + drops))
    WCPU[$c]+="$cpu "
    WRATE[$c]+="$(field rate "$lg") "
    WN[$c]=$((${WN[$c]:-0} + 1))
    say "tcp-watch: ${WTITLE[$c]}: $shown of $segs segments shown, $drops dropped by the kernel, $cpu µs CPU/segment (exchange: $(field rate "$lg") lines/s; run ${WN[$c]})"
    return 0
}

# All of it: each case WATCH_RUNS times, the cases in turn.
watch_cases() {
    local r c
    only watch || return 0
    if ! watch_possible; then
        UNAVAILABLE[watch]="n/a: $WATCH_WHY"
        say "tcp-watch: n/a ($WATCH_WHY)"
        return 0
    fi
    for ((r = 1; r <= WATCH_RUNS; r++)); do
        for c in "${WATCH_CASES[@]}"; do
            [ -n "${NOTE[watch:$c]:-}" ] && continue
            watch_run "$c" || say "tcp-watch: ${WTITLE[$c]}: skipped: time"
        done
    done
}

# The third table: what tcp-watch saw of each case, and what it cost.
watch_table() {
    local c cell lost
    echo "| tcp-watch beside the exchange | runs | segments (true count) | shown | dropped by the kernel | lost | tcp-watch CPU per segment | the exchange's rate |"
    echo "| --- | --: | --: | --: | --: | --: | --: | --: |"
    for c in "${WATCH_CASES[@]}"; do
        if [ -n "${UNAVAILABLE[watch]:-}" ]; then
            echo "| ${WTITLE[$c]} | 0 | ${UNAVAILABLE[watch]} | | | | | |"
        elif [ "${WN[$c]:-0}" = 0 ]; then
            echo "| ${WTITLE[$c]} | 0 | ${NOTE[watch:$c]:-skipped: time} | | | | | |"
        else
            lost=$(awk -v t="${WSEGS[$c]}" -v s="${WSHOWN[$c]}" 'BEGIN { printf "%.2f %%", (t > 0 ? (t - s) / t * 100 : 0) }')
            cell="${NOTE[watch:$c]:+ (${NOTE[watch:$c]})}"
            echo "| ${WTITLE[$c]}$cell | ${WN[$c]} | $(commas "${WSEGS[$c]}") | $(commas "${WSHOWN[$c]}") | $(commas "${WDROPS[$c]}") | $lost | $(human "$(median_of "${WCPU[$c]}")") µs | $(human "$(median_of "${WRATE[$c]}")") lines/s |"
        fi
    done
}

watch_notes() {
    cat <<'EOF'

- Each run is a network namespace of its own (`unshare -rn`), where
  `tcp-server --model epoll -q -q` serves loadgen on 127.0.0.1:8080 and
  `tcp-watch 8080` watches, its output to /dev/null. Segments, shown and
  dropped are summed over the runs: the true count is the namespace's
  TCP `InSegs` (/proc/net/snmp; nothing else talks TCP there), "shown"
  and "dropped by the kernel" are tcp-watch's own summary line (its
  ring's `PACKET_STATISTICS`), lost is (true − shown) ÷ true.
- tcp-watch's CPU: its time on a CPU, user and system
  (/proc/PID/schedstat, ns), from before loadgen connects until it has
  caught up, divided by the true segments; the median of the runs. The
  rate is loadgen's, with tcp-watch watching.
- "2 busy cores": two `yes > /dev/null` run meanwhile, unpinned, as do
  the server, loadgen and tcp-watch; "idle": no busy loop added (what
  else runs on the machine still runs: the load average above says how
  much).
EOF
}

# bench/lib/measure.sh - sourced by bench/run.sh: what one run measures.
# loadgen run with --sync, its result line read by field; and what the
# server spent meanwhile, read from /proc: the CPU and memory of its
# whole process tree, and for UDP the datagrams dropped for a full
# receive buffer.
#
# SPDX-License-Identifier: MIT
# shellcheck shell=bash

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

# loadgen runs under LG_WRAP (e.g. taskset -c N), set by each case.
LG_WRAP=()

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

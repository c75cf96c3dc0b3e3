# bench/lib/table.sh - sourced by bench/run.sh: the figures written
# down.  The table of the designs and the table of the transports (each
# figure the median of its runs, with its ratio to the yardstick's or to
# TCP's), their notes, the plot, and docs/performance.md's lines between
# its bench:table markers.
#
# SPDX-License-Identifier: MIT
# shellcheck shell=bash

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
  `mktemp -d` directory. UDP: `tcp-server -u -q -q --udp-rate 0 -b
  127.0.0.1 0`, which has one design of its own (one socket, a poll
  loop, a `recvfrom` and a `sendto` per datagram); `--udp-rate 0`
  lifts the default limit of 1000 replies a second to one peer, which
  one client's exchange here exceeds many times over.
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


# Both tables, with the machine above and their notes.
tables() {
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
        if [ -n "$LOOKUP" ]; then
            echo "- A UDP peer's lookup (bench/udp_abuse.c, the server as above"
            echo "  with \`--max-clients 100000\`), 20,000 lines in lockstep: $LOOKUP."
        fi
    fi
    if only watch; then
        echo
        echo "tcp-watch beside the exchange (TCP loopback, one client):"
        echo
        watch_table
        watch_notes
    fi
}

# write_doc TEXT: TEXT into docs/performance.md between its markers
# (the file started when there is none, the markers added when missing).
write_doc() {
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
    printf '%s\n' "$1" >"$TMP/table.md"
    grep -q '^<!-- bench:table -->$' "$DOC" ||
        printf '\n<!-- bench:table -->\n<!-- /bench:table -->\n' >>"$DOC"
    awk -v f="$TMP/table.md" '
        /^<!-- bench:table -->$/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
        /^<!-- \/bench:table -->$/ { skip = 0 }
        !skip' "$DOC" >"$TMP/doc.md" && cat "$TMP/doc.md" >"$DOC"
}

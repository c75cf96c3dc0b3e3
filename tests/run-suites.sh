#!/bin/sh
# run-suites.sh - run the cmocka suites named on the command line, every
# one even after another has failed, show each one's output, and end with
# one line for them all: "N passed, N failed, N skipped".
#
# usage: sh tests/run-suites.sh SUITE... [MODEL:SUITE...]
#
# MODEL:SUITE runs SUITE with TCP_MODEL=MODEL: its servers are started
# with --model MODEL.
#
# The suites run side by side, TEST_JOBS of them at a time (by default
# four per processor: they spend most of their time waiting on sockets,
# timers and the programs they drive, not computing).  Each suite's
# output is shown once it has ended, in the order of the command line,
# after a line naming it and the time it took, e.g.
# "== build/tests/e2e/test_tcp_server (--model poll)  (4.2 s)".
# TEST_JOBS=1 runs them one after another.  With TEST_TIMES naming a
# file, the times of this run are kept there, and the next run starts
# the suites that took longest first (those it has no time for before
# all), so that a long one does not begin last; the output keeps the
# order of the command line whatever the order they ran in.
#
# The counts are the ones cmocka prints at the end of each suite.  A suite
# that prints no summary (it crashed, was killed or did not start) counts
# as one failed test, and so does one that exits non-zero without naming a
# failed test.  The exit status is 1 when any suite failed, and the line
# before the last names those suites.  Each suite's output is also kept in
# SUITE.log (SUITE.MODEL.log for MODEL:SUITE).
#
# SPDX-License-Identifier: MIT

# The summary is read in cmocka's standard format, whatever the caller's
# environment asks for.
CMOCKA_MESSAGE_OUTPUT=stdout
export CMOCKA_MESSAGE_OUTPUT

# Milliseconds since the epoch (whole seconds where date has no %N).
now_ms() {
    t=$(date +%s%N)
    case $t in
    *[!0-9]*) echo $(($(date +%s) * 1000)) ;;
    *)        echo "${t%??????}" ;;
    esac
}

# "12.3 s" for a number of milliseconds.
show_ms() {
    echo "$(($1 / 1000)).$(($1 % 1000 / 100)) s"
}

# What MODEL:SUITE or SUITE names: $model, $suite and its $log.
split_arg() {
    case $1 in
    *:*) model=${1%%:*} suite=${1#*:} ;;
    *)   model="" suite=$1 ;;
    esac
    log=$suite${model:+.$model}.log
}

# One suite, run by xargs below: sh run-suites.sh --one DIR N ARG.  Its
# output goes to its log; its exit status and time to DIR/N; then N is
# written to stdout, the reader's cue that suite N has ended.
if [ "$1" = "--one" ]; then
    dir=$2 n=$3
    split_arg "$4"
    t0=$(now_ms)
    TCP_MODEL=$model "$suite" >"$log" 2>&1
    rc=$?
    t1=$(now_ms)
    echo "$rc $((t1 - t0))" >"$dir/$n.tmp" && mv "$dir/$n.tmp" "$dir/$n"
    echo "$n"
    exit 0
fi

jobs=${TEST_JOBS:-}
if [ -z "$jobs" ]; then
    cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
    jobs=$((cpus * 4))
fi
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1

dir=$(mktemp -d "${TMPDIR:-/tmp}/run-suites.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start=$(now_ms)
n=0
for arg in "$@"; do
    n=$((n + 1))
    printf '%s %s\n' "$n" "$arg"
done | awk -v times="${TEST_TIMES:-}" '
    # Longest first, by the times of the last run ("MS ARG" lines).
    BEGIN {
        if (times != "")
            while ((getline line < times) > 0) {
                split(line, f, " ")
                ms[f[2]] = f[1]
            }
    }
    { print (($2 in ms) ? ms[$2] : 999999999), $1, $2 }' |
    sort -k1,1nr -k2,2n | cut -d" " -f2- |
    xargs -n 2 -P "$jobs" sh "$0" --one "$dir" | {
    passed=0 failed=0 skipped=0 bad="" next=1

    # Show suite $next of "$@" and add up its counts.
    report() {
        eval "arg=\${$next}"
        split_arg "$arg"
        name=${suite##*/}${model:+ --model $model}
        if [ -f "$dir/$next" ]; then
            read -r rc ms <"$dir/$next"
        else
            rc=127 ms=0     # xargs ended without running it
            echo "run-suites.sh: $arg was not run" >"$log"
        fi
        echo "$ms $arg" >>"$dir/times"
        echo "== $suite${model:+ (--model $model)}  ($(show_ms "$ms"))"
        cat "$log"

        # cmocka's summary lines, e.g. "[  PASSED  ] 12 test(s).",
        # "[  FAILED  ] 1 test(s), listed below:",
        # "[  SKIPPED ] 2 test(s), listed below:".
        read -r p f s seen <<EOF
$(awk '
    /^\[  PASSED  \] [0-9]+ test\(s\)\.$/                { p += $4; seen = 1 }
    /^\[  FAILED  \] [0-9]+ test\(s\), listed below:$/  { f += $4 }
    /^\[  SKIPPED \] [0-9]+ test\(s\), listed below:$/  { s += $4 }
    END { print p + 0, f + 0, s + 0, seen + 0 }' "$log")
EOF

        passed=$((passed + p))
        failed=$((failed + f))
        skipped=$((skipped + s))
        if [ "$seen" -eq 0 ]; then
            failed=$((failed + 1))
            if [ "$rc" -gt 128 ]; then
                why="no summary: killed by signal $((rc - 128))"
            else
                why="no summary: exit status $rc"
            fi
            echo "$name: $why"
            bad="$bad $name ($why)"
        elif [ "$f" -gt 0 ]; then
            bad="$bad $name"
        elif [ "$rc" -ne 0 ]; then
            failed=$((failed + 1))
            echo "$name: exit status $rc, but no failed test named"
            bad="$bad $name (exit status $rc)"
        fi
        next=$((next + 1))
    }

    # As each suite ends, show every one not yet shown up to the first
    # still running: the output keeps the order of the command line.
    while read -r done_n; do
        while [ "$next" -le $# ] && [ -f "$dir/$next" ]; do
            report "$@"
        done
    done
    while [ "$next" -le $# ]; do
        report "$@"
    done

    echo "$# suites, $jobs at a time, in $(show_ms $(($(now_ms) - start)))"
    [ -z "${TEST_TIMES:-}" ] || cp "$dir/times" "$TEST_TIMES" 2>/dev/null
    [ -z "$bad" ] || echo "FAILED suites:$bad"
    echo "$passed passed, $failed failed, $skipped skipped"
    [ -z "$bad" ]
}

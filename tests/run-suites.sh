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
# The counts are the ones cmocka prints at the end of each suite.  A suite
# that prints no summary (it crashed, was killed or did not start) counts
# as one failed test, and so does one that exits non-zero without naming a
# failed test.  The exit status is 1 when any suite failed, and the line
# before the last names those suites.  Each suite's output is also kept in
# SUITE.log.
#
# SPDX-License-Identifier: MIT

passed=0 failed=0 skipped=0 bad=""

# The summary is read in cmocka's standard format, whatever the caller's
# environment asks for.
CMOCKA_MESSAGE_OUTPUT=stdout
export CMOCKA_MESSAGE_OUTPUT

for arg in "$@"; do
    # MODEL:SUITE runs SUITE against one server design (TCP_MODEL).
    case $arg in
    *:*) model=${arg%%:*} suite=${arg#*:} ;;
    *)   model="" suite=$arg ;;
    esac
    name=${suite##*/}${model:+ --model $model}
    log=$suite${model:+.$model}.log
    echo "== $suite${model:+ (--model $model)}"
    TCP_MODEL=$model "$suite" >"$log" 2>&1
    rc=$?
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
done

[ -z "$bad" ] || echo "FAILED suites:$bad"
echo "$passed passed, $failed failed, $skipped skipped"
[ -z "$bad" ]

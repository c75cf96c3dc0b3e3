#!/bin/sh
# coverage-table.sh - print gcovr's CSV summary (make coverage) as a table:
# lines and branches covered for each file of src/, then the total.
# Usage: tests/coverage-table.sh COVERAGE.csv
# SPDX-License-Identifier: MIT
set -eu
awk -F, '
function pct(c, t) { return t > 0 ? sprintf("%5.1f %%", 100 * c / t) : "    -  " }
NR == 1 { next }
{
    printf "%-32s %5d/%-5d %s   %5d/%-5d %s\n", $1, $3, $2, pct($3, $2), \
           $6, $5, pct($6, $5)
    lc += $3; lt += $2; bc += $6; bt += $5
}
BEGIN {
    printf "%-32s %-19s   %-19s\n", "file", "lines", "branches"
}
END {
    printf "%-32s %5d/%-5d %s   %5d/%-5d %s\n", "TOTAL", lc, lt, pct(lc, lt), \
           bc, bt, pct(bc, bt)
}' "$1"

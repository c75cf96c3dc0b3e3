#!/bin/sh
# man-check.sh - the manual pages in docs/ still say what the programs and
# the library do:
#   (a) every docs/*.1 and docs/*.3 renders with groff -man -ww and no
#       warning at all;
#   (b) every option BUILD/tcp-server --help, BUILD/tcp-client --help and
#       BUILD/tcp-watch --help print (-x and --long) is named in
#       docs/tcp-server.1, docs/tcp-client.1 and docs/tcp-watch.1, and each
#       of them has an EXIT STATUS section naming 0, 1 and 2;
#   (c) every function include/libsock.h declares (sock_*() ) is named in
#       docs/libsock.3.
# A page may name more than --help prints.  Prints one line when all is
# well; otherwise names each thing missing and exits 1.
#
# usage: sh tests/man-check.sh [BUILD]    (BUILD defaults to build)
# Run it from the top of the source tree, as make man-check does.
#
# SPDX-License-Identifier: MIT

build=${1:-build}
failed=0

problem() {
    echo "man-check: $*" >&2
    failed=1
}

if ! command -v groff >/dev/null 2>&1; then
    echo "man-check: groff is missing (Debian: apt-get install groff-base)" >&2
    exit 1
fi

# A page as plain text.  The line length is so large that no line is
# broken, so no word is hyphenated across two lines.
render() {
    groff -man -Tascii -P-c -P-b -P-u -P-o -rLL=5000n "$1" 2>/dev/null
}

# The words of standard input, one a line: runs of letters, digits, '_'
# and '-', so "--max-line=100" gives "--max-line" and "[-4|-6]" gives
# "-4" and "-6".
words() {
    tr -c 'A-Za-z0-9_-' '\n' | grep -v '^$'
}

# Whether word $1 is among the words in $2.
has_word() {
    printf '%s\n' "$2" | grep -qxF -- "$1"
}

# (a) Every page renders without a warning.
pages=0
for page in docs/*.1 docs/*.3; do
    [ -f "$page" ] || continue
    pages=$((pages + 1))
    out=$(groff -man -ww -z "$page" 2>&1)
    rc=$?
    if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
        problem "$page: groff -man -ww warns (exit status $rc):"
        printf '%s\n' "$out" >&2
    fi
done
[ "$pages" -gt 0 ] || problem "no manual pages in docs/"

# (b) Each program's page names every option of its --help, and its exit
# statuses.
summary=""
for prog in tcp-server tcp-client tcp-watch; do
    page=docs/$prog.1
    if [ ! -f "$page" ]; then
        problem "$page is missing"
        continue
    fi
    if ! help=$("$build/$prog" --help 2>&1); then
        problem "$build/$prog --help failed (run make first?)"
        continue
    fi
    opts=$(printf '%s\n' "$help" | words | grep -E '^--?[A-Za-z0-9]' | sort -u)
    if [ -z "$opts" ]; then
        problem "$build/$prog --help names no option"
        continue
    fi
    text=$(render "$page")
    named=$(printf '%s\n' "$text" | words)
    n=0
    for opt in $opts; do
        n=$((n + 1))
        has_word "$opt" "$named" ||
            problem "$page does not name option $opt (from $prog --help)"
    done

    # The section runs from its heading to the next heading, which
    # starts a line, as section headings do.
    status=$(printf '%s\n' "$text" |
        awk '/^EXIT STATUS$/ { on = 1; next } /^[^ \t]/ { on = 0 } on')
    if [ -z "$status" ]; then
        problem "$page has no EXIT STATUS section"
    else
        in_status=$(printf '%s\n' "$status" | words)
        for code in 0 1 2; do
            has_word "$code" "$in_status" ||
                problem "$page: EXIT STATUS does not name exit status $code"
        done
    fi
    summary="$summary${summary:+, }$prog.1 all $n options of --help"
done

# (c) libsock.3 names every function of the header.
page=docs/libsock.3
header=include/libsock.h
funcs=$(awk '{
        while (match($0, /sock_[a-z_]*\(/)) {
            print substr($0, RSTART, RLENGTH - 1)
            $0 = substr($0, RSTART + RLENGTH)
        }
    }' "$header" | sort -u)
nfuncs=0
if [ ! -f "$page" ]; then
    problem "$page is missing"
elif [ -z "$funcs" ]; then
    problem "$header declares no sock_*() function"
else
    named=$(render "$page" | words)
    for f in $funcs; do
        nfuncs=$((nfuncs + 1))
        has_word "$f" "$named" ||
            problem "$page does not mention $f() (declared in $header)"
    done
fi

if [ "$failed" -ne 0 ]; then
    echo "man-check: FAILED" >&2
    exit 1
fi
echo "man-check: $pages pages render without warnings; $summary; exit statuses 0, 1, 2 in each; libsock.3 all $nfuncs functions of $header."

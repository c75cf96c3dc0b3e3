#!/bin/sh
# ensure-cmocka.sh - make sure cmocka's header and library can be used.
# Installs it with the system's package manager when we are root (or have
# password-less sudo); otherwise prints the one command that would, and
# fails.  Usage: ensure-cmocka.sh CC
# SPDX-License-Identifier: MIT
CC=${1:-cc}

have_cmocka() {
    tmp=$(mktemp -d) || return 1
    printf '%s\n' '#include <stdarg.h>' '#include <stddef.h>' \
        '#include <stdint.h>' '#include <setjmp.h>' '#include <cmocka.h>' \
        'int main(void) { cmocka_set_message_output(CM_OUTPUT_STDOUT); return 0; }' \
        >"$tmp/t.c"
    # shellcheck disable=SC2046
    $CC $(pkg-config --cflags cmocka 2>/dev/null) -o "$tmp/t" "$tmp/t.c" \
        $(pkg-config --libs cmocka 2>/dev/null || echo -lcmocka) >/dev/null 2>&1
    r=$?
    rm -rf "$tmp"
    return $r
}

have_cmocka && exit 0

# Which package, for which package manager.
if command -v apt-get >/dev/null 2>&1; then
    update="apt-get update -q"
    install="env DEBIAN_FRONTEND=noninteractive apt-get install -y -q libcmocka-dev pkg-config"
elif command -v dnf >/dev/null 2>&1; then
    update=true; install="dnf install -y libcmocka-devel pkgconf-pkg-config"
elif command -v apk >/dev/null 2>&1; then
    update=true; install="apk add cmocka-dev pkgconf"
elif command -v pacman >/dev/null 2>&1; then
    update=true; install="pacman -S --noconfirm cmocka pkgconf"
elif command -v brew >/dev/null 2>&1; then
    update=true; install="brew install cmocka pkg-config"
else
    echo "cmocka is missing and no known package manager was found;" \
         "install cmocka (https://cmocka.org) and run make test again." >&2
    exit 1
fi

if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
else
    echo "cmocka is missing. Install it with:" >&2
    echo "    sudo $(echo "$install" | sed 's/^env DEBIAN_FRONTEND=noninteractive //; s/ -q / /')" >&2
    exit 1
fi

echo "cmocka is missing; installing it: $sudo $install" >&2
# apt needs fresh lists on a new machine; a failed update is not fatal.
$sudo $update >/dev/null 2>&1 || true
$sudo $install >&2 || { echo "installing cmocka failed; try: sudo $install" >&2; exit 1; }
have_cmocka || { echo "cmocka still cannot be used after installing it" >&2; exit 1; }

#!/usr/bin/env bash
# tests/docs-check.sh - every transcript in the docs is real output.
#
#   tests/docs-check.sh [--update | --pointers] [BUILD_DIR]
#
# A transcript in a Markdown file is a fenced block right after a line
#   <!-- transcript: NAME -->
# Each NAME is made by a scene below, which runs the commands the block
# shows, in "terminals": files that collect, in order, what a terminal
# would show (the command after "$ ", what is typed, what the programs
# write).  The check compares every block with a fresh run and fails on
# any difference; --update writes the fresh output into the blocks.
# --pointers only points the docs' pointers into src/ at the lines that
# now hold their code (see the end), running no scene.
#
# What may differ between runs is masked on both sides before comparing:
# runs of blanks, ephemeral ports (every port but 8080), process ids and
# inode numbers (in ss -x too), the owner and time in ls -l, the reason a
# local server gives for a connection that only probed it (the prober may
# close before or after the welcome), the JDK's own stack frames, and
# the TCP state on the lines where it depends on how fast the peer's
# packets came: after a shutdown
# (FIN_WAIT1, FIN_WAIT2, or CLOSE once the peer's FIN came too; LAST_ACK
# or CLOSE) and after a read or write that moved bytes (the peer's FIN
# may or may not be in yet), and whole lines of a non-blocking call that
# found nothing to do yet (EAGAIN).  The commands show
# port 8080, the article's; the check runs each with a port the kernel
# picks (tcp-server gets 0, everything else the port it then reported)
# and writes 8080 back into what they print.  Only loopback is used.
# Every process started here is stopped by its PID.  The local scene
# runs in a directory it makes under the work directory, so that its
# socket file is lesson.sock, and removes it.
#
# The scenes with the article's Java programs need `javac` and the
# article (ARTICLE=path, or shared/seeds/ in a directory above this
# tree); without them those blocks are skipped, or fail when CI=true.
# The first of them (java-build) runs what the reader types, in a
# directory of its own: the code taken out of article.txt and compiled.
# The netlink scene needs strace, skipped or failed the same way.
#
# The wire scenes (transcripts wire-*) run tcp-watch, which reads
# loopback through a packet socket and so needs CAP_NET_RAW.  The whole
# check therefore runs in a network namespace of its own when it can:
# `unshare --user --map-root-user --net` makes the caller root there,
# with no root outside, and a loopback that no other program on the
# machine uses (root without user namespaces: `unshare --net`).  The
# docs show `sudo ./build/tcp-watch`; the check runs it without sudo.
# Where no namespace can be made, root reads the machine's loopback, and
# anyone else has the wire scenes skipped with the reason, or failed when
# CI=true.  The scenes that run `tcp-watch --netns` need unprivileged
# user namespaces (nested ones, here) and are skipped the same way.
# Masked there too: tcp-watch's times, the values of j and k (and so the
# length of the ladder's arrows), the seconds a TIME_WAIT timer has
# left, and the pid or thread of a forked child's or thread's trace line.
# Which segments go, and in what order, is not masked: the scenes are
# built so that it does not vary.  Their steps are 0.3 s apart or more,
# far beyond the kernel's 40 ms delayed ACK, and in the `--netns` scenes
# the client sends a line before it leaves: a FIN that arrives on a
# connection that never carried data is acknowledged at the next clock
# tick, which may come before the peer's own FIN or not.  There the
# client closes first, so that the server's FIN, answered at once by the
# client's kernel, lies inside the server's traced shutdown() call.
#
# docs/tutorial.md and docs/tutorial.zh-CN.md show the same transcripts
# in the same order.
#
# SPDX-License-Identifier: MIT
set -u
export LC_ALL=C.UTF-8

# A namespace of our own, if one can be made (see above): the same
# script again, inside it.  Its loopback starts down.
if [ -z "${DOCS_CHECK_NETNS:-}" ]; then
    export DOCS_CHECK_NETNS=none
    if command -v unshare >/dev/null && command -v ip >/dev/null; then
        for how in "--user --map-root-user --net" "--net"; do
            # shellcheck disable=SC2086 # $how is two or three words
            if unshare $how true 2>/dev/null; then
                DOCS_CHECK_NETNS="unshare $how"
                exec unshare $how -- bash "$0" "$@"
            fi
        done
    fi
fi
if [ "$DOCS_CHECK_NETNS" != none ]; then
    ip link set lo up || { echo "docs-check: cannot bring up lo in the namespace" >&2; exit 1; }
fi

update=0 pointers_only=0
if [ "${1:-}" = "--update" ]; then
    update=1
    shift
elif [ "${1:-}" = "--pointers" ]; then
    update=1 pointers_only=1
    shift
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$ROOT/build}" && pwd)
DOCS=("$ROOT"/docs/*.md "$ROOT"/README.md)
ARTICLE_NAME=shared/seeds/000_de3cfc75ef2f5741.txt

work=$(mktemp -d /tmp/docs-check.XXXXXX)
mkdir -p "$work/out"
declare -A PID=()      # terminal -> the process running in it
declare -a STARTED=()  # every process started, to stop at exit
P=""                   # the port that stands for 8080 in this scene
skipped=()

cleanup() {
    local p
    for p in "${STARTED[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    sleep 0.2
    for p in "${STARTED[@]}"; do
        kill -KILL "$p" 2>/dev/null
    done
    [ -n "${DOCS_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

die() {
    echo "docs-check: $*" >&2
    exit 1
}

# ---------------------------------------------------------------- terminals

log() { echo "$work/t$1.log"; }

# The command as the docs show it, made runnable: ./build/ is the build
# directory, 8080 the scene's port (0 for a tcp-server that picks it).
runnable() {
    local cmd=${1//.\/build\//$B/}
    cmd=${cmd#sudo }         # root here already, or in the namespace
    if [ "${2:-}" = server ]; then
        cmd=${cmd//8080/0}
    else
        cmd=${cmd//8080/$P}
    fi
    cmd=${cmd//-cp java /-cp $work/java }
    case $cmd in
    *com.justsee.tcpip.TcpServer*) cmd=${cmd/java -cp/java -Dport=$P -cp} ;;
    esac
    echo "$cmd"
}

# Wait until no terminal has grown for 300 ms (at most 5 s).
settle() {
    local last="" now i
    for i in $(seq 1 50); do
        now=$(cat "$work"/t*.log 2>/dev/null | wc -c)
        if [ "$now" = "$last" ]; then
            sleep 0.2
            [ "$(cat "$work"/t*.log 2>/dev/null | wc -c)" = "$now" ] && return 0
        fi
        last=$now
        sleep 0.1
    done
}

# Wait (at most 5 s) until terminal N shows TEXT.
wait_for() {
    local i
    for i in $(seq 1 100); do
        grep -qF -- "$2" "$(log "$1")" 2>/dev/null && return 0
        sleep 0.05
    done
    die "terminal $1 never showed '$2':"$'\n'"$(cat "$(log "$1")")"
}

# Wait (at most 10 s: a JVM may be starting) until terminal N shows at
# least COUNT lines: for programs too slow for settle() alone.
wait_lines() {
    local i
    for i in $(seq 1 200); do
        [ "$(wc -l <"$(log "$1")")" -ge "$2" ] && return 0
        sleep 0.05
    done
    die "terminal $1 never reached $2 lines:"$'\n'"$(cat "$(log "$1")")"
}

# A line in terminal N as the shell would show it.
say() { printf '%s\n' "$2" >>"$(log "$1")"; }

# A check started where SIGINT is ignored (in the background of a shell
# without job control) would start programs that ignore Ctrl-C as well:
# tcp-server keeps an ignored SIGINT ignored, as nohup wants.  Each
# program gets the default back, where env can give it.
sigdfl=""
env --default-signal=INT true 2>/dev/null && sigdfl="env --default-signal=INT "

# Start DISPLAY in terminal N in the background, stdin a pipe that
# `typ` writes to (fd 10+N, closed in every child).
launch() {
    local n=$1 display=$2 kind=${3:-} cmd fifo="$work/in$1"
    cmd=$(runnable "$display" "$kind")
    # A shell is the terminal itself: typ_cmd shows its commands.
    [ "$kind" = shell ] || say "$n" "\$ $display"
    rm -f "$fifo"
    mkfifo "$fifo"
    eval "exec $((10 + n))<>\"$fifo\""
    (
        exec 11>&- 12>&- 13>&- 14>&- 15>&- 16>&- 17>&- 18>&- 19>&-
        eval "exec $sigdfl$cmd"
    ) <"$fifo" >>"$(log "$n")" 2>&1 &
    PID[$n]=$!
    STARTED+=("$!")
    if [ "$kind" = server ]; then
        wait_for "$n" "listening on "
        P=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$(log "$n")" | tail -1)
        [ -n "$P" ] || die "no port in: $(cat "$(log "$n")")"
    fi
    settle
}

# Type LINE into terminal N (the terminal echoes it), then wait.
typ() {
    say "$1" "$2"
    printf '%s\n' "$2" >&$((10 + $1))
    settle
}

# Wait (at most 5 s, or SECONDS) for terminal N's program to end.
ended() {
    local i
    for i in $(seq 1 $((${2:-5} * 20))); do
        kill -0 "${PID[$1]}" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "${PID[$1]}" 2>/dev/null && die "terminal $1's program did not end"
    wait "${PID[$1]}" 2>/dev/null
    eval "exec $((10 + $1))>&-"
    settle
}

# Ctrl-C in terminal N; Ctrl-D (end of input: nothing is echoed).
ctrl_c() {
    say "$1" "^C"
    kill -INT "${PID[$1]}"
    ended "$1"
}
ctrl_d() {
    eval "exec $((10 + $1))>&-"
    ended "$1"
}

# Run DISPLAY in terminal N to its end (at most 10 s).
run() {
    local n=$1 cmd
    cmd=$(runnable "$2")
    say "$n" "\$ $2"
    timeout 10 bash -c "$cmd" </dev/null >>"$(log "$n")" 2>&1
    settle
}

# Save terminal N as transcript NAME, with the port written as 8080.
emit() {
    # A tcp-server given 0 for 8080 binds port 0: its trace says so.
    sed -e "s/\b${P:-8080}\b/8080/g" \
        -e 's/^\(bind([0-9]*, .*\):0)/\1:8080)/' "$(log "$1")" >"$work/out/$2"
}

# Stop every program still running and forget the terminals.
scene_end() {
    local n
    for n in "${!PID[@]}"; do
        kill -TERM "${PID[$n]}" 2>/dev/null
        wait "${PID[$n]}" 2>/dev/null
        eval "exec $((10 + n))>&-"
    done
    PID=()
    P=""
    rm -f "$work"/t*.log "$work"/in*
}

# ------------------------------------------------------------------ the wire

# Whether tcp-watch can read loopback here (see the top), and whether
# `tcp-watch --netns` can make a network of its own; if not, why.
# Asked of tcp-watch itself: it says "watching" once its packet socket
# is open, and stops at SIGINT.
wire_why="" netns_why="" wire_told=""
if [ "$pointers_only" = 0 ]; then
    if ! timeout -s INT -k 1 1 "$B/tcp-watch" 8080 2>&1 | grep -q "watching TCP"; then
        wire_why="CAP_NET_RAW: root, or a user namespace (unshare --user --net failed)"
    fi
    if ! "$B/tcp-watch" --netns 8080 -- true >/dev/null 2>&1; then
        netns_why="a user namespace for tcp-watch --netns"
    fi
fi
wire() { [ -z "$wire_why" ]; }
wire_skip() {
    [ "${CI:-}" = true ] && die "CI=true and the wire scenes need $1"
    [ -n "$wire_told" ] || skipped+=("wire-* (they need $1)")
    wire_told=1
}

# tcp-watch in terminal N, ready (its packet socket open) when it says so.
launch_watch() {
    launch "$1" "$2"
    wait_for "$1" "tcp-watch: watching TCP"
}

# Save what terminal N's `tcp-watch --mermaid` drew as NAME: its output
# from "sequenceDiagram" on, without its own messages on stderr.
emit_diagram() {
    emit "$1" "$2"
    sed -i -n '/^sequenceDiagram$/,${/^tcp-watch: /!p}' "$work/out/$2"
}

# Run `tcp-watch --netns PORT -- ...` in terminal N: in its own network,
# so the port is the docs' 8080 itself.
run_netns() {
    P=8080
    run "$1" "$2"
}

# ------------------------------------------------------------------ scenes

# The article's exchange, two terminals.
scene_exchange() {
    launch 1 "./build/tcp-server 8080" server
    launch 2 "./build/tcp-client 127.0.0.1 8080"
    typ 2 "hello"
    typ 2 "你好"
    typ 2 "quit"
    ended 2
    ctrl_c 1
    emit 1 exchange-server
    emit 2 exchange-client
    scene_end
}

# A process's name on the network, while the exchange runs.
scene_naming() {
    launch 1 "./build/tcp-server 8080" server
    launch 2 "./build/tcp-client 127.0.0.1 8080"
    run 3 "ss -ltnp 'sport = :8080'"
    run 3 "ss -tnp state established '( sport = :8080 )'"
    run 3 "ss -tnp state established '( dport = :8080 )'"
    emit 3 naming-ss
    scene_end
}

# Every call and state, traced on both sides.
scene_trace() {
    launch 1 "./build/tcp-server -t 8080" server
    launch 2 "./build/tcp-client -t 127.0.0.1 8080"
    typ 2 "hello"
    typ 2 "quit"
    ended 2
    ctrl_c 1
    emit 1 trace-server
    emit 2 trace-client
    scene_end
}

# The exchange of section 3 on the wire: the same segments as a ladder
# and as a Mermaid diagram, from two tcp-watch at once.
scene_wire() {
    wire || { wire_skip "$wire_why"; return 0; }
    launch 1 "./build/tcp-server 8080" server
    launch_watch 3 "sudo ./build/tcp-watch --ladder 8080"
    launch_watch 4 "sudo ./build/tcp-watch --mermaid 8080"
    launch 2 "./build/tcp-client 127.0.0.1 8080"
    typ 2 "hello"
    typ 2 "quit"
    ended 2
    ctrl_c 3
    ctrl_c 4
    ctrl_c 1
    emit 3 wire-exchange
    emit_diagram 4 wire-diagram
    scene_end
}

# The handshake without accept: a queue the kernel fills, then SYN_SENT;
# on the wire, the third client's SYN again and again, and the resets
# when the listening socket closes.
scene_handshake() {
    launch 1 "./build/tcp-server -t --no-accept --backlog 1 8080" server
    if wire; then
        launch_watch 6 "sudo ./build/tcp-watch 8080"
    else
        wire_skip "$wire_why"
    fi
    launch 2 "./build/tcp-client -t 127.0.0.1 8080"
    launch 3 "./build/tcp-client 127.0.0.1 8080"
    launch 4 "./build/tcp-client -t --timeout 25 127.0.0.1 8080"
    run 5 "ss -tn state syn-sent '( dport = :8080 )'"
    run 5 "ss -ltn 'sport = :8080'"
    run 5 "ss -tn state established '( dport = :8080 )'"
    ended 4 35
    typ 2 "hello"
    ctrl_c 1
    ended 2
    ended 3
    emit 1 handshake-server
    emit 2 handshake-first
    emit 3 handshake-second
    emit 4 handshake-third
    emit 5 handshake-ss
    if wire; then
        ctrl_c 6
        emit 6 wire-handshake
    fi
    scene_end
}

# The article's blocking accept(): one client at a time, the next one's
# handshake done by the kernel while it waits in the queue.
scene_accept() {
    [ -z "$netns_why" ] || { wire_skip "$netns_why"; return 0; }
    run_netns 1 "./build/tcp-watch --netns 8080 -- sh -c 'timeout 4 ./build/tcp-server -t -qq --model iterative & sleep 0.5; (sleep 1; echo hello; sleep 0.5) | ./build/tcp-client >/dev/null & sleep 0.5; (sleep 1.5; echo hello; sleep 0.5) | ./build/tcp-client >/dev/null; wait'"
    emit 1 wire-iterative
    scene_end
}

# close(): four segments when the peer takes its time (bash holds the
# socket), the half-close in between, TIME_WAIT with the side that sent
# the first FIN.
scene_close() {
    launch 1 "./build/tcp-server 8080" server
    if wire; then
        launch_watch 3 "sudo ./build/tcp-watch --ladder 8080"
    else
        wire_skip "$wire_why"
    fi
    launch 2 "bash" shell
    typ_cmd 2 "exec 3<>/dev/tcp/127.0.0.1/8080"
    typ_cmd 2 "head -c 9 <&3"
    typ_cmd 2 "echo quit >&3; sleep 0.3; echo 'one more line' >&3"
    typ_cmd 2 "ss -tn '( sport = :8080 )'"
    typ_cmd 2 "ss -tn '( dport = :8080 )'"
    typ_cmd 2 "exec 3>&-"
    typ_cmd 2 "ss -tno state time-wait '( sport = :8080 )'"
    emit 2 close-shell
    if wire; then
        ctrl_c 3
        emit 3 wire-close
    fi
    scene_end
}

# Resets: a close with the welcome unread; a connect where nothing
# listens.
scene_reset() {
    launch 1 "./build/tcp-server 8080" server
    if wire; then
        launch_watch 3 "sudo ./build/tcp-watch 8080"
    else
        wire_skip "$wire_why"
    fi
    launch 2 "bash" shell
    typ_cmd 2 "exec 3<>/dev/tcp/127.0.0.1/8080"
    typ_cmd 2 "exec 3>&-"
    ctrl_c 1
    typ_cmd 2 "./build/tcp-client 127.0.0.1 8080"
    emit 1 reset-server
    emit 2 reset-shell
    if wire; then
        ctrl_c 3
        emit 3 wire-reset
    fi
    scene_end
}

# Type a command into the shell running in terminal N.
typ_cmd() {
    say "$1" "\$ $2"
    printf '%s\n' "$(runnable "$2")" >&$((10 + $1))
    settle
}

# Two descriptors, one socket: close() sends FIN only with the last one.
scene_refcount() {
    launch 1 "./build/tcp-server -t 8080" server
    launch 2 "bash" shell
    typ_cmd 2 "exec 3<>/dev/tcp/127.0.0.1/8080"
    typ_cmd 2 "head -c 9 <&3"
    typ_cmd 2 "sleep 600 &"
    typ_cmd 2 "readlink /proc/\$\$/fd/3 /proc/\$!/fd/3"
    typ_cmd 2 "exec 3>&-"
    typ_cmd 2 "ss -tn state established '( dport = :8080 )'"
    typ_cmd 2 "kill \$!"
    typ_cmd 2 "ss -tn state established '( dport = :8080 )'"
    ctrl_c 1
    emit 1 refcount-server
    emit 2 refcount-shell
    scene_end
}

# The reference count under --model fork: the parent's close() of the
# connection sends nothing; the FIN comes from the child ([pid N]).
scene_fork() {
    [ -z "$netns_why" ] || { wire_skip "$netns_why"; return 0; }
    run_netns 1 "./build/tcp-watch --netns 8080 -- sh -c 'timeout 2.5 ./build/tcp-server -t -qq --model fork & sleep 0.5; (sleep 0.5; echo hello; sleep 0.5) | ./build/tcp-client >/dev/null; wait'"
    emit 1 wire-fork
    scene_end
}

# The article's Java programs: compiled from the article, one change (the
# port comes from -Dport, so the check need not take 8080).
java_ready="" article=""
# The command the tutorial gives the reader: the code is the lines
# "- ..." after the headings 服务端: and 客户端:.
JAVA_EXTRACT="awk '/^服务端:\$/ { f = \"java/TcpServer.java\"; next } /^客户端:\$/ { f = \"java/TcpClient.java\"; next } f != \"\" && /^-/ { sub(/^- ?/, \"\"); print > f; next } { f = \"\" }' article.txt"
java_setup() {
    local dir
    if [ -n "$java_ready" ]; then
        [ "$java_ready" = yes ]
        return
    fi
    java_ready=no
    if [ -n "${ARTICLE:-}" ]; then
        article=$ARTICLE
    else
        dir=$ROOT
        while [ "$dir" != / ]; do
            if [ -f "$dir/$ARTICLE_NAME" ]; then
                article=$dir/$ARTICLE_NAME
                break
            fi
            dir=$(dirname "$dir")
        done
    fi
    if [ -z "$article" ] || [ ! -f "$article" ]; then
        java_why="the article (set ARTICLE=path)"
        return 1
    fi
    if ! command -v javac >/dev/null || ! command -v java >/dev/null; then
        java_why="javac and java"
        return 1
    fi
    mkdir -p "$work/java"
    # The code is the lines "- ..." after the headings 服务端: and 客户端:.
    awk -v d="$work/java" '
        /^服务端:$/ { f = d "/TcpServer.java"; next }
        /^客户端:$/ { f = d "/TcpClient.java"; next }
        f != "" && /^-/ { sub(/^- ?/, ""); print > f; next }
        f != "" { f = "" }
    ' "$article"
    sed -i 's/new ServerSocket(8080)/new ServerSocket(Integer.getInteger("port", 8080))/' \
        "$work/java/TcpServer.java"
    javac -d "$work/java" "$work/java/TcpServer.java" "$work/java/TcpClient.java" ||
        die "javac failed on the article's code"
    java_ready=yes
}

# A port for the Java server, which cannot be told to pick one: the one
# the kernel gives a tcp-server that then stops.
pick_port() {
    launch 9 "./build/tcp-server -b 127.0.0.1 8080" server
    kill -TERM "${PID[9]}"
    wait "${PID[9]}" 2>/dev/null
    eval "exec 19>&-"
    unset 'PID[9]'
    rm -f "$(log 9)"
}

# Wait until something listens on port P (at most 10 s: the JVM starts).
wait_listen() {
    local i
    for i in $(seq 1 200); do
        ss -ltnH "sport = :$P" | grep -q . && return 0
        sleep 0.05
    done
    die "nothing listens on port $P"
}

java_scene() {
    if ! java_setup; then
        [ "${CI:-}" = true ] && die "CI=true and the Java scenes need $java_why"
        skipped+=("java-* (they need $java_why)")
        return 1
    fi
}

# tcp-client against the article's TcpServer; the article's TcpClient
# against tcp-server; the two Java programs together.
scene_java() {
    java_scene || return 0
    # What the reader types: the code out of the article, compiled.
    mkdir -p "$work/build-java"
    cp "$article" "$work/build-java/article.txt"
    cd "$work/build-java" || die "no directory $work/build-java"
    run 8 "mkdir java"
    run 8 "$JAVA_EXTRACT"
    run 8 "javac -d java java/TcpServer.java java/TcpClient.java"
    run 8 "ls java/com/justsee/tcpip"
    cd "$ROOT" || die "no directory $ROOT"
    emit 8 java-build
    scene_end

    pick_port
    launch 1 "java -cp java com.justsee.tcpip.TcpServer"
    wait_listen
    launch 2 "./build/tcp-client 127.0.0.1 8080"
    wait_for 2 "welcome!"
    typ 2 "hello"
    ended 2
    ended 1
    emit 1 java-server
    emit 2 java-server-client
    scene_end

    launch 1 "./build/tcp-server 8080" server
    launch 2 "java -cp java com.justsee.tcpip.TcpClient 127.0.0.1 8080"
    wait_for 1 "connected "
    typ 2 "hello"
    wait_lines 2 3          # the command, hello, welcome!
    typ 2 "你好"
    wait_lines 2 5
    typ 2 "quit"
    ended 2
    ctrl_c 1
    emit 1 java-client-server
    emit 2 java-client
    scene_end

    pick_port
    launch 1 "java -cp java com.justsee.tcpip.TcpServer"
    wait_listen
    launch 2 "java -cp java com.justsee.tcpip.TcpClient 127.0.0.1 8080"
    typ 2 "hello"
    ended 1
    wait_lines 2 3          # the command, hello, welcome!
    typ 2 "again"
    ended 2
    emit 1 java-pair-server
    emit 2 java-pair-client
    scene_end
}

# Wait (at most 5 s) until terminal N shows TEXT on COUNT lines: for a
# program started a second time in the same terminal.
wait_count() {
    local i
    for i in $(seq 1 100); do
        [ "$(grep -cF -- "$2" "$(log "$1")" 2>/dev/null)" -ge "$3" ] && return 0
        sleep 0.05
    done
    die "terminal $1 never showed '$2' $3 times:"$'\n'"$(cat "$(log "$1")")"
}

# The local scenes run in a directory of their own, so that the socket
# file reads lesson.sock, as in the docs; it goes when the scene ends.
local_dir=""
local_begin() {
    local_dir="$work/local"
    rm -rf "$local_dir"
    mkdir -p "$local_dir"
    cd "$local_dir" || die "no directory $local_dir"
}
local_end() {
    scene_end
    cd "$ROOT" || die "no directory $ROOT"
    rm -rf "$local_dir"
}

# The exchange over an AF_LOCAL stream socket: a path names the server;
# the socket file, ss -x, and the file gone when the server exits.  Then
# a server killed on the spot (SIGQUIT, which it does not catch) leaves
# its file behind: refused, replaced on restart, a live one not.
scene_local() {
    ulimit -c 0             # no core file from the SIGQUIT below
    local_begin
    launch 1 "./build/tcp-server -t -U lesson.sock"
    wait_for 1 "listening on "
    launch 2 "./build/tcp-client -t -U lesson.sock"
    typ 2 "hello"
    typ 2 "quit"
    ended 2
    run 3 "ls -l lesson.sock"
    run 3 "ss -xlp 'src lesson.sock'"
    ctrl_c 1
    run 3 "ls -l lesson.sock"
    emit 1 local-trace-server
    emit 2 local-trace-client
    emit 3 local-file
    scene_end

    launch 1 "./build/tcp-server -U lesson.sock"
    wait_for 1 "listening on "
    say 1 '^\'
    kill -QUIT "${PID[1]}"
    wait "${PID[1]}" 2>/dev/null   # reaped here, so bash says nothing of the signal
    ended 1
    run 2 "ls -l lesson.sock"
    run 2 "./build/tcp-client -U lesson.sock"
    launch 1 "./build/tcp-server -U lesson.sock"
    wait_count 1 "listening on " 2
    run 2 "./build/tcp-server -U lesson.sock"
    run 2 "touch lesson.txt"
    run 2 "./build/tcp-server -U lesson.txt"
    run 2 "rm lesson.txt"
    ctrl_c 1
    emit 1 local-stale-server
    emit 2 local-stale-shell
    local_end
}

# The exchange over UDP: socket and bind, then datagrams; ss -u.  Then a
# peer that leaves without quit, which the server cannot see, and a
# client sending to a port where nothing receives.
scene_udp() {
    launch 1 "./build/tcp-server -t -u 8080" server
    run 3 "ss -ulnp 'sport = :8080'"
    launch 2 "./build/tcp-client -t -u 127.0.0.1 8080"
    run 3 "ss -unp '( dport = :8080 )'"
    typ 2 "hello"
    typ 2 "quit"
    ended 2
    ctrl_c 1
    emit 1 udp-trace-server
    emit 2 udp-trace-client
    emit 3 udp-ss
    scene_end

    launch 1 "./build/tcp-server -u 8080" server
    launch 2 "./build/tcp-client -u 127.0.0.1 8080"
    typ 2 "hello"
    typ 2 "你好"
    ctrl_d 2
    ctrl_c 1
    launch 2 "./build/tcp-client -u 127.0.0.1 8080"
    typ 2 "hello"
    ended 2
    emit 1 udp-server
    emit 2 udp-client
    scene_end
}

# The third column: SOCK_SEQPACKET over AF_LOCAL, a connection that
# keeps each message whole; both traced, in the local scenes' directory.
scene_seqpacket() {
    local_begin
    launch 1 "./build/tcp-server -t -U lesson.sock --seqpacket"
    wait_for 1 "listening on "
    launch 2 "./build/tcp-client -t -U lesson.sock --seqpacket"
    typ 2 "hello"
    typ 2 "quit"
    ended 2
    ctrl_c 1
    emit 1 seqpacket-server
    emit 2 seqpacket-client
    local_end
}

# AF_ROUTE as Linux has it: the netlink socket `ip` talks to the kernel
# through, as strace shows it (its first socket, whatever the version of
# iproute2).  Needs strace (and ptrace); skipped without it, failed
# without it when CI=true.
scene_netlink() {
    if ! command -v strace >/dev/null || ! strace -o /dev/null true 2>/dev/null; then
        [ "${CI:-}" = true ] && die "CI=true and the netlink scene needs strace"
        skipped+=("netlink-* (they need strace)")
        return 0
    fi
    run 1 "strace -e trace=socket ip link show lo 2>&1 >/dev/null | head -1"
    emit 1 netlink-ip
    scene_end
}

# ------------------------------------------------------------ the check

# Both sides of a comparison, with what may vary masked.
normalize() {
    sed -E -e 's/[[:space:]]+/ /g' -e 's/ $//' \
        -e 's/\b8080\b/@PORT@/g' \
        -e 's/(:|\]:)[0-9]{2,5}\b/\1*/g' \
        -e 's/@PORT@/8080/g' \
        -e 's/pid=[0-9]+/pid=*/g' \
        -e 's/proc\/[0-9]+/proc\/*/g' -e 's/socket:\[[0-9]+\]/socket:[*]/g' \
        -e 's/^([-bcdlps][-rwxsStT]{9}[.+]?) [0-9]+ [^ ]+ [^ ]+ [0-9]+ [A-Z][a-z]{2} [0-9 ]+ [0-9:*]{2,5} /\1 * * * * * /' \
        -e 's/^(u_[a-z]+ [A-Z]+ [0-9]+ [0-9]+ [^ ]+ )[0-9]+ /\1* /' \
        -e 's/^(disconnected unix:\(unnamed\)) \((gone|reset|eof)\)$/\1 (*)/' \
        -e 's/^\[(pid|thread) [0-9]+\] /[\1 *] /' \
        -e '/^ ?at java\.base\//d' \
        -e '/^(\[[a-z]+ \*\] )?[a-z]+\([0-9]+.*\) = -1 EAGAIN /d' \
        -e 's/^((\[[a-z]+ \*\] )?shutdown\([0-9]+, SHUT_WR\) = 0 state )[A-Z_0-9]+/\1*/' \
        -e 's/^((\[[a-z]+ \*\] )?(write|read)\([0-9]+, .*\) = [1-9][0-9]*( .*)?) state [A-Z_0-9]+/\1/' \
        -e 's/^[0-9]+\.[0-9]{6} /T /' \
        -e 's/\((j|k)=[0-9]+\)/(\1=*)/g' \
        -e 's/ -{2,}>( |$)/ ->\1/' -e 's/ -{2,}( |$)/ -\1/g' \
        -e 's/timer:\(timewait,[0-9]+sec,0\)/timer:(timewait,*sec,0)/'
}

scenes=(${DOCS_SCENES:-exchange naming trace wire handshake accept close reset refcount fork java local udp seqpacket netlink})
[ "$pointers_only" = 0 ] || scenes=()
for s in "${scenes[@]}"; do
    printf 'docs-check: scene %s\n' "$s"
    "scene_$s"
done

if [ -n "${DOCS_SHOW:-}" ]; then        # print every fresh transcript
    for f in "$work"/out/*; do
        printf '== %s\n' "${f##*/}"
        cat "$f"
    done
fi

checked=0
failed=0
for doc in "${DOCS[@]}"; do
    [ -f "$doc" ] && [ "$pointers_only" = 0 ] || continue
    names=$(sed -n 's/^<!-- transcript: \([a-z0-9-]*\) -->$/\1/p' "$doc")
    for name in $names; do
        fresh="$work/out/$name"
        if [ ! -f "$fresh" ] && [[ " ${skipped[*]} " == *" ${name%%-*}-* "* ]]; then
            continue
        fi
        if [ ! -f "$fresh" ]; then
            echo "docs-check: ${doc#$ROOT/}: no scene makes transcript '$name'" >&2
            failed=$((failed + 1))
            continue
        fi
        # The block: the fence after the marker, up to the closing fence.
        awk -v n="$name" '
            $0 == "<!-- transcript: " n " -->" { want = 1; next }
            want == 1 && /^```/ { want = 2; next }
            want == 2 && /^```/ { exit }
            want == 2 { print }
        ' "$doc" >"$work/shown"
        if [ "$update" = 1 ]; then
            awk -v n="$name" -v f="$fresh" '
                $0 == "<!-- transcript: " n " -->" { print; want = 1; next }
                want == 1 && /^```/ { print; while ((getline l < f) > 0) print l; want = 2; next }
                want == 2 && /^```/ { print; want = 0; next }
                want == 2 { next }
                { print }
            ' "$doc" >"$work/doc" && cat "$work/doc" >"$doc"
        elif ! diff -u <(normalize <"$work/shown") <(normalize <"$fresh") \
                >"$work/diff"; then
            echo "docs-check: ${doc#$ROOT/}: transcript '$name' is not what the commands print now:" >&2
            sed 's/^/    /' "$work/diff" >&2
            failed=$((failed + 1))
            continue
        fi
        checked=$((checked + 1))
    done
done
# A pointer into the code, [src/FILE:N](../src/FILE#LN): `CODE`, must
# still point at that code: line N of src/FILE contains CODE.  With
# --update a pointer whose code moved is pointed again at the one line of
# src/ that now holds it (when exactly one does; otherwise it fails).
refs=0
for doc in "${DOCS[@]}"; do
    [ -f "$doc" ] || continue
    while IFS= read -r ref; do
        file=$(sed -E 's/^\[(src\/[^]:]+):([0-9]+)\].*/\1/' <<<"$ref")
        line=$(sed -E 's/^\[(src\/[^]:]+):([0-9]+)\].*/\2/' <<<"$ref")
        link=$(sed -E 's/^\[[^]]*\]\(([^)#]*)#L([0-9]+)\).*/\1/' <<<"$ref")
        anchor=$(sed -E 's/^\[[^]]*\]\([^)#]*#L([0-9]+)\).*/\1/' <<<"$ref")
        code=$(sed -E 's/^[^`]*`([^`]*)`$/\1/' <<<"$ref")
        have=$(sed -n "${line}p" "$ROOT/$file" 2>/dev/null)
        refs=$((refs + 1))
        if [ "$anchor" = "$line" ] && [ "$link" = "../$file" ] &&
           [[ "$have" == *"$code"* ]]; then
            continue
        fi
        if [ "$update" = 1 ]; then
            hits=$(cd "$ROOT" && grep -rnF -- "$code" src)
            if [ -n "$hits" ] && [ "$(wc -l <<<"$hits")" -eq 1 ]; then
                nfile=${hits%%:*} rest=${hits#*:}
                nline=${rest%%:*}
                fixed="[$nfile:$nline](../$nfile#L$nline): \`$code\`"
                REF="$ref" FIXED="$fixed" perl -0pi -e \
                    's/\Q$ENV{REF}\E/$ENV{FIXED}/g' "$doc"
                echo "docs-check: ${doc#$ROOT/}: \`$code\` now at $nfile:$nline"
                continue
            fi
        fi
        echo "docs-check: ${doc#$ROOT/}: $file:$line is not \`$code\` any more; it reads: $have" >&2
        failed=$((failed + 1))
    done < <(grep -oE '\[src/[^]:]+:[0-9]+\]\([^)]*\): `[^`]+`' "$doc")
done

# The two tutorials tell the same story: the same transcripts, in the
# same order.
if [ "$pointers_only" = 0 ] && [ -f "$ROOT/docs/tutorial.zh-CN.md" ]; then
    list() { sed -n 's/^<!-- transcript: \([a-z0-9-]*\) -->$/\1/p' "$1"; }
    if ! diff -u <(list "$ROOT/docs/tutorial.md") <(list "$ROOT/docs/tutorial.zh-CN.md") \
            >"$work/diff"; then
        echo "docs-check: docs/tutorial.md and docs/tutorial.zh-CN.md do not show the same transcripts in the same order:" >&2
        sed 's/^/    /' "$work/diff" >&2
        failed=$((failed + 1))
    fi
fi

if [ "$failed" -gt 0 ]; then
    echo "docs-check: $failed problem(s); $checked transcripts match" >&2
    exit 1
fi
echo "docs-check: $checked transcripts match a fresh run, $refs pointers into src/ hold${skipped:+ (skipped: ${skipped[*]})}"

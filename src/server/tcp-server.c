/*
 * tcp-server.c - the article's server, runnable: socket, bind, listen,
 * then accept clients and answer each with "welcome!" and an echo of every
 * line until it says quit.  This file only reads the command line and
 * sets the stage; libsock opens the socket and the chosen design
 * (--model: serve_*.c) serves.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "libsock.h"
#include "escape.h"
#include "server_args.h"
#include "std_fds.h"
#include "serve.h"
#include "logq.h"
#include "server_hold.h"
#include "trace_log.h"
#include "stop_signal.h"

/* The program's name, said once: the log queue (logq_errorf) and the
 * messages written before it exists put it in front of their lines. */
static const char prog[] = "tcp-server";

/* A message on stderr before the log queue exists: "PROG: ...", written
 * in one piece. */
static void complain(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static void complain(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n = snprintf(line, sizeof line, "%s: ", prog);

    if (n < 0 || (size_t)n >= sizeof line)
        return;
    va_start(ap, fmt);
    /* clang-tidy 14's analyzer loses track of va_start here (as in
     * logq.c); ap is initialized on the line above. */
    (void)vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
    va_end(ap);
    fputs(line, stderr);
}

/* The log queue's size: room for thousands of ordinary lines, and always
 * for one longest line, escaped. */
static size_t log_room(size_t max_line)
{
    const size_t usual = (size_t)256 * 1024;
    size_t longest = ESCAPE_MAX(max_line) + 1024;

    return longest > usual ? longest : usual;
}

/*
 * Every client is a descriptor.  Raise the soft open-file limit to what
 * the server may hold (SERVER_MAX_CONNS: the sessions, and clients being
 * told goodbye) plus the listener, stdio and a spare, up to the hard
 * limit, and say so if even that is too low for the sessions.
 */
static void raise_fd_limit(size_t max_clients)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)SERVER_MAX_CONNS(max_clients) + 16;
    rlim_t need = (rlim_t)max_clients + 16;

    if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want
                      ? rl.rlim_max : want;
    if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
        (void)getrlimit(RLIMIT_NOFILE, &rl);   /* report what we have */
    if (rl.rlim_cur < need)
        complain("open-file limit is %llu: fewer than --max-clients %zu "
                 "clients can be served at once; the rest are told the server is busy\n",
                 (unsigned long long)rl.rlim_cur, max_clients);
}

/* Which file a local socket's name is (device and inode), so that
 * only that one is removed at exit.  Abstract names have none. */
struct socket_file {
    unsigned long long dev, ino;
};

static int note_socket_file(const char *name, struct socket_file *f)
{
    struct stat st;

    if (name[0] == '@')
        return 0;
    if (stat(name, &st) == -1)
        return -1;
    f->dev = (unsigned long long)st.st_dev;
    f->ino = (unsigned long long)st.st_ino;
    return 0;
}

#ifdef __linux__
#define DEFAULT_MODEL_NAME "epoll"
#else
#define DEFAULT_MODEL_NAME "poll"
#endif

static void usage(FILE *f)
{
    fputs("usage: tcp-server [-4|-6] [-b ADDR] [--once] [--max-clients N]\n"
          "                  [--max-per-ip N] [--max-line BYTES] [--idle-timeout SEC]\n"
          "                  [--backlog N] [--no-accept] [--model NAME] [-U PATH | -u]\n"
          "                  [--seqpacket] [--udp-rate N]\n"
          "                  [-t|--trace] [-q|--quiet] [-h|--help] [-V|--version] [PORT]\n"
          "\n"
          "Answer every client with \"welcome!\", then echo each line it\n"
          "sends until it sends \"quit\".\n"
          "\n"
          "  PORT              port to listen on (default 8080; 0: any free one)\n"
          "  -4, -6            IPv4 only, IPv6 only (default: both)\n"
          "  -b, --bind ADDR   listen on one address only (name or literal)\n"
          "  --once            serve one client, then exit (as the article's server)\n"
          "  --max-clients N   clients at once; more are told \"server busy\" (default 1024)\n"
          "  --max-per-ip N    clients at once from one IP address (default 0: no limit)\n"
          "  --max-line BYTES  longest line accepted, newline included (default 8192)\n"
          "  --idle-timeout SEC  close a client silent this long, or one that does not\n"
          "                    read its replies for this long (default 300; 0: never)\n"
          "  --backlog N       listen's backlog: finished handshakes the kernel may\n"
          "                    queue for accept (default: the system's maximum)\n"
          "  --no-accept       socket, bind, listen, then never accept: watch the\n"
          "                    kernel finish handshakes on its own (a lesson)\n"
          "  --model NAME      how clients are served:\n"
          "                      iterative  one at a time, as the article's server;\n"
          "                                 the others wait in the backlog\n"
          "                      fork       a process per client\n"
          "                      thread     a thread per client\n"
          "                      poll       one thread, poll() over every socket\n"
          "                      epoll      one thread, epoll (Linux)\n"
          "                    (default: " DEFAULT_MODEL_NAME ")\n"
          "  -U PATH           a local (AF_LOCAL) stream socket at PATH instead of\n"
          "                    TCP (@NAME: a Linux abstract name); a stale socket\n"
          "                    file is replaced, and removed at exit\n"
          "  --seqpacket       with -U: a SOCK_SEQPACKET socket, which keeps message\n"
          "                    boundaries on a connection: each message is a line\n"
          "  -u                UDP instead of TCP: no listen, no accept; each\n"
          "                    datagram is a line, peers are kept in a table\n"
          "  --udp-rate N      with -u: replies a second to one peer, those over it\n"
          "                    dropped (default 1000; 0: no limit)\n"
          "  -t, --trace       narrate every socket call and TCP state on stderr\n"
          "  -q, --quiet       do not report connects and disconnects; given\n"
          "                    twice, do not log received lines either\n"
          "  -h, --help        show this help\n"
          "  -V, --version     show the version\n", f);
}

static int run_design(int model, int lfd, const struct server_config *cfg)
{
    switch (model) {
    case MODEL_ITERATIVE: return serve_iterative_run(lfd, cfg, &stop_requested);
    case MODEL_FORK:      return serve_fork_run(lfd, cfg, &stop_requested);
    case MODEL_THREAD:    return serve_thread_run(lfd, cfg, &stop_requested);
    case MODEL_POLL:      return serve_poll_run(lfd, cfg, &stop_requested);
    default:              return serve_epoll_run(lfd, cfg, &stop_requested);
    }
}

int main(int argc, char **argv)
{
    struct server_args a;
    struct server_config cfg;
    struct sock_err why;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char err[200], where[SOCK_ADDR_TEXT_MAX];
    struct socket_file file = { 0, 0 };
    int lfd, rc, backlog;

    switch (server_args_parse(argc, argv, &a, err, sizeof err)) {
    case ARGS_HELP:
        usage(stdout);
        return 0;
    case ARGS_VERSION:
        printf("%s (libsock) %s\n", prog, LIBSOCK_VERSION);
        return 0;
    case ARGS_USAGE:
        complain("%s\n", err);
        fprintf(stderr, "Try '%s --help' for more information.\n", prog);
        return 2;
    case ARGS_RUN:
        break;
    }

    fill_std_fds();
    /* A client that vanishes must cost us an EPIPE, never our life. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR || stop_signal_catch() == -1) {
        complain("sigaction: %s\n", strerror(errno));
        return 1;
    }

    raise_fd_limit(a.max_clients);
    if (a.trace)
        trace_to_fd(STDERR_FILENO);   /* until the log queue exists */
    /* By default the system's largest backlog: a burst of clients must
     * find room in the queue of finished handshakes, or they wait for a
     * welcome that never comes. */
    backlog = a.backlog >= 0 ? a.backlog : sock_backlog_max();
    if (a.local != NULL)
        lfd = sock_listen_local_type(a.local, a.seqpacket ? SOCK_SEQPACKET
                                                          : SOCK_STREAM,
                                     backlog, &why);
    else if (a.udp)
        lfd = sock_udp_open(a.bind, a.port, a.family, &why);
    else
        lfd = sock_listen_on(a.bind, a.port, a.family, backlog, &why);
    if (lfd == -1) {
        complain("%s\n", why.msg);
        return 1;
    }
    if (getsockname(lfd, (struct sockaddr *)&ss, &len) == -1 ||
        sock_addr_text((struct sockaddr *)&ss, len, where, sizeof where) == -1) {
        complain("getsockname: %s\n", strerror(errno));
        sock_close(lfd);
        return 1;
    }
    if (a.local != NULL && note_socket_file(a.local, &file) == -1) {
        complain("stat unix:%s: %s\n", a.local, strerror(errno));
        sock_close(lfd);
        return 1;
    }
    /* Opened after the listener, so that in a trace the article's socket
     * gets the first free descriptor, 3.  A signal before this only sets
     * the flag, which the loop checks first. */
    cfg.wake_fd = stop_signal_pipe();
    if (cfg.wake_fd == -1) {
        complain("pipe: %s\n", strerror(errno));
        sock_close(lfd);
        return 1;
    }
    /* From here on the log goes through a queue that never blocks us. */
    cfg.log = logq_open(STDOUT_FILENO, STDERR_FILENO, log_room(a.max_line),
                        prog);
    if (cfg.log == NULL) {
        complain("log: %s\n", strerror(errno));
        sock_close(lfd);
        return 1;
    }
    if (a.trace)
        trace_to_log(cfg.log);
    logq_printf(cfg.log, LOGQ_ERR, "listening on %s%s\n", a.udp ? "udp:" : "",
                where);

    cfg.max_line = a.max_line;
    cfg.max_clients = a.max_clients;
    cfg.max_per_ip = a.max_per_ip;
    cfg.idle_ms = a.idle_timeout * 1000;
    cfg.once = a.once;
    cfg.quiet = a.quiet;
    cfg.wake_keep = 0;
    cfg.stop_ms = 0;
    cfg.udp_rate = a.udp_rate;
    cfg.seqpacket = a.seqpacket;
    if (a.udp)
        rc = serve_udp_run(lfd, &cfg, &stop_requested);
    else
        rc = a.no_accept ? server_hold(lfd, &cfg, &stop_requested)
                         : run_design(a.model, lfd, &cfg);
    /* A socket file stays on disk after close: the server removes its
     * own, and only its own. */
    if (a.local != NULL &&
        sock_local_unlink(a.local, file.dev, file.ino) == -1)
        logq_errorf(cfg.log, "unix:%s not removed: %s\n", a.local,
                    errno == EEXIST ? "another socket is there now"
                    : errno == EWOULDBLOCK ? "another server is starting there"
                                           : strerror(errno));
    /* What is still queued gets a moment to reach a slow reader; after a
     * signal only what is left of the second a stop may take ("exits 0
     * within a second": docs/tcp-server.1, DESCRIPTION; docs/robustness.md,
     * "System faults and signals"). */
    (void)logq_close(cfg.log, stop_requested ? 100 : 1000);  /* drops: it said so */
    return rc;
}

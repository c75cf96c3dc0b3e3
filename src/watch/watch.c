/*
 * watch.c - tcp-watch's loop (watch.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/wait.h>

#include "command.h"
#include "fd_io.h"
#include "frame.h"
#include "render.h"
#include "timeline.h"
#include "track.h"
#include "watch.h"

#define HOLD_NS      200000000L  /* how long events wait to be ordered */
#define TICK_MS      50
#define LINE_MAX_    4096        /* a command's line, at most (longer ones
                                  * are cut in pieces) */
#define OUT_SIZE     65536
#define LINGER_NS    1000000000L /* after the command ends, wait at most
                                  * this for its output to end too */

struct watch {
    const struct watch_args *a;
    struct capture *cap;
    struct tracker tr;
    struct render r;
    struct timeline tl;
    int timed;                   /* a command: through the timeline */
    struct timespec start;
    unsigned long segments, datagrams, malformed;
    char line[LINE_MAX_];
    size_t line_len;
    char out[OUT_SIZE];
    size_t out_len;
    int out_failed;
};

static volatile sig_atomic_t got_stop;

static void on_signal(int sig)
{
    got_stop = sig;
}

static struct timespec now_real(void)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    return t;
}

static long long ns_between(const struct timespec *a, const struct timespec *b)
{
    return (long long)(b->tv_sec - a->tv_sec) * 1000000000LL +
           (b->tv_nsec - a->tv_nsec);
}

static void out_flush(struct watch *w)
{
    if (w->out_len > 0 && !w->out_failed &&
        fd_write_all(STDOUT_FILENO, w->out, w->out_len) == -1)
        w->out_failed = 1;   /* a closed pipe: go on counting */
    w->out_len = 0;
}

static void out_put(struct watch *w, const char *p, size_t len)
{
    if (w->out_len + len > sizeof w->out)
        out_flush(w);
    if (len > sizeof w->out) {
        if (!w->out_failed && fd_write_all(STDOUT_FILENO, p, len) == -1)
            w->out_failed = 1;
        return;
    }
    memcpy(w->out + w->out_len, p, len);
    w->out_len += len;
}

/* An event's turn has come: print it (or keep it for the diagram). */
static void emit(enum tl_kind kind, unsigned conn, const char *text,
                 size_t len, void *arg)
{
    struct watch *w = arg;
    char buf[RENDER_MAX];

    if (kind == TL_LINE) {
        len = render_line(&w->r, text, len, buf, sizeof buf);
        text = buf;
    }
    if (w->r.view == VIEW_MERMAID)
        render_keep(&w->r, text, len, conn);
    else
        out_put(w, text, len);
}

static void on_frame(const unsigned char *p, size_t n, size_t wire_len,
                     const struct timespec *stamp, void *arg)
{
    struct watch *w = arg;
    struct frame f;
    char text[RENDER_MAX];
    size_t len;
    unsigned conn = 0;
    /* From when the socket began to hear; a frame the kernel stamped a
     * moment before that, and handed over after, counts as at 0. */
    long long ns = ns_between(&w->start, stamp);
    double secs = (double)(ns > 0 ? ns : 0) / 1e9;
    enum frame_result r = frame_parse(p, n, w->cap->link, &f);

    (void)wire_len;
    if (r == FRAME_BAD)
        w->malformed++;
    if (r != FRAME_OK || (f.sport != w->a->port && f.dport != w->a->port))
        return;
    if (f.proto == IPPROTO_TCP) {
        struct track_event ev;

        track_segment(&w->tr, &f, &ev);
        len = render_tcp(&w->r, &f, &ev, secs, text, sizeof text);
        conn = ev.conn->id;
        w->segments++;
    } else {
        len = render_udp(&w->r, &f, secs, text, sizeof text);
        w->datagrams++;
    }
    if (w->timed)
        timeline_add(&w->tl, stamp, NULL, TL_SEGMENT, conn, text, len, emit, w);
    else
        emit(TL_SEGMENT, conn, text, len, w);
}

/* One line of the command's output, stamped or not. */
static void command_line(struct watch *w, const char *line, size_t len)
{
    struct timespec began, ended;
    size_t skip = timeline_parse_stamps(line, len, &began, &ended);

    if (skip > 0) {
        timeline_add(&w->tl, &began, &ended, TL_LINE, 0, line + skip,
                     len - skip, emit, w);
    } else {
        /* Not a traced call: it happened when it arrived, or a little
         * before. */
        struct timespec t = now_real();

        timeline_add(&w->tl, &t, NULL, TL_LINE, 0, line, len, emit, w);
    }
}

/* Read what the command wrote; returns 0 at its end, 1 while it goes on. */
static int read_command(struct watch *w, int fd)
{
    char buf[8192];
    ssize_t n;
    int reads;

    for (reads = 0; reads < 64; reads++) {
        ssize_t i;

        n = read(fd, buf, sizeof buf);
        if (n == 0)
            break;
        if (n == -1)
            return errno == EAGAIN || errno == EINTR;
        for (i = 0; i < n; i++) {
            if (buf[i] == '\n' || w->line_len == sizeof w->line) {
                command_line(w, w->line, w->line_len);
                w->line_len = 0;
                if (buf[i] == '\n')
                    continue;
            }
            w->line[w->line_len++] = buf[i];
        }
    }
    if (n != 0)
        return 1;
    if (w->line_len > 0)
        command_line(w, w->line, w->line_len);
    w->line_len = 0;
    return 0;
}

static void catch_signals(int with_command)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;   /* no SA_RESTART: poll returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    /* Ctrl-C reaches the command too, from the terminal: let it end
     * its way, and stop when it has. */
    if (with_command)
        sa.sa_handler = SIG_IGN;
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void summary(struct watch *w, int have_status, int status)
{
    char extra[300] = "";

    if (w->malformed > 0)
        snprintf(extra, sizeof extra, "; %lu malformed frames skipped",
                 w->malformed);
    if (w->tr.forgotten > 0) {
        size_t l = strlen(extra);

        snprintf(extra + l, sizeof extra - l,
                 "; %lu connections forgotten to make room", w->tr.forgotten);
    }
    if (have_status) {
        size_t l = strlen(extra);

        if (WIFEXITED(status))
            snprintf(extra + l, sizeof extra - l, "; the command exited with status %d",
                     WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
            snprintf(extra + l, sizeof extra - l, "; the command was killed by signal %d",
                     WTERMSIG(status));
    }
    fprintf(stderr, "tcp-watch: %lu segment%s and %lu datagram%s shown, "
            "%u connection%s; the kernel dropped %lu frame%s%s\n",
            w->segments, w->segments == 1 ? "" : "s", w->datagrams,
            w->datagrams == 1 ? "" : "s", w->tr.next_id,
            w->tr.next_id == 1 ? "" : "s", w->cap->kernel_drops,
            w->cap->kernel_drops == 1 ? "" : "s", extra);
}

int watch_run(const struct watch_args *a, struct capture *cap)
{
    static struct watch w;       /* big buffers: not on the stack */
    pid_t child = -1;
    int child_out = -1, status = 0, have_status = 0, rc = 0, forwarded = 0;
    struct timespec child_done = {0, 0};
    struct sock_err why;

    memset(&w, 0, sizeof w);
    w.a = a;
    w.cap = cap;
    w.timed = a->command != NULL;
    if (track_init(&w.tr, WATCH_MAX_CONNS, a->port) == -1) {
        fprintf(stderr, "tcp-watch: out of memory\n");
        return 1;
    }
    render_init(&w.r, a->view, a->verbose);
    timeline_init(&w.tl);
    catch_signals(a->command != NULL);
    /* Said once a stop signal stops it the right way (with everything
     * seen shown, and the summary), not before: whoever waits for this
     * line may send one at once. */
    fprintf(stderr, "tcp-watch: watching TCP and UDP port %u on %s%s\n",
            (unsigned)a->port, a->iface,
            a->command == NULL ? " (Ctrl-C to stop)" : "");
    w.start = cap->opened;
    if (a->command != NULL &&
        command_start(a->command, &child, &child_out, &why) == -1) {
        fprintf(stderr, "tcp-watch: cannot run %s: %s\n", a->command[0],
                why.msg);
        return 1;
    }
    for (;;) {
        struct pollfd p[2];
        nfds_t nfds = 1;
        struct timespec t;

        out_flush(&w);
        p[0].fd = cap->fd;
        p[0].events = POLLIN;
        if (child_out != -1) {
            p[1].fd = child_out;
            p[1].events = POLLIN;
            nfds = 2;
        }
        if (poll(p, nfds, TICK_MS) == -1 && errno != EINTR) {
            fprintf(stderr, "tcp-watch: poll: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        if (capture_read(cap, 0, on_frame, &w) == -1) {
            fprintf(stderr, "tcp-watch: reading the packet socket: %s\n",
                    strerror(errno));
            rc = 1;
            break;
        }
        if (child_out != -1 && !read_command(&w, child_out)) {
            close(child_out);
            child_out = -1;
        }
        t = now_real();
        if (child > 0 && !have_status && waitpid(child, &status, WNOHANG) == child) {
            have_status = 1;
            child_done = t;
        }
        if (got_stop && child > 0 && !have_status && !forwarded) {
            kill(child, SIGTERM);    /* stop the command; then stop */
            forwarded = 1;
        }
        if (w.timed) {
            struct timespec limit = t;

            limit.tv_nsec -= HOLD_NS;
            if (limit.tv_nsec < 0) {
                limit.tv_nsec += 1000000000L;
                limit.tv_sec--;
            }
            timeline_flush(&w.tl, &limit, emit, &w);
        }
        if (a->command == NULL && got_stop)
            break;
        if (have_status && ns_between(&child_done, &t) >= HOLD_NS &&
            (child_out == -1 || ns_between(&child_done, &t) >= LINGER_NS))
            break;
    }
    /* What is still in the ring, then everything held, in order. */
    if (rc == 0 && capture_read(cap, 2 * TICK_MS, on_frame, &w) > 0)
        while (capture_read(cap, 0, on_frame, &w) > 0)
            ;
    timeline_flush(&w.tl, NULL, emit, &w);
    out_flush(&w);
    if (a->view == VIEW_MERMAID && render_mermaid_end(&w.r, STDOUT_FILENO) == -1)
        w.out_failed = 1;
    (void)capture_stats(cap);
    summary(&w, have_status, status);
    if (child_out != -1)
        close(child_out);
    timeline_free(&w.tl);
    render_free(&w.r);
    track_free(&w.tr);
    return rc;
}

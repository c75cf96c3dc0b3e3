/*
 * server.c - the server around its connections (server.h): the table,
 * the listener, who is let in (the limits, the spare descriptor for
 * EMFILE), who is turned away and how, and the stop.  Each connection
 * then follows conn.c's rules.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "libsock.h"
#include "escape.h"
#include "session.h"
#include "server.h"

#define STOP_ACCEPTS    4096  /* clients still in the accept queue told at a stop */
#define ACCEPTS_PER_TURN 256  /* a deep queue (a burst of clients) empties fast */
#define ACCEPT_PAUSE_MS  100  /* no descriptor even for "busy": wait */

/* Sessions open from this IP now.  A scan, done only with --max-per-ip:
 * a few microseconds per accept for a thousand clients. */
static size_t sessions_from(const struct server *s, const unsigned char ip[16])
{
    size_t i, k = 0;

    for (i = 0; i < s->n; i++)
        if (s->conns[i]->state == C_OPEN &&
            memcmp(s->conns[i]->ip, ip, 16) == 0)
            k++;
    return k;
}

/* Sessions open now, all (ip NULL) or from ip: here, or in the design
 * the hooks speak for. */
static size_t sessions_open(const struct server *s, const unsigned char *ip)
{
    if (s->hooks != NULL && s->hooks->sessions != NULL)
        return s->hooks->sessions(s->hooks->arg, ip);
    return ip == NULL ? s->open : sessions_from(s, ip);
}

/*
 * No slot, no descriptor or no time to spare for a goodbye: say why (busy,
 * or shutting down), send FIN, drop what the client already sent (unread
 * input would turn our close into a reset that can destroy the line) and
 * close.  A client that sends more after this may still see a reset; that
 * is the price of not holding what we do not have.
 */
void server_close_now(int fd, enum session_event why)
{
    struct session_reply r;

    session_respond(why, NULL, 0, 0, NULL, 0, &r);
    if (sock_set_nonblock(fd, 1) == 0 &&
        sock_write(fd, r.data, r.len) == (ssize_t)r.len &&
        sock_shutdown(fd, SHUT_WR) == 0) {
        char sink[512];
        int turns = 16;     /* what it sent so far, not what it goes on sending */

        while (turns-- > 0 && sock_read(fd, sink, sizeof sink) > 0)
            ;
    }
    sock_close(fd);
}

/* Tell a client we cannot serve that we are busy, with the same goodbye
 * as a session's end (FIN, drain) while fewer than max_clients goodbyes
 * are under way (SERVER_MAX_CONNS); past that, at once. */
static void turn_away(struct server *s, int fd, const struct sockaddr *sa,
                      socklen_t salen)
{
    if (s->n - s->open >= s->cfg->max_clients ||
        conn_add(s, fd, sa, salen, 0) == -1)
        server_close_now(fd, SESSION_FULL);
}

/* The spare descriptor: any cheap file will do. */
static int open_reserve(void)
{
    int fd = open("/dev/null", O_RDONLY);

    if (fd >= 0)
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);   /* best effort */
    return fd;
}

/*
 * Out of descriptors (EMFILE/ENFILE): the listener stays readable while
 * the client waits in the queue, so a plain loop would spin.  As libuv
 * and libev advise: give up the spare descriptor kept for this, accept
 * the client, tell it we are busy, close it, and take the spare again.
 * If even that fails, stop polling the listener for a moment.
 */
static void out_of_descriptors(struct server *s, int err, long long now)
{
    if (now - s->emfile_said >= 1000) {   /* say so once a second at most */
        logq_errorf(s->cfg->log, "accept: %s: turning clients away\n",
                    strerror(err));
        s->emfile_said = now;
    }
    if (s->reserve >= 0) {
        int fd;

        close(s->reserve);
        s->reserve = -1;
        fd = sock_accept(s->lfd, NULL, NULL);
        if (fd >= 0)
            server_close_now(fd, SESSION_FULL);
        s->reserve = open_reserve();
        if (fd >= 0 && s->reserve >= 0)
            return;
    }
    s->accept_paused_until = now + ACCEPT_PAUSE_MS;
}

void server_accept(struct server *s, long long now)
{
    int k;

    for (k = 0; k < ACCEPTS_PER_TURN && s->lfd >= 0; k++) {
        struct sockaddr_storage ss;
        struct sockaddr *sa = (struct sockaddr *)&ss;
        socklen_t len = sizeof ss;
        unsigned char ip[16];
        int fd = sock_accept(s->lfd, sa, &len);

        if (fd == -1) {
            if (errno == EMFILE || errno == ENFILE)
                out_of_descriptors(s, errno, now);
            else if (errno == ENOBUFS || errno == ENOMEM)
                s->accept_paused_until = now + ACCEPT_PAUSE_MS;
            return;   /* EAGAIN: nobody else waiting */
        }
        if (sock_set_nonblock(fd, 1) == -1) {
            logq_errorf(s->cfg->log, "accept: %s\n", strerror(errno));
            server_close_now(fd, SESSION_FULL);
            continue;
        }
        conn_peer_ip(sa, ip);
        if (sessions_open(s, NULL) >= s->cfg->max_clients ||
            (s->cfg->max_per_ip > 0 &&
             sessions_open(s, ip) >= s->cfg->max_per_ip)) {
            turn_away(s, fd, sa, len);
            continue;
        }
        if (s->hooks != NULL && s->hooks->hand_off != NULL) {
            if (s->hooks->hand_off(s->hooks->arg, fd, sa, len) == -1)
                turn_away(s, fd, sa, len);
        } else if (conn_add(s, fd, sa, len, 1) == -1) {
            logq_errorf(s->cfg->log, "accept: %s\n", strerror(errno));
            server_close_now(fd, SESSION_FULL);
            continue;
        }
        if (s->cfg->once && ++s->served == 1) {
            /* The article's server: one client, then no more listening. */
            sock_close(s->lfd);
            s->lfd = -1;
        }
    }
}

void server_stop_listening(int lfd)
{
    int k, fd;

    for (k = 0; k < STOP_ACCEPTS && (fd = sock_accept(lfd, NULL, NULL)) >= 0;
         k++)
        server_close_now(fd, SESSION_STOPPING);
    sock_close(lfd);
}

/* Signal: no more clients.  Those that finished their handshake and wait
 * in the accept queue are taken and told (closing the listener would
 * reset them), then the listener goes, so new ones are refused.  Every
 * client is told and closed. */
void server_begin_stop(struct server *s)
{
    size_t i;

    if (s->lfd >= 0) {
        server_stop_listening(s->lfd);
        s->lfd = -1;
    }
    for (i = 0; i < s->n; i++)
        conn_stop(s, s->conns[i]);
}

/* Lower *timeout to reach `deadline` (poll's -1 means none yet). */
void server_wake_by(int *timeout, long long deadline, long long now)
{
    long long left = deadline - now;
    int t = left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;

    if (*timeout < 0 || t < *timeout)
        *timeout = t;
}

int server_init(struct server *s, const struct server_config *cfg, int lfd)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->lfd = lfd;
    s->emfile_said = -1000000;
    s->next_deadline = CONN_NEVER;
    s->conn_size = sizeof(struct conn);
    s->now = sock_clock_ms();
    s->reserve = lfd >= 0 ? open_reserve() : -1;
    s->shown = malloc(ESCAPE_LINE_MAX(SOCK_ADDR_TEXT_MAX, cfg->max_line));
    if (s->shown == NULL || (lfd >= 0 && sock_set_nonblock(lfd, 1) == -1))
        return -1;
    return 0;
}

void server_fini(struct server *s)
{
    while (s->n > 0)
        conn_free(s, s->n - 1);
    if (s->lfd >= 0)
        sock_close(s->lfd);
    s->lfd = -1;
    if (s->reserve >= 0)
        close(s->reserve);
    free(s->conns);
    free(s->shown);
}

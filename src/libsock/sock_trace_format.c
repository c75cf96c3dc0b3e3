/*
 * sock_trace_format.c - one trace event as one line, shaped like the
 * article's C signatures: "read(4, 8192) = 6 "hello\n"  (recv)".  The
 * hook decides where lines go; here they are only written into a buffer.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "sock_internal.h"

#define SHOW_BYTES 40   /* payload bytes shown before "..." */

/* A line being built: appends never overflow, the end is always NUL. */
struct line {
    char *buf;
    size_t size;
    size_t len;
};

static void add(struct line *l, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void add(struct line *l, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (l->len + 1 >= l->size)
        return;
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): set just above */
    n = vsnprintf(l->buf + l->len, l->size - l->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n < l->size - l->len ? (size_t)n
                                                : l->size - l->len - 1;
}

/* The errno values a socket call reports, by the names the man pages use. */
static const char *errno_name(int err)
{
    switch (err) {
    case EAGAIN:          return "EAGAIN";
    case EINTR:           return "EINTR";
    case EINPROGRESS:     return "EINPROGRESS";
    case EALREADY:        return "EALREADY";
    case ECONNREFUSED:    return "ECONNREFUSED";
    case ECONNRESET:      return "ECONNRESET";
    case ECONNABORTED:    return "ECONNABORTED";
    case ETIMEDOUT:       return "ETIMEDOUT";
    case EPIPE:           return "EPIPE";
    case EADDRINUSE:      return "EADDRINUSE";
    case EADDRNOTAVAIL:   return "EADDRNOTAVAIL";
    case EAFNOSUPPORT:    return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ENETUNREACH:     return "ENETUNREACH";
    case EHOSTUNREACH:    return "EHOSTUNREACH";
    case ENOTCONN:        return "ENOTCONN";
    case EISCONN:         return "EISCONN";
    case ENOTSOCK:        return "ENOTSOCK";
    case EBADF:           return "EBADF";
    case EACCES:          return "EACCES";
    case EPERM:           return "EPERM";
    case EINVAL:          return "EINVAL";
    case EMFILE:          return "EMFILE";
    case ENFILE:          return "ENFILE";
    case ENOBUFS:         return "ENOBUFS";
    case ENOMEM:          return "ENOMEM";
    case EFAULT:          return "EFAULT";
    case EIO:             return "EIO";
    case ENOENT:          return "ENOENT";
    case ENAMETOOLONG:    return "ENAMETOOLONG";
    case EMSGSIZE:        return "EMSGSIZE";
    default:              return NULL;
    }
}

static void add_errno(struct line *l, int err)
{
    const char *name = errno_name(err);
    char reason[96];

    if (err == EAGAIN || err == EWOULDBLOCK) {
        /* The one "failure" a non-blocking program meets all the time. */
        add(l, " EAGAIN (nothing to do now: the socket is non-blocking)");
        return;
    }
    if (strerror_r(err, reason, sizeof reason) != 0)
        snprintf(reason, sizeof reason, "error %d", err);
    if (name != NULL)
        add(l, " %s (%s)", name, reason);
    else
        add(l, " errno %d (%s)", err, reason);
}

static void add_addr(struct line *l, const struct sockaddr *sa,
                     socklen_t len)
{
    char text[SOCK_ADDR_TEXT_MAX];

    if (sa != NULL && sock_addr_text(sa, len, text, sizeof text) == 0)
        add(l, "%s", text);
    else if (sa != NULL)
        add(l, "(%s address)", sock__family_name(sa->sa_family));
    else
        add(l, "?");
}

/* One end of fd ("local" with getsockname, "peer" with getpeername). */
static void add_end(struct line *l, const char *label, int fd, int peer)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                 : getsockname(fd, (struct sockaddr *)&ss, &len);

    if (r == 0) {
        add(l, "  %s ", label);
        add_addr(l, (const struct sockaddr *)&ss, len);
    }
}

/* Bytes as a C string literal, cut after SHOW_BYTES. */
static void add_bytes(struct line *l, const unsigned char *p, size_t n)
{
    size_t i, shown = n < SHOW_BYTES ? n : SHOW_BYTES;

    add(l, "\"");
    /* cppcheck 2.10 wrongly takes n to be 0 here. */
    /* cppcheck-suppress knownConditionTrueFalse */
    for (i = 0; i < shown; i++) {
        unsigned char c = p[i];

        switch (c) {
        case '\n': add(l, "\\n"); break;
        case '\r': add(l, "\\r"); break;
        case '\t': add(l, "\\t"); break;
        case '\\': add(l, "\\\\"); break;
        case '"':  add(l, "\\\""); break;
        default:
            if (c >= 0x20 && c < 0x7f)
                add(l, "%c", c);
            else
                add(l, "\\x%02x", c);
        }
    }
    /* cppcheck-suppress knownConditionTrueFalse */
    add(l, "\"%s", shown < n ? "..." : "");
}

/* "  state NAME" (and the accept queue for a listener); nothing when the
 * kernel cannot tell.  With only_news, ESTABLISHED goes unsaid. */
static void add_state(struct line *l, int fd, int only_news)
{
    struct sock_tcp_info ti;

    if (sock_tcp_state(fd, &ti) == -1)
        return;
    if (only_news && strcmp(ti.name, "ESTABLISHED") == 0)
        return;
    add(l, "  state %s", ti.name);
    if (strcmp(ti.name, "LISTEN") == 0)
        add(l, "  queue %u/%u", ti.queued, ti.backlog);
}

/* What kind of socket fd is, for the words that differ: TCP has FIN and
 * a handshake, a local stream neither, UDP not even a stream. */
enum kind { K_TCP, K_LOCAL, K_DGRAM };

static enum kind kind_of(int fd)
{
    int type = SOCK_STREAM;
    socklen_t len = sizeof type;
    struct sockaddr_storage ss;
    socklen_t slen = sizeof ss;

    (void)getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
    if (type == SOCK_DGRAM)
        return K_DGRAM;
    if (getsockname(fd, (struct sockaddr *)&ss, &slen) == 0 &&
        ss.ss_family == AF_UNIX)
        return K_LOCAL;
    return K_TCP;
}

/* The descriptors whose connection a read or write found reset
 * (ECONNRESET).  After a reset the kernel reports end of file, read() =
 * 0, yet no FIN came: the line must not say that one did.  A note per
 * descriptor, cleared when the descriptor is closed or handed out again;
 * each is touched only by the thread serving that descriptor.  Beyond
 * RESET_FDS nothing is noted, and the line falls back to the TCP state
 * alone. */
#define RESET_FDS 1024
static unsigned char reset_seen[RESET_FDS];

static void note_reset(int fd, int on)
{
    if (fd >= 0 && fd < RESET_FDS)
        reset_seen[fd] = (unsigned char)on;
}

/* Whether the connection on fd was reset rather than closed with a FIN:
 * a reset was seen on it and the kernel has it CLOSE (a FIN alone leaves
 * CLOSE_WAIT; CLOSE also follows both FINs when this end sent the
 * first, hence the note). */
static int was_reset(int fd)
{
    struct sock_tcp_info ti;

    if (fd < 0 || fd >= RESET_FDS || !reset_seen[fd])
        return 0;
    return sock_tcp_state(fd, &ti) == -1 || strcmp(ti.name, "CLOSE") == 0;
}

/* " = RESULT" or " = -1 ENAME (reason)". */
static void add_result(struct line *l, const struct sock_trace_event *ev)
{
    add(l, " = %ld", ev->result);
    if (ev->result == -1)
        add_errno(l, ev->err);
}

static int is(const struct sock_trace_event *ev, const char *call)
{
    return strcmp(ev->call, call) == 0;
}

size_t sock_trace_format(const struct sock_trace_event *ev, char *out,
                         size_t size)
{
    struct line l;
    int failed = ev->result == -1;
    /* The wrappers retry these by themselves; the line says so. */
    int retried = failed && (ev->err == EINTR ||
                             (is(ev, "accept") && ev->err == ECONNABORTED));

    /* Remember resets, forget descriptors that are closed or new. */
    if ((is(ev, "read") || is(ev, "write")) && failed &&
        ev->err == ECONNRESET)
        note_reset(ev->fd, 1);
    else if (is(ev, "close") || is(ev, "close-before"))
        note_reset(ev->fd, 0);
    if (!failed && (is(ev, "socket") || is(ev, "accept")))
        note_reset((int)ev->result, 0);

    if (size == 0)
        return 0;
    l.buf = out;
    l.size = size;
    l.len = 0;
    out[0] = '\0';

    if (is(ev, "close-before")) {
        return 0;
    } else if (is(ev, "socket")) {
        add(&l, "socket(%s)", ev->args);
        add_result(&l, ev);
    } else if (is(ev, "bind") || is(ev, "connect") ||
               is(ev, "connect-done")) {
        add(&l, "%s(%d, ", is(ev, "bind") ? "bind" : "connect", ev->fd);
        add_addr(&l, ev->addr, ev->addrlen);
        add(&l, ")");
        add_result(&l, ev);
        if (is(ev, "connect-done") && ev->args[0] != '\0')
            add(&l, ", %s", ev->args);
        if (!is(ev, "bind") && (!failed || ev->err == EINPROGRESS)) {
            /* The handshake has begun or ended: both ends have names. */
            add_end(&l, "local", ev->fd, 0);
            add_state(&l, ev->fd, 0);
            if (!failed && kind_of(ev->fd) == K_DGRAM)
                add(&l, "  no handshake: UDP's connect only fixes the peer");
            else if (!failed && kind_of(ev->fd) == K_LOCAL)
                add(&l, "  no handshake: the kernel joined the two sockets");
        } else if (is(ev, "connect-done")) {
            add_state(&l, ev->fd, 0);     /* where it was when we gave up */
        }
    } else if (is(ev, "connect-wait")) {
        add(&l, "connect(%d, ", ev->fd);
        add_addr(&l, ev->addr, ev->addrlen);
        add(&l, ") ... waiting for the handshake, %s", ev->args);
        add_state(&l, ev->fd, 0);
    } else if (is(ev, "listen")) {
        add(&l, "listen(%d, %s)", ev->fd, ev->args);
        add_result(&l, ev);
        if (!failed)
            add_state(&l, ev->fd, 0);
    } else if (is(ev, "accept")) {
        add(&l, "accept(%d)", ev->fd);
        add_result(&l, ev);
        if (!failed) {
            add(&l, "  peer ");
            add_addr(&l, ev->addr, ev->addrlen);
            add_end(&l, "local", (int)ev->result, 0);
            add_state(&l, (int)ev->result, 0);
        }
    } else if (is(ev, "read")) {
        add(&l, "read(%d, %s)", ev->fd, ev->args);
        add_result(&l, ev);
        if (ev->result > 0) {
            add(&l, " ");
            add_bytes(&l, ev->data, ev->len);
        } else if (ev->result == 0) {
            switch (kind_of(ev->fd)) {
            case K_DGRAM: add(&l, " an empty datagram"); break;
            case K_LOCAL:
                add(&l, was_reset(ev->fd)
                            ? " end of file: the connection was reset"
                            : " end of file: the peer closed its side");
                break;
            default:
                add(&l, was_reset(ev->fd)
                            ? " end of file: the connection was reset, no FIN came"
                            : " end of file: the peer sent FIN");
                break;
            }
        }
        if (!failed)
            add_state(&l, ev->fd, ev->result != 0);
    } else if (is(ev, "write")) {
        add(&l, "write(%d, ", ev->fd);
        if (ev->data != NULL)
            add_bytes(&l, ev->data, ev->len);
        add(&l, ", %s)", ev->args);
        add_result(&l, ev);
        if (!failed)
            add_state(&l, ev->fd, 1);
    } else if (is(ev, "recvfrom")) {
        /* UDP: one whole datagram, and who sent it. */
        add(&l, "recvfrom(%d, %s)", ev->fd, ev->args);
        add_result(&l, ev);
        if (!failed) {
            add(&l, " ");
            add_bytes(&l, ev->data, ev->len);
            add(&l, "  from ");
            add_addr(&l, ev->addr, ev->addrlen);
        }
    } else if (is(ev, "sendto")) {
        add(&l, "sendto(%d, ", ev->fd);
        add_bytes(&l, ev->data, ev->len);
        add(&l, ", %s, ", ev->args);
        add_addr(&l, ev->addr, ev->addrlen);
        add(&l, ")");
        add_result(&l, ev);
    } else if (is(ev, "shutdown")) {
        add(&l, "shutdown(%d, %s)", ev->fd, ev->args);
        add_result(&l, ev);
        if (!failed)
            add_state(&l, ev->fd, 0);
    } else {
        add(&l, "%s(%d%s%s)", ev->call, ev->fd, ev->args[0] ? ", " : "",
            ev->args);
        add_result(&l, ev);
    }
    if (retried)
        add(&l, ", retrying");
    if (ev->sys != NULL)
        add(&l, "  (%s)", ev->sys);
    return l.len;
}

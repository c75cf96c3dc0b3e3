/*
 * render.c - segments, datagrams and the command's lines as text, in the
 * lines, ladder and Mermaid views (render.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "fd_io.h"
#include "render.h"

#define SHOW_BYTES  40   /* payload bytes shown before "...", as the trace */
#define STATE_COL   12   /* the ladder's state columns */
#define ARROW_WIDTH 56   /* the ladder's arrows, at least */

/* A bounded writer: appends while there is room, never overflows. */
struct out {
    char *p;
    size_t size, len;
};

static void put(struct out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int r;

    if (o->len >= o->size)
        return;
    va_start(ap, fmt);
    /* clang-tidy 14's analyzer loses track of va_start (as in
     * sock_trace.c); ap is started on the line above. */
    r = vsnprintf(o->p + o->len, o->size - o->len, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
    va_end(ap);
    if (r < 0)
        return;
    o->len += (size_t)r < o->size - o->len ? (size_t)r : o->size - o->len - 1;
}

/* n bytes appended as they are, cut as put() cuts: the per-byte path
 * (payloads, escapes), where a vsnprintf call a character was most of
 * what a segment cost. */
static void put_mem(struct out *o, const char *s, size_t n)
{
    size_t room;

    if (o->len >= o->size)
        return;
    room = o->size - o->len - 1;
    if (n > room)
        n = room;
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

void render_init(struct render *r, enum watch_view view, int verbose)
{
    memset(r, 0, sizeof *r);
    r->view = view;
    r->verbose = verbose;
}

void render_free(struct render *r)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        free(r->stmts[i]);
    free(r->stmts);
    r->stmts = NULL;
    r->n = r->cap = 0;
}

void render_endpoint(int family, const unsigned char *addr, unsigned port,
                     char *out, size_t size)
{
    char a[INET6_ADDRSTRLEN];

    if (inet_ntop(family, addr, a, sizeof a) == NULL)
        snprintf(a, sizeof a, "?");
    if (family == AF_INET6)
        snprintf(out, size, "[%s]:%u", a, port);
    else
        snprintf(out, size, "%s:%u", a, port);
}

/* Bytes as a C string literal cut after SHOW_BYTES, as the trace shows
 * them: nothing in them can act on the terminal. */
static void put_bytes(struct out *o, const unsigned char *p, size_t n,
                      size_t whole)
{
    static const char hex[] = "0123456789abcdef";
    char s[1 + 4 * SHOW_BYTES + 4];   /* '"', each byte as \xHH at most,
                                       * '"' and "..." */
    size_t i, k = 0;

    s[k++] = '"';
    for (i = 0; i < n && i < SHOW_BYTES; i++) {
        unsigned char c = p[i];

        switch (c) {
        case '\n': s[k++] = '\\'; s[k++] = 'n'; break;
        case '\r': s[k++] = '\\'; s[k++] = 'r'; break;
        case '\t': s[k++] = '\\'; s[k++] = 't'; break;
        case '\\': s[k++] = '\\'; s[k++] = '\\'; break;
        case '"':  s[k++] = '\\'; s[k++] = '"'; break;
        default:
            if (c >= 0x20 && c < 0x7f) {
                s[k++] = (char)c;
            } else {
                s[k++] = '\\';
                s[k++] = 'x';
                s[k++] = hex[c >> 4];
                s[k++] = hex[c & 0xf];
            }
        }
    }
    s[k++] = '"';
    if (i < whole) {
        s[k++] = '.';
        s[k++] = '.';
        s[k++] = '.';
    }
    put_mem(o, s, k);
}

size_t render_label(const struct frame *f, const struct track_event *ev,
                    int verbose, char *buf, size_t size)
{
    struct out o = {buf, size, 0};
    const struct track_conn *c = ev->conn;
    const struct track_end *me = ev->from_client ? &c->c : &c->s;
    const struct track_end *peer = ev->from_client ? &c->s : &c->c;
    char mine = ev->from_client ? 'j' : 'k', theirs = ev->from_client ? 'k' : 'j';
    char flags[40], n[32];

    if (size == 0)
        return 0;
    buf[0] = '\0';
    frame_flags_text(f->flags, flags, sizeof flags);
    put_mem(&o, flags, strlen(flags));
    /* A reset that answers a SYN carries no number of its own (seq 0). */
    if (!((f->flags & FRAME_RST) && f->seq == 0 && !me->has_isn)) {
        track_rel(me, mine, f->seq, n, sizeof n);
        put(&o, " seq=%s", n);
    }
    if (f->flags & FRAME_ACK) {
        track_rel(peer, theirs, f->ack, n, sizeof n);
        put(&o, " ack=%s", n);
    }
    if (f->len > 0) {
        put(&o, " len=%zu ", f->len);
        put_bytes(&o, f->data, f->captured, f->len);
    }
    if (verbose) {
        put(&o, " win=%u", (unsigned)f->win);
        if (f->opt.mss >= 0)
            put(&o, " mss=%d", f->opt.mss);
        if (f->opt.wscale >= 0)
            put(&o, " wscale=%d", f->opt.wscale);
        if (f->opt.sack_ok)
            put(&o, " sackOK");
        if (f->opt.sack_blocks > 0)
            put(&o, " sack=%d", f->opt.sack_blocks);
        if (f->opt.has_ts)
            put(&o, " ts=%lu/%lu", (unsigned long)f->opt.ts_val,
                (unsigned long)f->opt.ts_ecr);
    }
    if (ev->tell_j)
        put(&o, " (j=%lu)", (unsigned long)c->c.isn);
    if (ev->tell_k)
        put(&o, " (k=%lu)", (unsigned long)c->s.isn);
    if (ev->again)
        put(&o, " (again)");
    return o.len;
}

/* "[client SYN_SENT, server SYN_RECV]": the states that changed, the
 * sender's first; nothing when none did. */
static void put_changes(struct out *o, const struct track_event *ev)
{
    int cc = ev->client_after != ev->client_before;
    int sc = ev->server_after != ev->server_before;
    const char *first = ev->from_client ? "client" : "server";
    const char *second = ev->from_client ? "server" : "client";
    enum tcp_end_state a = ev->from_client ? ev->client_after : ev->server_after;
    enum tcp_end_state b = ev->from_client ? ev->server_after : ev->client_after;
    int ac = ev->from_client ? cc : sc, bc = ev->from_client ? sc : cc;

    if (!ac && !bc)
        return;
    put(o, "  [");
    if (ac)
        put(o, "%s %s", first, track_state_name(a));
    if (ac && bc)
        put(o, ", ");
    if (bc)
        put(o, "%s %s", second, track_state_name(b));
    put(o, "]");
}

/* Mermaid takes ';' and '#' as its own, and '<' as the start of HTML. */
static void put_mermaid_text(struct out *o, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        switch (s[i]) {
        case ';': put_mem(o, "#59;", 4); break;
        case '#': put_mem(o, "#35;", 4); break;
        case '<': put_mem(o, "#lt;", 4); break;
        case '>': put_mem(o, "#gt;", 4); break;
        default:  put_mem(o, s + i, 1);
        }
    }
}

static void keep(struct render *r, const char *stmt)
{
    char *copy;

    if (r->n >= RENDER_MERMAID_MAX) {
        r->left_out++;
        return;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        char **grown = realloc(r->stmts, cap * sizeof *grown);

        if (grown == NULL) {
            r->left_out++;
            return;
        }
        r->stmts = grown;
        r->cap = cap;
    }
    copy = strdup(stmt);
    if (copy == NULL) {
        r->left_out++;
        return;
    }
    r->stmts[r->n++] = copy;
}

static void mermaid_tcp(struct out *o, const struct track_event *ev,
                        const char *label)
{
    const struct track_conn *c = ev->conn;
    unsigned id = c->id;
    enum tcp_end_state sa = ev->from_client ? ev->client_after : ev->server_after;
    enum tcp_end_state sb = ev->from_client ? ev->client_before : ev->server_before;
    enum tcp_end_state ra = ev->from_client ? ev->server_after : ev->client_after;
    enum tcp_end_state rb = ev->from_client ? ev->server_before : ev->client_before;
    const char *from = ev->from_client ? "C" : "S", *to = ev->from_client ? "S" : "C";

    if (ev->is_new) {
        char ce[64], se[64];

        render_endpoint(c->family, c->caddr, c->cport, ce, sizeof ce);
        render_endpoint(c->family, c->saddr, c->sport, se, sizeof se);
        put(o, "participant C%u as client %s\n", id, ce);
        put(o, "participant S%u as server %s\n", id, se);
    }
    /* The sender's state where it sends, the receiver's where it
     * receives: RFC 9293's figures, in Mermaid's notes. */
    if (sa != sb)
        put(o, "Note %s of %s%u: %s\n", ev->from_client ? "left" : "right",
            from, id, track_state_name(sa));
    put(o, "%s%u->>%s%u: ", from, id, to, id);
    put_mermaid_text(o, label, strlen(label));
    put(o, "\n");
    if (ra != rb)
        put(o, "Note %s of %s%u: %s\n", ev->from_client ? "right" : "left",
            to, id, track_state_name(ra));
}

/* One ladder row: a state column, the arrow, a state column. */
static void ladder_row(struct out *o, const char *left, const char *label,
                       int rightward, const char *right)
{
    size_t lab = strlen(label), dashes, i;

    put(o, "%-*s ", STATE_COL, left);
    dashes = lab + 8 < ARROW_WIDTH ? ARROW_WIDTH - lab - 8 : 2;
    put(o, "%s %s ", rightward ? "---" : "<--", label);
    for (i = 0; i < dashes; i++)
        put_mem(o, "-", 1);
    put(o, "%s", rightward ? ">" : "-");
    if (right[0] != '\0')
        put(o, "  %s", right);
    put(o, "\n");
}

static void ladder_tcp(struct out *o, const struct track_event *ev,
                       const char *label)
{
    const struct track_conn *c = ev->conn;
    const char *left = "", *right = "";

    if (ev->is_new) {
        char ce[64], se[64];

        render_endpoint(c->family, c->caddr, c->cport, ce, sizeof ce);
        render_endpoint(c->family, c->saddr, c->sport, se, sizeof se);
        put(o, "\nconnection %u: client %s, server %s%s\n", c->id, ce, se,
            c->joined ? " (joined mid-connection: j and k are the first "
                        "numbers seen)" : "");
        /* Aligned with the rows: a state column, an arrow, a state. */
        put(o, "%-*s %*s  %s\n", STATE_COL, "client", ARROW_WIDTH - 2, "",
            "server");
        put(o, "%-*s %*s  %s\n", STATE_COL,
            track_state_name(ev->client_before), ARROW_WIDTH - 2, "",
            track_state_name(ev->server_before));
    }
    if (ev->client_after != ev->client_before)
        left = track_state_name(ev->client_after);
    if (ev->server_after != ev->server_before)
        right = track_state_name(ev->server_after);
    ladder_row(o, left, label, ev->from_client, right);
}

size_t render_tcp(struct render *r, const struct frame *f,
                  const struct track_event *ev, double secs, char *buf,
                  size_t size)
{
    struct out o = {buf, size, 0};
    char label[RENDER_MAX / 2], src[64], dst[64];

    if (size == 0)
        return 0;
    buf[0] = '\0';
    render_label(f, ev, r->verbose, label, sizeof label);
    if (r->view == VIEW_MERMAID) {
        mermaid_tcp(&o, ev, label);
        return o.len;
    }
    if (r->view == VIEW_LADDER) {
        ladder_tcp(&o, ev, label);
        return o.len;
    }
    render_endpoint(f->family, f->src, f->sport, src, sizeof src);
    render_endpoint(f->family, f->dst, f->dport, dst, sizeof dst);
    put(&o, "%.6f %s > %s  ", secs, src, dst);
    put_mem(&o, label, strlen(label));
    put_changes(&o, ev);
    if (ev->is_new && ev->conn->joined)
        put(&o, "  (joined mid-connection: j and k are the first numbers seen)");
    put(&o, "\n");
    return o.len;
}

size_t render_udp(struct render *r, const struct frame *f, double secs,
                  char *buf, size_t size)
{
    struct out o = {buf, size, 0};
    char src[64], dst[64];

    if (size == 0)
        return 0;
    buf[0] = '\0';
    render_endpoint(f->family, f->src, f->sport, src, sizeof src);
    render_endpoint(f->family, f->dst, f->dport, dst, sizeof dst);
    if (r->view == VIEW_MERMAID) {
        put(&o, "Note over C%u,S%u: UDP %s > %s len=%zu\n", r->last_conn,
            r->last_conn, src, dst, f->len);
        return o.len;
    }
    if (r->view == VIEW_LINES)
        put(&o, "%.6f ", secs);
    put(&o, "%s > %s  UDP len=%zu ", src, dst, f->len);
    put_bytes(&o, f->data, f->captured, f->len);
    put(&o, "\n");
    return o.len;
}

size_t render_line(struct render *r, const char *line, size_t len, char *buf,
                   size_t size)
{
    struct out o = {buf, size, 0};

    if (size == 0)
        return 0;
    buf[0] = '\0';
    if (r->view == VIEW_MERMAID) {
        size_t cut;

        /* The call and its result: the trace's details follow two
         * spaces, and a diagram's notes should stay short. */
        for (cut = 0; cut + 1 < len; cut++)
            if (line[cut] == ' ' && line[cut + 1] == ' ')
                break;
        if (cut + 1 >= len)
            cut = len;
        if (cut == 0)
            return 0;
        put(&o, "Note over C%u,S%u: ", r->last_conn, r->last_conn);
        put_mermaid_text(&o, line, cut);
        put(&o, "\n");
        return o.len;
    }
    /* As it came, NUL bytes and all; cut to leave room for the '\n'
     * and a NUL after it, as every rendering has. */
    if (size < 2)
        return 0;
    if (len > size - 2)
        len = size - 2;
    memcpy(buf, line, len);
    buf[len] = '\n';
    buf[len + 1] = '\0';
    return len + 1;
}

void render_keep(struct render *r, const char *text, size_t len,
                 unsigned conn)
{
    size_t start = 0, i;
    char st[RENDER_MAX];

    if (conn != 0)
        r->last_conn = conn;
    for (i = 0; i < len; i++) {
        if (text[i] != '\n')
            continue;
        if (i - start < sizeof st) {
            memcpy(st, text + start, i - start);
            st[i - start] = '\0';
            keep(r, st);
        } else {
            r->left_out++;
        }
        start = i + 1;
    }
}

int render_mermaid_end(struct render *r, int fd)
{
    char s[RENDER_MAX + 64];
    size_t i;
    int n;

    int pass;

    if (fd_write_all(fd, "sequenceDiagram\n", 16) == -1)
        return -1;
    /* Every participant first, so that a note never names one before
     * it is declared; then everything in the order it happened.  With
     * no connection at all (UDP, or only the command's lines), the
     * notes are drawn over a client and a server declared here. */
    for (i = 0; i < r->n && strncmp(r->stmts[i], "participant ", 12) != 0; i++)
        ;
    if (i == r->n &&
        fd_write_all(fd, "    participant C1 as client\n"
                         "    participant S1 as server\n", 58) == -1)
        return -1;
    for (pass = 0; pass < 2; pass++)
    for (i = 0; i < r->n; i++) {
        char *st = r->stmts[i];

        if ((strncmp(st, "participant ", 12) == 0) != (pass == 0))
            continue;

        /* A command's line before any connection: over the first one. */
        if (strncmp(st, "Note over C0,S0: ", 17) == 0) {
            n = snprintf(s, sizeof s, "    Note over C1,S1: %s\n", st + 17);
        } else {
            n = snprintf(s, sizeof s, "    %s\n", st);
        }
        if (n > 0 && fd_write_all(fd, s, (size_t)n < sizeof s ? (size_t)n
                                                       : sizeof s - 1) == -1)
            return -1;
    }
    if (r->left_out > 0) {
        n = snprintf(s, sizeof s, "    Note over C1,S1: %lu more not drawn\n",
                     r->left_out);
        if (n > 0 && fd_write_all(fd, s, (size_t)n) == -1)
            return -1;
    }
    return 0;
}

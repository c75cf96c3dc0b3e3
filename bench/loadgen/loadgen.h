/*
 * loadgen.h - what the files of loadgen share: the clients, the run
 * they are part of, and the transport interface that keeps TCP (and
 * AF_LOCAL) and UDP apart.
 *
 * loadgen is the benchmark's load generator: many clients of the
 * article's exchange ("welcome!", then an echo of every line until
 * "quit") in one process, with epoll and non-blocking sockets.  Every
 * byte a server sends back is checked against what it should be: the
 * welcome, and each echo against the line we sent.  A mismatch, a reset,
 * an early close or a timeout is an error, and any error fails the run.
 *
 * Modes (bench/README.md says more):
 *   lockstep   each client sends a line, waits for its echo, N times;
 *   pipelined  each client streams N lines, reading echoes as they come,
 *              with at most --window bytes unanswered;
 *   churn      for --duration seconds: connect, welcome, quit, close;
 *   idle       open N connections and hold them silent; optionally one
 *              more client works meanwhile; then check each still echoes.
 *
 * The exchange runs over TCP (the default), over an AF_LOCAL stream
 * socket (-U PATH: everything after the connect is the same byte stream)
 * or over UDP (-u: one line per datagram; see udp.h).  The phases
 * (phases.c) drive every client through a struct transport chosen once,
 * stream_transport (stream.c) or udp_transport (udp.c).
 *
 * It talks to loopback addresses only: it is a flood by design.  It
 * links libc alone, never libsock: the code under test does not measure
 * itself.
 * Output: one line on stdout, "ok ..." or "fail ...", key=value fields.
 * Exit status: 0 ok, 1 errors, 2 usage, 3 the --limit time ran out.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LOADGEN_H
#define LOADGEN_H

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#define WELCOME       "welcome!\n"
#define WELCOME_LEN   (sizeof WELCOME - 1)
#define QUIT          "quit\n"
#define QUIT_LEN      (sizeof QUIT - 1)
#define RBUF_SIZE     (256 * 1024)   /* one shared receive buffer */
#define OUT_MAX       (64 * 1024)    /* a client's send chunk, at most */
#define MAX_LEN       65536          /* longest line we generate */
#define MAX_CLIENTS   100000
#define EVENTS        512
#define TICK_MS       100            /* timeouts are checked this often */
#define TURNS         64             /* sends (or reads) per client per wake-up */
#define SHOWN_ERRORS  5              /* errors described on stderr */
#define UDP_MAX       65507          /* the longest datagram IPv4 carries */
#define UDP_MIN_LEN   18             /* a UDP line carries its number and client's */

enum mode { M_LOCKSTEP, M_PIPELINED, M_CHURN, M_IDLE };
extern const char *const mode_name[4];
enum proto { P_TCP, P_UNIX, P_UDP };
extern const char *const proto_name[3];

/* Where a client is.  The run moves all its clients through phases
 * (connect, work, check, quit); each client reports when it has done its
 * part of the current phase (phase_done). */
enum state {
    S_FREE,      /* no connection */
    S_CONNECT,   /* non-blocking connect under way */
    S_RETRY,     /* AF_LOCAL: the listen queue was full; connect again */
    S_WELCOME,   /* connected, reading the welcome */
    S_IDLE,      /* welcomed and silent: nothing may arrive */
    S_WORK,      /* sending lines and checking their echoes */
    S_QUIT,      /* quit sent (or half-closed): waiting for the close
                    (UDP: the quit is sent, nothing more may come) */
    S_CLOSED,    /* closed cleanly */
    S_FAILED     /* an error ended it */
};

struct slot;   /* UDP: what became of a line sent (udp.h) */

struct client {
    int fd;
    unsigned id;
    unsigned ev;              /* epoll interest now */
    unsigned char st;         /* enum state */
    unsigned char owes;       /* 1 while it has not finished this phase */
    long long deadline;       /* ms: its current step must end by then */
    size_t got;               /* welcome bytes checked so far */
    unsigned long lines;      /* lines to send in this work */
    unsigned long gen;        /* lines put in the send stream so far */
    unsigned long long rx;    /* echoed bytes checked so far */
    size_t window;            /* unanswered bytes allowed */
    char *out;                /* generated, not yet sent */
    size_t out_cap, out_len, out_off;
    /* UDP only: lines are numbered through the session (the first, which
     * opens it, is 0); those of this work are base, base + 1, ... */
    unsigned long seq;        /* the next line's number */
    unsigned long base;       /* the first line of this work */
    unsigned long resolved;   /* lines of this work echoed or lost */
    unsigned long wlost;      /* of them, lost */
    struct slot *ring;        /* the last rl lines, by number modulo rl */
    unsigned wl;              /* lines in flight, at most */
    unsigned rl;              /* 2 wl: those in flight, and as many before */
};

struct lg;

/*
 * A transport: how a client's session goes over one kind of socket.
 * The phases call these and never look at the protocol; each leaves the
 * client in the states above and calls welcomed(), session_ended(),
 * phase_done() or fail() as the generic code expects.
 */
struct transport {
    /* Open c's session (again, from S_RETRY); it is welcomed() later. */
    void (*connect)(struct lg *g, struct client *c);
    /* Begin sending `lines` lines, at most `window` bytes unanswered;
     * c owes the phase until every line is accounted for. */
    void (*work)(struct lg *g, struct client *c, unsigned long lines,
                 size_t window);
    /* End the session: "quit" (stream: a half-close with --no-quit). */
    void (*quit)(struct lg *g, struct client *c);
    /* epoll reported ev for c. */
    void (*event)(struct lg *g, struct client *c, unsigned ev);
    /* Every tick, for a client at work: its timeouts. */
    void (*work_tick)(struct lg *g, struct client *c);
    /* Its own fields of the result line, " key=value" each (NULL: none). */
    void (*report)(const struct lg *g, FILE *f);
};
extern const struct transport stream_transport;   /* stream.c: TCP, AF_LOCAL */
extern const struct transport udp_transport;      /* udp.c */

struct lg {
    /* settings (options.c) */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    enum proto proto;
    const struct transport *tp;
    char target[128];         /* the server, for messages */
    int port;
    enum mode mode, active;   /* active: the idle mode's working client */
    int has_active;
    unsigned clients, connects;
    unsigned long lines;
    size_t len, window;
    double duration, hold;
    int has_duration;
    int welcome, quit, sync;
    long long op_ms, limit_ms;
    long long lost_ms;        /* UDP: a line not echoed by then is lost */

    /* the run */
    int ep;
    struct client *cl;
    unsigned ncl;
    const char *phase;
    unsigned owing;           /* clients that owe the current phase */
    unsigned connecting;      /* connects in flight (to welcome) */
    unsigned next;            /* next client to connect (connect phase) */
    int relaunch;             /* churn: reconnect a client that finished */
    long long now, t_start, limit_at, churn_end, last_done;
    long long work_end;       /* no new lines after this (0: none) */
    unsigned long long completed;   /* churn: connections done */
    unsigned long long ops;         /* lines echoed in whole works */
    unsigned long long lost, late;  /* UDP: lines lost; echoes after that */
    unsigned long errors;
    char first[240];
    char *rbuf;
    char *fill;               /* the pattern lines are cut from */
    char *vline;              /* the line being checked, cached */
    unsigned vcid;
    unsigned long vli;
    int timed_out;
};

/* What one run measured, for the result line (report.c). */
struct result {
    double t0, t1;            /* s: the measured stretch */
    double c0, c1;            /* s: loadgen's CPU time then */
    unsigned long long ops;
    unsigned checked;         /* idle: clients that still echoed */
};

/* options.c: the settings from the command line; -1 on a usage error
 * (said on stderr).  --help prints the usage and exits. */
int parse_args(struct lg *g, int argc, char **argv);

/* lines.c: the lines sent, and what their echoes must be. */
int make_fill(struct lg *g);
void gen_line(const struct lg *g, unsigned cid, unsigned long li, char *out);
const char *expected_line(struct lg *g, unsigned cid, unsigned long li);

/* phases.c: errors, epoll interest, the phases and their loop. */
void fail(struct lg *g, struct client *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
const char *errtext(int err);
int want(struct lg *g, struct client *c, unsigned ev);
void phase_done(struct lg *g, struct client *c);
void welcomed(struct lg *g, struct client *c);
void session_ended(struct lg *g, struct client *c);
int run_phase(struct lg *g, const char *phase, long long until);
void sync_point(struct lg *g, const char *name);
int connect_all(struct lg *g);
int quit_all(struct lg *g);
int work_all(struct lg *g, unsigned from, unsigned to, unsigned long lines,
             size_t window, int timed, const char *phase);
size_t window_for(const struct lg *g, enum mode m);

/* report.c: clocks, and the result line. */
long long mono_ms(void);
double mono_s(void);
double cpu_s(void);
int report(struct lg *g, const struct result *r);

#endif /* LOADGEN_H */

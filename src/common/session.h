/*
 * session.h - the article's exchange, written once: what the server sends
 * for each thing a client does.  No sockets here: every server design
 * feeds events in and sends what comes out, so the protocol can be tested
 * on its own (tests/unit/test_session.c).
 *
 * The wire protocol (README, "The exchange"):
 *   accept          -> "welcome!\n"
 *   a line          -> the same bytes back, terminator included
 *   "quit" line     -> nothing; the session ends (any case, "\r" ignored)
 *   EOF             -> the last unterminated line echoed (unless it is
 *                      quit), then the session ends
 *   too long a line -> "error: line too long (max N bytes)\n", ends
 *   silent too long -> "error: idle timeout\n", ends
 *   replies unread
 *   that long       -> "error: not reading replies\n", ends
 *   server stopping -> "error: server shutting down\n", ends
 *   too many clients-> "error: server busy\n", ends at once
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef SESSION_H
#define SESSION_H

#include <stddef.h>

#define SESSION_WELCOME  "welcome!\n"
#define SESSION_SHUTDOWN "error: server shutting down\n"
#define SESSION_IDLE     "error: idle timeout\n"
#define SESSION_NOREAD   "error: not reading replies\n"
#define SESSION_BUSY     "error: server busy\n"

/* What happened on one connection. */
enum session_event {
    SESSION_LINE,      /* a whole line, '\n' included */
    SESSION_LAST_LINE, /* the peer closed after this unterminated line */
    SESSION_EOF,       /* the peer closed; nothing held */
    SESSION_TOO_LONG,  /* max_line bytes came without '\n' */
    SESSION_IDLE_OUT,  /* the peer was silent past the idle timeout */
    SESSION_NOT_READING, /* a reply waited that long: the peer sends but
                            does not read */
    SESSION_STOPPING,  /* the server is shutting down (SIGINT, SIGTERM,
                          SIGHUP) */
    SESSION_FULL       /* a connection beyond the client limit */
};

/* What to send back, and whether the session ends after it. */
struct session_reply {
    const char *data;  /* bytes to send (may point into the line) */
    size_t len;        /* how many; 0 for none */
    int end;           /* 1: send them, then end the session */
};

/*
 * session_is_quit - does this line (terminator included or not) say quit?
 * "quit", "QUIT", "Quit\r\n" do; " quit" and "quit!" do not.
 */
int session_is_quit(const char *line, size_t len);

/*
 * session_respond - decide the reply to one event.
 *
 *   ev        what happened
 *   line,len  the line for SESSION_LINE / SESSION_LAST_LINE
 *   errbuf    room for an error line (SESSION_TOO_LONG), at least 64 bytes
 *   errsize   its size
 *   max_line  the line limit, named in the error line
 *   out       receives the reply
 */
void session_respond(enum session_event ev, const char *line, size_t len,
                     size_t max_line, char *errbuf, size_t errsize,
                     struct session_reply *out);

/*
 * The client's side of quit: it must stop reading its input after the
 * quit line, which may arrive split across reads.  struct session_quit
 * remembers the start of the line being read.
 */
struct session_quit {
    char head[6];   /* "quit\r" plus one: longer lines are not quit */
    size_t n;       /* bytes of the current line seen, capped */
};

/*
 * session_find_quit - look through the next `len` bytes of input.
 * Returns how many of them to send up to and including the '\n' of the
 * first quit line, or 0 if there is none in them.
 */
size_t session_find_quit(struct session_quit *q, const char *buf, size_t len);

#endif /* SESSION_H */

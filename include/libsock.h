/*
 * libsock.h - small, careful helpers for TCP sockets, in the order the
 * article teaches them: the eight calls (socket, bind, listen, accept,
 * connect, read, write, close), then the helpers every real program needs.
 *
 * Error model, the same everywhere: a function returns -1 (or NULL) on
 * failure with errno set and intact.  Helpers that can say more take an
 * optional last argument `struct sock_err *why` (may be NULL) that receives
 * one line naming the step, the address and the reason, e.g.
 * "bind [::]:8080: Address already in use".  No function here prints,
 * exits or changes a signal disposition.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LIBSOCK_H
#define LIBSOCK_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <netdb.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIBSOCK_VERSION "0.1.0"

/* ------------------------------------------------------------------ */
/* Errors in words                                                     */
/* ------------------------------------------------------------------ */

#define SOCK_ERR_MAX 256

/*
 * struct sock_err - an optional, caller-owned holder for what went wrong.
 *
 *   gai  0, or the getaddrinfo() EAI_* code when name resolution failed
 *        (getaddrinfo reports through its return value, not errno)
 *   msg  one line, NUL-terminated, no trailing newline:
 *        "STEP ADDRESS: REASON", e.g. "connect 127.0.0.1:8080: Connection refused"
 */
struct sock_err {
    int gai;
    char msg[SOCK_ERR_MAX];
};

/* ------------------------------------------------------------------ */
/* The eight calls of the article                                      */
/* ------------------------------------------------------------------ */

/*
 * sock_socket - open a socket: ask the kernel for a new communication
 * endpoint and get back its descriptor, the "file" the article reads and
 * writes.
 *
 *   domain    the protocol family, which kind of address names the peer:
 *             AF_INET (IPv4), AF_INET6 (IPv6), AF_LOCAL (a path on this host)
 *   type      the socket type: SOCK_STREAM (a TCP byte stream),
 *             SOCK_DGRAM (UDP datagrams), ...
 *   protocol  the protocol inside the family; 0 picks the usual one
 *             (IPPROTO_TCP for SOCK_STREAM)
 *
 * Returns the new descriptor, or -1 with errno set (EAFNOSUPPORT when the
 * family is absent, EMFILE/ENFILE when out of descriptors).  Never blocks,
 * so EINTR cannot occur.  See socket(2).
 */
int sock_socket(int domain, int type, int protocol);

/*
 * sock_bind - give a socket its name on the network: the IP address and
 * the port that, with the protocol, identify this process to peers.
 *
 *   fd       the socket from sock_socket()
 *   addr     the local address to bind: an IP (or the wildcard, "every
 *            interface") and a port (0 lets the kernel choose one)
 *   addrlen  the size of *addr in bytes
 *
 * Returns 0, or -1 with errno set (EADDRINUSE: another socket has that
 * port).  Never blocks, so EINTR cannot occur.  See bind(2).
 */
int sock_bind(int fd, const struct sockaddr *addr, socklen_t addrlen);

/*
 * sock_listen - turn a bound socket into one that waits for clients.
 * After this the kernel completes three-way handshakes on its own and
 * queues the finished connections for sock_accept().
 *
 *   fd       a socket already named with sock_bind()
 *   backlog  how many finished handshakes may queue before accept()
 *
 * Returns 0, or -1 with errno set.  Never blocks, so EINTR cannot occur.
 * See listen(2).
 */
int sock_listen(int fd, int backlog);

/*
 * sock_accept - take the next finished connection off a listening socket
 * and get a new descriptor for talking to that one client.  The listening
 * socket stays open for the next client.
 *
 *   fd       the listening socket
 *   addr     where to store the client's address (IP and port); may be NULL
 *   addrlen  in: the size of *addr; out: the size actually stored; may be
 *            NULL when addr is NULL
 *
 * Returns the connected descriptor, close-on-exec (accept4() with
 * SOCK_CLOEXEC where the system has it, so no program started meanwhile
 * inherits the client), or -1 with errno set.  Blocks until a
 * client arrives unless fd is non-blocking (then EAGAIN/EWOULDBLOCK).
 * Retries by itself on EINTR (a signal interrupted the wait) and on
 * ECONNABORTED (the client left before we took it: wait for the next).
 * So a blocking caller does not return to notice a signal: programs that
 * must react to one use non-blocking sockets and poll(), as tcp-server
 * does.  See accept(2).
 */
int sock_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);

/*
 * sock_connect - start the three-way handshake with a server: send SYN,
 * wait for SYN+ACK, answer ACK.  On success both ends are ESTABLISHED.
 *
 *   fd       the client's socket from sock_socket()
 *   addr     the server's address: its IP and port
 *   addrlen  the size of *addr in bytes
 *
 * Returns 0, or -1 with errno set (ECONNREFUSED: nobody listens there;
 * EINPROGRESS: fd is non-blocking and the handshake goes on).  Never
 * retried: after EINTR the handshake continues in the kernel and a second
 * connect() would fail with EALREADY; wait for it with poll() and read
 * SO_ERROR, as sock_connect_to() does.  See connect(2).
 */
int sock_connect(int fd, const struct sockaddr *addr, socklen_t addrlen);

/*
 * sock_read - read what the peer has written: copy up to `count` bytes
 * that have arrived on the connection into buf.
 *
 *   fd     a connected socket
 *   buf    the buffer to fill
 *   count  its length in bytes
 *
 * Returns the number of bytes read (possibly fewer than count: TCP is a
 * byte stream, not messages), 0 when the peer has closed its side (EOF),
 * or -1 with errno set (ECONNRESET, EAGAIN on a non-blocking socket with
 * nothing to read, ...).  Retries by itself on EINTR (so, as with
 * sock_accept, wait for signals in poll(), not here).  Uses recv(2); see
 * read(2).
 */
ssize_t sock_read(int fd, void *buf, size_t count);

/*
 * sock_read_msg - read one message of a socket that keeps messages
 * (SOCK_SEQPACKET, SOCK_DGRAM): copy up to `count` bytes of it, and drop
 * the rest of a longer one, which the kernel does not keep.  recv(2) with
 * MSG_TRUNC, so that the return says how long the message really was.
 *
 *   fd     a connected socket
 *   buf    the buffer to fill
 *   count  its length in bytes
 *
 * Returns the message's whole length (more than count: it was cut to
 * count bytes), 0 at end of file (on SOCK_SEQPACKET an empty message
 * reads the same), or -1 with errno set (EAGAIN on a non-blocking socket
 * with nothing to read, ECONNRESET, ...).  Retries by itself on EINTR.
 */
ssize_t sock_read_msg(int fd, void *buf, size_t count);

/*
 * sock_write - write bytes to the connection, which is to say send them to
 * the peer.  The kernel copies them into the socket's send buffer and may
 * take fewer than asked (a short write); see sock_write_all().
 *
 *   fd     a connected socket
 *   buf    the bytes to send
 *   count  how many
 *
 * Returns the number of bytes taken, or -1 with errno set.  A peer that
 * has gone gives EPIPE, never SIGPIPE (MSG_NOSIGNAL where the system has
 * it).  Retries by itself on EINTR.  Uses send(2); see write(2).
 */
ssize_t sock_write(int fd, const void *buf, size_t count);

/*
 * sock_close - close the socket: drop this descriptor.  When the last
 * descriptor for a connection goes, the kernel sends FIN to start the
 * four-way close; unsent data is still delivered.
 *
 *   fd  the socket
 *
 * Returns 0, or -1 with errno set.  Never retried, not even on EINTR: on
 * Linux the descriptor is released before close() returns whatever its
 * result, and a second close could close another thread's new file.
 * See close(2).
 */
int sock_close(int fd);

/*
 * sock_shutdown - close one direction of the connection, not the
 * descriptor: the half of close() the article leaves out.  SHUT_WR sends
 * FIN now ("I have nothing more to say") while the socket still reads
 * what the peer sends: the peer reads EOF, and this side moves to
 * FIN_WAIT1/FIN_WAIT2 until the peer closes too.  Unlike close() it acts
 * on the connection whatever other descriptors share it.
 *
 *   fd   a connected socket
 *   how  SHUT_WR (stop sending), SHUT_RD (stop reading) or SHUT_RDWR
 *
 * Returns 0, or -1 with errno set (ENOTCONN: not connected).  Never
 * blocks, so EINTR cannot occur.  See shutdown(2).
 */
int sock_shutdown(int fd, int how);

/* ------------------------------------------------------------------ */
/* Helpers every real program needs                                    */
/* ------------------------------------------------------------------ */

/*
 * sock_resolve - turn a host name or IP literal and a port (number or
 * service name) into the list of socket addresses to try, with
 * getaddrinfo(3).  Asks for SOCK_STREAM results of any family.
 *
 *   host    "example.org", "127.0.0.1", "::1"; NULL for the wildcard
 *           (with AI_PASSIVE) or loopback
 *   port    "8080", "http"; may not be NULL
 *   family  AF_UNSPEC (every family), AF_INET or AF_INET6
 *   flags   extra AI_* flags, e.g. AI_PASSIVE for an address to bind
 *   why     optional; receives "resolve HOST:PORT: REASON" with
 *           getaddrinfo's own text and why->gai set to the EAI_* code
 *
 * Returns the list (free it with freeaddrinfo()), or NULL with errno set:
 * EAI_SYSTEM keeps the errno it came with; EAI_AGAIN gives EAGAIN,
 * EAI_MEMORY ENOMEM, an unknown name ENOENT, anything else EINVAL.
 */
struct addrinfo *sock_resolve(const char *host, const char *port, int family,
                              int flags, struct sock_err *why);

/*
 * sock_listen_on - the server's whole opening sequence: socket, bind,
 * listen, for a host and port.
 *
 *   host     the address to bind (name or literal); NULL for every
 *            interface: dual stack "[::]" taking IPv4 clients too
 *            (IPV6_V6ONLY off), falling back to "0.0.0.0" when the system
 *            has no IPv6
 *   port     the port; "0" lets the kernel choose (read it back with
 *            getsockname())
 *   family   AF_UNSPEC, or AF_INET / AF_INET6 to pin the family (AF_INET6
 *            then means IPv6 only)
 *   backlog  passed to listen()
 *   why      optional; e.g. "bind [::]:8080: Address already in use"
 *
 * Every resolved address is tried until one binds.  SO_REUSEADDR is set so
 * a restarted server can bind while old connections sit in TIME_WAIT;
 * SO_REUSEPORT never is (it would let two servers share the port
 * silently).  SO_OOBINLINE is set, and accepted sockets inherit it: TCP
 * "urgent" bytes stay in the stream instead of vanishing from it.  The
 * socket is close-on-exec and blocking.
 *
 * Returns the listening descriptor, or -1 with errno set and no
 * descriptor left open.
 */
int sock_listen_on(const char *host, const char *port, int family, int backlog,
                   struct sock_err *why);

/*
 * sock_backlog_max - the largest backlog listen() honours here: Linux's
 * net.core.somaxconn (4096 on current kernels) where it can be read, else
 * SOMAXCONN.  A larger backlog is cut to this by the kernel; a smaller one
 * lets a burst of clients overflow the queue of finished handshakes.
 */
int sock_backlog_max(void);

/*
 * sock_connect_to - the client's whole opening sequence: resolve host and
 * port, then socket and connect to each address in turn until one
 * answers.
 *
 *   host        name or literal of the server
 *   port        its port
 *   family      AF_UNSPEC, AF_INET or AF_INET6
 *   timeout_ms  how long each address may take to answer the handshake;
 *               negative waits as long as the kernel does
 *   why         optional; e.g. "connect 127.0.0.1:8080: Connection refused"
 *               (the last address tried)
 *
 * The connect is non-blocking and waited for with poll(); its outcome is
 * read from SO_ERROR.  SO_OOBINLINE is set, so urgent bytes are read in
 * line like every other byte.  A handshake that outlasts the timeout gives
 * ETIMEDOUT.  Returns the connected descriptor (blocking again,
 * close-on-exec), or -1 with errno from the last failure and no
 * descriptor left open.
 */
int sock_connect_to(const char *host, const char *port, int family,
                    int timeout_ms, struct sock_err *why);

/*
 * sock_write_all - write every byte, looping over short writes.
 *
 *   fd       a connected socket
 *   buf      the bytes
 *   len      how many
 *   written  optional; receives how many bytes went out, also on failure
 *
 * Returns 0 when all len bytes were written, or -1 with errno set (EPIPE,
 * ECONNRESET, EAGAIN on a full non-blocking socket, ...).  A write that
 * takes 0 bytes is an error (EIO), never a reason to spin.
 */
int sock_write_all(int fd, const void *buf, size_t len, size_t *written);

/*
 * struct sock_line_reader - the state for reading lines from one
 * connection.  The caller owns the buffer and its size is the longest line
 * accepted, terminator included; the reader never allocates.  Bytes that
 * arrive after a line stay buffered for the next call.
 */
struct sock_line_reader {
    char *buf;     /* caller-owned storage */
    size_t cap;    /* its size */
    size_t limit;  /* the longest line, '\n' included: cap unless the
                      caller lowers it after init, to read in chunks
                      bigger than the longest line it accepts */
    size_t start;  /* first unread byte */
    size_t end;    /* one past the last buffered byte */
    size_t scan;   /* bytes after start already searched for '\n' */
    int skipping;  /* dropping the rest of a too long line */
    int drained;   /* the last read got less than it had room for (or
                      EAGAIN): the socket held no more then, so an event
                      loop may wait for the next readiness instead of
                      reading again to meet EAGAIN */
};

/* Results of sock_read_line() that are not a line length. */
#define SOCK_LINE_EOF       0   /* the peer closed and nothing is held */
#define SOCK_LINE_ERROR    (-1) /* read failed: see errno (EAGAIN too) */
#define SOCK_LINE_TOO_LONG (-2) /* cap bytes without a '\n' */
#define SOCK_LINE_PARTIAL  (-3) /* the peer closed in the middle of a line */

/*
 * sock_line_reader_init - start reading lines into buf.
 *
 *   lr   the reader
 *   buf  caller-owned storage, alive as long as the reader
 *   cap  its size, which is also the longest line accepted ('\n'
 *        included) unless lr->limit is then set lower
 */
void sock_line_reader_init(struct sock_line_reader *lr, char *buf, size_t cap);

/*
 * sock_read_line - get the next line from fd, reading only when no whole
 * line is buffered.  Lines are bytes: NUL and '\r' are kept as they came
 * (a "\r\n" line ends in "\r\n").
 *
 *   fd    the connection
 *   lr    its reader
 *   line  receives a pointer to the line inside lr->buf, valid until the
 *         next call
 *   len   receives its length
 *
 * Returns the length (> 0) of a line ending in '\n'; or
 *   SOCK_LINE_EOF       the peer closed, nothing held;
 *   SOCK_LINE_PARTIAL   the peer closed after an unterminated line (of
 *                       limit bytes at most): *line and *len hold it; the
 *                       next call gives EOF;
 *   SOCK_LINE_TOO_LONG  a line longer than limit bytes came: *line and
 *                       *len hold the first limit of them.  The rest of that
 *                       line, up to and including its '\n', is read and
 *                       dropped by the following calls, so the next line
 *                       returned is the one after it: framing is kept;
 *   SOCK_LINE_ERROR     with errno set; buffered bytes are kept, so on a
 *                       non-blocking socket EAGAIN just means "call again
 *                       when readable".
 *
 * limit bytes with no '\n' are a line of exactly the limit only if EOF
 * follows, so then one more byte is read (a 1-byte read when the buffer
 * is full) to tell the two apart.
 */
ssize_t sock_read_line(int fd, struct sock_line_reader *lr, const char **line,
                       size_t *len);

/*
 * sock_line_reader_held - how many bytes the reader holds that no call
 * has handed out yet: the start of a line, or whole lines.
 *
 *   lr  the reader
 *
 * Returns that count.  When it is 0 nothing would be lost by dropping
 * the buffer, so a caller with many idle connections may free it and
 * init the reader again before the next read.
 */
size_t sock_line_reader_held(const struct sock_line_reader *lr);

/*
 * sock_line_reader_has_line - whether a whole line ('\n' included) is
 * held, so that the next sock_read_line() returns without reading.
 *
 *   lr  the reader
 *
 * Returns 1 or 0.  An event loop asks before it waits: a held line is
 * answered now, as no readiness of the socket will ever report it.
 */
int sock_line_reader_has_line(const struct sock_line_reader *lr);

/*
 * sock_line_reader_drained - whether the last read found the socket
 * empty: it got fewer bytes than it had room for, or EAGAIN.
 *
 *   lr  the reader
 *
 * Returns 1 or 0 (0 too before any read).  An event loop that sees 1
 * and no held line may wait for the next readiness instead of reading
 * again only to meet EAGAIN (poll and epoll, level-triggered, report
 * bytes that came since).
 */
int sock_line_reader_drained(const struct sock_line_reader *lr);

/* Room for any address sock_addr_text() writes, NUL included: the
 * longest is a local path ("unix:" and 107 bytes). */
#define SOCK_ADDR_TEXT_MAX 128

/*
 * sock_addr_text - write an address as text the way users type it:
 * "1.2.3.4:80", "[::1]:80", "[fe80::1%eth0]:80".  An IPv4-mapped IPv6
 * address (a v4 client of a dual-stack server) is shown as plain IPv4.
 * A local (AF_LOCAL) address is "unix:/path", "unix:@name" for a Linux
 * abstract name, or "unix:(unnamed)" for a socket that never bound a
 * name (what a connecting client usually is); bytes of a path that are
 * not printable show as '?', so a name cannot drive a terminal.
 *
 *   sa    the address (AF_INET, AF_INET6 or AF_LOCAL)
 *   len   its size
 *   out   where to write, NUL-terminated
 *   size  room in out; SOCK_ADDR_TEXT_MAX is always enough
 *
 * Returns 0, or -1 with errno set: EAFNOSUPPORT for another family,
 * EINVAL for a short len, ENOSPC when out is too small (out then holds "").
 */
int sock_addr_text(const struct sockaddr *sa, socklen_t len, char *out,
                   size_t size);

/*
 * sock_set_nonblock - switch a descriptor between blocking (reads and
 * writes wait) and non-blocking (they fail with EAGAIN instead of
 * waiting), as event loops need.
 *
 *   fd  the descriptor
 *   on  1 for non-blocking, 0 for blocking
 *
 * Returns 0, or -1 with errno set.
 */
int sock_set_nonblock(int fd, int on);

/*
 * sock_clock_ms - milliseconds on a clock that never jumps
 * (CLOCK_MONOTONIC), for deadlines: the connect timeout here, and a
 * program's idle clients and goodbyes.  Setting the wall clock does not
 * move it, so a deadline neither fires early nor never.
 *
 * Returns milliseconds since some fixed point: only differences between
 * two readings mean anything.  Cannot fail.
 */
long long sock_clock_ms(void);

/* ------------------------------------------------------------------ */
/* The article's other families and types: AF_LOCAL and UDP            */
/* ------------------------------------------------------------------ */

/*
 * A local (Unix-domain, AF_LOCAL) socket is named by a path on this host
 * instead of an IP address and a port: a file of type socket appears
 * there when the server binds, and clients connect by that path.  No
 * packet ever leaves the kernel: there is no TCP/IP under it, so no
 * handshake, no acknowledgements and no TCP state, but a SOCK_STREAM
 * local socket is the same byte stream with the same eight calls.  On
 * Linux a name that starts with '@' is "abstract": it lives in the
 * kernel only, with no file, and vanishes with the socket.
 */

/* The longest local name: sun_path less its NUL (107 bytes on Linux). */
#define SOCK_LOCAL_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/*
 * sock_local_addr - build the address for a local name.
 *
 *   name  "/run/x.sock", "x.sock" (relative to the working directory), or
 *         "@name" for a Linux abstract name
 *   sun   receives the address
 *   len   receives its size, to pass to bind or connect
 *
 * Returns 0, or -1 with errno: ENAMETOOLONG when the name does not fit
 * sun_path (SOCK_LOCAL_PATH_MAX bytes), EINVAL for an empty name.
 */
int sock_local_addr(const char *name, struct sockaddr_un *sun,
                    socklen_t *len);

/*
 * sock_listen_local - the server's opening sequence for a local stream
 * socket: socket(AF_LOCAL, SOCK_STREAM, 0), bind to the name, listen.
 *
 *   name     as for sock_local_addr()
 *   backlog  passed to listen()
 *   why      optional; e.g. "bind unix:/tmp/x.sock: Address already in
 *            use: a server is listening there"
 *
 * A socket file outlives the server that bound it (only unlink removes
 * it), so bind finds the name taken (EADDRINUSE) after a server died
 * without cleaning up.  Then a connect tells the two cases apart: refused
 * means nobody listens, the file is stale and is replaced; accepted means
 * a server is there and we fail with EADDRINUSE.  A file at the path that
 * is not a socket is never removed.  The socket is close-on-exec and
 * blocking.
 *
 * Two servers started at once never both take the path: the probe, the
 * removal, bind and listen are made holding flock() on "name.lock"
 * (created 0600, never through a symbolic link, refused with EEXIST if
 * not a regular file), which a second caller waits for; its probe then
 * finds the first listening.  The lock is given up once listening; the
 * file stays.  Held by another for over 2 s: EADDRINUSE, "...:
 * another server is starting there".  Abstract names take no lock.
 *
 * Returns the listening descriptor, or -1 with errno set and no
 * descriptor left open.  Removing the file when the server exits is the
 * caller's (see sock_local_unlink()).
 */
int sock_listen_local(const char *name, int backlog, struct sock_err *why);

/*
 * sock_listen_local_type - sock_listen_local() for a socket type of the
 * caller's choice: SOCK_STREAM (what sock_listen_local() makes) or
 * SOCK_SEQPACKET, a connection like a stream (accept, in order, nothing
 * lost, end of file when the peer closes) that keeps each write a
 * message of its own, as UDP keeps datagrams: one read returns one whole
 * message, never two, never part of one (see sock_read_msg()).  Linux
 * offers SOCK_SEQPACKET in AF_LOCAL.  The probe of an existing socket
 * file uses the same type; a server of the other type listening there
 * counts as a server there (EADDRINUSE).
 */
int sock_listen_local_type(const char *name, int type, int backlog,
                           struct sock_err *why);

/*
 * sock_local_unlink - remove the socket file a server bound at name, if it
 * is still the one it bound: a socket whose device and inode match
 * (`dev`, `ino` as stat() gave them just after bind).  A file that
 * another server has put there since is left alone.  Abstract names
 * have no file: nothing to do.  Made holding sock_listen_local()'s lock,
 * so a server starting meanwhile never has its new file removed.
 *
 * Returns 0 when the file was removed or there was none to remove, -1
 * with errno set otherwise (EEXIST: the path is no longer ours;
 * EWOULDBLOCK: another held the lock for 100 ms, the file is left).
 */
int sock_local_unlink(const char *name, unsigned long long dev,
                      unsigned long long ino);

/*
 * sock_connect_local - the client's opening sequence for a local stream
 * socket: socket(AF_LOCAL, SOCK_STREAM, 0) and connect to the name.
 *
 *   name        as for sock_local_addr()
 *   timeout_ms  how long connect may wait while the server's accept
 *               queue is full; negative waits as long as the kernel does
 *   why         optional; e.g. "connect unix:/tmp/x.sock: No such file
 *               or directory", or "... Connection refused" for a stale
 *               socket file nobody listens on
 *
 * No handshake: connect joins the two sockets at once, or waits for room
 * in the accept queue (ETIMEDOUT after timeout_ms).  Returns the connected
 * descriptor (blocking, close-on-exec), or -1 with errno set.
 */
int sock_connect_local(const char *name, int timeout_ms,
                       struct sock_err *why);

/*
 * sock_connect_local_type - sock_connect_local() for a socket type of the
 * caller's choice: SOCK_STREAM or SOCK_SEQPACKET (see
 * sock_listen_local_type()).  A server listening there with the other
 * type refuses with EPROTOTYPE ("Protocol wrong type for socket").
 */
int sock_connect_local_type(const char *name, int type, int timeout_ms,
                            struct sock_err *why);

/*
 * UDP (SOCK_DGRAM in AF_INET/AF_INET6) is the other type of the article's
 * socket(): datagrams instead of a stream.  Of the eight calls only
 * socket, bind and close mean the same.  There is no listen and no
 * accept: one socket receives every peer's datagrams, each with its
 * sender's address (recvfrom), and answers by naming the peer (sendto).
 * connect() sends nothing: it only fixes the peer, so that read and write
 * work, only that peer's datagrams arrive, and an ICMP "port unreachable"
 * comes back as ECONNREFUSED on a later call.  Each read returns one
 * whole datagram (the rest of a longer one is lost); nothing is
 * acknowledged, retransmitted or kept in order.
 */

/*
 * sock_udp_open - a UDP socket bound to host and port, as a server wants
 * it: socket(family, SOCK_DGRAM, IPPROTO_UDP) then bind.  host NULL binds
 * every interface, dual stack as sock_listen_on() does; the other
 * parameters and the result are as there, without backlog.
 */
int sock_udp_open(const char *host, const char *port, int family,
                  struct sock_err *why);

/*
 * sock_udp_connect - a UDP socket whose peer is fixed to host and port:
 * socket then connect to the first address the name resolves to (a
 * connect that sends nothing cannot tell which address answers).
 * Returns the descriptor (blocking, close-on-exec), or -1 with errno set.
 */
int sock_udp_connect(const char *host, const char *port, int family,
                     struct sock_err *why);

/*
 * sock_recvfrom - receive one datagram and learn who sent it.
 *
 *   fd       a UDP socket
 *   buf      where to put the datagram's bytes
 *   count    room in buf; the part of a longer datagram that does not fit
 *            is lost, so give one byte more than the longest datagram
 *            wanted to tell "too long" apart
 *   addr     receives the sender's address (may be NULL)
 *   addrlen  in: the size of *addr; out: the size stored
 *
 * Returns the number of bytes stored (0 for an empty datagram: not an
 * end of file, UDP has none), or -1 with errno set (EAGAIN on a
 * non-blocking socket with nothing queued).  Retries by itself on EINTR.
 * See recvfrom(2).
 */
ssize_t sock_recvfrom(int fd, void *buf, size_t count, struct sockaddr *addr,
                      socklen_t *addrlen);

/*
 * sock_sendto - send one datagram to the peer named by addr.
 *
 *   fd       a UDP socket
 *   buf      the datagram's bytes, all sent in one datagram or none
 *   count    how many
 *   addr     the peer's address (IP and port)
 *   addrlen  its size
 *
 * Returns count, or -1 with errno set (EMSGSIZE: too big for one
 * datagram; EAGAIN: the socket buffer is full and fd non-blocking).  No
 * SIGPIPE.  Retries by itself on EINTR.  See sendto(2).
 */
ssize_t sock_sendto(int fd, const void *buf, size_t count,
                    const struct sockaddr *addr, socklen_t addrlen);

/* ------------------------------------------------------------------ */
/* The trace seam (libsock(3), section Trace)                          */
/* ------------------------------------------------------------------ */

/*
 * struct sock_trace_event - one socket call as it happened.
 *
 *   call    the article's name of the call: "socket", "bind", "listen",
 *           "accept", "connect", "read", "write", "close" (also when the
 *           code used recv, send or accept4), and "shutdown"
 *   fd      the descriptor the call acted on, -1 for socket()
 *   args    the other arguments as text, e.g. "AF_INET6, SOCK_STREAM, 0"
 *   data    for read and write: the bytes moved (NULL otherwise)
 *   len     how many of them
 *   result  what the call returned
 *   err     errno when result is -1, else 0
 *   addr    the address the call named (bind, connect) or returned
 *           (accept), else NULL
 *   addrlen its size
 *   sys     the system call really made when its name is not `call`
 *           ("recv", "send", "accept4"), else NULL
 *   began   when the call was entered, and
 *   ended   when it returned: CLOCK_REALTIME, the clock the kernel
 *           stamps packets with, so that a watcher (tcp-watch) can put
 *           the call among the segments it caused
 *
 * Besides the calls themselves, "close-before" comes just before a close
 * (the socket still exists), and a connect that waits for its handshake
 * reports "connect-wait" when the wait starts and about once a second
 * while it goes on, then "connect-done" with the handshake's outcome
 * (result 0, or -1 with err ECONNREFUSED, ETIMEDOUT, ...).
 */
struct sock_trace_event {
    const char *call;
    int fd;
    const char *args;
    const void *data;
    size_t len;
    long result;
    int err;
    const struct sockaddr *addr;
    socklen_t addrlen;
    const char *sys;
    struct timespec began;
    struct timespec ended;
};

/*
 * The hook is called after every call the eight wrappers make (an
 * attempt interrupted by EINTR and retried too, with err EINTR), and for
 * close() also just before it (result and err 0, call "close-before"), so
 * that a tracer can still look at the socket.  errno is saved around it.
 */
typedef void sock_trace_fn(const struct sock_trace_event *ev, void *arg);

/*
 * sock_trace_set - install (or with NULL remove) the trace hook.  Off by
 * default; when off, a wrapper pays one pointer test and formats nothing.
 */
void sock_trace_set(sock_trace_fn *fn, void *arg);

/* Room for any line sock_trace_format() writes, NUL included. */
#define SOCK_TRACE_LINE_MAX 512

/*
 * sock_trace_format - write one event as one line of trace, in the
 * article's words and shaped like its C signatures:
 *
 *   socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP) = 3
 *   listen(3, backlog=4096) = 0  state LISTEN  queue 0/4096
 *   accept(3) = 4  peer 127.0.0.1:51012  local 127.0.0.1:8080  state ESTABLISHED  (accept4)
 *   read(4, 8192) = 6 "hello\n"  (recv)
 *
 * The call's name and arguments, "=", its result (errno by name on
 * failure), then what the story needs: both ends of a new connection, and
 * the TCP state where it changes (after listen, connect, accept and
 * shutdown, at end of file, and after any read or write that finds the
 * connection no longer ESTABLISHED), read with sock_tcp_state().  When
 * the code used recv, send or accept4, that name closes the line in
 * parentheses.  Payloads are shown C-escaped and cut after 40 bytes.
 *
 *   ev    the event the hook received
 *   out   where to write; SOCK_TRACE_LINE_MAX is always enough
 *   size  room in out
 *
 * End of file reads "the peer sent FIN" on TCP, "the peer closed its
 * side" on a local stream, but "the connection was reset" once a read or
 * write on that descriptor has failed with ECONNRESET (the kernel then
 * reports end of file, though no FIN came): the one thing remembered
 * between calls, per descriptor, forgotten at its close.
 *
 * Returns the line's length (no newline is written), or 0 for an event
 * that makes no line of its own ("close-before").  Does no I/O besides
 * asking the kernel for addresses and TCP state.
 */
size_t sock_trace_format(const struct sock_trace_event *ev, char *out,
                         size_t size);

/* ------------------------------------------------------------------ */
/* TCP state                                                           */
/* ------------------------------------------------------------------ */

/*
 * struct sock_tcp_info - where a TCP connection is in its life, as the
 * kernel reports it.
 *
 *   state    the kernel's number for it (Linux's TCP_ESTABLISHED = 1 ...)
 *   name     "LISTEN", "SYN_SENT", "SYN_RECV", "ESTABLISHED",
 *            "FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT", "CLOSING",
 *            "LAST_ACK", "TIME_WAIT", "CLOSE"
 *   queued   for a listener: finished handshakes waiting for accept()
 *   backlog  for a listener: how many may wait (listen's backlog, as cut
 *            by the kernel); both 0 for other states
 */
struct sock_tcp_info {
    int state;
    const char *name;
    unsigned queued;
    unsigned backlog;
};

/*
 * sock_tcp_state - ask the kernel which TCP state a socket is in (Linux's
 * TCP_INFO; what `ss -t` shows for it).
 *
 *   fd   a TCP socket, listening or connected
 *   out  receives the state
 *
 * Returns 0, or -1 with errno set: ENOPROTOOPT when fd is not a TCP
 * socket or the system has no TCP_INFO, EBADF/ENOTSOCK as getsockopt().
 */
int sock_tcp_state(int fd, struct sock_tcp_info *out);

#ifdef __cplusplus
}
#endif

#endif /* LIBSOCK_H */

/*
 * testutil.c - process and socket helpers for the integration tests
 * (testutil.h).  Failures inside are test failures (cmocka asserts).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "libsock.h"
#include "testutil.h"

long long ms_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *bin_path(const char *name)
{
    static char path[4][512];
    static int k;
    const char *dir = getenv("TCP_BIN_DIR");
    char *p = path[k++ % 4];

    snprintf(p, sizeof path[0], "%s/%s", dir != NULL ? dir : "build", name);
    return p;
}

void proc_start(struct proc *p, char *const argv[], int with_stdin)
{
    proc_start_io(p, argv, with_stdin ? NULL : "/dev/null", NULL);
}

void proc_start_io(struct proc *p, char *const argv[], const char *in_path,
                   const char *out_path)
{
    int in[2], out[2], err[2];

    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    fflush(NULL);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        int fd;

        if (in_path == NULL)
            dup2(in[0], 0);
        else if ((fd = open(in_path, O_RDONLY)) == -1 || dup2(fd, 0) == -1)
            _exit(126);
        if (out_path == NULL)
            dup2(out[1], 1);
        else if ((fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) ==
                     -1 || dup2(fd, 1) == -1)
            _exit(126);
        dup2(err[1], 2);
        /* Close everything else, the test's sockets included. */
        for (fd = 3; fd < 1024; fd++)
            close(fd);
        /* Signals as a terminal's foreground job has them, whatever this
         * test inherited (a background job starts with SIGINT ignored). */
        signal(SIGPIPE, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        execv(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    p->in = in[1];
    p->out = out[0];
    p->err = err[0];
    if (in_path != NULL)
        proc_close_in(p);
    if (out_path != NULL) {
        close(p->out);
        p->out = -1;
    }
}

void proc_close_in(struct proc *p)
{
    if (p->in >= 0)
        close(p->in);
    p->in = -1;
}

static void close_pipes(struct proc *p)
{
    proc_close_in(p);
    if (p->out >= 0)
        close(p->out);
    if (p->err >= 0)
        close(p->err);
    p->out = p->err = -1;
}

int proc_wait(struct proc *p, int timeout_ms)
{
    long long end = ms_now() + timeout_ms;
    int st;

    if (p->pid <= 0)
        return -1;
    while (ms_now() < end) {
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            p->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        {
            struct timespec pause = { 0, 2000000 };   /* 2 ms */
            nanosleep(&pause, NULL);
        }
    }
    proc_kill(p);
    return -1;
}

void proc_kill(struct proc *p)
{
    if (p->pid > 0) {
        long long end = ms_now() + 3000;

        /* SIGTERM first: a program that exits normally keeps what it
         * must write at exit (a coverage build's counts among them). */
        kill(p->pid, SIGTERM);
        while (waitpid(p->pid, NULL, WNOHANG) == 0) {
            struct timespec pause = { 0, 2000000 };   /* 2 ms */

            if (ms_now() >= end) {
                kill(p->pid, SIGKILL);
                waitpid(p->pid, NULL, 0);
                break;
            }
            nanosleep(&pause, NULL);
        }
        p->pid = 0;
    }
    close_pipes(p);
}

size_t read_until(int fd, char *buf, size_t cap, const char *needle,
                  int timeout_ms)
{
    long long end = ms_now() + timeout_ms;
    size_t n = 0;

    buf[0] = '\0';
    while (n + 1 < cap) {
        struct pollfd pf = { fd, POLLIN, 0 };
        long long left = end - ms_now();
        ssize_t r;

        if (needle != NULL && strstr(buf, needle) != NULL)
            break;
        if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
            break;
        r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        buf[n] = '\0';
    }
    return n;
}

size_t read_n(int fd, char *buf, size_t n, int timeout_ms)
{
    long long end = ms_now() + timeout_ms;
    size_t got = 0;

    while (got < n) {
        struct pollfd pf = { fd, POLLIN, 0 };
        long long left = end - ms_now();
        ssize_t r;

        if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
            break;
        r = read(fd, buf + got, n - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

int read_eof(int fd, int timeout_ms)
{
    struct pollfd pf = { fd, POLLIN, 0 };
    char c;

    if (poll(&pf, 1, timeout_ms) <= 0)
        return 0;
    return read(fd, &c, 1) <= 0;
}

int write_full(int fd, const void *buf, size_t len, int timeout_ms)
{
    const char *b = buf;
    long long end = ms_now() + timeout_ms;

    while (len > 0) {
        struct pollfd pf = { fd, POLLOUT, 0 };
        long long left = end - ms_now();
        ssize_t r;

        if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
            return -1;
        r = write(fd, b, len);
        if (r <= 0)
            return -1;
        b += r;
        len -= (size_t)r;
    }
    return 0;
}

char server_said[256];
char server_early[8192];

static int vserver_start(struct proc *p, const char *out_path, int loopback,
                         const char *arg, va_list ap)
{
    char *argv[24];
    char buf[512];
    const char *colon, *line;
    size_t n = 0, i;
    int local = 0;

    argv[n++] = (char *)bin_path("tcp-server");
    /* TCP_MODEL runs a suite against one design (make test does each). */
    if (getenv("TCP_MODEL") != NULL && getenv("TCP_MODEL")[0] != '\0') {
        argv[n++] = "--model";
        argv[n++] = getenv("TCP_MODEL");
    }
    for (; arg != NULL && n < 20; arg = va_arg(ap, const char *))
        argv[n++] = (char *)arg;
    for (i = 1; i < n; i++) {
        if (strcmp(argv[i], "-b") == 0 || strcmp(argv[i], "-4") == 0 ||
            strcmp(argv[i], "-6") == 0)
            loopback = 0;
        if (strcmp(argv[i], "-U") == 0)
            local = 1;    /* a path: no address, no port */
    }
    if (loopback && !local) {
        argv[n++] = "-b";
        argv[n++] = "127.0.0.1";
    }
    if (!local)
        argv[n++] = "0";
    argv[n] = NULL;
    proc_start_io(p, argv, "/dev/null", out_path);
    /* Trace mode writes its lines for socket, bind and listen first. */
    read_until(p->err, server_early, sizeof server_early, "listening on ", 5000);
    line = strncmp(server_early, "listening on ", 13) == 0
               ? server_early : strstr(server_early, "\nlistening on ");
    if (line != NULL && line != server_early)
        line++;
    if (line != NULL && strchr(line, '\n') == NULL) {
        size_t have = strlen(server_early);
        read_until(p->err, server_early + have, sizeof server_early - have,
                   "\n", 5000);
    }
    if (line == NULL || strchr(line, '\n') == NULL) {
        proc_kill(p);
        fail_msg("server did not start: '%s'", server_early);
    }
    snprintf(buf, sizeof buf, "%.*s", (int)(strchr(line, '\n') + 1 - line), line);
    colon = strrchr(buf, ':');
    assert_non_null(colon);
    snprintf(server_said, sizeof server_said, "%.250s", buf);
    return local ? 0 : atoi(colon + 1);
}

int server_start(struct proc *p, const char *out_path, const char *arg, ...)
{
    va_list ap;
    int port;

    va_start(ap, arg);
    port = vserver_start(p, out_path, 1, arg, ap);
    va_end(ap);
    return port;
}

int server_start_dual(struct proc *p, const char *out_path, const char *arg,
                      ...)
{
    va_list ap;
    int port;

    va_start(ap, arg);
    port = vserver_start(p, out_path, 0, arg, ap);
    va_end(ap);
    return port;
}

const char *test_model(void)
{
    const char *m = getenv("TCP_MODEL");

    return m != NULL ? m : "";
}

int one_at_a_time(void)
{
    return strcmp(test_model(), "iterative") == 0;
}

int loopback_listener(int backlog, int *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = sock_listen_on("127.0.0.1", "0", AF_INET, backlog, NULL);

    assert_true(fd >= 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* 1 if /proc/net/FILE lists a socket in LISTEN (state 0A) on port. */
static int listed_listening(const char *file, int port)
{
    char line[512];
    unsigned lport, st;
    int found = 0;
    FILE *f = fopen(file, "r");

    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        /* "  sl  local_address rem_address   st ..." with ADDR:PORT in hex */
        const char *colon = strchr(line, ':');
        if (colon == NULL || (colon = strchr(colon + 1, ':')) == NULL)
            continue;
        if (sscanf(colon + 1, "%x %*s %x", &lport, &st) == 2 &&
            (int)lport == port && st == 0x0A)
            found = 1;
    }
    fclose(f);
    return found;
}

int wait_listening(int port, int timeout_ms)
{
    long long end = ms_now() + timeout_ms;

    while (ms_now() < end) {
        struct timespec pause = { 0, 20000000 };   /* 20 ms */

        if (listed_listening("/proc/net/tcp", port) ||
            listed_listening("/proc/net/tcp6", port))
            return 1;
        nanosleep(&pause, NULL);
    }
    return 0;
}

int connect_port(const char *host, int port)
{
    char ps[16];
    struct sock_err why;
    int fd;

    snprintf(ps, sizeof ps, "%d", port);
    fd = sock_connect_to(host, ps, AF_UNSPEC, 5000, &why);
    if (fd == -1)
        fail_msg("connect %s:%d: %s", host, port, why.msg);
    return fd;
}

int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

void want_fds(unsigned long n)
{
    struct rlimit rl;

    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur >= n)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > n
                      ? n : rl.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < n)
        fail_msg("this test needs %lu descriptors; the hard limit is %lu", n,
                 (unsigned long)rl.rlim_max);
}

size_t read_file(const char *path, char *buf, size_t size, int remove)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL)
        fail_msg("%s: %s", path, strerror(errno));
    n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
    if (remove)
        unlink(path);
    return n;
}

int refusing_socket(int family, int *port)
{
    struct sockaddr_storage ss;
    socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                       : sizeof(struct sockaddr_in);
    int fd = socket(family, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&ss, 0, sizeof ss);
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    *port = ntohs(family == AF_INET6
                      ? ((struct sockaddr_in6 *)&ss)->sin6_port
                      : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

long proc_rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

long proc_cpu_ms(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long ut, st;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the command name, which may hold spaces: 3 is state,
     * 14 utime and 15 stime, in clock ticks. */
    p = strrchr(buf, ')');
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                            &ut, &st) != 2)
        return -1;
    return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

void close_with_reset(int fd)
{
    struct linger lg = { 1, 0 };

    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

int sanitized(void)
{
    return getenv("TCP_SANITIZED") != NULL;
}

long stop_limit_ms(void)
{
    return sanitized() ? 1500 : 1000;
}

#define STEP_MS 5000   /* the longest one step of an exchange may take */

void expect_mem(int fd, const char *want, size_t len)
{
    char *buf = malloc(len + 1);
    size_t n;

    assert_non_null(buf);
    n = read_n(fd, buf, len, STEP_MS);
    if (n != len || memcmp(buf, want, len) != 0) {
        fail_msg("expected %zu bytes '%.*s', got %zu: '%.*s'", len,
                 (int)(len > 200 ? 200 : len), want, n,
                 (int)(n > 200 ? 200 : n), buf);
    }
    free(buf);
}

void expect_str(int fd, const char *want)
{
    expect_mem(fd, want, strlen(want));
}

void send_mem(int fd, const void *buf, size_t len)
{
    assert_int_equal(write_full(fd, buf, len, STEP_MS), 0);
}

void send_str(int fd, const char *s)
{
    send_mem(fd, s, strlen(s));
}

int client(int port)
{
    int fd = connect_port("127.0.0.1", port);

    expect_str(fd, "welcome!\n");
    return fd;
}

int client_when_free(int port)
{
    long long end = ms_now() + STEP_MS;

    while (ms_now() < end) {
        int fd = connect_port("127.0.0.1", port);
        char buf[9];

        if (read_n(fd, buf, 9, STEP_MS) == 9 &&
            memcmp(buf, "welcome!\n", 9) == 0)
            return fd;
        close(fd);
        sleep_ms(20);
    }
    fail_msg("no free slot within %d ms", STEP_MS);
    return -1;
}

void echo_within(int fd, const char *line, long limit_ms)
{
    long long t0 = ms_now();

    send_str(fd, line);
    expect_str(fd, line);
    if (ms_now() - t0 >= limit_ms)
        fail_msg("echo took %lld ms", ms_now() - t0);
}

void local_name(int fd, char *out, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    assert_int_equal(sock_addr_text((struct sockaddr *)&ss, len, out, size), 0);
}

void expect_fin(int fd)
{
    struct pollfd p = { fd, POLLIN, 0 };
    char c;
    ssize_t n;

    if (poll(&p, 1, STEP_MS) != 1)
        fail_msg("the peer did not close within %d ms", STEP_MS);
    n = read(fd, &c, 1);
    if (n == 1)
        fail_msg("expected the end, got the byte 0x%02x", (unsigned char)c);
    if (n == -1)
        fail_msg("expected FIN, got %s", strerror(errno));
}

void expect_clean_close(int fd)
{
    int i, err = 0;
    socklen_t len = sizeof err;

    expect_fin(fd);
    for (i = 0; i < 6; i++) {
        if (send(fd, "x", 1, MSG_NOSIGNAL) == -1)
            fail_msg("reset after the server's FIN: send: %s",
                     strerror(errno));
        sleep_ms(50);
    }
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
    if (err != 0)
        fail_msg("reset after the server's FIN: %s", strerror(err));
}

void need_tool(const char *cmd, char *full, size_t size)
{
    const char *ci = getenv("CI");
    char sh[128];
    FILE *f;

    snprintf(sh, sizeof sh, "command -v %s 2>/dev/null", cmd);
    f = popen(sh, "r");
    full[0] = '\0';
    if (f != NULL) {
        if (fgets(full, (int)size, f) == NULL)
            full[0] = '\0';
        pclose(f);
    }
    full[strcspn(full, "\n")] = '\0';
    if (full[0] == '/')
        return;
    if (ci != NULL && strcmp(ci, "true") == 0)
        fail_msg("CI=true and %s is not installed", cmd);
    print_message("%s not installed\n", cmd);
    skip();
}

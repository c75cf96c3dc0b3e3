/*
 * fork_stop.c - how long tcp-server --model fork takes to stop with many
 * sessions, each a process of its own.  Each run starts the server in a
 * session of its own (loopback, port 0, --max-clients CLIENTS),
 * connects CLIENTS clients and reads each one's welcome, then sends the
 * server SIGTERM and measures: when the last client had read
 * "error: server shutting down\n" and EOF (each client closes at its
 * EOF, as a prompt client does), when the server had exited, and how
 * many processes of its session were left after it.  One line per run:
 *
 *   clients=1000 told=1000 last_told_ms=231 exit_ms=305 status=0 left=0
 *
 * usage: fork_stop SERVER [CLIENTS [RUNS]]   (default 1000 clients, 3 runs)
 *
 * make bench-fork-stop builds and runs it.  Loopback only; what is left
 * of the session is killed at the end of each run, whatever became of it.
 *
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define TOLD "error: server shutting down\n"
#define STEP_MS 30000   /* any one step: start, welcomes, the stop */

static long long ms_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&t, NULL);
}

static pid_t group;     /* the server's session, killed at any exit */

/* Processes of session sid, its leader aside (the server may put its
 * children in a process group of their own); with sig, they are sent
 * that signal.  Returns how many there were. */
static int in_session(pid_t sid, int sig)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int k = 0;

    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[300], stat[512], *rp;
        FILE *f;
        int session = 0;
        pid_t pid = (pid_t)atoi(e->d_name);

        if (pid <= 0 || pid == sid)
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        if (fgets(stat, sizeof stat, f) != NULL &&
            (rp = strrchr(stat, ')')) != NULL &&
            sscanf(rp + 1, " %*c %*d %*d %d", &session) == 1 && session == sid) {
            k++;
            if (sig != 0)
                kill(pid, sig);
        }
        fclose(f);
    }
    if (d != NULL)
        closedir(d);
    return k;
}

static void kill_group(void)
{
    if (group > 0) {
        kill(group, SIGKILL);
        (void)in_session(group, SIGKILL);
    }
}

static void die(const char *what)
{
    fprintf(stderr, "fork_stop: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Start the server in a group of its own; its port from "listening on". */
static pid_t start(const char *server, const char *clients, int *port,
                   int *errfd)
{
    char buf[512] = "", *at;
    size_t have = 0;
    long long end = ms_now() + STEP_MS;
    int err[2];
    pid_t pid;

    if (pipe(err) == -1)
        die("pipe");
    pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        setsid();
        dup2(err[1], 2);
        close(err[0]);
        close(err[1]);
        execl(server, server, "--model", "fork", "-q", "-q", "-b",
              "127.0.0.1", "--max-clients", clients, "0", (char *)NULL);
        _exit(127);
    }
    group = pid;
    close(err[1]);
    while ((at = strstr(buf, "listening on 127.0.0.1:")) == NULL ||
           strchr(at, '\n') == NULL) {
        struct pollfd p = { err[0], POLLIN, 0 };
        ssize_t n;

        if (have + 1 >= sizeof buf || ms_now() > end ||
            poll(&p, 1, 100) == -1 ||
            (p.revents && (n = read(err[0], buf + have, sizeof buf - 1 - have)) <= 0)) {
            fprintf(stderr, "fork_stop: the server did not start: %s\n", buf);
            exit(1);
        }
        if (p.revents)
            buf[have += (size_t)n] = '\0';
    }
    *port = atoi(at + strlen("listening on 127.0.0.1:"));
    *errfd = err[0];    /* -q -q: only what goes wrong */
    return pid;
}

static int connect_one(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd == -1 || connect(fd, (struct sockaddr *)&a, sizeof a) == -1)
        die("connect");
    return fd;
}

/* What the server said on stderr since it started listening. */
static void show_errors(int fd)
{
    char buf[4096];
    struct pollfd p = { fd, POLLIN, 0 };
    ssize_t n;

    while (poll(&p, 1, 0) == 1 && (n = read(fd, buf, sizeof buf)) > 0)
        fprintf(stderr, "%.*s", (int)n, buf);
}

/* Read until every open client's buffer holds `want` bytes, or EOF
 * (closing it then); returns when all are closed or the time is up. */
static void read_all(struct pollfd *p, char (*got)[64], size_t *have,
                     int n, size_t want, long long end)
{
    int open = n, i;

    for (i = 0; i < n; i++)
        if (p[i].fd < 0 || (want > 0 && have[i] >= want))
            open--;
    while (open > 0 && ms_now() < end) {
        if (poll(p, (nfds_t)n, 100) == -1 && errno != EINTR)
            die("poll");
        for (i = 0; i < n; i++) {
            ssize_t r;

            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)) ||
                (want > 0 && have[i] >= want))
                continue;
            r = read(p[i].fd, got[i] + have[i], 63 - have[i]);
            if (r > 0)
                have[i] += (size_t)r;
            if (r > 0 && (want == 0 || have[i] < want))
                continue;
            if (r <= 0) {
                close(p[i].fd);
                p[i].fd = -1;
            }
            open--;
        }
    }
}

static void one_run(const char *server, int n)
{
    struct pollfd *p = calloc((size_t)n, sizeof *p);
    char (*got)[64] = calloc((size_t)n, sizeof *got);
    size_t *have = calloc((size_t)n, sizeof *have);
    char clients[32];
    long long t0, t_told = -1, t_exit = -1;
    int port, errfd, i, told = 0, st = -1;
    pid_t pid;

    if (p == NULL || got == NULL || have == NULL)
        die("calloc");
    snprintf(clients, sizeof clients, "%d", n);
    pid = start(server, clients, &port, &errfd);
    for (i = 0; i < n; i++) {
        p[i].fd = connect_one(port);
        p[i].events = POLLIN;
    }
    read_all(p, got, have, n, strlen("welcome!\n"), ms_now() + STEP_MS);
    for (i = 0; i < n; i++)
        if (p[i].fd < 0 || have[i] != 9 || memcmp(got[i], "welcome!\n", 9) != 0) {
            fprintf(stderr, "fork_stop: client %d: no welcome but %zu bytes "
                    "'%.*s'%s; the server said:\n", i, have[i], (int)have[i],
                    got[i], p[i].fd < 0 ? " and EOF" : "");
            show_errors(errfd);
            exit(1);
        }
    memset(have, 0, (size_t)n * sizeof *have);
    sleep_ms(300);     /* every child waits in its poll() */

    t0 = ms_now();
    kill(pid, SIGTERM);
    read_all(p, got, have, n, 0, t0 + STEP_MS);
    t_told = ms_now() - t0;
    while (t_exit < 0 && ms_now() < t0 + STEP_MS) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            t_exit = ms_now() - t0;
        else
            sleep_ms(1);
    }
    for (i = 0; i < n; i++) {
        told += have[i] == strlen(TOLD) && memcmp(got[i], TOLD, have[i]) == 0 &&
                p[i].fd < 0;
        if (p[i].fd >= 0)
            close(p[i].fd);
    }
    printf("clients=%d told=%d last_told_ms=%lld exit_ms=%lld status=%d left=%d\n",
           n, told, t_told, t_exit,
           t_exit < 0 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
           in_session(pid, 0));
    fflush(stdout);
    show_errors(errfd);
    close(errfd);
    kill_group();
    group = 0;
    if (t_exit < 0)
        waitpid(pid, NULL, 0);
    free(p);
    free(got);
    free(have);
}

int main(int argc, char **argv)
{
    int n = argc > 2 ? atoi(argv[2]) : 1000, runs = argc > 3 ? atoi(argv[3]) : 3;
    struct rlimit rl;

    if (argc < 2 || n <= 0 || runs <= 0) {
        fprintf(stderr, "usage: fork_stop SERVER [CLIENTS [RUNS]]\n");
        return 2;
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
        rl.rlim_cur = (rlim_t)n + 64;
        if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
            die("setrlimit");
    }
    signal(SIGPIPE, SIG_IGN);
    atexit(kill_group);
    while (runs-- > 0)
        one_run(argv[1], n);
    return 0;
}

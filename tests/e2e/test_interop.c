/*
 * test_interop.c - tcp-server and tcp-client against real peers: the
 * article's own Java TcpServer / TcpClient, OpenBSD nc, and a CRLF
 * (telnet-style) client.  A peer that is not installed, or an article
 * that is not found, makes its tests say "SKIPPED" - except under
 * CI=true, where every peer must be there and a missing one fails.
 *
 * The article is $ARTICLE, or shared/seeds/000_de3cfc75ef2f5741.txt in
 * a directory above the source tree (where `make` ran: TEST_SOURCE_DIR),
 * the nearest first, whatever the current directory.
 *
 * The Java code is read from the article at test time, never copied into
 * the project.  One change is made to it: the server's port, 8080 in the
 * article, comes from -Dport so that the test can use a free port.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "libsock.h"
#include "fixture.h"
#include "peer_wait.h"
#include "testutil.h"

#define T_MS 10000   /* a JVM may take a few seconds to start */

static char java[512], javac[512], nc[512];
static char classes[64];     /* where the article's classes were built */
static int have_java, have_nc;
static char no_java[256] = "javac or java not on PATH";
static char no_nc[64] = "OpenBSD nc not on PATH";

#ifndef TEST_SOURCE_DIR
#define TEST_SOURCE_DIR "."
#endif
#define ARTICLE_NAME "shared/seeds/000_de3cfc75ef2f5741.txt"

/* Under CI=true a peer that cannot run is a failure, not a skip. */
static void need_peer(int have, const char *why)
{
    const char *ci = getenv("CI");

    if (have)
        return;
    if (ci != NULL && strcmp(ci, "true") == 0)
        fail_msg("CI=true and this peer cannot run: %s", why);
    print_message("peer missing: %s\n", why);
    skip();
}

/* Find an executable on PATH; 1 when found (full path in out). */
static int find_in_path(const char *name, char *out, size_t size)
{
    const char *path = getenv("PATH");
    char dir[512];

    while (path != NULL && *path != '\0') {
        size_t n = strcspn(path, ":");
        if (n > 0 && n < sizeof dir) {
            memcpy(dir, path, n);
            dir[n] = '\0';
            snprintf(out, size, "%s/%s", dir, name);
            if (access(out, X_OK) == 0)
                return 1;
        }
        path += n + (path[n] == ':');
    }
    return 0;
}

/* The article: $ARTICLE, else ARTICLE_NAME in a directory above the
 * source tree, the nearest first. */
static FILE *open_article(void)
{
    const char *p = getenv("ARTICLE");
    char dir[1024], path[1100];
    char *slash;

    if (p != NULL)
        return fopen(p, "r");
    snprintf(dir, sizeof dir, "%s", TEST_SOURCE_DIR);
    while ((slash = strrchr(dir, '/')) != NULL) {
        FILE *f;

        *slash = '\0';
        snprintf(path, sizeof path, "%s/%s", dir, ARTICLE_NAME);
        if ((f = fopen(path, "r")) != NULL)
            return f;
    }
    return NULL;
}

/*
 * The article lists its Java code as lines "- code" after the heading
 * lines "服务端:" (server) and "客户端:" (client).  Write them out as
 * TcpServer.java and TcpClient.java in dir.  Returns 0 on success.
 */
static int extract_java(const char *dir)
{
    FILE *in = open_article(), *out = NULL;
    char line[1024], path[256];
    int files = 0;

    if (in == NULL)
        return -1;
    while (fgets(line, sizeof line, in) != NULL) {
        int server = strcmp(line, "服务端:\n") == 0;

        if (server || strcmp(line, "客户端:\n") == 0) {
            if (out != NULL)
                fclose(out);
            snprintf(path, sizeof path, "%s/%s", dir,
                     server ? "TcpServer.java" : "TcpClient.java");
            out = fopen(path, "w");
            if (out == NULL)
                break;
            files++;
            continue;
        }
        if (out == NULL)
            continue;
        if (line[0] != '-') {          /* the code block has ended */
            fclose(out);
            out = NULL;
            continue;
        }
        {
            const char *code = line + 1 + (line[1] == ' ');
            const char *port = strstr(code, "new ServerSocket(8080)");
            if (port != NULL)
                fprintf(out, "%.*snew ServerSocket(Integer.getInteger(\"port\", 8080))%s",
                        (int)(port - code), code,
                        port + strlen("new ServerSocket(8080)"));
            else
                fputs(code, out);
        }
    }
    if (out != NULL)
        fclose(out);
    fclose(in);
    return files == 2 ? 0 : -1;
}

static int group_setup(void **state)
{
    char *argv[8];
    char src1[128], src2[128];
    struct proc p;
    char b[1024];

    (void)state;
    if (find_in_path("nc", nc, sizeof nc)) {
        /* Only OpenBSD's nc has the -N we rely on. */
        char *help[] = { nc, "-h", NULL };
        proc_start(&p, help, 0);
        read_until(p.err, b, sizeof b, NULL, 3000);
        proc_wait(&p, 3000);
        proc_kill(&p);
        have_nc = strstr(b, "OpenBSD") != NULL;
    }
    if (!find_in_path("java", java, sizeof java) ||
        !find_in_path("javac", javac, sizeof javac))
        return 0;
    snprintf(classes, sizeof classes, "/tmp/tcp-interop-XXXXXX");
    if (mkdtemp(classes) == NULL || extract_java(classes) != 0) {
        snprintf(no_java, sizeof no_java,
                 "the article (%s above %.80s, or $ARTICLE) was not found or "
                 "holds no Java code", ARTICLE_NAME, TEST_SOURCE_DIR);
        return 0;
    }
    snprintf(src1, sizeof src1, "%s/TcpServer.java", classes);
    snprintf(src2, sizeof src2, "%s/TcpClient.java", classes);
    argv[0] = javac;
    argv[1] = "-nowarn";
    argv[2] = "-d";
    argv[3] = classes;
    argv[4] = src1;
    argv[5] = src2;
    argv[6] = NULL;
    proc_start(&p, argv, 0);
    have_java = proc_wait(&p, 60000) == 0;
    if (!have_java) {
        read_until(p.err, b, sizeof b, NULL, 1000);
        snprintf(no_java, sizeof no_java, "javac failed: %.200s", b);
    }
    proc_kill(&p);
    return 0;
}

static int group_teardown(void **state)
{
    char cmd[128];

    (void)state;
    if (classes[0] != '\0') {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", classes);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", classes);
    }
    return 0;
}

/*
 * Start the peer argv, which listens on a port the test can only choose
 * as one free a moment ago (free_port): argv[port_arg] gets the port,
 * printed with `form`; with_stdin as for proc_start().  Returns the port once the peer itself listens
 * on it.  A peer that exits first found the port taken meanwhile (a
 * suite running beside this one, say), and is started again on another.
 */
static int start_listening_peer(char *argv[], int with_stdin, int port_arg,
                                const char *form, char *buf, size_t size)
{
    int tries;

    for (tries = 0; tries < 5; tries++) {
        int port = free_port(), r;

        snprintf(buf, size, form, port);
        argv[port_arg] = buf;
        proc_start(&peer, argv, with_stdin);
        r = peer_wait_bound(&peer, port, 0, T_MS);
        if (r == 1)
            return port;
        if (r == -1)
            fail_msg("%s did not listen on port %d within %d ms", argv[0],
                     port, T_MS);
        proc_kill(&peer);         /* it exited: its pipes go */
    }
    fail_msg("%s exited 5 times before listening", argv[0]);
    return -1;
}

static void start_client(int port)
{
    char ps[16];
    char *argv[] = { (char *)bin_path("tcp-client"), "127.0.0.1", ps, NULL };

    snprintf(ps, sizeof ps, "%d", port);
    proc_start(&cli, argv, 1);
}

/* tcp-client against the article's TcpServer: "welcome!" shows at once
 * although it has no newline; the line reaches the server; the client
 * notices the close and exits 0. */
static void client_vs_java_server(void **state)
{
    char prop[32], got[256];
    int port;

    (void)state;
    need_peer(have_java, no_java);
    {
        char *argv[] = { java, "-cp", classes, NULL,
                         "com.justsee.tcpip.TcpServer", NULL };
        port = start_listening_peer(argv, 0, 3, "-Dport=%d", prop, sizeof prop);
    }
    start_client(port);
    read_n(cli.out, got, 8, T_MS);
    assert_memory_equal(got, "welcome!", 8);
    assert_int_equal(write_full(cli.in, "hello from C\n", 13, T_MS), 0);
    assert_int_equal(proc_wait(&peer, T_MS), 0);
    read_until(peer.out, got, sizeof got, NULL, T_MS);
    assert_string_equal(got, "hello from C\n");
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    read_until(cli.err, got, sizeof got, NULL, T_MS);
    assert_non_null(strstr(got, "closed the connection"));
}

/* The article's TcpClient against tcp-server.  It prints one reply per
 * line it sends, so it shows the welcome for its first line, then the
 * echo of the first line for its second, and quits cleanly. */
static void java_client_vs_server(void **state)
{
    char ps[16], got[256];
    int port;

    (void)state;
    need_peer(have_java, no_java);
    port = server_start(&srv, NULL, "-q", NULL);
    snprintf(ps, sizeof ps, "%d", port);
    {
        char *argv[] = { java, "-cp", classes, "com.justsee.tcpip.TcpClient",
                         "127.0.0.1", ps, NULL };
        proc_start(&peer, argv, 1);
    }
    assert_int_equal(write_full(peer.in, "one\ntwo\nquit\n", 13, T_MS), 0);
    assert_int_equal(proc_wait(&peer, T_MS), 0);
    read_until(peer.out, got, sizeof got, NULL, T_MS);
    assert_string_equal(got, "welcome!\none\n");
    /* The server saw every line, quit included, and is still serving. */
    read_until(srv.out, got, sizeof got, ": quit\n", T_MS);
    assert_non_null(strstr(got, ": one\n"));
    assert_non_null(strstr(got, ": two\n"));
    assert_non_null(strstr(got, ": quit\n"));
}

/* OpenBSD nc as the client: -N sends EOF after its input. */
static void nc_client_vs_server(void **state)
{
    char ps[16], got[256];
    int port;

    (void)state;
    need_peer(have_nc, no_nc);
    port = server_start(&srv, "/dev/null", "-q", NULL);
    snprintf(ps, sizeof ps, "%d", port);
    {
        char *argv[] = { nc, "-N", "127.0.0.1", ps, NULL };
        proc_start(&peer, argv, 1);
    }
    assert_int_equal(write_full(peer.in, "hi nc\nlast", 10, T_MS), 0);
    proc_close_in(&peer);
    read_until(peer.out, got, sizeof got, NULL, T_MS);
    assert_string_equal(got, "welcome!\nhi nc\nlast");
    assert_int_equal(proc_wait(&peer, T_MS), 0);
}

/* A telnet-style client sends CRLF: echoed as sent, and "quit\r\n" ends
 * the session. */
static void crlf_client_vs_server(void **state)
{
    char ps[16], got[256];
    int port;

    (void)state;
    need_peer(have_nc, no_nc);
    port = server_start(&srv, "/dev/null", "-q", NULL);
    snprintf(ps, sizeof ps, "%d", port);
    {
        char *argv[] = { nc, "-C", "127.0.0.1", ps, NULL };   /* -C: CRLF */
        proc_start(&peer, argv, 1);
    }
    assert_int_equal(write_full(peer.in, "hello\nquit\nnever\n", 17, T_MS), 0);
    proc_close_in(&peer);
    /* nc ends once the server has closed: nothing after the echo. */
    assert_int_equal(proc_wait(&peer, T_MS), 0);
    read_until(peer.out, got, sizeof got, NULL, T_MS);
    assert_string_equal(got, "welcome!\nhello\r\n");
}

/* tcp-client against "nc -l": both directions, then both sides end. */
static void client_vs_nc_listener(void **state)
{
    char ps[16], got[256];
    int port;

    (void)state;
    need_peer(have_nc, no_nc);
    {
        char *argv[] = { nc, "-N", "-l", "127.0.0.1", NULL, NULL };
        port = start_listening_peer(argv, 1, 4, "%d", ps, sizeof ps);
    }
    start_client(port);
    assert_int_equal(write_full(peer.in, "hello from nc\n", 14, T_MS), 0);
    read_until(cli.out, got, sizeof got, "\n", T_MS);
    assert_string_equal(got, "hello from nc\n");
    assert_int_equal(write_full(cli.in, "hello from C\n", 13, T_MS), 0);
    read_until(peer.out, got, sizeof got, "\n", T_MS);
    assert_string_equal(got, "hello from C\n");
    proc_close_in(&cli);     /* client half-closes ... */
    proc_close_in(&peer);    /* ... and nc -N does too: both exit 0 */
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    assert_int_equal(proc_wait(&peer, T_MS), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        proc_test(client_vs_java_server),
        proc_test(java_client_vs_server),
        proc_test(nc_client_vs_server),
        proc_test(crlf_client_vs_server),
        proc_test(client_vs_nc_listener),
    };

    return cmocka_run_group_tests_name("interop", tests, group_setup,
                                       group_teardown);
}

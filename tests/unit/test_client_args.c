/*
 * test_client_args.c - tcp-client's option parser (client_args_parse,
 * src/client/client_args.c): its defaults, HOST and PORT (an IPv6 host in
 * brackets, with or without a zone), the options, -U and -u, -w and the
 * idle limit it sets (client_idle_ms), --raw, the names in
 * the client's messages, and one-line usage errors that name the argument
 * at fault.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "client_args.h"
#include "cmdline.h"
#include "mock_syscalls.h"

/* ---- client_args_parse -------------------------------------------------- */

static void client_defaults(void **state)
{
    char *argv[] = { "tcp-client", NULL };
    struct client_args a;
    char err[128];

    (void)state;
    assert_int_equal(cparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_RUN);
    assert_string_equal(a.host, "127.0.0.1");
    assert_string_equal(a.port, "8080");
    assert_int_equal(a.timeout_s, 10);
    assert_int_equal(a.family, 0);
    assert_int_equal(a.trace, 0);
    assert_int_equal(a.idle_s, -1);
    assert_int_equal(a.raw, 0);
}

/* -w / --idle-timeout SEC, from 0 (never) to 2000000; --raw. */
static void client_idle_timeout_and_raw(void **state)
{
    char *argv1[] = { "tcp-client", "-w", "2", NULL };
    char *argv2[] = { "tcp-client", "--idle-timeout=0", "--raw", "h", NULL };
    char *argv3[] = { "tcp-client", "--idle-timeout", "2000000", NULL };
    static char *const bad[] = { "-1", "x", "", "1.5", "2000001" };
    struct client_args a;
    char err[128];
    size_t i;

    (void)state;
    assert_int_equal(cparse(ARGC(argv1), argv1, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.idle_s, 2);
    assert_int_equal(a.raw, 0);
    assert_int_equal(cparse(ARGC(argv2), argv2, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.idle_s, 0);
    assert_int_equal(a.raw, 1);
    assert_string_equal(a.host, "h");
    assert_int_equal(cparse(ARGC(argv3), argv3, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.idle_s, 2000000);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = { "tcp-client", "-w", bad[i], NULL };

        assert_int_equal(cparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_USAGE);
        assert_mentions(err, "'--idle-timeout'");
    }
}

/*
 * The idle limit: without -w, none while a person may type at a
 * terminal, CLIENT_DEFAULT_IDLE (60 s) otherwise, so a script is never
 * held for ever; -w SEC in every case; -w 0 never.
 */
static void client_idle_limits(void **state)
{
    char *dflt[] = { "tcp-client", NULL };
    char *two[] = { "tcp-client", "-w", "2", NULL };
    char *never[] = { "tcp-client", "-w", "0", NULL };
    struct client_args a;
    char err[128];

    (void)state;
    assert_int_equal(CLIENT_DEFAULT_IDLE, 60);
    assert_int_equal(cparse(ARGC(dflt), dflt, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(client_idle_ms(&a, 1), -1);
    assert_int_equal(client_idle_ms(&a, 0), 60000);
    assert_int_equal(cparse(ARGC(two), two, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(client_idle_ms(&a, 1), 2000);
    assert_int_equal(client_idle_ms(&a, 0), 2000);
    assert_int_equal(cparse(ARGC(never), never, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(client_idle_ms(&a, 1), -1);
    assert_int_equal(client_idle_ms(&a, 0), -1);
}

static void client_trace(void **state)
{
    char *argv[] = { "tcp-client", "-t", "::1", NULL };
    char *argv2[] = { "tcp-client", "--trace", "-4", NULL };
    struct client_args a;
    char err[128];

    (void)state;
    assert_int_equal(cparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.trace, 1);
    assert_string_equal(a.host, "::1");
    assert_int_equal(cparse(ARGC(argv2), argv2, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.trace, 1);
    assert_int_equal(a.family, AF_INET);
}

static void client_host_and_port(void **state)
{
    char *argv1[] = { "tcp-client", "::1", "9000", NULL };
    char *argv2[] = { "tcp-client", "localhost", NULL };
    char *argv3[] = { "tcp-client", "-6", "::1", "65535", NULL };
    char *argv4[] = { "tcp-client", "-4", "10.0.0.1", "1", NULL };
    struct client_args a;
    char err[128];

    (void)state;
    assert_int_equal(cparse(ARGC(argv1), argv1, &a, err, sizeof err), ARGS_RUN);
    assert_string_equal(a.host, "::1");
    assert_string_equal(a.port, "9000");
    assert_int_equal(a.timeout_s, 10);

    assert_int_equal(cparse(ARGC(argv2), argv2, &a, err, sizeof err), ARGS_RUN);
    assert_string_equal(a.host, "localhost");
    assert_string_equal(a.port, "8080");

    assert_int_equal(cparse(ARGC(argv3), argv3, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.family, AF_INET6);
    assert_string_equal(a.port, "65535");

    assert_int_equal(cparse(ARGC(argv4), argv4, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.family, AF_INET);
    assert_string_equal(a.host, "10.0.0.1");
    assert_string_equal(a.port, "1");
}

static void client_timeout(void **state)
{
    char *argv1[] = { "tcp-client", "--timeout", "0", NULL };
    char *argv2[] = { "tcp-client", "--timeout=3", NULL };
    char *argv3[] = { "tcp-client", "host", "--timeout", "2000000", "7", NULL };
    struct client_args a;
    char err[128];

    (void)state;
    assert_int_equal(cparse(ARGC(argv1), argv1, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.timeout_s, 0);
    assert_string_equal(a.host, "127.0.0.1");

    assert_int_equal(cparse(ARGC(argv2), argv2, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.timeout_s, 3);

    assert_int_equal(cparse(ARGC(argv3), argv3, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.timeout_s, 2000000);
    assert_string_equal(a.host, "host");
    assert_string_equal(a.port, "7");
}

static void client_bad_timeout(void **state)
{
    static char *const bad[] = { "-1", "x", "", "1.5", "2000001",
                                       "99999999999999999999" };
    struct client_args a;
    char err[128];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = { "tcp-client", "--timeout", bad[i], NULL };

        assert_int_equal(cparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_USAGE);
        assert_mentions(err, "'--timeout'");
    }
    {
        char *argv[] = { "tcp-client", "--timeout", NULL };

        assert_int_equal(cparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_USAGE);
        assert_string_equal(err, "option '--timeout' needs a value");
    }
}

static void client_bad_ports(void **state)
{
    static char *const bad[] = { "0", "65536", "http", "" };
    struct client_args a;
    char err[128];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = { "tcp-client", "localhost", bad[i], NULL };

        assert_int_equal(cparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_USAGE);
        assert_mentions(err, "PORT");
    }
}

static void client_three_operands(void **state)
{
    char *argv[] = { "tcp-client", "localhost", "9000", "extra", NULL };
    char *argv2[] = { "tcp-client", "localhost", "9000", "9001", NULL };
    struct client_args a;
    char err[128];

    (void)state;
    assert_int_equal(cparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_USAGE);
    assert_mentions(err, "extra");
    /* A third operand is refused even when it would make a good port. */
    assert_int_equal(cparse(ARGC(argv2), argv2, &a, err, sizeof err), ARGS_USAGE);
    assert_mentions(err, "9001");
}

/* HOST may be an IPv6 address in brackets, with or without a zone: the
 * brackets go, the address stays. */
static void client_bracket_hosts(void **state)
{
    char *argv1[] = { "tcp-client", "[::1]", "9000", NULL };
    char *argv2[] = { "tcp-client", "[fe80::1%lo]", "80", NULL };
    static char *const bad[] = { "[127.0.0.1]", "[::1", "::1]", "[]",
                                 "[localhost]", "[[::1]]" };
    struct client_args a;
    char err[128];
    size_t i;

    (void)state;
    assert_int_equal(cparse(ARGC(argv1), argv1, &a, err, sizeof err), ARGS_RUN);
    assert_string_equal(a.host, "::1");
    assert_string_equal(a.port, "9000");
    assert_int_equal(cparse(ARGC(argv2), argv2, &a, err, sizeof err), ARGS_RUN);
    assert_string_equal(a.host, "fe80::1%lo");
    assert_string_equal(a.port, "80");
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = { "tcp-client", bad[i], NULL };

        assert_int_equal(cparse(ARGC(argv), argv, &a, err, sizeof err),
                         ARGS_USAGE);
        assert_mentions(err, "HOST");
    }
}

/* tcp-client -U PATH (no HOST, PORT, -4 or -6 with it) and -u. */
static void client_families_and_types(void **state)
{
    char *local[] = { "tcp-client", "-U", "@lesson", NULL };
    char *udp[] = { "tcp-client", "-u", "::1", "9000", NULL };
    char *host[] = { "tcp-client", "-U", "s.sock", "localhost", NULL };
    char *fam[] = { "tcp-client", "-4", "-U", "s.sock", NULL };
    char *both[] = { "tcp-client", "-U", "s.sock", "-u", NULL };
    struct client_args a;
    char err[256], name[64];

    (void)state;
    memset(&a, 0, sizeof a);
    assert_int_equal(client_args_parse(ARGC(local), local, &a, err, sizeof err),
                     ARGS_RUN);
    assert_string_equal(a.local, "@lesson");
    client_server_name(&a, name, sizeof name);
    assert_string_equal(name, "unix:@lesson");
    assert_int_equal(client_args_parse(ARGC(udp), udp, &a, err, sizeof err),
                     ARGS_RUN);
    assert_int_equal(a.udp, 1);
    assert_null(a.local);
    client_server_name(&a, name, sizeof name);
    assert_string_equal(name, "[::1]:9000");
    assert_int_equal(client_args_parse(ARGC(host), host, &a, err, sizeof err),
                     ARGS_USAGE);
    assert_mentions(err, "HOST");
    assert_int_equal(client_args_parse(ARGC(fam), fam, &a, err, sizeof err),
                     ARGS_USAGE);
    assert_mentions(err, "-4");
    assert_int_equal(client_args_parse(ARGC(both), both, &a, err, sizeof err),
                     ARGS_USAGE);
    assert_mentions(err, "together");
}

/* The names in tcp-client's messages: the server as typed; the host name
 * first when the address tried is not what was typed, whatever the
 * words of the message (a host called "Connection" too). */
static void client_messages_name_the_server(void **state)
{
    struct client_args a;
    char out[400];

    (void)state;
    memset(&a, 0, sizeof a);
    a.host = "::1";
    a.port = "9000";
    client_server_name(&a, out, sizeof out);
    assert_string_equal(out, "[::1]:9000");
    a.host = "localhost";
    client_server_name(&a, out, sizeof out);
    assert_string_equal(out, "localhost:9000");

    client_connect_error(&a, "connect 127.0.0.1:9000: Connection refused", 1,
                         out, sizeof out);
    assert_string_equal(out, "tcp-client: localhost:9000: connect "
                             "127.0.0.1:9000: Connection refused");
    a.host = "Connection";
    client_connect_error(&a, "connect 10.1.2.3:9000: Connection refused", 1,
                         out, sizeof out);
    assert_string_equal(out, "tcp-client: Connection:9000: connect "
                             "10.1.2.3:9000: Connection refused");
    a.host = "127.0.0.1";
    client_connect_error(&a, "connect 127.0.0.1:9000: Connection refused", 0,
                         out, sizeof out);
    assert_string_equal(out, "tcp-client: connect 127.0.0.1:9000: "
                             "Connection refused");
    a.host = "no..such";
    client_connect_error(&a, "resolve no..such:9000: Name or service not known",
                         0, out, sizeof out);
    assert_string_equal(out, "tcp-client: resolve no..such:9000: Name or "
                             "service not known");
}

static void client_empty_host(void **state)
{
    char *argv[] = { "tcp-client", "", "9000", NULL };
    struct client_args a;
    char err[128];

    (void)state;
    assert_int_equal(cparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_USAGE);
    assert_mentions(err, "HOST");
}

static void client_options_and_help(void **state)
{
    char *both[] = { "tcp-client", "-4", "-6", NULL };
    char *unk[] = { "tcp-client", "-q", NULL };
    char *h[] = { "tcp-client", "--help", NULL };
    char *v[] = { "tcp-client", "-V", NULL };
    struct client_args a;
    char err[128];

    (void)state;
    assert_int_equal(cparse(ARGC(both), both, &a, err, sizeof err), ARGS_USAGE);
    assert_mentions(err, "-4");
    assert_mentions(err, "-6");
    assert_int_equal(cparse(ARGC(unk), unk, &a, err, sizeof err), ARGS_USAGE);
    assert_string_equal(err, "unknown option '-q'");
    assert_int_equal(cparse(ARGC(h), h, &a, err, sizeof err), ARGS_HELP);
    assert_int_equal(cparse(ARGC(v), v, &a, err, sizeof err), ARGS_VERSION);
}

/* --seqpacket: -U's socket as SOCK_SEQPACKET; refused without -U. */
static void client_seqpacket(void **state)
{
    char *seq[] = { "tcp-client", "--seqpacket", "-U", "s.sock", NULL };
    char *plain[] = { "tcp-client", "-U", "s.sock", NULL };
    char *tcp[] = { "tcp-client", "--seqpacket", NULL };
    char *udp[] = { "tcp-client", "-u", "--seqpacket", NULL };
    struct client_args a;
    char err[256];

    (void)state;
    assert_int_equal(cparse(ARGC(seq), seq, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.seqpacket, 1);
    assert_int_equal(cparse(ARGC(plain), plain, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.seqpacket, 0);
    assert_int_equal(cparse(ARGC(tcp), tcp, &a, err, sizeof err), ARGS_USAGE);
    assert_mentions(err, "'--seqpacket' applies with '-U PATH' only");
    assert_int_equal(cparse(ARGC(udp), udp, &a, err, sizeof err), ARGS_USAGE);
    assert_mentions(err, "'--seqpacket' applies with '-U PATH' only");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        mock_unit_test(client_families_and_types),
        mock_unit_test(client_defaults),
        mock_unit_test(client_idle_timeout_and_raw),
        mock_unit_test(client_idle_limits),
        mock_unit_test(client_trace),
        mock_unit_test(client_host_and_port),
        mock_unit_test(client_timeout),
        mock_unit_test(client_bad_timeout),
        mock_unit_test(client_bad_ports),
        mock_unit_test(client_three_operands),
        mock_unit_test(client_bracket_hosts),
        mock_unit_test(client_messages_name_the_server),
        mock_unit_test(client_empty_host),
        mock_unit_test(client_options_and_help),
        mock_unit_test(client_seqpacket),
    };

    return cmocka_run_group_tests_name("client_args", tests, NULL, NULL);
}

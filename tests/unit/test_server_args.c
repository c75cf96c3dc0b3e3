/*
 * test_server_args.c - tcp-server's option parser (server_args_parse,
 * src/server/server_args.c): its defaults, every option and the ones that
 * exclude each other, the address to bind (an IPv6 one in brackets), the
 * port, and one-line usage errors that name the argument at fault.
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

#include "server_args.h"
#include "cmdline.h"
#include "mock_syscalls.h"

/* ---- server_args_parse -------------------------------------------------- */

static void server_defaults(void **state)
{
    char *argv[] = { "tcp-server", NULL };
    struct server_args a;
    char err[128];

    (void)state;
    assert_int_equal(sparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_RUN);
    assert_string_equal(a.port, "8080");
    assert_int_equal(a.family, 0);
    assert_null(a.bind);
    assert_int_equal(a.once, 0);
    assert_int_equal(a.quiet, 0);
    assert_int_equal(a.max_line, 8192);
    assert_int_equal(a.max_clients, 1024);
    assert_int_equal(a.idle_timeout, 300);
    assert_int_equal(a.max_per_ip, 0);
    assert_int_equal(a.backlog, -1);      /* the system's maximum */
    assert_int_equal(a.no_accept, 0);
    assert_int_equal(a.trace, 0);
}

/* --backlog N (0 to 65535), --no-accept, -t / --trace. */
static void server_lesson_options(void **state)
{
    char *argv[] = { "tcp-server", "--backlog", "0", "--no-accept", "-t", NULL };
    char *argv2[] = { "tcp-server", "--backlog=65535", "--trace", NULL };
    static char *const bad[] = { "-1", "x", "", "65536", "1e3" };
    struct server_args a;
    char err[128];
    size_t i;

    (void)state;
    assert_int_equal(sparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.backlog, 0);
    assert_int_equal(a.no_accept, 1);
    assert_int_equal(a.trace, 1);
    assert_int_equal(sparse(ARGC(argv2), argv2, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.backlog, 65535);
    assert_int_equal(a.no_accept, 0);
    assert_int_equal(a.trace, 1);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv_bad[] = { "tcp-server", "--backlog", bad[i], NULL };

        assert_int_equal(sparse(ARGC(argv_bad), argv_bad, &a, err, sizeof err),
                         ARGS_USAGE);
        assert_mentions(err, "--backlog");
    }
    {
        char *argv_bad[] = { "tcp-server", "--no-accept=1", NULL };
        assert_int_equal(sparse(ARGC(argv_bad), argv_bad, &a, err, sizeof err),
                         ARGS_USAGE);
    }
}

/* -U PATH and -u; and the options they make meaningless, refused. */
static void server_families_and_types(void **state)
{
    char *local[] = { "tcp-server", "-U", "/tmp/s.sock", "-q", NULL };
    char *udp[] = { "tcp-server", "-u", "--max-clients", "3", "9000", NULL };
    static const char *const not_local[][3] = {
        { "-4", NULL, "-4" }, { "-6", NULL, "-6" }, { "-b", "::1", "-b" },
        { "9000", NULL, "PORT" }, { "--max-per-ip", "2", "--max-per-ip" },
    };
    static const char *const not_udp[][3] = {
        { "--backlog", "5", "--backlog" }, { "--no-accept", NULL, "--no-accept" },
        { "--model", "poll", "--model" },
    };
    struct server_args a;
    char err[256];
    size_t i;

    (void)state;
    assert_int_equal(sparse(ARGC(local), local, &a, err, sizeof err), ARGS_RUN);
    assert_string_equal(a.local, "/tmp/s.sock");
    assert_int_equal(a.udp, 0);
    assert_int_equal(sparse(ARGC(udp), udp, &a, err, sizeof err), ARGS_RUN);
    assert_null(a.local);
    assert_int_equal(a.udp, 1);
    assert_string_equal(a.port, "9000");
    assert_int_equal(a.udp_rate, SERVER_DEFAULT_UDP_RATE);
    {
        /* -u takes --max-per-ip and --udp-rate (0: no limit); without
         * -u, --udp-rate is refused, and so is a rate out of range. */
        char *tuned[] = { "tcp-server", "-u", "--max-per-ip", "2",
                          "--udp-rate", "0", NULL };
        char *tcp[] = { "tcp-server", "--udp-rate", "5", NULL };
        char *big[] = { "tcp-server", "-u", "--udp-rate", "1000001", NULL };

        assert_int_equal(sparse(ARGC(tuned), tuned, &a, err, sizeof err),
                         ARGS_RUN);
        assert_int_equal(a.max_per_ip, 2);
        assert_int_equal(a.udp_rate, 0);
        assert_int_equal(sparse(ARGC(tcp), tcp, &a, err, sizeof err),
                         ARGS_USAGE);
        assert_mentions(err, "--udp-rate");
        assert_mentions(err, "-u");
        assert_int_equal(sparse(ARGC(big), big, &a, err, sizeof err),
                         ARGS_USAGE);
        assert_mentions(err, "1000001");
    }
    for (i = 0; i < sizeof not_local / sizeof not_local[0]; i++) {
        char *argv[] = { "tcp-server", "-U", "s.sock", (char *)not_local[i][0],
                         (char *)not_local[i][1], NULL };
        int argc = not_local[i][1] != NULL ? 5 : 4;

        assert_int_equal(sparse(argc, argv, &a, err, sizeof err),
                         ARGS_USAGE);
        assert_mentions(err, not_local[i][2]);
        assert_mentions(err, "-U");
    }
    for (i = 0; i < sizeof not_udp / sizeof not_udp[0]; i++) {
        char *argv[] = { "tcp-server", (char *)not_udp[i][0],
                         (char *)not_udp[i][1], "-u", NULL };

        int argc = 4;

        if (not_udp[i][1] == NULL) {
            argv[2] = "-u";
            argv[3] = NULL;
            argc = 3;
        }
        assert_int_equal(sparse(argc, argv, &a, err, sizeof err),
                         ARGS_USAGE);
        assert_mentions(err, not_udp[i][2]);
        assert_mentions(err, "-u");
    }
    {
        char *both[] = { "tcp-server", "-u", "-U", "s.sock", NULL };
        char *empty[] = { "tcp-server", "-U", "", NULL };

        assert_int_equal(sparse(ARGC(both), both, &a, err, sizeof err),
                         ARGS_USAGE);
        assert_mentions(err, "together");
        assert_int_equal(sparse(ARGC(empty), empty, &a, err, sizeof err),
                         ARGS_USAGE);
        assert_mentions(err, "path");
    }
}

static void server_max_per_ip(void **state)
{
    char *argv[] = { "tcp-server", "--max-per-ip", "5", NULL };
    char *off[] = { "tcp-server", "--max-per-ip=0", NULL };
    static char *const bad[] = { "-1", "x", "", "1000001" };
    struct server_args a;
    char err[128];
    size_t i;

    (void)state;
    assert_int_equal(sparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.max_per_ip, 5);
    assert_int_equal(sparse(ARGC(off), off, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.max_per_ip, 0);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv_bad[] = { "tcp-server", "--max-per-ip", bad[i], NULL };

        assert_int_equal(sparse(ARGC(argv_bad), argv_bad, &a, err, sizeof err),
                         ARGS_USAGE);
        assert_mentions(err, "--max-per-ip");
    }
}

static void server_families(void **state)
{
    char *argv4[] = { "tcp-server", "-4", NULL };
    char *argv6[] = { "tcp-server", "-6", NULL };
    struct server_args a;
    char err[128];

    (void)state;
    assert_int_equal(sparse(ARGC(argv4), argv4, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.family, AF_INET);
    assert_int_equal(sparse(ARGC(argv6), argv6, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.family, AF_INET6);
}

static void server_four_and_six_exclude(void **state)
{
    char *argv1[] = { "tcp-server", "-4", "-6", NULL };
    char *argv2[] = { "tcp-server", "-64", NULL };
    struct server_args a;
    char err[128];

    (void)state;
    assert_int_equal(sparse(ARGC(argv1), argv1, &a, err, sizeof err), ARGS_USAGE);
    assert_mentions(err, "-4");
    assert_mentions(err, "-6");
    assert_int_equal(sparse(ARGC(argv2), argv2, &a, err, sizeof err), ARGS_USAGE);
    assert_mentions(err, "-4");
    assert_mentions(err, "-6");
}

static void server_once_quiet_port(void **state)
{
    char *argv[] = { "tcp-server", "--once", "-q", "0", NULL };
    char *argv2[] = { "tcp-server", "--quiet", "9000", "--once", NULL };
    struct server_args a;
    char err[128];

    (void)state;
    assert_int_equal(sparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.once, 1);
    assert_int_equal(a.quiet, 1);
    assert_string_equal(a.port, "0");
    assert_int_equal(a.family, 0);
    assert_null(a.bind);
    assert_int_equal(a.max_line, 8192);

    assert_int_equal(sparse(ARGC(argv2), argv2, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.once, 1);
    assert_int_equal(a.quiet, 1);
    assert_string_equal(a.port, "9000");
}

static void server_bind(void **state)
{
    char *argv1[] = { "tcp-server", "-b", "::1", "9000", NULL };
    char *argv2[] = { "tcp-server", "-b127.0.0.1", NULL };
    char *argv3[] = { "tcp-server", "--bind=::", "65535", NULL };
    char *argv4[] = { "tcp-server", "--bind", "", NULL };
    char *argv5[] = { "tcp-server", "-b", NULL };
    struct server_args a;
    char err[128];

    (void)state;
    assert_int_equal(sparse(ARGC(argv1), argv1, &a, err, sizeof err), ARGS_RUN);
    assert_string_equal(a.bind, "::1");
    assert_string_equal(a.port, "9000");

    assert_int_equal(sparse(ARGC(argv2), argv2, &a, err, sizeof err), ARGS_RUN);
    assert_string_equal(a.bind, "127.0.0.1");
    assert_string_equal(a.port, "8080");

    assert_int_equal(sparse(ARGC(argv3), argv3, &a, err, sizeof err), ARGS_RUN);
    assert_string_equal(a.bind, "::");
    assert_string_equal(a.port, "65535");

    assert_int_equal(sparse(ARGC(argv4), argv4, &a, err, sizeof err), ARGS_USAGE);
    assert_mentions(err, "-b");

    assert_int_equal(sparse(ARGC(argv5), argv5, &a, err, sizeof err), ARGS_USAGE);
    assert_mentions(err, "-b");
}

/* -b takes an IPv6 address in brackets, as it is printed; brackets
 * around anything else, or unmatched, are a usage error. */
static void server_bind_brackets(void **state)
{
    char *argv1[] = { "tcp-server", "-b", "[::1]", NULL };
    char *argv2[] = { "tcp-server", "--bind=[fe80::1%lo]", NULL };
    static char *const bad[] = { "[127.0.0.1]", "[::1", "::1]", "[]",
                                 "[localhost]", "[[::1]]" };
    struct server_args a;
    char err[128];
    size_t i;

    (void)state;
    assert_int_equal(sparse(ARGC(argv1), argv1, &a, err, sizeof err), ARGS_RUN);
    assert_string_equal(a.bind, "::1");
    assert_int_equal(sparse(ARGC(argv2), argv2, &a, err, sizeof err), ARGS_RUN);
    assert_string_equal(a.bind, "fe80::1%lo");
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = { "tcp-server", "-b", bad[i], NULL };

        assert_int_equal(sparse(ARGC(argv), argv, &a, err, sizeof err),
                         ARGS_USAGE);
        assert_mentions(err, "-b");
    }
}

static void server_bad_ports(void **state)
{
    static char *const bad[] = { "65536", "abc", "", "-1", "80x",
                                       "99999999999999999999" };
    struct server_args a;
    char err[128];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = { "tcp-server", "--", bad[i], NULL };

        assert_int_equal(sparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_USAGE);
        assert_mentions(err, "PORT");
    }
    {
        char *argv[] = { "tcp-server", "65536", NULL };

        assert_int_equal(sparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_USAGE);
        assert_mentions(err, "PORT");
        assert_mentions(err, "65536");
    }
}

static void server_two_ports(void **state)
{
    char *argv[] = { "tcp-server", "9000", "9001", NULL };
    struct server_args a;
    char err[128];

    (void)state;
    assert_int_equal(sparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_USAGE);
    assert_mentions(err, "9001");
    assert_mentions(err, "PORT");
}

static void server_max_line(void **state)
{
    char *ok16[] = { "tcp-server", "--max-line", "16", NULL };
    char *ok8[] = { "tcp-server", "--max-line=8", NULL };
    char *okmax[] = { "tcp-server", "--max-line", "1048576", NULL };
    struct server_args a;
    char err[128];

    (void)state;
    assert_int_equal(sparse(ARGC(ok16), ok16, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.max_line, 16);
    assert_int_equal(sparse(ARGC(ok8), ok8, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.max_line, 8);
    assert_int_equal(sparse(ARGC(okmax), okmax, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.max_line, 1048576);
}

static void server_bad_max_line(void **state)
{
    static char *const bad[] = { "7", "1048577", "x", "", "-16", "0" };
    struct server_args a;
    char err[128];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = { "tcp-server", "--max-line", bad[i], NULL };

        assert_int_equal(sparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_USAGE);
        assert_mentions(err, "'--max-line'");
    }
    {
        char *argv[] = { "tcp-server", "--max-line", NULL };

        assert_int_equal(sparse(ARGC(argv), argv, &a, err, sizeof err), ARGS_USAGE);
        assert_mentions(err, "'--max-line'");
    }
}

static void server_unknown_options(void **state)
{
    char *argv1[] = { "tcp-server", "-x", NULL };
    char *argv2[] = { "tcp-server", "--nope", NULL };
    char *argv3[] = { "tcp-server", "--once=yes", NULL };
    struct server_args a;
    char err[128];

    (void)state;
    assert_int_equal(sparse(ARGC(argv1), argv1, &a, err, sizeof err), ARGS_USAGE);
    assert_string_equal(err, "unknown option '-x'");
    assert_int_equal(sparse(ARGC(argv2), argv2, &a, err, sizeof err), ARGS_USAGE);
    assert_string_equal(err, "unknown option '--nope'");
    assert_int_equal(sparse(ARGC(argv3), argv3, &a, err, sizeof err), ARGS_USAGE);
    assert_string_equal(err, "option '--once' takes no value");
}

static void server_help_and_version(void **state)
{
    char *h1[] = { "tcp-server", "-h", NULL };
    char *h2[] = { "tcp-server", "--help", NULL };
    char *v1[] = { "tcp-server", "-V", NULL };
    char *v2[] = { "tcp-server", "--version", NULL };
    struct server_args a;
    char err[128];

    (void)state;
    assert_int_equal(sparse(ARGC(h1), h1, &a, err, sizeof err), ARGS_HELP);
    assert_int_equal(sparse(ARGC(h2), h2, &a, err, sizeof err), ARGS_HELP);
    assert_int_equal(sparse(ARGC(v1), v1, &a, err, sizeof err), ARGS_VERSION);
    assert_int_equal(sparse(ARGC(v2), v2, &a, err, sizeof err), ARGS_VERSION);
}

/* --seqpacket: -U's socket as SOCK_SEQPACKET; off by default, and
 * refused without -U (over TCP or with -u) with a line naming it. */
static void server_seqpacket(void **state)
{
    char *seq[] = { "tcp-server", "-U", "s.sock", "--seqpacket", NULL };
    char *plain[] = { "tcp-server", "-U", "s.sock", NULL };
    char *tcp[] = { "tcp-server", "--seqpacket", "9000", NULL };
    char *udp[] = { "tcp-server", "-u", "--seqpacket", NULL };
    struct server_args a;
    char err[256];

    (void)state;
    assert_int_equal(sparse(ARGC(seq), seq, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.seqpacket, 1);
    assert_string_equal(a.local, "s.sock");
    assert_int_equal(sparse(ARGC(plain), plain, &a, err, sizeof err), ARGS_RUN);
    assert_int_equal(a.seqpacket, 0);
    assert_int_equal(sparse(ARGC(tcp), tcp, &a, err, sizeof err), ARGS_USAGE);
    assert_mentions(err, "'--seqpacket' applies with '-U PATH' only");
    assert_null(strchr(err, '\n'));
    assert_int_equal(sparse(ARGC(udp), udp, &a, err, sizeof err), ARGS_USAGE);
    assert_mentions(err, "'--seqpacket' applies with '-U PATH' only");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        mock_unit_test(server_defaults),
        mock_unit_test(server_families),
        mock_unit_test(server_four_and_six_exclude),
        mock_unit_test(server_once_quiet_port),
        mock_unit_test(server_bind),
        mock_unit_test(server_bind_brackets),
        mock_unit_test(server_max_per_ip),
        mock_unit_test(server_lesson_options),
        mock_unit_test(server_bad_ports),
        mock_unit_test(server_two_ports),
        mock_unit_test(server_max_line),
        mock_unit_test(server_bad_max_line),
        mock_unit_test(server_unknown_options),
        mock_unit_test(server_help_and_version),
        mock_unit_test(server_families_and_types),
        mock_unit_test(server_seqpacket),
    };

    return cmocka_run_group_tests_name("server_args", tests, NULL, NULL);
}

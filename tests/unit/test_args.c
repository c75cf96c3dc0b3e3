/*
 * test_args.c - the command-line reader (args_next, args_number) and the
 * two programs' option parsers built on it (server_args_parse,
 * client_args_parse): bundles, values attached or separate, long options
 * with "=", "--", "-" as an operand, and one-line usage errors that name
 * the argument at fault.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "args.h"
#include "server_args.h"
#include "client_args.h"
#include "mock_syscalls.h"

/* argc for an argv array that ends with its NULL. */
#define ARGC(v) ((int)(sizeof(v) / sizeof((v)[0])) - 1)

/* Does err mention `what`?  Say what it held if not. */
static void assert_mentions(const char *err, const char *what)
{
    if (strstr(err, what) == NULL)
        print_error("message \"%s\" does not mention \"%s\"\n", err, what);
    assert_non_null(strstr(err, what));
}

/* ---- args_next ---------------------------------------------------------- */

enum { T_4 = 1, T_QUIET, T_BIND, T_ONCE, T_TIMEOUT };

static const struct args_opt topts[] = {
    { NULL, '4', 0, T_4 },
    { "quiet", 'q', 0, T_QUIET },
    { "bind", 'b', 1, T_BIND },
    { "once", 0, 0, T_ONCE },
    { "timeout", 0, 1, T_TIMEOUT },
    { NULL, 0, 0, 0 },
};

struct reader {
    struct args_iter it;
    const char *v;
    char err[128];
};

static void reader_init(struct reader *r, int argc, char **argv)
{
    args_init(&r->it, argc, argv);
    r->v = "unset";
    memset(r->err, 0, sizeof r->err);
}

static int next(struct reader *r)
{
    return args_next(&r->it, topts, &r->v, r->err, sizeof r->err);
}

static void next_nothing(void **state)
{
    char *argv[] = { "prog", NULL };
    struct reader r;

    (void)state;
    reader_init(&r, ARGC(argv), argv);
    assert_int_equal(next(&r), ARGS_END);
    assert_int_equal(next(&r), ARGS_END);
}

static void next_bundle(void **state)
{
    char *argv[] = { "prog", "-4q", NULL };
    struct reader r;

    (void)state;
    reader_init(&r, ARGC(argv), argv);
    assert_int_equal(next(&r), T_4);
    assert_null(r.v);
    assert_int_equal(next(&r), T_QUIET);
    assert_null(r.v);
    assert_int_equal(next(&r), ARGS_END);
}

static void next_bundle_ending_with_value_option(void **state)
{
    char *argv[] = { "prog", "-qbADDR", "-4b", "other", "rest", NULL };
    struct reader r;

    (void)state;
    reader_init(&r, ARGC(argv), argv);
    assert_int_equal(next(&r), T_QUIET);
    assert_int_equal(next(&r), T_BIND);
    assert_string_equal(r.v, "ADDR");
    assert_int_equal(next(&r), T_4);
    assert_int_equal(next(&r), T_BIND);
    assert_string_equal(r.v, "other");
    assert_int_equal(next(&r), ARGS_OPERAND);
    assert_string_equal(r.v, "rest");
    assert_int_equal(next(&r), ARGS_END);
}

static void next_short_value_attached_or_separate(void **state)
{
    char *argv[] = { "prog", "-bADDR", "-b", "ADDR2", "-b", "-4", NULL };
    struct reader r;

    (void)state;
    reader_init(&r, ARGC(argv), argv);
    assert_int_equal(next(&r), T_BIND);
    assert_string_equal(r.v, "ADDR");
    assert_int_equal(next(&r), T_BIND);
    assert_ptr_equal(r.v, argv[3]);
    /* A separate value is taken as it is, even if it looks like an option. */
    assert_int_equal(next(&r), T_BIND);
    assert_string_equal(r.v, "-4");
    assert_int_equal(next(&r), ARGS_END);
}

static void next_long_value_with_equals_or_separate(void **state)
{
    char *argv[] = { "prog", "--bind=ADDR", "--bind", "ADDR2", "--bind=",
                     "--timeout=a=b", "--once", NULL };
    struct reader r;

    (void)state;
    reader_init(&r, ARGC(argv), argv);
    assert_int_equal(next(&r), T_BIND);
    assert_string_equal(r.v, "ADDR");
    assert_int_equal(next(&r), T_BIND);
    assert_string_equal(r.v, "ADDR2");
    assert_int_equal(next(&r), T_BIND);
    assert_string_equal(r.v, "");
    assert_int_equal(next(&r), T_TIMEOUT);
    assert_string_equal(r.v, "a=b");
    assert_int_equal(next(&r), T_ONCE);
    assert_null(r.v);
    assert_int_equal(next(&r), ARGS_END);
}

static void next_long_needs_whole_name(void **state)
{
    char *argv1[] = { "prog", "--bin", NULL };
    char *argv2[] = { "prog", "--binder", NULL };
    struct reader r;

    (void)state;
    reader_init(&r, ARGC(argv1), argv1);
    assert_int_equal(next(&r), ARGS_BAD);
    assert_string_equal(r.err, "unknown option '--bin'");
    reader_init(&r, ARGC(argv2), argv2);
    assert_int_equal(next(&r), ARGS_BAD);
    assert_string_equal(r.err, "unknown option '--binder'");
}

static void next_double_dash_ends_options(void **state)
{
    char *argv[] = { "prog", "-q", "--", "-x", "--once", "--", NULL };
    struct reader r;

    (void)state;
    reader_init(&r, ARGC(argv), argv);
    assert_int_equal(next(&r), T_QUIET);
    assert_int_equal(next(&r), ARGS_OPERAND);
    assert_string_equal(r.v, "-x");
    assert_int_equal(next(&r), ARGS_OPERAND);
    assert_string_equal(r.v, "--once");
    assert_int_equal(next(&r), ARGS_OPERAND);
    assert_string_equal(r.v, "--");
    assert_int_equal(next(&r), ARGS_END);
}

static void next_double_dash_last(void **state)
{
    char *argv[] = { "prog", "--", NULL };
    struct reader r;

    (void)state;
    reader_init(&r, ARGC(argv), argv);
    assert_int_equal(next(&r), ARGS_END);
}

static void next_single_dash_and_operands_anywhere(void **state)
{
    char *argv[] = { "prog", "-", "one", "-q", "two", "", NULL };
    struct reader r;

    (void)state;
    reader_init(&r, ARGC(argv), argv);
    assert_int_equal(next(&r), ARGS_OPERAND);
    assert_string_equal(r.v, "-");
    assert_int_equal(next(&r), ARGS_OPERAND);
    assert_string_equal(r.v, "one");
    assert_int_equal(next(&r), T_QUIET);
    assert_int_equal(next(&r), ARGS_OPERAND);
    assert_string_equal(r.v, "two");
    assert_int_equal(next(&r), ARGS_OPERAND);
    assert_string_equal(r.v, "");
    assert_int_equal(next(&r), ARGS_END);
}

static void next_unknown_short(void **state)
{
    char *argv1[] = { "prog", "-x", NULL };
    char *argv2[] = { "prog", "-4x", NULL };
    struct reader r;

    (void)state;
    reader_init(&r, ARGC(argv1), argv1);
    assert_int_equal(next(&r), ARGS_BAD);
    assert_string_equal(r.err, "unknown option '-x'");

    /* In a bundle: the known ones first, then the bad one. */
    reader_init(&r, ARGC(argv2), argv2);
    assert_int_equal(next(&r), T_4);
    assert_int_equal(next(&r), ARGS_BAD);
    assert_string_equal(r.err, "unknown option '-x'");
}

static void next_unknown_long(void **state)
{
    char *argv1[] = { "prog", "--nope", NULL };
    char *argv2[] = { "prog", "--nope=3", NULL };
    struct reader r;

    (void)state;
    reader_init(&r, ARGC(argv1), argv1);
    assert_int_equal(next(&r), ARGS_BAD);
    assert_string_equal(r.err, "unknown option '--nope'");

    reader_init(&r, ARGC(argv2), argv2);
    assert_int_equal(next(&r), ARGS_BAD);
    assert_string_equal(r.err, "unknown option '--nope'");
}

static void next_missing_value(void **state)
{
    char *argv1[] = { "prog", "--timeout", NULL };
    char *argv2[] = { "prog", "-b", NULL };
    char *argv3[] = { "prog", "-qb", NULL };
    struct reader r;

    (void)state;
    reader_init(&r, ARGC(argv1), argv1);
    assert_int_equal(next(&r), ARGS_BAD);
    assert_string_equal(r.err, "option '--timeout' needs a value");

    reader_init(&r, ARGC(argv2), argv2);
    assert_int_equal(next(&r), ARGS_BAD);
    assert_string_equal(r.err, "option '-b' needs a value");

    reader_init(&r, ARGC(argv3), argv3);
    assert_int_equal(next(&r), T_QUIET);
    assert_int_equal(next(&r), ARGS_BAD);
    assert_string_equal(r.err, "option '-b' needs a value");
}

static void next_flag_takes_no_value(void **state)
{
    char *argv1[] = { "prog", "--once=1", NULL };
    char *argv2[] = { "prog", "--quiet=", NULL };
    struct reader r;

    (void)state;
    reader_init(&r, ARGC(argv1), argv1);
    assert_int_equal(next(&r), ARGS_BAD);
    assert_string_equal(r.err, "option '--once' takes no value");

    reader_init(&r, ARGC(argv2), argv2);
    assert_int_equal(next(&r), ARGS_BAD);
    assert_string_equal(r.err, "option '--quiet' takes no value");
}

/* A small err buffer holds a cut message, NUL-terminated, no overflow. */
static void next_small_err_buffer(void **state)
{
    char *argv[] = { "prog", "--nope", NULL };
    struct args_iter it;
    const char *v;
    char err[12];

    (void)state;
    memset(err, 'Z', sizeof err);
    args_init(&it, ARGC(argv), argv);
    assert_int_equal(args_next(&it, topts, &v, err, 8), ARGS_BAD);
    assert_string_equal(err, "unknown");
    assert_int_equal(err[8], 'Z');
    assert_int_equal(err[11], 'Z');
}

/* ---- args_number -------------------------------------------------------- */

static void number_accepts_whole_decimals(void **state)
{
    long n;

    (void)state;
    n = -5;
    assert_int_equal(args_number("0", 0, 65535, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(args_number("65535", 0, 65535, &n), 0);
    assert_int_equal(n, 65535);
    assert_int_equal(args_number("8080", 0, 65535, &n), 0);
    assert_int_equal(n, 8080);
    assert_int_equal(args_number("7", 7, 7, &n), 0);
    assert_int_equal(n, 7);
}

static void number_rejects_junk(void **state)
{
    static char *const bad[] = {
        "", "-1", "+1", " 1", "1 ", "1x", "x1", "0x10", "1.0", "1e3",
        "99999999999999999999", "-", "\t1",
    };
    size_t i;
    long n;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (args_number(bad[i], 0, 65535, &n) != -1)
            print_error("args_number accepted \"%s\"\n", bad[i]);
        assert_int_equal(args_number(bad[i], 0, 65535, &n), -1);
    }
    assert_int_equal(args_number(NULL, 0, 65535, &n), -1);
}

static void number_rejects_out_of_range(void **state)
{
    long n;

    (void)state;
    assert_int_equal(args_number("65536", 0, 65535, &n), -1);
    assert_int_equal(args_number("0", 1, 65535, &n), -1);
    assert_int_equal(args_number("7", 8, 1048576, &n), -1);
    assert_int_equal(args_number("1048577", 8, 1048576, &n), -1);
    assert_int_equal(args_number("9223372036854775808", 0, 65535, &n), -1);
    /* Overflow is refused even when the range is all of long. */
    assert_int_equal(args_number("99999999999999999999", 0, LONG_MAX, &n), -1);
    assert_int_equal(args_number("8", 8, 1048576, &n), 0);
    assert_int_equal(n, 8);
    assert_int_equal(args_number("1048576", 8, 1048576, &n), 0);
    assert_int_equal(n, 1048576);
}

/* ---- server_args_parse -------------------------------------------------- */

static enum args_result sparse(int argc, char **argv, struct server_args *a,
                               char *err, size_t errsize)
{
    memset(a, 0x5a, sizeof *a);     /* every field must be set */
    memset(err, 0, errsize);
    return server_args_parse(argc, argv, a, err, errsize);
}

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
        { "--model", "poll", "--model" }, { "--max-per-ip", "2", "--max-per-ip" },
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

/* ---- client_args_parse -------------------------------------------------- */

static enum args_result cparse(int argc, char **argv, struct client_args *a,
                               char *err, size_t errsize)
{
    memset(a, 0x5a, sizeof *a);
    memset(err, 0, errsize);
    return client_args_parse(argc, argv, a, err, errsize);
}

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

/* The brackets' content must fit the parser's buffer with its NUL: 255
 * bytes do, 256 are refused as too long (never written past it). */
static void bracket_host_length_limit(void **state)
{
    static char v255[300], v256[300];
    struct client_args c;
    struct server_args sv;
    char err[128];
    char *argv1[] = { "tcp-client", v255, NULL };
    char *argv2[] = { "tcp-client", v256, NULL };
    char *argv3[] = { "tcp-server", "-b", v256, NULL };

    (void)state;
    assert_true(sizeof c.host_buf == 256 && sizeof sv.bind_buf == 256);
    memset(v255, 'a', 257);
    v255[0] = '[';
    v255[1] = ':';
    v255[256] = ']';                 /* 255 bytes inside */
    v255[257] = '\0';
    memcpy(v256, v255, 257);
    v256[256] = 'a';
    v256[257] = ']';                 /* 256 bytes inside */
    v256[258] = '\0';
    assert_int_equal(cparse(ARGC(argv1), argv1, &c, err, sizeof err), ARGS_RUN);
    assert_int_equal(strlen(c.host), 255);
    assert_int_equal(cparse(ARGC(argv2), argv2, &c, err, sizeof err), ARGS_USAGE);
    assert_mentions(err, "too long");
    assert_int_equal(sparse(ARGC(argv3), argv3, &sv, err, sizeof err), ARGS_USAGE);
    assert_mentions(err, "too long");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        mock_unit_test(next_nothing),
        mock_unit_test(next_bundle),
        mock_unit_test(next_bundle_ending_with_value_option),
        mock_unit_test(next_short_value_attached_or_separate),
        mock_unit_test(next_long_value_with_equals_or_separate),
        mock_unit_test(next_long_needs_whole_name),
        mock_unit_test(next_double_dash_ends_options),
        mock_unit_test(next_double_dash_last),
        mock_unit_test(next_single_dash_and_operands_anywhere),
        mock_unit_test(next_unknown_short),
        mock_unit_test(next_unknown_long),
        mock_unit_test(next_missing_value),
        mock_unit_test(next_flag_takes_no_value),
        mock_unit_test(next_small_err_buffer),
        mock_unit_test(number_accepts_whole_decimals),
        mock_unit_test(number_rejects_junk),
        mock_unit_test(number_rejects_out_of_range),
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
        mock_unit_test(client_families_and_types),
        mock_unit_test(client_defaults),
        mock_unit_test(client_trace),
        mock_unit_test(client_host_and_port),
        mock_unit_test(client_timeout),
        mock_unit_test(client_bad_timeout),
        mock_unit_test(client_bad_ports),
        mock_unit_test(client_three_operands),
        mock_unit_test(client_bracket_hosts),
        mock_unit_test(bracket_host_length_limit),
        mock_unit_test(client_messages_name_the_server),
        mock_unit_test(client_empty_host),
        mock_unit_test(client_options_and_help),
    };

    return cmocka_run_group_tests_name("args", tests, NULL, NULL);
}

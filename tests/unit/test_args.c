/*
 * test_args.c - the command-line reader both programs' parsers are built
 * on (src/common/args.c): args_next (bundles, values attached or
 * separate, long options with "=", "--", "-" as an operand, and one-line
 * usage errors that name the argument at fault), args_number, and the
 * length limit of a bracketed host (args_host), through both parsers.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <limits.h>
#include <string.h>
#include <cmocka.h>

#include "args.h"
#include "cmdline.h"
#include "mock_syscalls.h"

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

/* ---- args_host, through both parsers ----------------------------------- */

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
        mock_unit_test(bracket_host_length_limit),
    };

    return cmocka_run_group_tests_name("args", tests, NULL, NULL);
}

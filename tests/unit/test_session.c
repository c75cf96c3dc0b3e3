/*
 * test_session.c - the wire protocol on its own, no sockets: which lines
 * say quit (session_is_quit), what the server sends back for each event
 * (session_respond: byte-exact echo, quit, EOF, line too long) and how
 * the client spots a quit line split across reads (session_find_quit).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "session.h"
#include "mock_syscalls.h"

/* A string literal's bytes, embedded NULs included, without the final NUL. */
#define LIT(s) (s), (sizeof(s) - 1)

/* ---- session_is_quit ---------------------------------------------------- */

static void quit_lines_any_case_any_terminator(void **state)
{
    (void)state;
    assert_int_equal(session_is_quit(LIT("quit")), 1);
    assert_int_equal(session_is_quit(LIT("QUIT")), 1);
    assert_int_equal(session_is_quit(LIT("Quit\r\n")), 1);
    assert_int_equal(session_is_quit(LIT("quit\n")), 1);
    assert_int_equal(session_is_quit(LIT("qUiT\r")), 1);
    assert_int_equal(session_is_quit(LIT("QuIt\r\n")), 1);
}

static void near_quit_lines_are_not_quit(void **state)
{
    (void)state;
    assert_int_equal(session_is_quit(LIT(" quit")), 0);
    assert_int_equal(session_is_quit(LIT("quit ")), 0);
    assert_int_equal(session_is_quit(LIT("quit \n")), 0);
    assert_int_equal(session_is_quit(LIT("quit!")), 0);
    assert_int_equal(session_is_quit(LIT("qui")), 0);
    assert_int_equal(session_is_quit(LIT("qui\n")), 0);
    assert_int_equal(session_is_quit(LIT("quitquit")), 0);
    assert_int_equal(session_is_quit(LIT("quit\r\r\n")), 0);
    assert_int_equal(session_is_quit(LIT("quit\n\n")), 0);
    assert_int_equal(session_is_quit(LIT("\rquit")), 0);
    assert_int_equal(session_is_quit(LIT("quiet")), 0);
    assert_int_equal(session_is_quit(LIT("exit\n")), 0);
    assert_int_equal(session_is_quit(LIT("")), 0);
    assert_int_equal(session_is_quit(LIT("\n")), 0);
    assert_int_equal(session_is_quit(LIT("\r\n")), 0);
}

static void nul_bytes_never_make_quit(void **state)
{
    (void)state;
    assert_int_equal(session_is_quit(LIT("q\0it")), 0);
    assert_int_equal(session_is_quit(LIT("q\0uit")), 0);
    assert_int_equal(session_is_quit(LIT("quit\0")), 0);
    assert_int_equal(session_is_quit(LIT("quit\0\n")), 0);
    assert_int_equal(session_is_quit(LIT("\0quit\n")), 0);
    /* The length decides, not a C string's end. */
    assert_int_equal(session_is_quit("quit\n", 3), 0);
    assert_int_equal(session_is_quit("quitquit", 4), 1);
}

static void case_folding_is_ascii_only(void **state)
{
    (void)state;
    /* Bytes that a Latin-1 tolower() might fold must not match. */
    assert_int_equal(session_is_quit(LIT("qu\xcdt")), 0);
    assert_int_equal(session_is_quit(LIT("QU\xc9T")), 0);
    assert_int_equal(session_is_quit(LIT("q\x55it")), 1);   /* 'U' */
    assert_int_equal(session_is_quit(LIT("q\x75it")), 1);   /* 'u' */
    /* One off from 'Q'/'q' in either direction. */
    assert_int_equal(session_is_quit(LIT("Puit")), 0);
    assert_int_equal(session_is_quit(LIT("Ruit")), 0);
    assert_int_equal(session_is_quit(LIT("pUIT")), 0);
    assert_int_equal(session_is_quit(LIT("rUIT")), 0);
}

/* ---- session_respond ---------------------------------------------------- */

static void welcome_is_exact(void **state)
{
    (void)state;
    assert_int_equal(sizeof SESSION_WELCOME - 1, 9);
    assert_memory_equal(SESSION_WELCOME, "welcome!\n", 10);
}

static void reply_poison(struct session_reply *r)
{
    r->data = "poison";
    r->len = 12345;
    r->end = 77;
}

static void line_is_echoed_byte_exact(void **state)
{
    static const char line[] = "hello, world\n";
    char errbuf[64];
    struct session_reply r;

    (void)state;
    reply_poison(&r);
    session_respond(SESSION_LINE, line, sizeof line - 1, 8192, errbuf,
                    sizeof errbuf, &r);
    assert_ptr_equal(r.data, line);
    assert_int_equal(r.len, sizeof line - 1);
    assert_int_equal(r.end, 0);
    assert_memory_equal(r.data, "hello, world\n", 13);
}

static void crlf_line_is_echoed_with_crlf(void **state)
{
    static const char line[] = "abc\r\n";
    char errbuf[64];
    struct session_reply r;

    (void)state;
    reply_poison(&r);
    session_respond(SESSION_LINE, line, sizeof line - 1, 8192, errbuf,
                    sizeof errbuf, &r);
    assert_ptr_equal(r.data, line);
    assert_int_equal(r.len, 5);
    assert_int_equal(r.end, 0);
}

static void nul_and_non_utf8_bytes_are_echoed(void **state)
{
    static const char line[] = "a\0b\xff\xfe\xc0\x80\x1b[31m\0\n";
    char errbuf[64];
    struct session_reply r;

    (void)state;
    reply_poison(&r);
    session_respond(SESSION_LINE, line, sizeof line - 1, 8192, errbuf,
                    sizeof errbuf, &r);
    assert_ptr_equal(r.data, line);
    assert_int_equal(r.len, 14);
    assert_int_equal(r.end, 0);
    assert_memory_equal(r.data, "a\0b\xff\xfe\xc0\x80\x1b[31m\0\n", 14);
}

static void bare_newline_is_echoed(void **state)
{
    static const char line[] = "\n";
    char errbuf[64];
    struct session_reply r;

    (void)state;
    reply_poison(&r);
    session_respond(SESSION_LINE, line, 1, 8192, errbuf, sizeof errbuf, &r);
    assert_ptr_equal(r.data, line);
    assert_int_equal(r.len, 1);
    assert_int_equal(r.end, 0);
}

static void quit_line_ends_without_echo(void **state)
{
    static const char *const quits[] = { "quit\n", "QUIT\r\n", "Quit\n" };
    char errbuf[64];
    struct session_reply r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof quits / sizeof quits[0]; i++) {
        reply_poison(&r);
        session_respond(SESSION_LINE, quits[i], strlen(quits[i]), 8192,
                        errbuf, sizeof errbuf, &r);
        assert_int_equal(r.len, 0);
        assert_int_equal(r.end, 1);
    }
}

static void near_quit_line_is_echoed(void **state)
{
    static const char line[] = "quit!\n";
    char errbuf[64];
    struct session_reply r;

    (void)state;
    reply_poison(&r);
    session_respond(SESSION_LINE, line, sizeof line - 1, 8192, errbuf,
                    sizeof errbuf, &r);
    assert_ptr_equal(r.data, line);
    assert_int_equal(r.len, 6);
    assert_int_equal(r.end, 0);
}

static void last_line_is_echoed_then_ends(void **state)
{
    static const char line[] = "no newline\0\xff";
    char errbuf[64];
    struct session_reply r;

    (void)state;
    reply_poison(&r);
    session_respond(SESSION_LAST_LINE, line, sizeof line - 1, 8192, errbuf,
                    sizeof errbuf, &r);
    assert_ptr_equal(r.data, line);
    assert_int_equal(r.len, 12);
    assert_memory_equal(r.data, "no newline\0\xff", 12);
    assert_int_equal(r.end, 1);

    /* A last line ending in NUL keeps it. */
    reply_poison(&r);
    session_respond(SESSION_LAST_LINE, "ab\0", 3, 8192, errbuf,
                    sizeof errbuf, &r);
    assert_int_equal(r.len, 3);
    assert_memory_equal(r.data, "ab\0", 3);
    assert_int_equal(r.end, 1);
}

static void last_line_quit_sends_nothing(void **state)
{
    static const char *const quits[] = { "quit", "QUIT", "quit\r" };
    char errbuf[64];
    struct session_reply r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof quits / sizeof quits[0]; i++) {
        reply_poison(&r);
        session_respond(SESSION_LAST_LINE, quits[i], strlen(quits[i]), 8192,
                        errbuf, sizeof errbuf, &r);
        assert_int_equal(r.len, 0);
        assert_int_equal(r.end, 1);
    }
}

static void eof_sends_nothing_and_ends(void **state)
{
    char errbuf[64];
    struct session_reply r;

    (void)state;
    reply_poison(&r);
    session_respond(SESSION_EOF, NULL, 0, 8192, errbuf, sizeof errbuf, &r);
    assert_int_equal(r.len, 0);
    assert_int_equal(r.end, 1);
}

/* The server's own notices: exact bytes, and each ends the session. */
static void notices_are_exact_and_end(void **state)
{
    static const struct {
        enum session_event ev;
        const char *want;
    } cases[] = {
        { SESSION_IDLE_OUT, "error: idle timeout\n" },
        { SESSION_NOT_READING, "error: not reading replies\n" },
        { SESSION_STOPPING, "error: server shutting down\n" },
        { SESSION_FULL, "error: server busy\n" },
    };
    char errbuf[80];
    struct session_reply r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        reply_poison(&r);
        session_respond(cases[i].ev, NULL, 0, 8192, errbuf, sizeof errbuf, &r);
        assert_int_equal(r.len, strlen(cases[i].want));
        assert_memory_equal(r.data, cases[i].want, r.len);
        assert_int_equal(r.end, 1);
    }
}

static void too_long_names_the_limit(void **state)
{
    static const char want[] = "error: line too long (max 8192 bytes)\n";
    char errbuf[64];
    struct session_reply r;

    (void)state;
    memset(errbuf, 'Z', sizeof errbuf);
    reply_poison(&r);
    session_respond(SESSION_TOO_LONG, NULL, 0, 8192, errbuf, sizeof errbuf,
                    &r);
    assert_int_equal(r.len, sizeof want - 1);
    assert_memory_equal(r.data, want, sizeof want - 1);
    assert_int_equal(r.end, 1);
}

static void too_long_other_limits(void **state)
{
    static const struct {
        size_t max;
        const char *want;
    } cases[] = {
        { 8, "error: line too long (max 8 bytes)\n" },
        { 16, "error: line too long (max 16 bytes)\n" },
        { 1048576, "error: line too long (max 1048576 bytes)\n" },
        { 0, "error: line too long (max 0 bytes)\n" },
    };
    char errbuf[64];
    struct session_reply r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        reply_poison(&r);
        session_respond(SESSION_TOO_LONG, NULL, 0, cases[i].max, errbuf,
                        sizeof errbuf, &r);
        assert_int_equal(r.len, strlen(cases[i].want));
        assert_memory_equal(r.data, cases[i].want, r.len);
        assert_int_equal(r.end, 1);
    }
}

/* The error line needs strlen + 1 bytes (snprintf's NUL): exactly that
 * fits; one less gives nothing to send; nothing is written past errsize. */
static void too_long_small_errbuf(void **state)
{
    static const char want[] = "error: line too long (max 8192 bytes)\n";
    const size_t need = sizeof want;        /* 39: 38 bytes + NUL */
    char buf[128];
    struct session_reply r;
    size_t i, sizes[] = { 1, 10, sizeof want - 1 };

    (void)state;
    memset(buf, 'Z', sizeof buf);
    reply_poison(&r);
    session_respond(SESSION_TOO_LONG, NULL, 0, 8192, buf, need, &r);
    assert_int_equal(r.len, need - 1);
    assert_memory_equal(r.data, want, need - 1);
    assert_int_equal(r.end, 1);
    for (i = need; i < sizeof buf; i++)
        assert_int_equal(buf[i], 'Z');

    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t j;

        memset(buf, 'Z', sizeof buf);
        reply_poison(&r);
        session_respond(SESSION_TOO_LONG, NULL, 0, 8192, buf, sizes[i], &r);
        assert_int_equal(r.len, 0);
        assert_int_equal(r.end, 1);
        for (j = sizes[i]; j < sizeof buf; j++)
            assert_int_equal(buf[j], 'Z');
    }
}

/* ---- session_find_quit -------------------------------------------------- */

static void find_quit_in_one_chunk(void **state)
{
    struct session_quit q;

    (void)state;
    memset(&q, 0, sizeof q);
    assert_int_equal(session_find_quit(&q, LIT("quit\n")), 5);

    memset(&q, 0, sizeof q);
    /* Bytes after the quit line are not to be sent. */
    assert_int_equal(session_find_quit(&q, LIT("QUIT\nmore\n")), 5);
}

static void find_quit_split_across_chunks(void **state)
{
    struct session_quit q;

    (void)state;
    memset(&q, 0, sizeof q);
    assert_int_equal(session_find_quit(&q, LIT("qu")), 0);
    assert_int_equal(session_find_quit(&q, LIT("it\n")), 3);

    memset(&q, 0, sizeof q);
    assert_int_equal(session_find_quit(&q, LIT("hello\nqui")), 0);
    assert_int_equal(session_find_quit(&q, LIT("t\r")), 0);
    assert_int_equal(session_find_quit(&q, LIT("\nafter\n")), 1);
}

static void find_quit_after_other_lines(void **state)
{
    struct session_quit q;

    (void)state;
    memset(&q, 0, sizeof q);
    /* "hello\n" 6 + "world\n" 6 + "quit\n" 5 = 17 */
    assert_int_equal(session_find_quit(&q, LIT("hello\nworld\nquit\nx\n")), 17);

    memset(&q, 0, sizeof q);
    /* Empty lines before it. */
    assert_int_equal(session_find_quit(&q, LIT("\n\nquit\n")), 7);
}

static void find_quit_long_line_starting_with_quit(void **state)
{
    struct session_quit q;

    (void)state;
    memset(&q, 0, sizeof q);
    assert_int_equal(session_find_quit(&q, LIT("quitting\n")), 0);
    assert_int_equal(session_find_quit(&q, LIT("quit!\n")), 0);
    assert_int_equal(session_find_quit(&q, LIT("quit \n")), 0);
    assert_int_equal(session_find_quit(&q, LIT("quit\r\r\n")), 0);
    assert_int_equal(session_find_quit(&q, LIT("quitquit\n")), 0);
    /* Six bytes and more are capped: "quit\r" then more is not quit. */
    assert_int_equal(session_find_quit(&q, LIT("quit\rxyz\n")), 0);
    /* The state is clean again after those lines. */
    assert_int_equal(session_find_quit(&q, LIT("quit\n")), 5);

    /* A long line whose cap is split across reads. */
    memset(&q, 0, sizeof q);
    assert_int_equal(session_find_quit(&q, LIT("quit")), 0);
    assert_int_equal(session_find_quit(&q, LIT("ting")), 0);
    assert_int_equal(session_find_quit(&q, LIT("\n")), 0);
    assert_int_equal(session_find_quit(&q, LIT("quit\n")), 5);
}

static void find_quit_not_at_line_start(void **state)
{
    struct session_quit q;

    (void)state;
    memset(&q, 0, sizeof q);
    assert_int_equal(session_find_quit(&q, LIT("say quit\n")), 0);
    assert_int_equal(session_find_quit(&q, LIT("xquit\n")), 0);
    /* Unterminated: not yet a quit line. */
    assert_int_equal(session_find_quit(&q, LIT("quit")), 0);
}

static void find_quit_crlf(void **state)
{
    struct session_quit q;

    (void)state;
    memset(&q, 0, sizeof q);
    assert_int_equal(session_find_quit(&q, LIT("Quit\r\n")), 6);

    memset(&q, 0, sizeof q);
    assert_int_equal(session_find_quit(&q, LIT("a\r\nquit\r\n")), 9);
}

static void find_quit_none(void **state)
{
    struct session_quit q;

    (void)state;
    memset(&q, 0, sizeof q);
    assert_int_equal(session_find_quit(&q, LIT("hello\nworld\n")), 0);
    assert_int_equal(session_find_quit(&q, LIT("")), 0);
    assert_int_equal(session_find_quit(&q, LIT("\n\n\n")), 0);
    assert_int_equal(session_find_quit(&q, LIT("q\0it\n")), 0);
}

static void find_quit_one_byte_chunks(void **state)
{
    static const char input[] = "hi\nquitting\nQUIT!\nquit\r\r\n"
                                "qu\0t\nquiT\r\nleft over\n";
    /* The '\n' of "quiT\r\n" is at this offset. */
    const size_t quit_nl = sizeof "hi\nquitting\nQUIT!\nquit\r\r\n"
                           "qu\0t\nquiT\r" - 1;
    struct session_quit q;
    size_t i;

    (void)state;
    assert_int_equal(input[quit_nl], '\n');
    assert_int_equal(input[quit_nl - 1], '\r');
    memset(&q, 0, sizeof q);
    for (i = 0; i < sizeof input - 1; i++) {
        size_t got = session_find_quit(&q, input + i, 1);

        if (i == quit_nl) {
            assert_int_equal(got, 1);
            break;
        }
        assert_int_equal(got, 0);
    }
    assert_int_equal(i, quit_nl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        mock_unit_test(quit_lines_any_case_any_terminator),
        mock_unit_test(near_quit_lines_are_not_quit),
        mock_unit_test(nul_bytes_never_make_quit),
        mock_unit_test(case_folding_is_ascii_only),
        mock_unit_test(welcome_is_exact),
        mock_unit_test(line_is_echoed_byte_exact),
        mock_unit_test(crlf_line_is_echoed_with_crlf),
        mock_unit_test(nul_and_non_utf8_bytes_are_echoed),
        mock_unit_test(bare_newline_is_echoed),
        mock_unit_test(quit_line_ends_without_echo),
        mock_unit_test(near_quit_line_is_echoed),
        mock_unit_test(last_line_is_echoed_then_ends),
        mock_unit_test(last_line_quit_sends_nothing),
        mock_unit_test(eof_sends_nothing_and_ends),
        mock_unit_test(notices_are_exact_and_end),
        mock_unit_test(too_long_names_the_limit),
        mock_unit_test(too_long_other_limits),
        mock_unit_test(too_long_small_errbuf),
        mock_unit_test(find_quit_in_one_chunk),
        mock_unit_test(find_quit_split_across_chunks),
        mock_unit_test(find_quit_after_other_lines),
        mock_unit_test(find_quit_long_line_starting_with_quit),
        mock_unit_test(find_quit_not_at_line_start),
        mock_unit_test(find_quit_crlf),
        mock_unit_test(find_quit_none),
        mock_unit_test(find_quit_one_byte_chunks),
    };

    return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}

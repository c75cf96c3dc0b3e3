/*
 * test_escape.c - escape_text shows a client's bytes on the server's
 * terminal so that none can act on it: printable ASCII and well-formed
 * UTF-8 as they are, "\\" "\t" "\r" "\n" named, every other byte (C0 and
 * C1 controls, DEL, malformed UTF-8, invisible and bidi format
 * characters) as "\xNN".  Output is compared byte for byte, and must fit
 * ESCAPE_MAX; escape_utf8_len is checked at the edges of Unicode's table
 * of well-formed sequences.  escape_term, the client's screen, follows
 * the same rules but lets newline, tab and CR LF through, and must give
 * the same output however the stream is cut into reads.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "escape.h"
#include "mock_syscalls.h"

/* Escape len bytes of in and check the output is exactly want, and
 * that not a byte was written past ESCAPE_MAX(len). */
static void check_escape(const char *in, size_t len, const char *want)
{
    size_t room = ESCAPE_MAX(len), outlen;
    char *out = malloc(room + 8);

    assert_non_null(out);
    memset(out, '#', room + 8);
    outlen = escape_text(out, in, len);
    assert_true(outlen <= room);
    assert_memory_equal(out + room, "########", 8);
    if (outlen != strlen(want) || memcmp(out, want, outlen) != 0)
        print_error("escaped to \"%.*s\", want \"%s\"\n", (int)outlen, out,
                    want);
    assert_int_equal(outlen, strlen(want));
    assert_memory_equal(out, want, outlen);
    free(out);
}

/* The bytes of a string literal, embedded NULs included. */
#define ESC(lit, want) check_escape((lit), sizeof(lit) - 1, (want))

static void printable_ascii_unchanged(void **state)
{
    char all[95 + 1];
    int c;

    (void)state;
    ESC("hello, world", "hello, world");
    ESC("", "");
    ESC(" ~!\"#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}", " ~!\"#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}");

    /* Every byte 0x20..0x7e except the backslash goes through as is. */
    for (c = 0x20; c < 0x7f; c++) {
        char one[2] = { (char)c, '\0' };

        if (c == '\\')
            continue;
        check_escape(one, 1, one);
    }
    for (c = 0x20; c < 0x7f; c++)
        all[c - 0x20] = (char)(c == '\\' ? 'x' : c);
    all[95] = '\0';
    check_escape(all, 95, all);
}

static void backslash_and_named_controls(void **state)
{
    (void)state;
    ESC("\\", "\\\\");
    ESC("a\\b", "a\\\\b");
    ESC("\\x41", "\\\\x41");     /* an escape-looking input stays distinct */
    ESC("\t", "\\t");
    ESC("\r", "\\r");
    ESC("\n", "\\n");
    ESC("line\r\n", "line\\r\\n");
    ESC("a\tb\\c\nd", "a\\tb\\\\c\\nd");
}

static void c0_controls_and_del_as_hex(void **state)
{
    (void)state;
    ESC("\x1b[31m", "\\x1b[31m");
    ESC("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07");
    ESC("\0", "\\x00");
    ESC("a\0b", "a\\x00b");
    ESC("\x7f", "\\x7f");
    ESC("\x01\x08\x0b\x0c\x1f", "\\x01\\x08\\x0b\\x0c\\x1f");
}

static void every_c0_byte_is_escaped(void **state)
{
    static const char hex[] = "0123456789abcdef";
    int c;

    (void)state;
    for (c = 0; c < 0x20; c++) {
        char one = (char)c;
        char want[5];

        if (c == '\t' || c == '\r' || c == '\n')
            continue;
        want[0] = '\\';
        want[1] = 'x';
        want[2] = hex[c >> 4];
        want[3] = hex[c & 0xf];
        want[4] = '\0';
        check_escape(&one, 1, want);
    }
}

static void valid_utf8_unchanged(void **state)
{
    (void)state;
    ESC("\xe4\xbd\xa0\xe5\xa5\xbd", "\xe4\xbd\xa0\xe5\xa5\xbd");   /* 你好 */
    ESC("caf\xc3\xa9", "caf\xc3\xa9");                             /* é */
    ESC("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");                   /* U+1F600 */
    ESC("\xc2\xa0", "\xc2\xa0");               /* U+00A0, first after C1 */
    ESC("\xdf\xbf", "\xdf\xbf");               /* U+07FF */
    ESC("\xef\xbf\xbd", "\xef\xbf\xbd");       /* U+FFFD */
    ESC("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
    /* Mixed with ASCII and escapes. */
    ESC("\xe4\xbd\xa0\t\xc3\xa9\n", "\xe4\xbd\xa0\\t\xc3\xa9\\n");
}

static void c1_controls_escaped_byte_by_byte(void **state)
{
    (void)state;
    ESC("\xc2\x80", "\\xc2\\x80");
    ESC("\xc2\x9b", "\\xc2\\x9b");             /* CSI */
    ESC("\xc2\x9b" "31m", "\\xc2\\x9b" "31m");
    ESC("\xc2\x9d", "\\xc2\\x9d");             /* OSC */
    ESC("\xc2\x9f", "\\xc2\\x9f");
}

static void overlongs_escaped(void **state)
{
    (void)state;
    ESC("\xc0\xaf", "\\xc0\\xaf");
    ESC("\xc1\xbf", "\\xc1\\xbf");
    ESC("\xc0\x80", "\\xc0\\x80");
    ESC("\xe0\x80\xaf", "\\xe0\\x80\\xaf");
    ESC("\xe0\x9f\xbf", "\\xe0\\x9f\\xbf");
    ESC("\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf");
    ESC("\xf0\x8f\xbf\xbf", "\\xf0\\x8f\\xbf\\xbf");
}

static void surrogates_and_beyond_escaped(void **state)
{
    (void)state;
    ESC("\xed\xa0\x80", "\\xed\\xa0\\x80");         /* U+D800 */
    ESC("\xed\xbf\xbf", "\\xed\\xbf\\xbf");         /* U+DFFF */
    ESC("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* U+110000 */
    ESC("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");
    ESC("\xff", "\\xff");
    ESC("\xfe", "\\xfe");
    ESC("\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80");
}

static void truncated_sequences_escaped(void **state)
{
    (void)state;
    /* Cut short at the end of the input. */
    ESC("\xc3", "\\xc3");
    ESC("ab\xe4", "ab\\xe4");
    ESC("\xe4\xbd", "\\xe4\\xbd");
    ESC("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
    ESC("\xe4\xbd\xa0\xe5\xa5", "\xe4\xbd\xa0\\xe5\\xa5");
    /* Cut short by another byte, which is then read on its own. */
    ESC("\xe4\xbd" "A", "\\xe4\\xbd" "A");
    ESC("\xe4\xbd\n", "\\xe4\\xbd\\n");
    ESC("\xf0\x9f\x98" "A", "\\xf0\\x9f\\x98" "A");
    ESC("\xc3\xc3\xa9", "\\xc3\xc3\xa9");
    ESC("\xe4\xe4\xbd\xa0", "\\xe4\xe4\xbd\xa0");
}

static void lone_continuation_bytes_escaped(void **state)
{
    (void)state;
    ESC("\x80", "\\x80");
    ESC("\xbf", "\\xbf");
    ESC("a\x80\x80z", "a\\x80\\x80z");
    /* One too many after a valid sequence. */
    ESC("\xc3\xa9\xa9", "\xc3\xa9\\xa9");
    ESC("\xe4\xbd\xa0\xa0", "\xe4\xbd\xa0\\xa0");
}

/* The length passed is a limit: a sequence must not be read past it. */
static void length_limits_the_sequence(void **state)
{
    (void)state;
    check_escape("\xc3\xa9", 1, "\\xc3");
    check_escape("\xe4\xbd\xa0", 2, "\\xe4\\xbd");
    check_escape("\xf0\x9f\x98\x80", 3, "\\xf0\\x9f\\x98");
    check_escape("ab", 1, "a");
}

/* Invisible and bidirectional format characters could make a line show
 * as something else (a right-to-left override reverses what follows):
 * escaped byte by byte like controls.  Their neighbours are plain text. */
static void bidi_and_invisible_escaped(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        { "\xe2\x80\xaa", "\\xe2\\x80\\xaa" },   /* U+202A LRE */
        { "\xe2\x80\xae", "\\xe2\\x80\\xae" },   /* U+202E RLO */
        { "\xe2\x81\xa6", "\\xe2\\x81\\xa6" },   /* U+2066 LRI */
        { "\xe2\x81\xa9", "\\xe2\\x81\\xa9" },   /* U+2069 PDI */
        { "\xe2\x80\x8b", "\\xe2\\x80\\x8b" },   /* U+200B ZWSP */
        { "\xe2\x80\x8f", "\\xe2\\x80\\x8f" },   /* U+200F RLM */
        { "\xe2\x80\xa8", "\\xe2\\x80\\xa8" },   /* U+2028 LS */
        { "\xe2\x80\xa9", "\\xe2\\x80\\xa9" },   /* U+2029 PS */
        { "\xef\xbb\xbf", "\\xef\\xbb\\xbf" },   /* U+FEFF BOM */
        { "\xd8\x9c", "\\xd8\\x9c" },             /* U+061C ALM */
        /* Neighbours that are ordinary visible text: */
        { "\xe2\x80\x8a", "\xe2\x80\x8a" },       /* U+200A hair space */
        { "\xe2\x80\x90", "\xe2\x80\x90" },       /* U+2010 hyphen */
        { "\xe2\x80\xa7", "\xe2\x80\xa7" },       /* U+2027 */
        { "\xe2\x80\xaf", "\xe2\x80\xaf" },       /* U+202F */
        { "\xe2\x81\xa5", "\xe2\x81\xa5" },       /* U+2065 */
        { "\xe2\x81\xaa", "\xe2\x81\xaa" },       /* U+206A */
        { "\xef\xbb\xbe", "\xef\xbb\xbe" },       /* U+FEFE */
        { "\xd8\x9b", "\xd8\x9b" },                 /* U+061B */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_escape(cases[i].in, strlen(cases[i].in), cases[i].want);
    /* An override inside a line: the rest stays in its order. */
    ESC("evil\xe2\x80\xaetxt.exe", "evil\\xe2\\x80\\xaetxt.exe");
}

static size_t u8len(const char *s, size_t len)
{
    return escape_utf8_len((const unsigned char *)s, len);
}

static void utf8_len_two_bytes(void **state)
{
    (void)state;
    assert_int_equal(u8len("\xc3\xa9", 2), 2);
    assert_int_equal(u8len("\xc2\xa0", 2), 2);
    assert_int_equal(u8len("\xdf\xbf", 2), 2);
    assert_int_equal(u8len("\xc2\x9f", 2), 0);   /* C1 */
    assert_int_equal(u8len("\xc2\x80", 2), 0);   /* C1 */
    assert_int_equal(u8len("\xc1\xbf", 2), 0);   /* overlong */
    assert_int_equal(u8len("\xc0\x80", 2), 0);   /* overlong */
    assert_int_equal(u8len("\xc3\x7f", 2), 0);   /* not a continuation */
    assert_int_equal(u8len("\xc3\xc0", 2), 0);
    assert_int_equal(u8len("\xc3\xa9", 1), 0);   /* truncated */
    assert_int_equal(u8len("\xc3", 0), 0);
    assert_int_equal(u8len("A", 1), 0);          /* ASCII is not a sequence */
    assert_int_equal(u8len("\x80\x80", 2), 0);
}

static void utf8_len_three_bytes(void **state)
{
    (void)state;
    assert_int_equal(u8len("\xe0\xa0\x80", 3), 3);   /* U+0800 */
    assert_int_equal(u8len("\xe0\x9f\xbf", 3), 0);   /* overlong U+07FF */
    assert_int_equal(u8len("\xe0\x80\xaf", 3), 0);
    assert_int_equal(u8len("\xe1\x80\x80", 3), 3);
    assert_int_equal(u8len("\xec\xbf\xbf", 3), 3);
    assert_int_equal(u8len("\xed\x80\x80", 3), 3);   /* U+D000 */
    assert_int_equal(u8len("\xed\x9f\xbf", 3), 3);   /* U+D7FF */
    assert_int_equal(u8len("\xed\xa0\x80", 3), 0);   /* U+D800 */
    assert_int_equal(u8len("\xed\xbf\xbf", 3), 0);   /* U+DFFF */
    assert_int_equal(u8len("\xee\x80\x80", 3), 3);   /* U+E000 */
    assert_int_equal(u8len("\xef\xbf\xbd", 3), 3);
    assert_int_equal(u8len("\xe2\x80\xae", 3), 0);   /* U+202E: format */
    assert_int_equal(u8len("\xef\xbb\xbf", 3), 0);   /* U+FEFF: format */
    assert_int_equal(u8len("\xe4\xbd\xa0", 3), 3);
    assert_int_equal(u8len("\xe4\xbd\xa0", 2), 0);   /* truncated */
    assert_int_equal(u8len("\xe4\xbd\x41", 3), 0);   /* bad third byte */
    assert_int_equal(u8len("\xe4\xbd\xc0", 3), 0);
    assert_int_equal(u8len("\xe4\x41\xa0", 3), 0);   /* bad second byte */
    /* More input after a sequence does not change its length. */
    assert_int_equal(u8len("\xe4\xbd\xa0\xa0", 4), 3);
}

static void utf8_len_four_bytes(void **state)
{
    (void)state;
    assert_int_equal(u8len("\xf0\x90\x80\x80", 4), 4);   /* U+10000 */
    assert_int_equal(u8len("\xf0\x8f\xbf\xbf", 4), 0);   /* overlong */
    assert_int_equal(u8len("\xf0\x9f\x98\x80", 4), 4);
    assert_int_equal(u8len("\xf1\x80\x80\x80", 4), 4);
    assert_int_equal(u8len("\xf3\xbf\xbf\xbf", 4), 4);
    assert_int_equal(u8len("\xf4\x8f\xbf\xbf", 4), 4);   /* U+10FFFF */
    assert_int_equal(u8len("\xf4\x90\x80\x80", 4), 0);   /* U+110000 */
    assert_int_equal(u8len("\xf5\x80\x80\x80", 4), 0);
    assert_int_equal(u8len("\xff\xbf\xbf\xbf", 4), 0);
    assert_int_equal(u8len("\xf0\x9f\x98\x80", 3), 0);   /* truncated */
    assert_int_equal(u8len("\xf0\x9f\x98\x41", 4), 0);   /* bad fourth */
    assert_int_equal(u8len("\xf0\x9f\x41\x80", 4), 0);   /* bad third */
    assert_int_equal(u8len("\xf0\x9f\x98\x80\x80", 5), 4);
}

/* The log line every design writes: "PEER: text\n", the line's own
 * newline dropped, the rest escaped. */
static void log_line_names_the_peer(void **state)
{
    char out[ESCAPE_LINE_MAX(16, 8)];
    size_t n;

    (void)state;
    n = escape_line(out, "unix:(unnamed)", "hi\x1b\n", 4);
    assert_int_equal(n, strlen("unix:(unnamed): hi\\x1b\n"));
    assert_memory_equal(out, "unix:(unnamed): hi\\x1b\n", n);
    n = escape_line(out, "1.2.3.4:5", "no nl", 5);
    assert_memory_equal(out, "1.2.3.4:5: no nl\n", n);
    assert_int_equal(n, 17);
}

/*
 * The client's screen (escape_term): the stream `in` fed whole, cut in
 * two at every point, and one byte at a time, then ended; every way
 * must show exactly `want`, and no call may write past
 * ESCAPE_TERM_MAX of what it was given.  A sequence cut between two
 * reads is thus neither let through raw nor escaped when it is whole.
 */
static void term_feed(struct escape_term *t, char *out, size_t *n,
                      const char *s, size_t len)
{
    char *room = malloc(ESCAPE_TERM_MAX(len) + 8);
    size_t k;

    assert_non_null(room);
    memset(room, '#', ESCAPE_TERM_MAX(len) + 8);
    k = escape_term(t, room, s, len);
    assert_true(k <= ESCAPE_TERM_MAX(len));
    assert_memory_equal(room + ESCAPE_TERM_MAX(len), "########", 8);
    memcpy(out + *n, room, k);
    *n += k;
    free(room);
}

static void term_check(const char *in, size_t len, const char *want)
{
    size_t wlen = strlen(want), cut, n, i;
    char *out = malloc(ESCAPE_MAX(len) + ESCAPE_TERM_MAX(0) + 1);
    struct escape_term t;

    assert_non_null(out);
    for (cut = 0; cut <= len + 1; cut++) {
        escape_term_init(&t);
        n = 0;
        if (cut <= len) {            /* two reads, cut at `cut` */
            term_feed(&t, out, &n, in, cut);
            term_feed(&t, out, &n, in + cut, len - cut);
        } else {                     /* one byte a read */
            for (i = 0; i < len; i++)
                term_feed(&t, out, &n, in + i, 1);
        }
        n += escape_term_end(&t, out + n);
        if (n != wlen || memcmp(out, want, n) != 0)
            fail_msg("cut %zu: shown \"%.*s\", want \"%s\"", cut, (int)n,
                     out, want);
    }
    free(out);
}

#define TERM(lit, want) term_check((lit), sizeof(lit) - 1, (want))

/* Text, newlines and tabs pass; Chinese and other UTF-8 text too. */
static void term_text_lines_and_tabs_pass(void **state)
{
    (void)state;
    TERM("welcome!\n", "welcome!\n");
    TERM("a\tb\n", "a\tb\n");
    TERM("\xe4\xbd\xa0\xe5\xa5\xbd\n", "\xe4\xbd\xa0\xe5\xa5\xbd\n"); /* 你好 */
    TERM("caf\xc3\xa9 \xf0\x9f\x98\x80\n", "caf\xc3\xa9 \xf0\x9f\x98\x80\n");
    TERM("", "");
}

/* What drives a terminal is shown, not obeyed: OSC 52 (write the
 * clipboard), OSC 0 (the title), CSI 2J (clear), NUL, DEL, BEL. */
static void term_escape_sequences_shown(void **state)
{
    (void)state;
    TERM("\x1b]52;c;cHduZWQ=\x07", "\\x1b]52;c;cHduZWQ=\\x07");
    TERM("\x1b]0;title\x1b\\", "\\x1b]0;title\\x1b\\\\");
    TERM("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H");
    TERM("a\0b\x7f\n", "a\\x00b\\x7f\n");
    TERM("\\", "\\\\");       /* a backslash is doubled, as in the log */
}

/* C1 controls, as UTF-8 (U+0080-U+009F) and as raw bytes that are not
 * UTF-8 (8-bit CSI and OSC); invalid UTF-8; bidi overrides and isolates. */
static void term_c1_invalid_and_bidi_shown(void **state)
{
    (void)state;
    TERM("\xc2\x9b" "2J", "\\xc2\\x9b" "2J");
    TERM("\x9b" "2J\x9d" "0;t\x9c", "\\x9b" "2J\\x9d" "0;t\\x9c");
    TERM("\x80\x9f", "\\x80\\x9f");
    TERM("\xff\xc0\xaf\xed\xa0\x80", "\\xff\\xc0\\xaf\\xed\\xa0\\x80");
    TERM("evil\xe2\x80\xaetxt.exe\n", "evil\\xe2\\x80\\xaetxt.exe\n");
    TERM("\xe2\x80\xaa\xe2\x80\xad\xe2\x81\xa6\xe2\x81\xa9",
         "\\xe2\\x80\\xaa\\xe2\\x80\\xad\\xe2\\x81\\xa6\\xe2\\x81\\xa9");
}

/* A bare CR would return to the start of the line and let the rest draw
 * a fake prompt over it: shown.  The CR of a CR LF is a line end. */
static void term_bare_cr_shown_cr_lf_passes(void **state)
{
    (void)state;
    TERM("line\r\n", "line\r\n");
    TERM("ok\r$ sudo ", "ok\\r$ sudo ");
    TERM("a\r\r\n", "a\\r\r\n");
    TERM("end\r", "end\\r");         /* a CR at the very end is bare */
    TERM("\r", "\\r");
}

/* A sequence cut at the end of the stream, or broken by the next
 * bytes, is shown escaped; one completed by the next read is text. */
static void term_unfinished_sequences(void **state)
{
    (void)state;
    TERM("\xe4\xbd", "\\xe4\\xbd");
    TERM("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
    TERM("\xe4\xbd" "A\xe4\xbd\xa0", "\\xe4\\xbd" "A\xe4\xbd\xa0");
    TERM("\xc2", "\\xc2");
    TERM("\xe4\xe4\xbd\xa0", "\\xe4\xe4\xbd\xa0");
    TERM("\xf0\x9f\x98\r\n", "\\xf0\\x9f\\x98\r\n");
}

/* Held bytes wait for the next read, whole (escape_term by hand, so the
 * moment each part shows is checked, not only the total). */
static void term_split_sequence_waits(void **state)
{
    struct escape_term t;
    char out[64];

    (void)state;
    escape_term_init(&t);
    assert_int_equal(escape_term(&t, out, "ab\xe4\xbd", 4), 2);
    assert_memory_equal(out, "ab", 2);
    assert_int_equal(escape_term(&t, out, "\xa0\n", 2), 4);
    assert_memory_equal(out, "\xe4\xbd\xa0\n", 4);
    assert_int_equal(escape_term(&t, out, "x\r", 2), 1);
    assert_int_equal(escape_term(&t, out, "\x1b", 1), 6);
    assert_memory_equal(out, "\\r\\x1b", 6);
    assert_int_equal(escape_term_end(&t, out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        mock_unit_test(printable_ascii_unchanged),
        mock_unit_test(backslash_and_named_controls),
        mock_unit_test(c0_controls_and_del_as_hex),
        mock_unit_test(every_c0_byte_is_escaped),
        mock_unit_test(valid_utf8_unchanged),
        mock_unit_test(c1_controls_escaped_byte_by_byte),
        mock_unit_test(overlongs_escaped),
        mock_unit_test(surrogates_and_beyond_escaped),
        mock_unit_test(truncated_sequences_escaped),
        mock_unit_test(lone_continuation_bytes_escaped),
        mock_unit_test(length_limits_the_sequence),
        mock_unit_test(bidi_and_invisible_escaped),
        mock_unit_test(utf8_len_two_bytes),
        mock_unit_test(utf8_len_three_bytes),
        mock_unit_test(utf8_len_four_bytes),
        mock_unit_test(log_line_names_the_peer),
        mock_unit_test(term_text_lines_and_tabs_pass),
        mock_unit_test(term_escape_sequences_shown),
        mock_unit_test(term_c1_invalid_and_bidi_shown),
        mock_unit_test(term_bare_cr_shown_cr_lf_passes),
        mock_unit_test(term_unfinished_sequences),
        mock_unit_test(term_split_sequence_waits),
    };

    return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}

/* Unit tests: the hook plugin's pure output functions (hook_tail.c): what it
 * keeps of a script's output, and certbot's CERTBOT_AUTH_OUTPUT made of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hook_tail.h"

static void text(const char *in, size_t len, size_t size, const char *want)
{
    char out[64];
    assert_true(size <= sizeof out);
    size_t n = hook_output_text(in, len, out, size);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_auth_output(void **st)
{
    (void)st;
    /* certbot: out.strip() of universal-newlines text */
    text("  \n_acme-challenge.example.com\n\n", 32, 64, "_acme-challenge.example.com");
    text("id-1\r\nid-2\r\n", 12, 64, "id-1\nid-2");
    text("a\rb\r", 4, 64, "a\nb");
    text("\t\v\f x \x1c", 7, 64, "x");
    text("", 0, 64, "");
    text(" \n\t", 3, 64, "");
    /* an environment string ends at a NUL byte */
    text("abc\0def", 7, 64, "abc");
    /* bounded by the output buffer, trailing space of the cut removed */
    text("abcd efgh", 9, 6, "abcd");
    text("abcdef", 6, 1, "");
}

static void test_tail(void **st)
{
    (void)st;
    struct hook_tail t = {.len = 0};
    char big[HOOK_TAIL_MAX + 100];
    memset(big, 'x', sizeof big);
    hook_tail_add(&t, "head\n", 5);
    assert_int_equal(t.len, 5);
    assert_false(t.truncated);
    hook_tail_add(&t, big, sizeof big);
    assert_int_equal(t.len, HOOK_TAIL_MAX);
    assert_true(t.truncated);
    hook_tail_add(&t, "end", 3);
    assert_int_equal(t.len, HOOK_TAIL_MAX);
    assert_memory_equal(t.buf + HOOK_TAIL_MAX - 3, "end", 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_output),
        cmocka_unit_test(test_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

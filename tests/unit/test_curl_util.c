/* The helpers the core's HTTPS client and the Cloudflare plugin share:
 * the capped response body and Retry-After. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "curl_util.h"

static void test_retry_after(void **st)
{
    (void)st;
    time_t now = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */
    assert_int_equal(ad_retry_after_secs("3", now), 3);
    assert_int_equal(ad_retry_after_secs(" 12 ", now), 12);
    assert_int_equal(ad_retry_after_secs("0", now), 0);
    assert_int_equal(ad_retry_after_secs("99999999999999999999", now), 86400);
    /* The three HTTP-date forms (RFC 9110 5.6.7), read by curl_getdate. */
    assert_int_equal(ad_retry_after_secs("Wed, 21 Oct 2015 07:30:00 GMT", now), 120);
    assert_int_equal(ad_retry_after_secs("Wednesday, 21-Oct-15 07:29:00 GMT", now), 60);
    assert_int_equal(ad_retry_after_secs("Wed Oct 21 07:28:30 2015", now), 30);
    /* In the past: now. */
    assert_int_equal(ad_retry_after_secs("Tue, 20 Oct 2015 07:28:00 GMT", now), 0);
    assert_int_equal(ad_retry_after_secs("Wed, 21 Oct 2025 07:28:00 GMT", now), 86400);
    /* Neither. */
    assert_int_equal(ad_retry_after_secs("1x", now), -1);
    assert_int_equal(ad_retry_after_secs("", now), -1);
    assert_int_equal(ad_retry_after_secs("soon", now), -1);
    assert_int_equal(ad_retry_after_secs("-5", now), -1);
}

static void test_transient(void **st)
{
    (void)st;
    assert_true(ad_curl_transient(CURLE_COULDNT_CONNECT));
    assert_true(ad_curl_transient(CURLE_RECV_ERROR));
    assert_true(ad_curl_transient(CURLE_HTTP2_STREAM));
    assert_false(ad_curl_transient(CURLE_OK));
    assert_false(ad_curl_transient(CURLE_OPERATION_TIMEDOUT));
    assert_false(ad_curl_transient(CURLE_PEER_FAILED_VERIFICATION));
    assert_false(ad_curl_transient(CURLE_COULDNT_RESOLVE_HOST));
}

static void test_body_cap(void **st)
{
    (void)st;
    struct ad_body b = {.max = 10};
    char chunk[8] = "abcdefgh";
    assert_int_equal(ad_body_write(chunk, 1, 4, &b), 4);
    assert_int_equal(ad_body_write(chunk, 2, 3, &b), 6); /* exactly the cap */
    assert_false(b.too_big);
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.data, "abcdabcdef", 11);
    assert_int_equal(ad_body_write(chunk, 1, 1, &b), 0); /* one byte more: refused */
    assert_true(b.too_big);
    assert_int_equal(b.len, 10);
    size_t len = 99;
    char *s = ad_body_take(&b, &len);
    assert_int_equal(len, 10);
    assert_string_equal(s, "abcdabcdef");
    free(s);
    assert_null(b.data);
    /* Nothing written: an empty string. */
    struct ad_body e = {.max = 10};
    s = ad_body_take(&e, &len);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);
    ad_body_clear(&b);
    assert_int_equal(b.max, 10);
    assert_false(b.too_big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_body_cap),
        cmocka_unit_test(test_transient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of the Cloudflare provider's pure helpers (cf_util.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cf_util.h"

static void test_url_policy(void **unused)
{
    (void)unused;
    char why[160];
    assert_true(ad_cf_url_ok("https://api.cloudflare.com/client/v4", why, sizeof(why)));
    assert_true(ad_cf_url_ok("http://127.0.0.1:8080/client/v4", why, sizeof(why)));
    assert_true(ad_cf_url_ok("http://127.0.61.3:1/", why, sizeof(why)));
    assert_true(ad_cf_url_ok("http://localhost:9/v4", why, sizeof(why)));
    assert_true(ad_cf_url_ok("http://[::1]:9/v4", why, sizeof(why)));
    assert_false(ad_cf_url_ok("http://api.cloudflare.com/client/v4", why, sizeof(why)));
    assert_non_null(strstr(why, "loopback"));
    assert_false(ad_cf_url_ok("http://10.0.0.1/", why, sizeof(why)));
    assert_false(ad_cf_url_ok("http://[::2]/", why, sizeof(why)));
    assert_false(ad_cf_url_ok("http://localhost.example.com/", why, sizeof(why)));
    assert_false(ad_cf_url_ok("ftp://127.0.0.1/", why, sizeof(why)));
    assert_false(ad_cf_url_ok("https://user:pw@api.cloudflare.com/", why, sizeof(why)));
    assert_false(ad_cf_url_ok("https://api.cloudflare.com/client/v4?x=1", why, sizeof(why)));
    assert_false(ad_cf_url_ok("not a url", why, sizeof(why)));
}

static void test_txt_quote(void **unused)
{
    (void)unused;
    char *q = ad_cf_txt_quote("abc-_DEF");
    assert_string_equal(q, "\"abc-_DEF\"");
    free(q);
    q = ad_cf_txt_quote("a\"b\\c");
    assert_string_equal(q, "\"a\\\"b\\\\c\"");
    free(q);
    char big[300];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_null(ad_cf_txt_quote(big));
}

static void test_txt_matches(void **unused)
{
    (void)unused;
    assert_true(ad_cf_txt_matches("\"abc\"", "abc"));
    assert_true(ad_cf_txt_matches("abc", "abc"));
    assert_true(ad_cf_txt_matches("\"ab\" \"c\"", "abc"));
    assert_true(ad_cf_txt_matches("\"a\\\"b\"", "a\"b"));
    assert_true(ad_cf_txt_matches("\"a\\065\"", "aA"));
    assert_false(ad_cf_txt_matches("\"abcd\"", "abc"));
    assert_false(ad_cf_txt_matches("\"abc", "abc"));
    assert_false(ad_cf_txt_matches(NULL, "abc"));
}

static void test_trim_and_secret(void **unused)
{
    (void)unused;
    char t[] = "tok123\r\n \n";
    ad_cf_trim(t);
    assert_string_equal(t, "tok123");
    assert_true(ad_cf_secret_ok("abcDEF-123_xyz"));
    assert_false(ad_cf_secret_ok(""));
    assert_false(ad_cf_secret_ok("ab cd"));
    assert_false(ad_cf_secret_ok("ab\ncd"));
    assert_false(ad_cf_secret_ok("ab\x7f"));
}

static void test_ids_and_data(void **unused)
{
    (void)unused;
    assert_true(ad_cf_id_ok("023e105f4ecef8ad9ca31a8372d0c353"));
    assert_false(ad_cf_id_ok(""));
    assert_false(ad_cf_id_ok("../x"));
    assert_false(ad_cf_id_ok("a/b"));
    char z[AD_CF_ID_MAX + 1], r[AD_CF_ID_MAX + 1];
    assert_true(ad_cf_data_split("zone1/rec2", z, r));
    assert_string_equal(z, "zone1");
    assert_string_equal(r, "rec2");
    assert_false(ad_cf_data_split("zone1", z, r));
    assert_false(ad_cf_data_split("/rec", z, r));
    assert_false(ad_cf_data_split("zone/", z, r));
    assert_false(ad_cf_data_split("zo?ne/rec", z, r));
    assert_false(ad_cf_data_split("zone/re/c", z, r));
}

static void test_backoff(void **unused)
{
    (void)unused;
    assert_int_equal(ad_cf_backoff_ms(1, 0), 250);
    assert_int_equal(ad_cf_backoff_ms(2, 0), 500);
    assert_true(ad_cf_backoff_ms(2, 999) <= 625);
    assert_int_equal(ad_cf_backoff_ms(30, 0), 8000);
}

static void test_sanitize(void **unused)
{
    (void)unused;
    char out[8];
    ad_cf_sanitize(out, sizeof(out), "ab\ncd\x1b[31mxyz");
    assert_string_equal(out, "ab?cd?[");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_policy),      cmocka_unit_test(test_txt_quote),
        cmocka_unit_test(test_txt_matches),     cmocka_unit_test(test_trim_and_secret),
        cmocka_unit_test(test_ids_and_data),    cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_sanitize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

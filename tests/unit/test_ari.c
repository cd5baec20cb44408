/* Unit tests: renewal timing (RFC 9773 windows, Retry-After, the lifetime
 * rule), the state kept between runs, and RFC 3339 times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ari.h"
#include "walltime.h"

#define DAY 86400LL

static void test_rfc3339(void **state)
{
    (void)state;
    int64_t t;
    char buf[AD_RFC3339_LEN];
    assert_true(ad_rfc3339_parse("2025-01-02T04:00:00Z", &t));
    assert_true(t == 1735790400LL);
    ad_rfc3339_format(t, buf, sizeof buf);
    assert_string_equal(buf, "2025-01-02T04:00:00Z");
    assert_true(ad_rfc3339_parse("2025-01-02T05:30:00.123456+01:30", &t));
    assert_true(t == 1735790400LL);
    assert_true(ad_rfc3339_parse("2025-01-01T20:00:00-08:00", &t));
    assert_true(t == 1735790400LL);
    assert_true(ad_rfc3339_parse("1970-01-01T00:00:00z", &t) && t == 0);
    static const char *const bad[] = {"", "2025-01-02", "2025-01-02T04:00:00", "2025-01-02 04:00:00Z",
                                      "2025-13-02T04:00:00Z", "2025-01-02T04:00:00.Z", "2025-01-02T04:00:00+1:00",
                                      "2025-01-02T04:00:00Zjunk", "25-01-02T04:00:00Z", "2025-01-02T24:00:00Z",
                                      /* before 1970: "0001-..." would be written back as "1-..." */
                                      "0001-02-01T00:00:00Z", "1970-01-01T00:30:00+01:00"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (ad_rfc3339_parse(bad[i], &t))
            fail_msg("'%s' was taken as an RFC 3339 time", bad[i]);
}

static void test_window_parse(void **state)
{
    (void)state;
    struct ad_ari_window w;
    char why[200];
    const char *ok = "{\"suggestedWindow\": {\"start\": \"2025-01-02T04:00:00Z\", \"end\": \"2025-01-03T04:00:00Z\"},"
                     " \"explanationURL\": \"https://ca.test/why\"}";
    assert_int_equal(ad_ari_parse(ok, strlen(ok), &w, why, sizeof why), AD_OK);
    assert_true(w.start == 1735790400LL && w.end == 1735790400LL + DAY);
    assert_string_equal(w.explanation, "https://ca.test/why");
    ad_ari_window_clear(&w);
    static const char *const bad[] = {
        "", "null", "[]", "{}", "{\"suggestedWindow\": 1}",
        "{\"suggestedWindow\": {\"start\": \"2025-01-02T04:00:00Z\"}}",
        "{\"suggestedWindow\": {\"start\": \"2025-01-03T04:00:00Z\", \"end\": \"2025-01-02T04:00:00Z\"}}",
        "{\"suggestedWindow\": {\"start\": \"2025-01-02T04:00:00Z\", \"end\": \"2025-01-02T04:00:00Z\"}}",
        "{\"suggestedWindow\": {\"start\": 1, \"end\": 2}}",
        "{\"suggestedWindow\": {\"start\": \"2025-01-02T04:00:00Z\", \"end\": \"2025-01-03T04:00:00Z\"}} {}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(ad_ari_parse(bad[i], strlen(bad[i]), &w, why, sizeof why), AD_ERR_PROTOCOL);
        assert_true(why[0] != '\0');
        ad_ari_window_clear(&w);
    }
}

static void test_update(void **state)
{
    (void)state;
    struct ad_renewal_state st = {0};
    struct ad_ari_window w = {1000000, 1000000 + 2 * DAY, NULL};
    int64_t now = 500000;
    assert_int_equal(ad_ari_update(&st, "id.1", &w, 3600, now), AD_OK);
    assert_string_equal(st.cert_id, "id.1");
    assert_true(st.selected >= w.start && st.selected < w.end);
    assert_true(st.next_check == now + 3600);
    /* The same window keeps its moment; Retry-After is bounded to 1 min .. 1 day. */
    int64_t first = st.selected;
    assert_int_equal(ad_ari_update(&st, "id.1", &w, 5, now), AD_OK);
    assert_true(st.selected == first);
    assert_true(st.next_check == now + 60);
    assert_int_equal(ad_ari_update(&st, "id.1", &w, 10000000, now), AD_OK);
    assert_true(st.next_check == now + DAY);
    assert_int_equal(ad_ari_update(&st, "id.1", &w, -1, now), AD_OK);
    assert_true(st.next_check == now + AD_ARI_RETRY_DEFAULT);
    /* A moved window gets a moment of its own; over many draws they spread. */
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int i = 0; i < 200; i++) {
        w.start += 10 * DAY;
        w.end += 10 * DAY;
        assert_int_equal(ad_ari_update(&st, "id.1", &w, 60, now), AD_OK);
        assert_true(st.selected >= w.start && st.selected < w.end);
        int64_t off = st.selected - w.start;
        lo = off < lo ? off : lo;
        hi = off > hi ? off : hi;
    }
    assert_true(lo < DAY / 2 && hi > DAY + DAY / 2);
    /* Another certificate: a new moment even for the same window. */
    assert_int_equal(ad_ari_update(&st, "id.2", &w, 60, now), AD_OK);
    assert_string_equal(st.cert_id, "id.2");
    ad_state_clear(&st);
}

static void test_lifetime(void **state)
{
    (void)state;
    /* 90 days: due with 30 left.  6 days: due with 3 left.  10 days: a third. */
    assert_true(ad_due_by_lifetime(0, 90 * DAY) == 60 * DAY);
    assert_true(ad_due_by_lifetime(0, 6 * DAY) == 3 * DAY);
    assert_true(ad_due_by_lifetime(0, 10 * DAY) == 10 * DAY - 10 * DAY / 3);
    assert_true(ad_due_by_lifetime(0, 10 * DAY - 1) == (10 * DAY - 1) - (10 * DAY - 1) / 2);
    assert_true(ad_due_by_lifetime(100, 100) == 100);
}

static void test_state(void **state)
{
    (void)state;
    struct ad_renewal_state st = {0}, back;
    struct ad_ari_window w = {1735790400LL, 1735790400LL + DAY, "https://ca.test/x"};
    char *json = NULL, why[200];
    assert_int_equal(ad_ari_update(&st, "aYhb.AIdl", &w, 3600, 1735700000LL), AD_OK);
    st.failures = 2;
    st.last_failure = 1735700000LL;
    st.last_error = strdup("the DNS provider failed");
    assert_int_equal(ad_state_format(&st, &json), AD_OK);
    assert_int_equal(ad_state_parse(json, strlen(json), &back, why, sizeof why), AD_OK);
    assert_string_equal(back.cert_id, "aYhb.AIdl");
    assert_true(back.start == st.start && back.end == st.end && back.selected == st.selected &&
                back.next_check == st.next_check);
    assert_string_equal(back.explanation, "https://ca.test/x");
    assert_int_equal(back.failures, 2);
    assert_string_equal(back.last_error, "the DNS provider failed");
    ad_state_clear(&back);
    size_t whole = strlen(json) - 1; /* without the final newline, which is not needed */
    assert_true(json[whole] == '\n');
    for (size_t n = 0; n < whole; n++) { /* every prefix: refused, cleanly, the bytes after it not read */
        assert_int_equal(ad_state_parse(json, n, &back, why, sizeof why), AD_ERR_CONFIG);
        ad_state_clear(&back);
    }
    assert_int_equal(ad_state_parse(json, whole, &back, why, sizeof why), AD_OK);
    ad_state_clear(&back);
    free(json);
    ad_state_clear(&st);
    static const char *const bad[] = {"{}", "{\"version\": 2}", "{\"version\": 1, \"ari\": {\"cert_id\": \"x\"}}",
                                      "{\"version\": 1, \"failures\": -1}",
                                      "{\"version\": 1, \"ari\": {\"cert_id\": \"x\", \"window_start\": "
                                      "\"2025-01-02T04:00:00Z\", \"window_end\": \"2025-01-01T04:00:00Z\", "
                                      "\"selected\": \"2025-01-02T04:00:00Z\", \"next_check\": "
                                      "\"2025-01-02T04:00:00Z\"}}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(ad_state_parse(bad[i], strlen(bad[i]), &back, why, sizeof why), AD_ERR_CONFIG);
        ad_state_clear(&back);
    }
    const char *bare = "{\"version\": 1, \"later\": [1, 2]}";
    assert_int_equal(ad_state_parse(bare, strlen(bare), &back, why, sizeof why), AD_OK);
    assert_null(back.cert_id);
    ad_state_clear(&back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3339), cmocka_unit_test(test_window_parse), cmocka_unit_test(test_update),
        cmocka_unit_test(test_lifetime), cmocka_unit_test(test_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests: problem documents (RFC 7807 / RFC 8555 6.7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "acme.h"

static void test_problem_with_subproblems(void **st)
{
    (void)st;
    const char *doc =
        "{\"type\":\"urn:ietf:params:acme:error:malformed\",\"detail\":\"Some of the identifiers requested were "
        "rejected\",\"subproblems\":[{\"type\":\"urn:ietf:params:acme:error:malformed\",\"detail\":\"Invalid "
        "underscore in DNS name \\\"_example.org\\\"\",\"identifier\":{\"type\":\"dns\",\"value\":\"_example.org\"}},"
        "{\"type\":\"urn:ietf:params:acme:error:rejectedIdentifier\",\"detail\":\"This CA will not issue for "
        "\\\"example.net\\\"\",\"identifier\":{\"type\":\"dns\",\"value\":\"example.net\"}}]}";
    char *s = NULL;
    assert_int_equal(ad_problem_format(doc, strlen(doc), &s), AD_OK);
    assert_non_null(strstr(s, "Some of the identifiers requested were rejected"));
    assert_non_null(strstr(s, "urn:ietf:params:acme:error:malformed"));
    assert_non_null(strstr(s, "_example.org: Invalid underscore"));
    assert_non_null(strstr(s, "example.net: This CA will not issue"));
    assert_non_null(strstr(s, "rejectedIdentifier"));
    free(s);
}

static void test_problem_plain(void **st)
{
    (void)st;
    const char *doc = "{\"type\":\"urn:ietf:params:acme:error:badNonce\",\"detail\":\"JWS has an invalid anti-replay "
                      "nonce\",\"status\":400}";
    char *s = NULL;
    assert_int_equal(ad_problem_format(doc, strlen(doc), &s), AD_OK);
    assert_string_equal(s, "JWS has an invalid anti-replay nonce [urn:ietf:params:acme:error:badNonce]");
    free(s);
}

static void test_problem_malformed(void **st)
{
    (void)st;
    char *s = NULL;
    assert_int_equal(ad_problem_format("<html>", 6, &s), AD_ERR_PROTOCOL);
    assert_int_equal(ad_problem_format("{\"a\":1}", 7, &s), AD_ERR_PROTOCOL);
    assert_int_equal(ad_problem_format("{\"detail\":", 10, &s), AD_ERR_PROTOCOL);
    assert_int_equal(ad_problem_format("", 0, &s), AD_ERR_PROTOCOL);
    const char *odd = "{\"detail\":\"x\",\"subproblems\":[1,\"a\",{\"identifier\":5}]}";
    assert_int_equal(ad_problem_format(odd, strlen(odd), &s), AD_OK);
    free(s);
    assert_null(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_problem_with_subproblems),
        cmocka_unit_test(test_problem_plain),
        cmocka_unit_test(test_problem_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

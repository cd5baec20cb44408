/* Unit tests: settings.json (the trust-boundary parser and its writer) and
 * the provider identity its journals are named by. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jws.h"
#include "settings.h"

static const char good[] =
    "{\"version\": 1, \"domains\": [\"Example.TEST.\", \"*.example.test\"],"
    " \"server\": \"https://ca.test/dir\", \"ca_bundle\": \"/etc/ca.pem\", \"key_type\": \"ec384\","
    " \"account\": {\"email\": \"a@example.test\", \"agree_tos\": true, \"key_type\": \"rsa2048\"},"
    " \"provider\": {\"name\": \"rfc2136\", \"options\": {\"zone\": \"example.test\", \"server\": \"192.0.2.1\"},"
    "   \"environment\": {\"tsig-keyfile\": \"ACME_DNS_RFC2136_TSIG_KEYFILE\"}, \"not_saved\": [\"tsig-secret\"],"
    "   \"plugin_dirs\": [\"/opt/p\"], \"ca_bundle\": \"/etc/api-ca.pem\"},"
    " \"dns\": {\"resolvers\": [\"192.0.2.53\"], \"propagation_timeout\": 30, \"skip_propagation_check\": true},"
    " \"deploy_hook\": [\"/usr/bin/systemctl\", \"reload\", \"nginx\"]}";

static ad_status parse(const char *s, struct ad_settings *st, char *why)
{
    return ad_settings_parse(s, strlen(s), st, why, 200);
}

/* S written, and read back into *T (clear it): written again, the same text.
 * Returns the text (caller frees). */
static char *round_trip(const struct ad_settings *s, struct ad_settings *t)
{
    char why[200], *json = NULL, *again = NULL;
    assert_int_equal(ad_settings_format(s, &json), AD_OK);
    assert_int_equal(parse(json, t, why), AD_OK);
    assert_int_equal(ad_settings_format(t, &again), AD_OK);
    assert_string_equal(json, again);
    free(again);
    return json;
}

static void test_parse_good(void **state)
{
    (void)state;
    struct ad_settings s;
    char why[200];
    assert_int_equal(parse(good, &s, why), AD_OK);
    assert_int_equal(s.ndomains, 2);
    assert_string_equal(s.domains[0], "example.test"); /* normalised */
    assert_string_equal(s.domains[1], "*.example.test");
    assert_string_equal(s.server, "https://ca.test/dir");
    assert_string_equal(s.ca_bundle, "/etc/ca.pem");
    assert_int_equal(s.key_type, AD_KEY_EC384);
    assert_int_equal(s.account_key_type, AD_KEY_RSA2048);
    assert_true(s.agree_tos);
    assert_string_equal(s.email, "a@example.test");
    assert_string_equal(s.provider.name, "rfc2136");
    assert_int_equal(s.provider.nopts, 2);
    assert_string_equal(s.provider.opts[0].name, "server"); /* sorted */
    assert_string_equal(s.provider.opts[0].value, "192.0.2.1");
    assert_int_equal(s.provider.nenv, 1);
    assert_string_equal(s.provider.env[0].option, "tsig-keyfile");
    assert_string_equal(s.provider.env[0].variable, "ACME_DNS_RFC2136_TSIG_KEYFILE");
    assert_int_equal(s.provider.nunsaved, 1);
    assert_string_equal(s.provider.ca_bundle, "/etc/api-ca.pem");
    assert_int_equal(s.nresolvers, 1);
    assert_int_equal(s.propagation_timeout, 30);
    assert_true(s.skip_propagation);
    assert_int_equal(s.ndeploy_hook, 3);
    assert_string_equal(s.deploy_hook[2], "nginx");

    /* What is written reads back the same. */
    struct ad_settings t;
    free(round_trip(&s, &t));
    assert_string_equal(t.domains[1], s.domains[1]);
    assert_string_equal(t.provider.env[0].variable, s.provider.env[0].variable);
    assert_string_equal(t.provider.plugin_dirs[0], "/opt/p");
    assert_string_equal(t.provider.ca_bundle, "/etc/api-ca.pem");
    assert_int_equal(t.key_type, s.key_type);
    assert_string_equal(t.deploy_hook[1], "reload");
    ad_settings_clear(&t);
    ad_settings_clear(&s);
}

static void test_defaults_and_unknown_keys(void **state)
{
    (void)state;
    struct ad_settings s;
    char why[200];
    /* A later version's additions (same version number) are tolerated. */
    const char *doc = "{\"version\": 1, \"domains\": [\"a.test\"], \"server\": \"https://ca.test/d\","
                      " \"provider\": {\"name\": \"hook\", \"colour\": \"blue\"}, \"must_staple\": true,"
                      " \"future\": {\"issuer\": \"X\"}}";
    assert_int_equal(parse(doc, &s, why), AD_OK);
    assert_int_equal(s.key_type, AD_KEY_EC256);
    assert_int_equal(s.propagation_timeout, 120);
    assert_false(s.skip_propagation);
    assert_int_equal(s.ndeploy_hook, 0);
    assert_null(s.ca_bundle);
    ad_settings_clear(&s);
}

/* Names at several providers: version 2 with "providers", read back the
 * same; a single provider stays version 1 without "providers". */
static void test_providers(void **state)
{
    (void)state;
    struct ad_settings s, t;
    char why[200], *json = NULL;
    const char *doc =
        "{\"version\": 2, \"domains\": [\"a.test\", \"*.a.test\", \"b.test\"], \"server\": \"https://ca.test/d\","
        " \"provider\": {\"name\": \"cloudflare\"},"
        " \"providers\": [{\"provider\": {\"name\": \"cloudflare\", \"options\": {\"zone-id\": \"z1\"}},"
        "                  \"domains\": [\"*.a.test\", \"A.test\"]},"
        "                 {\"provider\": {\"name\": \"rfc2136\", \"options\": {\"server\": \"192.0.2.1\"}},"
        "                  \"domains\": [\"b.test\"]}]}";
    assert_int_equal(parse(doc, &s, why), AD_OK);
    assert_int_equal(s.nextra, 1);
    assert_string_equal(s.provider.name, "cloudflare");
    assert_string_equal(s.provider.opts[0].value, "z1"); /* "providers" counts */
    assert_string_equal(s.extra[0].name, "rfc2136");
    assert_ptr_equal(ad_settings_provider_of(&s, 0), &s.provider);
    assert_ptr_equal(ad_settings_provider_of(&s, 1), &s.provider);
    assert_ptr_equal(ad_settings_provider_of(&s, 2), &s.extra[0]);
    json = round_trip(&s, &t);
    assert_non_null(strstr(json, "\"version\":2"));
    assert_non_null(strstr(json, "\"providers\""));
    assert_int_equal(t.nextra, 1);
    assert_ptr_equal(ad_settings_provider_of(&t, 2), &t.extra[0]);
    assert_string_equal(t.extra[0].opts[0].value, "192.0.2.1");
    free(json);
    ad_settings_clear(&t);
    ad_settings_clear(&s);

    /* One provider: written as before, version 1. */
    assert_int_equal(parse(good, &s, why), AD_OK);
    assert_int_equal(ad_settings_format(&s, &json), AD_OK);
    assert_non_null(strstr(json, "\"version\":1"));
    assert_null(strstr(json, "\"providers\""));
    free(json);
    ad_settings_clear(&s);
}

static void expect_bad(const char *doc, const char *reason)
{
    struct ad_settings s;
    char why[200];
    assert_int_equal(ad_settings_parse(doc, strlen(doc), &s, why, sizeof why), AD_ERR_CONFIG);
    if (!strstr(why, reason))
        fail_msg("'%s': reason '%s' lacks '%s'", doc, why, reason);
    ad_settings_clear(&s);
}

static void test_bad(void **state)
{
    (void)state;
    expect_bad("", "not JSON");
    expect_bad("[1]", "not a JSON object");
    expect_bad("{\"version\": 1", "not JSON");
#define TWO "{\"version\": 2, \"domains\": [\"a.test\", \"b.test\"], \"server\": \"https://x\", \"providers\": "
    expect_bad(TWO "{}}", "\"providers\" is not a list");
    expect_bad(TWO "[]}", "no entry");
    expect_bad(TWO "[7]}", "entry 1 is not an object");
    expect_bad(TWO "[{\"domains\": [\"a.test\"]}]}", "\"provider\" is missing");
    expect_bad(TWO "[{\"provider\": {\"name\": \"h\"}, \"domains\": []}]}", "serves no domain");
    expect_bad(TWO "[{\"provider\": {\"name\": \"h\"}, \"domains\": [\"a.test\", \"c.test\"]}]}", "not in \"domains\"");
    expect_bad(TWO "[{\"provider\": {\"name\": \"h\"}, \"domains\": [\"a.test\"]}]}", "which provider serves b.test");
    expect_bad(TWO "[{\"provider\": {\"name\": \"h\"}, \"domains\": [\"a.test\", \"b.test\"]},"
                   " {\"provider\": {\"name\": \"g\"}, \"domains\": [\"b.test\"]}]}", "names b.test twice");
    expect_bad(TWO "[{\"provider\": {\"name\": \"h\"}, \"domains\": [\"a..test\"]}]}", "not valid");
#undef TWO
    expect_bad("{\"version\": 1} x", "more after");
    expect_bad("{\"domains\": [\"a.test\"]}", "\"version\"");
    expect_bad("{\"version\": 3, \"domains\": [\"a.test\"]}", "newer acme-dns");
    expect_bad("{\"version\": \"1\"}", "\"version\"");
    expect_bad("{\"version\": 1, \"server\": \"https://x\", \"provider\": {\"name\": \"h\"}}", "\"domains\"");
    expect_bad("{\"version\": 1, \"domains\": \"a.test\"}", "not a list");
    expect_bad("{\"version\": 1, \"domains\": [\"a..test\"]}", "not valid");
    expect_bad("{\"version\": 1, \"domains\": [7]}", "not a string");
    expect_bad("{\"version\": 1, \"domains\": [\"a.test\"], \"server\": \"http://x\", \"provider\": {\"name\": \"h\"}}",
               "https");
    expect_bad("{\"version\": 1, \"domains\": [\"a.test\"], \"server\": \"https://x\"}", "\"provider\"");
    expect_bad("{\"version\": 1, \"domains\": [\"a.test\"], \"server\": \"https://x\", \"provider\": {\"name\": \"../x\"}}",
               "not valid");
    expect_bad("{\"version\": 1, \"domains\": [\"a.test\"], \"server\": \"https://x\", \"provider\": {\"name\": \"h\","
               " \"options\": {\"k\": 1}}}",
               "\"k\"");
    expect_bad("{\"version\": 1, \"domains\": [\"a.test\"], \"server\": \"https://x\", \"provider\": {\"name\": \"h\","
               " \"environment\": {\"o\": \"BAD VAR\"}}}",
               "variable");
    expect_bad("{\"version\": 1, \"domains\": [\"a.test\"], \"server\": \"https://x\", \"key_type\": \"dsa\","
               " \"provider\": {\"name\": \"h\"}}",
               "key type");
    expect_bad("{\"version\": 1, \"domains\": [\"a.test\"], \"server\": \"https://x\", \"provider\": {\"name\": \"h\"},"
               " \"dns\": {\"propagation_timeout\": -1}}",
               "propagation_timeout");
    expect_bad("{\"version\": 1, \"domains\": [\"a.test\"], \"server\": \"https://x\", \"provider\": {\"name\": \"h\"},"
               " \"deploy_hook\": [\"a\\u0000b\"]}",
               "NUL");
    /* 101 domains. */
    char big[4096] = "{\"version\": 1, \"domains\": [";
    for (int i = 0; i <= 100; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "%s\"n%d.test\"", i ? "," : "", i);
    strcat(big, "]}");
    expect_bad(big, "more than 100");
}

/* Every prefix of a valid document is refused cleanly (no crash, no leak). */
static void test_truncations(void **state)
{
    (void)state;
    for (size_t n = 0; n < strlen(good); n++) {
        struct ad_settings s;
        char why[200];
        assert_int_equal(ad_settings_parse(good, n, &s, why, sizeof why), AD_ERR_CONFIG);
        ad_settings_clear(&s);
    }
}

static void test_conf_key(void **state)
{
    (void)state;
    struct ad_settings a, b;
    char why[200], *ka = NULL, *kb = NULL;
    const char *swapped = "{\"version\": 1, \"domains\": [\"b.test\"], \"server\": \"https://o.test/d\","
                          " \"provider\": {\"name\": \"rfc2136\", \"options\": {\"server\": \"192.0.2.1\","
                          " \"zone\": \"example.test\"}, \"environment\": {\"tsig-keyfile\":"
                          " \"ACME_DNS_RFC2136_TSIG_KEYFILE\"}, \"not_saved\": [\"tsig-secret\"],"
                          " \"plugin_dirs\": [\"/opt/p\"], \"ca_bundle\": \"/etc/api-ca.pem\"}}";
    assert_int_equal(parse(good, &a, why), AD_OK);
    assert_int_equal(parse(swapped, &b, why), AD_OK);
    assert_int_equal(ad_provider_conf_key(&a.provider, &ka), AD_OK);
    assert_int_equal(ad_provider_conf_key(&b.provider, &kb), AD_OK);
    /* The same provider started the same way, whatever the certificate. */
    assert_string_equal(ka, kb);
    assert_int_equal(strncmp(ka, "rfc2136-", 8), 0);
    assert_int_equal(strlen(ka), 8 + 16);
    free(kb);
    free((char *)b.provider.opts[0].value);
    b.provider.opts[0].value = strdup("192.0.2.2");
    assert_int_equal(ad_provider_conf_key(&b.provider, &kb), AD_OK);
    assert_string_not_equal(ka, kb);
    /* Another default CA bundle for the plugin: another provider as started. */
    free(kb);
    free((char *)b.provider.opts[0].value);
    b.provider.opts[0].value = strdup("192.0.2.1");
    free(b.provider.ca_bundle);
    b.provider.ca_bundle = NULL;
    assert_int_equal(ad_provider_conf_key(&b.provider, &kb), AD_OK);
    assert_string_not_equal(ka, kb);
    free(ka);
    free(kb);
    ad_settings_clear(&a);
    ad_settings_clear(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_defaults_and_unknown_keys),
        cmocka_unit_test(test_providers),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_conf_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

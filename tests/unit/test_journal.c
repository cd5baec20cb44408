/* Unit tests: journals (one per provider as started; the older single
 * journal.json still read) and their trust-boundary parser. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "journal.h"

static const char current[] =
    "{\"version\": 1, \"provider\": {\"name\": \"cloudflare\", \"options\": {\"zone-id\": \"abc\"},"
    " \"environment\": {\"api-token\": \"CLOUDFLARE_DNS_API_TOKEN\"}, \"future\": 1},"
    " \"records\": [{\"domain\": \"a.test\", \"name\": \"_acme-challenge.a.test\", \"zone\": \"a.test\","
    " \"value\": \"v1\", \"ttl\": 120, \"data\": \"rec-1\"},"
    " {\"domain\": \"b.test\", \"name\": \"_acme-challenge.b.test\", \"value\": \"v2\"}]}";

static void test_parse(void **state)
{
    (void)state;
    struct ad_journal j;
    char why[200];
    assert_int_equal(ad_journal_parse(current, strlen(current), &j, why, sizeof why), AD_OK);
    assert_false(j.legacy);
    assert_string_equal(j.provider.name, "cloudflare");
    assert_string_equal(j.provider.env[0].variable, "CLOUDFLARE_DNS_API_TOKEN");
    assert_int_equal(j.n, 2);
    assert_string_equal(j.recs[0]->zone, "a.test");
    assert_int_equal(j.recs[0]->ttl, 120);
    assert_string_equal(j.recs[0]->data, "rec-1");
    assert_null(j.recs[1]->zone);
    assert_int_equal(j.recs[1]->ttl, 60);
    assert_string_equal(j.recs[1]->data, "");
    ad_journal_clear(&j);

    const char *legacy = "{\"provider\": \"hook\", \"records\": [{\"domain\": \"a.test\", \"name\": "
                         "\"_acme-challenge.a.test\", \"value\": \"v\", \"ttl\": 60, \"data\": \"\"}]}";
    assert_int_equal(ad_journal_parse(legacy, strlen(legacy), &j, why, sizeof why), AD_OK);
    assert_true(j.legacy);
    assert_string_equal(j.provider.name, "hook");
    assert_int_equal(j.n, 1);
    ad_journal_clear(&j);
}

static void test_bad(void **state)
{
    (void)state;
    struct ad_journal j;
    char why[200];
    static const char *const bad[] = {
        "", "[]", "{}", "{\"version\": 1, \"provider\": {\"name\": \"x\"}}",
        "{\"version\": 2, \"provider\": {\"name\": \"x\"}, \"records\": []}",
        "{\"version\": 1, \"records\": []}",
        "{\"version\": 1, \"provider\": {\"name\": \"x\"}, \"records\": [{\"domain\": \"a\", \"name\": \"b\"}]}",
        "{\"version\": 1, \"provider\": {\"name\": \"x\"}, \"records\": [7]}",
        "{\"version\": 1, \"provider\": {\"name\": \"x\"}, \"records\": [{\"domain\": \"a\", \"name\": \"b\", "
        "\"value\": \"c\", \"ttl\": -5}]}",
        "{\"version\": 1, \"provider\": {\"name\": \"x\"}, \"records\": [{\"domain\": \"a\", \"name\": \"b\", "
        "\"value\": \"c\", \"zone\": 5}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(ad_journal_parse(bad[i], strlen(bad[i]), &j, why, sizeof why), AD_ERR_CONFIG);
        assert_true(why[0] != '\0');
        ad_journal_clear(&j);
    }
    for (size_t n = 0; n < strlen(current); n++) {
        assert_int_equal(ad_journal_parse(current, n, &j, why, sizeof why), AD_ERR_CONFIG);
        ad_journal_clear(&j);
    }
}

static void test_save_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/acme-dns-test-journal.XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    struct ad_provider_conf c = {.name = "rfc2136"};
    struct ad_record r1 = {"a.test", "_acme-challenge.a.test", "a.test", "v1", 60, "x", NULL, 0};
    struct ad_record r2 = {"b.test", "_acme-challenge.b.test", NULL, "v2", 30, "", NULL, 0};
    struct ad_record *recs[] = {&r1, &r2};
    /* Two providers' journals side by side, and an old single journal. */
    assert_int_equal(ad_journal_save(dir, "rfc2136-0000000000000001", &c, recs, 2), AD_OK);
    c.name = "hook";
    assert_int_equal(ad_journal_save(dir, "hook-0000000000000002", &c, recs + 1, 1), AD_OK);
    snprintf(path, sizeof path, "%s/journal.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"provider\": \"hook\", \"records\": [{\"domain\": \"c.test\", \"name\": \"_acme-challenge.c.test\","
          " \"value\": \"v3\"}]}",
          f);
    fclose(f);
    snprintf(path, sizeof path, "%s/journals/hook-0000000000000002.json.tmp.abcdef", dir);
    f = fopen(path, "w"); /* an interrupted write: ignored */
    fputs("{", f);
    fclose(f);
    struct ad_journal *js = NULL;
    size_t n = 0;
    assert_int_equal(ad_journals_load(dir, &js, &n), AD_OK);
    assert_int_equal(n, 3);
    size_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (js[i].legacy) {
            assert_string_equal(js[i].recs[0]->value, "v3");
            seen |= 1;
        } else if (strcmp(js[i].provider.name, "rfc2136") == 0) {
            assert_int_equal(js[i].n, 2);
            assert_string_equal(js[i].recs[0]->data, "x");
            seen |= 2;
        } else {
            assert_string_equal(js[i].provider.name, "hook");
            assert_int_equal(js[i].n, 1);
            seen |= 4;
        }
    }
    assert_int_equal(seen, 7);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ad_journal_remove(&js[i]), AD_OK);
    ad_journals_free(js, n);
    /* Saving no records removes the journal. */
    c.name = "rfc2136";
    assert_int_equal(ad_journal_save(dir, "rfc2136-0000000000000001", &c, recs, 1), AD_OK);
    assert_int_equal(ad_journal_save(dir, "rfc2136-0000000000000001", &c, recs, 0), AD_OK);
    assert_int_equal(ad_journals_load(dir, &js, &n), AD_OK);
    assert_int_equal(n, 0);
    ad_journals_free(js, n);
    unlink(path);
    snprintf(path, sizeof path, "%s/journals", dir);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_save_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

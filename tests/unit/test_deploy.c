/* Unit tests: deploy hooks (argument splitting, environment, exit status,
 * timeout). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "deploy.h"
#include "util.h"

static void test_split(void **state)
{
    (void)state;
    char **v = NULL;
    size_t n = 0;
    assert_int_equal(ad_deploy_split("  systemctl\treload  nginx ", &v, &n), AD_OK);
    assert_int_equal(n, 3);
    assert_string_equal(v[0], "systemctl");
    assert_string_equal(v[2], "nginx");
    assert_null(v[3]);
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    assert_int_equal(ad_deploy_split(" \t ", &v, &n), AD_ERR_USAGE);
    assert_int_equal(ad_deploy_split("", &v, &n), AD_ERR_USAGE);
}

static int run(const char *script, unsigned timeout, ad_status *rc)
{
    char *argv[] = {"sh", "-c", (char *)script, "hook", "$HOME", NULL};
    const char *const doms[] = {"a.test", "*.a.test"};
    int status = -2;
    *rc = ad_deploy_run(argv, 5, "name", "/certs/name", doms, 2, timeout, &status);
    return status;
}

static void test_run(void **state)
{
    (void)state;
    ad_status rc;
    /* No shell of ours: "$HOME" arrives as written; the environment is set. */
    assert_int_equal(run("[ \"$1\" = '$HOME' ] && [ \"$RENEWED_LINEAGE\" = /certs/name ] && "
                         "[ \"$ACME_DNS_CERT_DIR\" = /certs/name ] && [ \"$ACME_DNS_CERT_NAME\" = name ] && "
                         "[ \"$RENEWED_DOMAINS\" = 'a.test *.a.test' ] && [ \"$ACME_DNS_DOMAINS\" = 'a.test *.a.test' ] "
                         "&& [ ! -t 0 ] && ! read -r x",
                         10, &rc),
                     0);
    assert_int_equal(rc, AD_OK);
    /* A variable of the same name in our environment is replaced, not doubled. */
    setenv("RENEWED_LINEAGE", "/elsewhere", 1);
    assert_int_equal(run("[ \"$RENEWED_LINEAGE\" = /certs/name ] && [ $(env | grep -c ^RENEWED_LINEAGE=) = 1 ]", 10,
                         &rc),
                     0);
    unsetenv("RENEWED_LINEAGE");
    assert_int_equal(run("exit 3", 10, &rc), 3);
    assert_int_not_equal(rc, AD_OK);
    assert_int_equal(run("kill -9 $$", 10, &rc), 128 + 9);
    assert_int_not_equal(rc, AD_OK);
    /* Too slow: stopped, with its children. */
    uint64_t t0 = ad_now_ms();
    assert_int_equal(run("sleep 30 & sleep 30", 1, &rc), 128 + 15);
    assert_int_equal(rc, AD_ERR_TIMEOUT);
    assert_true(ad_now_ms() - t0 < 5000);
    /* A program that is not there. */
    char *none[] = {"/nonexistent/hook", NULL};
    int status = 0;
    assert_int_not_equal(ad_deploy_run(none, 1, "n", "/d", NULL, 0, 10, &status), AD_OK);
    assert_int_equal(status, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

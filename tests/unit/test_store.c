/* Unit tests: atomic file writes in the state folder (ad_store_write, ad_store_write_files). */
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

#include "store.h"

static char *tmpdir(void)
{
    char *t = strdup("/tmp/acme-dns-test-store.XXXXXX");
    assert_non_null(t);
    assert_non_null(mkdtemp(t));
    return t;
}

static void rmdir_all(const char *d)
{
    DIR *dp = opendir(d);
    struct dirent *e;
    char p[4096];
    assert_non_null(dp);
    while ((e = readdir(dp))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", d, e->d_name);
        unlink(p);
    }
    closedir(dp);
    rmdir(d);
}

/* Number of entries in D other than . and .. */
static int entries(const char *d)
{
    DIR *dp = opendir(d);
    struct dirent *e;
    int n = 0;
    assert_non_null(dp);
    while ((e = readdir(dp)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(dp);
    return n;
}

static void expect_file(const char *d, const char *name, const char *content, unsigned mode)
{
    char p[4096], *data = NULL;
    size_t len = 0;
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", d, name);
    assert_int_equal(ad_store_read(p, 1 << 20, &data, &len), AD_OK);
    assert_int_equal(len, strlen(content));
    assert_string_equal(data, content);
    free(data);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, mode);
}

static void test_set_written_with_modes(void **st)
{
    (void)st;
    char *d = tmpdir();
    const struct ad_store_file f[] = {
        {"privkey.pem", "KEY\n", 4, 0600},
        {"cert.pem", "CERT\n", 5, 0644},
        {"chain.pem", "", 0, 0644},
    };
    assert_int_equal(ad_store_write_files(d, f, 3), AD_OK);
    expect_file(d, "privkey.pem", "KEY\n", 0600);
    expect_file(d, "cert.pem", "CERT\n", 0644);
    expect_file(d, "chain.pem", "", 0644);
    assert_int_equal(entries(d), 3); /* no temporary file left */

    /* Replacing the set keeps no old content and no temporary files. */
    const struct ad_store_file g[] = {
        {"privkey.pem", "KEY2\n", 5, 0600},
        {"cert.pem", "CERT2\n", 6, 0644},
    };
    assert_int_equal(ad_store_write_files(d, g, 2), AD_OK);
    expect_file(d, "privkey.pem", "KEY2\n", 0600);
    expect_file(d, "cert.pem", "CERT2\n", 0644);
    assert_int_equal(entries(d), 3);
    rmdir_all(d);
    free(d);
}

static void test_single_write(void **st)
{
    (void)st;
    char *d = tmpdir(), p[4096];
    snprintf(p, sizeof p, "%s/account.url", d);
    assert_int_equal(ad_store_write(p, "https://ca/acct/1", 17, 0600), AD_OK);
    expect_file(d, "account.url", "https://ca/acct/1", 0600);
    assert_int_equal(entries(d), 1);
    rmdir_all(d);
    free(d);
}

/* A set whose files cannot all be written leaves the old files untouched
 * and no temporary files behind: nothing is renamed before every file is
 * on disk. */
static void test_failure_keeps_old_set(void **st)
{
    (void)st;
    char *d = tmpdir();
    const struct ad_store_file f[] = {{"cert.pem", "OLD\n", 4, 0644}};
    assert_int_equal(ad_store_write_files(d, f, 1), AD_OK);
    const struct ad_store_file g[] = {
        {"cert.pem", "NEW\n", 4, 0644},
        {"no-such-folder/chain.pem", "CHAIN\n", 6, 0644},
    };
    assert_int_equal(ad_store_write_files(d, g, 2), AD_ERR_IO);
    expect_file(d, "cert.pem", "OLD\n", 0644);
    assert_int_equal(entries(d), 1);
    rmdir_all(d);
    free(d);
}

static void test_missing_folder(void **st)
{
    (void)st;
    const struct ad_store_file f[] = {{"cert.pem", "X", 1, 0644}};
    assert_int_equal(ad_store_write_files("/nonexistent-acme-dns-test/dir", f, 1), AD_ERR_IO);
}

/* Several folders at once (one flush for all): each set on its own; a set
 * that fails leaves its folder as it was and the others written. */
static void test_sets(void **st)
{
    (void)st;
    char *a = tmpdir(), *b = tmpdir();
    const struct ad_store_file f[] = {{"cert.pem", "A\n", 2, 0644}, {"privkey.pem", "KA\n", 3, 0600}};
    const struct ad_store_file g[] = {{"cert.pem", "B\n", 2, 0644}};
    const struct ad_store_file h[] = {{"cert.pem", "X", 1, 0644}, {"nothere/chain.pem", "Y", 1, 0644}};
    const struct ad_store_set sets[] = {{a, f, 2}, {"/nonexistent-acme-dns-test/dir", g, 1}, {b, g, 1}, {b, h, 2}};
    ad_status rcs[4];
    assert_int_equal(ad_store_write_sets(sets, 4, rcs), AD_OK);
    assert_int_equal(rcs[0], AD_OK);
    assert_int_equal(rcs[1], AD_ERR_IO);
    assert_int_equal(rcs[2], AD_OK);
    assert_int_equal(rcs[3], AD_ERR_IO);
    expect_file(a, "cert.pem", "A\n", 0644);
    expect_file(a, "privkey.pem", "KA\n", 0600);
    expect_file(b, "cert.pem", "B\n", 0644);
    assert_int_equal(entries(a), 2);
    assert_int_equal(entries(b), 1);
    assert_int_equal(ad_store_write_sets(sets, 0, rcs), AD_OK);
    rmdir_all(a);
    rmdir_all(b);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_written_with_modes),
        cmocka_unit_test(test_single_write),
        cmocka_unit_test(test_failure_keeps_old_set),
        cmocka_unit_test(test_missing_folder),
        cmocka_unit_test(test_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

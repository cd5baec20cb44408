/* Unit tests: atomic file writes in the state folder (ad_store_write, ad_store_write_files:
 * a set replaces the old one in one step, other files carried over, leftovers of a killed run
 * removed), the checks of the state folder (owner, mode, symbolic links) and the lock's wait. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "util.h"

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


/* The path of NAME in D. */
static const char *at(const char *d, const char *name)
{
    static char p[8448];
    snprintf(p, sizeof p, "%s/%s", d, name);
    return p;
}

/* A set replaces the old one and carries the folder's other files over (the
 * same file: a hard link), in a folder that took the old one's place; no
 * new-set folder is left beside it. */
static void test_set_exchanges_folder(void **st)
{
    (void)st;
    char *parent = tmpdir(), d[4096];
    struct stat before, after, kept;
    snprintf(d, sizeof d, "%s/cert", parent);
    const struct ad_store_file f[] = {{"cert.pem", "OLD\n", 4, 0644}, {"privkey.pem", "K1\n", 3, 0600}};
    assert_int_equal(ad_store_write_files(d, f, 2), AD_OK);
    assert_int_equal(ad_store_write(at(d, "settings.json"), "{}", 2, 0644), AD_OK);
    assert_int_equal(chmod(d, 0750), 0);
    assert_int_equal(stat(d, &before), 0);
    assert_int_equal(stat(at(d, "settings.json"), &kept), 0);
    const struct ad_store_file g[] = {{"cert.pem", "NEW\n", 4, 0644}, {"privkey.pem", "K2\n", 3, 0600}};
    assert_int_equal(ad_store_write_files(d, g, 2), AD_OK);
    assert_int_equal(stat(d, &after), 0);
    assert_true(before.st_ino != after.st_ino); /* a new folder took the old one's place */
    assert_int_equal(after.st_mode & 07777, 0750);
    expect_file(d, "cert.pem", "NEW\n", 0644);
    expect_file(d, "privkey.pem", "K2\n", 0600);
    expect_file(d, "settings.json", "{}", 0644);
    assert_int_equal(stat(at(d, "settings.json"), &before), 0);
    assert_int_equal(before.st_ino, kept.st_ino);
    assert_int_equal(before.st_nlink, 1); /* the old folder's link is gone with it */
    assert_int_equal(entries(d), 3);
    assert_int_equal(entries(parent), 1);
    rmdir_all(d);
    rmdir_all(parent);
    free(parent);
}

/* A new-set folder left by a killed run is removed by the next write. */
static void test_leftover_removed(void **st)
{
    (void)st;
    char *parent = tmpdir(), d[4096], left[4096];
    snprintf(d, sizeof d, "%s/cert", parent);
    snprintf(left, sizeof left, "%s/.acme-dns-new-0badf00d", parent);
    assert_int_equal(mkdir(left, 0755), 0);
    assert_int_equal(ad_store_write(at(left, "cert.pem"), "HALF", 4, 0644), AD_OK);
    const struct ad_store_file f[] = {{"cert.pem", "A\n", 2, 0644}};
    assert_int_equal(ad_store_write_files(d, f, 1), AD_OK);
    assert_int_equal(access(left, F_OK), -1);
    assert_int_equal(entries(parent), 1);
    expect_file(d, "cert.pem", "A\n", 0644);
    rmdir_all(d);
    rmdir_all(parent);
    free(parent);
}

/* A folder holding a folder of its own cannot be exchanged: its files are
 * replaced one by one, and the folder inside stays. */
static void test_set_in_place(void **st)
{
    (void)st;
    char *d = tmpdir(), sub[4096];
    snprintf(sub, sizeof sub, "%s/mine", d);
    assert_int_equal(mkdir(sub, 0755), 0);
    const struct ad_store_file f[] = {{"cert.pem", "A\n", 2, 0644}};
    assert_int_equal(ad_store_write_files(d, f, 1), AD_OK);
    const struct ad_store_file g[] = {{"cert.pem", "B\n", 2, 0644}};
    assert_int_equal(ad_store_write_files(d, g, 1), AD_OK);
    expect_file(d, "cert.pem", "B\n", 0644);
    assert_int_equal(access(sub, F_OK), 0);
    assert_int_equal(entries(d), 2);
    assert_int_equal(rmdir(sub), 0);
    rmdir_all(d);
    free(d);
}

/* The state folder: refused when others may write to it or it is not ours;
 * under it, a symbolic link is never followed: reading through one fails
 * with ELOOP, writing replaces the link and leaves its target alone, and a
 * linked folder is refused. */
static void test_root_checks(void **st)
{
    (void)st;
    char *root = tmpdir(), *outside = tmpdir(), p[4096], *data = NULL;
    size_t len;
    assert_int_equal(geteuid(), 0); /* the suite runs as root (tests/run.sh): chown needs it */
    assert_int_equal(chmod(root, 0770), 0);
    assert_int_equal(ad_store_open_root(root, false), AD_ERR_IO);
    assert_int_equal(chmod(root, 0702), 0);
    assert_int_equal(ad_store_open_root(root, false), AD_ERR_IO);
    assert_int_equal(chmod(root, 0700), 0);
    assert_int_equal(chown(root, 65534, 65534), 0);
    assert_int_equal(ad_store_open_root(root, false), AD_ERR_IO);
    assert_int_equal(chown(root, 0, 0), 0);
    snprintf(p, sizeof p, "%s/missing", root);
    assert_int_equal(ad_store_open_root(p, false), AD_ERR_IO);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(ad_store_open_root(p, true), AD_OK); /* created 0700 */
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0700);
    assert_int_equal(ad_store_open_root(root, false), AD_OK);

    /* A key file that is a link to a file elsewhere. */
    assert_int_equal(ad_store_write(at(outside, "target"), "THEIRS", 6, 0644), AD_OK);
    assert_int_equal(ad_store_mkdirs(at(root, "accounts"), 0700), AD_OK);
    snprintf(p, sizeof p, "%s/accounts/account.key", root);
    assert_int_equal(symlink(at(outside, "target"), p), 0);
    assert_int_equal(ad_store_read(p, 4096, &data, &len), AD_ERR_IO);
    assert_int_equal(errno, ELOOP);
    assert_int_equal(ad_store_write(p, "OURS", 4, 0600), AD_OK);
    expect_file(outside, "target", "THEIRS", 0644);
    assert_int_equal(lstat(p, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));

    /* A folder that is a link: refused for reading, writing and sets. */
    snprintf(p, sizeof p, "%s/certs", root);
    assert_int_equal(symlink(outside, p), 0);
    snprintf(p, sizeof p, "%s/certs/x/settings.json", root);
    assert_int_equal(ad_store_read(p, 4096, &data, &len), AD_ERR_IO);
    assert_int_equal(errno, ELOOP);
    assert_int_equal(ad_store_write(p, "{}", 2, 0644), AD_ERR_IO);
    snprintf(p, sizeof p, "%s/certs/x", root);
    const struct ad_store_file f[] = {{"cert.pem", "A\n", 2, 0644}};
    assert_int_equal(ad_store_write_files(p, f, 1), AD_ERR_IO);
    assert_int_equal(ad_store_mkdirs(p, 0755), AD_ERR_IO);
    assert_int_equal(ad_store_check(p), AD_ERR_IO);
    assert_int_equal(entries(outside), 1);
    assert_int_equal(ad_store_check(at(root, "nothere/x")), AD_OK); /* missing: to be created */

    /* A folder under the root that others may write to. */
    snprintf(p, sizeof p, "%s/open", root);
    assert_int_equal(mkdir(p, 0777), 0);
    assert_int_equal(chmod(p, 0777), 0);
    snprintf(p, sizeof p, "%s/open/file", root);
    assert_int_equal(ad_store_write(p, "x", 1, 0600), AD_ERR_IO);
    ad_store_close_root();
    snprintf(p, sizeof p, "rm -rf '%s' '%s'", root, outside);
    assert_int_equal(system(p), 0);
    free(root);
    free(outside);
}

/* The lock: a second taker waits up to its timeout, then AD_ERR_LOCKED;
 * once released, it is taken at once; the holder's process id is in the file. */
static void test_lock_wait(void **st)
{
    (void)st;
    char *d = tmpdir(), *data = NULL, pid[32];
    size_t len;
    int a = -1, b = -1;
    assert_int_equal(ad_store_lock(d, 0, &a), AD_OK);
    assert_int_equal(ad_store_read(at(d, "lock"), 64, &data, &len), AD_OK);
    snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    assert_string_equal(data, pid);
    free(data);
    assert_int_equal(ad_store_lock(d, 0, &b), AD_ERR_LOCKED);
    uint64_t t0 = ad_now_ms();
    assert_int_equal(ad_store_lock(d, 1, &b), AD_ERR_LOCKED);
    assert_true(ad_now_ms() - t0 >= 1000); /* it waited its whole timeout */
    ad_store_unlock(a);
    assert_int_equal(ad_store_lock(d, 1, &b), AD_OK);
    ad_store_unlock(b);
    rmdir_all(d);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_written_with_modes),
        cmocka_unit_test(test_single_write),
        cmocka_unit_test(test_failure_keeps_old_set),
        cmocka_unit_test(test_missing_folder),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_set_exchanges_folder),
        cmocka_unit_test(test_leftover_removed),
        cmocka_unit_test(test_set_in_place),
        cmocka_unit_test(test_root_checks),
        cmocka_unit_test(test_lock_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

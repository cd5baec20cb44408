/* Unit tests: core/common's credential files (credfile.c: bounded reads, the
 * permission warning) and certbot's credentials INI format (ini.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "credfile.h"
#include "ini.h"

#define SECRET "c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1iZS1zaG93bg=="

static struct ad_ini *parse_ok(const char *text)
{
    struct ad_ini *ini = NULL;
    char err[512] = "";
    if (ad_ini_parse("t.ini", text, strlen(text), &ini, err, sizeof err) != AD_OK)
        fail_msg("refused: %s", err);
    return ini;
}

/* TEXT is refused with a message that holds WANT and never the secret. */
static void parse_bad(const char *text, size_t len, const char *want)
{
    struct ad_ini *ini = NULL;
    char err[512] = "";
    assert_int_equal(ad_ini_parse("t.ini", text, len, &ini, err, sizeof err), AD_ERR_CONFIG);
    assert_null(ini);
    if (!strstr(err, want))
        fail_msg("message \"%s\" lacks \"%s\"", err, want);
    assert_null(strstr(err, "c2VjcmV0"));
}

static void test_ini_values(void **st)
{
    (void)st;
    struct ad_ini *ini = parse_ok("\xEF\xBB\xBF# certbot-dns-rfc2136\r\n"
                                  "dns_rfc2136_server = 192.0.2.53\r\n"
                                  "\n"
                                  "   # indented comment\n"
                                  "dns_rfc2136_name=acme-key.   # a comment after the value\n"
                                  "dns_rfc2136_secret = \"" SECRET "\"  # quoted\n"
                                  "dns_rfc2136_algorithm = 'HMAC-SHA512'\n"
                                  "dns_rfc2136_port =\n"
                                  "spaced = a b  c \t\n"
                                  "last = no newline");
    assert_int_equal(ad_ini_count(ini), 7);
    assert_string_equal(ad_ini_get(ini, "dns_rfc2136_server"), "192.0.2.53");
    assert_string_equal(ad_ini_get(ini, "dns_rfc2136_name"), "acme-key.");
    assert_string_equal(ad_ini_get(ini, "dns_rfc2136_secret"), SECRET);
    assert_string_equal(ad_ini_get(ini, "dns_rfc2136_algorithm"), "HMAC-SHA512");
    assert_string_equal(ad_ini_get(ini, "dns_rfc2136_port"), "");
    assert_string_equal(ad_ini_get(ini, "spaced"), "a b  c");
    assert_string_equal(ad_ini_get(ini, "last"), "no newline");
    assert_null(ad_ini_get(ini, "dns_rfc2136_sign_query"));
    unsigned line = 0;
    assert_string_equal(ad_ini_key(ini, 1, &line), "dns_rfc2136_name");
    assert_int_equal(line, 5);
    ad_ini_free(ini);
    ini = parse_ok("");
    assert_int_equal(ad_ini_count(ini), 0);
    ad_ini_free(ini);
    ini = parse_ok("a = \"x # not a comment\"\nb = '\"'\n");
    assert_string_equal(ad_ini_get(ini, "a"), "x # not a comment");
    assert_string_equal(ad_ini_get(ini, "b"), "\"");
    ad_ini_free(ini);
}

static void test_ini_errors(void **st)
{
    (void)st;
    parse_bad("a = 1\ndns_x_secret c2VjcmV0\n", strlen("a = 1\ndns_x_secret c2VjcmV0\n"), "t.ini line 2 is not \"key = value\"");
    parse_bad("a = 1\nb = 2\na = " SECRET "\n", strlen("a = 1\nb = 2\na = " SECRET "\n"),
              "t.ini line 3: its key is given twice (first on line 1)");
    parse_bad("[certbot]\na = 1\n", 16, "t.ini line 1: sections ([...]) are not read");
    parse_bad("a = \"" SECRET "\n", strlen("a = \"" SECRET "\n"), "t.ini line 1: the value's closing quote (\") is missing");
    parse_bad("a = '" SECRET "' x\n", strlen("a = '" SECRET "' x\n"), "t.ini line 1: text after the value's closing quote");
    parse_bad("= " SECRET "\n", strlen("= " SECRET "\n"), "t.ini line 1 is not \"key = value\"");
    parse_bad("a = 1\nb = x\0y\n", 14, "t.ini line 2 holds a NUL byte");
    char key[100];
    memset(key, 'k', sizeof key);
    key[sizeof key - 1] = '\0';
    char line[200];
    snprintf(line, sizeof line, "%s = 1\n", key);
    parse_bad(line, strlen(line), "t.ini line 1: the key is longer than 64 characters");
    char many[AD_INI_MAX_KEYS * 12 + 32], *p = many;
    for (int i = 0; i <= AD_INI_MAX_KEYS; i++)
        p += sprintf(p, "k%d = v\n", i);
    parse_bad(many, strlen(many), "more than 64 keys");
}

static char warned[4][600];
static size_t nwarned;

static void collect(void *ctx, const char *message)
{
    (void)ctx;
    if (nwarned < 4)
        snprintf(warned[nwarned++], sizeof warned[0], "%s", message);
}

static void test_ini_unknown(void **st)
{
    (void)st;
    struct ad_ini *ini = parse_ok("dns_x_server = 1\ndns_x_servre = 2\n" SECRET "\nother = 3\n");
    static const char *const known[] = {"dns_x_server", NULL};
    nwarned = 0;
    ad_ini_unknown_keys(ini, "t.ini", "the x plugin", known, collect, NULL);
    assert_int_equal(nwarned, 3);
    assert_string_equal(warned[0], "t.ini line 2: dns_x_servre is not a key of the x plugin: ignored");
    /* a pasted secret reads as a key: never shown */
    assert_string_equal(warned[1], "t.ini line 3: not a key of the x plugin: ignored");
    assert_string_equal(warned[2], "t.ini line 4: not a key of the x plugin: ignored");
    ad_ini_free(ini);
}

static void test_cred_read(void **st)
{
    (void)st;
    char path[] = "/tmp/ad-credfile-XXXXXX", warn[600], err[600];
    char *buf = NULL;
    size_t len = 0;
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, SECRET "\n", strlen(SECRET) + 1), (ssize_t)strlen(SECRET) + 1);
    close(fd);
    assert_int_equal(ad_cred_read("token file", path, 4096, &buf, &len, warn, sizeof warn, err, sizeof err), AD_OK);
    assert_int_equal(len, strlen(SECRET) + 1);
    assert_string_equal(buf, SECRET "\n");
    assert_string_equal(warn, "");
    ad_cred_free(buf, len);
    /* Every user may read it: read, with the warning. */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(ad_cred_read("token file", path, 4096, &buf, &len, warn, sizeof warn, err, sizeof err), AD_OK);
    char want[700];
    snprintf(want, sizeof want, "token file %s can be read by every user (mode 0644): chmod o-rwx %s", path, path);
    assert_string_equal(warn, want);
    ad_cred_free(buf, len);
    /* Larger than the bound, not a regular file, missing: refused, content never shown. */
    buf = NULL;
    assert_int_equal(ad_cred_read("token file", path, 10, &buf, &len, warn, sizeof warn, err, sizeof err),
                     AD_ERR_CONFIG);
    assert_non_null(strstr(err, "is larger than 10 bytes"));
    assert_null(strstr(err, "c2VjcmV0"));
    assert_null(buf);
    assert_int_equal(ad_cred_read("token file", "/tmp", 10, &buf, &len, warn, sizeof warn, err, sizeof err),
                     AD_ERR_CONFIG);
    assert_string_equal(err, "token file /tmp is not a regular file");
    unlink(path);
    assert_int_equal(ad_cred_read("token file", path, 10, &buf, &len, warn, sizeof warn, err, sizeof err),
                     AD_ERR_CONFIG);
    assert_non_null(strstr(err, "cannot open token file"));
    assert_null(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ini_values),
        cmocka_unit_test(test_ini_errors),
        cmocka_unit_test(test_ini_unknown),
        cmocka_unit_test(test_cred_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

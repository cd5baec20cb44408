/* Unit tests: rfc2136 key files, base64 secrets and algorithm names. */
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

#include "rfc2136_key.h"

/* A 32-byte secret whose text must never show up in an error message. */
#define SECRET "Zm9vYmFyYmF6cXV4MDEyMzQ1Njc4OWFiY2RlZmdoaWo="

static struct ad_rfc2136_key *parse_ok(const char *text, const char *want)
{
    struct ad_rfc2136_key *k = NULL;
    char err[512] = "";
    ad_status rc = ad_rfc2136_keyfile_parse("t.key", text, strlen(text), want, &k, err, sizeof err);
    if (rc != AD_OK)
        fail_msg("parse failed: %s", err);
    assert_non_null(k);
    return k;
}

/* Parse must fail; the message must contain WANT and never the secret. */
static void parse_bad(const char *text, size_t len, const char *want)
{
    struct ad_rfc2136_key *k = NULL;
    char err[512] = "";
    ad_status rc = ad_rfc2136_keyfile_parse("t.key", text, len, NULL, &k, err, sizeof err);
    assert_int_equal(rc, AD_ERR_CONFIG);
    assert_null(k);
    if (strstr(err, want) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err, want);
    assert_null(strstr(err, SECRET));
    assert_null(strstr(err, "Zm9vYmFy"));
}

static void test_each_algorithm(void **state)
{
    (void)state;
    static const struct { const char *alg; size_t mac; } algs[] = {
        { "hmac-md5", 16 }, { "hmac-sha1", 20 }, { "hmac-sha224", 28 },
        { "hmac-sha256", 32 }, { "hmac-sha384", 48 }, { "hmac-sha512", 64 },
        { "HMAC-MD5.SIG-ALG.REG.INT", 16 },
    };
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "key \"acme-key\" {\n\talgorithm %s;\n\tsecret \"%s\";\n};\n",
                 algs[i].alg, SECRET);
        struct ad_rfc2136_key *k = parse_ok(text, NULL);
        assert_string_equal(k->name, "acme-key");
        assert_int_equal(k->alg->mac_len, algs[i].mac);
        assert_int_equal(k->secret_len, 32);
        assert_memory_equal(k->secret, "foobarbazqux0123456789abcdefghij", 32);
        assert_string_equal(k->secret_b64, SECRET);
        ad_rfc2136_key_free(k);
    }
}

static void test_comments_and_whitespace(void **state)
{
    (void)state;
    const char *text =
        "# written by tsig-keygen\n"
        "// another comment\n"
        "/* a block\n comment over lines */\n"
        "key   ACME-Key.Example.  {   # trailing comment\n"
        "   secret    \"" SECRET "\"  ;  // secret first\n"
        "algorithm\thmac-sha512 ;\n"
        "}\n;\n";
    struct ad_rfc2136_key *k = parse_ok(text, NULL);
    assert_string_equal(k->name, "acme-key.example");
    assert_string_equal(k->alg->name, "hmac-sha512");
    ad_rfc2136_key_free(k);

    /* all on one line, with CRLF line ends elsewhere */
    k = parse_ok("key \"k\"{algorithm hmac-sha1;secret \"" SECRET "\";};\r\n", NULL);
    assert_string_equal(k->alg->name, "hmac-sha1");
    ad_rfc2136_key_free(k);
}

static void test_ddns_confgen_output(void **state)
{
    (void)state;
    const char *text =
        "# To activate this key, place the following in named.conf, and\n"
        "key \"ddns-key.example.test\" {\n"
        "\talgorithm hmac-sha384;\n"
        "\tsecret \"" SECRET "\";\n"
        "};\n\n"
        "update-policy {\n"
        "\t  grant ddns-key.example.test zonesub ANY;\n"
        "};\n"
        "# nsupdate -k <keyfile>\n";
    struct ad_rfc2136_key *k = parse_ok(text, NULL);
    assert_string_equal(k->name, "ddns-key.example.test");
    assert_string_equal(k->alg->name, "hmac-sha384");
    ad_rfc2136_key_free(k);
}

static void test_several_keys(void **state)
{
    (void)state;
    const char *text = "key a { algorithm hmac-sha256; secret \"AAAA\"; };\n"
                       "key b { algorithm hmac-sha384; secret \"" SECRET "\"; };\n";
    struct ad_rfc2136_key *k = parse_ok(text, "B.");
    assert_string_equal(k->name, "b");
    assert_string_equal(k->alg->name, "hmac-sha384");
    ad_rfc2136_key_free(k);
    k = parse_ok(text, "a");
    assert_int_equal(k->secret_len, 3);
    ad_rfc2136_key_free(k);

    char err[512];
    k = NULL;
    assert_int_equal(ad_rfc2136_keyfile_parse("t.key", text, strlen(text), NULL, &k, err,
                                              sizeof err),
                     AD_ERR_CONFIG);
    assert_non_null(strstr(err, "more than one key"));
    assert_int_equal(ad_rfc2136_keyfile_parse("t.key", text, strlen(text), "c", &k, err,
                                              sizeof err),
                     AD_ERR_CONFIG);
    assert_non_null(strstr(err, "no key named \"c\""));
    assert_null(k);
}

#define BAD(text, want) parse_bad(text, strlen(text), want)

static void test_malformed(void **state)
{
    (void)state;
    BAD("", "holds no key statement");
    BAD("# only a comment\n\n", "holds no key statement");
    BAD("key \"k\" {\n algorithm hmac-sha256;\n secret \"" SECRET "\";\n", "line 4: expected");
    BAD("key \"k\" {\n algorithm hmac-sha256;\n secret \"" SECRET "\";\n};\n"
        "key \"j\" \n algorithm hmac-sha256;\n",
        "line 6: expected '{'");
    BAD("key \"k\" \n algorithm hmac-sha256;\n secret \"" SECRET "\";\n};\n", "line 2: expected '{'");
    BAD("key \"k\" {\n algorithm hmac-sha256;\n secret \"" SECRET "\";\n}\n", "expected ';' after '}'");
    BAD("key \"k\" {\n algorithm hmac-sha256;\n};\n", "line 1: key \"k\" has no secret");
    BAD("key \"k\" {\n secret \"" SECRET "\";\n};\n", "has no algorithm");
    BAD("key \"k\" {\n algorithm hmac-sha256;\n secret \"not base64!\";\n};\n",
        "line 3: TSIG secret of key k is not valid base64");
    BAD("key \"k\" {\n algorithm hmac-sha256;\n secret \"Zm9vYmFy=A\";\n};\n", "not valid base64");
    BAD("key \"k\" {\n algorithm hmac-sha999;\n secret \"" SECRET "\";\n};\n",
        "line 2: unknown TSIG algorithm \"hmac-sha999\"");
    BAD("key \"k\" {\n algorithm hmac-sha256\n secret \"" SECRET "\";\n};\n",
        "line 3: expected ';' after the algorithm");
    BAD("key \"k\" {\n algorithm hmac-sha256;\n secret \"" SECRET "\n};\n",
        "line 3: quoted string is not closed");
    BAD("key \"k\" {\n algorithm hmac-sha256; /* unclosed\n};\n", "line 2: comment \"/*\" is never closed");
    BAD("key \"k\" {\n algorithm hmac-sha256;\n bogus 1;\n};\n", "line 3: unknown clause \"bogus\"");
    BAD("key \"bad name!\" { algorithm hmac-sha256; secret \"" SECRET "\"; };", "not a valid domain name");
    BAD("options { directory \"/x\";\n", "line 1: statement \"options\" is not closed");
    BAD("key;", "expected the key name");
    static const char nul[] = "key \"k\" {\0 algorithm hmac-sha256; };";
    parse_bad(nul, sizeof nul - 1, "NUL byte");
}

static void test_huge(void **state)
{
    (void)state;
    size_t n = AD_RFC2136_KEYFILE_MAX + 10;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, '#', n);
    parse_bad(big, n, "larger than 65536 bytes");
    /* a huge secret inside a small file */
    size_t sl = AD_RFC2136_SECRET_MAX * 2 + 100;
    char *text = malloc(sl + 100);
    assert_non_null(text);
    int o = snprintf(text, 100, "key k { algorithm hmac-sha256; secret \"");
    memset(text + o, 'A', sl);
    strcpy(text + o + sl, "\"; };");
    parse_bad(text, strlen(text), "too long");
    /* a secret that is valid base64 but longer than we keep */
    memset(text + o, 'A', 800);
    strcpy(text + o + 800, "\"; };");
    parse_bad(text, strlen(text), "not valid base64");
    free(text);
    free(big);
}

static void test_load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/ad-rfc2136-keyXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "key \"f\" { algorithm hmac-sha224; secret \"" SECRET "\"; };\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct ad_rfc2136_key *k = NULL;
    char err[512], warn[512];
    assert_int_equal(ad_rfc2136_keyfile_load(path, NULL, &k, warn, sizeof warn, err, sizeof err), AD_OK);
    assert_string_equal(k->alg->name, "hmac-sha224");
    assert_string_equal(warn, ""); /* mkstemp: 0600 */
    ad_rfc2136_key_free(k);
    /* Readable by every user: loaded, with the warning every provider gives. */
    assert_int_equal(chmod(path, 0644), 0);
    k = NULL;
    assert_int_equal(ad_rfc2136_keyfile_load(path, NULL, &k, warn, sizeof warn, err, sizeof err), AD_OK);
    assert_non_null(strstr(warn, "TSIG key file "));
    assert_non_null(strstr(warn, " can be read by every user (mode 0644): chmod o-rwx "));
    ad_rfc2136_key_free(k);
    unlink(path);
    k = NULL;
    assert_int_equal(ad_rfc2136_keyfile_load(path, NULL, &k, warn, sizeof warn, err, sizeof err), AD_ERR_CONFIG);
    assert_non_null(strstr(err, "cannot open TSIG key file"));
    assert_int_equal(ad_rfc2136_keyfile_load("/tmp", NULL, &k, warn, sizeof warn, err, sizeof err), AD_ERR_CONFIG);
    assert_non_null(strstr(err, "not a regular file"));
    assert_null(k);
}

/* Secrets go through core/common's base64 (tests/unit/test_b64.c): a key
 * takes 1 to AD_RFC2136_SECRET_MAX bytes of strict base64. */
static void test_secret(void **state)
{
    (void)state;
    struct ad_rfc2136_key *k = NULL;
    char err[512];
    assert_int_equal(ad_rfc2136_key_new("k", NULL, "Zm9vYg", &k, err, sizeof err), AD_OK); /* unpadded */
    assert_int_equal(k->secret_len, 4);
    assert_memory_equal(k->secret, "foob", 4);
    ad_rfc2136_key_free(k);
    k = NULL;
    static const char *const bad[] = {"", "Z", "Zm9v YmFy", "Zm9vYh==", "Zm9vYg=", "Zm=9vYg="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ad_rfc2136_key_new("k", NULL, bad[i], &k, err, sizeof err), AD_ERR_CONFIG);
        assert_non_null(strstr(err, "not valid base64"));
    }
    assert_null(k);
}

static void test_key_new(void **state)
{
    (void)state;
    struct ad_rfc2136_key *k = NULL;
    char err[512];
    assert_int_equal(ad_rfc2136_key_new("Acme-Key.", NULL, SECRET, &k, err, sizeof err), AD_OK);
    assert_string_equal(k->name, "acme-key");
    assert_string_equal(k->alg->name, "hmac-sha256");
    ad_rfc2136_key_free(k);
    k = NULL;
    assert_int_equal(ad_rfc2136_key_new("k", "hmac-sha3", SECRET, &k, err, sizeof err),
                     AD_ERR_CONFIG);
    assert_non_null(strstr(err, "unknown TSIG algorithm \"hmac-sha3\": use one of hmac-md5"));
    assert_int_equal(ad_rfc2136_key_new("k", "hmac-sha256", "%%%", &k, err, sizeof err),
                     AD_ERR_CONFIG);
    assert_non_null(strstr(err, "not valid base64"));
    assert_null(strstr(err, "%%%"));
    assert_int_equal(ad_rfc2136_key_new("a..b", NULL, SECRET, &k, err, sizeof err), AD_ERR_CONFIG);
    assert_null(k);
    ad_rfc2136_key_free(NULL);
}

static void test_alg_find(void **state)
{
    (void)state;
    assert_string_equal(ad_rfc2136_alg_find("hmac-md5.sig-alg.reg.int.")->name, "hmac-md5");
    assert_string_equal(ad_rfc2136_alg_find("HMAC-SHA384")->wire_name, "hmac-sha384");
    assert_string_equal(ad_rfc2136_alg_find("hmac-sha224")->digest, "SHA224");
    assert_null(ad_rfc2136_alg_find("hmac-sha"));
    assert_null(ad_rfc2136_alg_find("hmac-sha2566"));
    assert_null(ad_rfc2136_alg_find(""));
    assert_null(ad_rfc2136_alg_find(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_algorithm),   cmocka_unit_test(test_comments_and_whitespace),
        cmocka_unit_test(test_ddns_confgen_output), cmocka_unit_test(test_several_keys),
        cmocka_unit_test(test_malformed),        cmocka_unit_test(test_huge),
        cmocka_unit_test(test_load_file),        cmocka_unit_test(test_secret),
        cmocka_unit_test(test_key_new),          cmocka_unit_test(test_alg_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

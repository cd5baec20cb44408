/* Unit tests of the CA features: the external account binding JWS (its
 * HS256 MAC and its payload, the account JWK) and the key-change JWS (RFC
 * 8555 7.3.5: signed by the new key, with account and oldKey); Link header
 * values; the topmost issuer of a chain; a kept certificate key; the new
 * settings.json and state.json members; account objects; the command line
 * of revoke, account and the new options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme.h"
#include "ari.h"
#include "b64.h"
#include "cert.h"
#include "cli.h"
#include "http.h"
#include "jws.h"
#include "revoke.h"
#include "settings.h"
#include "util.h"

/* ------------------------------------------------------------ JWS helpers */

struct jws {
    char *prot64, *pay64, *sig64;
    json_object *prot;  /* decoded protected header */
    char *payload;      /* decoded payload */
    uint8_t *sig;
    size_t siglen;
};

static char *b64_text(const char *s)
{
    uint8_t *d;
    size_t n;
    assert_int_equal(ad_b64_decode(s, strlen(s), &d, &n), 0);
    char *t = malloc(n + 1);
    memcpy(t, d, n);
    t[n] = '\0';
    free(d);
    return t;
}

static void jws_split(const char *text, struct jws *j)
{
    json_object *o = json_tokener_parse(text), *v;
    assert_non_null(o);
    assert_int_equal(json_object_object_length(o), 3); /* flattened: protected, payload, signature */
    assert_true(json_object_object_get_ex(o, "protected", &v));
    j->prot64 = strdup(json_object_get_string(v));
    assert_true(json_object_object_get_ex(o, "payload", &v));
    j->pay64 = strdup(json_object_get_string(v));
    assert_true(json_object_object_get_ex(o, "signature", &v));
    j->sig64 = strdup(json_object_get_string(v));
    json_object_put(o);
    char *p = b64_text(j->prot64);
    j->prot = json_tokener_parse(p);
    assert_non_null(j->prot);
    free(p);
    j->payload = b64_text(j->pay64);
    assert_int_equal(ad_b64_decode(j->sig64, strlen(j->sig64), &j->sig, &j->siglen), 0);
}

static void jws_clear(struct jws *j)
{
    free(j->prot64);
    free(j->pay64);
    free(j->sig64);
    json_object_put(j->prot);
    free(j->payload);
    free(j->sig);
}

static const char *member(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

/* The signing input of J: protected "." payload. */
static char *signing_input(const struct jws *j)
{
    char *s = malloc(strlen(j->prot64) + strlen(j->pay64) + 2);
    sprintf(s, "%s.%s", j->prot64, j->pay64);
    return s;
}

/* J's signature verifies with K (ES256 r||s or RS256). */
static int verifies(EVP_PKEY *k, const struct jws *j)
{
    uint8_t *der = NULL;
    int derlen;
    if (EVP_PKEY_is_a(k, "EC")) {
        if (j->siglen != 64)
            return 0;
        ECDSA_SIG *es = ECDSA_SIG_new();
        ECDSA_SIG_set0(es, BN_bin2bn(j->sig, 32, NULL), BN_bin2bn(j->sig + 32, 32, NULL));
        derlen = i2d_ECDSA_SIG(es, &der);
        ECDSA_SIG_free(es);
    } else {
        der = OPENSSL_memdup(j->sig, j->siglen);
        derlen = (int)j->siglen;
    }
    char *in = signing_input(j);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k) == 1 &&
             EVP_DigestVerify(ctx, der, (size_t)derlen, (uint8_t *)in, strlen(in)) == 1;
    EVP_MD_CTX_free(ctx);
    free(in);
    OPENSSL_free(der);
    return ok;
}

/* ------------------------------------------------------------ EAB, key change */

static void test_eab_jws(void **st)
{
    (void)st;
    EVP_PKEY *k;
    static const uint8_t mac[] = "a 32-byte HMAC key for the test!";
    char *text = NULL, *jwk = NULL;
    struct jws j = {0};
    assert_int_equal(ad_key_generate(AD_KEY_EC256, &k), AD_OK);
    assert_int_equal(ad_jws_eab("kid-1", mac, 32, "https://ca.test/new-acct", k, &text), AD_OK);
    jws_split(text, &j);
    /* Protected: alg HS256, kid, url of newAccount, and nothing else (no nonce, no jwk). */
    assert_string_equal(member(j.prot, "alg"), "HS256");
    assert_string_equal(member(j.prot, "kid"), "kid-1");
    assert_string_equal(member(j.prot, "url"), "https://ca.test/new-acct");
    assert_int_equal(json_object_object_length(j.prot), 3);
    /* Payload: the account key's public JWK, exactly. */
    assert_int_equal(ad_jwk_json(k, &jwk), AD_OK);
    assert_string_equal(j.payload, jwk);
    /* Signature: HMAC-SHA256 of the signing input under the key. */
    uint8_t want[EVP_MAX_MD_SIZE];
    unsigned wlen = 0;
    char *in = signing_input(&j);
    assert_non_null(HMAC(EVP_sha256(), mac, 32, (uint8_t *)in, strlen(in), want, &wlen));
    assert_int_equal(j.siglen, 32);
    assert_memory_equal(j.sig, want, 32);
    /* Another key gives another MAC. */
    uint8_t other[32];
    memcpy(other, mac, 32);
    other[0] ^= 1;
    assert_non_null(HMAC(EVP_sha256(), other, 32, (uint8_t *)in, strlen(in), want, &wlen));
    assert_memory_not_equal(j.sig, want, 32);
    free(in);
    jws_clear(&j);
    free(text);
    free(jwk);
    EVP_PKEY_free(k);
}

static void test_key_change_jws(void **st)
{
    (void)st;
    EVP_PKEY *old, *new;
    char *text = NULL, *oldjwk = NULL, *newjwk = NULL;
    struct jws j = {0};
    assert_int_equal(ad_key_generate(AD_KEY_EC256, &old), AD_OK);
    assert_int_equal(ad_key_generate(AD_KEY_EC256, &new), AD_OK);
    assert_int_equal(ad_jws_key_change(new, old, "https://ca.test/acct/7", "https://ca.test/key-change", &text),
                     AD_OK);
    jws_split(text, &j);
    /* Protected: alg and jwk of the new key, the keyChange url; no nonce, no kid. */
    assert_string_equal(member(j.prot, "alg"), "ES256");
    assert_string_equal(member(j.prot, "url"), "https://ca.test/key-change");
    assert_null(member(j.prot, "nonce"));
    assert_null(member(j.prot, "kid"));
    json_object *jwk;
    assert_true(json_object_object_get_ex(j.prot, "jwk", &jwk));
    assert_int_equal(ad_jwk_json(new, &newjwk), AD_OK);
    assert_string_equal(json_object_to_json_string_ext(jwk, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                        newjwk);
    /* Payload: account and oldKey, the old key's JWK. */
    json_object *pay = json_tokener_parse(j.payload), *ok;
    assert_non_null(pay);
    assert_string_equal(member(pay, "account"), "https://ca.test/acct/7");
    assert_true(json_object_object_get_ex(pay, "oldKey", &ok));
    assert_int_equal(ad_jwk_json(old, &oldjwk), AD_OK);
    assert_string_equal(json_object_to_json_string_ext(ok, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                        oldjwk);
    /* Signed by the new key, not the old one. */
    assert_true(verifies(new, &j));
    assert_false(verifies(old, &j));
    json_object_put(pay);
    jws_clear(&j);
    free(text);
    free(oldjwk);
    free(newjwk);
    EVP_PKEY_free(old);
    EVP_PKEY_free(new);
}

/* ------------------------------------------------------------ Link */

static void links(const char *value, const char *rel, size_t max, size_t want_n, const char *const *want)
{
    char **urls = NULL;
    size_t n = 0;
    assert_int_equal(ad_link_parse(value, rel, max, &urls, &n), AD_OK);
    assert_int_equal(n, want_n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(urls[i], want[i]);
    ad_strv_free(urls, n);
}

static void test_link_parse(void **st)
{
    (void)st;
    /* Pebble's and Boulder's form, one a header. */
    links("<https://ca.test/cert/1/alternate/1>;rel=\"alternate\"", "alternate", 8, 1,
          (const char *[]){"https://ca.test/cert/1/alternate/1"});
    /* Several link-values in one header, blanks, case, unquoted and listed relation types. */
    links("<https://a.test/1>; rel=\"index\", <https://a.test/2> ; REL=Alternate,<https://a.test/3>;"
          " title=\"x, y; z\"; rel=\"up alternate\"",
          "alternate", 8, 2, (const char *[]){"https://a.test/2", "https://a.test/3"});
    /* Only the first rel counts (RFC 8288 3.3); http and relative targets are passed over. */
    links("<https://a.test/1>; rel=index; rel=alternate, <http://a.test/2>; rel=alternate, </3>; rel=alternate",
          "alternate", 8, 0, NULL);
    /* Quoted-pairs in a quoted-string (a backslash and "t" stand for "t"); MAX bounds what is kept. */
    links("<https://a.test/1>; rel=\"alter\\\"nate\", <https://a.test/2>; rel=\"al\\ternate\", "
          "<https://a.test/3>; rel=\"alternate\"",
          "alternate", 1, 1, (const char *[]){"https://a.test/2"});
    /* Garbage ends the parse without harm. */
    links("", "alternate", 8, 0, NULL);
    links("<https://a.test/1", "alternate", 8, 0, NULL);
    links("junk, <https://a.test/1>; rel=alternate", "alternate", 8, 0, NULL);
    links("<https://a.test/1>; rel=\"alternate", "alternate", 8, 1, (const char *[]){"https://a.test/1"});
    links("<https://a.test/ 1>; rel=alternate, <https://a.test/2>;;; rel=alternate ; =x", "alternate", 8, 1,
          (const char *[]){"https://a.test/2"});
    /* Over a response's headers. */
    char *vals[] = {"<https://a.test/1>;rel=\"alternate\"", "<https://a.test/up>;rel=\"up\"",
                    "<https://a.test/2>;rel=\"alternate\""};
    struct ad_http_response r = {.links = vals, .nlinks = 3};
    char **urls = NULL;
    size_t n = 0;
    assert_int_equal(ad_http_links(&r, "alternate", 8, &urls, &n), AD_OK);
    assert_int_equal(n, 2);
    assert_string_equal(urls[1], "https://a.test/2");
    ad_strv_free(urls, n);
}

/* ------------------------------------------------------------ chains */

/* A certificate for CN with KEY, issued by ISSUER (NULL: self-signed) with ISSUER_KEY. */
static X509 *make(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    X509_set_pubkey(x, key);
    assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    X509_NAME_free(n);
    return x;
}

static void pem_append(char **s, X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    PEM_write_bio_X509(b, x);
    long n = BIO_get_mem_data(b, &data);
    char *t = ad_asprintf("%s%.*s", *s ? *s : "", (int)n, data);
    free(*s);
    *s = t;
    BIO_free(b);
}

static void test_chain_top_issuer(void **st)
{
    (void)st;
    EVP_PKEY *rk, *ik, *lk;
    assert_int_equal(ad_key_generate(AD_KEY_EC256, &rk), AD_OK);
    assert_int_equal(ad_key_generate(AD_KEY_EC256, &ik), AD_OK);
    assert_int_equal(ad_key_generate(AD_KEY_EC256, &lk), AD_OK);
    X509 *root = make("Root \xc3\x84 X1", rk, NULL, NULL), *in = make("Intermediate R3", ik, root, rk),
         *leaf = make("a.example.test", lk, in, ik);
    char *chain = NULL, *cn = NULL;
    pem_append(&chain, leaf);
    pem_append(&chain, in);
    assert_int_equal(ad_chain_top_issuer_cn(chain, strlen(chain), &cn), AD_OK);
    assert_string_equal(cn, "Root \xc3\x84 X1"); /* UTF-8 kept */
    free(cn);
    /* The leaf alone: its issuer. */
    char *one = NULL;
    pem_append(&one, leaf);
    assert_int_equal(ad_chain_top_issuer_cn(one, strlen(one), &cn), AD_OK);
    assert_string_equal(cn, "Intermediate R3");
    free(cn);
    /* Its DER is the certificate's. */
    uint8_t *der = NULL, *mine = NULL;
    size_t dlen = 0;
    assert_int_equal(ad_cert_der(chain, strlen(chain), &der, &dlen), AD_OK);
    int mlen = i2d_X509(leaf, &mine);
    assert_int_equal(dlen, (size_t)mlen);
    assert_memory_equal(der, mine, dlen);
    free(der);
    OPENSSL_free(mine);
    assert_int_equal(ad_chain_top_issuer_cn("junk", 4, &cn), AD_ERR_CRYPTO);
    assert_null(cn);
    assert_int_equal(ad_cert_der("junk", 4, &der, &dlen), AD_ERR_CRYPTO);
    /* Every truncation fails cleanly or parses. */
    for (size_t n = 0; n < strlen(chain); n += 7) {
        ad_status rc = ad_chain_top_issuer_cn(chain, n, &cn);
        assert_true(rc == AD_OK || rc == AD_ERR_CRYPTO);
        free(cn);
    }
    free(chain);
    free(one);
    X509_free(root);
    X509_free(in);
    X509_free(leaf);
    EVP_PKEY_free(rk);
    EVP_PKEY_free(ik);
    EVP_PKEY_free(lk);
}

/* ------------------------------------------------------------ --reuse-key */

static void test_key_for_cert(void **st)
{
    (void)st;
    char dir[] = "/tmp/test_ca_features.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = ad_asprintf("%s/privkey.pem", dir), *pem;
    size_t len;
    EVP_PKEY *k = NULL, *k2 = NULL;
    bool kept = true;
    /* None there yet: a new key, with or without reuse. */
    assert_int_equal(ad_key_for_cert(path, AD_KEY_EC256, true, &k, &kept), AD_OK);
    assert_false(kept);
    assert_int_equal(ad_key_type_of(k), AD_KEY_EC256);
    assert_int_equal(ad_key_to_pem(k, &pem, &len), AD_OK);
    FILE *f = fopen(path, "w");
    fwrite(pem, 1, len, f);
    fclose(f);
    free(pem);
    /* Kept with reuse, of the same type. */
    assert_int_equal(ad_key_for_cert(path, AD_KEY_EC256, true, &k2, &kept), AD_OK);
    assert_true(kept);
    assert_int_equal(EVP_PKEY_eq(k, k2), 1);
    EVP_PKEY_free(k2);
    /* Not without reuse, nor when another type is asked for. */
    assert_int_equal(ad_key_for_cert(path, AD_KEY_EC256, false, &k2, &kept), AD_OK);
    assert_false(kept);
    assert_int_not_equal(EVP_PKEY_eq(k, k2), 1);
    EVP_PKEY_free(k2);
    assert_int_equal(ad_key_for_cert(path, AD_KEY_EC384, true, &k2, &kept), AD_OK);
    assert_false(kept);
    assert_int_equal(ad_key_type_of(k2), AD_KEY_EC384);
    EVP_PKEY_free(k2);
    /* A damaged key to keep is an error, not silently a new key. */
    f = fopen(path, "w");
    fputs("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", f);
    fclose(f);
    k2 = NULL;
    assert_int_equal(ad_key_for_cert(path, AD_KEY_EC256, true, &k2, &kept), AD_ERR_CRYPTO);
    assert_null(k2);
    unlink(path);
    rmdir(dir);
    free(path);
    EVP_PKEY_free(k);
}

/* ------------------------------------------------------------ settings.json, state.json */

static const char settings16[] =
    "{\"version\": 1, \"domains\": [\"a.example.test\"], \"server\": \"https://ca.test/dir\","
    " \"key_type\": \"ec256\", \"account\": {\"agree_tos\": true, \"eab_kid\": \"kid-1\","
    " \"eab_hmac_key_env\": \"ACME_DNS_EAB_HMAC_KEY\"}, \"provider\": {\"name\": \"hook\"},"
    " \"profile\": \"shortlived\", \"preferred_chain\": \"ISRG Root X1\", \"reuse_key\": true}";

/* S has settings16's members, the HMAC key in FILE or ENV (one NULL). */
static void members(const struct ad_settings *s, const char *file, const char *env)
{
    assert_string_equal(s->profile, "shortlived");
    assert_string_equal(s->preferred_chain, "ISRG Root X1");
    assert_true(s->reuse_key);
    assert_string_equal(s->eab_kid, "kid-1");
    if (file)
        assert_string_equal(s->eab_key_file, file);
    else
        assert_null(s->eab_key_file);
    if (env)
        assert_string_equal(s->eab_key_env, env);
    else
        assert_null(s->eab_key_env);
}

static void test_settings_members(void **st)
{
    (void)st;
    struct ad_settings s, t;
    char why[200], *json = NULL;
    assert_int_equal(ad_settings_parse(settings16, strlen(settings16), &s, why, sizeof why), AD_OK);
    members(&s, NULL, "ACME_DNS_EAB_HMAC_KEY");
    /* Written and read again: the same. */
    free(s.eab_key_env);
    s.eab_key_env = NULL;
    s.eab_key_file = strdup("/etc/acme-dns/eab.key");
    assert_int_equal(ad_settings_format(&s, &json), AD_OK);
    assert_int_equal(ad_settings_parse(json, strlen(json), &t, why, sizeof why), AD_OK);
    members(&t, "/etc/acme-dns/eab.key", NULL);
    ad_settings_clear(&t);
    ad_settings_clear(&s);
    free(json);
    /* Without them (what an older acme-dns wrote): none, no reuse. */
    static const char plain[] = "{\"version\": 1, \"domains\": [\"a.example.test\"], \"server\": \"https://ca.test/d\","
                                " \"provider\": {\"name\": \"hook\"}}";
    assert_int_equal(ad_settings_parse(plain, strlen(plain), &s, why, sizeof why), AD_OK);
    assert_null(s.profile);
    assert_null(s.preferred_chain);
    assert_false(s.reuse_key);
    assert_null(s.eab_kid);
    ad_settings_clear(&s);
    /* Refused: a profile that is no name, a variable that is no name, the wrong types. */
#define DOC(x) "{\"version\": 1, \"domains\": [\"a.test\"], \"server\": \"https://c/d\", \"provider\": {\"name\": \"h\"}, " x "}"
    static const char *const bad[] = {DOC("\"profile\": \"a b\""), DOC("\"account\": {\"eab_hmac_key_env\": \"X=1\"}"),
                                      DOC("\"reuse_key\": \"yes\""), DOC("\"preferred_chain\": 3")};
#undef DOC
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(ad_settings_parse(bad[i], strlen(bad[i]), &s, why, sizeof why), AD_ERR_CONFIG);
        ad_settings_clear(&s);
    }
}

static void test_state_revoked(void **st)
{
    (void)st;
    struct ad_renewal_state s = {0}, t;
    char why[200], *json = NULL;
    s.revoked_serial = strdup("7a1b");
    s.revoked_reason = strdup("keyCompromise");
    s.revoked_at = 1767225600; /* 2026-01-01 */
    assert_int_equal(ad_state_format(&s, &json), AD_OK);
    assert_int_equal(ad_state_parse(json, strlen(json), &t, why, sizeof why), AD_OK);
    assert_string_equal(t.revoked_serial, "7a1b");
    assert_string_equal(t.revoked_reason, "keyCompromise");
    assert_true(t.revoked_at == 1767225600);
    ad_state_clear(&t);
    ad_state_clear(&s);
    free(json);
    /* A damaged "revoked" is passed over, the rest kept. */
    static const char *const odd[] = {
        "{\"version\": 1, \"failures\": 2, \"revoked\": {\"serial\": \"XYZ\", \"at\": \"2026-01-01T00:00:00Z\"}}",
        "{\"version\": 1, \"failures\": 2, \"revoked\": {\"serial\": \"7a\"}}",
        "{\"version\": 1, \"failures\": 2, \"revoked\": 5}",
    };
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        assert_int_equal(ad_state_parse(odd[i], strlen(odd[i]), &t, why, sizeof why), AD_OK);
        assert_null(t.revoked_serial);
        assert_int_equal(t.failures, 2);
        ad_state_clear(&t);
    }
}

/* ------------------------------------------------------------ account objects */

static void test_account_info(void **st)
{
    (void)st;
    struct ad_account_info a;
    static const char good[] = "{\"status\": \"valid\", \"contact\": [\"mailto:a@example.test\", 7,"
                               " \"mailto:\\u001b[31mb@example.test\"], \"orders\": \"https://ca.test/o/1\","
                               " \"key\": {\"kty\": \"EC\"}}";
    assert_int_equal(ad_account_info_parse(good, strlen(good), &a), AD_OK);
    assert_string_equal(a.status, "valid");
    assert_int_equal(a.ncontact, 2);
    assert_string_equal(a.contact[0], "mailto:a@example.test");
    assert_string_equal(a.contact[1], "mailto:?[31mb@example.test"); /* no escape reaches a terminal */
    assert_string_equal(a.orders, "https://ca.test/o/1");
    ad_account_info_clear(&a);
    static const char odd[] = "{\"contact\": \"mailto:x@y\", \"orders\": \"http://ca.test/o\"}";
    assert_int_equal(ad_account_info_parse(odd, strlen(odd), &a), AD_OK);
    assert_null(a.status);
    assert_int_equal(a.ncontact, 0);
    assert_null(a.orders);
    ad_account_info_clear(&a);
    /* Many contacts: bounded. */
    char big[4096] = "{\"contact\": [";
    for (int i = 0; i < 40; i++)
        strcat(big, i ? ", \"mailto:x@y\"" : "\"mailto:x@y\"");
    strcat(big, "]}");
    assert_int_equal(ad_account_info_parse(big, strlen(big), &a), AD_OK);
    assert_int_equal(a.ncontact, 16);
    ad_account_info_clear(&a);
    static const char *const bad[] = {"", "[]", "\"valid\"", "{\"status\": ", "null"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(ad_account_info_parse(bad[i], strlen(bad[i]), &a), AD_ERR_PROTOCOL);
        assert_null(a.status);
    }
}

/* ------------------------------------------------------------ command line */

#define ARGS(...) ((char *[]){"acme-dns", __VA_ARGS__, NULL})

static ad_status parse(char **argv, struct ad_cli *c)
{
    int n = 0;
    while (argv[n])
        n++;
    ad_status rc = ad_cli_parse(n, argv, c);
    return rc;
}

static void refused(char **argv)
{
    struct ad_cli c;
    assert_int_equal(parse(argv, &c), AD_ERR_USAGE);
    ad_cli_clear(&c);
}

static void test_cli(void **st)
{
    (void)st;
    struct ad_cli c;
    unsetenv(AD_EAB_KEY_ENV);
    assert_int_equal(parse(ARGS("revoke", "--cert-name", "a", "--reason", "KEYCOMPROMISE"), &c), AD_OK);
    assert_string_equal(c.command, "revoke");
    assert_int_equal(c.reason, 1);
    assert_false(c.server_given);
    assert_string_equal(c.server, AD_LE_PRODUCTION);
    ad_cli_clear(&c);
    assert_int_equal(parse(ARGS("revoke", "--cert-name", "a"), &c), AD_OK);
    assert_int_equal(c.reason, -1);
    ad_cli_clear(&c);
    assert_int_equal(parse(ARGS("--staging", "account", "key-rollover", "--account-key-type", "ec384"), &c), AD_OK);
    assert_string_equal(c.command, "account");
    assert_string_equal(c.subcommand, "key-rollover");
    assert_string_equal(c.server, AD_LE_STAGING);
    ad_cli_clear(&c);
    assert_int_equal(parse(ARGS("account", "deactivate", "--yes"), &c), AD_OK);
    assert_true(c.yes);
    ad_cli_clear(&c);
    assert_int_equal(parse(ARGS("account", "update", "--email", "a@example.test"), &c), AD_OK);
    ad_cli_clear(&c);
    assert_int_equal(parse(ARGS("-p", "hook", "-d", "a.test", "--profile", "tlsserver", "--preferred-chain",
                                "ISRG Root X1", "--reuse-key"),
                           &c),
                     AD_OK);
    assert_string_equal(c.profile, "tlsserver");
    assert_string_equal(c.preferred_chain, "ISRG Root X1");
    assert_true(c.reuse_key);
    ad_cli_clear(&c);
    assert_int_equal(parse(ARGS("-p", "hook", "-d", "a.test", "--eab-kid", "k", "--eab-hmac-key-file", "/f"), &c),
                     AD_OK);
    assert_string_equal(c.eab_kid, "k");
    assert_string_equal(c.eab_key_file, "/f");
    ad_cli_clear(&c);
    /* The key from the environment: present, it is enough. */
    setenv(AD_EAB_KEY_ENV, "c2VjcmV0", 1);
    assert_int_equal(parse(ARGS("renew", "--eab-kid", "k"), &c), AD_OK);
    ad_cli_clear(&c);
    unsetenv(AD_EAB_KEY_ENV);

    refused(ARGS("revoke"));                                            /* no --cert-name */
    refused(ARGS("revoke", "--cert-name", "a", "--cert-name", "b"));    /* two */
    refused(ARGS("revoke", "--cert-name", "a", "--reason", "stolen"));  /* no such reason */
    refused(ARGS("revoke", "--cert-name", "a", "--reason", "7"));
    refused(ARGS("revoke", "--cert-name", "a", "-d", "a.test"));
    refused(ARGS("renew", "--reason", "superseded"));                   /* --reason goes with revoke */
    refused(ARGS("account"));                                           /* what to do? */
    refused(ARGS("account", "delete"));
    refused(ARGS("account", "show", "extra"));
    refused(ARGS("account", "deactivate"));                             /* --yes */
    refused(ARGS("account", "update"));                                 /* --email */
    refused(ARGS("account", "show", "--email", "a@example.test"));
    refused(ARGS("account", "show", "--account-key-type", "ec384"));
    refused(ARGS("account", "show", "--cert-name", "a"));
    refused(ARGS("-p", "hook", "-d", "a.test", "--yes"));
    refused(ARGS("renew", "--profile", "classic"));                     /* saved with issue */
    refused(ARGS("renew", "--reuse-key"));
    refused(ARGS("-p", "hook", "-d", "a.test", "--profile", "a b"));
    refused(ARGS("-p", "hook", "-d", "a.test", "--profile", ""));
    refused(ARGS("-p", "hook", "-d", "a.test", "--preferred-chain", "a\tb"));
    refused(ARGS("-p", "hook", "-d", "a.test", "--eab-kid", "k"));      /* no HMAC key */
    refused(ARGS("-p", "hook", "-d", "a.test", "--eab-hmac-key-file", "/f")); /* no key ID */
    refused(ARGS("certificates", "--eab-kid", "k", "--eab-hmac-key-file", "/f"));
    refused(ARGS("nosuch"));

    assert_int_equal(ad_revoke_reason_parse("cessationOfOperation"), 5);
    assert_int_equal(ad_revoke_reason_parse("aacompromise"), 10);
    assert_int_equal(ad_revoke_reason_parse(""), -1);
    assert_string_equal(ad_revoke_reason_name(4), "superseded");
    assert_null(ad_revoke_reason_name(7));
    assert_null(ad_revoke_reason_name(11));
    assert_null(ad_revoke_reason_name(-1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eab_jws),          cmocka_unit_test(test_key_change_jws),
        cmocka_unit_test(test_link_parse),       cmocka_unit_test(test_chain_top_issuer),
        cmocka_unit_test(test_key_for_cert),     cmocka_unit_test(test_settings_members),
        cmocka_unit_test(test_state_revoked),    cmocka_unit_test(test_account_info),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests: JWK thumbprint (RFC 7638), JWS signatures checked with OpenSSL, dns-01 digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>

#include "b64.h"
#include "jws.h"

/* The RSA key of RFC 7638 section 3.1 and its thumbprint. */
static const char rfc7638_n[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3"
    "oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZ"
    "Hzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"
    "kEgU8awapJzKnqDKgw";
static const char rfc7638_thumb[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

static BIGNUM *b64_bn(const char *s)
{
    uint8_t *d;
    size_t n;
    assert_int_equal(ad_b64_decode(s, strlen(s), &d, &n), 0);
    BIGNUM *bn = BN_bin2bn(d, (int)n, NULL);
    free(d);
    return bn;
}

static EVP_PKEY *rfc7638_key(void)
{
    BIGNUM *n = b64_bn(rfc7638_n), *e = b64_bn("AQAB");
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n);
    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e);
    OSSL_PARAM *p = OSSL_PARAM_BLD_to_param(b);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *k = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, p), 1);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(p);
    OSSL_PARAM_BLD_free(b);
    BN_free(n);
    BN_free(e);
    return k;
}

static void test_thumbprint_rfc7638(void **st)
{
    (void)st;
    EVP_PKEY *k = rfc7638_key();
    char *t = NULL, *j = NULL;
    assert_int_equal(ad_jwk_thumbprint(k, &t), AD_OK);
    assert_string_equal(t, rfc7638_thumb);
    assert_int_equal(ad_jwk_json(k, &j), AD_OK);
    /* Required members only, in lexicographic order, no whitespace. */
    assert_int_equal(strncmp(j, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7", 33), 0);
    free(t);
    free(j);
    EVP_PKEY_free(k);
}

static void test_ec_jwk(void **st)
{
    (void)st;
    EVP_PKEY *k;
    char *j;
    assert_int_equal(ad_key_generate(AD_KEY_EC256, &k), AD_OK);
    assert_int_equal(ad_jwk_json(k, &j), AD_OK);
    json_object *o = json_tokener_parse(j);
    assert_non_null(o);
    json_object *v;
    assert_true(json_object_object_get_ex(o, "x", &v));
    assert_int_equal(strlen(json_object_get_string(v)), 43); /* 32 bytes, padded */
    assert_true(json_object_object_get_ex(o, "crv", &v));
    assert_string_equal(json_object_get_string(v), "P-256");
    assert_int_equal(strncmp(j, "{\"crv\":", 7), 0);
    json_object_put(o);
    free(j);
    EVP_PKEY_free(k);
}

static void test_dns01_value(void **st)
{
    (void)st;
    char *v = NULL;
    assert_int_equal(ad_dns01_value("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", rfc7638_thumb, &v), AD_OK);
    /* base64url(SHA-256("evaGxf...oA.NzbLsX...9Xs")), computed independently */
    assert_string_equal(v, "ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8");
    assert_int_equal(strlen(v), 43);
    free(v);
}

/* Verify a JWS (flattened JSON) with OpenSSL; EC signatures are r||s. */
static void verify_jws(EVP_PKEY *k, const char *jws, const char *want_payload, int want_jwk)
{
    json_object *o = json_tokener_parse(jws), *v;
    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "protected", &v));
    const char *prot = json_object_get_string(v);
    assert_true(json_object_object_get_ex(o, "payload", &v));
    const char *pay = json_object_get_string(v);
    assert_true(json_object_object_get_ex(o, "signature", &v));
    const char *sig = json_object_get_string(v);

    uint8_t *raw, *p;
    size_t rawlen, plen;
    assert_int_equal(ad_b64_decode(pay, strlen(pay), &p, &plen), 0);
    assert_int_equal(plen, strlen(want_payload));
    assert_memory_equal(p, want_payload, plen);
    free(p);
    assert_int_equal(ad_b64_decode(prot, strlen(prot), &p, &plen), 0);
    char *ph = strndup((char *)p, plen);
    free(p);
    json_object *h = json_tokener_parse(ph);
    assert_non_null(h);
    assert_true(json_object_object_get_ex(h, "alg", &v));
    assert_string_equal(json_object_get_string(v), ad_jws_alg(k));
    assert_true(json_object_object_get_ex(h, "nonce", &v));
    assert_string_equal(json_object_get_string(v), "NONCE");
    assert_true(json_object_object_get_ex(h, "url", &v));
    assert_string_equal(json_object_get_string(v), "https://ca.test/acme/x");
    assert_int_equal(json_object_object_get_ex(h, "jwk", &v), want_jwk);
    assert_int_equal(json_object_object_get_ex(h, "kid", &v), !want_jwk);
    json_object_put(h);
    free(ph);

    assert_int_equal(ad_b64_decode(sig, strlen(sig), &raw, &rawlen), 0);
    uint8_t *der = NULL;
    int derlen;
    if (EVP_PKEY_is_a(k, "EC")) {
        assert_int_equal(rawlen, 64);
        ECDSA_SIG *es = ECDSA_SIG_new();
        ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL));
        derlen = i2d_ECDSA_SIG(es, &der);
        ECDSA_SIG_free(es);
    } else {
        der = OPENSSL_memdup(raw, rawlen);
        derlen = (int)rawlen;
    }
    char *input = malloc(strlen(prot) + strlen(pay) + 2);
    sprintf(input, "%s.%s", prot, pay);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_equal(EVP_DigestVerify(ctx, der, (size_t)derlen, (uint8_t *)input, strlen(input)), 1);
    /* A changed byte must not verify. */
    input[0] ^= 1;
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_not_equal(EVP_DigestVerify(ctx, der, (size_t)derlen, (uint8_t *)input, strlen(input)), 1);
    EVP_MD_CTX_free(ctx);
    free(input);
    OPENSSL_free(der);
    free(raw);
    json_object_put(o);
}

static void sign_and_verify(enum ad_key_type t)
{
    EVP_PKEY *k;
    char *jws;
    assert_int_equal(ad_key_generate(t, &k), AD_OK);
    assert_int_equal(ad_jws_sign(k, NULL, "NONCE", "https://ca.test/acme/x", "{\"a\":1}", &jws), AD_OK);
    verify_jws(k, jws, "{\"a\":1}", 1);
    free(jws);
    assert_int_equal(ad_jws_sign(k, "https://ca.test/acct/1", "NONCE", "https://ca.test/acme/x", "", &jws), AD_OK);
    verify_jws(k, jws, "", 0);
    free(jws);
    EVP_PKEY_free(k);
}

static void test_es256(void **st)
{
    (void)st;
    sign_and_verify(AD_KEY_EC256);
}

static void test_rs256(void **st)
{
    (void)st;
    sign_and_verify(AD_KEY_RSA2048);
}

static void test_pem_round_trip(void **st)
{
    (void)st;
    EVP_PKEY *k, *k2;
    char *pem;
    size_t len;
    assert_int_equal(ad_key_generate(AD_KEY_EC384, &k), AD_OK);
    assert_string_equal(ad_jws_alg(k), "ES384");
    assert_int_equal(ad_key_to_pem(k, &pem, &len), AD_OK);
    assert_int_equal(ad_key_from_pem(pem, len, &k2), AD_OK);
    assert_int_equal(EVP_PKEY_eq(k, k2), 1);
    assert_int_not_equal(ad_key_from_pem("garbage", 7, &k2), AD_OK);
    free(pem);
    EVP_PKEY_free(k);
    EVP_PKEY_free(k2);
}

static void test_key_types(void **st)
{
    (void)st;
    assert_int_equal(ad_key_type_parse("ec256"), AD_KEY_EC256);
    assert_int_equal(ad_key_type_parse("rsa4096"), AD_KEY_RSA4096);
    assert_int_equal(ad_key_type_parse("dsa"), -1);
    assert_string_equal(ad_key_type_name(AD_KEY_RSA3072), "rsa3072");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thumbprint_rfc7638), cmocka_unit_test(test_ec_jwk),
        cmocka_unit_test(test_dns01_value),        cmocka_unit_test(test_es256),
        cmocka_unit_test(test_rs256),              cmocka_unit_test(test_pem_round_trip),
        cmocka_unit_test(test_key_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests: CSR contents and checks of issued certificates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "b64.h"
#include "csr.h"
#include "jws.h"

static const char *const names[] = {"example.test", "*.example.test", "www.example.test"};

static int san_contains(GENERAL_NAMES *g, const char *name)
{
    for (int i = 0; i < sk_GENERAL_NAME_num(g); i++) {
        GENERAL_NAME *n = sk_GENERAL_NAME_value(g, i);
        if (n->type == GEN_DNS && strcmp((const char *)ASN1_STRING_get0_data(n->d.dNSName), name) == 0)
            return 1;
    }
    return 0;
}

static void check_csr(enum ad_key_type t)
{
    EVP_PKEY *k;
    char *csr;
    uint8_t *der;
    size_t len;
    assert_int_equal(ad_key_generate(t, &k), AD_OK);
    assert_int_equal(ad_csr_make(k, names, 3, &csr), AD_OK);
    assert_null(strpbrk(csr, "+/="));
    assert_int_equal(ad_b64_decode(csr, strlen(csr), &der, &len), 0);
    const uint8_t *p = der;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
    assert_non_null(req);
    assert_int_equal(X509_REQ_verify(req, k), 1);
    EVP_PKEY *pub = X509_REQ_get_pubkey(req);
    assert_int_equal(EVP_PKEY_eq(pub, k), 1);
    char cn[256];
    assert_true(X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn, sizeof cn) > 0);
    assert_string_equal(cn, "example.test");
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *g = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
    assert_non_null(g);
    assert_int_equal(sk_GENERAL_NAME_num(g), 3);
    for (int i = 0; i < 3; i++)
        assert_true(san_contains(g, names[i]));
    GENERAL_NAMES_free(g);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    EVP_PKEY_free(pub);
    X509_REQ_free(req);
    free(der);
    free(csr);
    EVP_PKEY_free(k);
}

static void test_csr_ec256(void **st)
{
    (void)st;
    check_csr(AD_KEY_EC256);
}

static void test_csr_rsa2048(void **st)
{
    (void)st;
    check_csr(AD_KEY_RSA2048);
}

/* The CSR OpenSSL's X509_REQ makes for KEY and NAMES, as its
 * CertificationRequestInfo DER. */
static int reference_tbs(EVP_PKEY *k, const char *const *n, size_t count, unsigned char **tbs)
{
    X509_REQ *req = X509_REQ_new();
    X509_NAME *subj = X509_NAME_new();
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    assert_true(req && subj && gens && exts);
    assert_int_equal(X509_REQ_set_version(req, 0), 1);
    if (strlen(n[0]) <= 64)
        assert_int_equal(X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8, (const unsigned char *)n[0], -1, -1, 0), 1);
    assert_int_equal(X509_REQ_set_subject_name(req, subj), 1);
    for (size_t i = 0; i < count; i++) {
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        assert_int_equal(ASN1_STRING_set(s, n[i], -1), 1);
        GENERAL_NAME_set0_value(g, GEN_DNS, s);
        assert_true(sk_GENERAL_NAME_push(gens, g) > 0);
    }
    X509_EXTENSION *ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
    assert_non_null(ext);
    assert_true(sk_X509_EXTENSION_push(exts, ext) > 0);
    assert_int_equal(X509_REQ_add_extensions(req, exts), 1);
    assert_int_equal(X509_REQ_set_pubkey(req, k), 1);
    int len = i2d_re_X509_REQ_tbs(req, tbs);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    GENERAL_NAMES_free(gens);
    X509_NAME_free(subj);
    X509_REQ_free(req);
    return len;
}

/* Our DER is what OpenSSL makes (the signed part compared byte for byte),
 * and its signature verifies: P-256, P-384 and RSA keys; a first name too
 * long for a CN (empty subject); 100 names (long-form lengths). */
static void same_as_openssl(enum ad_key_type t, const char *const *n, size_t count)
{
    EVP_PKEY *k;
    char *csr;
    uint8_t *der;
    size_t len;
    unsigned char *ref = NULL, *ours = NULL;
    assert_int_equal(ad_key_generate(t, &k), AD_OK);
    assert_int_equal(ad_csr_make(k, n, count, &csr), AD_OK);
    assert_int_equal(ad_b64_decode(csr, strlen(csr), &der, &len), 0);
    const uint8_t *p = der;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
    assert_non_null(req);
    assert_ptr_equal(p, der + len);
    assert_int_equal(X509_REQ_verify(req, k), 1);
    int rl = reference_tbs(k, n, count, &ref), ol = i2d_re_X509_REQ_tbs(req, &ours);
    assert_int_equal(ol, rl);
    assert_memory_equal(ours, ref, (size_t)rl);
    /* and the signed bytes are ours as sent, not a re-encoding */
    assert_memory_equal(der + (der[1] & 0x80 ? 2 + (der[1] & 0x7f) : 2), ours, (size_t)ol);
    OPENSSL_free(ref);
    OPENSSL_free(ours);
    X509_REQ_free(req);
    free(der);
    free(csr);
    EVP_PKEY_free(k);
}

static void test_csr_same_as_openssl(void **st)
{
    (void)st;
    static char many[100][32];
    const char *m[100];
    for (int i = 0; i < 100; i++) {
        snprintf(many[i], sizeof many[i], "n%d.example.test", i);
        m[i] = many[i];
    }
    static const char *const longname[] = {
        "a-very-long-label-that-goes-on-and-on.another-long-label-for-good-measure.example.test",
        "example.test"};
    same_as_openssl(AD_KEY_EC256, names, 3);
    same_as_openssl(AD_KEY_EC384, names, 3);
    same_as_openssl(AD_KEY_RSA2048, names, 3);
    same_as_openssl(AD_KEY_EC256, m, 100);
    same_as_openssl(AD_KEY_EC256, longname, 2);
    same_as_openssl(AD_KEY_EC256, names + 1, 1);
}

/* A self-signed certificate for NAMES with KEY, as PEM, followed by a fake chain cert. */
static char *make_cert(EVP_PKEY *k, const char *const *n, size_t count)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    GENERAL_NAMES *g = GENERAL_NAMES_new();
    for (size_t i = 0; i < count; i++) {
        GENERAL_NAME *gn = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        ASN1_STRING_set(s, n[i], -1);
        GENERAL_NAME_set0_value(gn, GEN_DNS, s);
        sk_GENERAL_NAME_push(g, gn);
    }
    X509_add1_ext_i2d(x, NID_subject_alt_name, g, 0, 0);
    GENERAL_NAMES_free(g);
    X509_sign(x, k, EVP_sha256());
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    PEM_write_bio_X509(b, x); /* stands in for the issuer */
    char *data;
    long len = BIO_get_mem_data(b, &data);
    char *out = strndup(data, (size_t)len);
    BIO_free(b);
    X509_free(x);
    return out;
}

static void test_cert_check(void **st)
{
    (void)st;
    EVP_PKEY *k, *other;
    char *cert = NULL, *chain = NULL;
    assert_int_equal(ad_key_generate(AD_KEY_EC256, &k), AD_OK);
    assert_int_equal(ad_key_generate(AD_KEY_EC256, &other), AD_OK);
    char *pem = make_cert(k, names, 3);
    assert_int_equal(ad_cert_check(pem, strlen(pem), k, names, 3, &cert, &chain), AD_OK);
    assert_non_null(strstr(cert, "BEGIN CERTIFICATE"));
    assert_null(strstr(strstr(cert, "END CERTIFICATE"), "BEGIN"));
    assert_non_null(strstr(chain, "BEGIN CERTIFICATE"));
    size_t cl = strlen(cert), hl = strlen(chain);
    assert_int_equal(cl + hl, strlen(pem));
    free(cert);
    free(chain);
    /* Not our key. */
    assert_int_equal(ad_cert_check(pem, strlen(pem), other, names, 3, &cert, &chain), AD_ERR_PROTOCOL);
    free(pem);
    /* A name missing from the SAN. */
    pem = make_cert(k, names, 2);
    assert_int_equal(ad_cert_check(pem, strlen(pem), k, names, 3, &cert, &chain), AD_ERR_PROTOCOL);
    free(pem);
    assert_int_equal(ad_cert_check("junk", 4, k, names, 1, &cert, &chain), AD_ERR_PROTOCOL);
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csr_ec256),
        cmocka_unit_test(test_csr_rsa2048),
        cmocka_unit_test(test_csr_same_as_openssl),
        cmocka_unit_test(test_cert_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

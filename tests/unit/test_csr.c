/* Unit tests: CSR contents and checks of issued certificates. */
#define _GNU_SOURCE
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

/* The CSR for N (COUNT names) with a key of type T: DER that OpenSSL reads
 * to its end, a signature that verifies with SHA-256, the CN (or none when
 * the first name is too long for one) and exactly the names in the SAN. */
static void check_names(enum ad_key_type t, const char *const *n, size_t count)
{
    EVP_PKEY *k;
    char *csr;
    uint8_t *der;
    size_t len;
    assert_int_equal(ad_key_generate(t, &k), AD_OK);
    assert_int_equal(ad_csr_make(k, n, count, &csr), AD_OK);
    assert_int_equal(ad_b64_decode(csr, strlen(csr), &der, &len), 0);
    const uint8_t *p = der;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
    assert_non_null(req);
    assert_ptr_equal(p, der + len);
    assert_int_equal(X509_REQ_get_version(req), X509_REQ_VERSION_1);
    assert_int_equal(X509_REQ_verify(req, k), 1);
    assert_int_equal(X509_REQ_get_signature_nid(req),
                     t == AD_KEY_RSA2048 ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256);
    X509_NAME *subj = X509_REQ_get_subject_name(req);
    if (strlen(n[0]) <= 64) {
        assert_int_equal(X509_NAME_entry_count(subj), 1);
        X509_NAME_ENTRY *e = X509_NAME_get_entry(subj, 0);
        assert_int_equal(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)), NID_commonName);
        ASN1_STRING *v = X509_NAME_ENTRY_get_data(e);
        assert_int_equal(ASN1_STRING_type(v), V_ASN1_UTF8STRING);
        assert_string_equal((const char *)ASN1_STRING_get0_data(v), n[0]);
    } else {
        assert_int_equal(X509_NAME_entry_count(subj), 0);
    }
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    assert_int_equal(sk_X509_EXTENSION_num(exts), 1);
    GENERAL_NAMES *g = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
    assert_non_null(g);
    assert_int_equal(sk_GENERAL_NAME_num(g), (int)count);
    for (size_t i = 0; i < count; i++)
        assert_true(san_contains(g, n[i]));
    GENERAL_NAMES_free(g);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_free(req);
    free(der);
    free(csr);
    EVP_PKEY_free(k);
}

static void test_csr_names(void **st)
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
    check_names(AD_KEY_EC256, names, 3);
    check_names(AD_KEY_EC384, names, 3);
    check_names(AD_KEY_RSA2048, names, 3);
    check_names(AD_KEY_EC256, m, 100);
    check_names(AD_KEY_EC256, longname, 2);
    check_names(AD_KEY_EC256, names + 1, 1);
    /* No names, or a key type we do not use: refused. */
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    char *csr = NULL;
    assert_non_null(k);
    assert_int_equal(ad_csr_make(k, names, 3, &csr), AD_ERR_CRYPTO);
    EVP_PKEY_free(k);
    assert_int_equal(ad_key_generate(AD_KEY_EC256, &k), AD_OK);
    assert_int_equal(ad_csr_make(k, names, 0, &csr), AD_ERR_CRYPTO);
    assert_null(csr);
    EVP_PKEY_free(k);
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

/* PEM of a self-signed certificate for NAME. */
static char *one_cert(const char *name)
{
    EVP_PKEY *k;
    assert_int_equal(ad_key_generate(AD_KEY_EC256, &k), AD_OK);
    char *pem = make_cert(k, &name, 1);
    *strstr(pem, "-----END CERTIFICATE-----\n") = '\0';
    char *out = NULL;
    assert_true(asprintf(&out, "%s-----END CERTIFICATE-----\n", pem) > 0);
    free(pem);
    EVP_PKEY_free(k);
    return out;
}

/* The chain is split by OpenSSL's PEM reader: the leaf alone in CERT, every
 * further certificate in CHAIN, whatever line ends or text lie between;
 * a chain with a damaged or an endless list of certificates is refused. */
static void test_cert_chain(void **st)
{
    (void)st;
    EVP_PKEY *k;
    char *cert, *chain, *pem, *leaf;
    assert_int_equal(ad_key_generate(AD_KEY_EC256, &k), AD_OK);
    pem = make_cert(k, names, 3);
    *strstr(pem, "-----END CERTIFICATE-----\n") = '\0';
    assert_true(asprintf(&leaf, "%s-----END CERTIFICATE-----\n", pem) > 0);
    free(pem);
    char *i1 = one_cert("Intermediate"), *i2 = one_cert("Root");

    /* Leaf + 2, CRLF line ends and text between. */
    char *crlf = NULL;
    assert_true(asprintf(&pem, "%s\r\nsome text\n%s\n\n%s", leaf, i1, i2) > 0);
    crlf = malloc(2 * strlen(pem) + 1);
    size_t o = 0;
    for (const char *c = pem; *c; c++) {
        if (*c == '\n' && (c == pem || c[-1] != '\r'))
            crlf[o++] = '\r';
        crlf[o++] = *c;
    }
    crlf[o] = '\0';
    assert_int_equal(ad_cert_check(crlf, o, k, names, 3, &cert, &chain), AD_OK);
    assert_string_equal(cert, leaf);
    char *want;
    assert_true(asprintf(&want, "%s%s", i1, i2) > 0);
    assert_string_equal(chain, want);
    free(want);
    free(cert);
    free(chain);
    free(crlf);
    free(pem);

    /* A leaf alone: an empty chain. */
    assert_int_equal(ad_cert_check(leaf, strlen(leaf), k, names, 3, &cert, &chain), AD_OK);
    assert_string_equal(chain, "");
    free(cert);
    free(chain);

    /* A damaged second certificate. */
    assert_true(asprintf(&pem, "%s%s", leaf, i1) > 0);
    char *mid = strstr(pem + strlen(leaf), "\n") + 5;
    memcpy(mid, "!!!!", 4);
    cert = chain = (char *)1;
    assert_int_equal(ad_cert_check(pem, strlen(pem), k, names, 3, &cert, &chain), AD_ERR_PROTOCOL);
    assert_null(cert);
    assert_null(chain);
    free(pem);

    /* 17 certificates. */
    size_t cap = strlen(leaf) + 16 * strlen(i1) + 1;
    pem = malloc(cap);
    strcpy(pem, leaf);
    for (int i = 0; i < 16; i++)
        strcat(pem, i1);
    assert_int_equal(ad_cert_check(pem, strlen(pem), k, names, 3, &cert, &chain), AD_ERR_PROTOCOL);
    pem[strlen(leaf) + 15 * strlen(i1)] = '\0'; /* 16: fine */
    assert_int_equal(ad_cert_check(pem, strlen(pem), k, names, 3, &cert, &chain), AD_OK);
    free(cert);
    free(chain);
    free(pem);
    free(leaf);
    free(i1);
    free(i2);
    EVP_PKEY_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csr_ec256),
        cmocka_unit_test(test_csr_rsa2048),
        cmocka_unit_test(test_csr_names),
        cmocka_unit_test(test_cert_chain),
        cmocka_unit_test(test_cert_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

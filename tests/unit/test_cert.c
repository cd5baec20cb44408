/* Unit tests: certificate facts for renewal (validity, serial, the ARI
 * certificate identifier of RFC 9773 4.1). */
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

#include "cert.h"
#include "jws.h"

/* RFC 9773, Appendix A: the example certificate.  Its AKI keyIdentifier is
 * 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4 and its serial
 * 00:87:65:43:21; the RFC gives its ARI identifier below. */
static const char rfc9773_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBQzCB66ADAgECAgUAh2VDITAKBggqhkjOPQQDAjAVMRMwEQYDVQQDEwpFeGFt\n"
    "cGxlIENBMCIYDzAwMDEwMTAxMDAwMDAwWhgPMDAwMTAxMDEwMDAwMDBaMBYxFDAS\n"
    "BgNVBAMTC2V4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeBZu\n"
    "7cbpAYNXZLbbh8rNIzuOoqOOtmxA1v7cRm//AwyMwWxyHz4zfwmBhcSrf47NUAFf\n"
    "qzLQ2PPQxdTXREYEnKMjMCEwHwYDVR0jBBgwFoAUaYhba4dGQEHhs3uEe6CuLN4B\n"
    "yNQwCgYIKoZIzj0EAwIDRwAwRAIge09+S5TZAlw5tgtiVvuERV6cT4mfutXIlwTb\n"
    "+FYN/8oCIClDsqBklhB9KAelFiYt9+6FDj3z4KGVelYM5MdsO3pK\n"
    "-----END CERTIFICATE-----\n";

static void test_rfc9773_example(void **state)
{
    (void)state;
    struct ad_cert_info ci;
    assert_int_equal(ad_cert_info_parse(rfc9773_cert, strlen(rfc9773_cert), &ci), AD_OK);
    assert_string_equal(ci.ari_id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
    assert_string_equal(ci.serial, "87654321");
    /* Both dates are 0001-01-01T00:00:00Z. */
    assert_true(ci.not_before == -62135596800LL);
    assert_true(ci.not_after == ci.not_before);
    ad_cert_info_clear(&ci);

    /* The same from the raw parts the RFC lists. */
    static const uint8_t kid[] = {0x69, 0x88, 0x5b, 0x6b, 0x87, 0x46, 0x40, 0x41, 0xe1, 0xb3,
                                  0x7b, 0x84, 0x7b, 0xa0, 0xae, 0x2c, 0xde, 0x01, 0xc8, 0xd4};
    static const uint8_t serial[] = {0x00, 0x87, 0x65, 0x43, 0x21};
    char *id = ad_ari_id(kid, sizeof kid, serial, sizeof serial);
    assert_string_equal(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
    free(id);
    /* base64url without padding: no '+', '/' or '='. */
    static const uint8_t odd[] = {0xfb, 0xff, 0xbf};
    id = ad_ari_id(odd, sizeof odd, odd, 1);
    assert_string_equal(id, "-_-_.-w");
    free(id);
}

/* A self-signed certificate valid from NB to NA with SERIAL, and an AKI
 * keyIdentifier KID when KIDLEN > 0.  Caller frees. */
static char *make_cert(long nb, long na, long serial, const uint8_t *kid, int kidlen)
{
    EVP_PKEY *k = NULL;
    X509 *x = X509_new();
    BIO *b = BIO_new(BIO_s_mem());
    char *pem = NULL, *p;
    assert_int_equal(ad_key_generate(AD_KEY_EC256, &k), AD_OK);
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    ASN1_TIME_set(X509_getm_notBefore(x), nb);
    ASN1_TIME_set(X509_getm_notAfter(x), na);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"t", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, k);
    if (kidlen > 0) {
        AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
        aki->keyid = ASN1_OCTET_STRING_new();
        ASN1_OCTET_STRING_set(aki->keyid, kid, kidlen);
        assert_int_equal(X509_add1_ext_i2d(x, NID_authority_key_identifier, aki, 0, 0), 1);
        AUTHORITY_KEYID_free(aki);
    }
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    assert_int_equal(PEM_write_bio_X509(b, x), 1);
    long n = BIO_get_mem_data(b, &p);
    pem = calloc(1, (size_t)n + 1);
    memcpy(pem, p, (size_t)n);
    BIO_free(b);
    X509_free(x);
    EVP_PKEY_free(k);
    return pem;
}

static void test_dates_and_serial(void **state)
{
    (void)state;
    static const uint8_t kid[] = {1, 2, 3, 4};
    struct ad_cert_info ci;
    /* A serial with its high bit set gets a leading zero byte in the id. */
    char *pem = make_cert(1700000000L, 1707776000L, 0x80, kid, sizeof kid);
    assert_int_equal(ad_cert_info_parse(pem, strlen(pem), &ci), AD_OK);
    assert_true(ci.not_before == 1700000000LL);
    assert_true(ci.not_after == 1707776000LL);
    assert_string_equal(ci.serial, "80");
    assert_string_equal(ci.ari_id, "AQIDBA.AIA");
    ad_cert_info_clear(&ci);
    free(pem);
    /* Without an AKI keyIdentifier there is no ARI id, and that is not an error. */
    pem = make_cert(1700000000L, 1707776000L, 7, NULL, 0);
    assert_int_equal(ad_cert_info_parse(pem, strlen(pem), &ci), AD_OK);
    assert_null(ci.ari_id);
    assert_string_equal(ci.serial, "07");
    ad_cert_info_clear(&ci);
    free(pem);
}

static void test_not_a_certificate(void **state)
{
    (void)state;
    struct ad_cert_info ci;
    static const char *const bad[] = {"", "junk", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(ad_cert_info_parse(bad[i], strlen(bad[i]), &ci), AD_ERR_CRYPTO);
        assert_null(ci.serial);
        assert_null(ci.ari_id);
        ad_cert_info_clear(&ci);
    }
    /* Every truncation of the RFC's certificate fails cleanly or parses. */
    for (size_t n = 0; n < strlen(rfc9773_cert); n++) {
        ad_status rc = ad_cert_info_parse(rfc9773_cert, n, &ci);
        assert_true(rc == AD_OK || rc == AD_ERR_CRYPTO);
        ad_cert_info_clear(&ci);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc9773_example),
        cmocka_unit_test(test_dates_and_serial),
        cmocka_unit_test(test_not_a_certificate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

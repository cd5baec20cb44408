/* Unit tests: our DER for EC private keys and public keys is the same, byte
 * for byte, as OpenSSL's encoders write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "der.h"
#include "jws.h"

static void test_lengths(void **st)
{
    (void)st;
    uint8_t buf[300] = {0};
    struct ad_der d = {0};
    ad_der_tlv(&d, 0x04, buf, 5);
    assert_int_equal(d.len, 7);
    assert_int_equal(d.p[0], 0x04);
    assert_int_equal(d.p[1], 5);
    ad_der_free(&d);
    ad_der_tlv(&d, 0x04, buf, 200);
    assert_int_equal(d.len, 203);
    assert_int_equal(d.p[1], 0x81);
    assert_int_equal(d.p[2], 200);
    ad_der_free(&d);
    ad_der_tlv(&d, 0x04, buf, 300);
    assert_int_equal(d.len, 304);
    assert_int_equal(d.p[1], 0x82);
    assert_int_equal(d.p[2], 0x01);
    assert_int_equal(d.p[3], 0x2c);
    /* wrap moves the content behind the new header */
    ad_der_wrap(&d, 0, 0x30);
    assert_int_equal(d.len, 308);
    assert_int_equal(d.p[0], 0x30);
    assert_int_equal(d.p[1], 0x82);
    assert_int_equal(d.p[2], 0x01);
    assert_int_equal(d.p[3], 0x30);
    assert_int_equal(d.p[4], 0x04);
    ad_der_free(&d);
    assert_null(d.p);
}

static char *openssl_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    assert_non_null(b);
    assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
    long n = BIO_get_mem_data(b, &data);
    char *s = strndup(data, (size_t)n);
    BIO_free(b);
    return s;
}

/* Many keys, so that private scalars with leading zero bytes come up too. */
static void same_as_openssl(enum ad_key_type t, int count)
{
    for (int i = 0; i < count; i++) {
        EVP_PKEY *k = NULL, *back = NULL;
        char *ours = NULL, *theirs;
        size_t len = 0;
        assert_int_equal(ad_key_generate(t, &k), AD_OK);
        assert_int_equal(ad_key_to_pem(k, &ours, &len), AD_OK);
        assert_int_equal(len, strlen(ours));
        theirs = openssl_pem(k);
        assert_string_equal(ours, theirs);
        assert_int_equal(ad_key_from_pem(ours, len, &back), AD_OK);
        assert_int_equal(EVP_PKEY_eq(k, back), 1);

        uint8_t *spki = NULL;
        unsigned char *ref = NULL;
        size_t sl = 0;
        assert_int_equal(ad_der_spki(k, &spki, &sl), AD_OK);
        int rl = i2d_PUBKEY(k, &ref);
        assert_int_equal((int)sl, rl);
        assert_memory_equal(spki, ref, sl);
        free(spki);
        OPENSSL_free(ref);
        free(ours);
        free(theirs);
        EVP_PKEY_free(k);
        EVP_PKEY_free(back);
    }
}

static void test_p256(void **st)
{
    (void)st;
    same_as_openssl(AD_KEY_EC256, 600);
}

static void test_p384(void **st)
{
    (void)st;
    same_as_openssl(AD_KEY_EC384, 300);
}

/* RSA keys are left to OpenSSL, with the same result. */
static void test_rsa(void **st)
{
    (void)st;
    EVP_PKEY *k = NULL;
    uint8_t *der = NULL;
    size_t len = 0;
    assert_int_equal(ad_key_generate(AD_KEY_RSA2048, &k), AD_OK);
    assert_int_equal(ad_der_ec_pkcs8(k, &der, &len), 0);
    assert_null(der);
    EVP_PKEY_free(k);
    same_as_openssl(AD_KEY_RSA2048, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_p256),
        cmocka_unit_test(test_p384),
        cmocka_unit_test(test_rsa),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

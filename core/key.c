#include "key.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *const key_names[] = {"ec256", "ec384", "rsa2048", "rsa3072", "rsa4096"};

int ad_key_type_parse(const char *s)
{
    for (size_t i = 0; i < sizeof key_names / sizeof *key_names; i++)
        if (strcmp(s, key_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *ad_key_type_name(enum ad_key_type t)
{
    return (unsigned)t < sizeof key_names / sizeof *key_names ? key_names[t] : "?";
}

ad_status ad_key_generate(enum ad_key_type type, EVP_PKEY **out)
{
    EVP_PKEY *k = NULL;
    switch (type) {
    case AD_KEY_EC256: k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); break;
    case AD_KEY_EC384: k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"); break;
    case AD_KEY_RSA2048: k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048); break;
    case AD_KEY_RSA3072: k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072); break;
    case AD_KEY_RSA4096: k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096); break;
    }
    if (!k) {
        ad_err("cannot generate a %s key (OpenSSL)", ad_key_type_name(type));
        return AD_ERR_CRYPTO;
    }
    *out = k;
    return AD_OK;
}

ad_status ad_key_to_pem(EVP_PKEY *key, char **pem, size_t *len)
{
    ad_status rc = AD_ERR_CRYPTO;
    BIO *b = BIO_new(BIO_s_secmem());
    char *data;
    if (!b || !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL))
        goto out;
    long n = BIO_get_mem_data(b, &data);
    rc = AD_ERR_NOMEM;
    if (n <= 0 || !(*pem = malloc((size_t)n + 1)))
        goto out;
    memcpy(*pem, data, (size_t)n);
    (*pem)[n] = '\0';
    *len = (size_t)n;
    rc = AD_OK;
out:
    if (rc == AD_ERR_CRYPTO)
        ad_err("cannot write the private key as PEM (OpenSSL)");
    BIO_free(b); /* a secure-memory BIO wipes what it held */
    return rc;
}

ad_status ad_key_from_pem(const char *pem, size_t len, EVP_PKEY **out)
{
    if (len > INT32_MAX)
        return AD_ERR_CRYPTO;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!k)
        return AD_ERR_CRYPTO;
    *out = k;
    return AD_OK;
}

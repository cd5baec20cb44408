#include "key.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include "log.h"
#include "store.h"

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

int ad_key_type_of(EVP_PKEY *key)
{
    int bits = EVP_PKEY_get_bits(key);
    if (EVP_PKEY_is_a(key, "EC"))
        return bits == 256 ? AD_KEY_EC256 : bits == 384 ? AD_KEY_EC384 : -1;
    if (EVP_PKEY_is_a(key, "RSA"))
        return bits == 2048 ? AD_KEY_RSA2048 : bits == 3072 ? AD_KEY_RSA3072 : bits == 4096 ? AD_KEY_RSA4096 : -1;
    return -1;
}

#define KEY_FILE_MAX 65536

ad_status ad_key_for_cert(const char *path, enum ad_key_type type, bool reuse, EVP_PKEY **out, bool *kept)
{
    char *pem = NULL;
    size_t len = 0;
    EVP_PKEY *k = NULL;
    *kept = false;
    if (!reuse)
        return ad_key_generate(type, out);
    if (ad_store_read(path, KEY_FILE_MAX, &pem, &len) != AD_OK) {
        if (errno != ENOENT) {
            ad_err("cannot read the key to keep, %s: %s", path, strerror(errno));
            return AD_ERR_IO;
        }
        return ad_key_generate(type, out); /* the first certificate of this name */
    }
    ad_status rc = ad_key_from_pem(pem, len, &k);
    OPENSSL_cleanse(pem, len);
    free(pem);
    if (rc != AD_OK) {
        ad_err("the key to keep (--reuse-key), %s, is not a PEM private key: restore it, or remove it to get a "
               "new key",
               path);
        return AD_ERR_CRYPTO;
    }
    if (ad_key_type_of(k) != (int)type) {
        int t = ad_key_type_of(k);
        ad_warn("the key in %s is %s, not %s (--key-type): a new %s key replaces it", path,
                t < 0 ? "of another type" : ad_key_type_name((enum ad_key_type)t), ad_key_type_name(type),
                ad_key_type_name(type));
        EVP_PKEY_free(k);
        return ad_key_generate(type, out);
    }
    *out = k;
    *kept = true;
    return AD_OK;
}

/* Private keys: generation, PEM in and out (OpenSSL 3). */
#ifndef AD_KEY_H
#define AD_KEY_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

#include "acme-dns/status.h"

enum ad_key_type { AD_KEY_EC256, AD_KEY_EC384, AD_KEY_RSA2048, AD_KEY_RSA3072, AD_KEY_RSA4096 };

/* "ec256" ... "rsa4096" → type; -1 when unknown. */
int ad_key_type_parse(const char *s);
/* The name of T ("ec256" ...), "?" when unknown; static. */
const char *ad_key_type_name(enum ad_key_type t);
/* New key.  Caller frees with EVP_PKEY_free. */
ad_status ad_key_generate(enum ad_key_type type, EVP_PKEY **out);
/* PEM (PKCS#8) of a private key.  Caller wipes (OPENSSL_cleanse) and frees
 * *PEM, NUL-terminated, *LEN bytes. */
ad_status ad_key_to_pem(EVP_PKEY *key, char **pem, size_t *len);
/* Private key from PEM text.  Caller frees with EVP_PKEY_free. */
ad_status ad_key_from_pem(const char *pem, size_t len, EVP_PKEY **out);
/* The type of KEY (enum ad_key_type), -1 when none of ours. */
int ad_key_type_of(EVP_PKEY *key);
/* The private key of a certificate about to be ordered, whose current key
 * is in the file PATH: with REUSE, that key when PATH holds one of TYPE
 * (*KEPT true); else, or when PATH does not exist, a new key of TYPE.  A
 * PATH that exists but holds no key is an error with REUSE (the key the
 * user wants kept is damaged).  Caller frees *OUT with EVP_PKEY_free. */
ad_status ad_key_for_cert(const char *path, enum ad_key_type type, bool reuse, EVP_PKEY **out, bool *kept);

#endif

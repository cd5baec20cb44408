/* Keys, JWK (RFC 7517/7638) and JWS (RFC 7515) for ACME, with OpenSSL 3. */
#ifndef AD_JWS_H
#define AD_JWS_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "acme-dns/status.h"

enum ad_key_type { AD_KEY_EC256, AD_KEY_EC384, AD_KEY_RSA2048, AD_KEY_RSA3072, AD_KEY_RSA4096 };

/* "ec256" ... "rsa4096" → type; -1 when unknown. */
int ad_key_type_parse(const char *s);
const char *ad_key_type_name(enum ad_key_type t);
/* New key.  Caller frees with EVP_PKEY_free. */
ad_status ad_key_generate(enum ad_key_type type, EVP_PKEY **out);
/* PEM (PKCS#8) of a private key.  Caller frees *PEM (NUL-terminated). */
ad_status ad_key_to_pem(EVP_PKEY *key, char **pem, size_t *len);
/* Private key from PEM text.  Caller frees with EVP_PKEY_free. */
ad_status ad_key_from_pem(const char *pem, size_t len, EVP_PKEY **out);
/* Public JWK, members in lexicographic order (RFC 7638), compact JSON.
 * Caller frees. */
ad_status ad_jwk_json(EVP_PKEY *key, char **json);
/* base64url(SHA-256(JWK)), RFC 7638.  Caller frees. */
ad_status ad_jwk_thumbprint(EVP_PKEY *key, char **out);
/* dns-01 TXT value: base64url(SHA-256(token "." thumbprint)).  Caller frees. */
ad_status ad_dns01_value(const char *token, const char *thumbprint, char **out);
/* "ES256", "ES384" or "RS256" for a key; NULL when unsupported. */
const char *ad_jws_alg(EVP_PKEY *key);
/* Flattened JWS JSON: protected {alg, nonce, url, kid or jwk}, PAYLOAD ("" for
 * POST-as-GET).  KID NULL means embed the JWK.  Caller frees *OUT. */
ad_status ad_jws_sign(EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
                      const char *payload, char **out);
/* Raw signature of DATA with KEY as JWS wants it (r||s for EC).  Caller frees. */
ad_status ad_jws_raw_sign(EVP_PKEY *key, const uint8_t *data, size_t len, uint8_t **sig, size_t *siglen);

#endif

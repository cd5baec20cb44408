/* JWK (RFC 7517/7638) and JWS (RFC 7515) for ACME, with OpenSSL 3.  Keys
 * themselves are in key.h, which this header brings along. */
#ifndef AD_JWS_H
#define AD_JWS_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "acme-dns/status.h"
#include "key.h"

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

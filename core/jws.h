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
/* External account binding (RFC 8555 7.3.4): a flattened JWS, protected
 * {alg "HS256", kid KID, url URL (the newAccount URL)}, no nonce, payload
 * ACCOUNT_KEY's public JWK, MAC'ed with HMAC-SHA256 under MAC_KEY (the
 * decoded bytes, MAC_LEN of them).  Caller frees *OUT. */
ad_status ad_jws_eab(const char *kid, const uint8_t *mac_key, size_t mac_len, const char *url, EVP_PKEY *account_key,
                     char **out);
/* The inner JWS of an account key change (RFC 8555 7.3.5): protected {alg,
 * jwk NEW_KEY, url URL (the keyChange URL)}, no nonce, payload {account
 * ACCOUNT_URL, oldKey OLD_KEY's JWK}, signed by NEW_KEY.  Caller frees *OUT. */
ad_status ad_jws_key_change(EVP_PKEY *new_key, EVP_PKEY *old_key, const char *account_url, const char *url,
                            char **out);

#endif

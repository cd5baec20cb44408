/* Base64 (RFC 4648) through OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock: url-safe
 * without padding for JOSE, standard with padding for PEM and TSIG secrets. */
#ifndef AD_B64_H
#define AD_B64_H

#include <stddef.h>
#include <stdint.h>

/* base64url without padding.  Caller frees.  NULL on out-of-memory. */
char *ad_b64url_encode(const uint8_t *data, size_t len);
/* Standard base64 with padding.  Caller frees.  NULL on out-of-memory. */
char *ad_b64_encode(const uint8_t *data, size_t len);
/* Decode base64 or base64url of LEN bytes at S: padding optional, but when
 * present it completes the last quantum; no whitespace; the unused bits of
 * the last character zero (one encoding per value).  *OUT is malloc'd
 * (caller frees), *OUTLEN its length.  Returns -1 on bad input or
 * out-of-memory, leaving *OUT alone. */
int ad_b64_decode(const char *s, size_t len, uint8_t **out, size_t *outlen);

#endif

/* Base64 (RFC 4648): url-safe without padding for JOSE, standard for PEM-free uses. */
#ifndef AD_B64_H
#define AD_B64_H

#include <stddef.h>
#include <stdint.h>

/* base64url without padding.  Caller frees.  NULL on out-of-memory. */
char *ad_b64url_encode(const uint8_t *data, size_t len);
/* Standard base64 with padding.  Caller frees.  NULL on out-of-memory. */
char *ad_b64_encode(const uint8_t *data, size_t len);
/* Decode base64 or base64url (padding optional, no whitespace).  *OUT is
 * malloc'd (caller frees), *OUTLEN its length.  Returns -1 on bad input. */
int ad_b64_decode(const char *s, size_t len, uint8_t **out, size_t *outlen);

#endif

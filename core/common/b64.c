#include "b64.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

static char *encode(const uint8_t *d, size_t len, int url)
{
    if (len > (size_t)INT_MAX / 4 * 3 - 3)
        return NULL;
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    int n = EVP_EncodeBlock((unsigned char *)out, d, (int)len);
    for (int i = 0; url && i < n; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
        else if (out[i] == '=')
            out[i] = '\0';
    }
    return out;
}

char *ad_b64url_encode(const uint8_t *data, size_t len)
{
    return encode(data, len, 1);
}

char *ad_b64_encode(const uint8_t *data, size_t len)
{
    return encode(data, len, 0);
}

static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of base64 or base64url character C, or -1. */
static int val(char c)
{
    const char *p = c ? strchr(alpha, c == '-' ? '+' : c == '_' ? '/' : c) : NULL;
    return p ? (int)(p - alpha) : -1;
}

int ad_b64_decode(const char *s, size_t len, uint8_t **out, size_t *outlen)
{
    size_t pad = 0;
    while (len && s[len - 1] == '=' && pad < 2) {
        len--;
        pad++;
    }
    if (len % 4 == 1 || (pad && (len + pad) % 4) || len > (size_t)INT_MAX - 4)
        return -1;
    size_t full = (len + 3) / 4 * 4;
    char *std = malloc(full + 1);
    uint8_t *buf = malloc(full / 4 * 3 + 1);
    int rc = -1;
    if (!std || !buf)
        goto out;
    for (size_t i = 0; i < len; i++) {
        int v = val(s[i]);
        if (v < 0)
            goto out;
        std[i] = alpha[v];
    }
    /* the bits of the last character that no byte uses must be zero */
    if ((len % 4 == 2 && (val(s[len - 1]) & 0x0f)) || (len % 4 == 3 && (val(s[len - 1]) & 0x03)))
        goto out;
    memset(std + len, '=', full - len);
    int n = EVP_DecodeBlock(buf, (const unsigned char *)std, (int)full);
    if (n < 0)
        goto out;
    *outlen = (size_t)n - (full - len); /* EVP_DecodeBlock counts padding as zero bytes */
    *out = buf;
    buf = NULL;
    rc = 0;
out:
    if (std) {
        OPENSSL_cleanse(std, full + 1);
        free(std);
    }
    if (buf) {
        OPENSSL_cleanse(buf, full / 4 * 3 + 1);
        free(buf);
    }
    return rc;
}

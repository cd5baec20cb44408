/* core/common/curl_util.c: a Retry-After value (delay-seconds or an
 * HTTP-date, through curl_getdate) and the capped response body fed in
 * pieces.  Byte 0: the body's cap (x 64 bytes); byte 1: the size of each
 * piece; the rest: the header value and the body. */
#include <stdlib.h>
#include <string.h>

#include "curl_util.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t cap = (size_t)data[0] * 64, piece = (size_t)data[1] + 1;
    data += 2;
    size -= 2;
    char *value = malloc(size + 1);
    if (!value)
        return 0;
    memcpy(value, data, size);
    value[size] = '\0';
    ad_retry_after_secs(value, (time_t)1767225600); /* 2026-01-01 */
    free(value);
    struct ad_body b = {.max = cap};
    for (size_t off = 0; off < size; off += piece) {
        size_t n = size - off < piece ? size - off : piece;
        if (ad_body_write((char *)(uintptr_t)(data + off), 1, n, &b) != n)
            break;
    }
    size_t len = 0;
    char *body = ad_body_take(&b, &len);
    if (body && strlen(body) > len)
        abort(); /* the body is NUL-terminated at LEN (or holds a NUL of its own) */
    free(body);
    ad_body_clear(&b);
    return 0;
}

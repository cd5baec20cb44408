#include "curl_util.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define AD_RETRY_AFTER_MAX 86400L

size_t ad_body_write(char *ptr, size_t size, size_t nmemb, void *body)
{
    struct ad_body *b = body;
    size_t n = size * nmemb;
    if (n > b->max || b->len > b->max - n) {
        b->too_big = true;
        return 0; /* curl ends the transfer with CURLE_WRITE_ERROR */
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (cap > b->max + 1)
            cap = b->max + 1;
        char *p = realloc(b->data, cap);
        if (!p) {
            b->nomem = true;
            return 0;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

char *ad_body_take(struct ad_body *b, size_t *len)
{
    char *p = b->data ? b->data : calloc(1, 1);
    *len = b->data ? b->len : 0;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void ad_body_clear(struct ad_body *b)
{
    if (b->data)
        memset(b->data, 0, b->cap);
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->too_big = b->nomem = false;
}

long ad_retry_after_secs(const char *value, time_t now)
{
    const char *s = value;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s >= '0' && *s <= '9') {
        long v = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (*s++ - '0');
            if (v > AD_RETRY_AFTER_MAX)
                v = AD_RETRY_AFTER_MAX;
        }
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
            s++;
        return *s ? -1 : v;
    }
    time_t when = curl_getdate(s, &now);
    if (when == (time_t)-1 || !*s)
        return -1;
    if (when <= now)
        return 0;
    return when - now > AD_RETRY_AFTER_MAX ? AD_RETRY_AFTER_MAX : (long)(when - now);
}

bool ad_curl_transient(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

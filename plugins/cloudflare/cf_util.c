#include "cf_util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool host_is_loopback(const char *host)
{
    if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0)
        return true;
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    size_t n = strlen(host);
    if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
        char inner[64];
        if (n - 2 >= sizeof(inner))
            return false;
        memcpy(inner, host + 1, n - 2);
        inner[n - 2] = '\0';
        struct in6_addr a6;
        if (inet_pton(AF_INET6, inner, &a6) == 1)
            return IN6_IS_ADDR_LOOPBACK(&a6);
    }
    return false;
}

bool ad_cf_url_ok(const char *url, char *why, size_t whylen)
{
    bool ok = false;
    char *scheme = NULL, *host = NULL, *user = NULL, *query = NULL, *frag = NULL;
    CURLU *u = curl_url();
    if (!u) {
        snprintf(why, whylen, "out of memory");
        return false;
    }
    if (strlen(url) > 2048 || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        snprintf(why, whylen, "not a valid URL");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        snprintf(why, whylen, "URL without scheme or host");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
        snprintf(why, whylen, "user information in the URL is not allowed");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK) {
        snprintf(why, whylen, "a query or fragment in the URL is not allowed");
        goto out;
    }
    if (strcasecmp(scheme, "https") == 0) {
        ok = true;
    } else if (strcasecmp(scheme, "http") == 0) {
        if (host_is_loopback(host))
            ok = true;
        else
            snprintf(why, whylen, "plain http:// is only allowed for loopback addresses; use https://");
    } else {
        snprintf(why, whylen, "scheme %s is not supported; use https://", scheme);
    }
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(query);
    curl_free(frag);
    curl_url_cleanup(u);
    return ok;
}

char *ad_cf_txt_quote(const char *value)
{
    size_t n = strlen(value);
    if (n > 255)
        return NULL;
    char *out = malloc(2 * n + 3);
    if (!out)
        return NULL;
    char *p = out;
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (value[i] == '"' || value[i] == '\\')
            *p++ = '\\';
        *p++ = value[i];
    }
    *p++ = '"';
    *p = '\0';
    return out;
}

/* Decode CONTENT into OUT (the concatenation of its character-strings).
 * Unquoted content is taken as is.  Returns false when malformed or too long. */
static bool txt_decode(const char *content, char *out, size_t outlen)
{
    size_t o = 0;
    const char *p = content;
    while (*p == ' ')
        p++;
    if (*p != '"') {
        size_t n = strlen(content);
        if (n >= outlen)
            return false;
        memcpy(out, content, n + 1);
        return true;
    }
    while (*p) {
        if (*p == ' ') {
            p++;
            continue;
        }
        if (*p != '"')
            return false;
        p++;
        while (*p && *p != '"') {
            char c = *p++;
            if (c == '\\') {
                if (!*p)
                    return false;
                if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
                    isdigit((unsigned char)p[2])) {
                    int v = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
                    if (v > 255)
                        return false;
                    c = (char)v;
                    p += 3;
                } else {
                    c = *p++;
                }
            }
            if (o + 1 >= outlen)
                return false;
            out[o++] = c;
        }
        if (*p != '"')
            return false;
        p++;
    }
    out[o] = '\0';
    return true;
}

bool ad_cf_txt_matches(const char *content, const char *value)
{
    char buf[4096];
    if (!content || !value || !txt_decode(content, buf, sizeof(buf)))
        return false;
    return strcmp(buf, value) == 0;
}

void ad_cf_trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

bool ad_cf_secret_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 1024)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

bool ad_cf_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > AD_CF_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return false;
    return true;
}

void ad_cf_sanitize(char *dst, size_t dstlen, const char *src)
{
    if (dstlen == 0)
        return;
    size_t i = 0;
    for (; src && src[i] && i + 1 < dstlen; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    dst[i] = '\0';
}

bool ad_cf_data_split(const char *data, char zone[AD_CF_ID_MAX + 1], char rec[AD_CF_ID_MAX + 1])
{
    const char *slash = strchr(data, '/');
    if (!slash)
        return false;
    size_t zl = (size_t)(slash - data), rl = strlen(slash + 1);
    if (zl == 0 || zl > AD_CF_ID_MAX || rl == 0 || rl > AD_CF_ID_MAX)
        return false;
    memcpy(zone, data, zl);
    zone[zl] = '\0';
    memcpy(rec, slash + 1, rl + 1);
    return ad_cf_id_ok(zone) && ad_cf_id_ok(rec);
}

uint64_t ad_cf_backoff_ms(unsigned n, unsigned jitter)
{
    if (n == 0)
        n = 1;
    uint64_t base = n > 6 ? 8000 : 250u << (n - 1);
    if (base > 8000)
        base = 8000;
    return base + base * (jitter % 1000) / 4000;
}

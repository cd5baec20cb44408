/* URLs, proxies from the environment, no_proxy, Retry-After. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_internal.h"
#include "util.h"

void ad_url_clear(struct ad_url *u)
{
    free(u->host);
    free(u->authority);
    free(u->path);
    free(u->origin);
    memset(u, 0, sizeof *u);
}

/* Port digits [P, END): 1..65535. */
static bool parse_port(const char *p, const char *end, unsigned *port)
{
    unsigned long v = 0;
    if (p == end || end - p > 5)
        return false;
    for (; p < end; p++) {
        if (!isdigit((unsigned char)*p))
            return false;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v < 1 || v > 65535)
        return false;
    *port = (unsigned)v;
    return true;
}

static bool host_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

/* Split an authority [A, END) into host and port; DEF when there is no port. */
static bool split_hostport(const char *a, const char *end, unsigned def, char **host, unsigned *port, bool *is_ip,
                           const char **why)
{
    const char *hs, *he, *colon;
    *is_ip = false;
    if (end <= a) {
        *why = "no host name";
        return false;
    }
    if (*a == '[') {
        hs = a + 1;
        he = memchr(hs, ']', (size_t)(end - hs));
        if (!he) {
            *why = "unterminated IPv6 literal";
            return false;
        }
        colon = he + 1 < end ? he + 1 : NULL;
        if (colon && *colon != ':') {
            *why = "junk after the IPv6 literal";
            return false;
        }
        *is_ip = true;
    } else {
        hs = a;
        colon = memchr(a, ':', (size_t)(end - a));
        he = colon ? colon : end;
    }
    if (he == hs) {
        *why = "no host name";
        return false;
    }
    if ((size_t)(he - hs) > AD_HTTP_HOST_MAX) {
        *why = "host name too long";
        return false;
    }
    *port = def;
    if (colon && colon + 1 < end && !parse_port(colon + 1, end, port)) {
        *why = "bad port number";
        return false;
    }
    if (!(*host = ad_strndup(hs, (size_t)(he - hs)))) {
        *why = "out of memory";
        return false;
    }
    unsigned char buf[16];
    if (*is_ip) {
        if (inet_pton(AF_INET6, *host, buf) != 1) {
            *why = "bad IPv6 literal";
            goto bad;
        }
    } else {
        for (const char *c = *host; *c; c++)
            if (!host_char(*c)) {
                *why = "bad character in the host name";
                goto bad;
            }
        *is_ip = inet_pton(AF_INET, *host, buf) == 1;
    }
    ad_lower(*host);
    return true;
bad:
    free(*host);
    *host = NULL;
    return false;
}

bool ad_url_parse(const char *url, struct ad_url *out, const char **why)
{
    memset(out, 0, sizeof *out);
    if (strncmp(url, "https://", 8) != 0) {
        *why = "not an https:// URL";
        return false;
    }
    const char *a = url + 8;
    size_t alen = strcspn(a, "/?#");
    const char *rest = a + alen;
    if (memchr(a, '@', alen)) {
        *why = "user names in URLs are not supported";
        return false;
    }
    if (!split_hostport(a, rest, 443, &out->host, &out->port, &out->is_ip, why))
        return false;
    size_t plen = strcspn(rest, "#");
    for (size_t i = 0; i < plen; i++)
        if ((unsigned char)rest[i] <= 0x20 || rest[i] == 0x7f) {
            *why = "blank or control character in the path";
            goto bad;
        }
    if (plen == 0)
        out->path = strdup("/");
    else if (rest[0] == '?')
        out->path = ad_asprintf("/%.*s", (int)plen, rest);
    else
        out->path = ad_strndup(rest, plen);
    bool v6 = strchr(out->host, ':') != NULL;
    if (out->port == 443)
        out->authority = ad_asprintf(v6 ? "[%s]" : "%s", out->host);
    else
        out->authority = ad_asprintf(v6 ? "[%s]:%u" : "%s:%u", out->host, out->port);
    out->origin = ad_asprintf(v6 ? "[%s]:%u" : "%s:%u", out->host, out->port);
    if (!out->path || !out->authority || !out->origin) {
        *why = "out of memory";
        goto bad;
    }
    return true;
bad:
    ad_url_clear(out);
    return false;
}

void ad_proxy_clear(struct ad_proxy *p)
{
    free(p->host);
    if (p->auth) {
        explicit_bzero(p->auth, strlen(p->auth));
        free(p->auth);
    }
    memset(p, 0, sizeof *p);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode [S, S+N) into a new string; NULL when malformed or out of memory. */
static char *pct_decode(const char *s, size_t n)
{
    char *d = malloc(n + 1), *o = d;
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int h, l;
            if (i + 2 >= n || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0 || (h == 0 && l == 0)) {
                explicit_bzero(d, n + 1);
                free(d);
                return NULL;
            }
            *o++ = (char)(h * 16 + l);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return d;
}

bool ad_proxy_parse(const char *value, struct ad_proxy *out, const char **why)
{
    memset(out, 0, sizeof *out);
    const char *p = value;
    const char *sep = strstr(p, "://");
    if (sep) {
        if ((size_t)(sep - p) != 4 || strncasecmp(p, "http", 4) != 0) {
            *why = "only http:// proxies are supported";
            return false;
        }
        p = sep + 3;
    }
    size_t alen = strcspn(p, "/?#");
    const char *end = p + alen;
    if (end[0] == '?' || end[0] == '#' || (end[0] == '/' && end[1] != '\0')) {
        *why = "a proxy URL has no path";
        return false;
    }
    const char *at = NULL;
    for (const char *c = p; c < end; c++)
        if (*c == '@')
            at = c;
    if (at) {
        if (!memchr(p, ':', (size_t)(at - p))) {
            /* "user@host": an empty password, as curl does. */
            char *u = pct_decode(p, (size_t)(at - p));
            out->auth = u ? ad_asprintf("%s:", u) : NULL;
            if (u) {
                explicit_bzero(u, strlen(u));
                free(u);
            }
        } else {
            const char *colon = memchr(p, ':', (size_t)(at - p));
            char *u = pct_decode(p, (size_t)(colon - p));
            char *w = pct_decode(colon + 1, (size_t)(at - colon - 1));
            out->auth = u && w ? ad_asprintf("%s:%s", u, w) : NULL;
            if (u) {
                explicit_bzero(u, strlen(u));
                free(u);
            }
            if (w) {
                explicit_bzero(w, strlen(w));
                free(w);
            }
        }
        if (!out->auth) {
            *why = "bad user name or password in the proxy URL";
            return false;
        }
        p = at + 1;
    }
    bool is_ip;
    if (!split_hostport(p, end, 1080, &out->host, &out->port, &is_ip, why)) {
        ad_proxy_clear(out);
        return false;
    }
    return true;
}

/* Case-insensitive comparison of [A, A+N) with the string B. */
static bool eq_n(const char *a, size_t n, const char *b)
{
    return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

bool ad_no_proxy_match(const char *list, const char *host, bool is_ip)
{
    if (!list)
        return false;
    size_t hlen = strlen(host);
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *e = p, *ee = p + n;
        while (e < ee && (*e == ' ' || *e == '\t'))
            e++;
        while (ee > e && (ee[-1] == ' ' || ee[-1] == '\t'))
            ee--;
        size_t el = (size_t)(ee - e);
        if (el == 1 && *e == '*')
            return true;
        if (el >= 2 && e[0] == '[' && ee[-1] == ']') {
            e++;
            el -= 2;
        }
        if (is_ip) {
            if (el && eq_n(e, el, host))
                return true;
        } else {
            if (el && *e == '.') {
                e++;
                el--;
            }
            if (el && el <= hlen && strncasecmp(host + hlen - el, e, el) == 0 &&
                (el == hlen || host[hlen - el - 1] == '.'))
                return true;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

static int month_of(const char *m)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 12; i++)
        if (strncmp(names + 3 * i, m, 3) == 0)
            return i;
    return -1;
}

static bool valid_tm(const struct tm *t)
{
    return t->tm_mday >= 1 && t->tm_mday <= 31 && t->tm_hour <= 23 && t->tm_min <= 59 && t->tm_sec <= 60 &&
           t->tm_year >= 70 && t->tm_year < 8000;
}

/* Parse an HTTP-date (RFC 9110 5.6.7) into *OUT. */
static bool http_date(const char *v, time_t *out)
{
    struct tm t;
    char wk[16], mon[4], zone[4];
    int d, y, H, M, S, n = 0;
    memset(&t, 0, sizeof t);
    /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
    if (sscanf(v, "%3[A-Za-z], %2d %3s %4d %2d:%2d:%2d %3s%n", wk, &d, mon, &y, &H, &M, &S, zone, &n) == 8 &&
        v[n] == '\0' && strcmp(zone, "GMT") == 0) {
        t.tm_year = y - 1900;
    } else if (n = 0, sscanf(v, "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d %3s%n", wk, &d, mon, &y, &H, &M, &S, zone,
                             &n) == 8 &&
               v[n] == '\0' && strcmp(zone, "GMT") == 0) {
        /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
        t.tm_year = y < 70 ? y + 100 : y;
    } else if (n = 0, sscanf(v, "%3[A-Za-z] %3s %2d %2d:%2d:%2d %4d%n", wk, mon, &d, &H, &M, &S, &y, &n) == 7 &&
               v[n] == '\0') {
        /* asctime: Sun Nov  6 08:49:37 1994 */
        t.tm_year = y - 1900;
    } else {
        return false;
    }
    if ((t.tm_mon = month_of(mon)) < 0)
        return false;
    t.tm_mday = d;
    t.tm_hour = H;
    t.tm_min = M;
    t.tm_sec = S;
    if (!valid_tm(&t))
        return false;
    *out = timegm(&t);
    return *out != (time_t)-1;
}

long ad_retry_after_parse(const char *value, time_t now)
{
    const char *v = value;
    while (*v == ' ' || *v == '\t')
        v++;
    if (isdigit((unsigned char)*v)) {
        long s = 0;
        for (; isdigit((unsigned char)*v); v++) {
            if (s > 100000000L)
                return -1;
            s = s * 10 + (*v - '0');
        }
        while (*v == ' ' || *v == '\t')
            v++;
        return *v ? -1 : s;
    }
    time_t t;
    if (!http_date(v, &t))
        return -1;
    return t > now ? (long)(t - now) : 0;
}

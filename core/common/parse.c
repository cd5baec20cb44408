#include "parse.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

bool ad_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (d > max || v > (max - d) / 10)
            return false; /* above MAX, and no overflow */
        v = v * 10 + d;
    }
    if (v < min)
        return false;
    *out = v;
    return true;
}

bool ad_only_blanks(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

bool ad_parse_port(const char *s, unsigned *port)
{
    unsigned long v;
    if (!ad_parse_uint(s, 1, 65535, &v))
        return false;
    *port = (unsigned)v;
    return true;
}

bool ad_hostport_split(const char *spec, char *host, size_t hostlen, unsigned def_port,
                       unsigned *port)
{
    const char *h = spec, *p = NULL;
    size_t hl = strlen(spec);
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close)
            return false;
        h = spec + 1;
        hl = (size_t)(close - h);
        if (close[1] == ':')
            p = close + 2;
        else if (close[1] != '\0')
            return false;
    } else {
        const char *colon = strchr(spec, ':');
        if (colon && !strchr(colon + 1, ':')) { /* two colons or more: bare IPv6 */
            hl = (size_t)(colon - spec);
            p = colon + 1;
        }
    }
    if (hl == 0 || hl >= hostlen || strcspn(h, " \t/[]") < hl)
        return false;
    *port = def_port;
    if (p && !ad_parse_port(p, port))
        return false;
    memcpy(host, h, hl);
    host[hl] = '\0';
    return true;
}

ad_status ad_addr_parse(const char *spec, struct sockaddr_storage *sa, socklen_t *len)
{
    char host[INET6_ADDRSTRLEN + 64];
    unsigned port;
    struct in_addr a4;
    if (!spec || !ad_hostport_split(spec, host, sizeof host, 53, &port))
        return AD_ERR_USAGE;
    memset(sa, 0, sizeof *sa);
    if (spec[0] != '[' && !strchr(host, ':')) { /* inet_pton: no "127.1" shorthand */
        struct sockaddr_in *in = (struct sockaddr_in *)sa;
        if (inet_pton(AF_INET, host, &a4) != 1)
            return AD_ERR_USAGE;
        in->sin_family = AF_INET;
        in->sin_addr = a4;
        *len = sizeof *in;
    } else { /* getaddrinfo, for the "%scope" suffix */
        struct addrinfo hints, *res = NULL;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_INET6;
        hints.ai_socktype = SOCK_DGRAM;
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
        if (getaddrinfo(host, "53", &hints, &res) != 0 || !res)
            return AD_ERR_USAGE;
        bool ok = res->ai_family == AF_INET6 && res->ai_addrlen <= sizeof *sa;
        if (ok) {
            memcpy(sa, res->ai_addr, res->ai_addrlen);
            *len = (socklen_t)res->ai_addrlen;
        }
        freeaddrinfo(res);
        if (!ok)
            return AD_ERR_USAGE;
    }
    ad_addr_set_port(sa, port);
    return AD_OK;
}

void ad_addr_str(const struct sockaddr *sa, char *buf, size_t size)
{
    char host[INET6_ADDRSTRLEN + 32] = "?";
    unsigned port = 53;
    if (size == 0)
        return;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (getnameinfo(sa, sizeof *in6, host, sizeof host, NULL, 0, NI_NUMERICHOST) != 0)
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
    }
    if (port == 53)
        snprintf(buf, size, "%s", host);
    else
        snprintf(buf, size, sa->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
}

bool ad_addr_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
        return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return false;
}

void ad_addr_set_port(struct sockaddr_storage *sa, unsigned port)
{
    if (sa->ss_family == AF_INET)
        ((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
    else if (sa->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
}

ad_status ad_name_normalize(const char *in, char *out, size_t size)
{
    if (!in || !out || size <= AD_NAME_MAX)
        return AD_ERR_INTERNAL;
    size_t n = strnlen(in, AD_NAME_MAX + 2), label = 0;
    if (n > 0 && in[n - 1] == '.')
        n--;
    if (n == 0 || n > AD_NAME_MAX)
        return AD_ERR_USAGE;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*';
        if (c == '.' ? label == 0 : !ok || ++label > 63)
            return AD_ERR_USAGE;
        if (c == '.')
            label = 0;
        out[i] = c;
    }
    if (label == 0)
        return AD_ERR_USAGE;
    out[n] = '\0';
    return AD_OK;
}

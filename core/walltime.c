#define _XOPEN_SOURCE 700 /* strptime */
#include "walltime.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t ad_wall_now(void)
{
    return (int64_t)time(NULL);
}

bool ad_rfc3339_parse(const char *s, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!s || strlen(s) > 64)
        return false;
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p || p - s != 19) /* strptime is lenient: four-digit years, two-digit fields only */
        return false;
    if (*p == '.') {
        const char *q = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == q)
            return false;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[1] >= '0' && p[1] <= '2' && p[2] >= '0' &&
               p[2] <= '9' && p[3] == ':' && p[4] >= '0' && p[4] <= '5' && p[5] >= '0' && p[5] <= '9') {
        offset = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600L + ((p[4] - '0') * 10 + (p[5] - '0')) * 60L;
        if (*p == '-')
            offset = -offset;
        p += 6;
    } else {
        return false;
    }
    if (*p)
        return false;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_yday == 364))
        return false;
    /* From 1970 to the end of year 9999: what ad_rfc3339_format writes back as the same text. */
    int64_t v = (int64_t)t - offset;
    if (v < 0 || v > INT64_C(253402300799))
        return false;
    *out = v;
    return true;
}

void ad_rfc3339_format(int64_t t, char *buf, size_t size)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "@%lld", (long long)t);
}

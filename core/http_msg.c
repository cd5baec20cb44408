/* Response pieces shared by HTTP/1.1 and HTTP/2: kept headers, bounded
 * bodies, HTTP/1.x status and header lines, the chunked coding. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_internal.h"
#include "util.h"

void ad_http_job_fail(struct ad_http_job *j, enum ad_http_fail kind, const char *fmt, ...)
{
    if (j->fail != AD_HF_NONE)
        return;
    j->fail = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->why, sizeof j->why, fmt, ap);
    va_end(ap);
}

static bool name_is(const char *name, size_t nlen, const char *want)
{
    return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

bool ad_http_keep_header(struct ad_http_response *r, const char *name, size_t nlen, const char *value, size_t vlen)
{
    char **slot = NULL;
    if (name_is(name, nlen, "location"))
        slot = &r->location;
    else if (name_is(name, nlen, "replay-nonce"))
        slot = &r->nonce;
    else if (name_is(name, nlen, "content-type"))
        slot = &r->content_type;
    else if (!name_is(name, nlen, "retry-after"))
        return true;
    char *v = ad_strndup(value, vlen);
    if (!v)
        return false;
    if (slot) {
        free(*slot);
        *slot = v;
        return true;
    }
    long s = ad_retry_after_parse(v, time(NULL));
    if (s >= 0)
        r->retry_after = s;
    free(v);
    return true;
}

enum ad_body_rc ad_http_body_add(struct ad_http_response *r, size_t *cap, const char *p, size_t n)
{
    if (n > AD_HTTP_BODY_MAX || r->len + n > AD_HTTP_BODY_MAX)
        return AD_BODY_BIG;
    if (!r->body || r->len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < r->len + n + 1)
            c *= 2;
        char *b = realloc(r->body, c);
        if (!b)
            return AD_BODY_NOMEM;
        r->body = b;
        *cap = c;
    }
    if (n)
        memcpy(r->body + r->len, p, n);
    r->len += n;
    r->body[r->len] = '\0';
    return AD_BODY_OK;
}

bool ad_http1_status_line(const char *line, size_t len, int *minor, long *status)
{
    /* HTTP/1.x SSS[ reason] */
    if (len < 12 || strncmp(line, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)line[7]) || line[8] != ' ')
        return false;
    for (int i = 9; i < 12; i++)
        if (!isdigit((unsigned char)line[i]))
            return false;
    if (len > 12 && line[12] != ' ')
        return false;
    *minor = line[7] - '0';
    *status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    return *status >= 100 && *status <= 599;
}

static bool token_char(char c)
{
    return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool ad_http1_header_split(const char *line, size_t len, const char **name, size_t *nlen, const char **value,
                           size_t *vlen)
{
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return false;
    for (const char *c = line; c < colon; c++)
        if (!token_char(*c))
            return false;
    const char *v = colon + 1, *e = line + len;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    for (const char *c = v; c < e; c++)
        if (*c == '\0' || *c == '\r' || *c == '\n')
            return false;
    *name = line;
    *nlen = (size_t)(colon - line);
    *value = v;
    *vlen = (size_t)(e - v);
    return true;
}

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_TRAILER_LF, CH_DONE };

enum ad_chunked_rc ad_chunked_feed(struct ad_chunked *c, const char *in, size_t len, size_t *used,
                                   struct ad_http_response *r, size_t *cap, const char **why)
{
    size_t i = 0;
    enum ad_chunked_rc rc = AD_CHUNKED_MORE;
    while (i < len && c->state != CH_DONE) {
        char ch = in[i];
        switch (c->state) {
        case CH_SIZE: {
            int h = -1;
            if (isdigit((unsigned char)ch))
                h = ch - '0';
            else if (isxdigit((unsigned char)ch))
                h = tolower((unsigned char)ch) - 'a' + 10;
            if (h >= 0) {
                if (c->left > (UINT64_C(1) << 40)) {
                    *why = "chunk size too large";
                    rc = AD_CHUNKED_BAD;
                    goto out;
                }
                c->left = c->left * 16 + (uint64_t)h;
                c->digits = true;
            } else if (c->digits && (ch == ';' || ch == ' ' || ch == '\t')) {
                c->state = CH_EXT;
            } else if (c->digits && ch == '\r') {
                c->state = CH_SIZE_LF;
            } else if (c->digits && ch == '\n') {
                goto size_done;
            } else {
                *why = "malformed chunk size";
                rc = AD_CHUNKED_BAD;
                goto out;
            }
            if (++c->line > AD_HTTP_LINE_MAX) {
                *why = "chunk size line too long";
                rc = AD_CHUNKED_BAD;
                goto out;
            }
            i++;
            break;
        }
        case CH_EXT:
            /* Chunk extensions are ignored. */
            if (ch == '\r')
                c->state = CH_SIZE_LF;
            else if (ch == '\n')
                goto size_done;
            if (++c->line > AD_HTTP_LINE_MAX) {
                *why = "chunk size line too long";
                rc = AD_CHUNKED_BAD;
                goto out;
            }
            i++;
            break;
        case CH_SIZE_LF:
            if (ch != '\n') {
                *why = "malformed chunk size line";
                rc = AD_CHUNKED_BAD;
                goto out;
            }
        size_done:
            i++;
            c->line = 0;
            c->digits = false;
            c->state = c->left ? CH_DATA : CH_TRAILER;
            break;
        case CH_DATA: {
            size_t n = len - i;
            if (n > c->left)
                n = (size_t)c->left;
            enum ad_body_rc b = ad_http_body_add(r, cap, in + i, n);
            if (b != AD_BODY_OK) {
                rc = b == AD_BODY_BIG ? AD_CHUNKED_BIG : AD_CHUNKED_NOMEM;
                goto out;
            }
            i += n;
            c->left -= n;
            if (!c->left)
                c->state = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
            if (ch == '\r') {
                c->state = CH_DATA_LF;
                i++;
                break;
            }
            /* a bare LF */
            /* fall through */
        case CH_DATA_LF:
            if (ch != '\n') {
                *why = "chunk data not followed by a line end";
                rc = AD_CHUNKED_BAD;
                goto out;
            }
            i++;
            c->state = CH_SIZE;
            break;
        case CH_TRAILER:
            /* Trailer fields up to an empty line; ignored. */
            if (++c->trailer > AD_HTTP_HEAD_MAX) {
                *why = "chunked trailer too long";
                rc = AD_CHUNKED_BAD;
                goto out;
            }
            if (ch == '\n' || (ch == '\r' && c->line == 0)) {
                if (ch == '\r') {
                    c->state = CH_TRAILER_LF;
                } else if (c->line == 0) {
                    c->state = CH_DONE;
                }
                c->line = 0;
            } else if (ch != '\r') {
                c->line++;
            }
            i++;
            break;
        case CH_TRAILER_LF:
            if (ch != '\n') {
                *why = "malformed chunked trailer";
                rc = AD_CHUNKED_BAD;
                goto out;
            }
            i++;
            c->state = CH_DONE;
            break;
        }
    }
    if (c->state == CH_DONE)
        rc = AD_CHUNKED_DONE;
out:
    *used = i;
    return rc;
}

#include "hook_tail.h"

#include <string.h>

void hook_tail_add(struct hook_tail *t, const char *p, size_t n)
{
    if (n >= sizeof t->buf) {
        memcpy(t->buf, p + (n - sizeof t->buf), sizeof t->buf);
        t->len = sizeof t->buf;
        t->truncated = true;
        return;
    }
    if (t->len + n > sizeof t->buf) {
        size_t drop = t->len + n - sizeof t->buf;
        memmove(t->buf, t->buf + drop, t->len - drop);
        t->len -= drop;
        t->truncated = true;
    }
    memcpy(t->buf + t->len, p, n);
    t->len += n;
}

/* The line at T->buf[*I] (up to '\n', without a '\r' before it), control
 * characters shown as '?', into LINE; *I moves past it.  Returns its length. */
static size_t next_line(const struct hook_tail *t, size_t *i, char *line)
{
    size_t from = *i, end = from, n = 0;
    while (end < t->len && t->buf[end] != '\n')
        end++;
    *i = end + 1;
    if (end > from && t->buf[end - 1] == '\r')
        end--;
    for (size_t k = from; k < end; k++) {
        unsigned char c = (unsigned char)t->buf[k];
        line[n++] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
    }
    line[n] = '\0';
    return n;
}

void hook_tail_log(const struct ad_host *host, enum ad_log_level level, const char *what, const struct hook_tail *t)
{
    size_t start = 0, i, lines = 0, skip;
    char line[HOOK_TAIL_MAX + 1];
    if (t->len == 0)
        return;
    if (t->truncated) { /* skip the partial first line */
        while (start < t->len && t->buf[start] != '\n')
            start++;
        if (start < t->len)
            start++;
    }
    for (i = start; i < t->len;)
        lines += next_line(t, &i, line) > 0;
    skip = lines > HOOK_TAIL_LINES ? lines - HOOK_TAIL_LINES : 0;
    if (t->truncated || skip)
        host->log(host->ctx, level, "%s (last %zu line%s of it):", what, lines - skip, lines - skip == 1 ? "" : "s");
    for (i = start; i < t->len;) {
        if (next_line(t, &i, line) == 0 || (skip && skip--))
            continue;
        host->log(host->ctx, level, "%s: %s", what, line);
    }
}

static bool is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

size_t hook_output_text(const char *buf, size_t len, char *out, size_t size)
{
    size_t n = 0, end = 0;
    const char *nul = memchr(buf, '\0', len);
    if (nul)
        len = (size_t)(nul - buf);
    while (len > 0 && is_space((unsigned char)*buf))
        buf++, len--;
    for (size_t i = 0; i < len && n + 1 < size; i++) {
        char c = buf[i];
        if (c == '\r') {
            if (i + 1 < len && buf[i + 1] == '\n')
                i++;
            c = '\n';
        }
        out[n++] = c;
        if (!is_space((unsigned char)c))
            end = n;
    }
    out[end] = '\0';
    return end;
}

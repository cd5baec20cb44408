#include "ini.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

struct ad_ini_entry {
    char key[AD_INI_KEY_MAX + 1];
    char *value; /* owned */
    size_t len;
    unsigned line;
};

struct ad_ini {
    struct ad_ini_entry e[AD_INI_MAX_KEYS];
    size_t n;
};

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == ':';
}

void ad_ini_free(struct ad_ini *ini)
{
    if (!ini)
        return;
    for (size_t i = 0; i < ini->n; i++) {
        OPENSSL_cleanse(ini->e[i].value, ini->e[i].len);
        free(ini->e[i].value);
    }
    free(ini);
}

/* One line P..END (no '\n'), number LINE, into INI. */
static ad_status parse_line(struct ad_ini *ini, const char *source, const char *p, const char *end, unsigned line,
                            char *err, size_t errlen)
{
    const char *k, *ke, *v, *ve;
    while (p < end && blank(*p))
        p++;
    while (end > p && blank(end[-1]))
        end--;
    if (p == end || *p == '#')
        return AD_OK;
    if (*p == '[') {
        snprintf(err, errlen, "%s line %u: sections ([...]) are not read: put the keys at the top of the file",
                 source, line);
        return AD_ERR_CONFIG;
    }
    for (k = p; p < end && key_char(*p); p++)
        ;
    ke = p;
    while (p < end && blank(*p))
        p++;
    if (ke == k || p == end || *p != '=') {
        snprintf(err, errlen, "%s line %u is not \"key = value\"", source, line);
        return AD_ERR_CONFIG;
    }
    if ((size_t)(ke - k) > AD_INI_KEY_MAX) {
        snprintf(err, errlen, "%s line %u: the key is longer than %d characters", source, line, AD_INI_KEY_MAX);
        return AD_ERR_CONFIG;
    }
    for (p++; p < end && blank(*p); p++)
        ;
    if (p < end && (*p == '"' || *p == '\'')) {
        char q = *p++;
        v = p;
        while (p < end && *p != q)
            p++;
        if (p == end) {
            snprintf(err, errlen, "%s line %u: the value's closing quote (%c) is missing", source, line, q);
            return AD_ERR_CONFIG;
        }
        ve = p++;
        while (p < end && blank(*p))
            p++;
        if (p < end && *p != '#') {
            snprintf(err, errlen, "%s line %u: text after the value's closing quote", source, line);
            return AD_ERR_CONFIG;
        }
    } else {
        v = p;
        while (p < end && *p != '#')
            p++;
        ve = p;
        while (ve > v && blank(ve[-1]))
            ve--;
    }
    for (size_t i = 0; i < ini->n; i++)
        if (strlen(ini->e[i].key) == (size_t)(ke - k) && memcmp(ini->e[i].key, k, (size_t)(ke - k)) == 0) {
            snprintf(err, errlen, "%s line %u: its key is given twice (first on line %u)", source, line,
                     ini->e[i].line);
            return AD_ERR_CONFIG;
        }
    if (ini->n == AD_INI_MAX_KEYS) {
        snprintf(err, errlen, "%s line %u: more than %d keys", source, line, AD_INI_MAX_KEYS);
        return AD_ERR_CONFIG;
    }
    struct ad_ini_entry *e = &ini->e[ini->n];
    memcpy(e->key, k, (size_t)(ke - k));
    e->key[ke - k] = '\0';
    e->len = (size_t)(ve - v);
    if (!(e->value = malloc(e->len + 1)))
        return AD_ERR_NOMEM;
    memcpy(e->value, v, e->len);
    e->value[e->len] = '\0';
    e->line = line;
    ini->n++;
    return AD_OK;
}

ad_status ad_ini_parse(const char *source, const char *buf, size_t len, struct ad_ini **out, char *err,
                       size_t errlen)
{
    struct ad_ini *ini = calloc(1, sizeof *ini);
    const char *p = buf, *end = buf + len;
    unsigned line = 1;
    ad_status rc = AD_OK;
    if (!ini)
        return AD_ERR_NOMEM;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end && rc == AD_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
        if (memchr(p, '\0', (size_t)(le - p))) {
            snprintf(err, errlen, "%s line %u holds a NUL byte: it is not a text file", source, line);
            rc = AD_ERR_CONFIG;
            break;
        }
        rc = parse_line(ini, source, p, le, line, err, errlen);
        p = nl ? nl + 1 : end;
        line++;
    }
    if (rc != AD_OK) {
        ad_ini_free(ini);
        return rc;
    }
    *out = ini;
    return AD_OK;
}

const char *ad_ini_get(const struct ad_ini *ini, const char *key)
{
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->e[i].key, key) == 0)
            return ini->e[i].value;
    return NULL;
}

size_t ad_ini_count(const struct ad_ini *ini)
{
    return ini->n;
}

const char *ad_ini_key(const struct ad_ini *ini, size_t i, unsigned *line)
{
    if (line)
        *line = ini->e[i].line;
    return ini->e[i].key;
}

void ad_ini_unknown_keys(const struct ad_ini *ini, const char *source, const char *what, const char *const *known,
                         void (*warn)(void *ctx, const char *message), void *ctx)
{
    char msg[600];
    for (size_t i = 0; i < ini->n; i++) {
        const char *k = ini->e[i].key;
        bool ok = false;
        for (const char *const *w = known; *w && !ok; w++)
            ok = strcmp(k, *w) == 0;
        if (ok)
            continue;
        if (strncmp(k, "dns_", 4) == 0 && strlen(k) <= 40)
            snprintf(msg, sizeof msg, "%s line %u: %s is not a key of %s: ignored", source, ini->e[i].line, k, what);
        else
            snprintf(msg, sizeof msg, "%s line %u: not a key of %s: ignored", source, ini->e[i].line, what);
        warn(ctx, msg);
    }
}

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AD_LOG_LINE_MAX 8192
#define AD_LOG_SECRETS_MAX 64

static int verbosity = 1;
static char *secrets[AD_LOG_SECRETS_MAX];
static size_t nsecrets;

void ad_log_set_verbosity(int v)
{
    verbosity = v;
}

int ad_log_verbosity(void)
{
    return verbosity;
}

void ad_log_add_secret(const char *secret)
{
    if (!secret || strlen(secret) < 4 || nsecrets >= AD_LOG_SECRETS_MAX)
        return;
    for (size_t i = 0; i < nsecrets; i++)
        if (strcmp(secrets[i], secret) == 0)
            return;
    char *copy = strdup(secret);
    if (copy)
        secrets[nsecrets++] = copy;
}

void ad_log_reset(void)
{
    for (size_t i = 0; i < nsecrets; i++)
        free(secrets[i]);
    nsecrets = 0;
}

void ad_log_redact(const char *s, char *buf, size_t size)
{
    size_t o = 0;
    if (size == 0)
        return;
    while (*s && o + 1 < size) {
        size_t hit = 0;
        for (size_t i = 0; i < nsecrets; i++) {
            size_t l = strlen(secrets[i]);
            if (strncmp(s, secrets[i], l) == 0) {
                hit = l;
                break;
            }
        }
        if (hit) {
            for (const char *r = "***"; *r && o + 1 < size; r++)
                buf[o++] = *r;
            s += hit;
        } else {
            buf[o++] = *s++;
        }
    }
    buf[o] = '\0';
}

void ad_logv(enum ad_log_level level, const char *prefix, const char *fmt, va_list ap)
{
    static const char *const tag[] = {"error: ", "warning: ", "", ""};
    int limit = verbosity <= 0 ? AD_LOG_ERROR : verbosity == 1 ? AD_LOG_INFO : AD_LOG_DEBUG;
    if ((int)level > limit)
        return;
    char raw[AD_LOG_LINE_MAX], clean[AD_LOG_LINE_MAX];
    vsnprintf(raw, sizeof raw, fmt, ap);
    size_t l = strlen(raw);
    while (l && raw[l - 1] == '\n')
        raw[--l] = '\0';
    ad_log_redact(raw, clean, sizeof clean);
    fprintf(stderr, "%s%s%s%s\n", (unsigned)level < 4 ? tag[level] : "", prefix ? prefix : "",
            prefix ? ": " : "", clean);
}

void ad_log(enum ad_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ad_logv(level, NULL, fmt, ap);
    va_end(ap);
}

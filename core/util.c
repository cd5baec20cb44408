#include "util.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t interrupted;

uint64_t ad_cpu_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

bool ad_is_interrupted(void)
{
    return interrupted != 0;
}

static void on_signal(int sig)
{
    (void)sig;
    if (interrupted < 1000)
        interrupted++;
}

unsigned ad_signal_count(void)
{
    return (unsigned)interrupted;
}

void ad_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

bool ad_sleep_ms(uint64_t ms)
{
    uint64_t end = ad_now_ms() + ms;
    while (!interrupted) {
        uint64_t now = ad_now_ms();
        if (now >= end)
            return true;
        uint64_t left = end - now;
        if (left > 50)
            left = 50;
        struct timespec ts = {(time_t)(left / 1000), (long)(left % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

char *ad_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *ad_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = malloc((size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

ad_status ad_why(char *why, size_t whysize, ad_status rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why && whysize)
        vsnprintf(why, whysize, fmt, ap);
    va_end(ap);
    return rc;
}

void ad_strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void ad_lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

const char *ad_strerror(ad_status s)
{
    switch (s) {
    case AD_OK: return "success";
    case AD_ERR_USAGE: return "bad command line";
    case AD_ERR_CONFIG: return "bad configuration";
    case AD_ERR_PLUGIN: return "provider plugin could not be loaded";
    case AD_ERR_PROVIDER: return "the DNS provider failed";
    case AD_ERR_AUTH: return "the DNS provider rejected the credentials";
    case AD_ERR_DNS: return "DNS look-up failed";
    case AD_ERR_PROPAGATION: return "records did not reach every authoritative server in time";
    case AD_ERR_ACME: return "the CA refused the request";
    case AD_ERR_VALIDATION: return "the CA could not validate a challenge";
    case AD_ERR_NETWORK: return "network error";
    case AD_ERR_PROTOCOL: return "malformed or unexpected answer";
    case AD_ERR_IO: return "file-system error";
    case AD_ERR_CRYPTO: return "key or certificate error";
    case AD_ERR_TIMEOUT: return "timed out";
    case AD_ERR_INTERRUPTED: return "interrupted";
    case AD_ERR_NOMEM: return "out of memory";
    case AD_ERR_INTERNAL: return "internal error";
    case AD_ERR_LOCKED: return "another acme-dns run holds the state folder";
    }
    return "unknown error";
}

int ad_exit_code(ad_status s)
{
    switch (s) {
    case AD_OK: return 0;
    case AD_ERR_USAGE: return 2;
    case AD_ERR_CONFIG:
    case AD_ERR_PLUGIN: return 3;
    case AD_ERR_PROVIDER:
    case AD_ERR_AUTH: return 4;
    case AD_ERR_DNS:
    case AD_ERR_PROPAGATION: return 5;
    case AD_ERR_ACME:
    case AD_ERR_VALIDATION: return 6;
    case AD_ERR_NETWORK:
    case AD_ERR_PROTOCOL:
    case AD_ERR_TIMEOUT: return 7;
    case AD_ERR_IO:
    case AD_ERR_CRYPTO: return 8;
    case AD_ERR_INTERRUPTED: return 130;
    case AD_ERR_NOMEM:
    case AD_ERR_INTERNAL: return 1;
    case AD_ERR_LOCKED: return 11;
    }
    return 1;
}

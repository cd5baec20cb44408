/* What the fuzz targets share: a plugin host whose logging formats each line
 * (so that format strings fed with network text are exercised) and drops it. */
#ifndef AD_FUZZ_H
#define AD_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "acme-dns/plugin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_log(void *ctx, enum ad_log_level level, const char *fmt, ...) AD_PRINTF(3, 4);
static void fuzz_log(void *ctx, enum ad_log_level level, const char *fmt, ...)
{
    char line[8192];
    va_list ap;
    (void)ctx;
    (void)level;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
}

static void fuzz_add_secret(void *ctx, const char *secret)
{
    (void)ctx;
    (void)secret;
}

static const struct ad_host fuzz_host = {
    .abi_version = AD_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct ad_host),
    .log = fuzz_log,
    .add_secret = fuzz_add_secret,
};

#endif

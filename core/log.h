/* Logging to stderr with secret redaction. */
#ifndef AD_LOG_H
#define AD_LOG_H

#include <stdarg.h>

#include "acme-dns/plugin.h"

/* 0 quiet (errors only), 1 normal, 2 verbose, 3 debug. */
void ad_log_set_verbosity(int verbosity);
int ad_log_verbosity(void);
/* Every later line has each occurrence of SECRET replaced by "***".
 * The string is copied.  Secrets shorter than 4 characters are ignored. */
void ad_log_add_secret(const char *secret);
/* Frees the secret list (at exit). */
void ad_log_reset(void);
/* Log one line (no trailing newline needed).  PREFIX may be NULL. */
void ad_logv(enum ad_log_level level, const char *prefix, const char *fmt, va_list ap)
    AD_PRINTF(3, 0);
void ad_log(enum ad_log_level level, const char *fmt, ...) AD_PRINTF(2, 3);
/* Write a fully redacted copy of S to BUF (always NUL-terminated). */
void ad_log_redact(const char *s, char *buf, size_t size);

#define ad_err(...) ad_log(AD_LOG_ERROR, __VA_ARGS__)
#define ad_warn(...) ad_log(AD_LOG_WARN, __VA_ARGS__)
#define ad_info(...) ad_log(AD_LOG_INFO, __VA_ARGS__)
#define ad_debug(...) ad_log(AD_LOG_DEBUG, __VA_ARGS__)

#endif

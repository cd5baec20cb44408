/* Small helpers shared by the core's modules. */
#ifndef AD_UTIL_H
#define AD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h" /* ad_now_ms, from core/common */

/* CPU time (user + sys) this process has used so far, in microseconds. */
uint64_t ad_cpu_us(void);
/* True once SIGINT or SIGTERM arrived (see ad_signals_install). */
bool ad_is_interrupted(void);
/* How many SIGINT/SIGTERM arrived so far. */
unsigned ad_signal_count(void);
/* Install SIGINT/SIGTERM handlers that set the interrupted flag. */
void ad_signals_install(void);
/* Sleep MS milliseconds, waking early when interrupted.  Returns false when interrupted. */
bool ad_sleep_ms(uint64_t ms);
/* strdup that aborts the process on out-of-memory is NOT used: these return NULL. */
char *ad_strndup(const char *s, size_t n);
/* printf into a new string; caller frees. NULL on failure. */
char *ad_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write a reason into WHY (WHYSIZE bytes; either may be 0/NULL) and return
 * RC: the trust-boundary parsers' way of saying what is wrong. */
#include "acme-dns/status.h"
ad_status ad_why(char *why, size_t whysize, ad_status rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Free V[0..N) and V (NULL-safe). */
void ad_strv_free(char **v, size_t n);
/* Lower-case ASCII in place. */
void ad_lower(char *s);



#include "acme-dns/status.h"
/* A short English description of a status. */
const char *ad_strerror(ad_status s);
/* Process exit status for a status (see --help). */
int ad_exit_code(ad_status s);
#endif

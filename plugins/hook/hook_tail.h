/* hook plugin: what it keeps of a script's output and how it logs it.  No
 * I/O of its own (tests/fuzz/fuzz_hook_output.c feeds it any bytes). */
#ifndef AD_HOOK_TAIL_H
#define AD_HOOK_TAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "acme-dns/plugin.h"

#define HOOK_TAIL_MAX 4096u  /* bytes of stdout / stderr kept */
#define HOOK_TAIL_LINES 40u  /* lines of it logged at most (the last ones) */

/* The last HOOK_TAIL_MAX bytes of a stream. */
struct hook_tail {
    char buf[HOOK_TAIL_MAX];
    size_t len;
    bool truncated;
};

/* Append N bytes at P, keeping the last HOOK_TAIL_MAX. */
void hook_tail_add(struct hook_tail *t, const char *p, size_t n);

/* certbot's CERTBOT_AUTH_OUTPUT from a script's stdout BUF (LEN bytes, any
 * bytes): the text up to its first NUL byte (an environment string ends
 * there), line ends "\r\n" and "\r" read as "\n" (Python's universal
 * newlines), white space stripped at both ends (str.strip()).  Into OUT
 * (SIZE >= 1 bytes, NUL-terminated; LEN + 1 keeps all of it).  Returns the
 * length written. */
size_t hook_output_text(const char *buf, size_t len, char *out, size_t size);

/* Log T through HOST at LEVEL, one line per non-empty line of output (the
 * last HOOK_TAIL_LINES), prefixed WHAT, control characters shown as '?'. */
void hook_tail_log(const struct ad_host *host, enum ad_log_level level, const char *what, const struct hook_tail *t);

#endif

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

/* Log T through HOST at LEVEL, one line per non-empty line of output (the
 * last HOOK_TAIL_LINES), prefixed WHAT, control characters shown as '?'. */
void hook_tail_log(const struct ad_host *host, enum ad_log_level level, const char *what, const struct hook_tail *t);

#endif

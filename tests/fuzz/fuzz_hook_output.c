/* plugins/hook: a script's stdout/stderr as the plugin keeps it (the last
 * 4 KiB, fed in reads of any size) and logs it line by line, and certbot's
 * CERTBOT_AUTH_OUTPUT made of it.  Byte 0: the size of each read. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hook_tail.h"

static bool space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hook_tail t;
    if (size < 1)
        return 0;
    size_t piece = (size_t)data[0] * 37 + 1;
    t.len = 0;
    t.truncated = false;
    for (size_t off = 1; off < size; off += piece)
        hook_tail_add(&t, (const char *)data + off, size - off < piece ? size - off : piece);
    hook_tail_log(&fuzz_host, AD_LOG_ERROR, "stderr", &t);
    static char text[HOOK_TAIL_MAX + 1];
    size_t n = hook_output_text(t.buf, t.len, text, sizeof text);
    /* a C string of at most what was kept, stripped, without carriage returns */
    if (n > t.len || strlen(text) != n || memchr(text, '\r', n) || (n && (space(text[0]) || space(text[n - 1]))))
        abort();
    n = hook_output_text(t.buf, t.len, text, 1 + (size_t)data[0] % 8);
    if (n > 7 || strlen(text) != n)
        abort();
    return 0;
}

/* plugins/hook: a script's stdout/stderr as the plugin keeps it (the last
 * 4 KiB, fed in reads of any size) and logs it line by line.  Byte 0: the
 * size of each read. */
#include "fuzz.h"
#include "hook_tail.h"

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
    return 0;
}

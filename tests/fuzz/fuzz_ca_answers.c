/* What the CA features read from a CA: Link header values (ad_link_parse,
 * core/http.c; the alternate chains of a download), account objects
 * (ad_account_info_parse, core/acme.c), and a chain's topmost issuer and
 * first certificate (core/cert.c; --preferred-chain, revoke).  Byte 0
 * picks the parser (mod 3); the rest is its input (Link: one header value
 * a line). */
#include <stdlib.h>
#include <string.h>

#include "acme.h"
#include "cert.h"
#include "fuzz.h"
#include "http.h"
#include "log.h"
#include "util.h"

static void links(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), **urls = NULL;
    size_t n = 0;
    if (!text)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (ad_link_parse(line, "alternate", 8, &urls, &n) != AD_OK)
            break;
    }
    for (size_t i = 0; i < n; i++)
        if (strncmp(urls[i], "https://", 8) != 0 || strpbrk(urls[i], " \t\r\n<>"))
            abort(); /* only whole https targets come out */
    if (n > 8)
        abort();
    ad_strv_free(urls, n);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ad_log_set_verbosity(0);
    if (size < 1)
        return 0;
    int which = data[0] % 3;
    data++;
    size--;
    if (which == 0) {
        links(data, size);
    } else if (which == 1) {
        struct ad_account_info a;
        if (ad_account_info_parse((const char *)data, size, &a) == AD_OK)
            for (size_t i = 0; i < a.ncontact; i++)
                for (const char *c = a.contact[i]; *c; c++)
                    if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
                        abort(); /* nothing unprintable reaches a terminal */
        ad_account_info_clear(&a);
    } else {
        char *cn = NULL;
        uint8_t *der = NULL;
        size_t dlen = 0;
        if (ad_chain_top_issuer_cn((const char *)data, size, &cn) == AD_OK && cn)
            for (const char *c = cn; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                    abort();
        free(cn);
        if (ad_cert_der((const char *)data, size, &der, &dlen) == AD_OK && dlen == 0)
            abort();
        free(der);
    }
    return 0;
}

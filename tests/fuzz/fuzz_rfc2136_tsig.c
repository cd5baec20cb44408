/* plugins/rfc2136: a server's reply as the plugin reads it (ldns parse, the
 * trailing TSIG RR, its fields), TSIG verification against our key and
 * request MAC, and what the RCODE and TSIG error mean.  Byte 0 == 's': sign
 * the rest as a message, then read our own signed message back. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rfc2136_key.h"
#include "rfc2136_msg.h"
#include "rfc2136_tsig.h"

/* The same key and request MAC as tests/fuzz/make_seeds.sh signs its replies with. */
#define FUZZ_SECRET "c2VjcmV0LWtleS1mb3ItdGhlLWZ1enotdGFyZ2V0cy0xMjM0NTY3ODkwYWI="
static const uint8_t req_mac[32] = "0123456789abcdef0123456789abcdef";

static void check_reply(const struct ad_rfc2136_key *key, const uint8_t *msg, size_t len)
{
    struct ad_rfc2136_reply r;
    char buf[800];
    if (ad_rfc2136_reply_parse(msg, len, &r) == AD_OK) {
        /* the time it was signed: so that a right MAC passes the time check */
        ad_rfc2136_tsig_verify(key, msg, len, &r, req_mac, sizeof req_mac, r.time_signed);
        ad_rfc2136_tsig_verify(key, msg, len, &r, req_mac, sizeof req_mac, 0);
        struct ad_rfc2136_why w = {"192.0.2.53", "example.test", "_acme-challenge.example.test", key->name,
                                   key->alg->name, r.has_tsig};
        ad_rfc2136_explain(r.rcode, r.error, &w, buf, sizeof buf);
        ad_rfc2136_explain(r.rcode, 0, &w, buf, sizeof buf);
    }
    ad_rfc2136_reply_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ad_rfc2136_key *key;
    char err[256];
    if (!key && ad_rfc2136_key_new("acme-key", "hmac-sha256", FUZZ_SECRET, &key, err, sizeof err) != AD_OK)
        abort();
    if (size > 0 && data[0] == 's') {
        uint8_t *out = NULL, mac[64];
        size_t outlen = 0, mac_len = 0;
        if (ad_rfc2136_tsig_sign(key, data + 1, size - 1, 1767225600u, 300, &out, &outlen, mac, &mac_len) == AD_OK)
            check_reply(key, out, outlen);
        free(out);
        return 0;
    }
    check_reply(key, data, size);
    return 0;
}

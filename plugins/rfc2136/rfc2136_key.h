/* rfc2136 plugin: TSIG algorithms, keys and BIND key files. */
#ifndef AD_RFC2136_KEY_H
#define AD_RFC2136_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "acme-dns/status.h"

/* Longest key name (presentation form) and longest secret we accept. */
#define AD_RFC2136_NAME_MAX 255
#define AD_RFC2136_SECRET_MAX 512
/* Largest key file we read. */
#define AD_RFC2136_KEYFILE_MAX 65536

/* One TSIG algorithm.  The table is static; pointers stay valid. */
struct ad_rfc2136_alg {
    const char *name;      /* "hmac-sha256", as in options and key files */
    const char *wire_name; /* algorithm name in the TSIG RR ("hmac-md5.sig-alg.reg.int") */
    const char *digest;    /* OpenSSL digest name for EVP_MAC HMAC */
    size_t mac_len;        /* full MAC length in bytes */
};

/* Algorithm by name (case-insensitive; "hmac-md5.sig-alg.reg.int" and a
 * trailing dot are accepted), or NULL when unknown. */
const struct ad_rfc2136_alg *ad_rfc2136_alg_find(const char *name);
/* "hmac-md5, hmac-sha1, ..." for messages. */
const char *ad_rfc2136_alg_list(void);

/* A TSIG key.  Caller frees with ad_rfc2136_key_free (which wipes it). */
struct ad_rfc2136_key {
    char name[AD_RFC2136_NAME_MAX + 1]; /* lower case, no trailing dot */
    const struct ad_rfc2136_alg *alg;
    unsigned char secret[AD_RFC2136_SECRET_MAX];
    size_t secret_len;
    char *secret_b64; /* the secret as written, to register as a secret; owned */
};

void ad_rfc2136_key_free(struct ad_rfc2136_key *key);

/* Parse the key file text TEXT (LEN bytes, need not be NUL-terminated)
 * and pick the key called WANT_NAME (NULL: the only key of the file).
 * On success *OUT is a new key (caller frees with ad_rfc2136_key_free).
 * On failure ERR receives a message that names the line and never
 * contains the secret.  SOURCE names the file in messages. */
ad_status ad_rfc2136_keyfile_parse(const char *source, const char *text, size_t len,
                                   const char *want_name, struct ad_rfc2136_key **out,
                                   char *err, size_t errlen);

/* Read PATH (at most AD_RFC2136_KEYFILE_MAX bytes) and parse it as above.
 * WARN receives the warning to log when every user may read the file, else
 * "" (core/common/credfile.h). */
ad_status ad_rfc2136_keyfile_load(const char *path, const char *want_name, struct ad_rfc2136_key **out,
                                  char *warn, size_t warnlen, char *err, size_t errlen);

/* A key from NAME, ALGORITHM (NULL: hmac-sha256) and base64 SECRET. */
ad_status ad_rfc2136_key_new(const char *name, const char *algorithm, const char *secret,
                             struct ad_rfc2136_key **out, char *err, size_t errlen);

/* Format an error message into ERR (ERRLEN bytes; nothing when ERR is NULL). */
void ad_rfc2136_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif

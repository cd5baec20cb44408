/* rfc2136 plugin: TSIG algorithms, keys and BIND key files. */
#include "rfc2136_key.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "b64.h"
#include "credfile.h"
#include "parse.h"

static const struct ad_rfc2136_alg ad_algs[] = {
    { "hmac-md5", "hmac-md5.sig-alg.reg.int", "MD5", 16 },
    { "hmac-sha1", "hmac-sha1", "SHA1", 20 },
    { "hmac-sha224", "hmac-sha224", "SHA224", 28 },
    { "hmac-sha256", "hmac-sha256", "SHA256", 32 },
    { "hmac-sha384", "hmac-sha384", "SHA384", 48 },
    { "hmac-sha512", "hmac-sha512", "SHA512", 64 },
};

const struct ad_rfc2136_alg *ad_rfc2136_alg_find(const char *name)
{
    if (name == NULL)
        return NULL;
    size_t n = strlen(name);
    if (n > 0 && name[n - 1] == '.')
        n--;
    for (size_t i = 0; i < sizeof ad_algs / sizeof ad_algs[0]; i++) {
        const struct ad_rfc2136_alg *a = &ad_algs[i];
        if ((strlen(a->name) == n && strncasecmp(a->name, name, n) == 0) ||
            (strlen(a->wire_name) == n && strncasecmp(a->wire_name, name, n) == 0))
            return a;
    }
    return NULL;
}

const char *ad_rfc2136_alg_list(void)
{
    return "hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512";
}

void ad_rfc2136_key_free(struct ad_rfc2136_key *key)
{
    if (key == NULL)
        return;
    if (key->secret_b64 != NULL) {
        OPENSSL_cleanse(key->secret_b64, strlen(key->secret_b64));
        free(key->secret_b64);
    }
    OPENSSL_cleanse(key, sizeof *key);
    free(key);
}

void ad_rfc2136_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static ad_status ad_key_fill(struct ad_rfc2136_key *k, const char *name,
                             const struct ad_rfc2136_alg *alg, const char *secret, char *err,
                             size_t errlen, const char *where)
{
    if (ad_name_normalize(name, k->name, sizeof k->name) != AD_OK) {
        ad_rfc2136_seterr(err, errlen, "%sTSIG key name \"%s\" is not a valid domain name", where, name);
        return AD_ERR_CONFIG;
    }
    k->alg = alg;
    uint8_t *raw = NULL;
    size_t n = 0;
    bool ok = ad_b64_decode(secret, strlen(secret), &raw, &n) == 0 && n > 0 && n <= sizeof k->secret;
    if (ok)
        memcpy(k->secret, raw, n);
    k->secret_len = ok ? n : 0;
    if (raw) {
        OPENSSL_cleanse(raw, n);
        free(raw);
    }
    if (!ok) {
        ad_rfc2136_seterr(err, errlen, "%sTSIG secret of key %s is not valid base64 (at most %d bytes)",
                  where, k->name, AD_RFC2136_SECRET_MAX);
        return AD_ERR_CONFIG;
    }
    k->secret_b64 = strdup(secret);
    if (k->secret_b64 == NULL)
        return AD_ERR_NOMEM;
    return AD_OK;
}

ad_status ad_rfc2136_key_new(const char *name, const char *algorithm, const char *secret,
                             struct ad_rfc2136_key **out, char *err, size_t errlen)
{
    ad_status rc = AD_ERR_CONFIG;
    struct ad_rfc2136_key *k = NULL;
    const struct ad_rfc2136_alg *alg = ad_rfc2136_alg_find(algorithm ? algorithm : "hmac-sha256");
    if (alg == NULL) {
        ad_rfc2136_seterr(err, errlen, "unknown TSIG algorithm \"%s\": use one of %s", algorithm,
                  ad_rfc2136_alg_list());
        goto out;
    }
    k = calloc(1, sizeof *k);
    if (k == NULL) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    rc = ad_key_fill(k, name, alg, secret, err, errlen, "");
    if (rc != AD_OK)
        goto out;
    *out = k;
    k = NULL;
out:
    ad_rfc2136_key_free(k);
    return rc;
}

/* ---- key file tokenizer -------------------------------------------- */

enum ad_tok { AD_T_EOF, AD_T_WORD, AD_T_STRING, AD_T_LBRACE, AD_T_RBRACE, AD_T_SEMI, AD_T_ERR };

struct ad_lex {
    const char *p, *end;
    unsigned line;
    /* current token */
    enum ad_tok tok;
    unsigned tok_line;
    char text[AD_RFC2136_SECRET_MAX * 2]; /* word or string contents */
    const char *err;
};

static void ad_lex_next(struct ad_lex *lx)
{
    for (;;) {
        while (lx->p < lx->end && isspace((unsigned char)*lx->p)) {
            if (*lx->p == '\n')
                lx->line++;
            lx->p++;
        }
        if (lx->p >= lx->end) {
            lx->tok = AD_T_EOF;
            lx->tok_line = lx->line;
            return;
        }
        if (*lx->p == '#' || (*lx->p == '/' && lx->p + 1 < lx->end && lx->p[1] == '/')) {
            while (lx->p < lx->end && *lx->p != '\n')
                lx->p++;
            continue;
        }
        if (*lx->p == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
            unsigned start = lx->line;
            lx->p += 2;
            while (lx->p + 1 < lx->end && !(lx->p[0] == '*' && lx->p[1] == '/')) {
                if (*lx->p == '\n')
                    lx->line++;
                lx->p++;
            }
            if (lx->p + 1 >= lx->end) {
                lx->tok = AD_T_ERR;
                lx->tok_line = start;
                lx->err = "comment \"/*\" is never closed";
                return;
            }
            lx->p += 2;
            continue;
        }
        break;
    }
    lx->tok_line = lx->line;
    char c = *lx->p;
    if (c == '\0') {
        lx->tok = AD_T_ERR;
        lx->err = "NUL byte in the file";
        return;
    }
    if (c == '{' || c == '}' || c == ';') {
        lx->tok = c == '{' ? AD_T_LBRACE : c == '}' ? AD_T_RBRACE : AD_T_SEMI;
        lx->p++;
        return;
    }
    size_t n = 0;
    if (c == '"') {
        lx->p++;
        while (lx->p < lx->end && *lx->p != '"' && *lx->p != '\n' && *lx->p != '\0') {
            if (n + 1 >= sizeof lx->text) {
                lx->tok = AD_T_ERR;
                lx->err = "quoted string is too long";
                return;
            }
            lx->text[n++] = *lx->p++;
        }
        if (lx->p >= lx->end || *lx->p != '"') {
            lx->tok = AD_T_ERR;
            lx->err = "quoted string is not closed on the same line";
            return;
        }
        lx->p++;
        lx->text[n] = '\0';
        lx->tok = AD_T_STRING;
        return;
    }
    while (lx->p < lx->end && !isspace((unsigned char)*lx->p) && *lx->p != '{' &&
           *lx->p != '}' && *lx->p != ';' && *lx->p != '"' && *lx->p != '\0') {
        if (n + 1 >= sizeof lx->text) {
            lx->tok = AD_T_ERR;
            lx->err = "word is too long";
            return;
        }
        lx->text[n++] = *lx->p++;
    }
    lx->text[n] = '\0';
    lx->tok = AD_T_WORD;
}

static const char *ad_tok_desc(enum ad_tok t)
{
    switch (t) {
    case AD_T_EOF: return "end of file";
    case AD_T_WORD: return "a word";
    case AD_T_STRING: return "a quoted string";
    case AD_T_LBRACE: return "'{'";
    case AD_T_RBRACE: return "'}'";
    case AD_T_SEMI: return "';'";
    default: return "an error";
    }
}

ad_status ad_rfc2136_keyfile_parse(const char *source, const char *text, size_t len,
                                   const char *want_name, struct ad_rfc2136_key **out,
                                   char *err, size_t errlen)
{
    ad_status rc = AD_ERR_CONFIG;
    struct ad_rfc2136_key *found = NULL, *cur = NULL;
    struct ad_lex *lx = NULL;
    char want[AD_RFC2136_NAME_MAX + 1] = "";
    char first[AD_RFC2136_NAME_MAX + 1] = "";
    unsigned nkeys = 0;
    const char *src = source ? source : "key file";

    if (want_name != NULL && ad_name_normalize(want_name, want, sizeof want) != AD_OK) {
        ad_rfc2136_seterr(err, errlen, "TSIG key name \"%s\" is not a valid domain name", want_name);
        goto out;
    }
    if (len > AD_RFC2136_KEYFILE_MAX) {
        ad_rfc2136_seterr(err, errlen, "%s is larger than %d bytes: it is not a key file", src,
                  AD_RFC2136_KEYFILE_MAX);
        goto out;
    }
    lx = calloc(1, sizeof *lx);
    if (lx == NULL) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    lx->p = text;
    lx->end = text + len;
    lx->line = 1;

#define AD_EXPECT(cond, ...)                                                            \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            if (lx->tok == AD_T_ERR)                                                    \
                ad_rfc2136_seterr(err, errlen, "%s line %u: %s", src, lx->tok_line, lx->err);   \
            else                                                                        \
                ad_rfc2136_seterr(err, errlen, __VA_ARGS__);                                    \
            goto out;                                                                   \
        }                                                                               \
    } while (0)

    for (ad_lex_next(lx); lx->tok != AD_T_EOF; ad_lex_next(lx)) {
        AD_EXPECT(lx->tok == AD_T_WORD, "%s line %u: expected a \"key\" statement, found %s",
                  src, lx->tok_line, ad_tok_desc(lx->tok));
        if (strcasecmp(lx->text, "key") != 0) {
            /* Another named.conf statement (ddns-confgen prints an
             * update-policy example): skip it up to its ';'. */
            unsigned stmt_line = lx->tok_line, depth = 0;
            char stmt[33];
            snprintf(stmt, sizeof stmt, "%.32s", lx->text);
            for (;;) {
                ad_lex_next(lx);
                AD_EXPECT(lx->tok != AD_T_EOF && lx->tok != AD_T_ERR,
                          "%s line %u: statement \"%s\" is not closed (missing '}' or ';')",
                          src, stmt_line, stmt);
                if (lx->tok == AD_T_LBRACE)
                    depth++;
                else if (lx->tok == AD_T_RBRACE) {
                    AD_EXPECT(depth > 0, "%s line %u: '}' without '{'", src, lx->tok_line);
                    depth--;
                } else if (lx->tok == AD_T_SEMI && depth == 0)
                    break;
            }
            continue;
        }
        unsigned key_line = lx->tok_line;
        ad_lex_next(lx);
        AD_EXPECT(lx->tok == AD_T_WORD || lx->tok == AD_T_STRING,
                  "%s line %u: expected the key name after \"key\", found %s", src,
                  lx->tok_line, ad_tok_desc(lx->tok));
        char name[AD_RFC2136_NAME_MAX + 1];
        AD_EXPECT(ad_name_normalize(lx->text, name, sizeof name) == AD_OK,
                  "%s line %u: key name \"%.64s\" is not a valid domain name", src,
                  lx->tok_line, lx->text);
        ad_lex_next(lx);
        AD_EXPECT(lx->tok == AD_T_LBRACE, "%s line %u: expected '{' after key \"%s\", found %s",
                  src, lx->tok_line, name, ad_tok_desc(lx->tok));
        const struct ad_rfc2136_alg *alg = NULL;
        char secret[sizeof lx->text];
        bool have_secret = false;
        unsigned secret_line = 0;
        for (;;) {
            ad_lex_next(lx);
            if (lx->tok == AD_T_RBRACE)
                break;
            AD_EXPECT(lx->tok == AD_T_WORD,
                      "%s line %u: expected \"algorithm\", \"secret\" or '}' in key \"%s\", "
                      "found %s (missing '}'?)",
                      src, lx->tok_line, name, ad_tok_desc(lx->tok));
            bool is_alg = strcasecmp(lx->text, "algorithm") == 0;
            bool is_secret = strcasecmp(lx->text, "secret") == 0;
            AD_EXPECT(is_alg || is_secret,
                      "%s line %u: unknown clause \"%.32s\" in key \"%s\" (expected "
                      "\"algorithm\" or \"secret\"; missing '}'?)",
                      src, lx->tok_line, lx->text, name);
            unsigned cl_line = lx->tok_line;
            ad_lex_next(lx);
            if (is_alg) {
                AD_EXPECT(lx->tok == AD_T_WORD || lx->tok == AD_T_STRING,
                          "%s line %u: expected an algorithm name, found %s", src, lx->tok_line,
                          ad_tok_desc(lx->tok));
                alg = ad_rfc2136_alg_find(lx->text);
                AD_EXPECT(alg != NULL,
                          "%s line %u: unknown TSIG algorithm \"%.40s\" in key \"%s\": use one "
                          "of %s",
                          src, lx->tok_line, lx->text, name, ad_rfc2136_alg_list());
            } else {
                AD_EXPECT(lx->tok == AD_T_STRING || lx->tok == AD_T_WORD,
                          "%s line %u: expected the secret (a quoted base64 string), found %s",
                          src, cl_line, ad_tok_desc(lx->tok));
                memcpy(secret, lx->text, sizeof secret);
                have_secret = true;
                secret_line = lx->tok_line;
            }
            ad_lex_next(lx);
            AD_EXPECT(lx->tok == AD_T_SEMI, "%s line %u: expected ';' after the %s, found %s",
                      src, lx->tok_line, is_alg ? "algorithm" : "secret", ad_tok_desc(lx->tok));
        }
        ad_lex_next(lx);
        AD_EXPECT(lx->tok == AD_T_SEMI,
                  "%s line %u: expected ';' after '}' closing key \"%s\", found %s", src,
                  lx->tok_line, name, ad_tok_desc(lx->tok));
        AD_EXPECT(alg != NULL, "%s line %u: key \"%s\" has no algorithm clause", src, key_line,
                  name);
        AD_EXPECT(have_secret, "%s line %u: key \"%s\" has no secret clause", src, key_line,
                  name);
        if (nkeys++ == 0)
            memcpy(first, name, sizeof first);
        if (want_name != NULL && strcmp(want, name) != 0) {
            OPENSSL_cleanse(secret, sizeof secret);
            continue;
        }
        cur = calloc(1, sizeof *cur);
        if (cur == NULL) {
            OPENSSL_cleanse(secret, sizeof secret);
            rc = AD_ERR_NOMEM;
            goto out;
        }
        char where[300];
        snprintf(where, sizeof where, "%s line %u: ", src, secret_line);
        rc = ad_key_fill(cur, name, alg, secret, err, errlen, where);
        OPENSSL_cleanse(secret, sizeof secret);
        if (rc != AD_OK)
            goto out;
        rc = AD_ERR_CONFIG;
        if (found != NULL) {
            ad_rfc2136_seterr(err, errlen,
                      want_name ? "%s holds key \"%s\" twice"
                                : "%s holds more than one key (\"%s\", ...): set tsig-name",
                      src, want_name ? want : first);
            goto out;
        }
        found = cur;
        cur = NULL;
    }
#undef AD_EXPECT
    if (found == NULL) {
        if (nkeys == 0)
            ad_rfc2136_seterr(err, errlen, "%s holds no key statement: write it with tsig-keygen", src);
        else
            ad_rfc2136_seterr(err, errlen, "%s holds no key named \"%s\"", src, want);
        goto out;
    }
    *out = found;
    found = NULL;
    rc = AD_OK;
out:
    if (lx != NULL) {
        OPENSSL_cleanse(lx, sizeof *lx);
        free(lx);
    }
    ad_rfc2136_key_free(cur);
    ad_rfc2136_key_free(found);
    return rc;
}

ad_status ad_rfc2136_keyfile_load(const char *path, const char *want_name, struct ad_rfc2136_key **out,
                                  char *warn, size_t warnlen, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    ad_status rc = ad_cred_read("TSIG key file", path, AD_RFC2136_KEYFILE_MAX, &buf, &len, warn, warnlen, err,
                                errlen);
    if (rc != AD_OK)
        return rc;
    rc = ad_rfc2136_keyfile_parse(path, buf, len, want_name, out, err, errlen);
    ad_cred_free(buf, len);
    return rc;
}

#include "jws.h"

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "log.h"

static int is_ec(EVP_PKEY *k)
{
    return EVP_PKEY_is_a(k, "EC");
}

static int ec_bytes(EVP_PKEY *k)
{
    return (EVP_PKEY_get_bits(k) + 7) / 8;
}

const char *ad_jws_alg(EVP_PKEY *key)
{
    if (is_ec(key)) {
        int bits = EVP_PKEY_get_bits(key);
        return bits == 256 ? "ES256" : bits == 384 ? "ES384" : NULL;
    }
    if (EVP_PKEY_is_a(key, "RSA"))
        return "RS256";
    return NULL;
}

/* base64url of a big number, left-padded with zeros to PAD bytes (0: minimal). */
static char *bn_b64(EVP_PKEY *k, const char *param, int pad)
{
    BIGNUM *bn = NULL;
    char *s = NULL;
    if (!EVP_PKEY_get_bn_param(k, param, &bn))
        return NULL;
    int n = pad ? pad : BN_num_bytes(bn);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && BN_bn2binpad(bn, buf, n) == n)
        s = ad_b64url_encode(buf, (size_t)n);
    free(buf);
    BN_free(bn);
    return s;
}

static int add_str(json_object *o, const char *k, const char *v)
{
    json_object *s = v ? json_object_new_string(v) : NULL;
    if (!s)
        return -1;
    json_object_object_add(o, k, s);
    return 0;
}

/* JWK as a json object, members in lexicographic order. */
static json_object *jwk_object(EVP_PKEY *key)
{
    json_object *o = json_object_new_object();
    char *a = NULL, *b = NULL;
    int ok = 0;
    if (!o)
        return NULL;
    if (is_ec(key)) {
        int bits = EVP_PKEY_get_bits(key);
        a = bn_b64(key, OSSL_PKEY_PARAM_EC_PUB_X, ec_bytes(key));
        b = bn_b64(key, OSSL_PKEY_PARAM_EC_PUB_Y, ec_bytes(key));
        ok = (bits == 256 || bits == 384) && a && b &&
             add_str(o, "crv", bits == 256 ? "P-256" : "P-384") == 0 && add_str(o, "kty", "EC") == 0 &&
             add_str(o, "x", a) == 0 && add_str(o, "y", b) == 0;
    } else if (EVP_PKEY_is_a(key, "RSA")) {
        a = bn_b64(key, OSSL_PKEY_PARAM_RSA_E, 0);
        b = bn_b64(key, OSSL_PKEY_PARAM_RSA_N, 0);
        ok = a && b && add_str(o, "e", a) == 0 && add_str(o, "kty", "RSA") == 0 && add_str(o, "n", b) == 0;
    }
    free(a);
    free(b);
    if (!ok) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

ad_status ad_jwk_json(EVP_PKEY *key, char **json)
{
    json_object *o = jwk_object(key);
    if (!o)
        return AD_ERR_CRYPTO;
    *json = strdup(json_object_to_json_string_ext(o, JSON_FLAGS));
    json_object_put(o);
    return *json ? AD_OK : AD_ERR_NOMEM;
}

static char *sha256_b64(const char *s)
{
    uint8_t md[SHA256_DIGEST_LENGTH];
    SHA256((const uint8_t *)s, strlen(s), md);
    return ad_b64url_encode(md, sizeof md);
}

ad_status ad_jwk_thumbprint(EVP_PKEY *key, char **out)
{
    char *j = NULL;
    ad_status rc = ad_jwk_json(key, &j);
    if (rc != AD_OK)
        return rc;
    *out = sha256_b64(j);
    free(j);
    return *out ? AD_OK : AD_ERR_NOMEM;
}

ad_status ad_dns01_value(const char *token, const char *thumbprint, char **out)
{
    size_t n = strlen(token) + strlen(thumbprint) + 2;
    char *ka = malloc(n);
    if (!ka)
        return AD_ERR_NOMEM;
    snprintf(ka, n, "%s.%s", token, thumbprint);
    *out = sha256_b64(ka);
    free(ka);
    return *out ? AD_OK : AD_ERR_NOMEM;
}

ad_status ad_jws_raw_sign(EVP_PKEY *key, const uint8_t *data, size_t len, uint8_t **sig, size_t *siglen)
{
    ad_status rc = AD_ERR_CRYPTO;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t *der = NULL, *raw = NULL;
    size_t derlen = 0;
    ECDSA_SIG *es = NULL;
    const EVP_MD *md = is_ec(key) && EVP_PKEY_get_bits(key) == 384 ? EVP_sha384() : EVP_sha256();

    if (!ctx || EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
        EVP_DigestSign(ctx, NULL, &derlen, data, len) != 1 || !(der = malloc(derlen)) ||
        EVP_DigestSign(ctx, der, &derlen, data, len) != 1)
        goto out;
    if (is_ec(key)) {
        /* JWS wants r || s, each left-padded to the curve size (RFC 7518 3.4). */
        const uint8_t *p = der;
        const BIGNUM *r, *s;
        int n = ec_bytes(key);
        if (!(es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) || !(raw = malloc(2 * (size_t)n)))
            goto out;
        ECDSA_SIG_get0(es, &r, &s);
        if (BN_bn2binpad(r, raw, n) != n || BN_bn2binpad(s, raw + n, n) != n)
            goto out;
        *sig = raw;
        *siglen = 2 * (size_t)n;
        raw = NULL;
    } else {
        *sig = der;
        *siglen = derlen;
        der = NULL;
    }
    rc = AD_OK;
out:
    if (rc != AD_OK)
        ad_err("cannot sign with the account key (OpenSSL)");
    ECDSA_SIG_free(es);
    free(raw);
    free(der);
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* Sign PROT (the protected header) and PAYLOAD into a flattened JWS: with
 * KEY, or with HMAC-SHA256 under MAC[0..MACLEN) when KEY is NULL. */
static ad_status jws_finish(json_object *prot, const char *payload, EVP_PKEY *key, const uint8_t *mac, size_t maclen,
                            char **out)
{
    ad_status rc = AD_ERR_NOMEM;
    json_object *jws = json_object_new_object();
    char *prot64 = NULL, *pay64 = NULL, *sig64 = NULL, *input = NULL;
    uint8_t *sig = NULL, hmac[EVP_MAX_MD_SIZE];
    size_t siglen = 0;
    const char *ps = json_object_to_json_string_ext(prot, JSON_FLAGS);

    if (!jws || !ps || !(prot64 = ad_b64url_encode((const uint8_t *)ps, strlen(ps))) ||
        !(pay64 = ad_b64url_encode((const uint8_t *)payload, strlen(payload))))
        goto out;
    size_t il = strlen(prot64) + strlen(pay64) + 2;
    if (!(input = malloc(il)))
        goto out;
    snprintf(input, il, "%s.%s", prot64, pay64);
    if (key) {
        if ((rc = ad_jws_raw_sign(key, (const uint8_t *)input, strlen(input), &sig, &siglen)) != AD_OK)
            goto out;
        sig64 = ad_b64url_encode(sig, siglen);
    } else {
        if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, mac, maclen, (const uint8_t *)input, strlen(input), hmac,
                       sizeof hmac, &siglen)) {
            ad_err("cannot compute the HMAC of the external account binding (OpenSSL)");
            rc = AD_ERR_CRYPTO;
            goto out;
        }
        sig64 = ad_b64url_encode(hmac, siglen);
        OPENSSL_cleanse(hmac, sizeof hmac);
    }
    rc = AD_ERR_NOMEM;
    if (!sig64 || add_str(jws, "protected", prot64) || add_str(jws, "payload", pay64) ||
        add_str(jws, "signature", sig64))
        goto out;
    if (!(*out = strdup(json_object_to_json_string_ext(jws, JSON_FLAGS))))
        goto out;
    rc = AD_OK;
out:
    json_object_put(jws);
    free(prot64);
    free(pay64);
    free(sig64);
    free(input);
    free(sig);
    return rc;
}

ad_status ad_jws_sign(EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
                      const char *payload, char **out)
{
    ad_status rc = AD_ERR_NOMEM;
    json_object *prot = json_object_new_object();
    const char *alg = ad_jws_alg(key);

    if (!prot)
        goto out;
    if (!alg) {
        rc = AD_ERR_CRYPTO;
        ad_err("the account key type is not supported for JWS (use EC P-256/P-384 or RSA)");
        goto out;
    }
    if (add_str(prot, "alg", alg) || (nonce && add_str(prot, "nonce", nonce)) || add_str(prot, "url", url))
        goto out;
    if (kid) {
        if (add_str(prot, "kid", kid))
            goto out;
    } else {
        json_object *jwk = jwk_object(key);
        if (!jwk) {
            rc = AD_ERR_CRYPTO;
            goto out;
        }
        json_object_object_add(prot, "jwk", jwk);
    }
    rc = jws_finish(prot, payload, key, NULL, 0, out);
out:
    json_object_put(prot);
    return rc;
}

ad_status ad_jws_eab(const char *kid, const uint8_t *mac_key, size_t mac_len, const char *url, EVP_PKEY *account_key,
                     char **out)
{
    json_object *prot = json_object_new_object();
    char *jwk = NULL;
    ad_status rc = AD_ERR_NOMEM;
    if (!prot || add_str(prot, "alg", "HS256") || add_str(prot, "kid", kid) || add_str(prot, "url", url))
        goto out;
    if ((rc = ad_jwk_json(account_key, &jwk)) == AD_OK)
        rc = jws_finish(prot, jwk, NULL, mac_key, mac_len, out);
out:
    json_object_put(prot);
    free(jwk);
    return rc;
}

ad_status ad_jws_key_change(EVP_PKEY *new_key, EVP_PKEY *old_key, const char *account_url, const char *url,
                            char **out)
{
    json_object *pay = json_object_new_object(), *old = jwk_object(old_key);
    ad_status rc = AD_ERR_NOMEM;
    if (!pay || !old || add_str(pay, "account", account_url)) {
        rc = pay && !old ? AD_ERR_CRYPTO : AD_ERR_NOMEM;
        json_object_put(old);
        goto out;
    }
    json_object_object_add(pay, "oldKey", old);
    const char *ps = json_object_to_json_string_ext(pay, JSON_FLAGS);
    rc = ps ? ad_jws_sign(new_key, NULL, NULL, url, ps, out) : AD_ERR_NOMEM;
out:
    json_object_put(pay);
    return rc;
}

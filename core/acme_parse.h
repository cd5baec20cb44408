/* What an ACME CA (RFC 8555) sends, read without any I/O: the directory,
 * order, authorization and challenge objects, problem documents, and the
 * header values we keep (Replay-Nonce, Location).  acme.c does the
 * requests; tests/fuzz/fuzz_acme.c feeds these functions directly.  Every
 * failure is logged, naming what was wrong. */
#ifndef AD_ACME_PARSE_H
#define AD_ACME_PARSE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "acme.h"

/* What a CA's directory offers (RFC 8555 7.1.1; renewalInfo: RFC 9773). */
struct ad_acme_dir {
    char *new_nonce, *new_account, *new_order, *tos;
    char *website, *caa;         /* meta: website, caaIdentities (comma-separated) */
    bool eab_required;           /* meta.externalAccountRequired */
    char *renewal_info;          /* renewalInfo (an https:// URL), or NULL */
};

/* Fill D (zeroed or filled before) from the directory BODY of URL (named in
 * messages).  AD_ERR_PROTOCOL when it is not a directory.  Clear D with
 * ad_acme_dir_clear in every case. */
ad_status ad_acme_dir_parse(const char *body, size_t len, const char *url, struct ad_acme_dir *d);
void ad_acme_dir_clear(struct ad_acme_dir *d);
/* BODY (LEN bytes) as JSON, or NULL when it is not (or empty, or larger
 * than AD_HTTP_BODY_MAX).  Caller puts it. */
json_object *ad_acme_json(const char *body, size_t len);
/* O's member K when it is a string (borrowed), else NULL (also for O NULL). */
const char *ad_acme_jstr(json_object *o, const char *k);
/* Replace *DST with a copy of S (NULL: none).  AD_ERR_NOMEM. */
ad_status ad_acme_dupstr(char **dst, const char *s);
/* BODY is a problem document of type urn:ietf:params:acme:error:badNonce. */
bool ad_acme_is_bad_nonce(const char *body, size_t len);
/* Update O from an order object J (status, finalize, certificate, the
 * authorizations).  Strings in O are owned; clear it with ad_order_clear. */
ad_status ad_acme_order_parse(struct ad_order *o, json_object *j);
/* Fill AZ (url already set) from an authorization object J: its status,
 * identifier and dns-01 challenge.  Clear it with ad_authz_clear. */
ad_status ad_acme_authz_parse(struct ad_authz *az, json_object *j);
/* A Replay-Nonce value we may send back: base64url, 1..AD_ACME_NONCE_MAX
 * characters (RFC 8555 6.5.1: clients ignore any other). */
#define AD_ACME_NONCE_MAX 512
bool ad_acme_nonce_ok(const char *nonce);
/* A URL the CA gives us (Location) that we keep or send back: https://,
 * at most AD_ACME_URL_MAX bytes, no blanks or control characters. */
#define AD_ACME_URL_MAX 2048
bool ad_acme_url_ok(const char *url);

#endif

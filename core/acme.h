/* ACME (RFC 8555) protocol flow. */
#ifndef AD_ACME_H
#define AD_ACME_H

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "acme-dns/status.h"
#include "http.h"

struct ad_acme;

struct ad_order {
    char *url, *status, *finalize, *certificate;
    char **authz;     /* authorization URLs */
    size_t nauthz;
    char **alternates; /* the other chains the download offered (Link rel="alternate"), by ad_acme_download */
    size_t nalternates;
};

struct ad_authz {
    char *url;
    char *domain;     /* identifier value, without "*." */
    bool wildcard;
    char *status;
    char *chall_url;  /* the dns-01 challenge, or NULL when none is offered */
    char *chall_status;
    char *token;
};

/* HTTP and KEY are borrowed until ad_acme_free.  Caller frees *OUT. */
ad_status ad_acme_new(struct ad_http *http, const char *directory_url, EVP_PKEY *key, struct ad_acme **out);
void ad_acme_free(struct ad_acme *a);
/* Fetch the directory. */
ad_status ad_acme_directory(struct ad_acme *a);
/* The directory as JSON (directory --json): its URLs, terms of service,
 * website, CAA identities, external account and renewal information; a
 * missing one is null.  Caller releases with json_object_put; NULL out of
 * memory. */
json_object *ad_acme_describe_json(const struct ad_acme *a);
/* Terms of service URL from the directory, or NULL (borrowed). */
const char *ad_acme_tos(const struct ad_acme *a);
/* Print what the directory (fetched with ad_acme_directory) offers. */
void ad_acme_describe(const struct ad_acme *a, FILE *f);
/* Use KNOWN_URL as the account, or find/create the account of the key
 * (onlyReturnExisting first when FIND_FIRST).  *URL_OUT is the account
 * URL, caller frees; *CREATED tells whether it is new. */
ad_status ad_acme_account(struct ad_acme *a, const char *email, bool agree_tos, bool find_first, char **url_out,
                          bool *created);
/* Sign with KEY (borrowed until ad_acme_free) from now on. */
void ad_acme_set_key(struct ad_acme *a, EVP_PKEY *key);
/* Set the account URL (kid) for later requests; copied. */
ad_status ad_acme_set_kid(struct ad_acme *a, const char *kid);
void ad_order_clear(struct ad_order *o);
void ad_authz_clear(struct ad_authz *az);

/* Functions over many items: each item's outcome is in its own status (a
 * failure is logged, naming the item); the return value is AD_OK unless
 * the run must stop (out of memory, interrupted). */

/* One new order: NAMES[0..n), and the ARI identifier of the certificate it
 * replaces (RFC 9773 5) or NULL. */
struct ad_order_req {
    const char *const *names;
    size_t n;
    const char *replaces;  /* set to NULL when the CA refused it and the order was made without */
    struct ad_order order; /* filled when rc is AD_OK; clear with ad_order_clear */
    ad_status rc;
    const char *profile;   /* the profile to ask for (newOrder "profile"), or NULL */
};
/* Create the orders Q[0..n) concurrently. */
ad_status ad_acme_new_orders(struct ad_acme *a, struct ad_order_req *q, size_t n);
/* Fetch the authorizations AZ[IDX[k]] (url set) concurrently; RCS[k]. */
ad_status ad_acme_fetch_authzs(struct ad_acme *a, struct ad_authz *az, const size_t *idx, size_t n, ad_status *rcs);
/* Tell the CA to validate the dns-01 challenge of each pending AZ[IDX[k]]. */
ad_status ad_acme_respond(struct ad_acme *a, struct ad_authz *az, const size_t *idx, size_t n, ad_status *rcs);
/* Poll AZ[IDX[k]] until each is valid or failed (shown with its challenge
 * error: AD_ERR_VALIDATION); TIMEOUT_MS bounds the whole wait. */
ad_status ad_acme_wait_authzs(struct ad_acme *a, struct ad_authz *az, const size_t *idx, size_t n,
                              unsigned timeout_ms, ad_status *rcs);
/* Finalize ORDERS[k] with CSRS[k] (base64url DER) and wait until each is
 * valid; WHATS[k] names it in messages. */
ad_status ad_acme_finalize(struct ad_acme *a, struct ad_order *const *orders, const char *const *csrs,
                           const char *const *whats, size_t n, unsigned timeout_ms, ad_status *rcs);
/* Download the chain (PEM) of each ORDERS[k] into PEMS[k] (caller frees). */
ad_status ad_acme_download(struct ad_acme *a, struct ad_order *const *orders, const char *const *whats, size_t n,
                           char **pems, size_t *lens, ad_status *rcs);

/* The directory's renewalInfo URL (RFC 9773), or NULL without ARI.  Borrowed. */
const char *ad_acme_renewal_info(const struct ad_acme *a);
/* One renewal-information request. */
struct ad_ari_fetch {
    const char *id;                /* the certificate's ARI identifier */
    struct ad_http_response resp;  /* when rc is AD_OK (any HTTP status); clear it */
    ad_status rc;
};
/* GET renewalInfo/ID for each of F[0..n) concurrently (unauthenticated). */
ad_status ad_acme_fetch_renewal_info(struct ad_acme *a, struct ad_ari_fetch *f, size_t n);
/* Render an RFC 7807 problem document for a person: type, detail and
 * every subproblem.  Caller frees *OUT.  Returns AD_ERR_PROTOCOL when BODY
 * is not a problem document. */
ad_status ad_problem_format(const char *body, size_t len, char **out);
/* Number of HTTP requests made to the CA. */
unsigned long ad_acme_requests(const struct ad_acme *a);

/* ------------------------------------------------ certificate profiles, chains */

/* A profile name as we accept it from a user or a CA: 1 to 64 letters,
 * digits, '.', '_' and '-'. */
bool ad_profile_name_ok(const char *s);
/* True when the directory's meta.profiles offers PROFILE. */
bool ad_acme_has_profile(const struct ad_acme *a, const char *profile);
/* AD_OK when the directory offers PROFILE; else AD_ERR_USAGE and *WHY
 * (caller frees) says so and names the profiles it offers. */
ad_status ad_acme_profile_check(const struct ad_acme *a, const char *profile, char **why);
/* Download the chains at URLS[0..n) (POST-as-GET, as ad_acme_download does
 * for orders) into PEMS[k] (caller frees). */
ad_status ad_acme_download_urls(struct ad_acme *a, const char *const *urls, const char *const *whats, size_t n,
                                char **pems, size_t *lens, ad_status *rcs);

/* ------------------------------------------------ accounts (RFC 8555 7.3) */

/* Where the HMAC key of an external account binding may come from. */
#define AD_EAB_KEY_ENV "ACME_DNS_EAB_HMAC_KEY"
/* An external account binding for the next account ad_acme_account
 * creates: the CA's key ID and the decoded HMAC key (both copied; the key
 * is wiped when replaced or freed). */
ad_status ad_acme_set_eab(struct ad_acme *a, const char *kid, const uint8_t *key, size_t len);
/* The directory says externalAccountRequired. */
bool ad_acme_eab_required(const struct ad_acme *a);

/* What the CA says of an account. */
struct ad_account_info {
    char *status;      /* "valid", "deactivated", "revoked" ..., or NULL */
    char **contact;    /* contact URLs ("mailto:..."), printable ASCII */
    size_t ncontact;
    char *orders;      /* the orders list URL, or NULL */
};
void ad_account_info_clear(struct ad_account_info *i);
/* Parse an account object (BODY, LEN bytes).  AD_ERR_PROTOCOL when it is
 * not one; bounded (at most 16 contacts of at most 1024 bytes, longer ones
 * and what is not a string passed over; control characters and non-ASCII
 * bytes shown as '?').  Clear *OUT in every case. */
ad_status ad_account_info_parse(const char *body, size_t len, struct ad_account_info *out);
/* The account of the handle's key, when the CA has one (newAccount with
 * onlyReturnExisting): AD_OK and *URL (caller frees); AD_ERR_ACME, not
 * logged, when it has none or refuses to say. */
ad_status ad_acme_account_find(struct ad_acme *a, char **url);
/* The account (set with ad_acme_set_kid), POST-as-GET. */
ad_status ad_acme_account_fetch(struct ad_acme *a, struct ad_account_info *out);
/* Update the account: its contacts to CONTACT[0..n), or, with DEACTIVATE,
 * its status to "deactivated" (RFC 8555 7.3.2, 7.3.6).  *OUT (may be
 * NULL): the CA's answer. */
ad_status ad_acme_account_update(struct ad_acme *a, const char *const *contact, size_t n, bool deactivate,
                                 struct ad_account_info *out);
/* Roll the account's key over to NEW_KEY (RFC 8555 7.3.5), signed by the
 * current key.  The handle keeps signing with the current key: on AD_OK
 * the caller keeps NEW_KEY and gives it to ad_acme_set_key. */
ad_status ad_acme_key_change(struct ad_acme *a, EVP_PKEY *new_key);
/* Revoke the certificate DER[0..len) (RFC 8555 7.6) with REASON (an RFC
 * 5280 reason code, -1 for none), signed by the account.  When the CA says
 * it was already revoked, *ALREADY is set and AD_ERR_ACME returned without
 * an error logged. */
ad_status ad_acme_revoke(struct ad_acme *a, const uint8_t *der, size_t len, int reason, bool *already);

#endif

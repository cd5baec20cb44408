/* ACME (RFC 8555) protocol flow. */
#ifndef AD_ACME_H
#define AD_ACME_H

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
/* Terms of service URL from the directory, or NULL (borrowed). */
const char *ad_acme_tos(const struct ad_acme *a);
/* Print what the directory (fetched with ad_acme_directory) offers. */
void ad_acme_describe(const struct ad_acme *a, FILE *f);
/* Use KNOWN_URL as the account, or find/create the account of the key
 * (onlyReturnExisting first when FIND_FIRST).  *URL_OUT is the account
 * URL, caller frees; *CREATED tells whether it is new. */
ad_status ad_acme_account(struct ad_acme *a, const char *email, bool agree_tos, bool find_first, char **url_out,
                          bool *created);
/* Set the account URL (kid) for later requests; copied. */
ad_status ad_acme_set_kid(struct ad_acme *a, const char *kid);
ad_status ad_acme_new_order(struct ad_acme *a, const char *const *names, size_t n, struct ad_order *o);
void ad_order_clear(struct ad_order *o);
/* Fetch every authorization of the order. AZ has o->nauthz entries. */
ad_status ad_acme_get_authzs(struct ad_acme *a, const struct ad_order *o, struct ad_authz *az);
void ad_authz_clear(struct ad_authz *az);
/* Tell the CA to validate the dns-01 challenge of every pending
 * authorization among AZ[0..N), concurrently. */
ad_status ad_acme_respond(struct ad_acme *a, struct ad_authz *az, size_t n);
/* Poll the authorizations until each is valid; an invalid one is shown with
 * its challenge error.  TIMEOUT_MS bounds the whole wait. */
ad_status ad_acme_wait_authzs(struct ad_acme *a, struct ad_authz *az, size_t n, unsigned timeout_ms);
/* Finalize with CSR (base64url DER), wait until the order is valid. */
ad_status ad_acme_finalize(struct ad_acme *a, struct ad_order *o, const char *csr, unsigned timeout_ms);
/* Download the certificate chain (PEM).  Caller frees *PEM. */
ad_status ad_acme_download(struct ad_acme *a, const struct ad_order *o, char **pem, size_t *len);
/* Render an RFC 7807 problem document for a person: type, detail and
 * every subproblem.  Caller frees *OUT.  Returns AD_ERR_PROTOCOL when BODY
 * is not a problem document. */
ad_status ad_problem_format(const char *body, size_t len, char **out);
/* Number of HTTP requests made to the CA. */
unsigned long ad_acme_requests(const struct ad_acme *a);

#endif

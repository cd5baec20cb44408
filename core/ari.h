/* When a certificate is due: ACME Renewal Information (RFC 9773) and the
 * lifetime rule without it; and the renewal state kept beside each
 * certificate (state.json) between runs.
 *
 * state.json (JSON object, written by `renew` and `issue`; safe to delete):
 *   "version": 1                      required; larger versions are refused
 *   "ari": {                          the CA's last answer for this certificate
 *       "cert_id": "aYhb...AIdlQyE",  the certificate it is about
 *       "window_start": RFC 3339, "window_end": RFC 3339,
 *       "selected": RFC 3339,         our random moment in the window, kept
 *                                     while the window stays the same
 *       "next_check": RFC 3339,       not before Retry-After has passed
 *       "explanation_url": "https://..."}
 *   "failures": 0, "last_failure": RFC 3339, "last_error": "..."
 *                                     renewal attempts that failed in a row
 *   "revoked": {"serial": "hex", "at": RFC 3339, "reason": "keyCompromise"}
 *                                     acme-dns revoke revoked the certificate
 *                                     of that serial: renew replaces it
 * Unknown keys are ignored. */
#ifndef AD_ARI_H
#define AD_ARI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acme-dns/status.h"

#define AD_STATE_VERSION 1
#define AD_STATE_FILE "state.json"
#define AD_STATE_MAX (64u << 10)
/* Retry-After bounds (RFC 9773 4.3: one minute to one day), and the wait
 * when the CA gave none or the answer was unusable. */
#define AD_ARI_RETRY_MIN 60
#define AD_ARI_RETRY_MAX 86400
#define AD_ARI_RETRY_DEFAULT 21600

struct ad_ari_window {
    int64_t start, end;
    char *explanation;    /* explanationURL or NULL; owned */
};

struct ad_renewal_state {
    char *cert_id;        /* NULL: no ARI answer kept */
    int64_t start, end, selected, next_check;
    char *explanation;
    unsigned failures;
    int64_t last_failure;
    char *last_error;
    char *revoked_serial;  /* NULL: not revoked by us */
    int64_t revoked_at;
    char *revoked_reason;  /* the RFC 5280 name, or NULL when none was given */
};

/* A RenewalInfo object (RFC 9773 4.2) from BODY.  AD_ERR_PROTOCOL, with WHY
 * filled, when it is not one (an end not after its start included).
 * Clear *W with ad_ari_window_clear in every case. */
ad_status ad_ari_parse(const char *body, size_t len, struct ad_ari_window *w, char *why, size_t whysize);
void ad_ari_window_clear(struct ad_ari_window *w);

/* Fold a fresh answer into ST for certificate ID: a new or changed window
 * gets a new random moment in [start, end); the next check is NOW plus
 * RETRY_AFTER (seconds, -1 when absent) within the RFC's bounds. */
ad_status ad_ari_update(struct ad_renewal_state *st, const char *id, const struct ad_ari_window *w,
                        long retry_after, int64_t now);
/* The moment a certificate valid from NOT_BEFORE to NOT_AFTER is due
 * without ARI: when a third of its lifetime is left, or half of it for
 * lifetimes under ten days. */
int64_t ad_due_by_lifetime(int64_t not_before, int64_t not_after);

/* One certificate whose renewal information to ask for. */
struct ad_ari_item {
    const char *name, *dir;       /* for messages; where its state.json is */
    const char *id;               /* its ARI identifier */
    struct ad_renewal_state *st;  /* updated and saved when the CA answered */
    bool ok;                      /* out: the CA gave a usable answer */
};
struct ad_acme;
/* Ask the CA (its directory has renewalInfo) about ITEMS[0..n) at once and
 * fold each usable answer into its state (saved).  Unusable answers are
 * reported as warnings.  AD_OK unless out of memory or interrupted. */
ad_status ad_ari_check(struct ad_acme *a, struct ad_ari_item *items, size_t n, int64_t now);

ad_status ad_state_parse(const char *buf, size_t len, struct ad_renewal_state *st, char *why, size_t whysize);
ad_status ad_state_format(const struct ad_renewal_state *st, char **json);
void ad_state_clear(struct ad_renewal_state *st);
/* DIR/state.json; a missing or damaged file gives an empty state (a
 * damaged one with a warning), so renewal falls back to asking again. */
ad_status ad_state_load(const char *dir, struct ad_renewal_state *st);
ad_status ad_state_save(const char *dir, const struct ad_renewal_state *st);

#endif

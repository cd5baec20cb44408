#include "acme.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "acme_parse.h"
#include "b64.h"
#include "jws.h"
#include "killpoint.h"
#include "log.h"
#include "util.h"

/* badNonce answers in a row for one request before giving up (the CA refused
 * each before acting on it, so each is tried again at once; Pebble's test
 * setting rejects half of all nonces). */
#define AD_BADNONCE_RETRIES 32
/* The wait before the first try again after a failure that may pass, doubled
 * each time up to the most; the tries of one request stop when the next
 * would start later than --http-timeout after its first. */
#define AD_RETRY_FIRST_MS 250u
#define AD_RETRY_STEP_MAX_MS 8000u
#define AD_NONCE_POOL 16
/* Alternate chains of one certificate we look at, at most. */
#define AD_CHAINS_MAX 8

struct ad_acme {
    struct ad_http *http;
    EVP_PKEY *key;
    char *dir_url;
    struct ad_acme_dir dir;      /* what its directory offers */
    char *nonces[AD_NONCE_POOL];
    size_t nnonces;
    char *kid;
    /* directory: revokeCert, keyChange, meta.profiles (names and descriptions) */
    char *revoke_cert, *key_change;
    char **profiles, **profile_descs;
    size_t nprofiles;
    /* the external account binding for a new account */
    char *eab_kid;
    uint8_t *eab_key;
    size_t eab_len;
};

/* Defined with the functions of certificate profiles, chains and accounts, below. */
static void extras_free(struct ad_acme *a);
static ad_status directory_extras(struct ad_acme *a, json_object *dir);
static void describe_extras(const struct ad_acme *a, FILE *f);
static ad_status eab_check(const struct ad_acme *a);
static ad_status eab_member(const struct ad_acme *a, json_object *req);

static ad_status batch_retry(struct ad_acme *a, struct ad_http_req *q, size_t n);

ad_status ad_acme_new(struct ad_http *http, const char *directory_url, EVP_PKEY *key, struct ad_acme **out)
{
    struct ad_acme *a = calloc(1, sizeof *a);
    if (!a || !(a->dir_url = strdup(directory_url))) {
        free(a);
        return AD_ERR_NOMEM;
    }
    a->http = http;
    a->key = key;
    *out = a;
    return AD_OK;
}

void ad_acme_free(struct ad_acme *a)
{
    if (!a)
        return;
    free(a->dir_url);
    ad_acme_dir_clear(&a->dir);
    for (size_t i = 0; i < a->nnonces; i++)
        free(a->nonces[i]);
    free(a->kid);
    extras_free(a);
    free(a);
}

unsigned long ad_acme_requests(const struct ad_acme *a)
{
    return ad_http_count(a->http);
}

void ad_acme_describe(const struct ad_acme *a, FILE *f)
{
    fprintf(f, "ACME directory %s\n", a->dir_url);
    fprintf(f, "  newNonce:                %s\n  newAccount:              %s\n  newOrder:                %s\n",
            a->dir.new_nonce, a->dir.new_account, a->dir.new_order);
    fprintf(f, "  terms of service:        %s\n", a->dir.tos ? a->dir.tos : "(none given)");
    if (a->dir.website)
        fprintf(f, "  website:                 %s\n", a->dir.website);
    if (a->dir.caa && *a->dir.caa)
        fprintf(f, "  CAA identities:          %s\n", a->dir.caa);
    fprintf(f, "  external account needed: %s\n", a->dir.eab_required ? "yes" : "no");
    fprintf(f, "  renewal information:     %s\n",
            a->dir.renewal_info ? a->dir.renewal_info : "(none: no ARI, RFC 9773)");
    describe_extras(a, f);
}

json_object *ad_acme_describe_json(const struct ad_acme *a)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    const char *k[] = {"url", "newNonce", "newAccount", "newOrder", "termsOfService", "website", "renewalInfo"};
    const char *v[] = {a->dir_url,   a->dir.new_nonce, a->dir.new_account,  a->dir.new_order,
                       a->dir.tos, a->dir.website,   a->dir.renewal_info};
    for (size_t i = 0; i < sizeof k / sizeof *k; i++)
        json_object_object_add(o, k[i], v[i] ? json_object_new_string(v[i]) : NULL);
    json_object *caa = json_object_new_array();
    for (const char *p = a->dir.caa; caa && p && *p;) { /* kept comma-separated */
        size_t n = strcspn(p, ",");
        while (n && p[n - 1] == ' ')
            n--;
        if (n)
            json_object_array_add(caa, json_object_new_string_len(p, (int)n));
        p += strcspn(p, ",");
        p += strspn(p, ", ");
    }
    json_object_object_add(o, "caaIdentities", caa);
    json_object_object_add(o, "externalAccountRequired", json_object_new_boolean(a->dir.eab_required));
    return o;
}

const char *ad_acme_tos(const struct ad_acme *a)
{
    return a->dir.tos;
}

void ad_acme_set_key(struct ad_acme *a, EVP_PKEY *key)
{
    a->key = key;
}

ad_status ad_acme_set_kid(struct ad_acme *a, const char *kid)
{
    free(a->kid);
    a->kid = NULL;
    return !kid || (a->kid = strdup(kid)) ? AD_OK : AD_ERR_NOMEM;
}

/* BODY is a problem document of TYPE. */
static bool is_problem(const char *body, size_t len, const char *type)
{
    json_object *o = ad_acme_json(body, len);
    const char *t = ad_acme_jstr(o, "type");
    bool r = t && strcmp(t, type) == 0;
    json_object_put(o);
    return r;
}

static void show_problem(const char *what, const struct ad_http_response *r)
{
    char *p = NULL;
    if (ad_problem_format(r->body, r->len, &p) == AD_OK)
        ad_err("%s: the CA answered %ld: %s", what, r->status, p);
    else
        ad_err("%s: the CA answered HTTP %ld without a problem document", what, r->status);
    free(p);
}

ad_status ad_acme_directory(struct ad_acme *a)
{
    struct ad_http_req q = {.method = "GET", .url = a->dir_url};
    struct ad_http_response r;
    ad_status rc = batch_retry(a, &q, 1);
    if (rc == AD_OK)
        rc = q.rc;
    r = q.resp;
    if (rc != AD_OK) {
        ad_http_response_clear(&r);
        return rc;
    }
    rc = AD_ERR_PROTOCOL;
    if (r.status != 200) {
        ad_err("the ACME directory %s answered HTTP %ld: check --server", a->dir_url, r.status);
        goto out;
    }
    rc = ad_acme_dir_parse(r.body, r.len, a->dir_url, &a->dir);
    if (rc == AD_OK) {
        json_object *o = ad_acme_json(r.body, r.len);
        rc = o ? directory_extras(a, o) : AD_ERR_PROTOCOL;
        json_object_put(o);
    }
out:
    ad_http_response_clear(&r);
    return rc;
}

/* Nonce pool: every response brings a fresh nonce; concurrent requests
 * each need their own. */
static void nonce_put(struct ad_acme *a, char *n)
{
    if (!ad_acme_nonce_ok(n)) { /* RFC 8555 6.5.1: ignored */
        ad_debug("ignoring a Replay-Nonce that is not base64url");
        free(n);
    } else if (a->nnonces < AD_NONCE_POOL)
        a->nonces[a->nnonces++] = n;
    else
        free(n);
}

static char *nonce_take(struct ad_acme *a)
{
    return a->nnonces ? a->nonces[--a->nnonces] : NULL;
}

/* Milliseconds to wait before trying Q again after its TRIES-th failure,
 * the first try having started at STARTED; -1 when not to: the failure is
 * not one that may pass (a refused, reset or cut connection; HTTP 5xx other
 * than 501 and 505; HTTP 429 with a Retry-After), or the try would start
 * later than --http-timeout after the first.  Retry-After is honoured (the
 * wait is at least that long), and the wait has up to a quarter added at
 * random, so that many clients do not come back at the same moment. */
static long retry_delay(const struct ad_acme *a, const struct ad_http_req *q, unsigned tries, uint64_t started)
{
    long ra = -1;
    if (q->rc == AD_ERR_NETWORK && !q->transient)
        return -1;
    if (q->rc == AD_OK) {
        long s = q->resp.status;
        if ((s == 429 && q->resp.retry_after < 0) || (s != 429 && (s < 500 || s == 501 || s == 505)))
            return -1;
        ra = q->resp.retry_after;
    } else if (q->rc != AD_ERR_NETWORK) {
        return -1;
    }
    uint64_t d = AD_RETRY_FIRST_MS << (tries > 6 ? 5 : tries - 1);
    unsigned char r = 0;
    if (d > AD_RETRY_STEP_MAX_MS)
        d = AD_RETRY_STEP_MAX_MS;
    if (RAND_bytes(&r, 1) == 1)
        d += d * r / 1024;
    if (ra >= 0 && (uint64_t)ra * 1000 > d)
        d = (uint64_t)ra * 1000;
    if (ad_now_ms() + d > started + ad_http_timeout_ms(a->http)) {
        if (ra >= 0 && (uint64_t)ra * 1000 >= d)
            ad_err("%s %s: the CA asks to come back in %ld s (Retry-After), later than --http-timeout allows: "
                   "run acme-dns again then", q->method, q->url, ra);
        return -1;
    }
    return (long)d;
}

/* Say that Q (for WHAT, or NULL: Q's method and URL) failed in a way that
 * may pass, and when it is tried again. */
static void say_retry(const char *what, const struct ad_http_req *q, long delay_ms)
{
    if (q->rc != AD_OK && what)
        ad_warn("%s: %s: trying again in %.1f s", what, q->error, delay_ms / 1000.0);
    else if (q->rc != AD_OK)
        ad_warn("%s: trying again in %.1f s", q->error, delay_ms / 1000.0);
    else if (what)
        ad_warn("%s: the CA answered HTTP %ld: trying again in %.1f s", what, q->resp.status, delay_ms / 1000.0);
    else
        ad_warn("%s %s: the CA answered HTTP %ld: trying again in %.1f s", q->method, q->url, q->resp.status,
                delay_ms / 1000.0);
}

/* ad_http_batch for requests that may be sent again as they are (GET,
 * HEAD): each that failed in a way that may pass is tried again after its
 * delay (retry_delay); the others keep their outcome.  A transport failure
 * not tried again is logged. */
static ad_status batch_retry(struct ad_acme *a, struct ad_http_req *q, size_t n)
{
    uint64_t started = ad_now_ms(), wait = 0;
    unsigned *tries = calloc(n ? n : 1, sizeof *tries);
    size_t *todo = calloc(n ? n : 1, sizeof *todo), m = n;
    struct ad_http_req *sub = calloc(n ? n : 1, sizeof *sub);
    ad_status rc = AD_ERR_NOMEM;
    if (!tries || !todo || !sub) {
        for (size_t i = 0; i < n; i++)
            q[i].rc = rc;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        todo[i] = i;
    for (;;) {
        for (size_t k = 0; k < m; k++) {
            sub[k] = q[todo[k]];
            sub[k].quiet = true;
        }
        rc = ad_http_batch(a->http, sub, m);
        size_t again = 0;
        for (size_t k = 0; k < m; k++) {
            struct ad_http_req *r = &q[todo[k]];
            *r = sub[k];
            long d = rc == AD_OK ? retry_delay(a, r, ++tries[todo[k]], started) : -1;
            if (d >= 0) {
                say_retry(NULL, r, d);
                ad_http_response_clear(&r->resp);
                todo[again++] = todo[k];
                wait = (uint64_t)d > wait ? (uint64_t)d : wait;
            } else if (r->rc == AD_ERR_NETWORK) {
                ad_err("%s", r->error);
            }
        }
        if (rc != AD_OK || !again)
            break;
        if (!ad_sleep_ms(wait)) {
            rc = AD_ERR_INTERRUPTED;
            for (size_t k = 0; k < again; k++)
                q[todo[k]].rc = rc;
            break;
        }
        m = again;
        wait = 0;
    }
out:
    free(tries);
    free(todo);
    free(sub);
    return rc;
}

/* Make sure the pool holds at least WANT nonces. */
static ad_status nonce_fill(struct ad_acme *a, size_t want)
{
    struct ad_http_req q[AD_HTTP_PARALLEL];
    if (want > AD_HTTP_PARALLEL)
        want = AD_HTTP_PARALLEL;
    if (a->nnonces >= want)
        return AD_OK;
    size_t n = want - a->nnonces;
    memset(q, 0, sizeof q);
    for (size_t i = 0; i < n; i++) {
        q[i].method = "HEAD";
        q[i].url = a->dir.new_nonce;
    }
    ad_status rc = batch_retry(a, q, n);
    for (size_t i = 0; i < n; i++) {
        if (q[i].rc == AD_OK && q[i].resp.nonce && ad_acme_nonce_ok(q[i].resp.nonce)) {
            nonce_put(a, q[i].resp.nonce);
            q[i].resp.nonce = NULL;
        } else if (rc == AD_OK) {
            rc = q[i].rc != AD_OK ? q[i].rc : AD_ERR_PROTOCOL;
            if (q[i].rc == AD_OK)
                ad_err("the CA's newNonce (%s) gave no usable Replay-Nonce (HTTP %ld)", a->dir.new_nonce,
                       q[i].resp.status);
        }
        ad_http_response_clear(&q[i].resp);
    }
    return rc;
}

/* How a post is tried again after a failure that may pass (see
 * retry_delay).  The CA may have acted on a post whose answer was lost, and
 * every try is signed anew with a fresh nonce (RFC 8555 6.5), so it depends
 * on what the post does:
 *   AD_RETRY_NONE    not again (the default: badNonce only, which the CA
 *                    refused before acting on the post);
 *   AD_RETRY_REPEAT  sent again as it is: POST-as-GET (always, whatever the
 *                    post says: it changes nothing), newAccount (the key's
 *                    account comes back, RFC 8555 7.3.1), newOrder (an extra
 *                    order, never answered, expires and costs nothing);
 *   AD_RETRY_CHECK   it changes the state once (a challenge answer,
 *                    finalize): sent again as it is, and when the CA refuses
 *                    it (a challenge "not pending", orderNotReady), the object
 *                    at CHECK_URL is fetched: if it is processing, valid or
 *                    invalid, the CA had acted on an earlier try whose answer
 *                    was lost (libcurl itself sends a request again when a
 *                    kept-alive connection dies before any answer, and the CA
 *                    then sees a used nonce), and that object is the answer.
 */
enum ad_retry { AD_RETRY_NONE, AD_RETRY_REPEAT, AD_RETRY_CHECK };

struct post {
    const char *url;
    const char *payload;   /* "" for POST-as-GET */
    const char *what;      /* for messages about this one, or NULL for post_many's WHAT */
    struct ad_http_response resp;
    json_object *json;     /* parsed body when wanted */
    ad_status rc;
    bool quiet;            /* an HTTP error is not shown (the caller looks at resp) */
    enum ad_retry retry;
    const char *check_url; /* AD_RETRY_CHECK */
};

/* The object in BODY (a challenge, an order) has been acted on: its status
 * is processing, valid or invalid. */
static bool acted_on(const char *body, size_t len)
{
    json_object *o = ad_acme_json(body, len), *v;
    const char *s = o && json_object_object_get_ex(o, "status", &v) && json_object_is_type(v, json_type_string)
                        ? json_object_get_string(v)
                        : "";
    bool r = strcmp(s, "processing") == 0 || strcmp(s, "valid") == 0 || strcmp(s, "invalid") == 0;
    json_object_put(o);
    return r;
}

/* Signed POSTs, run concurrently (each with its own nonce).  An HTTP error
 * shows the problem with WHAT and gives AD_ERR_ACME; badNonce is retried,
 * and failures that may pass as each post's retry says.  WANT_JSON: the
 * body must be JSON (p->json, caller puts it).  Returns the first failure,
 * AD_OK when every post succeeded. */
static ad_status post_many(struct ad_acme *a, const char *what, struct post *p, size_t n, bool use_jwk,
                           const char *accept, bool want_json)
{
    struct ad_http_req q[AD_HTTP_PARALLEL];
    char *bodies[AD_HTTP_PARALLEL] = {0};
    size_t idx[AD_HTTP_PARALLEL];
    unsigned nonces[AD_HTTP_PARALLEL], tries[AD_HTTP_PARALLEL];
    bool checking[AD_HTTP_PARALLEL];  /* this try fetches the post's check_url */
    struct ad_http_response held[AD_HTTP_PARALLEL]; /* the refusal that the check may explain */
    ad_status rc = AD_OK;
    size_t done = 0;

    for (size_t i = 0; i < n; i++) {
        memset(&p[i].resp, 0, sizeof p[i].resp);
        p[i].json = NULL;
        p[i].rc = AD_ERR_INTERNAL;
    }
    while (done < n && rc == AD_OK) {
        size_t m = n - done < AD_HTTP_PARALLEL ? n - done : AD_HTTP_PARALLEL;
        uint64_t started = ad_now_ms(), wait = 0;
        for (size_t k = 0; k < m; k++) {
            idx[k] = done + k;
            nonces[k] = tries[k] = 0;
            checking[k] = false;
            memset(&held[k], 0, sizeof held[k]);
        }
        /* Send this round's posts until none is to be tried again. */
        size_t live = m;
        while (live && rc == AD_OK) {
            if (wait && !ad_sleep_ms(wait)) {
                rc = AD_ERR_INTERRUPTED;
                break;
            }
            wait = 0;
            if ((rc = nonce_fill(a, live)) != AD_OK)
                break;
            memset(q, 0, sizeof q);
            for (size_t k = 0; k < live; k++) {
                const struct post *pp = &p[idx[k]];
                const char *url = checking[k] ? pp->check_url : pp->url;
                char *nonce = nonce_take(a);
                rc = ad_jws_sign(a->key, use_jwk ? NULL : a->kid, nonce, url, checking[k] ? "" : pp->payload,
                                 &bodies[k]);
                free(nonce);
                if (rc != AD_OK)
                    break;
                q[k].method = "POST";
                q[k].url = url;
                q[k].ctype = "application/jose+json";
                q[k].body = bodies[k];
                q[k].accept = checking[k] ? NULL : accept;
                q[k].quiet = true;
            }
            if (rc == AD_OK)
                rc = ad_http_batch(a->http, q, live);
            size_t again = 0;
            for (size_t k = 0; k < live; k++) {
                free(bodies[k]);
                bodies[k] = NULL;
                struct ad_http_response *r = &q[k].resp;
                struct post *pp = &p[idx[k]];
                const char *w = pp->what ? pp->what : what;
                bool requeue = false;
                if (rc != AD_OK) {
                    pp->rc = q[k].rc != AD_OK ? q[k].rc : rc;
                    ad_http_response_clear(r);
                    ad_http_response_clear(&held[k]);
                    continue;
                }
                if (q[k].rc == AD_OK && r->nonce) {
                    nonce_put(a, r->nonce);
                    r->nonce = NULL;
                }
                enum ad_retry how = checking[k] || !*pp->payload ? AD_RETRY_REPEAT : pp->retry;
                bool bad_nonce = q[k].rc == AD_OK && r->status >= 400 && nonces[k] < AD_BADNONCE_RETRIES &&
                                 ad_acme_is_bad_nonce(r->body, r->len);
                long d = !bad_nonce && how != AD_RETRY_NONE ? retry_delay(a, &q[k], tries[k] + 1, started) : -1;
                if (bad_nonce) {
                    ad_debug("%s: the CA rejected our nonce (badNonce): retrying with a fresh one", w);
                    nonces[k]++;
                    requeue = true;
                } else if (d >= 0) {
                    say_retry(w, &q[k], d);
                    tries[k]++;
                    wait = (uint64_t)d > wait ? (uint64_t)d : wait;
                    requeue = true;
                } else if (q[k].rc != AD_OK) {
                    if (q[k].rc == AD_ERR_NETWORK)
                        ad_err("%s", q[k].error);
                    pp->rc = q[k].rc;
                    ad_http_response_clear(&held[k]);
                    continue;
                } else if (!checking[k] && pp->retry == AD_RETRY_CHECK && r->status >= 400 && r->status < 500) {
                    ad_debug("%s: refused: asking whether the CA had acted on an earlier try", w);
                    held[k] = *r;
                    memset(r, 0, sizeof *r);
                    checking[k] = requeue = true;
                } else if (checking[k]) {
                    bool acted = r->status < 400 && acted_on(r->body, r->len);
                    ad_debug("%s: %s", w, acted ? "the CA had acted on it before its answer was lost: going on"
                                                : "the CA had not acted on it: its refusal stands");
                    if (!acted) {
                        ad_http_response_clear(r);
                        *r = held[k];
                        memset(&held[k], 0, sizeof held[k]);
                    }
                    ad_http_response_clear(&held[k]);
                }
                if (requeue) {
                    ad_http_response_clear(r);
                    idx[again] = idx[k];
                    nonces[again] = nonces[k];
                    tries[again] = tries[k];
                    checking[again] = checking[k];
                    held[again] = held[k];
                    if (again != k)
                        memset(&held[k], 0, sizeof held[k]);
                    again++;
                    continue;
                }
                pp->resp = *r;
                memset(r, 0, sizeof *r);
                if (pp->resp.status >= 400) {
                    if (!pp->quiet)
                        show_problem(w, &pp->resp);
                    pp->rc = AD_ERR_ACME;
                } else if (want_json && !(pp->json = ad_acme_json(pp->resp.body, pp->resp.len))) {
                    ad_err("%s: the CA's answer is not JSON (HTTP %ld)", w, pp->resp.status);
                    pp->rc = AD_ERR_PROTOCOL;
                } else {
                    pp->rc = AD_OK;
                }
            }
            live = again;
        }
        for (size_t k = 0; k < live; k++) /* stopped early */
            ad_http_response_clear(&held[k]);
        done += m;
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i].rc == AD_ERR_INTERNAL && rc != AD_OK)
            p[i].rc = rc; /* never sent: the batch as a whole failed */
        if (rc == AD_OK && p[i].rc != AD_OK)
            rc = p[i].rc;
        if (p[i].rc != AD_OK && !(p[i].quiet && p[i].rc == AD_ERR_ACME)) /* a quiet one's problem is kept */
            ad_http_response_clear(&p[i].resp);
    }
    return rc;
}

/* The run must stop (out of memory, interrupted); per-item failures are in
 * each item's rc. */
static bool fatal(ad_status rc)
{
    return rc == AD_ERR_NOMEM || rc == AD_ERR_INTERRUPTED;
}

/* One signed POST (PAYLOAD "" = POST-as-GET) tried again as HOW says; see post_many. */
static ad_status post_how(struct ad_acme *a, const char *what, const char *url, const char *payload, bool use_jwk,
                          const char *accept, enum ad_retry how, struct ad_http_response *r, json_object **json)
{
    struct post p = {.url = url, .payload = payload, .retry = how};
    ad_status rc = post_many(a, what, &p, 1, use_jwk, accept, json != NULL);
    *r = p.resp;
    if (json)
        *json = p.json;
    else
        json_object_put(p.json);
    return rc;
}

/* One signed POST (PAYLOAD "" = POST-as-GET); see post_many. */
static ad_status post(struct ad_acme *a, const char *what, const char *url, const char *payload, bool use_jwk,
                      const char *accept, struct ad_http_response *r, json_object **json)
{
    return post_how(a, what, url, payload, use_jwk, accept, AD_RETRY_NONE, r, json);
}

ad_status ad_acme_account(struct ad_acme *a, const char *email, bool agree_tos, bool find_first, char **url_out,
                          bool *created)
{
    ad_status rc = AD_ERR_NOMEM;
    struct ad_http_response r = {0};
    json_object *req = json_object_new_object(), *resp = NULL;
    *created = false;
    if (!req)
        goto out;
    if (find_first) {
        json_object_object_add(req, "onlyReturnExisting", json_object_new_boolean(1));
        rc = post_how(a, "looking up the account", a->dir.new_account, json_object_to_json_string(req), true, NULL,
                      AD_RETRY_REPEAT, &r, NULL);
        if (rc == AD_OK && r.location && (r.status == 200 || r.status == 201)) {
            *url_out = r.location;
            r.location = NULL;
            ad_debug("found the existing account %s", *url_out);
            goto out;
        }
        ad_http_response_clear(&r);
        if (rc != AD_OK && rc != AD_ERR_ACME)
            goto out;
        json_object_object_del(req, "onlyReturnExisting");
    }
    if ((rc = eab_check(a)) != AD_OK)
        goto out;
    if (!agree_tos) {
        ad_err("a new account needs agreement to the CA's terms of service%s%s: read them and add --agree-tos",
               a->dir.tos ? " at " : "", a->dir.tos ? a->dir.tos : "");
        rc = AD_ERR_USAGE;
        goto out;
    }
    json_object_object_add(req, "termsOfServiceAgreed", json_object_new_boolean(1));
    if (email) {
        json_object *arr = json_object_new_array();
        char *mailto = ad_asprintf("mailto:%s", email);
        if (!arr || !mailto) {
            json_object_put(arr);
            free(mailto);
            rc = AD_ERR_NOMEM;
            goto out;
        }
        json_object_array_add(arr, json_object_new_string(mailto));
        free(mailto);
        json_object_object_add(req, "contact", arr);
    }
    if ((rc = eab_member(a, req)) != AD_OK)
        goto out;
    rc = post_how(a, "creating the account", a->dir.new_account, json_object_to_json_string(req), true, NULL,
                  AD_RETRY_REPEAT, &r, &resp);
    if (rc == AD_ERR_ACME && a->eab_kid)
        ad_err("the CA refused the new account with the external account binding of key ID %s: check --eab-kid "
               "and the HMAC key (ACME_DNS_EAB_HMAC_KEY or --eab-hmac-key-file) the CA gave you",
               a->eab_kid);
    if (rc != AD_OK)
        goto out;
    if (!r.location) {
        ad_err("creating the account: the CA sent no account URL (Location)");
        rc = AD_ERR_PROTOCOL;
        goto out;
    }
    *created = r.status == 201;
    *url_out = r.location;
    r.location = NULL;
    rc = AD_OK;
out:
    json_object_put(req);
    json_object_put(resp);
    ad_http_response_clear(&r);
    return rc;
}

void ad_order_clear(struct ad_order *o)
{
    free(o->url);
    free(o->status);
    free(o->finalize);
    free(o->certificate);
    for (size_t i = 0; i < o->nauthz; i++)
        free(o->authz[i]);
    free(o->authz);
    ad_strv_free(o->alternates, o->nalternates);
    memset(o, 0, sizeof *o);
}

/* The newOrder payload: identifiers, and replaces (RFC 9773 5) when given. */
static char *order_payload(const struct ad_order_req *q)
{
    json_object *req = json_object_new_object(), *ids = json_object_new_array();
    char *s = NULL;
    if (!req || !ids)
        goto out;
    for (size_t i = 0; i < q->n; i++) {
        json_object *id = json_object_new_object();
        if (!id)
            goto out;
        json_object_object_add(id, "type", json_object_new_string("dns"));
        json_object_object_add(id, "value", json_object_new_string(q->names[i]));
        json_object_array_add(ids, id);
    }
    json_object_object_add(req, "identifiers", ids);
    ids = NULL;
    if (q->replaces)
        json_object_object_add(req, "replaces", json_object_new_string(q->replaces));
    if (q->profile)
        json_object_object_add(req, "profile", json_object_new_string(q->profile));
    const char *t = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
    s = t ? strdup(t) : NULL;
out:
    json_object_put(req);
    json_object_put(ids);
    return s;
}

/* Post the orders of Q[IDX[0..n)] concurrently. */
static ad_status post_orders(struct ad_acme *a, struct ad_order_req *q, const size_t *idx, size_t n)
{
    struct post *p = calloc(n ? n : 1, sizeof *p);
    char **payloads = calloc(n ? n : 1, sizeof *payloads), **whats = calloc(n ? n : 1, sizeof *whats);
    ad_status rc = AD_ERR_NOMEM;
    if (!p || !payloads || !whats)
        goto out;
    for (size_t k = 0; k < n; k++) {
        struct ad_order_req *r = &q[idx[k]];
        if (!(payloads[k] = order_payload(r)) ||
            !(whats[k] = ad_asprintf("creating the order for %s%s", r->names[0], r->n > 1 ? " and others" : "")))
            goto out;
        p[k].url = a->dir.new_order;
        p[k].payload = payloads[k];
        p[k].what = whats[k];
        p[k].retry = AD_RETRY_REPEAT;
    }
    rc = post_many(a, "creating the order", p, n, false, NULL, true);
    for (size_t k = 0; k < n; k++) {
        struct ad_order_req *r = &q[idx[k]];
        r->rc = p[k].rc;
        if (r->rc == AD_OK && !p[k].resp.location) {
            ad_err("%s: the CA sent no order URL (Location)", whats[k]);
            r->rc = AD_ERR_PROTOCOL;
        }
        if (r->rc == AD_OK) {
            r->order.url = p[k].resp.location;
            p[k].resp.location = NULL;
            r->rc = ad_acme_order_parse(&r->order, p[k].json);
        }
        if (r->rc == AD_OK && r->order.nauthz == 0 && strcmp(r->order.status, "pending") == 0) {
            ad_err("%s: the CA's pending order has no authorizations", whats[k]);
            r->rc = AD_ERR_PROTOCOL;
        }
        if (r->rc != AD_OK)
            ad_order_clear(&r->order);
        json_object_put(p[k].json);
        ad_http_response_clear(&p[k].resp);
    }
out:
    for (size_t k = 0; k < n && payloads && whats; k++) {
        free(payloads[k]);
        free(whats[k]);
    }
    free(payloads);
    free(whats);
    free(p);
    return rc;
}

ad_status ad_acme_new_orders(struct ad_acme *a, struct ad_order_req *q, size_t n)
{
    size_t *idx = calloc(n ? n : 1, sizeof *idx), m = 0;
    ad_status rc = AD_ERR_NOMEM;
    if (!idx)
        return rc;
    for (size_t i = 0; i < n; i++) {
        memset(&q[i].order, 0, sizeof q[i].order);
        q[i].rc = AD_ERR_INTERNAL;
        idx[i] = i;
    }
    rc = post_orders(a, q, idx, n);
    /* A CA that will not take the replaced certificate (RFC 9773 5: already
     * replaced, not ours) still gets the order, without replaces. */
    for (size_t i = 0; i < n; i++)
        if (q[i].rc == AD_ERR_ACME && q[i].replaces) {
            ad_warn("ordering %s again without naming the certificate it replaces", q[i].names[0]);
            q[i].replaces = NULL;
            idx[m++] = i;
        }
    if (m && !ad_is_interrupted())
        rc = post_orders(a, q, idx, m);
    free(idx);
    if (ad_is_interrupted())
        return AD_ERR_INTERRUPTED;
    return fatal(rc) ? rc : AD_OK;
}

void ad_authz_clear(struct ad_authz *az)
{
    free(az->url);
    free(az->domain);
    free(az->status);
    free(az->chall_url);
    free(az->chall_status);
    free(az->token);
    memset(az, 0, sizeof *az);
}

/* POST-as-GET every authorization of AZ[IDX[0..n)] concurrently and update
 * them; RCS[k] is the outcome for AZ[IDX[k]]. */
static ad_status refresh_authzs(struct ad_acme *a, const char *what, struct ad_authz *az, const size_t *idx, size_t n,
                                long *retry_after, ad_status *rcs)
{
    struct post *p = calloc(n ? n : 1, sizeof *p);
    ad_status rc;
    if (!p)
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        p[i].url = az[idx[i]].url;
        p[i].payload = "";
    }
    rc = post_many(a, what, p, n, false, NULL, true);
    for (size_t i = 0; i < n; i++) {
        rcs[i] = p[i].rc;
        if (rcs[i] == AD_OK)
            rcs[i] = ad_acme_authz_parse(&az[idx[i]], p[i].json);
        if (retry_after && p[i].resp.retry_after > *retry_after)
            *retry_after = p[i].resp.retry_after;
        json_object_put(p[i].json);
        ad_http_response_clear(&p[i].resp);
    }
    free(p);
    return fatal(rc) ? rc : AD_OK;
}

ad_status ad_acme_fetch_authzs(struct ad_acme *a, struct ad_authz *az, const size_t *idx, size_t n, ad_status *rcs)
{
    return refresh_authzs(a, "fetching the authorizations", az, idx, n, NULL, rcs);
}

ad_status ad_acme_respond(struct ad_acme *a, struct ad_authz *az, const size_t *idx, size_t n, ad_status *rcs)
{
    struct post *p = calloc(n ? n : 1, sizeof *p);
    size_t *which = calloc(n ? n : 1, sizeof *which), m = 0;
    ad_status rc = AD_ERR_NOMEM;
    if (!p || !which)
        goto out;
    for (size_t k = 0; k < n; k++) {
        struct ad_authz *z = &az[idx[k]];
        rcs[k] = AD_OK;
        if (strcmp(z->status, "pending") != 0 || !z->chall_url)
            continue;
        p[m].url = z->chall_url;
        p[m].payload = "{}";
        p[m].retry = AD_RETRY_CHECK;
        p[m].check_url = z->chall_url;
        which[m++] = k;
    }
    rc = post_many(a, "answering the challenges", p, m, false, NULL, false);
    ad_kill_point("challenge");
    for (size_t i = 0; i < m; i++) {
        rcs[which[i]] = p[i].rc;
        ad_http_response_clear(&p[i].resp);
    }
    rc = fatal(rc) ? rc : AD_OK;
out:
    free(which);
    free(p);
    return rc;
}

/* Delay before the next poll: Retry-After when given (capped), else ours. */
static uint64_t next_delay(long retry_after, uint64_t *ours)
{
    uint64_t d = *ours;
    *ours = *ours * 3 / 2 > 2000 ? 2000 : *ours * 3 / 2;
    if (retry_after >= 0)
        return retry_after > 60 ? 60000 : (uint64_t)retry_after * 1000;
    return d;
}

static void show_authz_error(struct ad_acme *a, const struct ad_authz *az)
{
    struct ad_http_response r = {0};
    json_object *j = NULL, *err;
    if (post(a, "fetching the challenge", az->chall_url, "", false, NULL, &r, &j) == AD_OK &&
        json_object_object_get_ex(j, "error", &err)) {
        const char *s = json_object_to_json_string(err);
        char *p = NULL;
        if (ad_problem_format(s, strlen(s), &p) == AD_OK)
            ad_err("the CA could not validate %s%s: %s", az->wildcard ? "*." : "", az->domain, p);
        free(p);
    } else {
        ad_err("the CA could not validate %s%s (authorization %s)", az->wildcard ? "*." : "", az->domain,
               az->status);
    }
    json_object_put(j);
    ad_http_response_clear(&r);
}

ad_status ad_acme_wait_authzs(struct ad_acme *a, struct ad_authz *az, const size_t *idx, size_t n,
                              unsigned timeout_ms, ad_status *rcs)
{
    uint64_t deadline = ad_now_ms() + timeout_ms, ours = 10;
    size_t *live = calloc(n ? n : 1, sizeof *live), *sub = calloc(n ? n : 1, sizeof *sub);
    ad_status *got = calloc(n ? n : 1, sizeof *got), rc = AD_ERR_NOMEM;
    if (!live || !sub || !got)
        goto out;
    for (size_t k = 0; k < n; k++)
        rcs[k] = AD_OK;
    for (;;) {
        size_t pending = 0;
        long retry_after = -1;
        for (size_t k = 0; k < n; k++)
            if (rcs[k] == AD_OK && strcmp(az[idx[k]].status, "valid") != 0) {
                live[pending] = k;
                sub[pending++] = idx[k];
            }
        if (!pending) {
            rc = AD_OK;
            break;
        }
        if ((rc = refresh_authzs(a, "polling the authorizations", az, sub, pending, &retry_after, got)) != AD_OK)
            break;
        size_t still = 0;
        for (size_t i = 0; i < pending; i++) {
            struct ad_authz *z = &az[sub[i]];
            if (got[i] != AD_OK) {
                rcs[live[i]] = got[i];
            } else if (strcmp(z->status, "valid") != 0 && strcmp(z->status, "pending") != 0) {
                show_authz_error(a, z);
                rcs[live[i]] = AD_ERR_VALIDATION;
            } else if (strcmp(z->status, "pending") == 0) {
                still++;
            }
        }
        if (!still)
            continue;
        uint64_t d = next_delay(retry_after, &ours);
        if (ad_now_ms() + d > deadline) {
            ad_err("the CA did not finish validating %zu authorization(s) in %u s: try again later", still,
                   timeout_ms / 1000);
            for (size_t i = 0; i < pending; i++)
                if (rcs[live[i]] == AD_OK && strcmp(az[sub[i]].status, "pending") == 0)
                    rcs[live[i]] = AD_ERR_TIMEOUT;
            rc = AD_OK;
            break;
        }
        ad_debug("%zu authorization(s) pending: polling again in %llu ms", still, (unsigned long long)d);
        if (!ad_sleep_ms(d)) {
            rc = AD_ERR_INTERRUPTED;
            break;
        }
    }
out:
    free(live);
    free(sub);
    free(got);
    return rc;
}

/* Report why order O (for WHAT) is neither valid nor processing. */
static void show_order_error(const struct ad_order *o, json_object *j, const char *what)
{
    json_object *err;
    char *p = NULL;
    if (j && json_object_object_get_ex(j, "error", &err)) {
        const char *s = json_object_to_json_string(err);
        ad_problem_format(s, strlen(s), &p);
    }
    ad_err("%s: the order became %s: %s", what, o->status, p ? p : "the CA gave no reason");
    free(p);
}

ad_status ad_acme_finalize(struct ad_acme *a, struct ad_order *const *orders, const char *const *csrs,
                           const char *const *whats, size_t n, unsigned timeout_ms, ad_status *rcs)
{
    uint64_t deadline = ad_now_ms() + timeout_ms, ours = 10;
    struct post *p = calloc(n ? n : 1, sizeof *p);
    char **payloads = calloc(n ? n : 1, sizeof *payloads);
    size_t *live = calloc(n ? n : 1, sizeof *live), m = 0;
    ad_status rc = AD_ERR_NOMEM;
    if (!p || !payloads || !live)
        goto out;
    for (size_t k = 0; k < n; k++) {
        json_object *req = json_object_new_object();
        if (!req)
            goto out;
        json_object_object_add(req, "csr", json_object_new_string(csrs[k]));
        payloads[k] = strdup(json_object_to_json_string(req));
        json_object_put(req);
        if (!payloads[k])
            goto out;
        p[k].url = orders[k]->finalize;
        p[k].payload = payloads[k];
        p[k].what = whats[k];
        p[k].retry = AD_RETRY_CHECK;
        p[k].check_url = orders[k]->url;
        live[k] = k;
        rcs[k] = AD_OK;
    }
    rc = post_many(a, "finalizing the order", p, n, false, NULL, true);
    ad_kill_point("finalize");
    rc = fatal(rc) ? rc : AD_OK;
    m = n;
    for (;;) {
        size_t still = 0;
        long retry_after = -1;
        for (size_t i = 0; i < m; i++) {
            size_t k = live[i];
            struct ad_order *o = orders[k];
            if (p[i].rc != AD_OK)
                rcs[k] = p[i].rc;
            else if ((rcs[k] = ad_acme_order_parse(o, p[i].json)) != AD_OK)
                ;
            else if (strcmp(o->status, "valid") == 0 && o->certificate)
                ;
            else if (strcmp(o->status, "processing") != 0 && strcmp(o->status, "valid") != 0) {
                show_order_error(o, p[i].json, whats[k]);
                rcs[k] = AD_ERR_ACME;
            } else {
                live[still++] = k;
            }
            if (p[i].resp.retry_after > retry_after)
                retry_after = p[i].resp.retry_after;
            json_object_put(p[i].json);
            p[i].json = NULL;
            ad_http_response_clear(&p[i].resp);
        }
        if (rc != AD_OK || !still)
            break;
        uint64_t d = next_delay(retry_after, &ours);
        if (ad_now_ms() + d > deadline) {
            ad_err("the CA did not issue %zu certificate(s) in %u s: try again later", still, timeout_ms / 1000);
            for (size_t i = 0; i < still; i++)
                rcs[live[i]] = AD_ERR_TIMEOUT;
            break;
        }
        if (!ad_sleep_ms(d)) {
            rc = AD_ERR_INTERRUPTED;
            break;
        }
        memset(p, 0, n * sizeof *p);
        for (size_t i = 0; i < still; i++) {
            p[i].url = orders[live[i]]->url;
            p[i].payload = "";
            p[i].what = whats[live[i]];
        }
        m = still;
        rc = post_many(a, "polling the order", p, m, false, NULL, true);
        rc = fatal(rc) ? rc : AD_OK;
    }
out:
    for (size_t k = 0; payloads && k < n; k++)
        free(payloads[k]);
    free(payloads);
    free(live);
    free(p);
    return rc;
}

/* Download the chains at URLS[0..n) into PEMS[k]; with ORDERS, each
 * order's alternates (Link rel="alternate") too. */
static ad_status download_many(struct ad_acme *a, const char *const *urls, struct ad_order *const *orders,
                               const char *const *whats, size_t n, char **pems, size_t *lens, ad_status *rcs)
{
    struct post *p = calloc(n ? n : 1, sizeof *p);
    ad_status rc;
    if (!p)
        return AD_ERR_NOMEM;
    for (size_t k = 0; k < n; k++) {
        p[k].url = urls[k];
        p[k].payload = "";
        p[k].what = whats[k];
        pems[k] = NULL;
        lens[k] = 0;
    }
    rc = post_many(a, "downloading the certificate", p, n, false, "application/pem-certificate-chain", false);
    for (size_t k = 0; k < n; k++) {
        rcs[k] = p[k].rc;
        if (rcs[k] == AD_OK && (!p[k].resp.body || !strstr(p[k].resp.body, "-----BEGIN CERTIFICATE-----"))) {
            ad_err("%s: the CA's certificate download is not a PEM chain", whats[k]);
            rcs[k] = AD_ERR_PROTOCOL;
        }
        if (rcs[k] == AD_OK && orders &&
            ad_http_links(&p[k].resp, "alternate", AD_CHAINS_MAX, &orders[k]->alternates,
                          &orders[k]->nalternates) != AD_OK)
            rc = rcs[k] = AD_ERR_NOMEM;
        if (rcs[k] == AD_OK) {
            pems[k] = p[k].resp.body;
            lens[k] = p[k].resp.len;
            p[k].resp.body = NULL;
        }
        ad_http_response_clear(&p[k].resp);
    }
    free(p);
    return fatal(rc) ? rc : AD_OK;
}

ad_status ad_acme_download(struct ad_acme *a, struct ad_order *const *orders, const char *const *whats, size_t n,
                           char **pems, size_t *lens, ad_status *rcs)
{
    const char **urls = calloc(n ? n : 1, sizeof *urls);
    if (!urls)
        return AD_ERR_NOMEM;
    for (size_t k = 0; k < n; k++)
        urls[k] = orders[k]->certificate;
    ad_status rc = download_many(a, urls, orders, whats, n, pems, lens, rcs);
    free(urls);
    return rc;
}

ad_status ad_acme_download_urls(struct ad_acme *a, const char *const *urls, const char *const *whats, size_t n,
                                char **pems, size_t *lens, ad_status *rcs)
{
    return download_many(a, urls, NULL, whats, n, pems, lens, rcs);
}

const char *ad_acme_renewal_info(const struct ad_acme *a)
{
    return a->dir.renewal_info;
}

ad_status ad_acme_fetch_renewal_info(struct ad_acme *a, struct ad_ari_fetch *f, size_t n)
{
    struct ad_http_req *q = calloc(n ? n : 1, sizeof *q);
    char **urls = calloc(n ? n : 1, sizeof *urls);
    ad_status rc = AD_ERR_NOMEM;
    if (!q || !urls || !a->dir.renewal_info)
        goto out;
    size_t base = strlen(a->dir.renewal_info);
    bool slash = base && a->dir.renewal_info[base - 1] == '/';
    for (size_t k = 0; k < n; k++) {
        memset(&f[k].resp, 0, sizeof f[k].resp);
        f[k].rc = AD_ERR_INTERNAL;
        if (!(urls[k] = ad_asprintf("%s%s%s", a->dir.renewal_info, slash ? "" : "/", f[k].id)))
            goto out;
        q[k].method = "GET";
        q[k].url = urls[k];
    }
    rc = batch_retry(a, q, n);
    for (size_t k = 0; k < n; k++) {
        f[k].rc = rc != AD_OK ? rc : q[k].rc;
        if (q[k].rc == AD_OK)
            f[k].resp = q[k].resp;
        else
            ad_http_response_clear(&q[k].resp);
    }
out:
    for (size_t k = 0; urls && k < n; k++)
        free(urls[k]);
    free(urls);
    free(q);
    return rc;
}

/* ------------------------------------------------ certificate profiles, chains */

#define PROFILES_MAX 32
#define PROFILE_DESC_MAX 512
#define CONTACTS_MAX 16
#define CONTACT_LEN_MAX 1024
#define URL_LEN_MAX 2048

/* A copy of S (at most MAX bytes of it) with control characters and
 * non-ASCII bytes shown as '?': text from the CA that we print. */
static char *printable_dup(const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    char *d = ad_strndup(s, n);
    for (size_t i = 0; d && i < n; i++)
        if ((unsigned char)d[i] < 0x20 || (unsigned char)d[i] >= 0x7f)
            d[i] = '?';
    return d;
}

static const char *https_or_null(const char *url)
{
    return url && strncmp(url, "https://", 8) == 0 && strlen(url) <= URL_LEN_MAX ? url : NULL;
}

bool ad_profile_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

static void profiles_free(struct ad_acme *a)
{
    ad_strv_free(a->profiles, a->nprofiles);
    ad_strv_free(a->profile_descs, a->nprofiles);
    a->profiles = a->profile_descs = NULL;
    a->nprofiles = 0;
}

static void extras_free(struct ad_acme *a)
{
    free(a->revoke_cert);
    free(a->key_change);
    profiles_free(a);
    free(a->eab_kid);
    if (a->eab_key)
        OPENSSL_cleanse(a->eab_key, a->eab_len);
    free(a->eab_key);
}

/* revokeCert, keyChange and meta.profiles of the directory O. */
static ad_status directory_extras(struct ad_acme *a, json_object *o)
{
    json_object *meta, *prof;
    profiles_free(a);
    if (ad_acme_dupstr(&a->revoke_cert, https_or_null(ad_acme_jstr(o, "revokeCert"))) ||
        ad_acme_dupstr(&a->key_change, https_or_null(ad_acme_jstr(o, "keyChange"))))
        return AD_ERR_NOMEM;
    if (!json_object_object_get_ex(o, "meta", &meta) || !json_object_object_get_ex(meta, "profiles", &prof) ||
        !json_object_is_type(prof, json_type_object))
        return AD_OK;
    if (!(a->profiles = calloc(PROFILES_MAX, sizeof *a->profiles)) ||
        !(a->profile_descs = calloc(PROFILES_MAX, sizeof *a->profile_descs)))
        return AD_ERR_NOMEM;
    json_object_object_foreach(prof, k, v)
    {
        if (a->nprofiles == PROFILES_MAX)
            break;
        if (!ad_profile_name_ok(k))
            continue;
        const char *d = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
        a->profiles[a->nprofiles] = strdup(k);
        a->profile_descs[a->nprofiles] = printable_dup(d, PROFILE_DESC_MAX);
        if (!a->profile_descs[a->nprofiles] || !a->profiles[a->nprofiles++])
            return AD_ERR_NOMEM;
    }
    return AD_OK;
}

static void describe_extras(const struct ad_acme *a, FILE *f)
{
    fprintf(f, "  revokeCert:              %s\n", a->revoke_cert ? a->revoke_cert : "(none)");
    fprintf(f, "  keyChange:               %s\n", a->key_change ? a->key_change : "(none)");
    if (!a->nprofiles)
        fprintf(f, "  profiles:                (none offered)\n");
    for (size_t i = 0; i < a->nprofiles; i++)
        fprintf(f, "  %-24s %s%s%s\n", i ? "" : "profiles:", a->profiles[i], *a->profile_descs[i] ? ": " : "",
                a->profile_descs[i]);
}

bool ad_acme_has_profile(const struct ad_acme *a, const char *profile)
{
    for (size_t i = 0; i < a->nprofiles; i++)
        if (strcmp(a->profiles[i], profile) == 0)
            return true;
    return false;
}

ad_status ad_acme_profile_check(const struct ad_acme *a, const char *profile, char **why)
{
    char *list = strdup("");
    if (ad_acme_has_profile(a, profile)) {
        free(list);
        return AD_OK;
    }
    for (size_t i = 0; list && i < a->nprofiles; i++) {
        char *t = ad_asprintf("%s%s%s", list, i ? ", " : "", a->profiles[i]);
        free(list);
        list = t;
    }
    if (list)
        *why = a->nprofiles ? ad_asprintf("the CA at %s does not offer the profile %s; it offers: %s", a->dir_url,
                                          profile, list)
                            : ad_asprintf("the CA at %s offers no certificate profiles (its directory has no "
                                          "meta.profiles), so not %s",
                                          a->dir_url, profile);
    free(list);
    return list && *why ? AD_ERR_USAGE : AD_ERR_NOMEM;
}

/* ------------------------------------------------ accounts */

ad_status ad_acme_set_eab(struct ad_acme *a, const char *kid, const uint8_t *key, size_t len)
{
    char *k = strdup(kid);
    uint8_t *b = malloc(len ? len : 1);
    if (!k || !b) {
        free(k);
        free(b);
        return AD_ERR_NOMEM;
    }
    memcpy(b, key, len);
    free(a->eab_kid);
    if (a->eab_key)
        OPENSSL_cleanse(a->eab_key, a->eab_len);
    free(a->eab_key);
    a->eab_kid = k;
    a->eab_key = b;
    a->eab_len = len;
    return AD_OK;
}

bool ad_acme_eab_required(const struct ad_acme *a)
{
    return a->dir.eab_required;
}

static ad_status eab_check(const struct ad_acme *a)
{
    if (!a->dir.eab_required || a->eab_kid)
        return AD_OK;
    ad_err("the CA at %s needs an external account to make a new account (its directory says "
           "externalAccountRequired): give the key ID the CA gave you with --eab-kid KID, and its HMAC key in the "
           "environment variable " AD_EAB_KEY_ENV " or in a file named by --eab-hmac-key-file FILE",
           a->dir_url);
    return AD_ERR_USAGE;
}

/* The externalAccountBinding member of a newAccount request REQ. */
static ad_status eab_member(const struct ad_acme *a, json_object *req)
{
    char *jws = NULL;
    if (!a->eab_kid)
        return AD_OK;
    ad_status rc = ad_jws_eab(a->eab_kid, a->eab_key, a->eab_len, a->dir.new_account, a->key, &jws);
    if (rc != AD_OK)
        return rc;
    json_object *o = ad_acme_json(jws, strlen(jws));
    free(jws);
    if (!o)
        return AD_ERR_NOMEM;
    json_object_object_add(req, "externalAccountBinding", o);
    return AD_OK;
}

void ad_account_info_clear(struct ad_account_info *i)
{
    free(i->status);
    ad_strv_free(i->contact, i->ncontact);
    free(i->orders);
    memset(i, 0, sizeof *i);
}

ad_status ad_account_info_parse(const char *body, size_t len, struct ad_account_info *out)
{
    json_object *o = ad_acme_json(body, len), *c;
    ad_status rc = AD_ERR_PROTOCOL;
    memset(out, 0, sizeof *out);
    if (!o || !json_object_is_type(o, json_type_object))
        goto out;
    rc = AD_ERR_NOMEM;
    const char *st = ad_acme_jstr(o, "status"), *orders = https_or_null(ad_acme_jstr(o, "orders"));
    if ((st && !(out->status = printable_dup(st, 32))) || (orders && !(out->orders = printable_dup(orders, URL_LEN_MAX))))
        goto out;
    if (json_object_object_get_ex(o, "contact", &c) && json_object_is_type(c, json_type_array)) {
        size_t n = json_object_array_length(c);
        if (!(out->contact = calloc(CONTACTS_MAX, sizeof *out->contact)))
            goto out;
        for (size_t i = 0; i < n && out->ncontact < CONTACTS_MAX; i++) {
            json_object *e = json_object_array_get_idx(c, i);
            if (!json_object_is_type(e, json_type_string) || json_object_get_string_len(e) > CONTACT_LEN_MAX)
                continue;
            if (!(out->contact[out->ncontact] = printable_dup(json_object_get_string(e), CONTACT_LEN_MAX)))
                goto out;
            out->ncontact++;
        }
    }
    rc = AD_OK;
out:
    if (rc != AD_OK)
        ad_account_info_clear(out);
    json_object_put(o);
    return rc;
}

/* One POST to the account URL; the answer into OUT (may be NULL). */
static ad_status account_post(struct ad_acme *a, const char *what, const char *payload, struct ad_account_info *out)
{
    struct ad_http_response r = {0};
    if (!a->kid)
        return AD_ERR_INTERNAL;
    ad_status rc = post(a, what, a->kid, payload, false, NULL, &r, NULL);
    if (rc == AD_OK && out && (rc = ad_account_info_parse(r.body, r.len, out)) == AD_ERR_PROTOCOL)
        ad_err("%s: the CA's answer is not an account object (HTTP %ld)", what, r.status);
    ad_http_response_clear(&r);
    return rc;
}

ad_status ad_acme_account_find(struct ad_acme *a, char **url)
{
    struct post p = {.url = a->dir.new_account, .payload = "{\"onlyReturnExisting\":true}", .quiet = true};
    ad_status rc = post_many(a, "looking up the account", &p, 1, true, NULL, false);
    if (rc == AD_OK && (!p.resp.location || (p.resp.status != 200 && p.resp.status != 201)))
        rc = AD_ERR_ACME;
    if (rc == AD_OK) {
        *url = p.resp.location;
        p.resp.location = NULL;
    }
    ad_http_response_clear(&p.resp);
    return rc;
}

ad_status ad_acme_account_fetch(struct ad_acme *a, struct ad_account_info *out)
{
    return account_post(a, "fetching the account", "", out);
}

ad_status ad_acme_account_update(struct ad_acme *a, const char *const *contact, size_t n, bool deactivate,
                                 struct ad_account_info *out)
{
    json_object *req = json_object_new_object(), *arr = NULL;
    ad_status rc = AD_ERR_NOMEM;
    if (!req)
        goto out;
    if (deactivate) {
        json_object_object_add(req, "status", json_object_new_string("deactivated"));
    } else {
        if (!(arr = json_object_new_array()))
            goto out;
        for (size_t i = 0; i < n; i++)
            json_object_array_add(arr, json_object_new_string(contact[i]));
        json_object_object_add(req, "contact", arr);
    }
    const char *payload = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
    rc = payload ? account_post(a, deactivate ? "deactivating the account" : "updating the account's contact",
                                payload, out)
                 : AD_ERR_NOMEM;
out:
    json_object_put(req);
    return rc;
}

ad_status ad_acme_key_change(struct ad_acme *a, EVP_PKEY *new_key)
{
    struct ad_http_response r = {0};
    char *inner = NULL;
    if (!a->key_change) {
        ad_err("the CA's directory (%s) offers no keyChange: this CA cannot roll the account key over", a->dir_url);
        return AD_ERR_ACME;
    }
    if (!a->kid || !a->key)
        return AD_ERR_INTERNAL;
    ad_status rc = ad_jws_key_change(new_key, a->key, a->kid, a->key_change, &inner);
    if (rc == AD_OK)
        rc = post(a, "rolling the account key over", a->key_change, inner, false, NULL, &r, NULL);
    free(inner);
    ad_http_response_clear(&r);
    return rc;
}

ad_status ad_acme_revoke(struct ad_acme *a, const uint8_t *der, size_t len, int reason, bool *already)
{
    const char *what = "revoking the certificate";
    json_object *req = json_object_new_object();
    char *cert = ad_b64url_encode(der, len);
    ad_status rc = AD_ERR_NOMEM;
    *already = false;
    if (!a->revoke_cert) {
        ad_err("the CA's directory (%s) offers no revokeCert: this CA cannot revoke through ACME", a->dir_url);
        rc = AD_ERR_ACME;
        goto out;
    }
    if (!req || !cert)
        goto out;
    json_object_object_add(req, "certificate", json_object_new_string(cert));
    if (reason >= 0)
        json_object_object_add(req, "reason", json_object_new_int(reason));
    const char *payload = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
    if (!payload)
        goto out;
    struct post p = {.url = a->revoke_cert, .payload = payload, .quiet = true};
    rc = post_many(a, what, &p, 1, false, NULL, false);
    if (rc == AD_ERR_ACME) {
        *already = is_problem(p.resp.body, p.resp.len, "urn:ietf:params:acme:error:alreadyRevoked");
        if (!*already)
            show_problem(what, &p.resp);
    }
    ad_http_response_clear(&p.resp);
out:
    json_object_put(req);
    free(cert);
    return rc;
}

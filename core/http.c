/* HTTPS to the CA through libcurl: one multi handle for the whole run, so
 * one kept-alive connection per origin (HTTP/2 streams when the server
 * offers h2, HTTP/1.1 one request after another otherwise); TLS sessions and
 * DNS answers shared; proxies from the environment as curl reads them;
 * bounded bodies, headers and waits; interrupts honoured within 100 ms. */
#include "http.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "curl_util.h"
#include "log.h"
#include "util.h"

/* Bounds on what a server sends before the body. */
#define AD_HTTP_LINE_MAX 8192u
#define AD_HTTP_HEAD_MAX 65536u
/* How often a wait wakes to look for SIGINT/SIGTERM. */
#define AD_HTTP_TICK_MS 100

struct ad_http {
    CURLM *multi;
    CURLSH *share;
    char *ca_bundle;
    long connect_ms, request_ms;
    unsigned long count, connects;
    long version;  /* CURL_HTTP_VERSION_* of the last response */
    bool warm;     /* a response came: the server's stream limit is known */
};

enum head_fail { HEAD_OK, HEAD_LINE, HEAD_TOTAL };

/* One request of a batch while it runs.  REQ is borrowed. */
struct job {
    struct ad_http *h;
    struct ad_http_req *req;
    CURL *easy;
    struct curl_slist *hdrs;
    struct ad_body body;
    size_t head_bytes;
    bool head_done;     /* the last response's header ended (its blank line came) */
    enum head_fail head;
    char err[CURL_ERROR_SIZE];
};

static unsigned global_users;

ad_status ad_http_new(const char *ca_bundle, struct ad_http **out)
{
    struct ad_http *h = calloc(1, sizeof *h);
    if (!h || (ca_bundle && !(h->ca_bundle = strdup(ca_bundle)))) {
        free(h);
        return AD_ERR_NOMEM;
    }
    h->connect_ms = 10000;
    h->request_ms = 60000;
    if (global_users++ == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        global_users--;
        free(h->ca_bundle);
        free(h);
        ad_err("cannot initialise libcurl");
        return AD_ERR_INTERNAL;
    }
    ad_status rc = AD_ERR_NOMEM;
    if (!(h->multi = curl_multi_init()) || !(h->share = curl_share_init()))
        goto out;
    rc = AD_ERR_INTERNAL;
    if (curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX) != CURLM_OK ||
        curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 1L) != CURLM_OK ||
        curl_multi_setopt(h->multi, CURLMOPT_MAX_CONCURRENT_STREAMS, (long)AD_HTTP_PARALLEL) != CURLM_OK ||
        curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
        curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
        ad_err("libcurl refused a setting of the HTTPS client (libcurl too old? 7.80 or later is needed)");
        goto out;
    }
    *out = h;
    return AD_OK;
out:
    ad_http_free(h);
    return rc;
}

void ad_http_free(struct ad_http *h)
{
    if (!h)
        return;
    curl_multi_cleanup(h->multi);  /* closes the connections, which use the share */
    curl_share_cleanup(h->share);
    free(h->ca_bundle);
    free(h);
    if (global_users && --global_users == 0)
        curl_global_cleanup();
}

unsigned long ad_http_count(const struct ad_http *h)
{
    return h->count;
}

unsigned long ad_http_connects(const struct ad_http *h)
{
    return h->connects;
}

const char *ad_http_version(const struct ad_http *h)
{
    switch (h->version) {
    case CURL_HTTP_VERSION_1_0: return "HTTP/1.0";
    case CURL_HTTP_VERSION_1_1: return "HTTP/1.1";
    case CURL_HTTP_VERSION_2_0: return "HTTP/2";
    case CURL_HTTP_VERSION_3: return "HTTP/3";
    default: return "no response";
    }
}

void ad_http_set_timeouts(struct ad_http *h, unsigned connect_ms, unsigned request_ms)
{
    h->connect_ms = (long)connect_ms;
    h->request_ms = (long)request_ms;
}

unsigned ad_http_timeout_ms(const struct ad_http *h)
{
    return (unsigned)h->request_ms;
}

void ad_http_response_clear(struct ad_http_response *r)
{
    free(r->body);
    free(r->location);
    free(r->nonce);
    free(r->content_type);
    ad_strv_free(r->links, r->nlinks);
    memset(r, 0, sizeof *r);
    r->retry_after = -1;
}

/* Bounds the response headers; curl keeps their values for curl_easy_header. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    struct job *j = ud;
    size_t n = size * nmemb;
    if (n > AD_HTTP_LINE_MAX) {
        j->head = HEAD_LINE;
        return 0;
    }
    j->head_bytes += n;
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
        j->head_done = false;
    else if (n <= 2)
        j->head_done = true;
    if (j->head_bytes > AD_HTTP_HEAD_MAX) {
        j->head = HEAD_TOTAL;
        return 0;
    }
    return n;
}

static bool add_header(struct job *j, const char *name, const char *value)
{
    char *line = ad_asprintf("%s: %s", name, value);
    struct curl_slist *l = line ? curl_slist_append(j->hdrs, line) : NULL;
    free(line);
    if (!l)
        return false;
    j->hdrs = l;
    return true;
}

/* A configured easy handle for J, or false (out of memory, or a setting
 * libcurl refused, already said). */
static bool job_setup(struct job *j)
{
    struct ad_http *h = j->h;
    const struct ad_http_req *q = j->req;
    bool post = strcmp(q->method, "POST") == 0, head = strcmp(q->method, "HEAD") == 0;
    CURL *e = j->easy = curl_easy_init();
    if (!e)
        return false;
    j->body.max = AD_HTTP_BODY_MAX;
    if (!add_header(j, "Accept", q->accept ? q->accept : "application/json") ||
        !add_header(j, "Accept-Language", "en") ||
        (post && !add_header(j, "Content-Type", q->ctype ? q->ctype : "application/jose+json")) ||
        !(j->hdrs = curl_slist_append(j->hdrs, "Expect:"))) /* no 100-continue round trip */
        return false;
#define SET(opt, val)                                                                     \
    do {                                                                                  \
        if (curl_easy_setopt(e, opt, val) != CURLE_OK) {                                  \
            ad_err("libcurl refused the setting %s for %s %s", #opt, q->method, q->url);  \
            return false;                                                                 \
        }                                                                                 \
    } while (0)
    SET(CURLOPT_URL, q->url);
    SET(CURLOPT_PROTOCOLS_STR, "https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_SHARE, h->share);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    SET(CURLOPT_PIPEWAIT, 1L);
    SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_PROXYAUTH, (long)CURLAUTH_ANY);
    if (h->ca_bundle)
        SET(CURLOPT_CAINFO, h->ca_bundle);
    SET(CURLOPT_CONNECTTIMEOUT_MS, h->connect_ms);
    SET(CURLOPT_TIMEOUT_MS, h->request_ms);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)AD_HTTP_BODY_MAX);
    SET(CURLOPT_USERAGENT, "acme-dns/" AD_VERSION);
    SET(CURLOPT_HTTPHEADER, j->hdrs);
    SET(CURLOPT_WRITEFUNCTION, ad_body_write);
    SET(CURLOPT_WRITEDATA, (void *)&j->body);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, (void *)j);
    SET(CURLOPT_ERRORBUFFER, j->err);
    SET(CURLOPT_PRIVATE, (void *)j);
    if (post) {
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(q->body ? strlen(q->body) : 0));
        SET(CURLOPT_POSTFIELDS, q->body ? q->body : "");
    } else if (head) {
        SET(CURLOPT_NOBODY, 1L);
    } else {
        SET(CURLOPT_HTTPGET, 1L);
    }
#undef SET
    return true;
}

static void job_clear(struct job *j)
{
    curl_easy_cleanup(j->easy);
    curl_slist_free_all(j->hdrs);
    ad_body_clear(&j->body);
    j->easy = NULL;
    j->hdrs = NULL;
}

/* A copy of response header NAME, NULL when absent (or out of memory,
 * which the caller sees as absent: every header we read is optional). */
static char *header_dup(CURL *e, const char *name)
{
    struct curl_header *hh;
    if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &hh) != CURLHE_OK)
        return NULL;
    return strdup(hh->value);
}

/* Every Link header's value into R (at most AD_HTTP_LINKS_MAX; like
 * header_dup, out of memory leaves some out). */
static void links_dup(CURL *e, struct ad_http_response *r)
{
    struct curl_header *hh;
    if (curl_easy_header(e, "Link", 0, CURLH_HEADER, -1, &hh) != CURLHE_OK)
        return;
    size_t amount = hh->amount < AD_HTTP_LINKS_MAX ? hh->amount : AD_HTTP_LINKS_MAX;
    if (!(r->links = calloc(amount ? amount : 1, sizeof *r->links)))
        return;
    for (size_t i = 0; i < amount; i++)
        if (curl_easy_header(e, "Link", i, CURLH_HEADER, -1, &hh) == CURLHE_OK && (r->links[r->nlinks] = strdup(hh->value)))
            r->nlinks++;
}

/* Fill the response of a transfer that ended well. */
static ad_status job_response(struct job *j)
{
    struct ad_http_response *r = &j->req->resp;
    CURL *e = j->easy;
    char *ct = NULL, *ra;
    long ver = 0;
    if (curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status) != CURLE_OK ||
        curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct) != CURLE_OK)
        return AD_ERR_INTERNAL;
    if (curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &ver) == CURLE_OK)
        j->h->version = ver;
    j->h->warm = true;
    if (!(r->body = ad_body_take(&j->body, &r->len)) || (ct && !(r->content_type = strdup(ct))))
        return AD_ERR_NOMEM;
    links_dup(e, r);
    r->location = header_dup(e, "Location");
    r->nonce = header_dup(e, "Replay-Nonce");
    if ((ra = header_dup(e, "Retry-After"))) {
        r->retry_after = ad_retry_after_secs(ra, time(NULL));
        free(ra);
    }
    ad_debug("HTTP %ld (%zu bytes) for %s %s", r->status, r->len, j->req->method, j->req->url);
    return AD_OK;
}

static bool is_tls_failure(CURLcode c)
{
    switch (c) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
        return true;
    default:
        return false;
    }
}

/* Say what failed: into Q's error, and in the log unless Q is quiet. */
static void say(struct ad_http_req *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct ad_http_req *q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->error, sizeof q->error, fmt, ap);
    va_end(ap);
    if (!q->quiet)
        ad_err("%s", q->error);
}

/* Say what went wrong with a transfer that ended with C; the status. */
static ad_status job_failure(struct job *j, CURLcode c)
{
    struct ad_http_req *q = j->req;
    const char *why = j->err[0] ? j->err : curl_easy_strerror(c);
    long proxy_code = 0;
    curl_off_t got = 0;
    curl_easy_getinfo(j->easy, CURLINFO_SIZE_DOWNLOAD_T, &got);
    if (c == CURLE_OUT_OF_MEMORY && !j->body.nomem && j->head_bytes > 0 && !j->head_done) {
        /* libcurl 7.88 refuses a header line over 100 KiB so, before our own bound sees it */
        say(q, "%s %s: response header line larger than libcurl accepts: refusing it", q->method, q->url);
        return AD_ERR_NETWORK;
    }
    if (j->body.nomem || c == CURLE_OUT_OF_MEMORY)
        return AD_ERR_NOMEM;
    /* (A timeout has used the whole wait already: not tried again.) */
    q->transient = ad_curl_transient(c) && !j->body.too_big && j->head == HEAD_OK;
    if (j->body.too_big || c == CURLE_FILESIZE_EXCEEDED) {
        say(q, "%s %s: response larger than %u bytes: refusing it", q->method, q->url, AD_HTTP_BODY_MAX);
    } else if (j->head == HEAD_LINE) {
        say(q, "%s %s: response header line longer than %u bytes: refusing it", q->method, q->url,
               AD_HTTP_LINE_MAX);
    } else if (j->head == HEAD_TOTAL) {
        say(q, "%s %s: response header longer than %u bytes: refusing it", q->method, q->url, AD_HTTP_HEAD_MAX);
    } else if (c == CURLE_OPERATION_TIMEDOUT) {
        curl_off_t connected = 0;
        curl_easy_getinfo(j->easy, CURLINFO_CONNECT_TIME_T, &connected);
        if (connected > 0)
            say(q, "%s %s failed: no complete response within %ld ms (%s%lld bytes of body received): the "
                   "server is too slow or sends without end: check --server and the network, or raise "
                   "--http-timeout", q->method, q->url, j->h->request_ms, j->head_done ? "" : "no whole header, ",
                   (long long)got);
        else
            say(q, "%s %s failed: cannot connect within %ld ms (%s): check --server and the network", q->method,
                   q->url, j->h->connect_ms, why);
    } else if (c == CURLE_SSL_CACERT_BADFILE) {
        say(q, "cannot read CA certificates from %s (%s): check --ca-bundle", j->h->ca_bundle ? j->h->ca_bundle
               : "the system's trust store", why);
    } else if (is_tls_failure(c)) {
        say(q, "TLS with %s failed: %s: check --ca-bundle (the CA's HTTPS certificate must be trusted) and the "
               "host name in --server", q->url, why);
    } else if (c == CURLE_COULDNT_RESOLVE_HOST) {
        say(q, "%s %s failed: %s: check --server and the DNS resolver in /etc/resolv.conf", q->method, q->url, why);
    } else if (c == CURLE_COULDNT_RESOLVE_PROXY) {
        say(q, "%s %s failed: %s: check the proxy in https_proxy, all_proxy or no_proxy", q->method, q->url, why);
    } else if (curl_easy_getinfo(j->easy, CURLINFO_HTTP_CONNECTCODE, &proxy_code) == CURLE_OK && proxy_code == 407) {
        say(q, "%s %s failed: the proxy wants other credentials (HTTP 407): check the user and password in "
               "https_proxy or all_proxy", q->method, q->url);
    } else if (proxy_code >= 300) {
        say(q, "%s %s failed: the proxy refused the tunnel (HTTP %ld): check https_proxy, all_proxy and no_proxy",
               q->method, q->url, proxy_code);
    } else {
        say(q, "%s %s failed: %s: check --server and the network", q->method, q->url, why);
    }
    return AD_ERR_NETWORK;
}

/* J's transfer ended with C: fill its request's outcome, free the transfer. */
static void job_done(struct job *j, CURLcode c)
{
    struct ad_http_req *q = j->req;
    long n = 0;
    if (curl_easy_getinfo(j->easy, CURLINFO_NUM_CONNECTS, &n) == CURLE_OK && n > 0)
        j->h->connects += (unsigned long)n;
    q->rc = c == CURLE_OK ? job_response(j) : job_failure(j, c);
    if (q->rc != AD_OK)
        ad_http_response_clear(&q->resp);
    curl_multi_remove_handle(j->h->multi, j->easy);
    job_clear(j);
}

/* Start J; false (with J's rc set) when it cannot. */
static bool job_start(struct job *j)
{
    struct ad_http_req *q = j->req;
    j->h->count++;
    ad_debug("HTTP %s %s", q->method, q->url);
    if (!job_setup(j)) {
        q->rc = j->easy ? AD_ERR_INTERNAL : AD_ERR_NOMEM;
        job_clear(j);
        return false;
    }
    if (curl_multi_add_handle(j->h->multi, j->easy) != CURLM_OK) {
        ad_err("libcurl could not start %s %s", q->method, q->url);
        q->rc = AD_ERR_INTERNAL;
        job_clear(j);
        return false;
    }
    return true;
}

ad_status ad_http_batch(struct ad_http *h, struct ad_http_req *reqs, size_t n)
{
    ad_status rc = AD_OK;
    struct job *jobs = calloc(n ? n : 1, sizeof *jobs);
    size_t next = 0, active = 0;
    for (size_t i = 0; i < n; i++) {
        memset(&reqs[i].resp, 0, sizeof reqs[i].resp);
        reqs[i].resp.retry_after = -1;
        reqs[i].rc = jobs ? AD_ERR_INTERRUPTED : AD_ERR_NOMEM;
        reqs[i].transient = false;
        reqs[i].error[0] = '\0';
        if (strncmp(reqs[i].url, "https://", 8) != 0) {
            ad_err("refusing to talk to %s: the ACME server must be an https:// URL", reqs[i].url);
            reqs[i].rc = AD_ERR_USAGE;
        }
        if (jobs) {
            jobs[i].h = h;
            jobs[i].req = &reqs[i];
        }
    }
    if (!jobs)
        return AD_ERR_NOMEM;
    for (;;) {
        if (ad_is_interrupted()) {
            rc = AD_ERR_INTERRUPTED;
            break;
        }
        /* Until a first response, one request alone: an HTTP/2 server's stream
         * limit arrives with its SETTINGS, and streams opened before would be
         * refused (libcurl retries those on connections of their own). */
        while (active < (h->warm ? AD_HTTP_PARALLEL : 1) && next < n) {
            struct job *j = &jobs[next++];
            if (j->req->rc != AD_ERR_USAGE && job_start(j))
                active++;
        }
        if (!active)
            break;
        int running = 0;
        CURLMcode mc = curl_multi_perform(h->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(h->multi, &left))) {
            char *priv = NULL;
            if (m->msg != CURLMSG_DONE || curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv) != CURLE_OK ||
                !priv)
                continue;
            job_done((struct job *)(void *)priv, m->data.result);
            active--;
        }
        /* Wait for the network unless a finished request made room for the next. */
        if (mc == CURLM_OK && active && (running || !(active < (h->warm ? AD_HTTP_PARALLEL : 1) && next < n)))
            mc = curl_multi_poll(h->multi, NULL, 0, AD_HTTP_TICK_MS, NULL);
        if (mc != CURLM_OK && !ad_is_interrupted()) {
            ad_err("libcurl failed while waiting for the CA: %s", curl_multi_strerror(mc));
            rc = mc == CURLM_OUT_OF_MEMORY ? AD_ERR_NOMEM : AD_ERR_INTERNAL;
            break;
        }
    }
    /* Interrupted or failed: what still runs is abandoned (curl closes its
     * connection, whose state is unknown). */
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].easy) {
            curl_multi_remove_handle(h->multi, jobs[i].easy);
            job_clear(&jobs[i]);
            reqs[i].rc = rc;
        } else if (i >= next && reqs[i].rc != AD_ERR_USAGE) {
            reqs[i].rc = rc; /* never started */
        }
        if (reqs[i].rc == AD_ERR_INTERRUPTED)
            rc = AD_ERR_INTERRUPTED;
    }
    free(jobs);
    return rc;
}

ad_status ad_http_request(struct ad_http *h, const char *method, const char *url, const char *ctype,
                          const char *body, const char *accept, struct ad_http_response *resp)
{
    struct ad_http_req q = {.method = method, .url = url, .ctype = ctype, .body = body, .accept = accept};
    ad_status rc = ad_http_batch(h, &q, 1);
    if (rc == AD_OK)
        rc = q.rc;
    *resp = q.resp;
    if (rc != AD_OK)
        ad_http_response_clear(resp);
    return rc;
}

/* ------------------------------------------------------------ Link (RFC 8288) */

#define LINK_URL_MAX 2048
#define LINK_PARAM_MAX 256

static bool ows(char c)
{
    return c == ' ' || c == '\t';
}

/* A parameter value at *P (a token or a quoted-string) into BUF (SIZE
 * bytes, cut short when longer); *P moves past it. */
static void link_param_value(const char **p, char *buf, size_t size)
{
    const char *s = *p;
    size_t n = 0;
    if (*s == '"') {
        for (s++; *s && *s != '"'; s++) {
            if (*s == '\\' && s[1])
                s++;
            if (n + 1 < size)
                buf[n++] = *s;
        }
        if (*s == '"')
            s++;
    } else {
        for (; *s && *s != ';' && *s != ',' && !ows(*s); s++)
            if (n + 1 < size)
                buf[n++] = *s;
    }
    buf[n] = '\0';
    *p = s;
}

/* True when the space-separated relation types in LIST include REL. */
static bool rel_has(const char *list, const char *rel)
{
    size_t rl = strlen(rel);
    for (const char *s = list; *s;) {
        while (*s == ' ' || *s == '\t')
            s++;
        size_t l = strcspn(s, " \t");
        if (l == rl && l && strncasecmp(s, rel, l) == 0)
            return true;
        s += l;
    }
    return false;
}

static bool link_url_ok(const char *u, size_t len)
{
    if (len < 9 || len > LINK_URL_MAX || strncmp(u, "https://", 8) != 0)
        return false;
    for (size_t i = 0; i < len; i++) /* what RFC 3986 allows in a URI, no more */
        if ((unsigned char)u[i] <= ' ' || (unsigned char)u[i] >= 0x7f || strchr("<>\"\\{}|^`", u[i]))
            return false;
    return true;
}

ad_status ad_link_parse(const char *value, const char *rel, size_t max, char ***urls, size_t *n)
{
    const char *s = value;
    while (*s) {
        while (ows(*s) || *s == ',')
            s++;
        if (*s != '<')
            break; /* not a link-value: the rest cannot be trusted to parse */
        const char *gt = strchr(s, '>');
        if (!gt)
            break;
        const char *uri = s + 1;
        size_t ulen = (size_t)(gt - uri);
        bool match = false, seen_rel = false;
        s = gt + 1;
        for (;;) {
            while (ows(*s))
                s++;
            if (*s != ';')
                break;
            s++;
            while (ows(*s))
                s++;
            size_t nl = strcspn(s, "=;, \t");
            bool is_rel = nl == 3 && strncasecmp(s, "rel", 3) == 0;
            char val[LINK_PARAM_MAX];
            s += nl;
            while (ows(*s))
                s++;
            val[0] = '\0';
            if (*s == '=') {
                s++;
                while (ows(*s))
                    s++;
                link_param_value(&s, val, sizeof val);
            }
            if (is_rel && !seen_rel) { /* RFC 8288 3.3: only the first rel counts */
                seen_rel = true;
                match = rel_has(val, rel);
            }
        }
        /* Anything else up to the next link-value is passed over. */
        while (*s && *s != ',')
            s++;
        if (!match || !link_url_ok(uri, ulen))
            continue;
        if (*n >= max)
            break;
        char **a = realloc(*urls, (*n + 1) * sizeof **urls);
        if (!a)
            return AD_ERR_NOMEM;
        *urls = a;
        if (!(a[*n] = ad_strndup(uri, ulen)))
            return AD_ERR_NOMEM;
        (*n)++;
    }
    return AD_OK;
}

ad_status ad_http_links(const struct ad_http_response *resp, const char *rel, size_t max, char ***urls, size_t *n)
{
    for (size_t i = 0; i < resp->nlinks; i++) {
        ad_status rc = ad_link_parse(resp->links[i], rel, max, urls, n);
        if (rc != AD_OK)
            return rc;
    }
    return AD_OK;
}

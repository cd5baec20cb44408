/*
 * rfc2136: acme-dns provider that changes TXT records with DNS UPDATE
 * (RFC 2136) signed with TSIG (RFC 8945), for BIND, Knot, PowerDNS and
 * any other server that accepts dynamic updates.
 *
 * One UPDATE per zone carries the whole batch: additions never delete
 * anything, deletions remove exactly our values (class NONE).  Messages are
 * built, sent and parsed by ldns; the TSIG MAC for all six algorithms is
 * computed here with OpenSSL (rfc2136_tsig.c).
 */
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <ldns/ldns.h>
#include <openssl/crypto.h>

#include "acme-dns/plugin.h"
#include "credfile.h"
#include "dnsio.h"
#include "ini.h"
#include "parse.h"
#include "rfc2136_key.h"
#include "rfc2136_msg.h"
#include "rfc2136_tsig.h"

#define AD_RFC2136_FUDGE 300
#define AD_RFC2136_DEFAULT_TTL 60
#define AD_RFC2136_DEFAULT_TIMEOUT 10
/* Largest UPDATE we build before splitting a batch in several. */
#define AD_RFC2136_SPLIT (LDNS_MAX_PACKETLEN - AD_RFC2136_TSIG_ROOM - 1024)
#define AD_RFC2136_ENV_PREFIX "ACME_DNS_RFC2136_"
#define AD_RFC2136_MAX_ADDRS 8

/* Where updates go. */
struct ad_rfc2136_server {
    char host[256]; /* as given, without the port */
    unsigned port;
    size_t naddrs;
    struct sockaddr_storage addrs[AD_RFC2136_MAX_ADDRS];
    socklen_t lens[AD_RFC2136_MAX_ADDRS];
};

struct ad_rfc2136 {
    const struct ad_host *host;
    char server_spec[300];          /* as the user gave it, for messages */
    struct ad_rfc2136_server server;
    char *zone;                     /* zone option, or NULL; owned */
    struct ad_rfc2136_key *key;     /* NULL: unsigned updates; owned */
    uint32_t ttl;                   /* 0: the core's TTL, else 60 */
    unsigned timeout_ms;
};

static void ad_log(const struct ad_rfc2136 *st, enum ad_log_level lvl, const char *fmt, ...)
    AD_PRINTF(3, 4);
static void ad_log(const struct ad_rfc2136 *st, enum ad_log_level lvl, const char *fmt, ...)
{
    if (st->host == NULL || st->host->log == NULL)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    st->host->log(st->host->ctx, lvl, "%s", buf);
}

static void ad_add_secret(const struct ad_rfc2136 *st, const char *secret)
{
    if (secret != NULL && st->host != NULL && st->host->add_secret != NULL)
        st->host->add_secret(st->host->ctx, secret);
}

/* The first of VARS (NULL-terminated) that is set and not empty, its name
 * in *WHICH; NULL when none is. */
static const char *ad_env_first(const char *const *vars, const char **which)
{
    for (; *vars; vars++) {
        const char *v = getenv(*vars);
        if (v != NULL && *v != '\0') {
            *which = *vars;
            return v;
        }
    }
    return NULL;
}

#define AD_ENV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Where the server and the key come from: options, our variables and
 * lego's, or certbot's credentials file.  Each *_src names the source for
 * messages; DEFAULT_ALG is the algorithm when none is given (ours
 * hmac-sha256, lego's hmac-sha1, certbot's hmac-md5). */
struct ad_sources {
    const char *server, *name, *alg, *secret, *file;
    const char *server_src, *name_src, *alg_src, *secret_src, *file_src;
    const char *default_alg, *default_alg_of;
};

static bool ad_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The options and the environment (ours first, then lego's). */
static ad_status ad_sources_plain(struct ad_rfc2136 *st, const struct ad_option_value *opts, size_t nopts,
                                  struct ad_sources *s)
{
    const char *w = NULL;
    const char *o_secret = ad_option_get(opts, nopts, "tsig-secret");
    const char *o_file = ad_option_get(opts, nopts, "tsig-keyfile");
    const char *e_secret_src = NULL, *e_file_src = NULL;
    const char *e_secret = ad_env_first(AD_ENV(AD_RFC2136_ENV_PREFIX "TSIG_SECRET", "RFC2136_TSIG_SECRET"),
                                        &e_secret_src);
    const char *e_file = ad_env_first(AD_ENV(AD_RFC2136_ENV_PREFIX "TSIG_KEYFILE", "RFC2136_TSIG_FILE"),
                                      &e_file_src);
    s->default_alg = "hmac-sha256";
    if ((s->server = ad_option_get(opts, nopts, "server")) != NULL)
        s->server_src = "server";
    else if ((s->server = ad_env_first(AD_ENV("RFC2136_NAMESERVER"), &w)) != NULL)
        s->server_src = w;
    if ((s->name = ad_option_get(opts, nopts, "tsig-name")) != NULL)
        s->name_src = "tsig-name";
    else if ((s->name = ad_env_first(AD_ENV(AD_RFC2136_ENV_PREFIX "TSIG_NAME", "RFC2136_TSIG_KEY"), &w)) != NULL)
        s->name_src = w;
    if ((s->alg = ad_option_get(opts, nopts, "tsig-algorithm")) != NULL)
        s->alg_src = "tsig-algorithm";
    else if ((s->alg = ad_env_first(AD_ENV(AD_RFC2136_ENV_PREFIX "TSIG_ALGORITHM", "RFC2136_TSIG_ALGORITHM"),
                                    &w)) != NULL)
        s->alg_src = w;
    /* The secret as typed may turn up in messages of the core. */
    ad_add_secret(st, o_secret);
    ad_add_secret(st, e_secret);
    if (o_secret != NULL && o_file != NULL) {
        ad_log(st, AD_LOG_ERROR, "give either tsig-secret or tsig-keyfile, not both");
        return AD_ERR_CONFIG;
    }
    s->secret = o_secret, s->secret_src = "tsig-secret";
    s->file = o_file, s->file_src = "tsig-keyfile";
    if (o_secret == NULL && o_file == NULL) {
        if (e_secret != NULL && e_file != NULL) {
            ad_log(st, AD_LOG_ERROR, "both %s and %s are set: unset one", e_secret_src, e_file_src);
            return AD_ERR_CONFIG;
        }
        s->secret = e_secret, s->secret_src = e_secret_src;
        s->file = e_file, s->file_src = e_file_src;
    }
    if (s->secret != NULL && strncmp(s->secret_src, "RFC2136_", 8) == 0)
        s->default_alg = "hmac-sha1", s->default_alg_of = "lego's default";
    return AD_OK;
}

static void ad_warn_line(void *ctx, const char *message)
{
    ad_log(ctx, AD_LOG_WARN, "%s", message);
}

/* certbot's credentials INI file (certbot-dns-rfc2136): dns_rfc2136_server,
 * _port, _name, _secret, _algorithm (default HMAC-MD5, as certbot's),
 * _sign_query.  *INI holds the strings S points to (caller frees); SERVER
 * (SERVERLEN bytes) receives "server" or "server:port"; SECRET the secret
 * without white space (certbot's base64 decoder skips it). */
static ad_status ad_sources_certbot(struct ad_rfc2136 *st, const char *path, struct ad_sources *s,
                                    struct ad_ini **ini, char *server, size_t serverlen, char *secret,
                                    size_t secretlen)
{
    static const char *const known[] = {"dns_rfc2136_server", "dns_rfc2136_port", "dns_rfc2136_name",
                                        "dns_rfc2136_secret", "dns_rfc2136_algorithm", "dns_rfc2136_sign_query",
                                        NULL};
    char err[512], warn[512];
    size_t n = 0;
    ad_status rc = ad_cred_ini_load(path, AD_RFC2136_KEYFILE_MAX, ini, warn, sizeof warn, err, sizeof err);
    if (warn[0])
        ad_log(st, AD_LOG_WARN, "%s", warn);
    if (rc != AD_OK) {
        ad_log(st, AD_LOG_ERROR, "%s", err);
        return rc;
    }
    ad_ini_unknown_keys(*ini, path, "certbot's rfc2136 plugin (dns_rfc2136_...)", known, ad_warn_line, st);
    const char *srv = ad_ini_get(*ini, "dns_rfc2136_server"), *port = ad_ini_get(*ini, "dns_rfc2136_port");
    const char *sec = ad_ini_get(*ini, "dns_rfc2136_secret");
    s->name = ad_ini_get(*ini, "dns_rfc2136_name");
    s->alg = ad_ini_get(*ini, "dns_rfc2136_algorithm");
    if (sec != NULL)
        ad_add_secret(st, sec);
    const char *missing = srv == NULL || !*srv ? "dns_rfc2136_server" : s->name == NULL || !*s->name ? "dns_rfc2136_name"
                          : sec == NULL || !*sec                                      ? "dns_rfc2136_secret"
                                                                                      : NULL;
    if (missing != NULL) {
        ad_log(st, AD_LOG_ERROR, "credentials file %s does not set %s (it needs dns_rfc2136_server, "
               "dns_rfc2136_name and dns_rfc2136_secret)", path, missing);
        return AD_ERR_CONFIG;
    }
    if (s->alg != NULL && !*s->alg)
        s->alg = NULL;
    unsigned long pv = 53;
    if (port != NULL && *port && !ad_parse_uint(port, 1, 65535, &pv)) {
        ad_log(st, AD_LOG_ERROR, "credentials file %s: dns_rfc2136_port is not a port number (1 to 65535)", path);
        return AD_ERR_CONFIG;
    }
    bool v6 = strchr(srv, ':') != NULL && srv[0] != '[';
    if ((size_t)snprintf(server, serverlen, v6 ? "[%s]:%lu" : "%s:%lu", srv, pv) >= serverlen) {
        ad_log(st, AD_LOG_ERROR, "credentials file %s: dns_rfc2136_server is too long", path);
        return AD_ERR_CONFIG;
    }
    for (const char *p = sec; *p && n + 1 < secretlen; p++)
        if (!ad_blank(*p))
            secret[n++] = *p;
    secret[n] = '\0';
    ad_add_secret(st, secret);
    s->server = server;
    s->secret = secret;
    s->server_src = s->name_src = s->alg_src = s->secret_src = "credentials file";
    s->default_alg = "hmac-md5";
    s->default_alg_of = "certbot's default";
    const char *sq = ad_ini_get(*ini, "dns_rfc2136_sign_query");
    if (sq != NULL && strcasecmp(sq, "true") == 0)
        ad_log(st, AD_LOG_DEBUG, "dns_rfc2136_sign_query: the SOA query goes unsigned (the zone is found by the "
               "core, or the server answers unsigned queries)");
    return AD_OK;
}

/* Work out the TSIG key from S; tsig=none (NONE) means unsigned updates. */
static ad_status ad_setup_key(struct ad_rfc2136 *st, const struct ad_sources *s, bool none)
{
    char err[512], warn[512];
    ad_status rc;
    const char *alg = s->alg;
    if (alg != NULL && ad_rfc2136_alg_find(alg) == NULL) {
        ad_log(st, AD_LOG_ERROR, "unknown TSIG algorithm \"%s\" in %s: use one of %s", alg, s->alg_src,
               ad_rfc2136_alg_list());
        return AD_ERR_CONFIG;
    }
    if (none) {
        const char *src = s->file != NULL ? s->file_src : s->secret != NULL ? s->secret_src
                          : s->name != NULL ? s->name_src : NULL;
        if (src != NULL) {
            ad_log(st, AD_LOG_ERROR, "tsig=none asks for unsigned updates, but %s gives a TSIG key: drop one", src);
            return AD_ERR_CONFIG;
        }
        ad_log(st, AD_LOG_INFO, "tsig=none: updates are sent unsigned");
        return AD_OK;
    }
    if (s->secret == NULL && s->file == NULL) {
        if (s->name != NULL) {
            ad_log(st, AD_LOG_ERROR,
                   "%s is set but there is no secret: set tsig-secret or tsig-keyfile (or "
                   AD_RFC2136_ENV_PREFIX "TSIG_SECRET / " AD_RFC2136_ENV_PREFIX "TSIG_KEYFILE, or lego's "
                   "RFC2136_TSIG_SECRET)", s->name_src);
            return AD_ERR_CONFIG;
        }
        ad_log(st, AD_LOG_ERROR,
               "no TSIG key: give tsig-keyfile=FILE (a key file from tsig-keygen), or tsig-name and tsig-secret, "
               "or the variables " AD_RFC2136_ENV_PREFIX "TSIG_KEYFILE, " AD_RFC2136_ENV_PREFIX "TSIG_NAME and "
               AD_RFC2136_ENV_PREFIX "TSIG_SECRET, lego's RFC2136_TSIG_KEY and RFC2136_TSIG_SECRET, or certbot's "
               "credentials=FILE; for a server that takes unsigned updates, say so with tsig=none");
        return AD_ERR_CONFIG;
    }
    if (s->secret != NULL) {
        if (s->name == NULL) {
            ad_log(st, AD_LOG_ERROR,
                   "%s needs the key name: set tsig-name (or " AD_RFC2136_ENV_PREFIX "TSIG_NAME, or lego's "
                   "RFC2136_TSIG_KEY)", s->secret_src);
            return AD_ERR_CONFIG;
        }
        if (alg == NULL && s->default_alg_of != NULL)
            ad_log(st, AD_LOG_DEBUG, "no TSIG algorithm given: %s, %s", s->default_alg, s->default_alg_of);
        rc = ad_rfc2136_key_new(s->name, alg ? alg : s->default_alg, s->secret, &st->key, err, sizeof err);
        if (rc != AD_OK) {
            ad_log(st, AD_LOG_ERROR, "%s: %s", s->secret_src, err);
            return rc;
        }
    } else {
        rc = ad_rfc2136_keyfile_load(s->file, s->name, &st->key, warn, sizeof warn, err, sizeof err);
        if (warn[0])
            ad_log(st, AD_LOG_WARN, "%s", warn);
        if (rc != AD_OK) {
            ad_log(st, AD_LOG_ERROR, "%s", err);
            return rc;
        }
        ad_add_secret(st, st->key->secret_b64);
        const struct ad_rfc2136_alg *a = alg ? ad_rfc2136_alg_find(alg) : NULL;
        if (a != NULL && a != st->key->alg) {
            ad_log(st, AD_LOG_ERROR,
                   "%s is %s but key %s in %s uses %s: remove %s or fix the key file", s->alg_src,
                   a->name, st->key->name, s->file, st->key->alg->name, s->alg_src);
            return AD_ERR_CONFIG;
        }
    }
    ad_log(st, AD_LOG_DEBUG, "TSIG key %s (%s, %zu-byte secret)", st->key->name,
           st->key->alg->name, st->key->secret_len);
    return AD_OK;
}

/* SPEC (IP, IP:PORT, [IPv6]:PORT, [IPv6], IPv6, host, host:PORT) into S:
 * numeric first, then a host name look-up.  AD_ERR_CONFIG for a malformed
 * SPEC, AD_ERR_DNS when the name has no address; ERR says which. */
static ad_status ad_server_parse(const char *spec, struct ad_rfc2136_server *s, char *err, size_t errlen)
{
    char portstr[8];
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    memset(s, 0, sizeof *s);
    if (!ad_hostport_split(spec, s->host, sizeof s->host, 53, &s->port)) {
        snprintf(err, errlen, "server \"%.200s\" is not an address: use IP, IP:PORT, [IPv6]:PORT or a host name",
                 spec);
        return AD_ERR_CONFIG;
    }
    snprintf(portstr, sizeof portstr, "%u", s->port);
    int gai = getaddrinfo(s->host, portstr, &hints, &res);
    if (gai != 0) {
        hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
        gai = getaddrinfo(s->host, portstr, &hints, &res);
    }
    if (gai != 0) {
        snprintf(err, errlen, "cannot find the address of server %s: %s", s->host, gai_strerror(gai));
        return AD_ERR_DNS;
    }
    for (struct addrinfo *ai = res; ai && s->naddrs < AD_RFC2136_MAX_ADDRS; ai = ai->ai_next) {
        if (ai->ai_addrlen <= sizeof s->addrs[0]) {
            memcpy(&s->addrs[s->naddrs], ai->ai_addr, ai->ai_addrlen);
            s->lens[s->naddrs++] = ai->ai_addrlen;
        }
    }
    freeaddrinfo(res);
    if (s->naddrs == 0) {
        snprintf(err, errlen, "server %s has no usable address", s->host);
        return AD_ERR_DNS;
    }
    return AD_OK;
}

static void ad_rfc2136_fini(void *state)
{
    struct ad_rfc2136 *st = state;
    if (st == NULL)
        return;
    ad_rfc2136_key_free(st->key);
    free(st->zone);
    free(st);
}

static ad_status ad_rfc2136_init(const struct ad_host *host, const struct ad_option_value *opts,
                                 size_t nopts, void **state)
{
    ad_status rc = AD_ERR_NOMEM;
    char err[512], cserver[300], csecret[AD_RFC2136_SECRET_MAX * 2];
    struct ad_sources src = {0};
    struct ad_ini *ini = NULL; /* src points into it */
    struct ad_rfc2136 *st = calloc(1, sizeof *st);
    if (st == NULL)
        goto out;
    st->host = host;
    rc = AD_ERR_CONFIG;

    const char *creds = ad_option_get(opts, nopts, "credentials");
    const char *tsig = ad_option_get(opts, nopts, "tsig");
    if (tsig != NULL && strcmp(tsig, "none") != 0) {
        ad_log(st, AD_LOG_ERROR, "tsig=%s: the only value is none (unsigned updates); a key goes in tsig-keyfile or "
               "tsig-name and tsig-secret", tsig);
        goto out;
    }
    if (creds != NULL) {
        static const char *const clash[] = {"server", "tsig-name", "tsig-secret", "tsig-keyfile", "tsig-algorithm",
                                            "tsig"};
        for (size_t i = 0; i < sizeof clash / sizeof *clash; i++)
            if (ad_option_get(opts, nopts, clash[i]) != NULL) {
                ad_log(st, AD_LOG_ERROR, "credentials=%s gives the server and the TSIG key: leave out %s", creds,
                       clash[i]);
                goto out;
            }
        rc = ad_sources_certbot(st, creds, &src, &ini, cserver, sizeof cserver, csecret, sizeof csecret);
    } else {
        rc = ad_sources_plain(st, opts, nopts, &src);
    }
    if (rc != AD_OK)
        goto out;
    rc = AD_ERR_CONFIG;
    if (src.server == NULL) {
        ad_log(st, AD_LOG_ERROR, "no server: give server=ADDR (the primary that takes updates), or lego's "
               "RFC2136_NAMESERVER, or certbot's credentials=FILE");
        goto out;
    }
    snprintf(st->server_spec, sizeof st->server_spec, "%s", src.server);
    rc = ad_server_parse(src.server, &st->server, err, sizeof err);
    if (rc != AD_OK) {
        ad_log(st, AD_LOG_ERROR, "%s%s%s", src.server_src != NULL && strcmp(src.server_src, "server") != 0 ?
               src.server_src : "", src.server_src != NULL && strcmp(src.server_src, "server") != 0 ? ": " : "", err);
        rc = rc == AD_ERR_DNS ? AD_ERR_DNS : AD_ERR_CONFIG;
        goto out;
    }
    rc = AD_ERR_CONFIG;
    const char *zone = ad_option_get(opts, nopts, "zone");
    if (zone != NULL) {
        char z[AD_NAME_MAX + 1];
        if (ad_name_normalize(zone, z, sizeof z) != AD_OK) {
            ad_log(st, AD_LOG_ERROR, "zone \"%s\" is not a domain name", zone);
            goto out;
        }
        st->zone = strdup(z);
        if (st->zone == NULL) {
            rc = AD_ERR_NOMEM;
            goto out;
        }
    }
    unsigned long v;
    const char *ttl = ad_option_get(opts, nopts, "ttl");
    if (ttl != NULL) {
        if (!ad_parse_uint(ttl, 1, 2147483647ul, &v)) {
            ad_log(st, AD_LOG_ERROR, "ttl \"%s\" is not a number of seconds (1 or more)", ttl);
            goto out;
        }
        st->ttl = (uint32_t)v;
    }
    st->timeout_ms = AD_RFC2136_DEFAULT_TIMEOUT * 1000u;
    const char *timeout = ad_option_get(opts, nopts, "timeout");
    if (timeout != NULL) {
        if (!ad_parse_uint(timeout, 1, 3600, &v)) {
            ad_log(st, AD_LOG_ERROR, "timeout \"%s\" is not a number of seconds (1 to 3600)",
                   timeout);
            goto out;
        }
        st->timeout_ms = (unsigned)v * 1000u;
    }
    rc = ad_setup_key(st, &src, tsig != NULL);
    if (rc != AD_OK)
        goto out;
    ad_log(st, AD_LOG_DEBUG, "server %s (%zu address%s), zone %s, timeout %u s",
           st->server_spec, st->server.naddrs, st->server.naddrs == 1 ? "" : "es",
           st->zone ? st->zone : "(from the core or SOA)", st->timeout_ms / 1000);
    *state = st;
    st = NULL;
    rc = AD_OK;
out:
    ad_ini_free(ini);
    OPENSSL_cleanse(csecret, sizeof csecret);
    ad_rfc2136_fini(st);
    return rc;
}

/* True once the user asked acme-dns to stop (hosts older than the callback: never). */
static int ad_stop(void *ctx)
{
    const struct ad_host *h = ((const struct ad_rfc2136 *)ctx)->host;
    if (h == NULL || h->struct_size < offsetof(struct ad_host, interrupted) + sizeof h->interrupted ||
        h->interrupted == NULL)
        return 0;
    return h->interrupted(h->ctx);
}

/* Address I of the server as text for messages. */
static void ad_where(const struct ad_rfc2136 *st, size_t i, char *buf, size_t len)
{
    ad_addr_str((const struct sockaddr *)&st->server.addrs[i], buf, len);
}

/* Send MSG to the server's addresses in turn until one answers.  On
 * success *REPLY (caller frees) and *WHERE name the address that did. */
static ad_status ad_send(struct ad_rfc2136 *st, const uint8_t *msg, size_t len, const char *what, uint8_t **reply,
                         size_t *rlen, char *where, size_t wlen)
{
    ad_status rc = AD_ERR_INTERNAL;
    char err[512] = "";
    for (size_t i = 0; i < st->server.naddrs; i++) {
        struct ad_dns_xfer x = {.timeout_ms = st->timeout_ms, .stop = ad_stop, .stop_ctx = st};
        ad_where(st, i, where, wlen);
        rc = ad_dns_exchange(&st->server.addrs[i], st->server.lens[i], msg, len, &x, reply, rlen, err, sizeof err);
        ad_log(st, AD_LOG_DEBUG, "%s: %zu bytes to %s over %s%s", what, len, where, x.tcp ? "TCP" : "UDP",
               x.tcp && x.sends ? " (the UDP reply was truncated)" : "");
        if (rc == AD_OK || rc == AD_ERR_INTERRUPTED || rc == AD_ERR_NOMEM)
            break;
        if (i + 1 < st->server.naddrs)
            ad_log(st, AD_LOG_WARN, "%s: %s; trying the next address", what, err);
    }
    if (rc == AD_OK || rc == AD_ERR_NOMEM)
        return rc;
    if (rc == AD_ERR_INTERRUPTED) {
        ad_log(st, AD_LOG_WARN, "%s: interrupted", what);
        return rc;
    }
    if (rc != AD_ERR_TIMEOUT)
        ad_log(st, AD_LOG_ERROR, "%s: %s", what, err);
    else
        ad_log(st, AD_LOG_ERROR,
               "DNS server %s did not answer within %u s: check the server option, that the server runs and "
               "that no firewall drops port %u (UDP and TCP)",
               st->server_spec, st->timeout_ms / 1000, st->server.port);
    return rc == AD_ERR_TIMEOUT ? AD_ERR_TIMEOUT : AD_ERR_PROVIDER;
}

/* Zone of NAME by asking the server for NAME's SOA.  *ZONE: caller frees. */
static ad_status ad_find_zone(struct ad_rfc2136 *st, const char *name, char **zone)
{
    uint8_t *q = NULL, *reply = NULL;
    size_t qlen = 0, rlen = 0;
    ldns_pkt *pkt = NULL;
    ldns_rdf *qname = ldns_dname_new_frm_str(name);
    char where[AD_ADDRSTR_MAX], what[300], nb[16], owner[AD_NAME_MAX + 1];
    snprintf(what, sizeof what, "SOA query for %s", name);
    ad_status rc = qname ? ad_rfc2136_build_soa_query(name, &q, &qlen) : AD_ERR_USAGE;
    if (rc != AD_OK) {
        ad_log(st, AD_LOG_ERROR, "record name \"%s\" is not a domain name", name);
        rc = rc == AD_ERR_NOMEM ? rc : AD_ERR_PROVIDER;
        goto out;
    }
    if ((rc = ad_send(st, q, qlen, what, &reply, &rlen, where, sizeof where)) != AD_OK)
        goto out;
    rc = AD_ERR_PROVIDER;
    if (ldns_wire2pkt(&pkt, reply, rlen) != LDNS_STATUS_OK) {
        ad_log(st, AD_LOG_ERROR, "malformed reply from %s to the %s", where, what);
        goto out;
    }
    const ldns_rr_list *sections[2] = {ldns_pkt_answer(pkt), ldns_pkt_authority(pkt)};
    ldns_pkt_rcode rcode = ldns_pkt_get_rcode(pkt);
    for (size_t s = 0; s < 2 && (rcode == LDNS_RCODE_NOERROR || rcode == LDNS_RCODE_NXDOMAIN); s++) {
        for (size_t i = 0; i < ldns_rr_list_rr_count(sections[s]); i++) {
            const ldns_rr *rr = ldns_rr_list_rr(sections[s], i);
            const ldns_rdf *o = ldns_rr_owner(rr);
            char *text = NULL;
            if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA ||
                (ldns_dname_compare(qname, o) != 0 && !ldns_dname_is_subdomain(qname, o)) ||
                !(text = ldns_rdf2str(o)) || ad_name_normalize(text, owner, sizeof owner) != AD_OK) {
                free(text);
                continue;
            }
            free(text);
            *zone = strdup(owner);
            rc = *zone ? AD_OK : AD_ERR_NOMEM;
            if (rc == AD_OK)
                ad_log(st, AD_LOG_DEBUG, "%s is in zone %s (SOA from %s)", name, *zone, where);
            goto out;
        }
    }
    ad_log(st, AD_LOG_ERROR,
           "cannot find the zone of %s: %s answered the SOA query with %s and no SOA record: set the zone option",
           name, where, ad_rfc2136_rcode_name((unsigned)rcode, nb));
out:
    ldns_rdf_deep_free(qname);
    ldns_pkt_free(pkt);
    free(q);
    free(reply);
    return rc;
}

/* Check the TSIG of reply R (REPLY, RLEN bytes) to the update signed with
 * REQ_MAC; log what is wrong. */
static ad_status ad_check_tsig(struct ad_rfc2136 *st, const uint8_t *reply, size_t rlen,
                               const struct ad_rfc2136_reply *r, const uint8_t *req_mac, size_t req_mac_len,
                               const char *where, const char *zone)
{
    switch (ad_rfc2136_tsig_verify(st->key, reply, rlen, r, req_mac, req_mac_len, (uint64_t)time(NULL))) {
    case AD_TSIG_CHECK_OK:
        return AD_OK;
    case AD_TSIG_CHECK_BAD_TIME:
        ad_log(st, AD_LOG_ERROR,
               "reply from %s was signed at a time more than %u s away from this host's clock: clock skew, "
               "check both clocks (NTP)",
               where, r->fudge);
        break;
    case AD_TSIG_CHECK_WRONG_KEY:
        ad_log(st, AD_LOG_ERROR, "reply from %s is signed with key %s (%s), not ours", where, r->tsig_name,
               r->tsig_alg);
        break;
    case AD_TSIG_CHECK_BAD_TRUNC:
        ad_log(st, AD_LOG_ERROR,
               "reply from %s carries a %u-byte MAC, which %s does not allow (RFC 8945 5.2.2.1): the update "
               "to zone %s cannot be confirmed",
               where, r->mac_len, st->key->alg->name, zone);
        break;
    default:
        ad_log(st, AD_LOG_ERROR, "reply from %s fails TSIG verification: the update to zone %s cannot be confirmed",
               where, zone);
    }
    return AD_ERR_AUTH;
}

/* Check REPLY to the update signed with REQ_MAC; log what is wrong. */
static ad_status ad_check_reply(struct ad_rfc2136 *st, const uint8_t *reply, size_t rlen, const uint8_t *req_mac,
                                size_t req_mac_len, const char *where, const char *zone, const char *first_name)
{
    struct ad_rfc2136_reply r;
    char msg[800], nb[16];
    ad_status rc = AD_ERR_PROVIDER;
    struct ad_rfc2136_why why = {where, zone, first_name, st->key ? st->key->name : NULL,
                                 st->key ? st->key->alg->name : NULL, false};
    if (ad_rfc2136_reply_parse(reply, rlen, &r) != AD_OK) {
        ad_log(st, AD_LOG_ERROR, "malformed reply from %s to the update of zone %s", where, zone);
        goto out;
    }
    if (r.opcode != LDNS_PACKET_UPDATE) {
        ad_log(st, AD_LOG_ERROR, "reply from %s has opcode %u, not UPDATE", where, r.opcode);
        goto out;
    }
    why.reply_signed = r.has_tsig;
    ad_log(st, AD_LOG_DEBUG, "reply from %s: %s%s%s", where, ad_rfc2136_rcode_name(r.rcode, nb),
           r.has_tsig ? ", signed" : ", unsigned", r.has_tsig && r.error ? " with a TSIG error" : "");
    /* RFC 8945 5.3.2: BADSIG and BADKEY come back unsigned (MAC size 0) */
    if (st->key && r.has_tsig && r.error != 0 && r.error != AD_TSIG_BADSIG && r.error != AD_TSIG_BADKEY &&
        (rc = ad_check_tsig(st, reply, rlen, &r, req_mac, req_mac_len, where, zone)) != AD_OK)
        goto out;
    if (st->key && r.has_tsig && r.error != 0) {
        rc = ad_rfc2136_explain(r.rcode, r.error, &why, msg, sizeof msg);
        ad_log(st, AD_LOG_ERROR, "%s", msg);
        goto out;
    }
    if (st->key && !r.has_tsig && r.rcode == LDNS_RCODE_NOERROR) {
        ad_log(st, AD_LOG_ERROR,
               "reply from %s is not signed: the update to zone %s cannot be confirmed (is something between "
               "us and the server rewriting DNS?)",
               where, zone);
        goto out;
    }
    if (st->key && r.has_tsig && (rc = ad_check_tsig(st, reply, rlen, &r, req_mac, req_mac_len, where, zone)) != AD_OK)
        goto out;
    rc = ad_rfc2136_explain(r.rcode, 0, &why, msg, sizeof msg);
    if (rc != AD_OK)
        ad_log(st, AD_LOG_ERROR, "%s%s", msg, st->key && !r.has_tsig && r.rcode != LDNS_RCODE_REFUSED ?
                                                 " (the reply is not signed)" : "");
out:
    ad_rfc2136_reply_clear(&r);
    return rc;
}

/* One UPDATE for ZONE with N records. */
static ad_status ad_update(struct ad_rfc2136 *st, const char *zone, const struct ad_rfc2136_txt *recs, size_t n,
                           bool del)
{
    uint8_t *msg = NULL, *signed_msg = NULL, *reply = NULL, mac[64];
    size_t len = 0, slen = 0, rlen = 0, mac_len = 0;
    char where[AD_ADDRSTR_MAX], what[300];
    snprintf(what, sizeof what, "update of zone %s", zone);
    ad_status rc = ad_rfc2136_build_update(zone, recs, n, del, &msg, &len);
    if (rc != AD_OK) {
        ad_log(st, AD_LOG_ERROR, "cannot build the update of zone %s: a name or value is malformed or too long",
               zone);
        rc = rc == AD_ERR_NOMEM ? rc : AD_ERR_PROVIDER;
        goto out;
    }
    const uint8_t *send_msg = msg;
    size_t send_len = len;
    if (st->key != NULL) {
        rc = ad_rfc2136_tsig_sign(st->key, msg, len, (uint64_t)time(NULL), AD_RFC2136_FUDGE, &signed_msg, &slen,
                                  mac, &mac_len);
        if (rc != AD_OK) {
            ad_log(st, AD_LOG_ERROR, "cannot sign the update with %s", st->key->alg->name);
            rc = AD_ERR_PROVIDER;
            goto out;
        }
        send_msg = signed_msg;
        send_len = slen;
    }
    ad_log(st, AD_LOG_DEBUG, "UPDATE zone %s: %s %zu TXT record%s (%zu bytes, %s)", zone, del ? "delete" : "add",
           n, n == 1 ? "" : "s", send_len, st->key ? st->key->alg->name : "unsigned");
    rc = ad_send(st, send_msg, send_len, what, &reply, &rlen, where, sizeof where);
    if (rc == AD_OK)
        rc = ad_check_reply(st, reply, rlen, mac, mac_len, where, zone, recs[0].name);
out:
    OPENSSL_cleanse(mac, sizeof mac);
    free(msg);
    free(signed_msg);
    free(reply);
    return rc;
}

#define AD_DATA_ZONE "zone="

/* Zone of record R: zone option, the core's zone, the one kept in the
 * record's data, or an SOA query.  *ZONE: caller frees. */
static ad_status ad_record_zone(struct ad_rfc2136 *st, const struct ad_record *r, char **zone)
{
    const char *z = st->zone;
    if (z == NULL && r->zone != NULL && *r->zone != '\0')
        z = r->zone;
    if (z == NULL && strncmp(r->data, AD_DATA_ZONE, strlen(AD_DATA_ZONE)) == 0 &&
        memchr(r->data, '\0', sizeof r->data) != NULL)
        z = r->data + strlen(AD_DATA_ZONE);
    if (z != NULL && *z != '\0') {
        *zone = strdup(z);
        if (*zone == NULL)
            return AD_ERR_NOMEM;
        size_t n = strlen(*zone);
        if (n > 1 && (*zone)[n - 1] == '.')
            (*zone)[n - 1] = '\0';
        return AD_OK;
    }
    return ad_find_zone(st, r->name, zone);
}

static ad_status ad_apply(void *state, struct ad_record *const *records, size_t count, bool del)
{
    struct ad_rfc2136 *st = state;
    ad_status rc = AD_OK;
    char **zones = NULL;
    bool *done = NULL;
    struct ad_rfc2136_txt *txt = NULL;
    if (count == 0)
        return AD_OK;
    zones = calloc(count, sizeof *zones);
    done = calloc(count, sizeof *done);
    txt = calloc(count, sizeof *txt);
    if (zones == NULL || done == NULL || txt == NULL) {
        rc = AD_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        const struct ad_record *r = records[i];
        if (r == NULL || r->name == NULL || r->value == NULL ||
            strlen(r->value) > AD_RFC2136_VALUE_MAX) {
            ad_log(st, AD_LOG_ERROR, "record %zu of the batch has no name or a bad value", i);
            rc = AD_ERR_PROVIDER;
            goto out;
        }
        ad_status zr = AD_OK;
        for (size_t j = 0; j < i && zones[i] == NULL; j++)
            if (zones[j] != NULL && strcasecmp(records[j]->name, r->name) == 0 &&
                (zones[i] = strdup(zones[j])) == NULL)
                zr = AD_ERR_NOMEM;
        if (zones[i] == NULL && zr == AD_OK)
            zr = ad_record_zone(st, r, &zones[i]);
        if (zr != AD_OK) {
            if (!del) {
                rc = zr;
                goto out;
            }
            /* cleanup goes on with the other records */
            if (rc == AD_OK)
                rc = zr;
            done[i] = true;
            continue;
        }
        if (!ad_rfc2136_name_in_zone(r->name, zones[i])) {
            ad_log(st, AD_LOG_ERROR, "%s is not in zone %s: set the zone option", r->name,
                   zones[i]);
            if (!del) {
                rc = AD_ERR_PROVIDER;
                goto out;
            }
            if (rc == AD_OK)
                rc = AD_ERR_PROVIDER;
            done[i] = true;
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (done[i])
            continue;
        const char *zone = zones[i];
        for (bool more = true; more;) {
            /* records of ZONE not yet sent, as many as fit in one message */
            size_t n = 0, size = LDNS_HEADER_SIZE + 260;
            more = false;
            for (size_t j = i; j < count; j++) {
                if (done[j] || strcasecmp(zones[j], zone) != 0)
                    continue;
                uint32_t ttl = st->ttl       ? st->ttl
                               : records[j]->ttl ? records[j]->ttl
                                                 : AD_RFC2136_DEFAULT_TTL;
                struct ad_rfc2136_txt t = { records[j]->name, records[j]->value, ttl };
                size_t sz = ad_rfc2136_txt_size(&t);
                if (n > 0 && size + sz > AD_RFC2136_SPLIT) {
                    more = true;
                    break;
                }
                txt[n++] = t;
                size += sz;
                done[j] = true;
            }
            ad_status ur = ad_update(st, zone, txt, n, del);
            if (ur != AD_OK) {
                if (!del) {
                    rc = ur;
                    goto out;
                }
                if (rc == AD_OK)
                    rc = ur;
                continue;
            }
            ad_log(st, AD_LOG_INFO, "%s %zu TXT record%s %s zone %s at %s",
                   del ? "removed" : "added", n, n == 1 ? "" : "s", del ? "from" : "to", zone,
                   st->server_spec);
        }
    }
    if (!del)
        for (size_t i = 0; i < count; i++)
            if (zones[i] != NULL &&
                strlen(AD_DATA_ZONE) + strlen(zones[i]) < sizeof records[i]->data)
                snprintf(records[i]->data, sizeof records[i]->data, "%s%s", AD_DATA_ZONE,
                         zones[i]);
out:
    if (zones != NULL)
        for (size_t i = 0; i < count; i++)
            free(zones[i]);
    free(zones);
    free(done);
    free(txt);
    return rc;
}

static ad_status ad_rfc2136_present(void *state, struct ad_record *const *records, size_t count)
{
    return ad_apply(state, records, count, false);
}

static ad_status ad_rfc2136_cleanup(void *state, struct ad_record *const *records, size_t count)
{
    return ad_apply(state, records, count, true);
}

static const struct ad_plugin_option ad_rfc2136_options[] = {
    { "server", "primary DNS server: IP, IP:PORT, [IPv6]:PORT or host name (env RFC2136_NAMESERVER)", 0 },
    { "zone", "zone to update (default: found by the core, else an SOA query to server)", 0 },
    { "tsig-name", "TSIG key name (env ACME_DNS_RFC2136_TSIG_NAME)", 0 },
    { "tsig-algorithm",
      "hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256 (default), hmac-sha384 or hmac-sha512 "
      "(env ACME_DNS_RFC2136_TSIG_ALGORITHM)",
      0 },
    { "tsig-secret", "TSIG secret, base64 (env ACME_DNS_RFC2136_TSIG_SECRET)", AD_OPT_SECRET },
    { "tsig-keyfile",
      "BIND key file from tsig-keygen or ddns-confgen (env ACME_DNS_RFC2136_TSIG_KEYFILE)", 0 },
    { "ttl", "TTL of the TXT records in seconds (default: the core's, else 60)", 0 },
    { "timeout", "seconds to wait for the server's answer (default 10)", 0 },
    { "credentials", "certbot's rfc2136 credentials INI file (dns_rfc2136_server, _port, _name, _secret, "
      "_algorithm), absolute path", 0 },
    { "tsig", "none: send the updates unsigned (a server that takes updates by address)", 0 },
    { NULL, NULL, 0 },
};

/* The variables ad_sources_plain reads when the option is not given: ours,
 * then lego's. */
static const struct ad_plugin_env ad_rfc2136_env[] = {
    { "server", "RFC2136_NAMESERVER" },
    { "tsig-keyfile", AD_RFC2136_ENV_PREFIX "TSIG_KEYFILE" },
    { "tsig-keyfile", "RFC2136_TSIG_FILE" },
    { "tsig-secret", AD_RFC2136_ENV_PREFIX "TSIG_SECRET" },
    { "tsig-secret", "RFC2136_TSIG_SECRET" },
    { "tsig-name", AD_RFC2136_ENV_PREFIX "TSIG_NAME" },
    { "tsig-name", "RFC2136_TSIG_KEY" },
    { "tsig-algorithm", AD_RFC2136_ENV_PREFIX "TSIG_ALGORITHM" },
    { "tsig-algorithm", "RFC2136_TSIG_ALGORITHM" },
    { NULL, NULL },
};

AD_PLUGIN_DECLARE_ENV(rfc2136, "DNS UPDATE (RFC 2136) with TSIG, for BIND, Knot and PowerDNS",
                      ad_rfc2136_options, ad_rfc2136_env, ad_rfc2136_init, ad_rfc2136_present,
                      ad_rfc2136_cleanup, ad_rfc2136_fini);

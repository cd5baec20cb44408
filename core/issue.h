/* Obtaining certificates: one CA session (HTTPS connection, directory,
 * account) and the flow that gets many certificates at once, each phase
 * (orders, authorizations, DNS updates, the propagation wait, validation,
 * finalization, downloads) running for all of them together; and the
 * `issue` and `directory` commands on top of it. */
#ifndef AD_ISSUE_H
#define AD_ISSUE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "acme-dns/status.h"
#include "acme.h"
#include "cli.h"
#include "providers.h"

/* Exit status of a run whose certificate was written but whose deploy
 * hook failed, and of a `renew` in which a certificate failed. */
#define AD_EXIT_HOOK 9
#define AD_EXIT_RENEW 10

enum ad_phase { AD_PH_ACCOUNT, AD_PH_ORDER, AD_PH_AUTHZ, AD_PH_LOCATE, AD_PH_UPDATE, AD_PH_PROPAGATION,
                AD_PH_VALIDATION, AD_PH_FINALIZE, AD_PH_DOWNLOAD, AD_PH_CLEANUP, AD_PH_RENEWAL_INFO, AD_PH_COUNT };

/* Wall ms and CPU us per phase. */
struct ad_timings {
    uint64_t t[AD_PH_COUNT], cpu[AD_PH_COUNT];
    uint64_t start_ms, start_cpu_us;
};
void ad_timings_start(struct ad_timings *tm);
/* A phase's start, and adding the time since it to phase PH of TM (NULL: nothing). */
struct ad_mark {
    uint64_t wall_ms, cpu_us;
};
struct ad_mark ad_mark(void);
void ad_since(struct ad_timings *tm, enum ad_phase ph, struct ad_mark m);
/* The two lines of --timings, with REQUESTS HTTP requests to the CA. */
/* What the HTTPS handles of a run did, for the timings line. */
struct ad_http_figures {
    unsigned long requests, connects;
    const char *version;  /* of the last response (static), NULL when none */
};
struct ad_http;
/* Add H's requests and connections to HF (H may be NULL). */
void ad_http_figures_add(struct ad_http_figures *hf, const struct ad_http *h);
void ad_timings_print(const struct ad_timings *tm, const struct ad_http_figures *hf, FILE *f);

/* One CA in one run. */
struct ad_ca {
    char *server;
    struct ad_http *http;
    struct ad_acme *acme;
    EVP_PKEY *account_key;
    char *thumbprint;
    bool have_account;
};
/* Connect to SERVER's directory.  Caller frees with ad_ca_free. */
ad_status ad_ca_open(const char *server, const char *ca_bundle, unsigned http_timeout_s, struct ad_ca **out);
void ad_ca_free(struct ad_ca *ca);
/* Its account: ad_account_open (account.h). */

/* One certificate to obtain. */
struct ad_job {
    /* in, borrowed until ad_obtain returns */
    const char *cert_name;
    const char *cert_dir;        /* the files go here */
    char *const *domains;
    size_t ndomains;
    int key_type;                /* enum ad_key_type */
    struct ad_instance *inst;    /* its DNS provider */
    const char *replaces;        /* ARI id of the certificate it replaces, or NULL */
    /* out */
    ad_status rc;                /* AD_OK: written to cert_dir */
    const char *phase;           /* where it failed (static text) */
    char *cert;                  /* the new leaf (PEM) when written; free it */
    bool replaced;               /* the order named the replaced certificate */
    /* in, borrowed until ad_obtain returns */
    const char *profile;         /* the CA's certificate profile, or NULL */
    const char *preferred_chain; /* the topmost issuer's common name of the chain to prefer, or NULL */
    bool reuse_key;              /* keep the key in cert_dir/privkey.pem */
    /* in: names at several providers: insts[i] presents domains[i]
     * (borrowed like inst, which should be insts[0]); NULL: inst serves all */
    struct ad_instance *const *insts;
};

struct ad_obtain_opts {
    char *const *resolvers;        /* for the zone look-ups and the propagation check */
    size_t nresolvers;
    unsigned propagation_timeout;  /* seconds */
    bool skip_propagation;
    bool announce;                 /* print where each certificate was written */
};

/* Obtain JOBS[0..n) from CA (account set) through their providers and
 * write each into its folder.  Each job's outcome is in the job; a record
 * presented for any of them is removed before this returns.  Returns
 * AD_OK, or what stops the run (interrupted, out of memory), or the
 * provider's failure to remove records. */
ad_status ad_obtain(struct ad_ca *ca, struct ad_instances *set, const struct ad_obtain_opts *o, struct ad_job *jobs,
                    size_t n, struct ad_timings *tm);

/* The issue command, after the lock: one certificate with the provider the
 * command line names; saves its settings; runs the deploy hook. */
ad_status ad_issue_run(const struct ad_cli *cli, const char *state_dir, int *exit_code);
/* The "directory" command: fetch the CA's directory and describe it. */
ad_status ad_issue_directory(const struct ad_cli *cli);

#endif

/* The renew and certificates commands: the certificates saved under
 * STATE/certs, when each is due, renewing what is due (many at once), and
 * a summary per certificate. */
#ifndef AD_RENEW_H
#define AD_RENEW_H

#include "acme-dns/status.h"
#include "cli.h"

/* Certificates renewed in one ad_obtain at most (their orders, DNS updates
 * and validations overlap; HTTP requests in flight are bounded by
 * AD_HTTP_PARALLEL). */
#define AD_RENEW_BATCH 100
/* ... and names (authorizations) in one batch at most. */
#define AD_RENEW_BATCH_NAMES 1000

/* renew, after the lock.  *EXIT_CODE: the process's exit status. */
ad_status ad_renew_run(const struct ad_cli *cli, const char *state_dir, int *exit_code);
/* certificates: what is saved, offline. */
ad_status ad_certificates_run(const struct ad_cli *cli, const char *state_dir);

#endif

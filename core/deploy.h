/* The deploy hook: a program run after a new certificate is written. */
#ifndef AD_DEPLOY_H
#define AD_DEPLOY_H

#include <stddef.h>

#include "acme-dns/status.h"

/* How long a deploy hook may run before it is stopped. */
#define AD_DEPLOY_TIMEOUT_S 600

/* Run ARGV[0..ARGC) without a shell (ARGV[0] a path, or a name looked up
 * in PATH), in its own process group, stdin /dev/null, stdout and stderr
 * both to our stderr, with our environment plus RENEWED_LINEAGE and
 * ACME_DNS_CERT_DIR (CERT_DIR), RENEWED_DOMAINS and ACME_DNS_DOMAINS
 * (DOMAINS, space-separated), ACME_DNS_CERT_NAME (NAME).  Waits for it
 * (TIMEOUT_S at most, then SIGTERM and SIGKILL to its group; SIGINT or
 * SIGTERM to us stops it too).  *STATUS is its exit status, 128 + the
 * signal that ended it, or -1 when it could not be started.  Failures are
 * logged; AD_OK only for exit status 0. */
ad_status ad_deploy_run(char *const *argv, size_t argc, const char *name, const char *cert_dir,
                        const char *const *domains, size_t ndomains, unsigned timeout_s, int *status);
/* Split CMD at blanks (spaces and tabs; no quoting, no expansion) into a
 * NULL-terminated argv.  *ARGV: caller frees each and the array.  AD_ERR_USAGE
 * for an empty command. */
ad_status ad_deploy_split(const char *cmd, char ***argv, size_t *argc);

#endif

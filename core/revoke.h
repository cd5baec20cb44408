/* The revoke command: revoke a saved certificate at the CA that issued it
 * (RFC 8555 7.6, signed with the account key), and record the revocation
 * in its state.json, so that the next renew replaces it. */
#ifndef AD_REVOKE_H
#define AD_REVOKE_H

#include "acme-dns/status.h"
#include "cli.h"

/* An RFC 5280 (5.3.1) reason name, in any case ("keyCompromise",
 * "superseded" ...) → its code; -1 when it is none. */
int ad_revoke_reason_parse(const char *s);
/* The name of reason CODE, or NULL. */
const char *ad_revoke_reason_name(int code);
/* Every reason name, comma-separated (static), for messages. */
const char *ad_revoke_reason_names(void);

/* revoke --cert-name NAME [--reason REASON], after the lock. */
ad_status ad_revoke_run(const struct ad_cli *cli, const char *state_dir);

#endif

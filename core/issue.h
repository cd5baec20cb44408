/* The issue command: from the command line to certificate files. */
#ifndef AD_ISSUE_H
#define AD_ISSUE_H

#include "acme-dns/status.h"
#include "cli.h"
#include "plugin.h"

/* Clean up what the journal in STATE_DIR lists for provider P (a run that
 * was killed).  Records of another provider are left, with a warning. */
ad_status ad_issue_recover(const char *state_dir, struct ad_provider *p);
/* Obtain the certificate CLI asks for through provider P, writing under
 * STATE_DIR.  Every record presented is cleaned up before it returns. */
ad_status ad_issue_run(const struct ad_cli *cli, const char *state_dir, struct ad_provider *p);

/* The "directory" command: fetch the CA's directory and describe it. */
ad_status ad_issue_directory(const struct ad_cli *cli);

#endif

/* The check command: the DNS side of issuing, without the CA.  For each
 * name: follow CNAMEs from _acme-challenge.NAME and find the zone, present
 * a random test TXT value through the name's provider (journaled like
 * issue's records), wait until every authoritative server serves it,
 * remove it, wait until none does; say per name and per server how long
 * each step took. */
#ifndef AD_CHECK_H
#define AD_CHECK_H

#include "acme-dns/status.h"
#include "cli.h"

/* check, after the lock.  *EXIT_CODE: the process's exit status when not
 * RC's (the status of the first name that failed). */
ad_status ad_check_run(const struct ad_cli *cli, const char *state_dir, int *exit_code);

#endif

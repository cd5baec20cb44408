/* Test only: stopping the process dead at a named point of its work, so
 * that the crash tests can kill an issuance at each step deterministically
 * (tests/integration/test_core_crash.sh).  The environment variable
 * ACME_DNS_TEST_KILL_AT=NAME makes the process raise SIGKILL when it reaches
 * the point NAME; unset (as it always is outside the tests), a point costs
 * one string comparison.  The points:
 *   account      the account is found or created (issue)
 *   present      every record of the run is with its provider, journal written
 *   propagation  the propagation wait has sent its first queries
 *   challenge    the challenges are answered: the CA is validating
 *   finalize     the finalize requests are answered, before the order is polled
 *   store-new    the new files are on disk beside the certificate folders
 *   store-swapped  the new folders have taken the old ones' places
 *   written      the certificate files are in place, before the settings,
 *                the renewal state and the deploy hook */
#ifndef AD_KILLPOINT_H
#define AD_KILLPOINT_H

void ad_kill_point(const char *name);

#endif

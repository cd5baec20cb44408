/* The ACME account of a state folder at one CA, kept in
 * STATE/accounts/SERVER/: account.key (mode 0600), account.url, and
 * "deactivated" (when it was deactivated, RFC 3339) once it is; found or
 * created for a run; and the account command (show, update --email,
 * deactivate, key-rollover).  A key roll-over writes the new key to
 * account.key.new first and puts it in account.key's place only once the
 * CA has accepted it; a run that finds account.key.new (left by one that
 * was killed, or whose answer from the CA did not come) asks the CA which
 * key it knows and finishes or forgets it. */
#ifndef AD_ACCOUNT_H
#define AD_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acme-dns/status.h"
#include "cli.h"
#include "issue.h"

/* An external account binding (RFC 8555 7.3.4), for a new account. */
struct ad_eab {
    const char *kid;       /* the CA's key ID; NULL: none */
    const char *key_file;  /* the file holding the HMAC key, or NULL: a variable */
    const char *key_env;   /* that variable's name; NULL: AD_EAB_KEY_ENV */
};

/* The HMAC key of EAB: the file's first line or the variable's value,
 * base64url as CAs hand it out (padding and standard base64 accepted).
 * Its text is registered with the log's redaction.  AD_ERR_USAGE (said)
 * when it is missing, empty or not base64; AD_ERR_IO when the file cannot
 * be read.  Caller wipes (OPENSSL_cleanse) and frees *KEY. */
ad_status ad_eab_key(const struct ad_eab *eab, uint8_t **key, size_t *len);

/* How a run gets its account. */
struct ad_account_opts {
    const char *email;     /* contact of a new account, or NULL */
    bool agree_tos;
    int key_type;          /* enum ad_key_type of a new account key */
    struct ad_eab eab;     /* for a new account at a CA that wants one */
    bool create;           /* false: only an account kept already (revoke, account) */
    bool update_email;     /* an account kept already gets EMAIL as its contact when it has another */
};

/* The account of STATE_DIR at CA (found, or created when O->create), set
 * on CA's ACME handle for the requests that follow.  A deactivated account
 * is refused (AD_ERR_ACME) before any request. */
ad_status ad_account_open(struct ad_ca *ca, const char *state_dir, const struct ad_account_opts *o);

/* The account command (after the lock): CLI->subcommand on CLI->server's
 * account. */
ad_status ad_account_run(const struct ad_cli *cli, const char *state_dir);

#endif

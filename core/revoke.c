#include "revoke.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "ari.h"
#include "cert.h"
#include "issue.h"
#include "log.h"
#include "settings.h"
#include "store.h"
#include "util.h"
#include "walltime.h"

#define CERT_FILE_MAX (1u << 20)

/* RFC 5280 5.3.1 CRLReason; 7 is not used. */
static const char *const reasons[] = {"unspecified",  "keyCompromise",        "cACompromise",
                                      "affiliationChanged", "superseded", "cessationOfOperation",
                                      "certificateHold", NULL, "removeFromCRL",
                                      "privilegeWithdrawn", "aACompromise"};
#define NREASONS (sizeof reasons / sizeof *reasons)

int ad_revoke_reason_parse(const char *s)
{
    for (size_t i = 0; i < NREASONS; i++)
        if (reasons[i] && strcasecmp(s, reasons[i]) == 0)
            return (int)i;
    return -1;
}

const char *ad_revoke_reason_name(int code)
{
    return code >= 0 && (size_t)code < NREASONS ? reasons[code] : NULL;
}

const char *ad_revoke_reason_names(void)
{
    return "unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, "
           "certificateHold, removeFromCRL, privilegeWithdrawn, aACompromise";
}

/* Note the revocation of SERIAL in DIR's state.json: no ARI window kept
 * (the CA's answer changes), and renew takes it as due. */
static ad_status record(const char *dir, const char *serial, int reason)
{
    struct ad_renewal_state st;
    ad_status rc = ad_state_load(dir, &st);
    if (rc != AD_OK)
        return rc;
    free(st.cert_id);
    st.cert_id = NULL;
    free(st.revoked_serial);
    free(st.revoked_reason);
    st.revoked_reason = NULL;
    st.revoked_at = ad_wall_now();
    const char *name = ad_revoke_reason_name(reason);
    if (!(st.revoked_serial = strdup(serial)) || (name && !(st.revoked_reason = strdup(name))))
        rc = AD_ERR_NOMEM;
    else
        rc = ad_state_save(dir, &st);
    ad_state_clear(&st);
    return rc;
}

ad_status ad_revoke_run(const struct ad_cli *cli, const char *state_dir)
{
    const char *name = cli->cert_names[0];
    char *dir = ad_asprintf("%s/certs/%s", state_dir, name), *path = dir ? ad_asprintf("%s/cert.pem", dir) : NULL;
    char *pem = NULL;
    uint8_t *der = NULL;
    size_t len = 0, dlen = 0;
    struct ad_cert_info ci = {0};
    struct ad_settings set = {0};
    struct ad_ca *ca = NULL;
    bool have_set = false, already = false;
    ad_status rc = AD_ERR_NOMEM;

    if (!path)
        goto out;
    if ((rc = ad_store_read(path, CERT_FILE_MAX, &pem, &len)) != AD_OK) {
        bool none = errno == ENOENT;
        ad_err("revoke --cert-name %s: cannot read %s: %s%s", name, path, strerror(errno),
               none ? " (acme-dns certificates lists the saved ones)" : "");
        rc = none ? AD_ERR_USAGE : AD_ERR_IO;
        goto out;
    }
    if ((rc = ad_cert_info_parse(pem, len, &ci)) != AD_OK || (rc = ad_cert_der(pem, len, &der, &dlen)) != AD_OK) {
        if (rc == AD_ERR_CRYPTO)
            ad_err("%s is not a PEM certificate: nothing to revoke", path);
        goto out;
    }
    rc = ad_settings_load(dir, &set);
    if (rc == AD_OK)
        have_set = true;
    else if (rc != AD_ERR_IO || errno != ENOENT)
        goto out; /* damaged: said */
    const char *server = cli->server_given || !have_set ? cli->server : set.server;
    const char *bundle = cli->ca_bundle ? cli->ca_bundle : have_set ? set.ca_bundle : NULL;
    if (!have_set && !cli->server_given)
        ad_warn("%s has no saved settings: revoking at %s (give --server for another CA)", name, server);
    const struct ad_account_opts o = {.key_type = -1};
    if ((rc = ad_ca_open(server, bundle, cli->http_timeout, &ca)) != AD_OK ||
        (rc = ad_account_open(ca, state_dir, &o)) != AD_OK)
        goto out;
    rc = ad_acme_revoke(ca->acme, der, dlen, cli->reason, &already);
    if (already) {
        ad_warn("the CA says the certificate %s (serial %s) was revoked already", name, ci.serial);
        rc = AD_OK;
    }
    if (rc != AD_OK)
        goto out;
    if ((rc = record(dir, ci.serial, cli->reason)) != AD_OK) {
        ad_err("the certificate %s is revoked, but %s/state.json could not record it: acme-dns renew --cert-name %s "
               "--force replaces it",
               name, dir, name);
        goto out;
    }
    printf("%s: revoked at %s (serial %s%s%s); acme-dns renew replaces it\n", name, server, ci.serial,
           cli->reason >= 0 ? ", reason " : "", cli->reason >= 0 ? ad_revoke_reason_name(cli->reason) : "");
    fflush(stdout);
out:
    ad_ca_free(ca);
    ad_settings_clear(&set);
    ad_cert_info_clear(&ci);
    free(der);
    free(pem);
    free(path);
    free(dir);
    return rc;
}

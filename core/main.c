/* acme-dns: command-line entry point. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "check.h"
#include "cli.h"
#include "issue.h"
#include "log.h"
#include "plugin.h"
#include "providers.h"
#include "renew.h"
#include "revoke.h"
#include "store.h"
#include "util.h"

static char *default_state_dir(void)
{
    if (geteuid() == 0)
        return strdup("/var/lib/acme-dns");
    const char *x = getenv("XDG_STATE_HOME"), *h = getenv("HOME");
    if (x && *x == '/')
        return ad_asprintf("%s/acme-dns", x);
    if (h && *h == '/')
        return ad_asprintf("%s/.local/state/acme-dns", h);
    return NULL;
}

int main(int argc, char **argv)
{
    struct ad_cli cli;
    char *state_dir = NULL;
    int lock = -1, exit_code = -1;
    ad_status rc;

    ad_signals_install();
    rc = ad_cli_parse(argc, argv, &cli);
    if (rc != AD_OK)
        goto out;
    ad_log_set_verbosity(cli.verbosity);
    if (cli.version) {
        printf("acme-dns %s (plugin ABI %u.%u)\n", AD_VERSION, AD_PLUGIN_ABI_MAJOR, AD_PLUGIN_ABI_MINOR);
        goto out;
    }
    if (cli.help && !cli.provider) {
        ad_cli_usage(stdout);
        goto out;
    }
    if (strcmp(cli.command, "directory") == 0) {
        rc = ad_issue_directory(&cli);
        goto out;
    }
    if (strcmp(cli.command, "plugins") == 0) {
        struct ad_instances *set = NULL;
        size_t found = 0, failed = 0;
        if ((rc = ad_instances_new("", cli.plugin_dirs, cli.nplugin_dirs, NULL, cli.verbosity, &set)) == AD_OK)
            rc = ad_instances_list(set, cli.verbosity > 0 ? stdout : NULL, &found, &failed);
        ad_instances_free(set);
        if (rc == AD_OK && failed) {
            ad_err("%zu plugin%s cannot be loaded (see above)", failed, failed == 1 ? "" : "s");
            rc = AD_ERR_PLUGIN;
        } else if (rc == AD_OK && !found) {
            ad_err("no provider plugin found: install them, or give --plugin-dir DIR");
            rc = AD_ERR_PLUGIN;
        }
        goto out;
    }
    if (cli.help) {
        struct ad_instances *set = NULL;
        if ((rc = ad_instances_new("", cli.plugin_dirs, cli.nplugin_dirs, NULL, cli.verbosity, &set)) == AD_OK)
            rc = ad_instances_help(set, cli.provider, stdout);
        ad_instances_free(set);
        goto out;
    }
    state_dir = cli.state_dir ? strdup(cli.state_dir) : default_state_dir();
    if (!state_dir) {
        ad_err("no state folder: give --state-dir DIR (HOME is not set)");
        rc = AD_ERR_USAGE;
        goto out;
    }
    if (strcmp(cli.command, "certificates") == 0) {
        if ((rc = ad_store_open_root(state_dir, false)) == AD_OK || errno == ENOENT) /* none: nothing to list */
            rc = ad_certificates_run(&cli, state_dir);
        goto out;
    }
    if ((rc = ad_store_open_root(state_dir, true)) != AD_OK ||
        (rc = ad_store_lock(state_dir, cli.lock_timeout, &lock)) != AD_OK)
        goto out;
    if (strcmp(cli.command, "renew") == 0)
        rc = ad_renew_run(&cli, state_dir, &exit_code);
    else if (strcmp(cli.command, "revoke") == 0)
        rc = ad_revoke_run(&cli, state_dir);
    else if (strcmp(cli.command, "account") == 0)
        rc = ad_account_run(&cli, state_dir);
    else if (strcmp(cli.command, "check") == 0)
        rc = ad_check_run(&cli, state_dir, &exit_code);
    else
        rc = ad_issue_run(&cli, state_dir, &exit_code);
out:
    if (rc != AD_OK && rc != AD_ERR_USAGE)
        ad_err("failed: %s (exit status %d)", ad_strerror(rc), ad_exit_code(rc));
    else if (rc == AD_OK && exit_code == AD_EXIT_HOOK)
        ad_err("failed: the deploy hook failed (exit status %d); the new certificate is in place", AD_EXIT_HOOK);
    if (rc == AD_ERR_USAGE && !cli.help)
        fprintf(stderr, "usage: acme-dns [issue] --provider NAME -d DOMAIN [-d DOMAIN ...], acme-dns renew, acme-dns "
                        "certificates, acme-dns check, acme-dns plugins: see acme-dns --help\n");
    ad_store_unlock(lock);
    ad_store_close_root();
    free(state_dir);
    ad_cli_clear(&cli);
    ad_log_reset();
    return rc == AD_OK && exit_code > 0 ? exit_code : ad_exit_code(rc);
}

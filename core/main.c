/* acme-dns: command-line entry point. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "issue.h"
#include "log.h"
#include "plugin.h"
#include "store.h"
#include "util.h"

/* Plugin search path: --plugin-dir, the build tree beside the binary, the install dir. */
static size_t plugin_dirs(const struct ad_cli *cli, const char **dirs, size_t max, char *exe_dir, size_t exe_len)
{
    size_t n = 0;
    for (size_t i = 0; i < cli->nplugin_dirs && n < max; i++)
        dirs[n++] = cli->plugin_dirs[i];
    ssize_t l = readlink("/proc/self/exe", exe_dir, exe_len - 1);
    if (l > 0) {
        exe_dir[l] = '\0';
        char *slash = strrchr(exe_dir, '/');
        if (slash) {
            *slash = '\0';
            size_t used = strlen(exe_dir);
            if (used + 32 < exe_len && n < max) {
                strcat(exe_dir, "/../lib/acme-dns/plugins");
                dirs[n++] = exe_dir;
            }
        }
    }
    if (n < max)
        dirs[n++] = AD_PLUGIN_INSTALL_DIR;
    return n;
}

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
    struct ad_provider *prov = NULL;
    char *state_dir = NULL;
    char exe_dir[PATH_MAX];
    const char *dirs[64];
    int lock = -1;
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
    size_t ndirs = plugin_dirs(&cli, dirs, sizeof dirs / sizeof *dirs, exe_dir, sizeof exe_dir);
    if ((rc = ad_provider_load(cli.provider, dirs, ndirs, &prov)) != AD_OK)
        goto out;
    if (cli.help) {
        ad_provider_help(prov, stdout);
        goto out;
    }
    state_dir = cli.state_dir ? strdup(cli.state_dir) : default_state_dir();
    if (!state_dir) {
        ad_err("no state folder: give --state-dir DIR (HOME is not set)");
        rc = AD_ERR_USAGE;
        goto out;
    }
    if ((rc = ad_store_mkdirs(state_dir, 0700)) != AD_OK || (rc = ad_store_lock(state_dir, &lock)) != AD_OK)
        goto out;
    if ((rc = ad_provider_init(prov, cli.popts, cli.npopts, cli.ca_bundle, cli.verbosity)) != AD_OK)
        goto out;
    if ((rc = ad_issue_recover(state_dir, prov)) != AD_OK)
        goto out;
    rc = ad_issue_run(&cli, state_dir, prov);
out:
    if (rc != AD_OK && rc != AD_ERR_USAGE)
        ad_err("failed: %s (exit status %d)", ad_strerror(rc), ad_exit_code(rc));
    if (rc == AD_ERR_USAGE && !cli.help)
        fprintf(stderr, "usage: acme-dns [issue] --provider NAME -d DOMAIN [-d DOMAIN ...]: see acme-dns --help\n");
    ad_provider_free(prov);
    ad_store_unlock(lock);
    free(state_dir);
    ad_cli_clear(&cli);
    ad_log_reset();
    return ad_exit_code(rc);
}

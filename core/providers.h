/* The DNS providers of one run: each provider as it is started (its plugin
 * and options, ad_provider_conf) once, however many certificates use it;
 * the records each has presented, kept in its own journal; and the
 * clean-up of journals that earlier runs left. */
#ifndef AD_PROVIDERS_H
#define AD_PROVIDERS_H

#include <stddef.h>
#include <stdio.h>

#include "acme-dns/plugin.h"
#include "cli.h"
#include "plugin.h"
#include "settings.h"

struct ad_instance {
    struct ad_provider_conf conf; /* as saved: no secret values */
    char *key;                    /* ad_provider_conf_key: its journal's name */
    struct ad_provider *prov;     /* started, or NULL: then RC and ERROR say why */
    ad_status rc;
    char *error;                  /* one line for summaries, or NULL */
    struct ad_record **out;       /* presented and not yet removed (journal) */
    bool *owned;                  /* out[i] belongs to the instance (adopted from an old journal) */
    size_t nout, capout;
};

struct ad_instances;

/* An empty set.  PLUGIN_DIRS (borrowed until ad_instances_free): folders
 * searched before a provider's saved ones (--plugin-dir of this run).
 * CA_BUNDLE (borrowed), or NULL: the plugins' default CA bundle for this run
 * in place of each provider's saved one (renew --ca-bundle).  Caller frees. */
ad_status ad_instances_new(const char *state_dir, char *const *plugin_dirs, size_t nplugin_dirs,
                           const char *ca_bundle, int verbosity, struct ad_instances **out);
void ad_instances_free(struct ad_instances *set);
/* acme-dns plugins: every plugin in the folders the loader searches, in
 * its order (--plugin-dir, beside the binary, the install folder), to OUT
 * (NULL: the failures only, as errors); *FOUND loaded, *FAILED did not. */
ad_status ad_instances_list(struct ad_instances *set, FILE *out, size_t *found, size_t *failed);
/* Print the options of provider NAME (--provider NAME --help). */
ad_status ad_instances_help(struct ad_instances *set, const char *name, FILE *f);
/* The provider the command line of `issue` names, started with all of its
 * options (secrets included); *CONF_OUT (borrowed) is what is saved. */
ad_status ad_instances_from_cli(struct ad_instances *set, const struct ad_cli *cli, struct ad_instance **out);
/* Every provider the command line names (each --provider with its own
 * options), started; PER_DOMAIN[i] (CLI->ndomains entries, borrowed until
 * ad_instances_free) is the one that serves CLI->domains[i].  A provider
 * named twice the same way is started once. */
ad_status ad_instances_from_cli_all(struct ad_instances *set, const struct ad_cli *cli, struct ad_instance **per_domain);
/* The provider started as C (saved settings): the environment variables C
 * names must be set, and a secret that was given on the command line must
 * now come from the environment.  Never NULL except out of memory; a
 * provider that could not start has prov NULL and says why in rc, error. */
struct ad_instance *ad_instances_get(struct ad_instances *set, const struct ad_provider_conf *c);
/* Remove what the journals of earlier runs list, each with the provider
 * that added it.  Records that cannot be removed now stay in their journal;
 * a provider that cannot start is left alone (a warning says why), one that
 * fails to remove its records is not used in this run (its rc and error
 * say so). */
ad_status ad_instances_recover(struct ad_instances *set);

/* Journal RECS[0..n), then present them, one call per zone.  RCS[i] is the
 * outcome for RECS[i] (that of its zone's batch).  Returns AD_OK unless the
 * run must stop (interrupted, out of memory, the journal cannot be written). */
ad_status ad_instance_present(struct ad_instances *set, struct ad_instance *in, struct ad_record **recs, size_t n,
                              ad_status *rcs);
/* Remove RECS[0..n), one call per zone, and drop them from the journal;
 * records that could not be removed stay in it.  The first failure, or AD_OK. */
ad_status ad_instance_cleanup(struct ad_instances *set, struct ad_instance *in, struct ad_record **recs, size_t n);

#endif

/* Loading provider plugins (dlopen) and calling them. */
#ifndef AD_PLUGIN_LOADER_H
#define AD_PLUGIN_LOADER_H

#include <stdio.h>

#include "acme-dns/plugin.h"

struct ad_provider;

/* Load provider NAME (file NAME.so) from the first of DIRS that has it.
 * Errors name the file and say why (not found: where we looked; no
 * descriptor; ABI mismatch; unsafe permissions as root).  Caller frees. */
ad_status ad_provider_load(const char *name, const char *const *dirs, size_t ndirs, struct ad_provider **out);
void ad_provider_free(struct ad_provider *p);
/* acme-dns plugins: every NAME.so in DIRS[0..n), in the loader's order,
 * loaded: its name, one-line description, file and ABI version, or why it
 * cannot be loaded, printed to OUT (NULL: only the failures, logged as
 * errors).  *FOUND and *FAILED count them. */
ad_status ad_plugins_list(const char *const *dirs, size_t ndirs, FILE *out, size_t *found, size_t *failed);
const struct ad_plugin *ad_provider_plugin(const struct ad_provider *p);
/* The plugin's table of environment variables (ABI 1.1), ending with
 * option == NULL, or NULL for a plugin that declares none.  Borrowed. */
const struct ad_plugin_env *ad_provider_env(const struct ad_provider *p);
/* Check OPTS against the schema (unknown, missing required, duplicates),
 * register secret values for redaction, then call init. */
ad_status ad_provider_init(struct ad_provider *p, const struct ad_option_value *opts, size_t nopts,
                           const char *ca_bundle, int verbosity);
/* The flags the started plugin asks the core to honour (AD_PROVIDER_*, ABI
 * 1.2), asked once after init; 0 for older plugins and before init. */
uint32_t ad_provider_flags(const struct ad_provider *p);
ad_status ad_provider_present(struct ad_provider *p, struct ad_record *const *recs, size_t n);
ad_status ad_provider_cleanup(struct ad_provider *p, struct ad_record *const *recs, size_t n);
/* Print the provider's options for --provider NAME --help. */
void ad_provider_help(const struct ad_provider *p, FILE *f);

#endif

/*
 * acme-dns provider plugin ABI.
 *
 * A provider plugin is a shared object that changes DNS records for the
 * acme-dns core: "put this TXT value at this name" (present) and "take it
 * away again" (cleanup).  It is the only header a plugin needs.
 *
 * A plugin exports exactly one symbol, its descriptor, through
 * AD_PLUGIN_DECLARE():
 *
 *     static const struct ad_plugin_option opts[] = {
 *         { "server", "address of the primary, IP[:PORT]", AD_OPT_REQUIRED },
 *         { "secret", "shared secret", AD_OPT_SECRET },
 *         { NULL, NULL, 0 }
 *     };
 *     AD_PLUGIN_DECLARE(example, "Example provider", opts,
 *                       my_init, my_present, my_cleanup, my_fini);
 *
 * Rules:
 *  - The descriptor begins with abi_version and struct_size.  The core
 *    refuses a different major version and a struct smaller than it knows.
 *    New fields are only ever added at the end, with a minor version bump.
 *  - The core checks the options given by the user against the schema
 *    (unknown and missing required options are refused) before init().
 *    Options flagged AD_OPT_SECRET are never shown in any output.
 *  - Plugins never call into the executable's symbols: everything the host
 *    offers comes in the struct ad_host passed to init().
 *  - present() and cleanup() take a whole batch of records, all in one zone
 *    when the zone is known.  A plugin should change them together (one
 *    DNS UPDATE, concurrent API calls).
 *  - present() adds a value; it never replaces other values at that name.
 *    Two values at one name (example.com and *.example.com) are normal.
 *  - cleanup() removes exactly the values given and is idempotent: removing
 *    what is already gone succeeds.  It may be called for records that were
 *    never presented (after a failure) and from a later process (after a
 *    crash), with only the record data the core kept in its journal.
 *  - All callbacks are called from one thread.  Strings passed in are
 *    borrowed for the duration of the call only.
 *  - A plugin that reads environment variables in place of options lists
 *    them (AD_PLUGIN_DECLARE_ENV, ABI 1.1), so that `renew` can name a
 *    variable that is missing; the core saves their names, never values.
 *  - One process may start a plugin several times (one state per set of
 *    options, for certificates renewed together): keep no global state.
 *  - ABI 1.2 adds, for plugins that drive other clients' hook scripts: the
 *    challenge's token and the CA's verdict in each record, and flags a
 *    started plugin asks the core to honour (AD_PROVIDER_ONE_VALUE_PER_NAME:
 *    the values of one name one after the other).  Read the new record
 *    fields only when the host's abi_version is 1.2 or later
 *    (ad_host_abi_minor).
 */
#ifndef ACME_DNS_PLUGIN_H
#define ACME_DNS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "acme-dns/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AD_PLUGIN_ABI_MAJOR 1u
#define AD_PLUGIN_ABI_MINOR 2u
#define AD_PLUGIN_ABI_VERSION ((AD_PLUGIN_ABI_MAJOR << 16) | AD_PLUGIN_ABI_MINOR)
#define AD_PLUGIN_ABI_MAJOR_OF(v) ((uint32_t)(v) >> 16)

/* Name of the one symbol a plugin exports. */
#define AD_PLUGIN_SYMBOL "acme_dns_provider"

#if defined(__GNUC__)
#define AD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define AD_EXPORT __attribute__((visibility("default")))
#else
#define AD_PRINTF(f, a)
#define AD_EXPORT
#endif

/* Option flags. */
#define AD_OPT_REQUIRED 0x1u /* the user must give it */
#define AD_OPT_SECRET 0x2u   /* never shown in any output */

/* One entry of a plugin's option schema; the array ends with name == NULL. */
struct ad_plugin_option {
    const char *name;  /* lower-case, words joined by '-' */
    const char *help;  /* one line, shown by --provider NAME --help */
    unsigned flags;    /* AD_OPT_* */
};

/* One option the user gave: name from the schema, value as typed. */
struct ad_option_value {
    const char *name;
    const char *value;
};

/* Log levels for ad_host.log. */
enum ad_log_level { AD_LOG_ERROR = 0, AD_LOG_WARN, AD_LOG_INFO, AD_LOG_DEBUG };

/* Largest cleanup datum a plugin may keep per record, NUL included. */
#define AD_RECORD_DATA_MAX 256

/* One TXT record to present or clean up. */
struct ad_record {
    /* Identifier the record proves, without a leading "*." ("example.com"). */
    const char *domain;
    /* Fully qualified owner name, lower case, no trailing dot
     * ("_acme-challenge.example.com", or a CNAME target). */
    const char *name;
    /* The zone that holds name, no trailing dot, or NULL when unknown. */
    const char *zone;
    /* TXT value (43 base64url characters for dns-01). */
    const char *value;
    /* TTL the core asks for, in seconds; a plugin may have its own default. */
    uint32_t ttl;
    /* Per-record data to delete exactly what present() created (a record
     * id).  present() may write a NUL-terminated string here; the core
     * keeps it in its journal and hands it back to cleanup(), possibly in
     * a later process.  Empty when unknown. */
    char data[AD_RECORD_DATA_MAX];

    /* Since ABI 1.2 (read only when ad_host_abi_minor(host) >= 2): */
    /* The dns-01 challenge's token (base64url), as uacme and dehydrated pass
     * it to their hooks; NULL when the core does not know it (a record read
     * back from a journal, a test value).  Keep it in data if cleanup()
     * needs it after a crash. */
    const char *token;
    /* For cleanup(): 1 when the CA validated the authorization this record
     * proved, else 0 (it failed, was never asked, or the record comes from
     * a journal). */
    int validated;
};

/* Since ABI 1.2: flags a started plugin returns from its flags callback.
 *
 * AD_PROVIDER_ONE_VALUE_PER_NAME: never give present() a value for a name
 * that still holds another value this plugin presented.  The core then
 * serves the values of one name one after the other, as uacme and lego's
 * exec provider do: present the first, wait until every authoritative
 * server has it, let the CA validate that authorization, clean it up, then
 * the next value of that name.  Values of different names still go
 * together, in one batch per zone.  For scripts that replace the value at a
 * name, or that wait until a name holds exactly one value. */
#define AD_PROVIDER_ONE_VALUE_PER_NAME 0x1u

/* Since ABI 1.1: an environment variable that a plugin reads in place of an
 * option the user did not give.  The core never reads the value: when a
 * certificate is issued it saves, for each variable that is set, its name
 * beside the certificate (never the value), so that a later renewal can say
 * which variable is missing.  Several entries may name the same option (in
 * the order the plugin tries them). */
struct ad_plugin_env {
    const char *option;   /* an option of the schema */
    const char *variable; /* environment variable read when that option is not given */
};

/* Services of the host, passed to init().  Valid until fini() returns. */
struct ad_host {
    uint32_t abi_version;  /* AD_PLUGIN_ABI_VERSION of the core */
    size_t struct_size;    /* sizeof(struct ad_host) as the core knows it */
    void *ctx;             /* pass back as the first argument below */
    /* Log a line; the core prefixes the plugin's name and drops lines above
     * the user's verbosity.  No newline at the end. */
    void (*log)(void *ctx, enum ad_log_level level, const char *fmt, ...) AD_PRINTF(3, 4);
    /* Register a secret the plugin obtained by itself (from a file or the
     * environment): the core replaces it with "***" in all output. */
    void (*add_secret)(void *ctx, const char *secret);
    /* CA bundle given with --ca-bundle, or NULL (a default for plugins that
     * speak HTTPS and have no option of their own). */
    const char *ca_bundle;
    /* Verbosity: 0 quiet, 1 normal, 2 verbose (-v), 3 debug (-vv). */
    int verbosity;
    /* Non-zero once the user asked acme-dns to stop (SIGINT/SIGTERM).  A
     * plugin that waits (for a script, a server, a retry) should check it
     * at least every 100 ms, give up and return AD_ERR_INTERRUPTED.
     * cleanup() is still called afterwards and should do its work. */
    int (*interrupted)(void *ctx);
};

/* The descriptor.  Export it with AD_PLUGIN_DECLARE. */
struct ad_plugin {
    uint32_t abi_version;  /* AD_PLUGIN_ABI_VERSION the plugin was built with */
    size_t struct_size;    /* sizeof(struct ad_plugin) at build time */
    const char *name;      /* provider name, as in --provider */
    const char *description; /* one line */
    const struct ad_plugin_option *options; /* schema, ends with name == NULL */

    /* Create the plugin's state from the user's options (already checked
     * against the schema).  On failure, log why and return an error; *state
     * is then ignored. */
    ad_status (*init)(const struct ad_host *host, const struct ad_option_value *opts,
                      size_t nopts, void **state);
    /* Add every record of the batch.  On failure, log which and why. */
    ad_status (*present)(void *state, struct ad_record *const *records, size_t count);
    /* Remove every record of the batch; idempotent. */
    ad_status (*cleanup)(void *state, struct ad_record *const *records, size_t count);
    /* Free the state (NULL-safe). */
    void (*fini)(void *state);

    /* Since ABI 1.1 (the core checks struct_size before reading it):
     * environment variables read in place of options, ending with
     * option == NULL; NULL when the plugin reads none. */
    const struct ad_plugin_env *env;

    /* Since ABI 1.2: the AD_PROVIDER_* flags of the plugin as started with
     * STATE, asked once after init(); NULL means none. */
    uint32_t (*flags)(void *state);
};

#define AD_PLUGIN_DECLARE(ident, desc, opts, init_fn, present_fn, cleanup_fn, fini_fn) \
    AD_PLUGIN_DECLARE_ENV(ident, desc, opts, NULL, init_fn, present_fn, cleanup_fn, fini_fn)

/* The same, with a table of environment variables (struct ad_plugin_env). */
#define AD_PLUGIN_DECLARE_ENV(ident, desc, opts, env_vars, init_fn, present_fn, cleanup_fn, fini_fn) \
    AD_PLUGIN_DECLARE_FLAGS(ident, desc, opts, env_vars, NULL, init_fn, present_fn, cleanup_fn, fini_fn)

/* The same, with a flags callback (ABI 1.2). */
#define AD_PLUGIN_DECLARE_FLAGS(ident, desc, opts, env_vars, flags_fn, init_fn, present_fn, cleanup_fn, fini_fn) \
    AD_EXPORT const struct ad_plugin acme_dns_provider = {                                                     \
        AD_PLUGIN_ABI_VERSION, sizeof(struct ad_plugin), #ident, desc, opts,                                    \
        init_fn, present_fn, cleanup_fn, fini_fn, env_vars, flags_fn}

/* Minor ABI version of HOST (0 when its major version is not ours). */
static inline unsigned ad_host_abi_minor(const struct ad_host *host)
{
    if (AD_PLUGIN_ABI_MAJOR_OF(host->abi_version) != AD_PLUGIN_ABI_MAJOR)
        return 0;
    return (unsigned)(host->abi_version & 0xffffu);
}

/* Value of option NAME among the user's options, or NULL. */
static inline const char *ad_option_get(const struct ad_option_value *opts, size_t nopts,
                                        const char *name)
{
    for (size_t i = 0; i < nopts; i++)
        if (strcmp(opts[i].name, name) == 0)
            return opts[i].value;
    return NULL;
}

#ifdef __cplusplus
}
#endif
#endif

/* The config file: defaults for the command line.
 *
 *     # /etc/acme-dns/acme-dns.conf
 *     server = https://acme-v02.api.letsencrypt.org/directory
 *     email = hostmaster@example.com
 *     agree-tos = yes
 *     provider = rfc2136
 *
 *     [provider rfc2136]
 *     server = 192.0.2.53
 *     tsig-keyfile = /etc/acme-dns/tsig.key
 *
 * One "key = value" per line; blank lines and lines whose first non-blank
 * character is '#' are skipped, and a '#' after white space ends a value (a
 * comment).  White space around keys and values is removed; a value may be
 * quoted ("..." or '...') to keep white space or a " #".  Top-level keys
 * (before any section) are long options of the command line (AD_CONFIG_KEYS
 * in config.c: server, email, agree-tos, eab-kid, eab-hmac-key-file,
 * key-type, account-key-type, state-dir, provider, plugin-dir, ca-bundle,
 * dns-resolver, propagation-timeout, http-timeout, deploy-hook, profile,
 * preferred-chain, reuse-key); "[provider NAME]" sections hold that
 * provider's options as --provider-opt KEY=VALUE would give them.  Unknown
 * keys, malformed lines, a key or a section given twice, a line longer than
 * AD_CONFIG_LINE_MAX, a NUL byte, more than AD_CONFIG_MAX_ENTRIES entries are
 * errors naming FILE:LINE (AD_ERR_CONFIG, exit status 3).  No message ever
 * shows a value (a provider section may hold a secret).
 *
 * Precedence: what the command line gives wins; the file gives only what a
 * run would otherwise default, and only to the commands that take it
 * (`renew` takes each certificate's saved settings and gets nothing from
 * the file but state-dir and http-timeout). */
#ifndef AD_CONFIG_H
#define AD_CONFIG_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "acme-dns/status.h"

#define AD_CONFIG_DEFAULT "/etc/acme-dns/acme-dns.conf"
#define AD_CONFIG_LINE_MAX 1024
#define AD_CONFIG_MAX_ENTRIES 256
#define AD_CONFIG_FILE_MAX (256u * 1024)

struct ad_config;
struct ad_cli;

/* Parse BUF (LEN bytes, need not be NUL-terminated); SOURCE names it in
 * messages.  Pure: no I/O.  On success *OUT is new (free with
 * ad_config_free); else AD_ERR_CONFIG with ERR ("SOURCE:LINE: what, and what
 * to do") or AD_ERR_NOMEM, and *OUT NULL. */
ad_status ad_config_parse(const char *source, const char *buf, size_t len, struct ad_config **out, char *err,
                          size_t errlen);

/* Read and parse PATH: a regular file of at most AD_CONFIG_FILE_MAX bytes,
 * owned by root or by us, that neither group nor others may write (it may
 * name a deploy hook and a plugin folder: programs we run).  A missing file
 * is AD_OK with *OUT NULL when !MUST_EXIST.  Errors as ad_config_parse. */
ad_status ad_config_load(const char *path, bool must_exist, struct ad_config **out, char *err, size_t errlen);

/* Number of top-level entries and of provider sections; entry I's key, value
 * and line; section S's name and its entries (borrowed until ad_config_free). */
size_t ad_config_count(const struct ad_config *cfg);
const char *ad_config_entry(const struct ad_config *cfg, size_t i, const char **value, unsigned *line);
/* The value of top-level KEY, or NULL. */
const char *ad_config_get(const struct ad_config *cfg, const char *key);
size_t ad_config_sections(const struct ad_config *cfg);
const char *ad_config_section(const struct ad_config *cfg, size_t s, size_t *nentries);
const char *ad_config_section_entry(const struct ad_config *cfg, size_t s, size_t i, const char **value,
                                    unsigned *line);

void ad_config_free(struct ad_config *cfg);

/* For ad_cli_parse: the arguments the command line is parsed from.  Scans
 * ARGV with LONGOPTS (which must hold "config") for --config FILE, the
 * options given and the command, loads the file (AD_CONFIG_DEFAULT when
 * present, unless --config names another), and sets *NARGV (NARGC entries,
 * NULL-terminated) to ARGV[0], then "--KEY VALUE" for each of the file's
 * top-level keys that this command takes and the command line does not
 * give, then ARGV[1..].  *CFG keeps the strings (free with ad_config_free
 * after parsing, *NARGV with free()); *NINJECTED counts the file's arguments.
 * Errors are logged: AD_ERR_CONFIG (exit status 3) or AD_ERR_NOMEM. */
ad_status ad_config_argv(int argc, char **argv, const struct option *longopts, struct ad_config **cfg, int *nargc,
                         char ***nargv, int *ninjected);

/* After parsing: when parsing stopped before argument AT (optind) and that lies in
 * the file's part, log which FILE:LINE gave it and return AD_ERR_CONFIG;
 * else return RC. */
ad_status ad_config_blame(const struct ad_config *cfg, int at, int ninjected, ad_status rc);

/* Each provider of CLI (cli->providers) gets the options of its "[provider
 * NAME]" section that the command line did not give it. */
ad_status ad_config_provider_opts(const struct ad_config *cfg, struct ad_cli *cli);

#endif

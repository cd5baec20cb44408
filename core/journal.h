/* Journals: the TXT records handed to a provider and not yet removed, so
 * that a later run can remove what a killed run left.  One file per
 * provider as it was started (STATE/journals/KEY.json, KEY from
 * ad_provider_conf_key), so that runs with other providers never touch
 * each other's records:
 *   {"version": 1,
 *    "provider": {...},      as in settings.json: enough to start it again
 *    "records": [{"domain", "name", "zone", "value", "ttl", "data"}, ...]}
 * STATE/journal.json, written by acme-dns before this layout, is read too:
 *   {"provider": "NAME", "records": [...]}
 * Unknown keys are ignored; a larger version is refused. */
#ifndef AD_JOURNAL_H
#define AD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "acme-dns/plugin.h"
#include "settings.h"

#define AD_JOURNAL_VERSION 1
#define AD_JOURNAL_MAX (8u << 20)
#define AD_JOURNAL_RECORDS_MAX 20000

struct ad_journal {
    struct ad_provider_conf provider; /* a legacy journal has only the name */
    bool legacy;                      /* STATE/journal.json of an older acme-dns */
    char *path;                       /* the file, or NULL */
    struct ad_record **recs;          /* every string owned */
    size_t n;
};

/* Parse a journal from BUF (LEN bytes).  AD_ERR_CONFIG, WHY filled, when it
 * is damaged.  Clear *J with ad_journal_clear in every case. */
ad_status ad_journal_parse(const char *buf, size_t len, struct ad_journal *j, char *why, size_t whysize);
void ad_journal_clear(struct ad_journal *j);
/* Write the journal of the provider started as C (KEY from
 * ad_provider_conf_key) with RECS[0..N); with N == 0 the file is removed. */
ad_status ad_journal_save(const char *state_dir, const char *key, const struct ad_provider_conf *c,
                          struct ad_record *const *recs, size_t n);
/* Every journal in STATE_DIR with records, the legacy one included.  A
 * damaged journal is reported (what to do about it) and left out, never
 * removed.  Caller frees with ad_journals_free. */
ad_status ad_journals_load(const char *state_dir, struct ad_journal **js, size_t *n);
void ad_journals_free(struct ad_journal *js, size_t n);
/* Remove the journal file J came from. */
ad_status ad_journal_remove(const struct ad_journal *j);

#endif

/* Journals (core/journal.c, ad_journal_parse): the file a killed run left,
 * read by the next run to remove its records.  Aborts when a journal it
 * accepts breaks the promises the cleanup relies on. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "journal.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ad_journal j;
    char why[256];
    ad_log_set_verbosity(0);
    ad_status rc = ad_journal_parse((const char *)data, size, &j, why, sizeof why);
    if (rc == AD_OK) {
        if (!j.provider.name || j.n > AD_JOURNAL_RECORDS_MAX)
            abort();
        for (size_t i = 0; i < j.n; i++) {
            const struct ad_record *r = j.recs[i];
            if (!r->domain || !r->name || !r->value || strlen(r->data) >= AD_RECORD_DATA_MAX)
                abort();
        }
    } else if (rc == AD_ERR_CONFIG && !why[0]) {
        abort(); /* a damaged journal is reported with a reason */
    }
    ad_journal_clear(&j);
    return 0;
}

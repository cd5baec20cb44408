#include "chain.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "log.h"
#include "util.h"

/* The chain PEM ends at an issuer named CN. */
static bool ends_at(const char *pem, size_t len, const char *cn)
{
    char *top = NULL;
    bool r = ad_chain_top_issuer_cn(pem, len, &top) == AD_OK && top && strcmp(top, cn) == 0;
    free(top);
    return r;
}

/* "A, B, C": the topmost issuers of the chains of certificate K that
 * came (the default first), for the message when none is preferred. */
static char *offered(const char *pem, size_t len, char *const *alts, const size_t *alens, const size_t *owner,
                     size_t nalt, size_t k)
{
    char *s = NULL, *cn = NULL;
    if (ad_chain_top_issuer_cn(pem, len, &cn) != AD_OK || !(s = strdup(cn ? cn : "(no common name)"))) {
        free(cn);
        return s;
    }
    free(cn);
    for (size_t i = 0; i < nalt && s; i++) {
        if (owner[i] != k || !alts[i])
            continue;
        cn = NULL;
        if (ad_chain_top_issuer_cn(alts[i], alens[i], &cn) != AD_OK)
            continue;
        char *t = ad_asprintf("%s, %s", s, cn ? cn : "(no common name)");
        free(cn);
        free(s);
        s = t;
    }
    return s;
}

ad_status ad_chain_prefer(struct ad_acme *a, struct ad_order *const *orders, const char *const *prefs,
                          const char *const *whats, size_t n, char **pems, size_t *lens, const ad_status *rcs)
{
    size_t nalt = 0, m = 0;
    for (size_t k = 0; k < n; k++)
        if (rcs[k] == AD_OK && prefs[k] && !ends_at(pems[k], lens[k], prefs[k]))
            nalt += orders[k]->nalternates;
    bool *want = calloc(n ? n : 1, sizeof *want);
    const char **urls = calloc(nalt ? nalt : 1, sizeof *urls), **walt = calloc(nalt ? nalt : 1, sizeof *walt);
    char **alts = calloc(nalt ? nalt : 1, sizeof *alts);
    size_t *alens = calloc(nalt ? nalt : 1, sizeof *alens), *owner = calloc(nalt ? nalt : 1, sizeof *owner);
    ad_status *arcs = calloc(nalt ? nalt : 1, sizeof *arcs), rc = AD_ERR_NOMEM;
    if (!want || !urls || !walt || !alts || !alens || !owner || !arcs)
        goto out;
    for (size_t k = 0; k < n; k++) {
        if (rcs[k] != AD_OK || !prefs[k])
            continue;
        if (ends_at(pems[k], lens[k], prefs[k])) {
            ad_debug("%s: the default chain ends at %s, as preferred", whats[k], prefs[k]);
            continue;
        }
        want[k] = true;
        for (size_t i = 0; i < orders[k]->nalternates; i++) {
            urls[m] = orders[k]->alternates[i];
            walt[m] = whats[k];
            owner[m++] = k;
        }
    }
    if (m && (rc = ad_acme_download_urls(a, urls, walt, m, alts, alens, arcs)) != AD_OK)
        goto out;
    rc = AD_OK;
    for (size_t k = 0; k < n; k++) {
        if (!want[k])
            continue;
        size_t pick = m;
        for (size_t i = 0; i < m && pick == m; i++)
            if (owner[i] == k && arcs[i] == AD_OK && ends_at(alts[i], alens[i], prefs[k]))
                pick = i;
        if (pick < m) {
            ad_info("%s: the chain ending at %s, as preferred (%s)", whats[k], prefs[k], urls[pick]);
            free(pems[k]);
            pems[k] = alts[pick];
            lens[k] = alens[pick];
            alts[pick] = NULL;
            continue;
        }
        char *list = offered(pems[k], lens[k], alts, alens, owner, m, k);
        ad_warn("%s: no chain the CA offers ends at %s (topmost issuers: %s): the default chain is kept", whats[k],
                prefs[k], list ? list : "?");
        free(list);
    }
out:
    for (size_t i = 0; alts && i < m; i++)
        free(alts[i]);
    free(want);
    free(urls);
    free(walt);
    free(alts);
    free(alens);
    free(owner);
    free(arcs);
    return rc;
}

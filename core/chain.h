/* The preferred chain (--preferred-chain ISSUER_CN): among the chains the
 * CA offers for a certificate (the download, and the alternates its Link
 * rel="alternate" headers name), the first whose topmost certificate was
 * issued by a CA of that common name; the default chain otherwise. */
#ifndef AD_CHAIN_H
#define AD_CHAIN_H

#include <stddef.h>

#include "acme-dns/status.h"
#include "acme.h"

/* For each k with RCS[k] AD_OK and PREFS[k] set: when PEMS[k] (the chain
 * ORDERS[k] was downloaded with, LENS[k] bytes; owned by the caller) does
 * not end at that issuer, download its alternates (all of them together)
 * and put the first that does in its place.  WHATS[k] names it in
 * messages.  AD_OK unless out of memory or interrupted: a preference that
 * cannot be met keeps the default chain, with a message. */
ad_status ad_chain_prefer(struct ad_acme *a, struct ad_order *const *orders, const char *const *prefs,
                          const char *const *whats, size_t n, char **pems, size_t *lens, const ad_status *rcs);

#endif

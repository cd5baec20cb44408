/* The propagation check's answer matching, exposed for the unit tests. */
#ifndef AD_PROPAGATION_H
#define AD_PROPAGATION_H

#include <stdbool.h>

#include <ldns/ldns.h>

/* True when the answer section of PKT holds a TXT record of class IN owned
 * by NAME whose character strings, concatenated, equal VALUE.  Other TXT
 * records may be there too. */
bool ad_pkt_has_txt(const ldns_pkt *pkt, const ldns_rdf *name, const char *value);

/* True when the answer section of PKT holds any TXT record owned by NAME. */
bool ad_pkt_any_txt(const ldns_pkt *pkt, const ldns_rdf *name);

#endif

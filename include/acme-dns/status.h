/*
 * acme-dns: status codes shared by the core and its provider plugins.
 *
 * Every function that can fail returns an ad_status; results come back
 * through out-parameters.  AD_OK is zero.
 */
#ifndef ACME_DNS_STATUS_H
#define ACME_DNS_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ad_status {
    AD_OK = 0,
    AD_ERR_USAGE,        /* bad command line or option value */
    AD_ERR_CONFIG,       /* bad configuration (file, provider option) */
    AD_ERR_PLUGIN,       /* provider plugin could not be loaded */
    AD_ERR_PROVIDER,     /* the DNS provider failed to change a record */
    AD_ERR_AUTH,         /* the DNS provider rejected our credentials */
    AD_ERR_DNS,          /* a DNS look-up failed (zone, NS, address) */
    AD_ERR_PROPAGATION,  /* not every authoritative server served the value in time */
    AD_ERR_ACME,         /* the CA answered with a problem document */
    AD_ERR_VALIDATION,   /* the CA could not validate a challenge */
    AD_ERR_NETWORK,      /* connection, TLS or HTTP transport failure */
    AD_ERR_PROTOCOL,     /* malformed or unexpected data from a peer */
    AD_ERR_IO,           /* file system error */
    AD_ERR_CRYPTO,       /* key, signature or certificate error */
    AD_ERR_TIMEOUT,      /* something took longer than allowed */
    AD_ERR_INTERRUPTED,  /* SIGINT or SIGTERM */
    AD_ERR_NOMEM,        /* out of memory */
    AD_ERR_INTERNAL,     /* a bug: please report it */
    AD_ERR_LOCKED        /* another run held the state folder's lock too long */
} ad_status;

#ifdef __cplusplus
}
#endif
#endif

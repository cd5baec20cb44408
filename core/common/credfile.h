/* Files that hold credentials (TSIG key files, API token files, certbot's
 * credentials INI files), as the plugins read them: a regular file of
 * bounded size, read through one descriptor, and one warning, in one
 * wording for every provider, when every user may read it. */
#ifndef AD_CREDFILE_H
#define AD_CREDFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "acme-dns/status.h"

/* Read PATH, at most MAX bytes, into *BUF (NUL-terminated; wipe and free
 * with ad_cred_free) and *LEN.  WHAT names the file in messages ("TSIG key
 * file").  When every user may read the file, WARN (WARNLEN bytes) receives
 * the warning to log, else it is set to "".  On failure ERR says why (never
 * any of the content): AD_ERR_CONFIG (cannot open or read, not a regular
 * file, larger than MAX) or AD_ERR_NOMEM. */
ad_status ad_cred_read(const char *what, const char *path, size_t max, char **buf, size_t *len, char *warn,
                       size_t warnlen, char *err, size_t errlen);

/* The reading part of ad_cred_read, from the open descriptor FD (not
 * closed), for a caller that checked the file itself (core/config.c):
 * at most MAX bytes into *BUF (wipe and free with ad_cred_free) and *LEN. */
ad_status ad_cred_read_fd(int fd, const char *what, const char *path, size_t max, char **buf, size_t *len, char *err,
                          size_t errlen);

/* certbot's credentials INI file at PATH (at most MAX bytes; ini.h): PATH
 * must be absolute, as it is saved for `renew`, which may run from another
 * folder.  On success *INI is new (free with ad_ini_free).  WARN and ERR as
 * for ad_cred_read; a malformed file is AD_ERR_CONFIG naming the line. */
struct ad_ini;
ad_status ad_cred_ini_load(const char *path, size_t max, struct ad_ini **ini, char *warn, size_t warnlen, char *err,
                           size_t errlen);

/* Wipe and free BUF of LEN bytes (NULL-safe). */
void ad_cred_free(char *buf, size_t len);

#endif

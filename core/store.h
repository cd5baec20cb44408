/* The state directory: atomic files and the lock (journals: journal.h). */
#ifndef AD_STORE_H
#define AD_STORE_H

#include <stddef.h>

#include "acme-dns/plugin.h"

/* mkdir -p with MODE for the folders it creates. */
ad_status ad_store_mkdirs(const char *path, unsigned mode);
/* Write DATA to PATH through a temporary file in the same folder, fsync,
 * rename, fsync the folder.  The file is created with MODE. */
ad_status ad_store_write(const char *path, const void *data, size_t len, unsigned mode);
/* One file of a set written together. */
struct ad_store_file {
    const char *name; /* in the folder */
    const void *data;
    size_t len;
    unsigned mode;
};
/* Write N files into DIR as ad_store_write does, each through a temporary
 * file; all are written and fsync'ed before the first is renamed, and the
 * folder is fsync'ed once at the end. */
ad_status ad_store_write_files(const char *dir, const struct ad_store_file *files, size_t n);
/* The files of one folder, for ad_store_write_sets. */
struct ad_store_set {
    const char *dir;
    const struct ad_store_file *files;
    size_t n;
};
/* Write several folders' files at once, each set as ad_store_write_files
 * writes one, but with the file system flushed once for all of them
 * (syncfs) instead of once per file: every file is on disk before any
 * takes its name, and the renames are on disk before this returns.
 * RCS[i] is each set's outcome; the return value is AD_OK unless out of
 * memory. */
ad_status ad_store_write_sets(const struct ad_store_set *sets, size_t n, ad_status *rcs);
/* Read a whole file of at most MAX bytes.  AD_ERR_IO with errno ENOENT
 * kept when missing.  Caller frees *DATA (NUL-terminated). */
ad_status ad_store_read(const char *path, size_t max, char **data, size_t *len);
/* Take an exclusive lock on DIR/lock; fails at once when another run holds
 * it.  *FD is closed with ad_store_unlock. */
ad_status ad_store_lock(const char *dir, int *fd);
void ad_store_unlock(int fd);

#endif

/* The state directory: atomic files and the lock (journals: journal.h).
 *
 * The state folder holds account keys and certificate keys, and acme-dns
 * often runs as root: another local user must not be able to make it write
 * a key elsewhere or read a file of theirs as ours.  So the folder of a run
 * is opened once (ad_store_open_root) and checked: a folder, owned by the
 * effective user, not writable by group or others.  Every later path under
 * it is walked from it one name at a time with openat(), without following
 * symbolic links (O_NOFOLLOW), and each folder on the way is checked the
 * same way; files are created O_EXCL and renamed into place.  A path that is
 * not under the open root (the unit tests, `certificates` before a state
 * folder exists) is opened as given, its last name still not followed. */
#ifndef AD_STORE_H
#define AD_STORE_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

#include "acme-dns/plugin.h"

/* Open ROOT as the state folder of this process (creating it with mode
 * 0700, and its missing parents, when CREATE), and check it as above.
 * AD_ERR_IO, said with what to do, when it fails the checks or cannot be
 * opened; errno ENOENT (not said) when it does not exist and not CREATE. */
ad_status ad_store_open_root(const char *root, bool create);
void ad_store_close_root(void);
/* Check the folder PATH as far as it exists (a missing part is fine: it
 * will be created), so that a run refuses a bad folder before it does any
 * work for it.  AD_ERR_IO, said, when ad_store_mkdirs would refuse it. */
ad_status ad_store_check(const char *path);
/* mkdir -p with MODE for the folders it creates. */
ad_status ad_store_mkdirs(const char *path, unsigned mode);
/* Write DATA to PATH through a temporary file in the same folder, fsync,
 * rename, fsync the folder.  The file is created with MODE. */
ad_status ad_store_write(const char *path, const void *data, size_t len, unsigned mode);
/* One file of a set written together. */
struct ad_store_file {
    const char *name; /* in the folder: a plain name, no '/' */
    const void *data;
    size_t len;
    unsigned mode;
};
/* Replace files of the folder DIR as one set: a new folder beside it
 * (.acme-dns-new-XXXXXXXX) gets FILES[0..n) and a hard link to every other
 * file of DIR (settings.json, say), and takes DIR's place in one step
 * (renameat2 RENAME_EXCHANGE), so that a reader or a crash sees either the
 * old set or the new one, never a mix; the old folder is then removed, and a
 * leftover of a killed run is removed the next time.  Where the file system
 * cannot exchange folders, or DIR holds a folder of its own, the files are
 * renamed into DIR one by one after all are on disk.  DIR is created when
 * missing. */
ad_status ad_store_write_files(const char *dir, const struct ad_store_file *files, size_t n);
/* The files of one folder, for ad_store_write_sets. */
struct ad_store_set {
    const char *dir;
    const struct ad_store_file *files;
    size_t n;
};
/* Write several folders' files at once (each folder once), each set as
 * ad_store_write_files writes one, but with the file system flushed once
 * for all of them (syncfs) instead of once per file: every file is on disk
 * before any folder takes its place, and the exchanges are on disk before
 * this returns.  RCS[i] is each set's outcome; the return value is AD_OK
 * unless out of memory. */
ad_status ad_store_write_sets(const struct ad_store_set *sets, size_t n, ad_status *rcs);
/* Read a whole regular file of at most MAX bytes.  AD_ERR_IO with errno
 * ENOENT kept when missing (not said); a symbolic link (ELOOP) or anything
 * but a regular file is refused and said.  Caller frees *DATA
 * (NUL-terminated). */
ad_status ad_store_read(const char *path, size_t max, char **data, size_t *len);
/* Remove the file PATH; a missing one is fine. */
ad_status ad_store_unlink(const char *path);
/* The entries of the folder PATH (closedir); NULL with errno set (ENOENT
 * not said). */
DIR *ad_store_opendir(const char *path);
/* Take an exclusive lock on DIR/lock, waiting up to TIMEOUT_S seconds while
 * another run holds it (said once, with that run's process id); then
 * AD_ERR_LOCKED, said.  *FD is closed with ad_store_unlock. */
ad_status ad_store_lock(const char *dir, unsigned timeout_s, int *fd);
void ad_store_unlock(int fd);

#endif

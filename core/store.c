#define _GNU_SOURCE /* syncfs */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

ad_status ad_store_mkdirs(const char *path, unsigned mode)
{
    char *p = strdup(path);
    ad_status rc = AD_ERR_IO;
    if (!p)
        return AD_ERR_NOMEM;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
                ad_err("cannot create folder %s: %s", p, strerror(errno));
                goto out;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    rc = AD_OK;
out:
    free(p);
    return rc;
}

/* Write DATA to a new temporary file beside PATH with MODE, and fsync it
 * when SYNC.  *TMP (owned) names it. */
static ad_status write_temp(const char *path, const void *data, size_t len, unsigned mode, bool sync, char **tmp)
{
    const char *p = data;
    int fd;
    if (!(*tmp = ad_asprintf("%s.tmp.XXXXXX", path)))
        return AD_ERR_NOMEM;
    if ((fd = mkstemp(*tmp)) < 0) {
        ad_err("cannot create a file beside %s: %s", path, strerror(errno));
        free(*tmp);
        *tmp = NULL;
        return AD_ERR_IO;
    }
    if (fchmod(fd, (mode_t)mode) != 0)
        goto fail;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto fail;
        p += w;
        len -= (size_t)w;
    }
    if (sync && fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    return AD_OK;
fail:
    ad_err("cannot write %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(*tmp);
    free(*tmp);
    *tmp = NULL;
    return AD_ERR_IO;
}

/* Flush the file system of every folder of SETS[i] with OK[i] (syncfs, once
 * per file system).  A folder whose flush failed turns OK[i] false. */
static void sync_dirs(const struct ad_store_set *sets, size_t n, bool *ok)
{
    dev_t *done = calloc(n ? n : 1, sizeof *done);
    size_t nd = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        bool seen = false;
        int fd;
        if (!ok[i])
            continue;
        if ((fd = open(sets[i].dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
            ad_err("cannot open the folder %s: %s", sets[i].dir, strerror(errno));
            ok[i] = false;
        } else {
            for (size_t k = 0; done && k < nd && !seen; k++)
                seen = done[k] == st.st_dev;
            if (!seen && syncfs(fd) != 0) {
                ad_err("cannot flush the file system of %s: %s", sets[i].dir, strerror(errno));
                ok[i] = false;
            } else if (!seen && done) {
                done[nd++] = st.st_dev;
            }
        }
        if (fd >= 0)
            close(fd);
    }
    free(done);
}

ad_status ad_store_write_sets(const struct ad_store_set *sets, size_t n, ad_status *rcs)
{
    size_t total = 0, at = 0;
    for (size_t i = 0; i < n; i++)
        total += sets[i].n;
    char **tmp = calloc(total ? total : 1, sizeof *tmp), **path = calloc(total ? total : 1, sizeof *path);
    bool *ok = calloc(n ? n : 1, sizeof *ok), one = n == 1;
    ad_status rc = AD_ERR_NOMEM;
    if (!tmp || !path || !ok)
        goto out;
    /* Every file complete on disk before any of them takes its name, so that
     * a set is replaced in one short burst of renames.  One set: each file
     * is flushed; many: the file system once for all of them. */
    for (size_t i = 0; i < n; i++) {
        rcs[i] = AD_OK;
        for (size_t k = 0; k < sets[i].n; k++)
            if (!(path[at + k] = ad_asprintf("%s/%s", sets[i].dir, sets[i].files[k].name)))
                goto out;
        for (size_t k = 0; k < sets[i].n && rcs[i] == AD_OK; k++)
            rcs[i] = write_temp(path[at + k], sets[i].files[k].data, sets[i].files[k].len, sets[i].files[k].mode, one,
                                &tmp[at + k]);
        if (rcs[i] == AD_ERR_NOMEM)
            goto out;
        ok[i] = rcs[i] == AD_OK;
        at += sets[i].n;
    }
    if (!one)
        sync_dirs(sets, n, ok);
    at = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ok[i] && rcs[i] == AD_OK)
            rcs[i] = AD_ERR_IO;
        for (size_t k = 0; k < sets[i].n && ok[i]; k++) {
            if (rename(tmp[at + k], path[at + k]) != 0) {
                ad_err("cannot write %s: %s", path[at + k], strerror(errno));
                rcs[i] = AD_ERR_IO;
                break;
            }
            free(tmp[at + k]);
            tmp[at + k] = NULL;
        }
        at += sets[i].n;
    }
    if (one) {
        int dfd = open(sets[0].dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    } else {
        sync_dirs(sets, n, ok); /* the renames */
    }
    rc = AD_OK;
out:
    for (size_t j = 0; tmp && path && j < total; j++) {
        if (tmp[j]) {
            unlink(tmp[j]);
            free(tmp[j]);
        }
        free(path[j]);
    }
    free(tmp);
    free(path);
    free(ok);
    return rc;
}

ad_status ad_store_write_files(const char *dir, const struct ad_store_file *files, size_t n)
{
    const struct ad_store_set set = {dir, files, n};
    ad_status one = AD_ERR_INTERNAL, rc = ad_store_write_sets(&set, 1, &one);
    return rc != AD_OK ? rc : one;
}

ad_status ad_store_write(const char *path, const void *data, size_t len, unsigned mode)
{
    char *dir = strdup(path), *slash;
    if (!dir)
        return AD_ERR_NOMEM;
    const char *folder = ".", *name = path;
    if ((slash = strrchr(dir, '/'))) {
        *slash = '\0';
        folder = slash == dir ? "/" : dir;
        name = slash + 1;
    }
    struct ad_store_file f = {name, data, len, mode};
    ad_status rc = ad_store_write_files(folder, &f, 1);
    free(dir);
    return rc;
}

ad_status ad_store_read(const char *path, size_t max, char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    if (fd < 0)
        return AD_ERR_IO;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size > max || !(buf = malloc((size_t)st.st_size + 1))) {
        if ((size_t)st.st_size > max)
            ad_err("%s is larger than %zu bytes: refusing to read it", path, max);
        close(fd);
        free(buf);
        errno = EFBIG;
        return AD_ERR_IO;
    }
    while (n < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return AD_OK;
}

ad_status ad_store_lock(const char *dir, int *fd)
{
    char *path = ad_asprintf("%s/lock", dir);
    if (!path)
        return AD_ERR_NOMEM;
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f < 0) {
        ad_err("cannot open %s: %s", path, strerror(errno));
        free(path);
        return AD_ERR_IO;
    }
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        ad_err("another acme-dns run holds %s: wait for it to finish", path);
        close(f);
        free(path);
        return AD_ERR_IO;
    }
    free(path);
    *fd = f;
    return AD_OK;
}

void ad_store_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}

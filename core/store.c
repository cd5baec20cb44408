#include "store.h"

#include <errno.h>
#include <fcntl.h>
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

/* Write DATA to a new temporary file beside PATH with MODE and fsync it.
 * *TMP (owned) names it. */
static ad_status write_temp(const char *path, const void *data, size_t len, unsigned mode, char **tmp)
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
    if (fsync(fd) != 0)
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

ad_status ad_store_write_files(const char *dir, const struct ad_store_file *files, size_t n)
{
    ad_status rc = AD_ERR_NOMEM;
    char **tmp = calloc(n ? n : 1, sizeof *tmp), **path = calloc(n ? n : 1, sizeof *path);
    size_t i;
    int dfd;
    if (!tmp || !path)
        goto out;
    for (i = 0; i < n; i++)
        if (!(path[i] = ad_asprintf("%s/%s", dir, files[i].name)))
            goto out;
    /* Every file complete on disk before any of them takes its name, so that
     * the set is replaced in one short burst of renames. */
    for (i = 0; i < n; i++)
        if ((rc = write_temp(path[i], files[i].data, files[i].len, files[i].mode, &tmp[i])) != AD_OK)
            goto out;
    for (i = 0; i < n; i++) {
        if (rename(tmp[i], path[i]) != 0) {
            ad_err("cannot write %s: %s", path[i], strerror(errno));
            rc = AD_ERR_IO;
            goto out;
        }
        free(tmp[i]);
        tmp[i] = NULL;
    }
    if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        fsync(dfd);
        close(dfd);
    }
    rc = AD_OK;
out:
    for (i = 0; tmp && path && i < n; i++) {
        if (tmp[i]) {
            unlink(tmp[i]);
            free(tmp[i]);
        }
        free(path[i]);
    }
    free(tmp);
    free(path);
    return rc;
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

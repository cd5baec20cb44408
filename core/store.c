#define _GNU_SOURCE /* syncfs, renameat2 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "killpoint.h"
#include "log.h"
#include "util.h"

/* The name of a new set's folder beside the one it replaces. */
#define NEW_PREFIX ".acme-dns-new-"
/* The longest wait between two tries of a held lock. */
#define LOCK_POLL_MAX_MS 1000u

static int root_fd = -1;
static char *root_path; /* as given, without trailing slashes ("/" stays) */

/* ------------------------------------------------------------------ the root and paths under it */

/* Close FD keeping errno. */
static void close_keep(int fd)
{
    int e = errno;
    if (fd >= 0)
        close(fd);
    errno = e;
}

/* The folder FD (SHOWN in messages) is ours: owned by the effective user,
 * not writable by group or others. */
static ad_status check_dir(int fd, const char *shown)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        ad_err("cannot examine the folder %s: %s", shown, strerror(errno));
        return AD_ERR_IO;
    }
    if (st.st_uid != geteuid()) {
        ad_err("the folder %s belongs to user id %u, not to the user running acme-dns (%u): its keys would be "
               "in another user's hands; give it to this user (chown) or choose another --state-dir",
               shown, (unsigned)st.st_uid, (unsigned)geteuid());
        errno = EPERM;
        return AD_ERR_IO;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        ad_err("the folder %s can be written by %s (mode %04o): another local user could replace the keys or "
               "links in it; run chmod go-w %s",
               shown, (st.st_mode & S_IWGRP) && (st.st_mode & S_IWOTH) ? "its group and all users"
                      : st.st_mode & S_IWGRP ? "its group" : "all users",
               (unsigned)(st.st_mode & 07777), shown);
        errno = EPERM;
        return AD_ERR_IO;
    }
    return AD_OK;
}

/* Say why NAME in the folder DFD (SHOWN: its path) could not be opened as
 * a WHAT ("folder", "file"), after openat failed with errno E. */
static void say_open_failure(int dfd, const char *name, const char *shown, const char *what, int e)
{
    struct stat st;
    bool link = (e == ELOOP || e == ENOTDIR || e == EMLINK) && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode);
    if (link) {
        ad_err("%s is a symbolic link: acme-dns does not follow links inside its state folder (another user could "
               "point one at a file of theirs); replace it with the %s itself, or give --state-dir the real folder",
               shown, what);
        e = ELOOP;
    } else if (e == ENOTDIR) {
        ad_err("%s is not a folder: move it away", shown);
    } else {
        ad_err("cannot open the %s %s: %s", what, shown, strerror(e));
    }
    errno = e;
}

/* The part of PATH under the open root ("" for the root itself), or NULL. */
static const char *under_root(const char *path)
{
    size_t n;
    if (root_fd < 0)
        return NULL;
    n = strlen(root_path);
    if (strcmp(root_path, "/") == 0)
        n = 0;
    else if (strncmp(path, root_path, n) != 0 || (path[n] != '\0' && path[n] != '/'))
        return NULL;
    while (path[n] == '/')
        n++;
    return path + n;
}

/* mkdir -p PATH as given (symbolic links followed), MODE for what it creates. */
static ad_status mkdirs_plain(const char *path, unsigned mode)
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

/* Open the folder PATH (creating what is missing with MODE when CREATE): from
 * the root one name at a time when PATH is under it, else as given.  -1
 * with errno when it fails (said, unless ENOENT without CREATE). */
static int dir_open(const char *path, bool create, unsigned mode)
{
    const char *rest = under_root(path);
    int fd;
    if (!rest) {
        if (create && mkdirs_plain(path, mode) != AD_OK)
            return -1;
        if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 && (errno != ENOENT || create))
            ad_err("cannot open the folder %s: %s", path, strerror(errno));
        return fd;
    }
    if ((fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 0)) < 0) {
        ad_err("cannot open the folder %s: %s", root_path, strerror(errno));
        return -1;
    }
    while (*rest) {
        size_t l = strcspn(rest, "/");
        char name[256], shown[4096];
        if (l >= sizeof name || (size_t)(rest - path) + l >= sizeof shown) {
            ad_err("%s: a name in it is too long", path);
            close(fd);
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(name, rest, l);
        name[l] = '\0';
        memcpy(shown, path, (size_t)(rest - path) + l);
        shown[(size_t)(rest - path) + l] = '\0';
        rest += l;
        while (*rest == '/')
            rest++;
        if (strcmp(name, ".") == 0)
            continue;
        if (strcmp(name, "..") == 0) {
            ad_err("refusing %s: '..' would leave the state folder", path);
            close(fd);
            errno = EINVAL;
            return -1;
        }
        int nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0 && errno == ENOENT && create) {
            if (mkdirat(fd, name, (mode_t)mode) != 0 && errno != EEXIST) {
                ad_err("cannot create folder %s: %s", shown, strerror(errno));
                close_keep(fd);
                return -1;
            }
            nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (nfd < 0) {
            if (errno != ENOENT || create)
                say_open_failure(fd, name, shown, "folder", errno);
            close_keep(fd);
            return -1;
        }
        close(fd);
        fd = nfd;
        if (check_dir(fd, shown) != AD_OK) {
            close_keep(fd);
            return -1;
        }
    }
    return fd;
}

/* Open the folder holding PATH; *NAME is PATH's last name (in PATH). */
static int parent_open(const char *path, const char **name)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        *name = path;
        return dir_open(".", false, 0);
    }
    *name = slash + 1;
    if (slash == path)
        return dir_open("/", false, 0);
    char *dir = ad_strndup(path, (size_t)(slash - path));
    if (!dir) {
        errno = ENOMEM;
        return -1;
    }
    int fd = dir_open(dir, false, 0);
    free(dir);
    return fd;
}

ad_status ad_store_open_root(const char *root, bool create)
{
    ad_store_close_root();
    if (create && mkdirs_plain(root, 0700) != AD_OK)
        return AD_ERR_IO;
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT || create)
            ad_err("cannot open the state folder %s: %s", root, strerror(errno));
        return AD_ERR_IO;
    }
    if (check_dir(fd, root) != AD_OK) {
        close_keep(fd);
        return AD_ERR_IO;
    }
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    if (!(root_path = ad_strndup(root, n))) {
        close(fd);
        return AD_ERR_NOMEM;
    }
    root_fd = fd;
    return AD_OK;
}

void ad_store_close_root(void)
{
    if (root_fd >= 0)
        close(root_fd);
    root_fd = -1;
    free(root_path);
    root_path = NULL;
}

ad_status ad_store_check(const char *path)
{
    int fd = dir_open(path, false, 0);
    if (fd < 0)
        return errno == ENOENT ? AD_OK : errno == ENOMEM ? AD_ERR_NOMEM : AD_ERR_IO;
    close(fd);
    return AD_OK;
}

ad_status ad_store_mkdirs(const char *path, unsigned mode)
{
    int fd = dir_open(path, true, mode);
    if (fd < 0)
        return errno == ENOMEM ? AD_ERR_NOMEM : AD_ERR_IO;
    close(fd);
    return AD_OK;
}

/* ------------------------------------------------------------------ files */

/* A name for a new entry of a folder: PREFIX and 8 random hex digits. */
static void random_name(char *buf, size_t size, const char *prefix)
{
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (uint32_t)ad_now_ms() ^ (uint32_t)getpid() << 16;
    snprintf(buf, size, "%s%08x", prefix, (unsigned)r);
}

static bool plain_name(const char *s)
{
    return *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && strlen(s) < 200;
}

/* Create NAME (new) in the folder DFD with MODE and write DATA; fsync it
 * when SYNC.  SHOWN names the file in messages. */
static ad_status create_at(int dfd, const char *name, const void *data, size_t len, unsigned mode, bool sync,
                           const char *shown)
{
    const char *p = data;
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
    if (fd < 0) {
        ad_err("cannot create a file for %s: %s", shown, strerror(errno));
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
    ad_err("cannot write %s: %s", shown, strerror(errno));
    close_keep(fd);
    unlinkat(dfd, name, 0);
    return AD_ERR_IO;
}

ad_status ad_store_write(const char *path, const void *data, size_t len, unsigned mode)
{
    const char *name;
    char tmp[256 + 16];
    ad_status rc = AD_ERR_IO;
    int dfd = parent_open(path, &name);
    if (dfd < 0) {
        if (errno == ENOENT)
            ad_err("cannot write %s: its folder is missing", path);
        return errno == ENOMEM ? AD_ERR_NOMEM : AD_ERR_IO;
    }
    if (!plain_name(name)) {
        ad_err("cannot write %s: not a file name", path);
        goto out;
    }
    char prefix[256 + 8];
    snprintf(prefix, sizeof prefix, "%s.tmp.", name);
    random_name(tmp, sizeof tmp, prefix);
    if ((rc = create_at(dfd, tmp, data, len, mode, true, path)) != AD_OK)
        goto out;
    if (renameat(dfd, tmp, dfd, name) != 0) {
        ad_err("cannot write %s: %s", path, strerror(errno));
        unlinkat(dfd, tmp, 0);
        rc = AD_ERR_IO;
        goto out;
    }
    fsync(dfd);
    rc = AD_OK;
out:
    close(dfd);
    return rc;
}

ad_status ad_store_read(const char *path, size_t max, char **data, size_t *len)
{
    const char *name;
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    int fd = -1, dfd = parent_open(path, &name);
    if (dfd < 0)
        return AD_ERR_IO;
    fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            say_open_failure(dfd, name, path, "file", errno);
        close_keep(dfd);
        return AD_ERR_IO;
    }
    close(dfd);
    if (fstat(fd, &st) != 0) {
        close_keep(fd);
        return AD_ERR_IO;
    }
    if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max || !(buf = malloc((size_t)st.st_size + 1))) {
        if (!S_ISREG(st.st_mode))
            ad_err("%s is not a regular file: refusing to read it", path);
        else if ((size_t)st.st_size > max)
            ad_err("%s is larger than %zu bytes: refusing to read it", path, max);
        close(fd);
        errno = !S_ISREG(st.st_mode) ? EINVAL : buf ? EFBIG : ENOMEM;
        free(buf);
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

ad_status ad_store_unlink(const char *path)
{
    const char *name;
    int dfd = parent_open(path, &name);
    if (dfd < 0)
        return errno == ENOENT ? AD_OK : AD_ERR_IO;
    ad_status rc = AD_OK;
    if (unlinkat(dfd, name, 0) != 0 && errno != ENOENT) {
        ad_err("cannot remove %s: %s", path, strerror(errno));
        rc = AD_ERR_IO;
    }
    close(dfd);
    return rc;
}

DIR *ad_store_opendir(const char *path)
{
    int fd = dir_open(path, false, 0);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (fd >= 0 && !d) {
        ad_err("cannot read the folder %s: %s", path, strerror(errno));
        close_keep(fd);
    }
    return d;
}

/* ------------------------------------------------------------------ sets of files */

/* Remove the folder NAME of DFD and the files in it (SHOWN: its path). */
static void remove_dir_at(int dfd, const char *name, const char *shown)
{
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        close_keep(fd);
        return;
    }
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    if (unlinkat(dfd, name, AT_REMOVEDIR) != 0)
        ad_warn("cannot remove the folder %s/%s: %s: remove it by hand", shown, name, strerror(errno));
}

/* Remove the new-set folders that a killed run left in DFD (SHOWN). */
static void sweep(int dfd, const char *shown)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        close_keep(fd);
        return;
    }
    for (struct dirent *e; (e = readdir(d));)
        if (strncmp(e->d_name, NEW_PREFIX, strlen(NEW_PREFIX)) == 0) {
            ad_debug("removing %s/%s, left by an interrupted run", shown, e->d_name);
            remove_dir_at(dfd, e->d_name, shown);
        }
    closedir(d);
}

/* One set while it is written. */
struct setw {
    const struct ad_store_set *set;
    char *parent;         /* the folder's parent path */
    const char *name;     /* the folder's name (in set->dir) */
    int pfd, ofd, nfd;    /* its parent, the folder, the new folder */
    char tmp[32];         /* the new folder's name in the parent */
    bool in_place;        /* rename the files into the folder one by one */
    dev_t dev;
};

static void setw_clear(struct setw *w)
{
    if (w->nfd >= 0) {
        close(w->nfd);
        remove_dir_at(w->pfd, w->tmp, w->parent);
    }
    if (w->ofd >= 0)
        close(w->ofd);
    if (w->pfd >= 0)
        close(w->pfd);
    free(w->parent);
}

/* Open W's parent and folder (made when missing). */
static ad_status setw_open(struct setw *w)
{
    const char *dir = w->set->dir, *slash = strrchr(dir, '/');
    struct stat st;
    w->name = slash ? slash + 1 : dir;
    if (!(w->parent = slash ? ad_strndup(dir, slash == dir ? 1 : (size_t)(slash - dir)) : strdup(".")))
        return AD_ERR_NOMEM;
    if (!plain_name(w->name)) {
        ad_err("cannot write into %s: not a folder name", dir);
        return AD_ERR_IO;
    }
    if ((w->pfd = dir_open(w->parent, false, 0)) < 0) {
        if (errno == ENOENT)
            ad_err("cannot write into %s: %s is missing", dir, w->parent);
        return AD_ERR_IO;
    }
    if (fstat(w->pfd, &st) != 0) {
        ad_err("cannot examine the folder %s: %s", w->parent, strerror(errno));
        return AD_ERR_IO;
    }
    w->dev = st.st_dev;
    w->ofd = openat(w->pfd, w->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (w->ofd < 0 && errno == ENOENT) {
        if (mkdirat(w->pfd, w->name, 0755) != 0 && errno != EEXIST) {
            ad_err("cannot create folder %s: %s", dir, strerror(errno));
            return AD_ERR_IO;
        }
        w->ofd = openat(w->pfd, w->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (w->ofd < 0) {
        say_open_failure(w->pfd, w->name, dir, "folder", errno);
        return AD_ERR_IO;
    }
    return under_root(dir) ? check_dir(w->ofd, dir) : AD_OK;
}

static bool in_set(const struct ad_store_set *s, const char *name)
{
    for (size_t k = 0; k < s->n; k++)
        if (strcmp(s->files[k].name, name) == 0)
            return true;
    return false;
}

/* Link every other entry of W's folder into the new one; a folder or a
 * failure to link turns W to renaming in place. */
static void carry_over(struct setw *w)
{
    int fd = openat(w->ofd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        close_keep(fd);
        w->in_place = true;
        return;
    }
    for (struct dirent *e; !w->in_place && (e = readdir(d));) {
        struct stat st;
        char target[4096];
        ssize_t l;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || in_set(w->set, e->d_name))
            continue;
        if (fstatat(w->ofd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            w->in_place = true;
        else if (S_ISREG(st.st_mode))
            w->in_place = linkat(w->ofd, e->d_name, w->nfd, e->d_name, 0) != 0;
        else if (S_ISLNK(st.st_mode) && (l = readlinkat(w->ofd, e->d_name, target, sizeof target - 1)) >= 0) {
            target[l] = '\0'; /* a link of the user's own: carried as it is, never followed */
            w->in_place = symlinkat(target, w->nfd, e->d_name) != 0;
        } else
            w->in_place = true;
        if (w->in_place)
            ad_debug("%s/%s cannot be carried into a new folder (%s): the files are replaced one by one",
                     w->set->dir, e->d_name, S_ISDIR(st.st_mode) ? "a folder" : strerror(errno));
    }
    closedir(d);
}

/* Write W's new folder: its files (each flushed when SYNC) and the others linked. */
static ad_status setw_prepare(struct setw *w, bool sync)
{
    struct stat st;
    ad_status rc;
    for (size_t k = 0; k < w->set->n; k++)
        if (!plain_name(w->set->files[k].name)) {
            ad_err("cannot write %s/%s: not a file name", w->set->dir, w->set->files[k].name);
            return AD_ERR_IO;
        }
    if (fstat(w->ofd, &st) != 0) {
        ad_err("cannot examine the folder %s: %s", w->set->dir, strerror(errno));
        return AD_ERR_IO;
    }
    for (int i = 0; i < 100 && w->nfd < 0; i++) {
        random_name(w->tmp, sizeof w->tmp, NEW_PREFIX);
        if (mkdirat(w->pfd, w->tmp, 0700) == 0)
            w->nfd = openat(w->pfd, w->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        else if (errno != EEXIST)
            break;
    }
    if (w->nfd < 0) {
        ad_err("cannot create a folder beside %s: %s", w->set->dir, strerror(errno));
        w->tmp[0] = '\0';
        return AD_ERR_IO;
    }
    /* The new folder as the old one was: its mode, and its group when we may. */
    if (fchmod(w->nfd, st.st_mode & 07777) != 0 || (st.st_gid != getegid() && fchown(w->nfd, (uid_t)-1, st.st_gid)))
        ad_debug("%s: the new folder keeps its own mode or group: %s", w->set->dir, strerror(errno));
    carry_over(w);
    for (size_t k = 0; k < w->set->n; k++) {
        const struct ad_store_file *f = &w->set->files[k];
        char shown[4096];
        snprintf(shown, sizeof shown, "%s/%s", w->set->dir, f->name);
        if ((rc = create_at(w->nfd, f->name, f->data, f->len, f->mode, sync, shown)) != AD_OK)
            return rc;
    }
    if (sync && fsync(w->nfd) != 0) {
        ad_err("cannot flush %s: %s", w->set->dir, strerror(errno));
        return AD_ERR_IO;
    }
    return AD_OK;
}

/* Put W's new files in place: the folders exchanged, or each file renamed. */
static ad_status setw_commit(struct setw *w)
{
    if (!w->in_place && renameat2(w->pfd, w->tmp, w->pfd, w->name, RENAME_EXCHANGE) != 0) {
        if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
            ad_err("cannot put the new files of %s in place: %s", w->set->dir, strerror(errno));
            return AD_ERR_IO;
        }
        ad_debug("%s: the file system cannot exchange folders: the files are replaced one by one", w->set->dir);
        w->in_place = true;
    }
    for (size_t k = 0; w->in_place && k < w->set->n; k++)
        if (renameat(w->nfd, w->set->files[k].name, w->ofd, w->set->files[k].name) != 0) {
            ad_err("cannot write %s/%s: %s", w->set->dir, w->set->files[k].name, strerror(errno));
            return AD_ERR_IO;
        }
    return AD_OK;
}

/* Flush the file systems of the sets of W[0..n) that are still OK, once each;
 * a failure fails the sets on it. */
static void flush_all(struct setw *w, size_t n, ad_status *rcs)
{
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        if (rcs[i] != AD_OK)
            continue;
        for (size_t k = 0; k < i && !seen; k++)
            seen = rcs[k] == AD_OK && w[k].dev == w[i].dev;
        if (seen)
            continue;
        if (syncfs(w[i].pfd) != 0) {
            ad_err("cannot flush the file system of %s: %s", w[i].set->dir, strerror(errno));
            for (size_t k = i; k < n; k++)
                if (w[k].dev == w[i].dev)
                    rcs[k] = AD_ERR_IO;
        }
    }
}

ad_status ad_store_write_sets(const struct ad_store_set *sets, size_t n, ad_status *rcs)
{
    struct setw *w = calloc(n ? n : 1, sizeof *w);
    bool one = n == 1;
    if (!w)
        return AD_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        w[i] = (struct setw){.set = &sets[i], .pfd = -1, .ofd = -1, .nfd = -1};
        rcs[i] = AD_OK;
    }
    /* What killed runs left, before any new folder of this one exists. */
    for (size_t i = 0; i < n; i++) {
        if ((rcs[i] = setw_open(&w[i])) == AD_ERR_NOMEM)
            goto nomem;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = w[k].parent && w[i].parent && strcmp(w[k].parent, w[i].parent) == 0;
        if (rcs[i] == AD_OK && !seen)
            sweep(w[i].pfd, w[i].parent);
    }
    /* Every file complete on disk before any folder takes its place.  One
     * set: each file is flushed; many: the file system once for all. */
    for (size_t i = 0; i < n; i++)
        if (rcs[i] == AD_OK && (rcs[i] = setw_prepare(&w[i], one)) == AD_ERR_NOMEM)
            goto nomem;
    if (!one)
        flush_all(w, n, rcs);
    ad_kill_point("store-new");
    for (size_t i = 0; i < n; i++)
        if (rcs[i] == AD_OK && (rcs[i] = setw_commit(&w[i])) == AD_OK && one)
            fsync(w[i].in_place ? w[i].ofd : w[i].pfd);
    if (!one)
        flush_all(w, n, rcs); /* the exchanges */
    ad_kill_point("store-swapped");
    for (size_t i = 0; i < n; i++)
        setw_clear(&w[i]); /* the new folder's name now holds the old files */
    free(w);
    return AD_OK;
nomem:
    for (size_t i = 0; i < n; i++)
        setw_clear(&w[i]);
    free(w);
    return AD_ERR_NOMEM;
}

ad_status ad_store_write_files(const char *dir, const struct ad_store_file *files, size_t n)
{
    const struct ad_store_set set = {dir, files, n};
    ad_status one = AD_ERR_INTERNAL, rc = ad_store_write_sets(&set, 1, &one);
    return rc != AD_OK ? rc : one;
}

/* ------------------------------------------------------------------ the lock */

/* The process id written in the lock file FD, or 0. */
static long lock_holder(int fd)
{
    char buf[32];
    ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
    if (r <= 0)
        return 0;
    buf[r] = '\0';
    long pid = strtol(buf, NULL, 10);
    return pid > 0 ? pid : 0;
}

ad_status ad_store_lock(const char *dir, unsigned timeout_s, int *fd)
{
    char *path = ad_asprintf("%s/lock", dir), line[32], who[48];
    int dfd = -1, f = -1;
    ad_status rc = AD_ERR_NOMEM;
    uint64_t start = ad_now_ms(), pause = 50;
    bool said = false;
    if (!path)
        return rc;
    rc = AD_ERR_IO;
    if ((dfd = dir_open(dir, false, 0)) < 0)
        goto out;
    if ((f = openat(dfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
        say_open_failure(dfd, "lock", path, "file", errno);
        goto out;
    }
    while (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        uint64_t waited = ad_now_ms() - start;
        long pid = lock_holder(f);
        if (e != EWOULDBLOCK && e != EINTR) {
            ad_err("cannot lock %s: %s", path, strerror(e));
            goto out;
        }
        who[0] = '\0';
        if (pid)
            snprintf(who, sizeof who, " (process %ld)", pid);
        if (waited >= (uint64_t)timeout_s * 1000) {
            ad_err("another acme-dns run%s still holds %s after %u s: let it finish, or give it longer with "
                   "--lock-timeout SECONDS", who, path, timeout_s);
            rc = AD_ERR_LOCKED;
            goto out;
        }
        if (!said) {
            ad_info("another acme-dns run%s holds %s: waiting for it, up to %u s (--lock-timeout)", who, path,
                    timeout_s);
            said = true;
        }
        uint64_t left = (uint64_t)timeout_s * 1000 - waited;
        if (!ad_sleep_ms(pause < left ? pause : left)) {
            rc = AD_ERR_INTERRUPTED;
            goto out;
        }
        pause = pause * 2 > LOCK_POLL_MAX_MS ? LOCK_POLL_MAX_MS : pause * 2;
    }
    if (said)
        ad_info("the other run is done (%.1f s): going on", (double)(ad_now_ms() - start) / 1000.0);
    snprintf(line, sizeof line, "%ld\n", (long)getpid());
    if (ftruncate(f, 0) != 0 || pwrite(f, line, strlen(line), 0) < 0)
        ad_debug("cannot write our process id into %s: %s", path, strerror(errno));
    *fd = f;
    f = -1;
    rc = AD_OK;
out:
    close_keep(f);
    close_keep(dfd);
    free(path);
    return rc;
}

void ad_store_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}

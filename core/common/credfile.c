#include "credfile.h"

#include "ini.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

ad_status ad_cred_read(const char *what, const char *path, size_t max, char **buf, size_t *len, char *warn,
                       size_t warnlen, char *err, size_t errlen)
{
    ad_status rc = AD_ERR_CONFIG;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (warnlen)
        warn[0] = '\0';
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s %s: %s", what, path, strerror(errno));
        return AD_ERR_CONFIG;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s %s is not a regular file", what, path);
        goto out;
    }
    if ((uintmax_t)st.st_size > max) {
        snprintf(err, errlen, "%s %s is larger than %zu bytes", what, path, max);
        goto out;
    }
    if (st.st_mode & S_IROTH)
        snprintf(warn, warnlen, "%s %s can be read by every user (mode %04o): chmod o-rwx %s", what, path,
                 (unsigned)(st.st_mode & 07777), path);
    rc = ad_cred_read_fd(fd, what, path, max, buf, len, err, errlen);
out:
    close(fd);
    return rc;
}

ad_status ad_cred_read_fd(int fd, const char *what, const char *path, size_t max, char **buf, size_t *len, char *err,
                          size_t errlen)
{
    ad_status rc = AD_ERR_CONFIG;
    size_t n = 0;
    char *b = malloc(max + 2);
    if (!b)
        return AD_ERR_NOMEM;
    for (;;) {
        ssize_t r = read(fd, b + n, max + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max) {
            snprintf(err, errlen, "%s %s is larger than %zu bytes", what, path, max);
            goto out;
        }
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    b = NULL;
    rc = AD_OK;
out:
    if (b) {
        OPENSSL_cleanse(b, max + 2);
        free(b);
    }
    return rc;
}

ad_status ad_cred_ini_load(const char *path, size_t max, struct ad_ini **ini, char *warn, size_t warnlen, char *err,
                           size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    ad_status rc;
    if (warnlen)
        warn[0] = '\0';
    if (path[0] != '/') {
        snprintf(err, errlen, "credentials=%s: give an absolute path (it is saved for renew, which may run from "
                 "another folder)", path);
        return AD_ERR_CONFIG;
    }
    if ((rc = ad_cred_read("credentials file", path, max, &buf, &len, warn, warnlen, err, errlen)) != AD_OK)
        return rc;
    rc = ad_ini_parse(path, buf, len, ini, err, errlen);
    ad_cred_free(buf, len);
    return rc;
}

void ad_cred_free(char *buf, size_t len)
{
    if (!buf)
        return;
    OPENSSL_cleanse(buf, len + 1);
    free(buf);
}

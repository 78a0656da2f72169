/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hostfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "pathnames.h"
#include "strv.h"
#include "util.h"

struct hostfs {
        char *root;
        int root_fd;
        /* openat2 RESOLVE_IN_ROOT works here. Without it (kernels before 5.6, or a seccomp filter that
         * hides openat2) paths are only prefixed, and an absolute symlink in the root leads out of it. */
        bool in_root;
};

static bool openat2_in_root_works(int root_fd)
{
        struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
        int fd = (int)syscall(SYS_openat2, root_fd, ".", &how, sizeof(how));

        if (fd >= 0) {
                close(fd);
                return true;
        }
        return errno != ENOSYS;
}

int hostfs_new(const char *root, struct hostfs **ret)
{
        return hostfs_new_with_flags(root, 0, ret);
}

int hostfs_new_with_flags(const char *root, unsigned flags, struct hostfs **ret)
{
        _cleanup_free_ struct hostfs *h = NULL;
        _cleanup_free_ char *r = NULL;
        int fd;

        if (!root || !*root)
                root = "/";
        r = strdup(root);
        if (!r)
                return -ENOMEM;
        /* keep "/" as is, drop trailing slashes elsewhere */
        for (size_t n = strlen(r); n > 1 && r[n - 1] == '/'; n--)
                r[n - 1] = '\0';

        fd = open(r, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        h = calloc(1, sizeof(*h));
        if (!h) {
                close(fd);
                return -ENOMEM;
        }
        h->root = TAKE_PTR(r);
        h->root_fd = fd;
        h->in_root = !(flags & HOSTFS_NO_OPENAT2) && openat2_in_root_works(fd);
        *ret = TAKE_PTR(h);
        return 0;
}

struct hostfs *hostfs_free(struct hostfs *h)
{
        if (!h)
                return NULL;
        if (h->root_fd >= 0)
                close(h->root_fd);
        free(h->root);
        free(h);
        return NULL;
}

const char *hostfs_root(const struct hostfs *h)
{
        return h->root;
}

bool hostfs_is_live(const struct hostfs *h)
{
        return streq(h->root, "/");
}

int hostfs_writable(const struct hostfs *h, char **ret_reason)
{
        if (h->in_root || hostfs_is_live(h))
                return 0;
        if (ret_reason)
                *ret_reason = strdup_printf(
                        "the kernel lacks openat2 RESOLVE_IN_ROOT: refusing to write below --root %s, where an absolute symlink could lead the write out of it",
                        h->root);
        return -EOPNOTSUPP;
}

static bool flags_write(int flags)
{
        return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)) != 0;
}

int hostfs_open(const struct hostfs *h, const char *path, int flags)
{
        struct open_how how = {
                .flags = (unsigned long long)(flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        const char *rel = path;
        int fd;

        if (!path || path[0] != '/')
                return -EINVAL;
        while (*rel == '/')
                rel++;
        if (!*rel)
                rel = ".";

        if (h->in_root) {
                fd = (int)syscall(SYS_openat2, h->root_fd, rel, &how, sizeof(how));
                return fd < 0 ? -errno : fd;
        }
        /* Without RESOLVE_IN_ROOT paths are only prefixed: an image's absolute symlink leads out of the
         * root. Reads keep working that way (at worst they see a file of the machine hostprep runs on, and
         * report on it); writes are refused, since they could change that machine. */
        if (flags_write(flags) && hostfs_writable(h, NULL) < 0)
                return -EOPNOTSUPP;
        fd = openat(h->root_fd, rel, flags | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int hostfs_stat(const struct hostfs *h, const char *path, struct stat *ret)
{
        _cleanup_close_ int fd = -1;

        fd = hostfs_open(h, path, O_PATH);
        if (fd < 0)
                return fd;
        if (fstat(fd, ret) < 0)
                return -errno;
        return 0;
}

int hostfs_fopen(const struct hostfs *h, const char *path, FILE **ret)
{
        FILE *f;
        int fd;

        fd = hostfs_open(h, path, O_RDONLY);
        if (fd < 0)
                return fd;
        f = fdopen(fd, "re");
        if (!f) {
                int r = -errno;
                close(fd);
                return r;
        }
        *ret = f;
        return 0;
}

int hostfs_read_file(const struct hostfs *h, const char *path, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -1;

        fd = hostfs_open(h, path, O_RDONLY);
        if (fd < 0)
                return fd;
        return read_fd_full(fd, HOSTFS_READ_MAX, ret, ret_len);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int hostfs_list_dir(const struct hostfs *h, const char *path, char ***ret)
{
        _cleanup_(strv_freep) char **names = NULL;
        struct dirent *de;
        DIR *d;
        int fd, r = 0;

        fd = hostfs_open(h, path, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        errno = 0;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = strv_push_dup(&names, de->d_name);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;
        if (!names) {
                names = calloc(1, sizeof(char *));
                if (!names)
                        return -ENOMEM;
        }
        qsort(names, strv_length(names), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(names);
        return 0;
}

int hostfs_open_parent(const struct hostfs *h, const char *path, char **ret_name)
{
        _cleanup_free_ char *dir = NULL, *name = NULL;
        size_t n;
        char *slash;
        int fd;

        if (!path || path[0] != '/')
                return -EINVAL;
        dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        for (n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
                dir[n - 1] = '\0';
        slash = strrchr(dir, '/');
        if (!slash[1] || streq(slash + 1, ".") || streq(slash + 1, ".."))
                return -EINVAL; /* the root itself, or a path that does not name an entry */
        name = strdup(slash + 1);
        if (!name)
                return -ENOMEM;
        if (slash == dir)
                slash[1] = '\0';
        else
                slash[0] = '\0';
        fd = hostfs_open(h, dir, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd;
        *ret_name = TAKE_PTR(name);
        return fd;
}

int hostfs_open_parent_for_write(const struct hostfs *h, const char *path, char **ret_name)
{
        int r = hostfs_writable(h, NULL);

        return r < 0 ? r : hostfs_open_parent(h, path, ret_name);
}

int hostfs_open_dir_for_write(const struct hostfs *h, const char *path)
{
        int r = hostfs_writable(h, NULL);

        return r < 0 ? r : hostfs_open(h, path, O_RDONLY | O_DIRECTORY);
}

int hostfs_mkdir(const struct hostfs *h, const char *path, mode_t mode)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = -1;

        dfd = hostfs_open_parent_for_write(h, path, &name);
        if (dfd < 0)
                return dfd;
        if (mkdirat(dfd, name, 0700) < 0)
                return -errno;
        /* mkdir honours the umask; the caller asked for exactly this mode */
        if (fchmodat(dfd, name, mode & 07777, 0) < 0 || fsync(dfd) < 0)
                return -errno;
        return 0;
}

int hostfs_unlink(const struct hostfs *h, const char *path, int flags)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = -1;

        dfd = hostfs_open_parent_for_write(h, path, &name);
        if (dfd < 0)
                return dfd;
        if (unlinkat(dfd, name, flags) < 0)
                return -errno;
        if (fsync(dfd) < 0)
                return -errno;
        return 0;
}

int hostfs_hostname(const struct hostfs *h, char **ret)
{
        _cleanup_free_ char *buf = NULL;
        struct utsname u;
        char *s;
        int r;

        if (hostfs_is_live(h)) {
                if (uname(&u) < 0)
                        return -errno;
                s = strdup(u.nodename);
                if (!s)
                        return -ENOMEM;
                *ret = s;
                return 0;
        }

        r = hostfs_read_file(h, PATH_ETC_HOSTNAME, &buf, NULL);
        if (r < 0)
                return r;
        s = strip(buf);
        if (!*s)
                return -ENODATA;
        s = strdup(s);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

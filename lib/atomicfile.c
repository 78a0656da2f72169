/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "atomicfile.h"

#include <fcntl.h>
#include <selinux/label.h>
#include <selinux/selinux.h>

#include "util.h"

static inline void freeconp(char **p)
{
        if (*p)
                freecon(*p);
}

void file_state_done(struct file_state *f)
{
        free(f->data);
        free(f->label);
        *f = (struct file_state){};
}

static char *fd_label(int fd)
{
        char *con = NULL, *copy;

        if (fgetfilecon(fd, &con) < 0)
                return NULL; /* no label or no SELinux on this file system: nothing to keep */
        copy = strdup(con);
        freecon(con);
        return copy;
}

int file_state_read_at(int dfd, const char *name, struct file_state *ret)
{
        struct file_state f = {};
        _cleanup_close_ int fd = -1;
        int r;

        fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
                if (errno != ENOENT)
                        return errno == ELOOP ? -ELOOP : -errno;
                *ret = f;
                return 0;
        }
        if (fstat(fd, &f.st) < 0)
                return -errno;
        if (S_ISDIR(f.st.st_mode))
                return -EISDIR;
        if (!S_ISREG(f.st.st_mode))
                return -EBADF;
        r = read_fd_full(fd, HOSTFS_READ_MAX, &f.data, &f.len);
        if (r < 0)
                return r;
        f.exists = true;
        f.label = fd_label(fd);
        *ret = f;
        return 0;
}

bool file_state_has(const struct file_state *f, const char *text, size_t len)
{
        if (!text)
                return !f->exists;
        return f->exists && f->len == len && memcmp(f->data, text, len) == 0;
}

bool file_state_has_str(const struct file_state *f, const char *text)
{
        return file_state_has(f, text, text ? strlen(text) : 0);
}

struct file_meta file_meta_of(const struct file_state *f)
{
        return (struct file_meta){
                .keep_owner = true,
                .mode = f->st.st_mode,
                .uid = f->st.st_uid,
                .gid = f->st.st_gid,
                .label = f->label,
        };
}

static int set_label(int fd, const struct file_meta *m)
{
        _cleanup_(freeconp) char *def = NULL;
        bool enabled = is_selinux_enabled() > 0;
        const char *con = m->label;

        if (!con && enabled && m->label_path) {
                struct selabel_handle *h = selabel_open(SELABEL_CTX_FILE, NULL, 0);

                if (h) {
                        if (selabel_lookup(h, &def, m->label_path, S_IFREG | m->mode) < 0)
                                def = NULL;
                        selabel_close(h);
                }
                con = def;
        }
        if (!con)
                return 0;
        if (fsetfilecon(fd, con) < 0 && enabled)
                return -errno; /* a mislabelled file under an enforcing policy breaks the service */
        return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static void hook_point(const struct atomic_hook *hook, const char *where)
{
        if (hook && hook->point)
                hook->point(where, hook->userdata);
}

/* The temporary file, complete with its meta data and synced; the caller removes it on failure. */
static int write_temp(int fd, const void *data, size_t len, const struct file_meta *m)
{
        struct stat st;
        int r;

        r = write_all(fd, data, len);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (m->keep_owner && (st.st_uid != m->uid || st.st_gid != m->gid) && fchown(fd, m->uid, m->gid) < 0)
                return -errno;
        /* after fchown, which drops set-id bits */
        if (fchmod(fd, m->mode & 07777) < 0)
                return -errno;
        r = set_label(fd, m);
        if (r < 0)
                return r;
        return fsync(fd) < 0 ? -errno : 0;
}

int atomic_write_at(int dfd, const char *name, const char *tmp, const void *data, size_t len,
                    const struct file_meta *m, const struct atomic_hook *hook)
{
        _cleanup_close_ int fd = -1;
        int r;

        if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT)
                return -errno; /* a crashed run's leftover */
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        r = write_temp(fd, data, len, m);
        if (r >= 0)
                hook_point(hook, "temp");
        if (r >= 0 && renameat(dfd, tmp, dfd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void)unlinkat(dfd, tmp, 0);
                return r;
        }
        hook_point(hook, "renamed");
        if (fsync(dfd) < 0)
                return -errno;
        return 0;
}

char *atomic_temp_name(const char *name)
{
        return strdup_printf(".#%s.hostprep", name);
}

int atomic_write_file(const struct hostfs *fs, const char *path, const void *data, size_t len, mode_t mode)
{
        _cleanup_free_ char *name = NULL, *tmp = NULL;
        _cleanup_(file_state_done) struct file_state cur = {};
        _cleanup_close_ int dfd = -1;
        struct file_meta m = {.mode = mode};
        int r;

        dfd = hostfs_open_parent_for_write(fs, path, &name);
        if (dfd < 0)
                return dfd;
        r = file_state_read_at(dfd, name, &cur);
        if (r < 0)
                return r;
        if (cur.exists)
                m = file_meta_of(&cur);
        m.label_path = hostfs_is_live(fs) ? path : NULL;
        tmp = atomic_temp_name(name);
        if (!tmp)
                return -ENOMEM;
        return atomic_write_at(dfd, name, tmp, data, len, &m, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hostkernel.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "deadline.h"
#include "lineiter.h"
#include "pathnames.h"
#include "strv.h"

int meminfo_get_kib(const char *text, const char *key, uint64_t *ret)
{
        size_t klen = strlen(key);

        /* "MemAvailable:   24246272 kB" */
        LINE_FOREACH(l, text)
        {
                _cleanup_free_ char *line = NULL;
                char *p, *end;
                unsigned long long v;
                size_t n;

                if (l.len <= klen || !strneq(l.line, key, klen) || l.line[klen] != ':')
                        continue;
                line = line_iter_dup(&l);
                if (!line)
                        return -ENOMEM;
                p = line + klen + 1;
                p += strspn(p, " \t");
                n = strspn(p, "0123456789");
                errno = 0;
                v = n > 0 ? strtoull(p, &end, 10) : 0;
                if (n == 0 || errno != 0 || !streq(strip(end), "kB"))
                        return -EBADMSG;
                *ret = v;
                return 0;
        }
        return -ENOENT;
}

int cpuinfo_has_flag(const char *text, const char *flag)
{
        size_t flen = strlen(flag);
        bool flags = false;

        LINE_FOREACH(l, text)
        {
                const char *colon = memchr(l.line, ':', l.len), *end = l.line + l.len, *p;

                /* "flags\t\t: fpu vme ..." (x86; the key is padded with tabs) */
                if (!colon || !startswith(l.line, "flags") ||
                    strspn(l.line + 5, " \t") != (size_t)(colon - l.line - 5))
                        continue;
                flags = true;
                for (p = colon + 1; p < end;) {
                        size_t n;

                        while (p < end && isspace((unsigned char)*p))
                                p++;
                        for (n = 0; p + n < end && !isspace((unsigned char)p[n]);)
                                n++;
                        if (n == flen && strneq(p, flag, n))
                                return 1;
                        p += n;
                }
        }
        return flags ? 0 : -ENOENT;
}

static const char *const cgroup_version_names[_CGROUP_VERSION_MAX] = {
        [CGROUP_VERSION_1] = "v1",
        [CGROUP_VERSION_2] = "v2",
};

const char *cgroup_version_to_string(enum cgroup_version v)
{
        return v >= 0 && v < _CGROUP_VERSION_MAX ? cgroup_version_names[v] : NULL;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts v and drops repeated names; an empty vector becomes NULL. */
static char **sort_unique(char **v)
{
        size_t n = strv_length(v), k = 0;

        if (n == 0)
                return strv_free(v);
        qsort(v, n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < n; i++)
                if (k > 0 && streq(v[i], v[k - 1]))
                        free(v[i]);
                else
                        v[k++] = v[i];
        v[k] = NULL;
        return v;
}

int proc_cgroup_v1_controllers(const char *text, char ***ret)
{
        _cleanup_(strv_freep) char **all = NULL;
        int r;

        LINE_FOREACH(l, text)
        {
                _cleanup_free_ char *line = line_iter_dup(&l);
                _cleanup_(strv_freep) char **names = NULL;
                char *first, *second;

                if (!line)
                        return -ENOMEM;
                first = strchr(line, ':');
                second = first ? strchr(first + 1, ':') : NULL;
                if (!second || first == line || strspn(line, "0123456789") != (size_t)(first - line))
                        return -EBADMSG;
                *second = '\0';
                /* "0::/path" is the unified hierarchy; v1 hierarchies list their controllers */
                r = strv_split(first + 1, ",", &names);
                if (r < 0)
                        return r;
                STRV_FOREACH (n, names)
                        if (!startswith(*n, "name=") && (r = strv_push_dup(&all, *n)) < 0)
                                return r;
        }
        *ret = sort_unique(TAKE_PTR(all));
        return 0;
}

int cgroup_controllers_parse(const char *text, char ***ret)
{
        char **v = NULL;
        int r = strv_split(text, " \t\n", &v);

        if (r < 0)
                return r;
        *ret = sort_unique(v);
        return 0;
}

void host_cgroups_done(struct host_cgroups *c)
{
        c->controllers = strv_free(c->controllers);
}

int host_cgroups_read(const struct hostfs *fs, struct host_cgroups *ret)
{
        _cleanup_free_ char *text = NULL, *controllers_text = NULL;
        _cleanup_(strv_freep) char **v1 = NULL, **v2 = NULL;
        int r;

        r = hostfs_read_file(fs, PATH_PROC_SELF_CGROUP, &text, NULL);
        if (r < 0)
                return r;
        r = proc_cgroup_v1_controllers(text, &v1);
        if (r < 0)
                return r;
        if (v1) {
                *ret = (struct host_cgroups){CGROUP_VERSION_1, TAKE_PTR(v1), PATH_PROC_SELF_CGROUP};
                return 0;
        }
        /* What the kernel offers below the root; systemd (or libvirt itself) enables them for guests. */
        r = hostfs_read_file(fs, PATH_CGROUP_ROOT_CONTROLLERS, &controllers_text, NULL);
        if (r < 0)
                return r;
        r = cgroup_controllers_parse(controllers_text, &v2);
        if (r < 0)
                return r;
        *ret = (struct host_cgroups){CGROUP_VERSION_2, TAKE_PTR(v2), PATH_CGROUP_ROOT_CONTROLLERS};
        return 0;
}

int kvm_api_version(int fd)
{
        int v = ioctl(fd, KVM_GET_API_VERSION, 0);

        return v < 0 ? -errno : v;
}

/* What a child abandoned at the deadline asks of a path (a hung NFS mount blocks it in the kernel). */
struct path_job {
        const struct hostfs *fs;
        const char *path;
        bool vfs; /* statvfs of the directory, else stat */
};

static int path_child(void *userdata, void *out)
{
        const struct path_job *job = userdata;
        _cleanup_close_ int fd = -EBADF;

        if (!job->vfs)
                return hostfs_stat(job->fs, job->path, out);
        fd = hostfs_open(job->fs, job->path, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd;
        return fstatvfs(fd, out) < 0 ? -errno : 0;
}

/* The answer into ret (size bytes), untouched on failure. */
static int path_within(const struct path_job *job, usec_t deadline, void *ret, size_t size)
{
        union {
                struct statvfs sv;
                struct stat st;
        } out;
        int r;

        r = run_with_deadline(deadline, path_child, (void *)job, &out, size);
        if (r < 0)
                return r;
        memcpy(ret, &out, size);
        return 0;
}

int hostfs_statvfs_within(const struct hostfs *fs, const char *path, usec_t deadline, struct statvfs *ret)
{
        return path_within(&(struct path_job){fs, path, true}, deadline, ret, sizeof(*ret));
}

int hostfs_stat_within(const struct hostfs *fs, const char *path, usec_t deadline, struct stat *ret)
{
        return path_within(&(struct path_job){fs, path, false}, deadline, ret, sizeof(*ret));
}

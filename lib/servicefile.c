/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "servicefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lineiter.h"
#include "pathnames.h"
#include "strv.h"
#include "util.h"

/* lstat() of path below the root, and where it links to (NULL when it is no link). */
static int lstat_link(const struct hostfs *fs, const char *path, struct stat *ret_st, char **ret_target)
{
        _cleanup_free_ char *name = NULL, *target = NULL;
        _cleanup_close_ int dfd = hostfs_open_parent(fs, path, &name);
        struct stat st;

        if (dfd < 0)
                return dfd;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode)) {
                size_t size = (size_t)st.st_size + 1;
                ssize_t n;

                target = malloc(size);
                if (!target)
                        return -ENOMEM;
                n = readlinkat(dfd, name, target, size);
                if (n < 0)
                        return -errno;
                target[(size_t)n < size ? (size_t)n : size - 1] = '\0';
        }
        *ret_st = st;
        *ret_target = TAKE_PTR(target);
        return 0;
}

/* systemd masks a unit by a link to /dev/null, or an empty file, where a unit file would be. */
static bool masked_at(const struct hostfs *fs, const char *dir, const char *name)
{
        _cleanup_free_ char *path = strdup_printf("%s/%s", dir, name), *target = NULL;
        struct stat st;

        if (!path || lstat_link(fs, path, &st, &target) < 0)
                return false;
        if (target)
                return streq(target, PATH_DEV_NULL);
        return S_ISREG(st.st_mode) && st.st_size == 0;
}

/* The targets of an [Install] section's WantedBy= and RequiredBy= (with the directory suffix each gets),
 * and whether the section installs anything at all. */
static int install_targets(const char *text, char ***ret, bool *ret_installs)
{
        _cleanup_(strv_freep) char **targets = NULL;
        bool in_install = false, installs = false;

        LINE_FOREACH(l, text)
        {
                _cleanup_free_ char *line = line_iter_dup(&l);
                const char *suffix = NULL;
                char *s, *value;

                if (!line)
                        return -ENOMEM;
                s = strip(line);
                if (*s == '[') {
                        in_install = streq(s, "[Install]");
                        continue;
                }
                value = strchr(s, '=');
                if (!in_install || !value)
                        continue;
                *value++ = '\0';
                s = strip(s);
                installs = true;
                if (streq(s, "WantedBy"))
                        suffix = ".wants";
                else if (streq(s, "RequiredBy"))
                        suffix = ".requires";
                _cleanup_(strv_freep) char **words = NULL;
                if (!suffix || strv_split(value, " \t", &words) < 0)
                        continue;
                STRV_FOREACH (w, words)
                        if (strv_push(&targets, strdup_printf("%s%s", *w, suffix)) < 0)
                                return -ENOMEM;
        }
        *ret = TAKE_PTR(targets);
        *ret_installs = installs;
        return 0;
}

int service_file_state(const struct hostfs *fs, const char *name, const char **ret)
{
        _cleanup_(strv_freep) char **dirs = NULL, **targets = NULL;
        _cleanup_free_ char *text = NULL;
        bool installs = false;
        int r;

        if (masked_at(fs, PATH_SYSTEMD_UNIT_DIR, name) || masked_at(fs, PATH_RUN_SYSTEMD_SYSTEM, name)) {
                *ret = "masked";
                return 0;
        }
        r = strv_split(PATH_SYSTEMD_UNIT_SEARCH, ":", &dirs);
        if (r < 0)
                return r;
        r = -ENOENT;
        STRV_FOREACH (d, dirs) {
                _cleanup_free_ char *path = strdup_printf("%s/%s", *d, name);

                if (!path)
                        return -ENOMEM;
                r = hostfs_read_file(fs, path, &text, NULL);
                if (r != -ENOENT)
                        break;
        }
        if (r == -ENOENT) {
                *ret = "";
                return 0;
        }
        if (r < 0)
                return r;
        r = install_targets(text, &targets, &installs);
        if (r < 0)
                return r;
        STRV_FOREACH (t, targets) {
                _cleanup_free_ char *link = strdup_printf(PATH_SYSTEMD_UNIT_DIR "/%s/%s", *t, name);
                _cleanup_free_ char *target = NULL;
                struct stat st;

                if (link && lstat_link(fs, link, &st, &target) == 0) {
                        *ret = "enabled";
                        return 0;
                }
        }
        *ret = installs ? "disabled" : "static";
        return 0;
}

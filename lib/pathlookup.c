/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "pathlookup.h"

#include "pathnames.h"
#include "strv.h"
#include "util.h"

static bool is_executable(const struct hostfs *fs, const char *path)
{
        struct stat st;

        return hostfs_stat(fs, path, &st) >= 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

int path_find_executable(const struct hostfs *fs, const char *search, const char *name, char **ret)
{
        _cleanup_(strv_freep) char **dirs = NULL;
        struct stat st;
        int r;

        if (strchr(name, '/')) {
                if (name[0] != '/')
                        return -EINVAL;
                r = hostfs_stat(fs, name, &st);
                if (r < 0)
                        return r;
                if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
                        return -EACCES;
                *ret = strdup(name);
                return *ret ? 0 : -ENOMEM;
        }
        r = strv_split(search ? search : PATH_COMMAND_SEARCH, ":", &dirs);
        if (r < 0)
                return r;
        STRV_FOREACH (d, dirs) {
                _cleanup_free_ char *p = NULL;

                if ((*d)[0] != '/')
                        continue;
                p = strdup_printf("%s/%s", *d, name);
                if (!p)
                        return -ENOMEM;
                if (is_executable(fs, p)) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
        }
        return -ENOENT;
}

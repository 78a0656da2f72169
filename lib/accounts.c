/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "accounts.h"

#include <pwd.h>

#include "pathnames.h"
#include "util.h"

/* The next entry of f into *pw, its strings in *buf (grown as needed): 1, or 0 at the end. */
static int next_user(FILE *f, struct passwd *pw, char **buf, size_t *size)
{
        for (;;) {
                struct passwd *res = NULL;
                int r = fgetpwent_r(f, pw, *buf, *size, &res);
                char *n;

                if (r == 0 && res)
                        return 1;
                if (r != ERANGE)
                        return r == ENOENT || r == 0 ? 0 : -r;
                /* the line is longer than the buffer: glibc rewinds to it, so read it again */
                if (*size > HOSTFS_READ_MAX)
                        return -EFBIG;
                n = realloc(*buf, *size * 2);
                if (!n)
                        return -ENOMEM;
                *buf = n;
                *size *= 2;
        }
}

int accounts_find_user(const struct hostfs *fs, const char *const *names, char **ret_name, uid_t *ret_uid,
                       gid_t *ret_gid)
{
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t size = 1024, best = SIZE_MAX;
        struct passwd pw;
        uid_t uid = 0;
        gid_t gid = 0;
        int r;

        r = hostfs_fopen(fs, PATH_ETC_PASSWD, &f);
        if (r < 0)
                return r;
        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        /* one pass: the entry of the most preferred name, the first one of it when it is repeated */
        while (best > 0 && (r = next_user(f, &pw, &buf, &size)) > 0)
                for (size_t i = 0; names[i] && i < best; i++)
                        if (streq(pw.pw_name, names[i])) {
                                best = i;
                                uid = pw.pw_uid;
                                gid = pw.pw_gid;
                                break;
                        }
        if (r < 0)
                return r;
        if (best == SIZE_MAX)
                return -ENOENT;
        *ret_name = strdup(names[best]);
        if (!*ret_name)
                return -ENOMEM;
        *ret_uid = uid;
        *ret_gid = gid;
        return 0;
}

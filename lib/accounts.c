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

void account_done(struct account *a)
{
        free(a->name);
        free(a->home);
        free(a->shell);
        *a = (struct account){0};
}

int accounts_find(const struct hostfs *fs, const char *const *names, struct account *ret)
{
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t size = 1024, best = SIZE_MAX;
        struct account a = {0};
        struct passwd pw;
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
                                account_done(&a);
                                a = (struct account){strdup(names[i]), pw.pw_uid, pw.pw_gid,
                                                     strdup(strempty(pw.pw_dir)),
                                                     strdup(strempty(pw.pw_shell))};
                                if (!a.name || !a.home || !a.shell) {
                                        account_done(&a);
                                        return -ENOMEM;
                                }
                                break;
                        }
        if (r < 0) {
                account_done(&a);
                return r;
        }
        if (best == SIZE_MAX)
                return -ENOENT;
        *ret = a;
        return 0;
}

int accounts_find_user(const struct hostfs *fs, const char *const *names, char **ret_name, uid_t *ret_uid,
                       gid_t *ret_gid)
{
        struct account a;
        int r = accounts_find(fs, names, &a);

        if (r < 0)
                return r;
        *ret_name = TAKE_PTR(a.name);
        *ret_uid = a.uid;
        *ret_gid = a.gid;
        account_done(&a);
        return 0;
}

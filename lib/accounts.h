/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The host's user database, read through its root with the C library's own passwd(5) parser
 * (fgetpwent_r on a hostfs stream): never NSS, which would answer for the machine hostprep runs on. */

#include <sys/types.h>

#include "hostfs.h"

/* The first of names (NULL-terminated, in that order of preference) in the root's /etc/passwd, with its
 * ids. -ENOENT when none is there; the errno of opening the file when it cannot be read. */
int accounts_find_user(const struct hostfs *fs, const char *const *names, char **ret_name, uid_t *ret_uid,
                       gid_t *ret_gid);

struct account {
        char *name;
        uid_t uid;
        gid_t gid;
        char *home;
        char *shell;
};
void account_done(struct account *a);
/* The same, with the entry's home directory and login shell. */
int accounts_find(const struct hostfs *fs, const char *const *names, struct account *ret);

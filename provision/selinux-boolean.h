/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * SELinux booleans set persistently, the way setsebool -P does it (policycoreutils setsebool.c) through
 * libsemanage: the policy store's local value (semanage_bool_modify_local, or _del_local to go back to
 * the policy's default) and the running policy's value (semanage_bool_set_active, only when SELinux runs
 * on the host being changed), in one transaction that semanage_commit() builds and loads. The effector of
 * ACTION_SELINUX_BOOLEAN. Every call runs in a child under a deadline: a commit rebuilds the policy
 * (seconds) and takes the store's lock, and semanage_set_root() (for a host below --root) is process-wide.
 */

#include <stdbool.h>

#include "util.h"

struct selinux_boolean_state {
        bool local;       /* the store has a local value for it (booleans.local) */
        bool local_value; /* that value */
        bool running;     /* SELinux runs on this host (the live one): active is known */
        bool active;
};

/* The state of boolean name in the store below root (NULL or "/": the running host's). On libsemanage's
 * refusal -EIO with *ret_error its message (the store is not managed, no such boolean: -ENOENT). */
int selinux_boolean_read(const char *root, const char *name, usec_t deadline,
                         struct selinux_boolean_state *ret, char **ret_error);

/* Sets boolean name: local true gives it the local value value, local false removes the local value
 * (the policy's default applies again); and, when SELinux runs, active is its runtime value. */
int selinux_boolean_write(const char *root, const char *name, bool local, bool value, bool active,
                          usec_t deadline, char **ret_error);

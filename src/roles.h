/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Which roles this host has, and why: the profile's [hosts] entries for it and --role; when those name
 * none, what runs and is configured on the host decides (roles_detect()). What runs counts first: a host
 * where a hypervisor's or an NFS server's daemon runs has the roles of what runs there, and only a host
 * where nothing runs (an image, a host booted without its daemons) takes its roles from what is set up
 * to run. Every look goes through the root (--root), systemd's unit states over its bus where it runs the
 * host, else the unit files.
 */

#include "conf.h"
#include "hostfs.h"
#include "identity.h"
#include "unit.h"

struct host_roles {
        unsigned roles;
        char *why[_ROLE_MAX]; /* for each role in roles: "named in [hosts]", "--role", "libvirtd running" */
        bool detected;        /* found on the host: neither the profile nor --role named a role */
        char *seen;           /* no role found: what was seen that came close (may be NULL) */
        bool libvirt_installed;
};

void host_roles_done(struct host_roles *r);
/* The roles from the profile's [hosts] and option_roles (--role, role names), else roles_detect(). */
int host_roles_find(const struct hostfs *fs, const struct identity *id, const struct conf *profile,
                    char *const *option_roles, usec_t deadline, struct host_roles *ret);
/* What runs and is configured on the host below fs's root. */
int roles_detect(const struct hostfs *fs, usec_t deadline, struct host_roles *ret);
/* "hypervisor (libvirtd running), nfs-server (...)"; "no role" without one; NULL on -ENOMEM. why may be
 * NULL (a peer that gave no reasons). */
char *roles_describe(unsigned roles, char *const *why);
/* The one line a host without a role gets instead of a report: what was looked for, what to do. */
char *roles_none_message(const struct host_roles *r, const char *host, const char *profile);

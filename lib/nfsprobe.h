/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * NFS seen from a client, through libnfs (userspace: no kernel mount, so a dead server cannot put
 * hostprep into D state). Every call ends by its deadline (CLOCK_MONOTONIC usec): the export listing runs
 * on libnfs' async API under our own poll loop, the rest with nfs_set_timeout() and a bounded TCP SYN
 * count. On failure a message for the operator goes to *ret_error (caller frees).
 */

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

struct nfs_export_item {
        char *path;
        char **groups; /* the clients the server lists for it (may be empty: everyone) */
};

struct nfs_export_list {
        struct nfs_export_item *items;
        size_t n;
};

void nfs_export_list_done(struct nfs_export_list *l);

/* MOUNT protocol EXPORT call (showmount -e): needs rpcbind on server:111. -ETIMEDOUT at the deadline. */
int nfsprobe_exports(const char *server, usec_t deadline, struct nfs_export_list *ret, char **ret_error);

struct nfs_owner_probe {
        uint64_t created_uid, created_gid; /* owner of a file root created */
        bool chown_ok;                     /* chown to the wanted ids was accepted */
        uint64_t chowned_uid, chowned_gid; /* owner read back after the chown */
};

/*
 * Mounts server:export with NFS version (3 or 4), creates a probe file named `name` in its root as the
 * calling user (root), reads its owner, chowns it to uid:gid, reads the owner again, and removes it.
 * Shows root_squash/all_squash and id mapping as the server applies them, not as a config file says.
 */
int nfsprobe_owner(const char *server, const char *export, int version, const char *name, uint32_t uid,
                   uint32_t gid, usec_t deadline, struct nfs_owner_probe *ret, char **ret_error);

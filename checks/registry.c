/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one explicit list of units. Order is the order they run and are listed. */
#include "cross.h"
#include "unit.h"

extern const struct unit unit_nfs_export;
extern const struct unit unit_nfs_mount;
extern const struct unit unit_nfs_access;
extern const struct unit unit_nfs_storage;
extern const struct unit unit_ssh_root;

const struct unit *const unit_registry[] = {
        &unit_nfs_export, &unit_nfs_storage, &unit_nfs_mount, &unit_nfs_access, &unit_ssh_root,
};
const size_t unit_registry_size = ELEMENTSOF(unit_registry);

/* Comparisons across hosts, run when more than one host reports (--peer, --all-hosts). */
extern const struct cross_check cross_mount, cross_qemu_ids, cross_host_uuid, cross_names, cross_clock,
        cross_bridges;

const struct cross_check *const cross_registry[] = {
        &cross_mount, &cross_qemu_ids, &cross_host_uuid, &cross_names, &cross_clock, &cross_bridges,
};
const size_t cross_registry_size = ELEMENTSOF(cross_registry);

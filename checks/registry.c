/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one explicit list of units. Order is the order they run and are listed. A new unit adds its extern
 * declaration and its line to unit_registry[] (README.md, "Adding a unit"). */
#include "cross.h"
#include "unit.h"

extern const struct unit unit_nfs_export;
extern const struct unit unit_nfs_mount;
extern const struct unit unit_nfs_access;
extern const struct unit unit_nfs_storage;
extern const struct unit unit_ssh_root;
extern const struct unit unit_libvirt_daemon;
extern const struct unit unit_libvirt_listen;
extern const struct unit unit_libvirt_migration;
extern const struct unit unit_libvirt_domains;
extern const struct unit unit_host_virt;
extern const struct unit unit_security_selinux;
extern const struct unit unit_security_apparmor;
extern const struct unit unit_net_firewall;
extern const struct unit unit_net_bridge;
extern const struct unit unit_net_mtu;
extern const struct unit unit_nova_compute;
extern const struct unit unit_xen_dom0;
extern const struct unit unit_xen_toolstack;
extern const struct unit unit_xen_info;
extern const struct unit unit_xen_guests;
extern const struct unit unit_net_vxlan;

/* One entry a line (clang-format would pack them): adding one changes no other line. */
/* clang-format off */
const struct unit *const unit_registry[] = {
        &unit_nfs_export,
        &unit_nfs_storage,
        &unit_nfs_mount,
        &unit_nfs_access,
        &unit_ssh_root,
        &unit_host_virt,
        &unit_libvirt_daemon,
        &unit_libvirt_listen,
        &unit_libvirt_migration,
        &unit_libvirt_domains,
        &unit_security_selinux,
        &unit_security_apparmor,
        &unit_net_firewall,
        &unit_net_bridge,
        &unit_net_mtu,
        &unit_nova_compute,
        &unit_xen_dom0,
        &unit_xen_toolstack,
        &unit_xen_info,
        &unit_xen_guests,
        &unit_net_vxlan,
};
/* clang-format on */
const size_t unit_registry_size = ELEMENTSOF(unit_registry);

/* Comparisons across hosts, run when more than one host reports (--peer, --all-hosts). */
extern const struct cross_check cross_mount;
extern const struct cross_check cross_qemu_ids;
extern const struct cross_check cross_nova_ids;
extern const struct cross_check cross_host_uuid;
extern const struct cross_check cross_names;
extern const struct cross_check cross_clock;
extern const struct cross_check cross_bridges;
extern const struct cross_check cross_vxlan;
extern const struct cross_check cross_versions;
extern const struct cross_check cross_cpu;
extern const struct cross_check cross_machines;
extern const struct cross_check cross_cgroups;
extern const struct cross_check cross_lsm;
extern const struct cross_check cross_xen;
extern const struct cross_check cross_xen_caps;

/* clang-format off */
const struct cross_check *const cross_registry[] = {
        &cross_mount,
        &cross_qemu_ids,
        &cross_nova_ids,
        &cross_host_uuid,
        &cross_names,
        &cross_clock,
        &cross_bridges,
        &cross_vxlan,
        &cross_versions,
        &cross_cpu,
        &cross_machines,
        &cross_cgroups,
        &cross_lsm,
        &cross_xen,
        &cross_xen_caps,
};
/* clang-format on */
const size_t cross_registry_size = ELEMENTSOF(cross_registry);

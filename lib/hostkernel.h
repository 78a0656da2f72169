/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the running kernel offers guests, read the way libvirt and virt-host-validate read it: the CPU's
 * flags, free memory, the cgroup hierarchy and its controllers, the KVM API. The parsers take the text of
 * the kernel's files; the readers take it through a hostfs, so a fixture root stands in for /proc and /sys.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/statvfs.h>

#include "hostfs.h"
#include "util.h"

/* The KVM API version QEMU and libvirt require (linux/kvm.h: KVM_API_VERSION, stable since Linux 2.6.22). */
#define KVM_API_VERSION_REQUIRED 12

/* /proc/meminfo: the value of key ("MemAvailable") in KiB. -ENOENT when the key is absent, -EBADMSG when
 * its value is not "N kB". */
int meminfo_get_kib(const char *text, const char *key, uint64_t *ret);

/* /proc/cpuinfo: 1 when a processor's "flags" line lists flag (a whole word), 0 when not, -ENOENT when
 * there is no "flags" line at all (not x86: arm64 says "Features", and has no vmx or svm). */
int cpuinfo_has_flag(const char *text, const char *flag);

enum cgroup_version {
        CGROUP_VERSION_1, /* controllers on v1 hierarchies (legacy or hybrid: systemd's unified one beside)
                           */
        CGROUP_VERSION_2, /* the unified hierarchy only */
        _CGROUP_VERSION_MAX,
};
const char *cgroup_version_to_string(enum cgroup_version v); /* "v1", "v2" */

/* /proc/self/cgroup (cgroups(7): "ID:CONTROLLERS:PATH" a line): the controllers bound to v1 hierarchies,
 * sorted and unique, without named hierarchies ("name=systemd"). NULL when there are none: cgroup v2 only.
 * -EBADMSG on a line of another shape. */
int proc_cgroup_v1_controllers(const char *text, char ***ret);
/* cgroup.controllers of a v2 cgroup: the names it lists (space separated), sorted. NULL when empty. */
int cgroup_controllers_parse(const char *text, char ***ret);

struct host_cgroups {
        enum cgroup_version version;
        char **controllers; /* v1: the controllers of v1 hierarchies; v2: those the root cgroup offers */
        const char *source; /* the file the controllers were read from (a static path) */
};
void host_cgroups_done(struct host_cgroups *c);
/* Reads /proc/self/cgroup, and for v2 the root cgroup's cgroup.controllers, through fs. -ENOENT when there
 * is no /proc/self/cgroup (no running host below the root). */
int host_cgroups_read(const struct hostfs *fs, struct host_cgroups *ret);

/* KVM_GET_API_VERSION on an open /dev/kvm: the version, or a negative errno. */
int kvm_api_version(int fd);

/* statvfs of directory path through fs, in a child abandoned at deadline (a hung NFS mount blocks in the
 * kernel): -ETIMEDOUT then. */
int hostfs_statvfs_within(const struct hostfs *fs, const char *path, usec_t deadline, struct statvfs *ret);
/* stat of path through fs, the same way (a path on an NFS mount). */
int hostfs_stat_within(const struct hostfs *fs, const char *path, usec_t deadline, struct stat *ret);

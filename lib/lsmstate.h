/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the security.* units decide, apart from how they read the host: SELinux's mode now and at the
 * next boot, a boolean's state, which boolean a filesystem needs, which security driver libvirt picks
 * (libvirt-9.0.0 src/security/security_driver.c: selinux, then apparmor, then none), and which denials
 * are about migration's storage. Pure functions, so the unit tests decide every case.
 */

#include <stdbool.h>

#include "lsmlog.h"

/* SELinux's mode as the kernel runs it (/sys/fs/selinux/enforce, security_getenforce()) and as
 * /etc/selinux/config has it for the next boot (selinux_getenforcemode()). */
enum selinux_mode {
        SELINUX_MODE_ABSENT = -2, /* config: no file; kernel: no selinuxfs (not built in, or off) */
        SELINUX_MODE_DISABLED = -1,
        SELINUX_MODE_PERMISSIVE = 0,
        SELINUX_MODE_ENFORCING = 1,
};

enum selinux_verdict {
        SELINUX_NOT_INSTALLED,      /* neither running nor configured: not applicable */
        SELINUX_ENFORCING,          /* enforcing, and stays so at the next boot */
        SELINUX_PERMISSIVE,         /* runs permissive now */
        SELINUX_PERMISSIVE_AT_BOOT, /* enforcing now, the config boots it permissive */
        SELINUX_DISABLED_AT_BOOT,   /* the config disables it */
        SELINUX_NOT_RUNNING,        /* configured on, but the kernel does not run it */
        _SELINUX_VERDICT_MAX,
};

enum selinux_verdict selinux_mode_decide(enum selinux_mode running, enum selinux_mode config);
/* "enforcing", "permissive", "disabled", "absent" */
const char *selinux_mode_to_string(enum selinux_mode m);
/* SELINUX= of /etc/selinux/config as libselinux reads it (case-insensitive); ABSENT when unknown. */
enum selinux_mode selinux_mode_from_config(const char *value);

/* A boolean's runtime value now (active), what it becomes at the next commit (pending), and whether the
 * policy store keeps it (booleans.local, what setsebool -P writes). */
enum boolean_verdict {
        BOOLEAN_ON,             /* on, pending on, persistent */
        BOOLEAN_OFF,            /* off now */
        BOOLEAN_NOT_PERSISTENT, /* on now, but a reboot or policy load turns it off */
        _BOOLEAN_VERDICT_MAX,
};

enum boolean_verdict selinux_boolean_decide(bool active, bool pending, bool persistent);

/* The refpolicy boolean that lets sVirt guests use files of a filesystem type (mountinfo's: nfs, nfs4,
 * cifs, smb3, fuse.*), or of a file label type (nfs_t, cifs_t, fusefs_t); NULL when none is needed. */
const char *selinux_boolean_for_fstype(const char *fstype);
const char *selinux_boolean_for_label(const char *type);

/* libvirt's security drivers. */
enum security_driver {
        SECURITY_DRIVER_NONE,
        SECURITY_DRIVER_SELINUX,
        SECURITY_DRIVER_APPARMOR,
        _SECURITY_DRIVER_MAX,
        _SECURITY_DRIVER_INVALID = -1,
};

const char *security_driver_to_string(enum security_driver d);
enum security_driver security_driver_from_string(const char *s);

/* Which driver libvirt picks: configured is qemu.conf's security_driver (its first, when a list; NULL:
 * unset, "default"), usable whether each driver's probe would say yes. -ENXIO when the configured
 * driver's probe says no (libvirtd then refuses to start: "Security driver %s not enabled"), -EINVAL for
 * a name libvirt does not know. */
int security_driver_pick(const char *configured, bool selinux_usable, bool apparmor_usable,
                         enum security_driver *ret);

/* Whether an AVC record is about confined guests or libvirt's helpers (svirt_t, svirt_tcg_t, virtd_t,
 * virtlogd_t, or a qemu/virtlogd command) touching the shared storage (a path below shared, or a file of
 * a network filesystem's label). */
bool avc_record_relevant(const struct avc_record *r, const char *shared);
/* Whether an AppArmor record is a denial of a guest's profile (libvirt-UUID) or libvirtd's on a path below
 * shared. */
bool apparmor_record_relevant(const struct apparmor_record *r, const char *shared);

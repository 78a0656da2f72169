/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lsmstate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

enum selinux_verdict selinux_mode_decide(enum selinux_mode running, enum selinux_mode config)
{
        bool on = running == SELINUX_MODE_PERMISSIVE || running == SELINUX_MODE_ENFORCING;

        if (!on && (config == SELINUX_MODE_ABSENT))
                return SELINUX_NOT_INSTALLED;
        /* said first: whatever runs now, the next boot loses sVirt and a later re-enable needs a relabel */
        if (config == SELINUX_MODE_DISABLED)
                return SELINUX_DISABLED_AT_BOOT;
        if (!on)
                return SELINUX_NOT_RUNNING;
        if (running == SELINUX_MODE_PERMISSIVE)
                return SELINUX_PERMISSIVE;
        if (config == SELINUX_MODE_PERMISSIVE)
                return SELINUX_PERMISSIVE_AT_BOOT;
        return SELINUX_ENFORCING;
}

const char *selinux_mode_to_string(enum selinux_mode m)
{
        switch (m) {
        case SELINUX_MODE_ENFORCING:
                return "enforcing";
        case SELINUX_MODE_PERMISSIVE:
                return "permissive";
        case SELINUX_MODE_DISABLED:
                return "disabled";
        default:
                return "absent";
        }
}

enum selinux_mode selinux_mode_from_config(const char *value)
{
        /* libselinux's selinux_getenforcemode() compares with strncasecmp */
        if (!value)
                return SELINUX_MODE_ABSENT;
        if (strcasecmp(value, "enforcing") == 0)
                return SELINUX_MODE_ENFORCING;
        if (strcasecmp(value, "permissive") == 0)
                return SELINUX_MODE_PERMISSIVE;
        if (strcasecmp(value, "disabled") == 0)
                return SELINUX_MODE_DISABLED;
        return SELINUX_MODE_ABSENT;
}

enum boolean_verdict selinux_boolean_decide(bool active, bool pending, bool persistent)
{
        if (!active)
                return BOOLEAN_OFF;
        return pending && persistent ? BOOLEAN_ON : BOOLEAN_NOT_PERSISTENT;
}

const char *selinux_boolean_for_fstype(const char *fstype)
{
        if (!fstype)
                return NULL;
        if (streq(fstype, "nfs") || streq(fstype, "nfs4"))
                return "virt_use_nfs";
        if (streq(fstype, "cifs") || streq(fstype, "smb3"))
                return "virt_use_samba";
        if (streq(fstype, "fuse") || startswith(fstype, "fuse."))
                return "virt_use_fusefs";
        return NULL;
}

const char *selinux_boolean_for_label(const char *type)
{
        if (!type)
                return NULL;
        if (streq(type, "nfs_t"))
                return "virt_use_nfs";
        if (streq(type, "cifs_t"))
                return "virt_use_samba";
        if (streq(type, "fusefs_t"))
                return "virt_use_fusefs";
        return NULL;
}

static const char *const security_driver_names[_SECURITY_DRIVER_MAX] = {
        [SECURITY_DRIVER_NONE] = "none",
        [SECURITY_DRIVER_SELINUX] = "selinux",
        [SECURITY_DRIVER_APPARMOR] = "apparmor",
};

const char *security_driver_to_string(enum security_driver d)
{
        return d >= 0 && d < _SECURITY_DRIVER_MAX ? security_driver_names[d] : NULL;
}

enum security_driver security_driver_from_string(const char *s)
{
        for (int d = 0; s && d < _SECURITY_DRIVER_MAX; d++)
                if (streq(s, security_driver_names[d]))
                        return d;
        return _SECURITY_DRIVER_INVALID;
}

int security_driver_pick(const char *configured, bool selinux_usable, bool apparmor_usable,
                         enum security_driver *ret)
{
        enum security_driver d;

        if (!configured || streq(configured, "default")) {
                *ret = selinux_usable    ? SECURITY_DRIVER_SELINUX
                       : apparmor_usable ? SECURITY_DRIVER_APPARMOR
                                         : SECURITY_DRIVER_NONE;
                return 0;
        }
        d = security_driver_from_string(configured);
        if (d < 0)
                return -EINVAL;
        if ((d == SECURITY_DRIVER_SELINUX && !selinux_usable) ||
            (d == SECURITY_DRIVER_APPARMOR && !apparmor_usable))
                return -ENXIO;
        *ret = d;
        return 0;
}

static bool virt_subject(const char *type, const char *comm)
{
        static const char *const types[] = {"svirt_t", "svirt_tcg_t", "virtd_t", "virtlogd_t", NULL};

        for (size_t i = 0; type && types[i]; i++)
                if (streq(type, types[i]))
                        return true;
        return comm &&
               (startswith(comm, "qemu") || startswith(comm, "virtlogd") || startswith(comm, "rpc-worker"));
}

bool avc_record_relevant(const struct avc_record *r, const char *shared)
{
        _cleanup_free_ char *stype = selinux_context_type(r->scontext);
        _cleanup_free_ char *ttype = selinux_context_type(r->tcontext);

        if (!r->denied || !virt_subject(stype, r->comm))
                return false;
        return (shared && path_below(r->path, shared)) || selinux_boolean_for_label(ttype);
}

bool apparmor_record_relevant(const struct apparmor_record *r, const char *shared)
{
        if (!streq(r->verdict, "DENIED") || !r->profile)
                return false;
        if (!startswith(r->profile, "libvirt-") && !streq(r->profile, "libvirtd") &&
            !streq(r->profile, "/usr/sbin/libvirtd"))
                return false;
        return shared && path_below(r->name, shared);
}

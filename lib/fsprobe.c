/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fsprobe.h"

#include <blkid.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(blkid_probe, blkid_free_probe)

int fsprobe_fd(int fd, char **ret_type, char **ret_uuid)
{
        _cleanup_(blkid_free_probep) blkid_probe pr = blkid_new_probe();
        _cleanup_free_ char *type = NULL, *uuid = NULL;
        const char *v = NULL;

        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, 0, 0) < 0)
                return -EIO;
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID);
        /* safeprobe: ambiguous signatures (two filesystems claiming the device) count as none */
        if (blkid_do_safeprobe(pr) != 0)
                return -ENODATA;
        if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) != 0 || !v)
                return -ENODATA;
        type = strdup(v);
        if (!type)
                return -ENOMEM;
        if (blkid_probe_lookup_value(pr, "UUID", &v, NULL) == 0 && v) {
                uuid = strdup(v);
                if (!uuid)
                        return -ENOMEM;
        }
        *ret_type = TAKE_PTR(type);
        *ret_uuid = TAKE_PTR(uuid);
        return 0;
}

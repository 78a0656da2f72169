/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A guest's persistent definition (lib/guestnics.c): its interfaces on bridges, as net.mtu reads them
 * from /etc/libvirt/qemu below the root. */
#include "fuzz.h"
#include "guestnics.h"
#include "hostfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char *root;
        _cleanup_(hostfs_freep) struct hostfs *fs = NULL;
        struct guest_nic *nics = NULL;
        size_t n = 0;

        if (size > FUZZ_MAX_INPUT || fuzz_write_file("root/etc/libvirt/qemu/guest.xml", data, size) < 0)
                return 0;
        if (!root && asprintf(&root, "%s/root", fuzz_dir()) < 0)
                return 0;
        if (hostfs_new(root, &fs) < 0)
                return 0;
        if (guest_nics_read(fs, &nics, &n) >= 0)
                guest_nics_free(nics, n);
        return 0;
}

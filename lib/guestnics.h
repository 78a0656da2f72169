/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The guests' interfaces on bridges, from libvirt's persistent definitions (/etc/libvirt/qemu/NAME.xml
 * below the root): which guest sends how large packets onto which bridge. */

#include <stddef.h>

#include "hostfs.h"

struct guest_nic {
        char *guest;
        char *bridge;
        unsigned mtu; /* <mtu size=>; 0: unset, the guest gets the bridge's MTU */
        char *file;
        unsigned line;
};

void guest_nics_free(struct guest_nic *v, size_t n);
/* Every <interface type='bridge'> of every definition; definitions that do not parse are left out
 * (libvirt.domains reports them). */
int guest_nics_read(const struct hostfs *fs, struct guest_nic **ret, size_t *ret_n);

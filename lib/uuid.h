/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* UUIDs as libvirt reads them, and the host UUID libvirtd announces to its peers (a migration between two
 * hosts announcing the same one is refused). */

#include <stdbool.h>

#include "libvirt-conf.h"

/* A UUID as libvirt reads it (32 hex digits, '-' or ' ' between byte pairs, leading spaces, trailing white
 * space), as lowercase 8-4-4-4-12. -EINVAL when it is not one. */
int uuid_normalize(const char *s, char **ret);
/* libvirt refuses a host UUID whose 16 bytes are all the same (all zeros, all ff). s is normalized. */
bool uuid_is_usable(const char *s);

struct libvirt_host_uuid {
        char *configured; /* host_uuid as libvirtd.conf sets it (a string); NULL: unset or unknown */
        char *effective;  /* what libvirtd announces, normalized; NULL when no peer can know it */
        const char *effective_source; /* "libvirt", "smbios", "machine_id"; NULL with effective */
};

void libvirt_host_uuid_done(struct libvirt_host_uuid *u);

/* What libvirtd picks at start-up, from libvirtd.conf (conf; NULL with conf_error: -ENOENT no file, so
 * libvirt's defaults, another error: the file cannot be read or does not parse), the SMBIOS product_uuid
 * (NULL: unknown) and /etc/machine-id (NULL: none). Only -ENOMEM fails. */
int libvirt_host_uuid(const struct libvirt_conf *conf, int conf_error, const char *smbios,
                      const char *machine_id, struct libvirt_host_uuid *ret);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * `xl info` as the xen units read it: "key : value" lines (xl's output_xeninfo() and output_physinfo()
 * in tools/xl/xl_info.c print each key padded to 23 columns, then ": ", then the value). The keys
 * hostprep decides on are in a table in xlinfo.c; every other line (the cpu topology of `xl info -n`,
 * keys of later versions) is ignored, so a newer xl's output still parses.
 */

#include <stdbool.h>
#include <stdint.h>

struct xl_info {
        char *host;
        char *xen_version; /* "4.17.5": xen_major.xen_minor plus xen_extra */
        char *virt_caps;   /* "pv hvm hap shadow gnttab-v1" (4.17): the guest types the build can run */
        char *xen_caps;    /* "xen-3.0-x86_64 hvm-3.0-x86_32 ..." */
        unsigned xen_major, xen_minor;
        uint64_t total_memory, free_memory; /* MiB */
        bool has_xen_major, has_xen_minor, has_total_memory, has_free_memory;
};

void xl_info_done(struct xl_info *i);

/* Parses text. -EBADMSG when a key of the table has a value it cannot take (a memory size that is no
 * number) or when xen_version is missing (not xl info's output), *ret_line the line (0: the whole text);
 * -ENOMEM. *ret is filled only on success. */
int xl_info_parse(const char *text, struct xl_info *ret, unsigned *ret_line);

/* Whether the space-separated virt_caps name cap ("shadow", "hap", "pv", "hvm"). */
bool xl_info_has_cap(const struct xl_info *i, const char *cap);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the xen units share: whether the checked host runs its guests under Xen's xl toolstack, and the
 * guests' xl configs (xl.cfg(5)) as data, read with xl's own parser (libxlutil: xlu_cfg_readdata(), and
 * xlu_disk_parse() for the disk specs, legacy 'tap:aio:/path,xvda1,w' and key=value alike).
 */

#include "unit.h"

enum xen_guest_type {
        XEN_GUEST_PV,
        XEN_GUEST_PVH,
        XEN_GUEST_HVM,
        _XEN_GUEST_TYPE_MAX,
        _XEN_GUEST_TYPE_INVALID = -1,
};

const char *xen_guest_type_to_string(enum xen_guest_type t); /* "pv", "pvh", "hvm" */
enum xen_guest_type xen_guest_type_from_string(const char *s);

/* Whether the xen units apply: the profile's hypervisor.toolstack is xl, or auto and xl is installed
 * below the root. *ret_why says why not (static text) when they do not. */
bool check_xen_host(const struct check_ctx *ctx, const char **ret_why);

/* A root with a /proc: the live host, a booted container, a fixture; an image has none, and what runs
 * there is seen only when it boots. */
bool check_xen_runtime(const struct check_ctx *ctx);

struct xen_guest {
        char *path;  /* the config file, DIR/NAME.cfg */
        char *name;  /* name =; NULL when the file has none */
        char *error; /* why the file cannot be read or parsed (xl's message); the fields below are unset */
        enum xen_guest_type type;
        unsigned memory; /* MiB; 0 when the file says none */
        char *kernel, *ramdisk;
        char **disks;   /* each disk's target (its file or device) */
        char **bridges; /* each vif's bridge, the default one when it names none */
};

struct xen_guests {
        const char *dir; /* the profile's xen.configs */
        struct xen_guest *items;
        size_t n;
};

/* Reads every *.cfg in the profile's xen.configs directory, in name order (a file that does not parse
 * is an item with error set). -ENOENT: no such directory; -EOPNOTSUPP: built without libxlutil;
 * -ENOMEM. */
int xen_guests_load(const struct check_ctx *ctx, struct xen_guests *ret);
/* Why the configs cannot be read (xen_guests_load gave -ENOPKG or -EOPNOTSUPP): libxlutil could not be
 * loaded, or hostprep was built without it. */
const char *xen_guests_parser_error(void);
void xen_guests_done(struct xen_guests *g);

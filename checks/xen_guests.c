/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen.guests: each guest's xl config (the profile's xen.configs, NAME.cfg) as `xl migrate` needs it on
 * the peers: the destination re-creates the domain from the config the source sends, so every file the
 * guest uses (disk targets, kernel, ramdisk) must be found at the same path there: below the NFS
 * mountpoint, which every hypervisor mounts at the same path. A phy disk on a local device (a loop device
 * over a file on the share) must be set up the same on the peer first. Each vif's bridge (or xl.conf's
 * vif.default.bridge, else xenbr0) must exist on this host, as on every peer (cross.bridges compares
 * them). The configs are read with xl's own parser (libxlutil, checks/xen-guests.c).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "netstate.h"
#include "strv.h"
#include "xen-guests.h"

enum {
        CONFIGS_NOT_XEN_HOST,
        CONFIGS_NONE,
        CONFIGS_NO_PARSER,
        CONFIGS_BROKEN,
        CONFIGS_PARSED,
        STORAGE_NOT_SHARED,
        STORAGE_LOCAL_DEVICE,
        STORAGE_SHARED,
        STORAGE_NONE,
        BRIDGE_NO_RUNTIME,
        BRIDGE_UNREADABLE,
        BRIDGE_MISSING,
        BRIDGE_NOT_BRIDGE,
        BRIDGE_PRESENT,
};

static const struct result_def xen_guests_results[] = {
        [CONFIGS_NOT_XEN_HOST] = {"xen.guests.configs", STATUS_SKIP, "not_xen_host"},
        [CONFIGS_NONE] = {"xen.guests.configs", STATUS_SKIP, "no_configs"},
        [CONFIGS_NO_PARSER] =
                {"xen.guests.configs", STATUS_ERROR, "no_libxlutil",
                 "install Xen's tools, which bring libxlutil (Debian: xen-utils, libxenmisc), or build hostprep with libxen-dev"},
        [CONFIGS_BROKEN] = {"xen.guests.configs", STATUS_FAIL, "parse_error",
                            "fix the config where xl's message says: xl create and migrate refuse it"},
        [CONFIGS_PARSED] = {"xen.guests.configs", STATUS_PASS, "parsed"},
        [STORAGE_NOT_SHARED] =
                {"xen.guests.storage", STATUS_FAIL, "not_shared",
                 "move @PATH@ below @MOUNT@ (the NFS mount every hypervisor has at the same path) and change @CONFIG@ to name it there"},
        [STORAGE_LOCAL_DEVICE] =
                {"xen.guests.storage", STATUS_WARN, "local_device",
                 "set up @PATH@ the same on every hypervisor before migrating (a loop device over the image on the share: losetup @PATH@ FILE), or give the disk as a file below @MOUNT@"},
        [STORAGE_SHARED] = {"xen.guests.storage", STATUS_PASS, "shared"},
        [STORAGE_NONE] = {"xen.guests.storage", STATUS_PASS, "no_files"},
        [BRIDGE_NO_RUNTIME] = {"xen.guests.bridge", STATUS_SKIP, "no_runtime_state"},
        [BRIDGE_UNREADABLE] = {"xen.guests.bridge", STATUS_ERROR, "unreadable"},
        [BRIDGE_MISSING] =
                {"xen.guests.bridge", STATUS_FAIL, "missing",
                 "create bridge @BRIDGE@ here with the same name as on the peers (hostprep apply --set network.bridges=@BRIDGE@ makes it), or change the vif's bridge= in @CONFIG@"},
        [BRIDGE_NOT_BRIDGE] =
                {"xen.guests.bridge", STATUS_FAIL, "not_a_bridge",
                 "make @BRIDGE@ a bridge (vif-bridge adds the guest's vif to it), or name a bridge in the vif's bridge= in @CONFIG@"},
        [BRIDGE_PRESENT] = {"xen.guests.bridge", STATUS_PASS, "present"},
};

#define R(entry) (&xen_guests_results[entry])

static bool path_below(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        while (n > 1 && dir[n - 1] == '/')
                n--;
        return strneq(path, dir, n) && path[n] == '/' && path[n + 1] != '\0';
}

static const char *guest_name(const struct xen_guest *g)
{
        return g->name ? g->name : g->path;
}

/* One file the guest needs on the peer: NULL when it is below mount, else emits why not. */
static int check_file(struct check_ctx *ctx, const struct xen_guest *g, const char *what, const char *path,
                      const char *mount, bool *bad)
{
        _cleanup_free_ char *evidence = strdup_printf("%s: %s = %s", g->path, what, path);

        if (!evidence)
                return -ENOMEM;
        if (path_below(path, mount))
                return 0;
        *bad = true;
        if (startswith(path, "/dev/"))
                return check_emit_hint(
                        ctx, R(STORAGE_LOCAL_DEVICE), HINT_VALUES("PATH", path, "MOUNT", mount), evidence,
                        "%s: disk %s is a device of this host: the peer must have the same one",
                        guest_name(g), path);
        return check_emit_hint(ctx, R(STORAGE_NOT_SHARED),
                               HINT_VALUES("PATH", path, "MOUNT", mount, "CONFIG", g->path), evidence,
                               "%s: %s %s is not below %s: the peer does not find it at that path",
                               guest_name(g), what, path, mount);
}

static int check_storage(struct check_ctx *ctx, const struct xen_guest *g, const char *mount)
{
        bool bad = false;
        int r = 0;

        STRV_FOREACH (d, g->disks)
                if (r >= 0)
                        r = check_file(ctx, g, "disk", *d, mount, &bad);
        if (r >= 0 && g->kernel)
                r = check_file(ctx, g, "kernel", g->kernel, mount, &bad);
        if (r >= 0 && g->ramdisk)
                r = check_file(ctx, g, "ramdisk", g->ramdisk, mount, &bad);
        if (r < 0 || bad)
                return r;
        if (!g->disks && !g->kernel && !g->ramdisk)
                return check_emit(ctx, R(STORAGE_NONE), g->path, "%s: no disk, kernel or ramdisk files",
                                  guest_name(g));
        return check_emit(ctx, R(STORAGE_SHARED), g->path, "%s: its disks and kernel are below %s",
                          guest_name(g), mount);
}

static int check_bridges(struct check_ctx *ctx, const struct xen_guest *g, const struct net_state *st)
{
        int r = 0;

        STRV_FOREACH (b, g->bridges) {
                const struct net_link *l = net_state_find(st, *b);
                _cleanup_free_ char *evidence = strdup_printf("%s: vif bridge=%s", g->path, *b);

                if (!evidence)
                        return -ENOMEM;
                if (!l)
                        r = check_emit_hint(
                                ctx, R(BRIDGE_MISSING), HINT_VALUES("BRIDGE", *b, "CONFIG", g->path),
                                evidence, "%s: bridge %s of its vif does not exist here", guest_name(g), *b);
                else if (!streq_ptr(l->kind, "bridge") && !streq_ptr(l->kind, "openvswitch"))
                        r = check_emit_hint(ctx, R(BRIDGE_NOT_BRIDGE),
                                            HINT_VALUES("BRIDGE", *b, "CONFIG", g->path), evidence,
                                            "%s: %s of its vif is not a bridge (%s)", guest_name(g), *b,
                                            l->kind ? l->kind : "a device");
                else
                        r = check_emit(ctx, R(BRIDGE_PRESENT), evidence, "%s: bridge %s of its vif exists",
                                       guest_name(g), *b);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The interfaces, once, for every guest with a vif: 1 when a result says why there are none. */
static int read_links(struct check_ctx *ctx, struct net_state *st)
{
        struct stat sb;
        int r;

        if (!hostfs_is_live(ctx->fs) && hostfs_stat(ctx->fs, PATH_SYS_CLASS_NET, &sb) < 0) {
                r = check_emit(
                        ctx, R(BRIDGE_NO_RUNTIME), NULL,
                        "no running interfaces under this root (an image): the vifs' bridges are not checked");
                return r < 0 ? r : 1;
        }
        r = netstate_read(ctx->fs, ctx->deadline, st);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                r = check_emit(ctx, R(BRIDGE_UNREADABLE), NULL, "the interfaces cannot be read: %s",
                               strerror(-r));
                return r < 0 ? r : 1;
        }
        return 0;
}

static int check_guests(struct check_ctx *ctx, const struct xen_guests *g)
{
        _cleanup_(net_state_done) struct net_state st = {0};
        const char *mount = conf_get(ctx->profile, "nfs", "mountpoint") ?: PATH_LIBVIRT_IMAGES;
        int links = -1, r = 0;

        for (size_t i = 0; i < g->n && r >= 0; i++) {
                const struct xen_guest *x = &g->items[i];

                if (x->error) {
                        r = check_emit(ctx, R(CONFIGS_BROKEN), x->path, "%s", x->error);
                        continue;
                }
                r = check_emit(ctx, R(CONFIGS_PARSED), x->path, "%s: a %s guest of %u MiB", guest_name(x),
                               xen_guest_type_to_string(x->type), x->memory);
                if (r >= 0)
                        r = check_storage(ctx, x, mount);
                if (r >= 0 && x->bridges && links < 0)
                        r = links = read_links(ctx, &st);
                if (r >= 0 && x->bridges && links == 0)
                        r = check_bridges(ctx, x, &st);
        }
        return r < 0 ? r : 0;
}

static int xen_guests_check(struct check_ctx *ctx)
{
        _cleanup_(xen_guests_done) struct xen_guests g = {0};
        const char *why = NULL;
        int r;

        if (!check_xen_host(ctx, &why))
                return check_emit(ctx, R(CONFIGS_NOT_XEN_HOST), NULL, "not a Xen host: %s", why);
        r = xen_guests_load(ctx, &g);
        if (r == -EOPNOTSUPP || r == -ENOPKG)
                return check_emit(ctx, R(CONFIGS_NO_PARSER), NULL,
                                  "xl's config parser is not there (%s): cannot read xl configs",
                                  xen_guests_parser_error());
        if (r == -ENOMEM)
                return r;
        if (r < 0 || g.n == 0)
                return check_emit(ctx, R(CONFIGS_NONE), conf_get(ctx->profile, "xen", "configs"),
                                  "no guest configs (*.cfg) in %s",
                                  strempty(conf_get(ctx->profile, "xen", "configs")));
        return check_guests(ctx, &g);
}

const struct unit unit_xen_guests = {
        .id = "xen.guests",
        .title = "the guests' xl configs: disks and kernel on the shared storage, the vifs' bridges here",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = xen_guests_results,
        .n_results = ELEMENTSOF(xen_guests_results),
        .check = xen_guests_check,
};

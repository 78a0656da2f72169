/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen.info: `xl info` (lib/xlinfo.h), run on the live host under the unit's deadline; under --root a
 * captured output at PATH_XL_INFO_CAPTURE stands for it. It says the hypervisor's version, virt_caps
 * (what this build of Xen can run: shadow paging is what PV guests' log-dirty mode needs during a live
 * migration, hap what PVH and HVM guests need) and free_memory (MiB for a guest coming in). The guests'
 * types and memory come from the profile's [xen] keys, else from their configs. Across hosts, cross.xen
 * compares the versions and virt_caps from the facts.
 */
#include <inttypes.h>
#include <string.h>

#include "common.h"
#include "pathlookup.h"
#include "spawn.h"
#include "strv.h"
#include "xen-guests.h"
#include "xlinfo.h"

#define XEN_CANARY_MEM_MIB 32U /* migrate/driver.h: MIGRATE_DEFAULT_CANARY_MEM_MIB */

enum {
        INFO_NOT_XEN_HOST,
        INFO_NOT_LIVE,
        INFO_NO_XL,
        INFO_FAILED,
        INFO_UNPARSABLE,
        INFO_READ,
        CAPS_NO_GUESTS,
        CAPS_NO_SHADOW,
        CAPS_NO_HAP,
        CAPS_OK,
        MEMORY_UNKNOWN,
        MEMORY_SHORT,
        MEMORY_OK,
};

static const struct result_def xen_info_results[] = {
        [INFO_NOT_XEN_HOST] = {"xen.info.xl", STATUS_SKIP, "not_xen_host"},
        [INFO_NOT_LIVE] = {"xen.info.xl", STATUS_SKIP, "not_live"},
        [INFO_NO_XL] =
                {"xen.info.xl", STATUS_FAIL, "not_installed",
                 "install Xen's toolstack: apt install xen-utils-common (Debian; xen-system-amd64 for the hypervisor too)"},
        [INFO_FAILED] =
                {"xen.info.xl", STATUS_ERROR, "xl_failed",
                 "run xl info as root to see why: xenstored must run and /dev/xen/privcmd be there (dom0)"},
        [INFO_UNPARSABLE] = {"xen.info.xl", STATUS_ERROR, "unparsable"},
        [INFO_READ] = {"xen.info.xl", STATUS_PASS, "read"},
        [CAPS_NO_GUESTS] = {"xen.info.virt_caps", STATUS_SKIP, "no_guest_types"},
        [CAPS_NO_SHADOW] =
                {"xen.info.virt_caps", STATUS_FAIL, "no_shadow",
                 "boot a Xen built with shadow paging (Debian 12: xen-hypervisor-4.17-amd64 from bookworm main, 4.17.5, pinned; the security build has none), or run the guests as PVH (type = \"pvh\", which needs hap)"},
        [CAPS_NO_HAP] =
                {"xen.info.virt_caps", STATUS_FAIL, "no_hap",
                 "enable hardware-assisted paging (Intel EPT, AMD NPT) in the firmware or the VM's CPU model, or run the guests as PV (which needs shadow)"},
        [CAPS_OK] = {"xen.info.virt_caps", STATUS_PASS, "capable"},
        [MEMORY_UNKNOWN] = {"xen.info.free_memory", STATUS_ERROR, "unknown"},
        [MEMORY_SHORT] =
                {"xen.info.free_memory", STATUS_FAIL, "too_little",
                 "free @NEED@ MiB in Xen: stop or shrink guests, or give dom0 less (xl mem-set 0 SIZE; dom0_mem= on Xen's command line)"},
        [MEMORY_OK] = {"xen.info.free_memory", STATUS_PASS, "enough"},
};

#define I(entry) (&xen_info_results[entry])

/* xl info's output: run on the live host, the capture under a root. 0 with *ret set; 1 when a result
 * says why there is none. */
static int xl_info_text(struct check_ctx *ctx, char **ret)
{
        _cleanup_free_ char *xl = NULL, *evidence = NULL;
        char *argv[] = {NULL, (char *)"info", NULL};
        struct spawn_job j = {.argv = argv};
        int r;

        if (!hostfs_is_live(ctx->fs)) {
                r = hostfs_read_file(ctx->fs, PATH_XL_INFO_CAPTURE, ret, NULL);
                if (r != -ENOENT)
                        return r;
                r = check_emit(
                        ctx, I(INFO_NOT_LIVE), NULL,
                        "xl info answers on the running host only, not under --root (%s stands for it)",
                        PATH_XL_INFO_CAPTURE);
                return r < 0 ? r : 1;
        }
        if (path_find_executable(ctx->fs, PATH_COMMAND_SEARCH, "xl", &xl) < 0) {
                r = check_emit(ctx, I(INFO_NO_XL), PATH_COMMAND_SEARCH, "xl is not installed");
                return r < 0 ? r : 1;
        }
        argv[0] = xl;
        j.path = xl;
        r = spawn_run(&j, ctx->deadline);
        if (r >= 0 && j.exited && j.exit_status == 0 && j.out) {
                *ret = TAKE_PTR(j.out);
                spawn_job_done(&j);
                return 0;
        }
        evidence = strdup_printf("%s info: %s", xl,
                                 j.timed_out ? "timed out" : (j.err && *j.err ? strip(j.err) : "failed"));
        r = check_emit(ctx, I(INFO_FAILED), evidence, "xl info failed (exit status %d)%s", j.exit_status,
                       j.timed_out ? ": no answer by the deadline" : "");
        spawn_job_done(&j);
        return r < 0 ? r : 1;
}

/* What the guests need: their types (bits of enum xen_guest_type) and the largest one's memory, from
 * the profile's xen.guest_types and xen.guest_memory, else from the configs. */
static int guests_need(const struct check_ctx *ctx, unsigned *ret_types, unsigned *ret_memory)
{
        _cleanup_(xen_guests_done) struct xen_guests g = {0};
        _cleanup_(strv_freep) char **types = NULL;
        const char *listed = conf_get(ctx->profile, "xen", "guest_types");
        unsigned memory = 0, largest = 0;
        int r;

        *ret_types = 0;
        if (listed && strv_split(listed, ", \t", &types) < 0)
                return -ENOMEM;
        STRV_FOREACH (t, types)
                if (xen_guest_type_from_string(*t) >= 0)
                        *ret_types |= 1u << xen_guest_type_from_string(*t);
        (void)safe_atou(strempty(conf_get(ctx->profile, "xen", "guest_memory")), &memory);
        r = xen_guests_load(ctx, &g);
        if (r == -ENOMEM)
                return r;
        for (size_t i = 0; i < g.n; i++) {
                if (g.items[i].error)
                        continue;
                if (!listed)
                        *ret_types |= 1u << g.items[i].type;
                if (g.items[i].memory > largest)
                        largest = g.items[i].memory;
        }
        *ret_memory = memory ? memory : largest ? largest : XEN_CANARY_MEM_MIB;
        return 0;
}

static int check_caps(struct check_ctx *ctx, const struct xl_info *info, unsigned types)
{
        _cleanup_free_ char *evidence = strdup_printf("xl info: virt_caps : %s", strempty(info->virt_caps)),
                            *list = NULL;
        _cleanup_(strv_freep) char **names = NULL;

        if (!evidence)
                return -ENOMEM;
        if (types == 0)
                return check_emit(ctx, I(CAPS_NO_GUESTS), evidence,
                                  "no guest types to check (no guest configs, xen.guest_types unset)");
        if ((types & (1u << XEN_GUEST_PV)) && !xl_info_has_cap(info, "shadow"))
                return check_emit(
                        ctx, I(CAPS_NO_SHADOW), evidence,
                        "virt_caps lacks shadow: PV guests cannot live-migrate on Xen %s (xl migrate fails with \"Failed to enable logdirty\"); Debian 12's security build of Xen 4.17 is built without shadow paging",
                        info->xen_version);
        if ((types & ((1u << XEN_GUEST_PVH) | (1u << XEN_GUEST_HVM))) && !xl_info_has_cap(info, "hap"))
                return check_emit(ctx, I(CAPS_NO_HAP), evidence,
                                  "virt_caps lacks hap: PVH and HVM guests cannot run on Xen %s here",
                                  info->xen_version);
        for (int t = 0; t < _XEN_GUEST_TYPE_MAX; t++)
                if ((types & (1u << t)) && strv_push_dup(&names, xen_guest_type_to_string(t)) < 0)
                        return -ENOMEM;
        list = strv_join(names, ", ");
        if (!list)
                return -ENOMEM;
        return check_emit(ctx, I(CAPS_OK), evidence, "virt_caps has what %s guests need to migrate live",
                          list);
}

static int check_memory(struct check_ctx *ctx, const struct xl_info *info, unsigned need)
{
        _cleanup_free_ char *evidence = NULL, *need_text = NULL;

        if (!info->has_free_memory)
                return check_emit(ctx, I(MEMORY_UNKNOWN), "xl info", "xl info says no free_memory");
        evidence = strdup_printf("xl info: free_memory : %" PRIu64, info->free_memory);
        need_text = strdup_printf("%u", need);
        if (!evidence || !need_text)
                return -ENOMEM;
        if (info->free_memory < need)
                return check_emit_hint(ctx, I(MEMORY_SHORT), HINT_VALUES("NEED", need_text), evidence,
                                       "Xen has %" PRIu64 " MiB free, a guest coming in needs %u MiB",
                                       info->free_memory, need);
        return check_emit(ctx, I(MEMORY_OK), evidence, "Xen has %" PRIu64 " MiB free, a guest needs %u MiB",
                          info->free_memory, need);
}

static int xen_info_check(struct check_ctx *ctx)
{
        _cleanup_free_ char *text = NULL, *evidence = NULL;
        unsigned line = 0, types = 0, memory = 0;
        const char *why = NULL;
        struct xl_info info;
        int r;

        if (!check_xen_host(ctx, &why))
                return check_emit(ctx, I(INFO_NOT_XEN_HOST), NULL, "not a Xen host: %s", why);
        r = xl_info_text(ctx, &text);
        if (r != 0)
                return r < 0 ? r : 0;
        r = xl_info_parse(text, &info, &line);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && line)
                return check_emit(ctx, I(INFO_UNPARSABLE), "xl info",
                                  "xl info's line %u has a value that is no number", line);
        if (r < 0)
                return check_emit(ctx, I(INFO_UNPARSABLE), "xl info", "xl info's output has no xen_version");
        evidence = strdup_printf("xl info: xen_version : %s", info.xen_version);
        r = check_emit(ctx, I(INFO_READ), evidence, "Xen %s, virt_caps: %s", info.xen_version,
                       info.virt_caps ? info.virt_caps : "none said");
        if (r >= 0)
                r = guests_need(ctx, &types, &memory);
        if (r >= 0)
                r = check_caps(ctx, &info, types);
        if (r >= 0)
                r = check_memory(ctx, &info, memory);
        xl_info_done(&info);
        return r;
}

const struct unit unit_xen_info = {
        .id = "xen.info",
        .title =
                "xl info: Xen's version, virt_caps the guests' types need to migrate, free memory for a guest",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = xen_info_results,
        .n_results = ELEMENTSOF(xen_info_results),
        .check = xen_info_check,
};

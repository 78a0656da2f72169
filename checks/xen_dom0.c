/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen.dom0: the host runs as Xen's control domain, where xl creates, receives and migrates guests:
 * /proc/xen/capabilities says control_d (a kernel not booted under Xen has no /proc/xen, or xenfs is not
 * mounted; a guest's file says nothing). SKIP on a host that does not run its guests under xl
 * (check_xen_host()) and under a root without /proc (an image).
 */
#include <string.h>

#include "common.h"
#include "xen-guests.h"

enum {
        DOM0_NOT_XEN_HOST,
        DOM0_NO_RUNTIME,
        DOM0_CONTROL,
        DOM0_GUEST,
        DOM0_NOT_UNDER_XEN,
        DOM0_UNREADABLE,
};

static const struct result_def xen_dom0_results[] = {
        [DOM0_NOT_XEN_HOST] = {"xen.dom0.control_d", STATUS_SKIP, "not_xen_host"},
        [DOM0_NO_RUNTIME] = {"xen.dom0.control_d", STATUS_SKIP, "no_runtime_state"},
        [DOM0_CONTROL] = {"xen.dom0.control_d", STATUS_PASS, "control_domain"},
        [DOM0_GUEST] =
                {"xen.dom0.control_d", STATUS_FAIL, "not_control_domain",
                 "run the guests' toolstack in Xen's dom0: this kernel is one of Xen's guests (a domU)"},
        [DOM0_NOT_UNDER_XEN] =
                {"xen.dom0.control_d", STATUS_FAIL, "not_under_xen",
                 "boot the host into Xen (apt install xen-system-amd64 adds the boot loader's \"with Xen hypervisor\" entry); under Xen, mount xenfs: mount -t xenfs xenfs /proc/xen"},
        [DOM0_UNREADABLE] = {"xen.dom0.control_d", STATUS_ERROR, "unreadable"},
};

static int xen_dom0_check(struct check_ctx *ctx)
{
        const struct result_def *R = xen_dom0_results;
        _cleanup_free_ char *caps = NULL;
        const char *why = NULL;
        int r;

        if (!check_xen_host(ctx, &why))
                return check_emit(ctx, &R[DOM0_NOT_XEN_HOST], NULL, "not a Xen host: %s", why);
        if (!check_xen_runtime(ctx))
                return check_emit(
                        ctx, &R[DOM0_NO_RUNTIME], NULL,
                        "no /proc below the root (an image): whether it boots as dom0 is seen when it runs");
        r = hostfs_read_file(ctx->fs, PATH_PROC_XEN_CAPABILITIES, &caps, NULL);
        if (r == -ENOENT)
                return check_emit(
                        ctx, &R[DOM0_NOT_UNDER_XEN], PATH_PROC_XEN_CAPABILITIES,
                        "not a Xen dom0: %s is missing (not booted under Xen, or xenfs not mounted)",
                        PATH_PROC_XEN_CAPABILITIES);
        if (r < 0)
                return check_emit(ctx, &R[DOM0_UNREADABLE], PATH_PROC_XEN_CAPABILITIES, "cannot read %s: %s",
                                  PATH_PROC_XEN_CAPABILITIES, strerror(-r));
        if (!strstr(caps, "control_d"))
                return check_emit(ctx, &R[DOM0_GUEST], PATH_PROC_XEN_CAPABILITIES,
                                  "not a Xen dom0: %s does not say control_d (this is a guest of Xen)",
                                  PATH_PROC_XEN_CAPABILITIES);
        return check_emit(ctx, &R[DOM0_CONTROL], PATH_PROC_XEN_CAPABILITIES ": control_d",
                          "this host is Xen's control domain (dom0)");
}

const struct unit unit_xen_dom0 = {
        .id = "xen.dom0",
        .title = "the host runs as Xen's control domain (dom0)",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = xen_dom0_results,
        .n_results = ELEMENTSOF(xen_dom0_results),
        .check = xen_dom0_check,
};

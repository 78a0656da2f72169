/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen.toolstack: the daemons xl needs in dom0 run: xenstored (or oxenstored: Debian's /etc/init.d/xen
 * starts it when installed) and xenconsoled, found by name in /proc (Debian's Xen has sysv scripts, no
 * systemd units). And /var/log/xen/console exists: xenconsoled never creates it and, started with
 * --log=guest, cannot log the guests' consoles without it ("Failed to open log").
 */
#include <sys/stat.h>

#include "common.h"
#include "procfind.h"
#include "xen-guests.h"

#define START_XEN_HINT                                                                                      \
        "start Xen's daemons: service xen start (Debian's /etc/init.d/xen starts xenstored and xenconsoled; the log says why one stopped)"

enum {
        TOOLSTACK_NOT_XEN_HOST,
        TOOLSTACK_NO_RUNTIME,
        XENSTORED_RUNNING,
        XENSTORED_STOPPED,
        XENCONSOLED_RUNNING,
        XENCONSOLED_STOPPED,
        CONSOLE_LOG_PRESENT,
        CONSOLE_LOG_MISSING,
};

static const struct result_def xen_toolstack_results[] = {
        [TOOLSTACK_NOT_XEN_HOST] = {"xen.toolstack.xenstored", STATUS_SKIP, "not_xen_host"},
        [TOOLSTACK_NO_RUNTIME] = {"xen.toolstack.xenstored", STATUS_SKIP, "no_runtime_state"},
        [XENSTORED_RUNNING] = {"xen.toolstack.xenstored", STATUS_PASS, "running"},
        [XENSTORED_STOPPED] = {"xen.toolstack.xenstored", STATUS_FAIL, "not_running", START_XEN_HINT},
        [XENCONSOLED_RUNNING] = {"xen.toolstack.xenconsoled", STATUS_PASS, "running"},
        [XENCONSOLED_STOPPED] = {"xen.toolstack.xenconsoled", STATUS_FAIL, "not_running", START_XEN_HINT},
        [CONSOLE_LOG_PRESENT] = {"xen.toolstack.console_log", STATUS_PASS, "present"},
        [CONSOLE_LOG_MISSING] = {"xen.toolstack.console_log", STATUS_WARN, "missing",
                                 "mkdir -p " PATH_XEN_CONSOLE_LOG_DIR
                                 " (xenconsoled never creates it), then service xen restart"},
};

/* The first of programs that runs: its name and pid, or *ret_program NULL. */
static int find_daemon(const struct check_ctx *ctx, const char *const *programs, const char **ret_program,
                       char **ret_pid)
{
        *ret_program = NULL;
        for (const char *const *p = programs; *p; p++) {
                int r = proc_find_program(ctx->fs, *p, ret_pid);

                if (r < 0 || *ret_pid) {
                        *ret_program = *p;
                        return r;
                }
        }
        return 0;
}

static int check_daemon(struct check_ctx *ctx, const char *const *programs, const struct result_def *running,
                        const struct result_def *stopped, const char *role)
{
        _cleanup_free_ char *pid = NULL, *evidence = NULL;
        const char *program;
        int r = find_daemon(ctx, programs, &program, &pid);

        if (r < 0)
                return r;
        if (!pid)
                return check_emit(ctx, stopped, "/proc/*/comm",
                                  "%s does not run: %s; xl cannot create or take in a guest", programs[0],
                                  role);
        evidence = strdup_printf("/proc/%s/comm: %s", pid, program);
        return check_emit(ctx, running, evidence, "%s runs (pid %s)", program, pid);
}

static int xen_toolstack_check(struct check_ctx *ctx)
{
        static const char *const xenstored[] = {"xenstored", "oxenstored", NULL};
        static const char *const xenconsoled[] = {"xenconsoled", NULL};
        const struct result_def *R = xen_toolstack_results;
        const char *why = NULL;
        struct stat st;
        int r;

        if (!check_xen_host(ctx, &why))
                return check_emit(ctx, &R[TOOLSTACK_NOT_XEN_HOST], NULL, "not a Xen host: %s", why);
        if (!check_xen_runtime(ctx))
                r = check_emit(ctx, &R[TOOLSTACK_NO_RUNTIME], NULL,
                               "no /proc below the root (an image): which daemons run is seen when it runs");
        else
                r = check_daemon(ctx, xenstored, &R[XENSTORED_RUNNING], &R[XENSTORED_STOPPED],
                                 "it keeps the domains' configuration (xenstore)");
        if (r >= 0 && check_xen_runtime(ctx))
                r = check_daemon(ctx, xenconsoled, &R[XENCONSOLED_RUNNING], &R[XENCONSOLED_STOPPED],
                                 "it serves the guests' consoles");
        if (r < 0)
                return r;
        if (hostfs_stat(ctx->fs, PATH_XEN_CONSOLE_LOG_DIR, &st) < 0 || !S_ISDIR(st.st_mode))
                return check_emit(
                        ctx, &R[CONSOLE_LOG_MISSING], PATH_XEN_CONSOLE_LOG_DIR,
                        "%s is missing: xenconsoled cannot log the guests' consoles (\"Failed to open log\")",
                        PATH_XEN_CONSOLE_LOG_DIR);
        return check_emit(ctx, &R[CONSOLE_LOG_PRESENT], PATH_XEN_CONSOLE_LOG_DIR,
                          "%s is there for xenconsoled's guest logs", PATH_XEN_CONSOLE_LOG_DIR);
}

const struct unit unit_xen_toolstack = {
        .id = "xen.toolstack",
        .title = "Xen's daemons run: xenstored and xenconsoled, with its console log directory",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = xen_toolstack_results,
        .n_results = ELEMENTSOF(xen_toolstack_results),
        .check = xen_toolstack_check,
};

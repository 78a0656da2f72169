/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The apply flow on one host, the remediate-then-recheck rule:
 *
 *     1. check         runner_run()           -> before: every selected unit's results
 *     2. plan          runner_fix()           -> each unit's fix(), in its child under the deadline: the
 *                                                plan (as data), the units it fixes, notes on what a
 *                                                fix cannot do
 *     3. apply         apply_plan()           -> the changes, journalled so rollback can undo them
 *                                                (--dry-run: shown as diffs, nothing changed)
 *     4. check again   runner_run()           -> after
 *     5. merge         before + after         -> FIXED where a failing result passes now, ERROR with the
 *                                                reason where a fixed unit still fails, then the notes
 *
 * flow_apply() below is the whole flow; each step is a function above it.
 */
#include "flow.h"

#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include "apply.h"
#include "common.h"
#include "plan.h"
#include "strv.h"
#include "systemd.h"

int flow_bus_open(const struct hostfs *fs, usec_t deadline, sd_bus **ret)
{
        struct check_ctx probe = {.fs = fs};
        _cleanup_free_ char *address = NULL;

        *ret = NULL;
        if (!check_systemd_running(&probe))
                return 0;
        address = check_bus_address(&probe);
        return systemd_bus_open(address, deadline, ret, NULL);
}

/* Step 2: each selected unit with a fix and something to fix (a FAIL or WARN in before) plans its changes
 * into plan, from its own results of the check in ctx. *ret_fixed_units gets the ids of the units that
 * planned, notes what a fix said it cannot do (results it added after the check's). */
static int plan_fixes(const struct check_ctx *ctx, const struct selection *sel,
                      const struct result_list *before, struct plan *plan, char ***ret_fixed_units,
                      struct result_list *notes)
{
        struct check_ctx fctx = *ctx;

        /* each fix runs in its unit's child under ctx's deadline, like check(): one stuck in the kernel
         * (a stat on a dead hard mount) is abandoned with an ERROR, never a hang */
        return runner_fix(&fctx, unit_registry, unit_registry_size, sel, before, plan, ret_fixed_units,
                          notes);
}

static void show_plan(const struct flow_options *o, const struct plan *plan)
{
        if (!o->show)
                return;
        if (plan->n_actions == 0) {
                fprintf(o->show, "Nothing to change.\n");
                return;
        }
        fprintf(o->show, "%s:\n", o->dry_run ? "Would change (--dry-run)" : "Changes");
        plan_print(o->show, plan, o->force);
}

static volatile sig_atomic_t interrupted;

/* The first Ctrl-C (or SIGTERM) stops the run after the action under way and undoes it; the next one (the
 * handler is reset) ends the process at once, leaving the journal for hostprep rollback. */
static void on_interrupt(int sig)
{
        static const char msg[] = "\nhostprep: interrupted: undoing this run after the step under way "
                                  "(again to stop at once; then run hostprep rollback)\n";

        (void)sig;
        interrupted = 1;
        (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
}

static int apply_interruptible(const struct plan *plan, const struct apply_options *ao,
                               struct apply_report *report)
{
        struct sigaction sa = {.sa_handler = on_interrupt, .sa_flags = SA_RESETHAND}, old_int, old_term;
        int r;

        interrupted = 0;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        r = apply_plan(plan, ao, report);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        return r;
}

/* Step 3. When the changes could not be made, *ret_error says why (they were undone). */
static int make_changes(const struct flow_options *o, const struct plan *plan, char **ret_error)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        struct apply_report report = {0};
        struct apply_prune_policy prune = {0};
        struct apply_options ao;
        int r;

        /* validated by the profile loader; a value the loader did not see (a hand-made conf) keeps all */
        if (safe_atou(strempty(conf_get(o->ctx.profile, "apply", "keep_runs")), &prune.keep_runs) < 0 ||
            safe_atou(strempty(conf_get(o->ctx.profile, "apply", "keep_days")), &prune.keep_days) < 0)
                prune = (struct apply_prune_policy){UINT_MAX, UINT_MAX};
        r = flow_bus_open(o->ctx.fs, now_usec() + 10 * USEC_PER_SEC, &bus);
        if (r < 0)
                fprintf(o->log, "hostprep: cannot reach systemd: %s; service actions will fail\n",
                        strerror(-r));
        ao = (struct apply_options){
                .fs = o->ctx.fs,
                .bus = bus,
                .deadline = now_usec() + 300 * USEC_PER_SEC,
                .dry_run = o->dry_run,
                .force = o->force,
                .log = o->log,
                .prune = &prune,
                .interrupted = &interrupted,
        };
        apply_crash_hook_from_env(&ao);
        r = apply_interruptible(plan, &ao, &report);
        if (o->show)
                apply_report_print(o->show, &report, o->dry_run);
        if (r < 0) {
                fprintf(o->log, "hostprep: apply: %s\n", report.error ? report.error : strerror(-r));
                *ret_error = strdup(strna(report.error));
                r = *ret_error ? 0 : -ENOMEM;
        }
        apply_report_done(&report);
        return r;
}

static bool failing(enum status s)
{
        return s == STATUS_FAIL || s == STATUS_WARN || s == STATUS_ERROR;
}

/* Step 5. What failed and passes now is FIXED; in a unit that was fixed, what still fails is ERROR with the
 * reason (apply_error: the changes were undone). The notes come last. */
static int merge_recheck(const struct result_list *before, const struct result_list *after,
                         char *const *fixed_units, const char *apply_error, const struct result_list *notes,
                         struct result_list *out)
{
        int r = 0;

        for (size_t i = 0; r >= 0 && i < after->n; i++) {
                const struct result *a = &after->items[i];
                bool was_failing = false, attempted = false;

                for (size_t j = 0; j < before->n; j++)
                        if (streq(before->items[j].id, a->id) && failing(before->items[j].status))
                                was_failing = true;
                STRV_FOREACH (u, fixed_units)
                        if (startswith(a->id, *u))
                                attempted = true;
                /* changes undone fixed nothing: what passes passed before (a result of the same id did not)
                 */
                if (attempted && was_failing && a->status == STATUS_PASS && !apply_error)
                        r = result_list_add_restated(out, a, STATUS_FIXED, a->message, NULL);
                else if (attempted && a->status == STATUS_FAIL) {
                        _cleanup_free_ char *msg =
                                apply_error ? strdup_printf("not fixed: the changes were undone (%s): %s",
                                                            apply_error, a->message)
                                            : strdup_printf("still failing after the fix: %s", a->message);
                        r = msg ? result_list_add_restated(out, a, STATUS_ERROR, msg, a->hint) : -ENOMEM;
                } else
                        r = result_list_add_copy(out, a);
        }
        for (size_t i = 0; r >= 0 && i < notes->n; i++)
                r = result_list_add_copy(out, &notes->items[i]);
        return r;
}

int flow_apply(const struct flow_options *o, struct result_list *ret_results, bool *ret_apply_failed)
{
        _cleanup_(strv_freep) char **fixed_units = NULL;
        _cleanup_free_ char *apply_error = NULL;
        struct result_list before = {0}, after = {0}, notes = {0};
        struct check_ctx ctx = o->ctx;
        struct plan plan = {0};
        bool changed;
        int r;

        /* 1. check */
        ctx.deadline = now_usec() + o->timeout;
        ctx.results = &before;
        r = runner_run(&ctx, unit_registry, unit_registry_size, o->sel);

        /* 2. plan: each unit with a fix and something to fix, with a deadline of its own (a check that hung
         * must leave the fixes time) */
        ctx.deadline = now_usec() + o->timeout;
        if (r >= 0)
                r = plan_fixes(&ctx, o->sel, &before, &plan, &fixed_units, &notes);
        if (r >= 0)
                show_plan(o, &plan);

        /* 3. apply (a dry run shows what it would do and changes nothing) */
        if (r >= 0 && plan.n_actions > 0)
                r = make_changes(o, &plan, &apply_error);
        changed = !o->dry_run && plan.n_actions > 0;

        /* 4. check again */
        if (r >= 0 && changed) {
                ctx.deadline = now_usec() + o->timeout;
                ctx.results = &after;
                r = runner_run(&ctx, unit_registry, unit_registry_size, o->sel);
        }

        /* 5. FIXED, or ERROR with the reason (without changes: the results as checked) */
        if (r >= 0)
                r = merge_recheck(&before, changed ? &after : &before, changed ? fixed_units : NULL,
                                  apply_error, &notes, ret_results);
        if (r >= 0 && o->show)
                fprintf(o->show, "\n%s:\n", changed ? "After" : "Now");

        *ret_apply_failed = apply_error != NULL;
        result_list_done(&before);
        result_list_done(&after);
        result_list_done(&notes);
        plan_done(&plan);
        return r;
}

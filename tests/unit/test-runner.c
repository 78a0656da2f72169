/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The runner with units made for the test: results pass through, a unit that hangs is abandoned at the
 * deadline, one that crashes or fails to decide becomes ERROR, one that gives a result its table does not
 * declare gets an ERROR naming it, roles and --only/--skip select. */
#include <signal.h>

#include "provision/plan.h"
#include "report.h"
#include "runner.h"
#include "test-util.h"

static const struct result_def good_results[] = {
        {"t.good.one", STATUS_PASS, "fine", NULL},
        {"t.good.two", STATUS_WARN, "risky", "do better on @HOST@"},
};

static int good_check(struct check_ctx *ctx)
{
        check_emit(ctx, &good_results[0], NULL, "fine on %s", ctx->hostname);
        return check_emit_hint(ctx, &good_results[1], HINT_VALUES("HOST", ctx->hostname), "/etc/x:3",
                               "risky");
}

/* Gives one declared result, and two it does not declare: another id, and a declared id with a reason the
 * table does not have. */
static const struct result_def sloppy_results[] = {
        {"t.sloppy.ok", STATUS_PASS, "fine", NULL},
};
static const struct result_def sloppy_undeclared[] = {
        {"t.sloppy.other", STATUS_FAIL, "broken", "fix it"},
        {"t.sloppy.ok", STATUS_FAIL, "broken", NULL},
};

static int sloppy_check(struct check_ctx *ctx)
{
        check_emit(ctx, &sloppy_results[0], NULL, "fine");
        check_emit(ctx, &sloppy_undeclared[0], NULL, "not in the table");
        return check_emit(ctx, &sloppy_undeclared[1], NULL, "reason not in the table");
}

/* A hint placeholder without a value is the unit's bug: its check cannot decide. */
static int unfilled_check(struct check_ctx *ctx)
{
        return check_emit(ctx, &good_results[1], NULL, "risky");
}

static int hang_check(struct check_ctx *ctx)
{
        for (;;)
                pause();
        return 0;
}

static int crash_check(struct check_ctx *ctx)
{
        abort();
        return 0;
}

static const struct result_def undecided_results[] = {
        {"t.undecided.part", STATUS_PASS, "partial", NULL},
};

static int undecided_check(struct check_ctx *ctx)
{
        check_emit(ctx, &undecided_results[0], NULL, "got this far");
        return -EIO;
}

static const struct unit good = {
        .id = "t.good",
        .title = "good",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = good_results,
        .n_results = ELEMENTSOF(good_results),
        .check = good_check,
};
static const struct unit sloppy = {
        .id = "t.sloppy",
        .title = "gives results it does not declare",
        .roles = ROLES_ALL,
        .results = sloppy_results,
        .n_results = ELEMENTSOF(sloppy_results),
        .check = sloppy_check,
};
static const struct unit unfilled = {
        .id = "t.unfilled",
        .title = "leaves a placeholder of a hint without a value",
        .roles = ROLES_ALL,
        .results = good_results,
        .n_results = ELEMENTSOF(good_results),
        .check = unfilled_check,
};
static const struct unit hang = {
        .id = "t.hang",
        .title = "hangs",
        .roles = ROLES_ALL,
        .check = hang_check,
};
static const struct unit crash = {
        .id = "t.crash",
        .title = "crashes",
        .roles = ROLES_ALL,
        .check = crash_check,
};
static const struct unit undecided = {
        .id = "t.undecided",
        .title = "no answer",
        .roles = ROLES_ALL,
        .results = undecided_results,
        .n_results = ELEMENTSOF(undecided_results),
        .check = undecided_check,
};
static const struct unit server_only = {
        .id = "t.server",
        .title = "server",
        .roles = ROLE_BIT(ROLE_NFS_SERVER),
        .results = good_results,
        .n_results = ELEMENTSOF(good_results),
        .check = good_check,
};

static const struct result *find(const struct result_list *l, const char *id)
{
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i].id, id))
                        return &l->items[i];
        return NULL;
}

static void run(const struct unit *const *units, size_t n, const struct selection *sel, usec_t timeout,
                struct result_list *out, usec_t *ret_elapsed)
{
        struct conf profile = {.name = (char *)"test"};
        struct check_ctx ctx = {
                .profile = &profile,
                .hostname = "hv1",
                .roles = ROLE_BIT(ROLE_HYPERVISOR),
                .results = out,
        };
        usec_t start = now_usec();
        int r;

        ctx.deadline = start + timeout;
        r = runner_run(&ctx, units, n, sel);
        CHECK(r >= 0, "runner_run: %s", strerror(-r));
        *ret_elapsed = now_usec() - start;
}

static void test_all(void)
{
        const struct unit *units[] = {&good, &hang, &crash, &undecided, &server_only};
        struct selection sel = {0};
        struct result_list l = {0};
        const struct result *r;
        usec_t elapsed;

        run(units, ELEMENTSOF(units), &sel, 1 * USEC_PER_SEC, &l, &elapsed);
        /* the hanging unit costs the deadline (1 s) plus the grace, not more */
        CHECK(elapsed >= USEC_PER_SEC && elapsed < USEC_PER_SEC + 600 * USEC_PER_MSEC, "elapsed %llu us",
              (unsigned long long)elapsed);

        r = find(&l, "t.good.one");
        CHECK(r && r->status == STATUS_PASS && streq(r->message, "fine on hv1") &&
                      streq_ptr(r->reason, "fine"),
              "good.one");
        r = find(&l, "t.good.two");
        CHECK(r && r->status == STATUS_WARN && streq_ptr(r->hint, "do better on hv1") &&
                      streq(r->evidence, "/etc/x:3") && streq_ptr(r->reason, "risky"),
              "good.two carries the table's reason, its hint filled in, and evidence");
        r = find(&l, "t.hang");
        CHECK(r && r->status == STATUS_ERROR && strstr(r->message, "deadline") &&
                      streq_ptr(r->reason, "timeout"),
              "hang -> ERROR: %s", r ? r->message : "missing");
        r = find(&l, "t.crash");
        CHECK(r && r->status == STATUS_ERROR && strstr(r->message, "crashed") &&
                      streq_ptr(r->reason, "crashed"),
              "crash -> ERROR");
        r = find(&l, "t.undecided.part");
        CHECK(r && r->status == STATUS_PASS, "results before the error are kept");
        r = find(&l, "t.undecided");
        CHECK(r && r->status == STATUS_ERROR && strstr(r->message, "Input/output error") &&
                      streq_ptr(r->reason, "undecided"),
              "undecided -> ERROR");
        r = find(&l, "t.server");
        CHECK(r && r->status == STATUS_SKIP && strstr(r->message, "not applicable") &&
                      streq_ptr(r->reason, "not_applicable"),
              "role mismatch -> SKIP");
        CHECK(results_exit_code(&l) == EXIT_UNDECIDED, "ERROR without FAIL exits 3");
        /* registry order is kept */
        CHECK(l.n >= 2 && streq(l.items[0].id, "t.good.one") && streq(l.items[l.n - 1].id, "t.server"),
              "order");
        result_list_done(&l);
}

static void test_selection(void)
{
        const struct unit *units[] = {&good, &undecided};
        char *only_two[] = {(char *)"t.good.two", NULL};
        char *skip_undecided[] = {(char *)"t.undec*", NULL};
        char *typo[] = {(char *)"t.godo", NULL};
        struct selection sel = {.only = only_two};
        struct result_list l = {0};
        const char *bad = NULL;
        usec_t elapsed;

        run(units, ELEMENTSOF(units), &sel, 5 * USEC_PER_SEC, &l, &elapsed);
        CHECK(l.n == 1 && streq(l.items[0].id, "t.good.two"), "--only one result id: %zu results", l.n);
        result_list_done(&l);

        sel = (struct selection){.skip = skip_undecided};
        run(units, ELEMENTSOF(units), &sel, 5 * USEC_PER_SEC, &l, &elapsed);
        CHECK(l.n == 2 && !find(&l, "t.undecided"), "--skip glob");
        CHECK(results_exit_code(&l) == EXIT_READY, "WARN alone exits 0");
        result_list_done(&l);

        sel = (struct selection){.only = typo};
        CHECK(selection_validate(&sel, units, ELEMENTSOF(units), NULL, &bad) < 0 && bad &&
                      streq(bad, "t.godo"),
              "a pattern matching nothing is refused");
        sel = (struct selection){.only = only_two, .skip = skip_undecided};
        CHECK(selection_validate(&sel, units, ELEMENTSOF(units), NULL, &bad) == 0, "valid patterns");
}

/* ---- fix() in the unit's child ---- */

/* Every test unit with a fix shares this table: the ids below t.fixable are only the fixable unit's. */
static const struct result_def fixable_results[] = {
        {"t.fixable.conf", STATUS_FAIL, "wrong", "edit it"},
        {"t.fixable.note", STATUS_ERROR, "cannot_fix", NULL},
};

static int failing_check(struct check_ctx *ctx)
{
        return check_emit(ctx, &fixable_results[0], NULL, "wrong");
}

static int planning_fix(struct check_ctx *ctx, struct plan *plan)
{
        char *argv[] = {(char *)"exportfs", (char *)"-r", NULL};
        int r;

        /* it sees its own results of the check */
        if (ctx->results->n != 1 || !streq(ctx->results->items[0].id, "t.fixable.conf"))
                return -EBADMSG;
        r = plan_write_file(plan, "t.fixable", "/etc/t.conf", "old\n", "new\n", 0644, "make it right");
        if (r >= 0)
                r = plan_command(plan, "t.fixable", argv, "reload");
        if (r >= 0)
                r = check_emit(ctx, &fixable_results[1], NULL, "cannot fix the rest");
        return r;
}

/* A fix stuck in the kernel, as stat() on a dead hard NFS mount is: it never returns. */
static int blocking_fix(struct check_ctx *ctx, struct plan *plan)
{
        for (;;)
                pause();
        return 0;
}

static int failing_fix(struct check_ctx *ctx, struct plan *plan)
{
        return -ENOTRECOVERABLE;
}

static int never_fix(struct check_ctx *ctx, struct plan *plan)
{
        abort();
}

static const struct unit fixable = {
        .id = "t.fixable",
        .roles = ROLES_ALL,
        .results = fixable_results,
        .n_results = ELEMENTSOF(fixable_results),
        .check = failing_check,
        .fix = planning_fix,
};
static const struct unit blocking = {
        .id = "t.blocking",
        .roles = ROLES_ALL,
        .check = failing_check,
        .fix = blocking_fix,
};
static const struct unit broken = {
        .id = "t.broken",
        .roles = ROLES_ALL,
        .check = failing_check,
        .fix = failing_fix,
};
static const struct unit passing = {
        .id = "t.good",
        .roles = ROLES_ALL,
        .check = good_check,
        .fix = never_fix,
};

static int fix(const struct unit *const *units, size_t n, usec_t timeout, const struct result_list *before,
               struct plan *plan, char ***fixed, struct result_list *notes)
{
        struct conf profile = {.name = (char *)"test"};
        struct check_ctx ctx = {
                .profile = &profile,
                .hostname = "hv1",
                .roles = ROLE_BIT(ROLE_HYPERVISOR),
                .deadline = now_usec() + timeout,
        };
        struct selection sel = {0};

        return runner_fix(&ctx, units, n, &sel, before, plan, fixed, notes);
}

static void test_fix(void)
{
        const struct unit *units[] = {&passing, &blocking, &fixable};
        _cleanup_(strv_freep) char **fixed = NULL;
        struct result_list before = {0}, notes = {0};
        struct plan plan = {0};
        const struct result *r;
        usec_t start = now_usec(), elapsed;

        result_list_add(&before, "t.good.one", STATUS_PASS, "fine", NULL, NULL);
        result_list_add(&before, "t.blocking.conf", STATUS_FAIL, "wrong", NULL, NULL);
        result_list_add(&before, "t.fixable.conf", STATUS_FAIL, "wrong", NULL, NULL);
        CHECK(fix(units, ELEMENTSOF(units), 1 * USEC_PER_SEC, &before, &plan, &fixed, &notes) == 0,
              "runner_fix");
        elapsed = now_usec() - start;
        /* the blocked fix costs the deadline (1 s) plus the grace, never a hang */
        CHECK(elapsed >= USEC_PER_SEC && elapsed < 2 * USEC_PER_SEC, "elapsed %llu us",
              (unsigned long long)elapsed);
        r = find(&notes, "t.blocking");
        CHECK(r && r->status == STATUS_ERROR && strstr(r->message, "fix did not finish within the deadline"),
              "blocked fix -> ERROR: %s", r ? r->message : "missing");
        r = find(&notes, "t.fixable.note");
        CHECK(r && r->status == STATUS_ERROR && streq(r->message, "cannot fix the rest"), "notes come back");
        CHECK(!find(&notes, "t.fixable.conf"), "the check's own results are not notes");
        CHECK(strv_length(fixed) == 1 && streq(fixed[0], "t.fixable"), "fixed units: only the one that ran");
        CHECK(plan.n_actions == 2 && plan.actions[0].kind == ACTION_WRITE_FILE &&
                      streq(plan.actions[0].after, "new\n") && plan.actions[1].kind == ACTION_COMMAND &&
                      streq(plan.actions[1].argv[1], "-r"),
              "the plan comes back as data: %zu actions", plan.n_actions);
        plan_done(&plan);
        result_list_done(&notes);

        /* a fix that fails makes the run fail, as it did in the parent */
        const struct unit *one[] = {&broken};
        result_list_add(&before, "t.broken.conf", STATUS_FAIL, "wrong", NULL, NULL);
        CHECK(fix(one, 1, 5 * USEC_PER_SEC, &before, &plan, &fixed, &notes) == -ENOTRECOVERABLE,
              "failing fix");
        plan_done(&plan);
        result_list_done(&notes);
        result_list_done(&before);
}

/* What a unit gives that its table does not declare never passes as a result of its own. */
static void test_undeclared(void)
{
        const struct unit *units[] = {&sloppy, &unfilled};
        struct selection sel = {0};
        struct result_list l = {0};
        usec_t elapsed;
        size_t n_undeclared = 0;

        run(units, ELEMENTSOF(units), &sel, 5 * USEC_PER_SEC, &l, &elapsed);
        CHECK(find(&l, "t.sloppy.ok") && find(&l, "t.sloppy.ok")->status == STATUS_PASS, "declared passes");
        CHECK(!find(&l, "t.sloppy.other"), "an undeclared id is not passed on");
        for (size_t i = 0; i < l.n; i++) {
                const struct result *r = &l.items[i];

                if (!streq(r->id, "t.sloppy"))
                        continue;
                n_undeclared++;
                CHECK(r->status == STATUS_ERROR && streq_ptr(r->reason, "undeclared_result") &&
                              strstr(r->message, "t.sloppy") && strstr(r->message, "broken") &&
                              (strstr(r->message, "t.sloppy.other") || strstr(r->message, "t.sloppy.ok")),
                      "undeclared -> ERROR naming unit, id and reason: %s", r->message);
        }
        CHECK(n_undeclared == 2, "one ERROR per undeclared result: %zu", n_undeclared);
        CHECK(find(&l, "t.unfilled") && strstr(find(&l, "t.unfilled")->message, "Invalid argument"),
              "a placeholder without a value: the unit could not decide");
        CHECK(results_exit_code(&l) == EXIT_UNDECIDED, "undeclared results exit 3");
        result_list_done(&l);
}

static void test_exit_codes(void)
{
        struct result_list l = {0};

        CHECK(results_exit_code(&l) == EXIT_READY, "empty");
        result_list_add(&l, "a", STATUS_ERROR, "x", NULL, NULL);
        result_list_add(&l, "b", STATUS_FAIL, "x", NULL, NULL);
        CHECK(results_exit_code(&l) == EXIT_NOT_READY, "FAIL wins over ERROR");
        result_list_done(&l);
}

int main(void)
{
        test_all();
        test_selection();
        test_fix();

        test_undeclared();
        test_exit_codes();
        if (failures)
                fprintf(stderr, "%d check(s) failed\n", failures);
        return failures ? 1 : 0;
}

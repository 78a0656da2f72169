/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "runner.h"

#include <fnmatch.h>
#include <json-c/json.h>
#include <sys/wait.h>

#include "common.h"
#include "provision/plan.h"
#include "results-json.h"
#include "spawn.h"

/* How long past the deadline a child may take to hand over what it has. */
#define RUNNER_GRACE_USEC (250 * USEC_PER_MSEC)
/* What a unit's child may hand over: its results, or its fix's plan with the files' texts. */
#define RUNNER_REPORT_MAX (16u * 1024u * 1024u)

/* The runner's own results, about a unit rather than from it: their id is the unit's. */
enum {
        RUNNER_NOT_APPLICABLE,
        RUNNER_TIMEOUT,
        RUNNER_CRASHED,
        RUNNER_NO_RESULTS,
        RUNNER_UNDECIDED,
        RUNNER_UNDECLARED,
        RUNNER_FIX_TIMEOUT,
        RUNNER_FIX_CRASHED,
        RUNNER_FIX_NO_REPORT,
        RUNNER_FIX_BAD_PLAN,
        _RUNNER_RESULT_MAX,
};

#define RUNNER_HINT     "run with a longer --timeout, or check the host by hand"
#define RUNNER_FIX_HINT "run with a longer --timeout, or fix the host by hand"

const struct result_def runner_results[] = {
        [RUNNER_NOT_APPLICABLE] = {NULL, STATUS_SKIP, "not_applicable"},
        [RUNNER_TIMEOUT] = {NULL, STATUS_ERROR, "timeout", RUNNER_HINT},
        [RUNNER_CRASHED] = {NULL, STATUS_ERROR, "crashed", RUNNER_HINT},
        [RUNNER_NO_RESULTS] = {NULL, STATUS_ERROR, "no_results", RUNNER_HINT},
        [RUNNER_UNDECIDED] = {NULL, STATUS_ERROR, "undecided", RUNNER_HINT},
        [RUNNER_UNDECLARED] =
                {NULL, STATUS_ERROR, "undeclared_result",
                 "a bug in hostprep: the unit's result table must declare every result it gives"},
        [RUNNER_FIX_TIMEOUT] = {NULL, STATUS_ERROR, "fix_timeout", RUNNER_FIX_HINT},
        [RUNNER_FIX_CRASHED] = {NULL, STATUS_ERROR, "fix_crashed", RUNNER_FIX_HINT},
        [RUNNER_FIX_NO_REPORT] = {NULL, STATUS_ERROR, "fix_no_report", RUNNER_FIX_HINT},
        [RUNNER_FIX_BAD_PLAN] = {NULL, STATUS_ERROR, "fix_bad_plan", RUNNER_FIX_HINT},
};
const size_t runner_results_size = ELEMENTSOF(runner_results);
_Static_assert(ELEMENTSOF(runner_results) == _RUNNER_RESULT_MAX, "runner_results out of step");

static bool pattern_matches(const char *pattern, const char *id)
{
        return fnmatch(pattern, id, 0) == 0;
}

static bool patterns_match_unit(char *const *patterns, const struct unit *u)
{
        STRV_FOREACH (p, patterns) {
                if (pattern_matches(*p, u->id))
                        return true;
                for (size_t i = 0; i < u->n_results; i++)
                        if (pattern_matches(*p, u->results[i].id))
                                return true;
        }
        return false;
}

int selection_validate(const struct selection *sel, const struct unit *const *units, size_t n_units,
                       char *const *extra_ids, const char **ret_bad)
{
        char *const *lists[] = {sel->only, sel->skip};

        for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                STRV_FOREACH (p, lists[l]) {
                        char *one[] = {*p, NULL};
                        bool found = false;

                        for (size_t i = 0; i < n_units && !found; i++)
                                found = patterns_match_unit(one, units[i]);
                        STRV_FOREACH (id, extra_ids)
                                found = found || pattern_matches(*p, *id);
                        if (!found) {
                                *ret_bad = *p;
                                return -ENOENT;
                        }
                }
        return 0;
}

bool selection_unit(const struct selection *sel, const struct unit *u)
{
        if (sel->only && !patterns_match_unit(sel->only, u))
                return false;
        STRV_FOREACH (p, sel->skip)
                if (pattern_matches(*p, u->id))
                        return false;
        return true;
}

bool selection_id(const struct selection *sel, const char *group_id, const char *result_id)
{
        bool wanted = !sel->only;

        STRV_FOREACH (p, sel->only)
                if (pattern_matches(*p, group_id) || pattern_matches(*p, result_id))
                        wanted = true;
        STRV_FOREACH (p, sel->skip)
                if (pattern_matches(*p, group_id) || pattern_matches(*p, result_id))
                        return false;
        return wanted;
}

bool selection_result(const struct selection *sel, const struct unit *u, const char *result_id)
{
        bool wanted = !sel->only;

        STRV_FOREACH (p, sel->only)
                if (pattern_matches(*p, u->id) || pattern_matches(*p, result_id))
                        wanted = true;
        STRV_FOREACH (p, sel->skip)
                if (pattern_matches(*p, result_id))
                        return false;
        return wanted;
}

/* One unit's run in its own child: check() (runner_run) or fix() (runner_fix). */
struct job {
        struct check_ctx *ctx;
        const struct unit *unit;
        bool wanted;
        struct result_list mine; /* fix: this unit's results of the check, which fix() reads */
};

/* How a child that gave nothing usable ended, as the ERROR message; NULL when it handed over a report.
 * what: "check" or "fix". */
/* Why a child gave nothing (abandoned at the deadline, crashed), and the runner's result that says so;
 * NULL when it ended on its own. */
static char *job_failure(const struct spawn_job *p, bool fix, usec_t timeout, const struct result_def **ret)
{
        if (p->timed_out) {
                *ret = &runner_results[fix ? RUNNER_FIX_TIMEOUT : RUNNER_TIMEOUT];
                return strdup_printf("%s within the deadline of %.1f s (abandoned; see --timeout)",
                                     fix ? "fix did not finish" : "did not finish",
                                     (double)timeout / USEC_PER_SEC);
        }
        if (p->exited && WIFSIGNALED(p->wait_status)) {
                *ret = &runner_results[fix ? RUNNER_FIX_CRASHED : RUNNER_CRASHED];
                return strdup_printf("%s crashed (signal %d)", fix ? "fix" : "check",
                                     WTERMSIG(p->wait_status));
        }
        return NULL;
}

static char *job_no_report(const struct spawn_job *p, const char *what)
{
        if (p->exited && WIFEXITED(p->wait_status) && WEXITSTATUS(p->wait_status) != 0)
                return strdup_printf("%s ended without reporting results (exit status %d)", what,
                                     WEXITSTATUS(p->wait_status));
        return strdup_printf("%s ended without reporting results", what);
}

/* In the child: hands o to the parent as JSON. The exit status says whether all of it went. */
static int job_reply(int fd, json_object *o)
{
        const char *s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;

        return s && spawn_reply(fd, s, strlen(s)) >= 0 ? 0 : 3;
}

/* In the child: run the check, hand the results to the parent as JSON. */
static int check_child(void *userdata, int fd)
{
        const struct job *j = userdata;
        struct result_list results = {0};
        struct check_ctx child = *j->ctx;
        json_object *o;
        int r;

        /* units never print (the child's standard streams are /dev/null); and a unit abandoned while
         * stuck in the kernel holds nothing of hostprep's output open */
        child.results = &results;
        r = j->unit->check(&child);
        o = json_object_new_object();
        json_object_object_add(o, "rc", json_object_new_int(r));
        json_object_object_add(o, "results", results_to_json(&results));
        return job_reply(fd, o);
}

/* Runs fn for every wanted job, each in its own child, all at once, until the deadline (plus a short
 * grace for handing over what they have). procs[i] is jobs[i]'s child. */
static int jobs_run(struct job *jobs, struct spawn_job *procs, size_t n, int (*fn)(void *userdata, int fd),
                    usec_t deadline)
{
        for (size_t i = 0; i < n; i++) {
                int r;

                if (!jobs[i].wanted)
                        continue;
                procs[i] = (struct spawn_job){
                        .call = fn, .userdata = &jobs[i], .output_max = RUNNER_REPORT_MAX};
                r = spawn_start(&procs[i]);
                if (r < 0)
                        return r;
        }
        return spawn_wait_many(procs, n, deadline + RUNNER_GRACE_USEC);
}

/* Parses what a child handed over: {"rc": N, KEY: ...}; NULL when it is not that. */
static json_object *job_report(const struct spawn_job *p, const char *key, json_object **ret_rc,
                               json_object **ret_value)
{
        json_object *o = p->out ? json_tokener_parse(p->out) : NULL;

        if (o && json_object_object_get_ex(o, "rc", ret_rc) && json_object_object_get_ex(o, key, ret_value))
                return o;
        json_object_put(o);
        return NULL;
}

/* A result the unit's table does not declare is a bug in the unit: it is reported, never passed on. */
static int collect_result(struct check_ctx *ctx, const struct unit *u, const struct result *res)
{
        if (unit_declares(u, res))
                return result_list_add_copy(ctx->results, res);
        return result_list_add_def(
                ctx->results, &runner_results[RUNNER_UNDECLARED], u->id, NULL, NULL,
                "unit %s gave %s (%s, reason %s), which its result table does not declare", u->id, res->id,
                status_to_json(res->status), strna(res->reason));
}

/* Turns what a child handed over (or did not) into results. */
static int job_collect(struct check_ctx *ctx, const struct selection *sel, const struct job *j,
                       const struct spawn_job *p, usec_t timeout)
{
        const struct result_def *error = NULL;
        _cleanup_free_ char *why = job_failure(p, false, timeout, &error);
        struct result_list got = {0};
        json_object *o = NULL, *rc = NULL, *arr = NULL;
        int r = 0;

        if (!why) {
                o = job_report(p, "results", &rc, &arr);
                if (!o || results_from_json(arr, &got, NULL) < 0) {
                        error = &runner_results[RUNNER_NO_RESULTS];
                        why = job_no_report(p, "check");
                }
        }

        if (!error && json_object_get_int(rc) < 0) {
                error = &runner_results[RUNNER_UNDECIDED];
                why = strdup_printf("could not decide: %s", strerror(-json_object_get_int(rc)));
        }

        for (size_t i = 0; i < got.n && r >= 0; i++) {
                struct result *res = &got.items[i];
                if (selection_result(sel, j->unit, res->id))
                        r = collect_result(ctx, j->unit, res);
        }
        if (error && r >= 0)
                r = result_list_add_def(ctx->results, error, j->unit->id, NULL, NULL, "%s", strna(why));
        result_list_done(&got);
        json_object_put(o);
        return r;
}

static int not_applicable(struct check_ctx *ctx, const struct unit *u)
{
        _cleanup_free_ char *need = roles_to_string(u->roles), *have = roles_to_string(ctx->roles);

        if (ctx->roles_detected)
                return result_list_add_def(
                        ctx->results, &runner_results[RUNNER_NOT_APPLICABLE], u->id, NULL, NULL,
                        "not applicable: applies to %s; %s has role %s (found on the host)", strna(need),
                        ctx->hostname, strna(have));
        return result_list_add_def(ctx->results, &runner_results[RUNNER_NOT_APPLICABLE], u->id, NULL, NULL,
                                   "not applicable: applies to %s; %s has role %s in profile %s",
                                   strna(need), ctx->hostname, strna(have), strna(ctx->profile->name));
}

int runner_run(struct check_ctx *ctx, const struct unit *const *units, size_t n_units,
               const struct selection *sel)
{
        _cleanup_free_ struct job *jobs = calloc(n_units ? n_units : 1, sizeof(struct job));
        struct spawn_job *procs = calloc(n_units ? n_units : 1, sizeof(struct spawn_job));
        usec_t start = now_usec(), timeout = ctx->deadline > start ? ctx->deadline - start : 0;
        int r;

        if (!jobs || !procs) {
                free(procs);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n_units; i++) {
                jobs[i] = (struct job){.ctx = ctx, .unit = units[i]};
                jobs[i].wanted = selection_unit(sel, units[i]) && (units[i]->roles & ctx->roles);
        }
        r = jobs_run(jobs, procs, n_units, check_child, ctx->deadline);
        for (size_t i = 0; r >= 0 && i < n_units; i++) {
                const struct unit *u = units[i];

                if (!selection_unit(sel, u))
                        continue;
                if (!(u->roles & ctx->roles))
                        r = not_applicable(ctx, u);
                else
                        r = job_collect(ctx, sel, &jobs[i], &procs[i], timeout);
        }
        spawn_jobs_free(procs, n_units);
        return r;
}

/* ---- fix() in the unit's child ---- */

/* The results of one unit (ids below unit->id), copied. */
static int unit_results(const struct result_list *all, const struct unit *u, struct result_list *ret)
{
        size_t n = strlen(u->id);

        for (size_t i = 0; i < all->n; i++) {
                const struct result *r = &all->items[i];
                if (strneq(r->id, u->id, n) && (r->id[n] == '.' || r->id[n] == '\0') &&
                    result_list_add_copy(ret, r) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* In the child: run the fix on the check's results, hand over its plan and what it added (its notes). */
static int fix_child(void *userdata, int fd)
{
        struct job *j = userdata;
        struct check_ctx child = *j->ctx;
        size_t n_checked = j->mine.n;
        struct plan plan = {0};
        struct result_list notes;
        json_object *o;
        int r;

        child.results = &j->mine;
        r = j->unit->fix(&child, &plan);
        notes = (struct result_list){.items = j->mine.items + n_checked, .n = j->mine.n - n_checked};
        o = json_object_new_object();
        json_object_object_add(o, "rc", json_object_new_int(r));
        json_object_object_add(o, "notes", results_to_json(&notes));
        json_object_object_add(o, "plan", plan_to_json(&plan));
        return job_reply(fd, o);
}

/* Takes over what a fix planned and said. <0 (and nothing taken) when the fix itself failed, as a fix
 * that failed in the parent made the whole apply fail. */
static int fix_collect(const struct job *j, const struct spawn_job *p, usec_t timeout, struct plan *plan,
                       char ***fixed_units, struct result_list *notes)
{
        const struct result_def *error = NULL;
        _cleanup_free_ char *why = job_failure(p, true, timeout, &error);
        json_object *o = NULL, *rc = NULL, *arr = NULL, *actions = NULL;
        struct result_list got = {0};
        struct check_ctx out = {.results = notes};
        int r = 0;

        if (!why) {
                o = job_report(p, "notes", &rc, &arr);
                if (!o || !json_object_object_get_ex(o, "plan", &actions) ||
                    results_from_json(arr, &got, NULL) < 0) {
                        error = &runner_results[RUNNER_FIX_NO_REPORT];
                        why = job_no_report(p, "fix");
                }
        }
        if (!why && json_object_get_int(rc) < 0)
                r = json_object_get_int(rc);
        if (!why && r >= 0 && plan_from_json(actions, plan, NULL) < 0) {
                error = &runner_results[RUNNER_FIX_BAD_PLAN];
                why = strdup("fix handed over a plan hostprep cannot read");
        }
        if (!why && r >= 0)
                r = strv_push_dup(fixed_units, j->unit->id);
        /* what a fix says is checked against its unit's table like what its check says */
        for (size_t i = 0; !why && r >= 0 && i < got.n; i++)
                r = collect_result(&out, j->unit, &got.items[i]);
        if (why && r >= 0)
                r = result_list_add_def(notes, error, j->unit->id, NULL, NULL, "%s", why);
        result_list_done(&got);
        json_object_put(o);
        return r;
}

int runner_fix(struct check_ctx *ctx, const struct unit *const *units, size_t n_units,
               const struct selection *sel, const struct result_list *before, struct plan *plan,
               char ***ret_fixed_units, struct result_list *notes)
{
        _cleanup_free_ struct job *jobs = calloc(n_units ? n_units : 1, sizeof(struct job));
        struct spawn_job *procs = calloc(n_units ? n_units : 1, sizeof(struct spawn_job));
        usec_t start = now_usec(), timeout = ctx->deadline > start ? ctx->deadline - start : 0;
        int r = jobs && procs ? 0 : -ENOMEM;

        for (size_t i = 0; r >= 0 && i < n_units; i++) {
                const struct unit *u = units[i];

                jobs[i] = (struct job){.ctx = ctx, .unit = u};
                if (!u->fix || !selection_unit(sel, u) || !(u->roles & ctx->roles))
                        continue;
                r = unit_results(before, u, &jobs[i].mine);
                jobs[i].wanted = r >= 0 && check_failed(&(struct check_ctx){.results = &jobs[i].mine}, NULL);
        }
        if (r >= 0)
                r = jobs_run(jobs, procs, n_units, fix_child, ctx->deadline);
        for (size_t i = 0; r >= 0 && i < n_units; i++)
                if (jobs[i].wanted)
                        r = fix_collect(&jobs[i], &procs[i], timeout, plan, ret_fixed_units, notes);
        for (size_t i = 0; jobs && i < n_units; i++)
                result_list_done(&jobs[i].mine);
        spawn_jobs_free(procs, n_units);
        return r;
}

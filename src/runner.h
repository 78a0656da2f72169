/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "strv.h"
#include "unit.h"

struct selection {
        char **only; /* unit or result ids, or fnmatch(3) globs; NULL: everything */
        char **skip;
};

/* Every pattern must match a unit id or one of its result ids: a typo must not silently select nothing.
 * On failure *ret_bad is the first pattern that matches nothing (borrowed). */
int selection_validate(const struct selection *sel, const struct unit *const *units, size_t n_units,
                       char *const *extra_ids, const char **ret_bad);
/* For results that belong to no unit (comparisons across hosts): wanted by --only, not hit by --skip. */
bool selection_id(const struct selection *sel, const char *group_id, const char *result_id);
bool selection_unit(const struct selection *sel, const struct unit *u);
bool selection_result(const struct selection *sel, const struct unit *u, const char *result_id);

/*
 * Runs the selected units (normally unit_registry) against ctx (whose results list receives everything, in
 * registry order). Each unit runs in a child process that is abandoned at ctx->deadline (plus a short
 * grace): a check stuck in the kernel on a dead NFS mount cannot freeze hostprep. A unit that does not apply
 * to this host's roles gives one SKIP saying why.
 */
int runner_run(struct check_ctx *ctx, const struct unit *const *units, size_t n_units,
               const struct selection *sel);

/*
 * Plans the fixes: for each selected unit with a fix() that applies to ctx->roles and whose results in
 * before have something failing (check_failed()), runs fix() with ctx->results = that unit's results, in
 * the unit's own child under ctx->deadline (like check()): the plan comes back as data and is appended to
 * plan in unit order; what a fix adds after the check's results (what it cannot fix) goes to notes; each
 * unit whose fix ran is appended to *ret_fixed_units. A fix that does not finish by the deadline (stuck in
 * the kernel on a dead NFS mount) is abandoned and gives one ERROR for its unit in notes, never a hang.
 * <0 when a fix failed (returned <0), or on a failure to run them at all.
 */
int runner_fix(struct check_ctx *ctx, const struct unit *const *units, size_t n_units,
               const struct selection *sel, const struct result_list *before, struct plan *plan,
               char ***ret_fixed_units, struct result_list *notes);

/* What the runner itself may say about a unit (not applicable, timed out, crashed, gave a result its table
 * does not declare, ...), with the unit's id as the result id. */
extern const struct result_def runner_results[];
extern const size_t runner_results_size;

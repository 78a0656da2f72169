/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The apply flow on one host: check, plan what the units' fixes can do, make it (or show it), check again.
 * The CLI (hostprep apply) calls it once per round; it prints only to the streams it is given.
 */

#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "runner.h"
#include "unit.h"

struct flow_options {
        struct check_ctx ctx; /* the host, profile, identity, roles, peers; deadline and results unused */
        const struct selection *sel; /* --only, --skip */
        usec_t timeout;              /* of each run of the checks */
        bool dry_run;                /* show the changes, make none */
        bool force;                  /* also make disruptive changes */
        FILE *show;                  /* the plan and what was done, for people; NULL: nothing */
        FILE *log;                   /* warnings and the change log */
};

/*
 * Runs the flow. ret_results gets the results as reported: FIXED where a failing result passes after the
 * fix, ERROR with the reason where a fixed unit still fails, then what the fixes could not do.
 * *ret_apply_failed: the changes could not be made (and were undone). Returns <0 when the checks could
 * not run at all.
 */
int flow_apply(const struct flow_options *o, struct result_list *ret_results, bool *ret_apply_failed);

/* The checked host's system bus, where systemd runs it (the live host, or a booted container under --root);
 * *ret NULL where it does not: service actions then fail, saying why. */
int flow_bus_open(const struct hostfs *fs, usec_t deadline, sd_bus **ret);

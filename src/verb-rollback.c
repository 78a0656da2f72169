/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostprep rollback [RUN]: undo the last apply (or RUN) from its journal; --list lists the runs. */
#include "provision/apply.h"
#include "provision/flow.h"
#include "verbs.h"

static bool arg_list = false;
static bool arg_force = false;

enum {
        ARG_LIST = 0x100,
        ARG_FORCE,
};

const struct verb_option rollback_options[] = {
        {"list", no_argument, ARG_LIST, NULL, "list the recorded runs (RUN, state, start, changes, units)"},
        {"force", no_argument, ARG_FORCE, NULL, "also restore files that changed after the run"},
        {},
};

int rollback_parse(int id, const char *arg)
{
        switch (id) {
        case ARG_LIST:
                arg_list = true;
                return 0;
        case ARG_FORCE:
                arg_force = true;
                return 0;
        default:
                return -EINVAL;
        }
}

static int list_runs(const struct apply_options *ao)
{
        struct apply_run_info *runs = NULL;
        size_t n = 0;
        int r;

        r = apply_list_runs(ao, &runs, &n);
        if (r < 0) {
                fprintf(stderr, "hostprep: cannot list the runs: %s\n", strerror(-r));
                return EXIT_UNDECIDED;
        }
        if (n == 0)
                printf("No runs recorded.\n");
        for (size_t i = 0; i < n; i++)
                printf("%-22s %-16s %s  %zu change%s  %s\n", runs[i].id, strna(runs[i].state),
                       strna(runs[i].started), runs[i].n_entries, runs[i].n_entries == 1 ? "" : "s",
                       strempty(runs[i].units));
        apply_run_info_free_many(runs, n);
        return 0;
}

int verb_rollback(char **args)
{
        _cleanup_(hostfs_freep) struct hostfs *fs = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        struct apply_report areport = {0};
        struct apply_options ao;
        int r;

        r = hostfs_new(arg_root, &fs);
        if (r < 0) {
                fprintf(stderr, "hostprep: --root %s: %s\n", arg_root, strerror(-r));
                return EXIT_USAGE;
        }
        ao = (struct apply_options){.fs = fs, .force = arg_force, .log = stderr};
        if (arg_list) {
                ao.deadline = now_usec() + 10 * USEC_PER_SEC;
                return list_runs(&ao);
        }
        (void)flow_bus_open(fs, now_usec() + 10 * USEC_PER_SEC, &bus);
        ao.bus = bus;
        ao.deadline = now_usec() + 300 * USEC_PER_SEC;
        apply_crash_hook_from_env(&ao);
        r = apply_rollback(&ao, args[0], &areport);
        apply_report_print(stdout, &areport, false);
        if (r < 0) {
                fprintf(stderr, "hostprep: rollback: %s\n", areport.error ? areport.error : strerror(-r));
                apply_report_done(&areport);
                return EXIT_UNDECIDED;
        }
        if (r == 1)
                printf("Run %s was already rolled back; nothing to do.\n", areport.run_id);
        apply_report_done(&areport);
        return 0;
}

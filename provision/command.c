/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running a fix's command: no shell, a fixed PATH and environment, chrooted below --root, bounded output,
 * killed with its process group at the deadline. */
#include "command.h"

#include "pathlookup.h"
#include "pathnames.h"
#include "spawn.h"

#define COMMAND_PATH PATH_COMMAND_SEARCH

int apply_run_command(const struct hostfs *fs, char *const *argv, usec_t deadline, int *ret_status,
                      char **ret_output)
{
        char *const envp[] = {(char *)"PATH=" COMMAND_PATH, (char *)"LC_ALL=C", NULL};
        _cleanup_free_ char *exe = NULL;
        struct spawn_job job = {
                .argv = argv,
                .envp = envp,
                .root = hostfs_is_live(fs) ? NULL : hostfs_root(fs),
                .kill_group_at_exit = true,
                .output = SPAWN_OUTPUT_MERGED,
                .output_max = APPLY_OUTPUT_MAX,
        };
        int r;

        if (!argv || !argv[0])
                return -EINVAL;
        r = path_find_executable(fs, COMMAND_PATH, argv[0], &exe);
        if (r < 0)
                return r;
        job.path = exe;
        r = spawn_run(&job, deadline);
        if (r >= 0 && job.timed_out)
                r = -ETIMEDOUT;
        if (r >= 0 && !job.out && !(job.out = strdup("")))
                r = -ENOMEM;
        if (r >= 0) {
                *ret_status = job.wait_status;
                if (ret_output)
                        *ret_output = TAKE_PTR(job.out);
        }
        spawn_job_done(&job);
        return r;
}

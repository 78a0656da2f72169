/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running a fix's command: no shell, a fixed PATH and environment, chrooted below --root, bounded output,
 * killed with its process group at the deadline. */
#include "command.h"

#include <sys/stat.h>

#include "pathlookup.h"
#include "pathnames.h"
#include "spawn.h"
#include "strv.h"

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

int command_argv_present(const struct hostfs *fs, char *const *argv, char ***ret_argv, char ***ret_gone)
{
        _cleanup_(strv_freep) char **kept = NULL, **gone = NULL;
        size_t n_files = 0;

        if (!argv || !argv[0])
                return -EINVAL;
        if (strv_push_dup(&kept, argv[0]) < 0)
                return -ENOMEM;
        for (char *const *a = argv + 1; *a; a++) {
                struct stat st;
                bool is_file = (*a)[0] == '/';

                n_files += is_file;
                if (strv_push_dup(is_file && hostfs_stat(fs, *a, &st) == -ENOENT ? &gone : &kept, *a) < 0)
                        return -ENOMEM;
        }
        if (n_files > 0 && strv_length(gone) == n_files)
                kept = strv_free(kept);
        *ret_argv = TAKE_PTR(kept);
        *ret_gone = TAKE_PTR(gone);
        return 0;
}

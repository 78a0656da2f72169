/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "procfind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "strv.h"
#include "util.h"

bool proc_runs_program(const struct hostfs *fs, const char *pid, const char *program)
{
        _cleanup_free_ char *path = strdup_printf("/proc/%s/comm", pid), *comm = NULL;
        const char *c;
        size_t n;

        if (!path || hostfs_read_file(fs, path, &comm, NULL) < 0)
                return false;
        c = strip(comm);
        n = strlen(c);
        return n > 0 && n <= 15 && strneq(program, c, n) && (program[n] == '\0' || n == 15);
}

int proc_find_program(const struct hostfs *fs, const char *program, char **ret)
{
        _cleanup_(strv_freep) char **pids = NULL;
        unsigned pid;

        *ret = NULL;
        if (hostfs_list_dir(fs, "/proc", &pids) < 0)
                return 0;
        STRV_FOREACH (p, pids)
                if (safe_atou(*p, &pid) >= 0 && proc_runs_program(fs, *p, program)) {
                        *ret = strdup(*p);
                        return *ret ? 0 : -ENOMEM;
                }
        return 0;
}

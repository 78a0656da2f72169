/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The old names of spawn.h's job runner, for the callers not converted yet (src/main.c's SSH fan-outs,
 * which move to peers_exec()). New code uses spawn.h; remove this header with its last user.
 */

#include "spawn.h"

#define EXEC_OUTPUT_MAX SPAWN_OUTPUT_MAX
#define exec_job        spawn_job

static inline void exec_job_done(struct spawn_job *j)
{
        spawn_job_done(j);
}

static inline int exec_run_many(struct spawn_job *jobs, size_t n, usec_t deadline)
{
        return spawn_run_many(jobs, n, deadline);
}

static inline int exec_run(struct spawn_job *job, usec_t deadline)
{
        return spawn_run(job, deadline);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Runs programs without a shell: argv goes to execvp as it is, so nothing from input is ever parsed by a
 * shell. stdin is fed from a buffer, stdout and stderr are captured (bounded), and every job ends by the
 * deadline: what still runs then is killed (SIGKILL to its process group) and marked timed out. Many jobs
 * run in parallel under one poll loop, so a dead peer costs its deadline, not the run.
 */

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define EXEC_OUTPUT_MAX (4u * 1024u * 1024u)

struct exec_job {
        /* in */
        char *const *argv;
        const char *input; /* fed to stdin, may be NULL (stdin is then /dev/null) */
        size_t input_len;
        /* out */
        int exit_status; /* exit code, or 128 + signal */
        bool timed_out;
        bool spawn_failed; /* execvp failed: errno in spawn_errno (exit_status 127) */
        int spawn_errno;
        char *out;
        size_t out_len;
        char *err;
        size_t err_len;
        usec_t duration;
};

void exec_job_done(struct exec_job *j);

/* Runs all jobs at once; returns when all ended or were killed at the deadline. <0 only when jobs could
 * not be started at all (then none runs). */
int exec_run_many(struct exec_job *jobs, size_t n, usec_t deadline);
int exec_run(struct exec_job *job, usec_t deadline);

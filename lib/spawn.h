/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The one way hostprep starts processes: a program (argv without a shell) or a function of ours run in a
 * child (fork and call). Every child gets its own process group and a pidfd; waiting is one poll() over
 * the pidfds and pipes of all jobs, so many jobs cost the longest of them, not their sum, and nothing
 * sleeps in a loop.
 *
 * Deadlines: what still runs at the deadline is killed (SIGKILL to its whole process group) and given a
 * short grace to go; a child that does not go then is stuck in the kernel (D state on a dead NFS hard
 * mount) and is abandoned, never waited for. A child that exited is done even when something it started
 * still holds its output pipe open: the pidfd says it exited, what it wrote is read, the pipe is let go.
 *
 * Standard input: written at start as far as the pipe takes it (64 KiB), so a small input's pipe is
 * closed before spawn_start() returns and no child forked later (a unit stuck in the kernel) can keep
 * the program from seeing EOF.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util.h"

#define SPAWN_OUTPUT_MAX (4u * 1024u * 1024u)
/* How long a child killed at the deadline may take to go before it is abandoned. */
#define SPAWN_KILL_GRACE_USEC (100 * USEC_PER_MSEC)

enum spawn_output {
        SPAWN_OUTPUT_SPLIT,  /* stdout into out, stderr into err */
        SPAWN_OUTPUT_MERGED, /* both into out, in the order written */
        SPAWN_OUTPUT_FD,     /* both to output_fd (a log file); nothing captured */
        SPAWN_OUTPUT_NULL,   /* both to /dev/null */
        _SPAWN_OUTPUT_MAX,
};

enum spawn_input {
        SPAWN_INPUT_BUFFER, /* input (input_len bytes); input NULL: /dev/null */
        SPAWN_INPUT_FD,     /* input_fd, e.g. a pipe whose other end the caller keeps */
        _SPAWN_INPUT_MAX,
};

struct spawn_running; /* a started job's pidfd and pipes */

struct spawn_job {
        /* in: a program ... */
        char *const *argv; /* argv[0] names the program unless path is set */
        const char *path;  /* the file to run; NULL: argv[0], looked up in this process's PATH */
        char *const *envp; /* NULL: this process's environment */
        const char *root;  /* chroot into this directory (and chdir /) before exec; NULL or "/": none */
        bool kill_group_at_exit; /* what the program left running in its process group dies with it */
        bool die_with_parent;    /* PR_SET_PDEATHSIG: killed if hostprep is */
        /* ... or a function of ours, run in the child instead (argv NULL): what it writes to fd comes back
         * in out; its standard streams are /dev/null; its return value is the child's exit status */
        int (*call)(void *userdata, int fd);
        void *userdata;

        enum spawn_input input_kind;
        const char *input;
        size_t input_len;
        int input_fd;
        enum spawn_output output;
        int output_fd;
        size_t output_max; /* per stream; 0: SPAWN_OUTPUT_MAX (the start is kept, the rest dropped) */

        /* out */
        pid_t pid;
        int exit_status;   /* exit code, or 128 + signal */
        int wait_status;   /* as waitpid(2) gives it; 0 when timed out */
        bool exited;       /* reaped: exit_status and wait_status are the child's */
        bool timed_out;    /* killed at the deadline (and abandoned when it did not go) */
        bool spawn_failed; /* the program could not be run: errno in spawn_errno (exit_status 127) */
        int spawn_errno;
        char *out;
        size_t out_len;
        char *err;
        size_t err_len;
        usec_t duration;

        struct spawn_running *running; /* private */
};

/* Frees what the job captured; a job still running is killed and abandoned. */
void spawn_job_done(struct spawn_job *j);
void spawn_jobs_free(struct spawn_job *jobs, size_t n);

/* Starts the job. <0 when it could not be started (nothing runs then). */
int spawn_start(struct spawn_job *j);
/* Waits for started jobs (others are ignored) until all ended or the deadline passed (then they are
 * killed, and abandoned if they do not go). <0 only on a failure of poll itself or out of memory. */
int spawn_wait_many(struct spawn_job *jobs, size_t n, usec_t deadline);
/* The same, but returns at until without killing anything (to show progress, then wait on): 0 with
 * *ret_running the number of jobs still running, or <0 like spawn_wait_many(). */
int spawn_wait_until(struct spawn_job *jobs, size_t n, usec_t until, size_t *ret_running);
/* Starts all jobs at once and waits for them. <0 when jobs could not be started (then none runs). */
int spawn_run_many(struct spawn_job *jobs, size_t n, usec_t deadline);
int spawn_run(struct spawn_job *j, usec_t deadline);

/*
 * Fork and call: runs fn(userdata, fd) in a child and returns what it wrote to fd (NUL-terminated, at
 * most max bytes, 0: SPAWN_OUTPUT_MAX) in *ret_out and its wait status in *ret_status: 0. -ETIMEDOUT when
 * the deadline passed first (the child was killed and, if stuck in the kernel, abandoned).
 */
int spawn_call(usec_t deadline, int (*fn)(void *userdata, int fd), void *userdata, size_t max,
               char **ret_out, size_t *ret_len, int *ret_status);

/* For fn in the child: writes all of data to fd. 0 or a negative errno. */
int spawn_reply(int fd, const void *data, size_t len);

/*
 * Start only, for long-lived children (a QEMU): the child runs on after this returns, in its own process
 * group; the caller waits for it or stops it by its pid. Nothing is captured: only SPAWN_INPUT_FD or
 * /dev/null, SPAWN_OUTPUT_FD or SPAWN_OUTPUT_NULL.
 */
int spawn_background(const struct spawn_job *j, pid_t *ret_pid);
/* Waits (poll on a pidfd) for child pid to exit, and reaps it: 0, or -ETIMEDOUT at the deadline. */
int spawn_wait_pid(pid_t pid, usec_t deadline, int *ret_status);
/* Ends child pid: waits grace for it to go by itself, then SIGTERM and grace again, then SIGKILL to its
 * process group; one that does not go within SPAWN_KILL_GRACE_USEC after that is abandoned (-ETIMEDOUT). */
int spawn_stop_pid(pid_t pid, usec_t grace, int *ret_status);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The executor: carries out a plan (plan.h) on a host, through its root, so that a host is never left
 * worse than it was found.
 *
 * - One run at a time: STATE/lock (flock; the file names the holder's pid, emptied at a clean end). A
 *   second apply or rollback waits up to APPLY_LOCK_WAIT for a live holder, then gets -EBUSY, the error
 *   naming the holder's pid; a dead (or zombie) holder's lock is taken over, said on the log stream.
 * - Nothing half-done by design: every file the plan edits (and every libvirt domain definition it
 *   redefines) is compared with the text the plan was made from before anything changes; one that
 *   differs stops the whole apply (-ESTALE), nothing touched.
 * - Every change is journalled first: STATE/runs/RUNID/journal.json gets the entry (with a backup of the
 *   file in STATE/runs/RUNID/files/) and is fsynced before the change, and is marked done after, so a
 *   process killed at any point leaves a journal that apply_rollback() can undo.
 * - Files are replaced atomically (temporary file in the same directory, fsync, rename, fsync of the
 *   directory) and keep their mode, owner and SELinux label.
 * - A failing action stops the run and, unless keep_on_failure, the run is rolled back at once.
 * - Disruptive actions run only with force; without it they are reported as skipped, with the reason.
 *
 * STATE is state_dir below the root (default /var/lib/hostprep). Each change is logged to the systemd
 * journal (fields HOSTPREP_RUN, HOSTPREP_UNIT, HOSTPREP_ACTION, HOSTPREP_PATH, HOSTPREP_SERVICE) when
 * journald runs here, else as one line to the caller's log stream.
 *
 * Errors are negative errnos; the report says per action what happened and why, and report->error says
 * in one sentence why a run stopped. Nothing here prints, except the change log and the *_print helpers,
 * to the streams the caller passes.
 *
 * Where it lives: apply.c (preflight, one journalled step per action), journal.c (state directory,
 * journal, the list of runs), lock.c (the lock), rollback.c, command.c (running a command), libvirt-domain.c
 * (reading and defining a domain's definition), apply-report.c (the report and the change log); the atomic
 * replacement of a file is lib/atomicfile.c.
 */

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "command.h"
#include "hostfs.h"
#include "pathnames.h"
#include "plan.h"
#include "util.h"

#define APPLY_STATE_DIR_DEFAULT PATH_HOSTPREP_STATE_DIR
#define APPLY_TIMEOUT_DEFAULT   (300 * USEC_PER_SEC)
#define APPLY_LOCK_WAIT         (15 * USEC_PER_SEC) /* for a live holder of the lock */
#define APPLY_RUN_ID_MAX        32                  /* "20261121T212345Z-001" and its NUL fit */

/* Which old runs apply removes after a run (prune.c): those beyond the last keep_runs that began more than
 * keep_days ago; never the latest, nor one rollback still has to finish. */
struct apply_prune_policy {
        unsigned keep_runs;
        unsigned keep_days;
};

struct apply_options {
        const struct hostfs *fs; /* the host, through its root (--root) */
        const char *state_dir;   /* as seen on the host; NULL: APPLY_STATE_DIR_DEFAULT */
        sd_bus *bus;             /* the host's system bus; NULL: service actions fail, saying why */
        usec_t deadline;         /* CLOCK_MONOTONIC; 0: APPLY_TIMEOUT_DEFAULT from now */
        bool dry_run;            /* change nothing: say what would be done */
        bool force;              /* also run disruptive actions */
        bool keep_on_failure;    /* leave what a failed run did in place (default: roll it back) */
        FILE *log;               /* change log when journald is not running; NULL: none */
        bool no_journald;        /* log to log even when journald runs */
        /* Tests: called at every point where a crash leaves a distinct state on disk ("journal",
         * "backup", "temp", "renamed", "done", ...), e.g. to _exit() there. NULL in production. */
        void (*crash_point)(const char *where, void *userdata);
        void *userdata;
        const struct apply_prune_policy *prune; /* NULL: every run is kept */
        /* Set (by a signal handler: Ctrl-C) to stop the run after the action under way; a run so stopped
         * is undone like a failed one and returns -EINTR. NULL: never. */
        const volatile sig_atomic_t *interrupted;
};

enum apply_status {
        APPLY_NOT_RUN,   /* an earlier failure or refusal stopped the run first */
        APPLY_PLANNED,   /* dry run: would change */
        APPLY_DONE,      /* changed */
        APPLY_UNCHANGED, /* already so */
        APPLY_SKIPPED,   /* not run on purpose: disruptive without force, not reversible, ... */
        APPLY_FAILED,
        _APPLY_STATUS_MAX,
};

/* "not run", "would change", "done", "unchanged", "skipped", "failed" */
const char *apply_status_to_string(enum apply_status s);

struct apply_result {
        enum apply_status status;
        char *what;   /* "edit /etc/exports", "enable nfs-server.service", "restore /etc/exports", ... */
        char *reason; /* why skipped or failed, or a note; may be NULL */
        char *output; /* a command's captured output (bounded); may be NULL */
};

struct apply_report {
        char run_id[APPLY_RUN_ID_MAX]; /* "" when nothing was recorded (dry run, nothing to do, refusal) */
        struct apply_result *results;  /* apply: one per plan action, same order, then (when a failure was
                                          rolled back) the undo steps; rollback: per journal entry, in the
                                          order they were undone */
        size_t n_results;
        char *error;      /* why the run stopped, one sentence; NULL when it did not */
        bool rolled_back; /* apply: a failure was undone; rollback: set when it undid something */
};

void apply_report_done(struct apply_report *r);

/* Carries out (or with dry_run, checks and describes) plan. report must be zeroed by the caller; it is
 * filled in every case, failures included. Returns 0 when every action is done, unchanged or skipped;
 * -EBUSY another run holds the lock; -ESTALE a file changed since the plan read it (nothing changed);
 * -EINTR o->interrupted was set (the actions done were undone);
 * else the error of the first action that failed (the run then rolled back unless keep_on_failure). */
int apply_plan(const struct plan *plan, const struct apply_options *o, struct apply_report *report);

/* Undoes run run_id (NULL: the latest run): files restored byte for byte with their mode, owner and
 * label, files the run created removed, directories it created removed when empty, unit enablement and
 * services it started or stopped put back, domains it redefined defined as they were. Restarts, reloads
 * and commands cannot be undone: reported as skipped. A file or a domain definition changed since the run
 * stops the rollback before anything is undone (-ESTALE) unless force. Returns 0 when undone, 1 when the run
 * was already rolled back (nothing done), -ENOENT no such run, -EBUSY, or the first error (the run stays
 * open: rollback can be tried again). */
int apply_rollback(const struct apply_options *o, const char *run_id, struct apply_report *report);

struct apply_run_info {
        char id[APPLY_RUN_ID_MAX];
        char *state; /* "applying", "applied", "failed", "rolling-back", "rolled-back", "rollback-failed" */
        char *started; /* UTC, ISO 8601 */
        size_t n_entries;
        char *units; /* the check units involved, comma-separated */
};

void apply_run_info_free_many(struct apply_run_info *runs, size_t n);

/* Every recorded run, oldest first (for `hostprep rollback --list`). *ret_n 0 when there are none. */
int apply_list_runs(const struct apply_options *o, struct apply_run_info **ret, size_t *ret_n);

/* The report as the CLI shows it: one line per result, its reason, a command's output indented, and the
 * run id with how to roll it back. */
void apply_report_print(FILE *f, const struct apply_report *r, bool dry_run);

/* The test hook HOSTPREP_CRASH_POINT=WHERE[:SIGNAL][@N] (hostprep(8), ENVIRONMENT): sets o->crash_point
 * so that the process sends itself SIGNAL (a number or a name as kill -l gives them: INT, KILL, STOP;
 * default KILL) the Nth time (default 1) it reaches crash point WHERE. A malformed value is said on o->log
 * and ignored. */
void apply_crash_hook_from_env(struct apply_options *o);

/* Replaces path (through fs) by data atomically: atomic_write_file() of lib/atomicfile.h. */
int apply_write_file(const struct hostfs *fs, const char *path, const void *data, size_t len, mode_t mode);

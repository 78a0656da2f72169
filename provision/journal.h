/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The state directory, the lock and the run journal of the executor (apply.h says what they promise).
 * Layout: STATE/lock, STATE/runs/RUNID/journal.json and STATE/runs/RUNID/files/ (backups: SEQ.old, and
 * the text written: SEQ.new). RUNID is the UTC time and a counter, so names sort in the order runs began.
 * Every function that can fail for a reason the operator must see says it in report->error.
 */

#include <json-c/json.h>

#include "apply-internal.h"
#include "atomicfile.h"

struct run {
        const struct apply_options *o;
        usec_t deadline;
        int state_fd;
        int lock_fd;
        int run_fd;
        int files_fd;
        char id[APPLY_RUN_ID_MAX];
        json_object *journal;
        json_object *entries; /* borrowed from journal */
};

void run_init(struct run *run, const struct apply_options *o);
void run_done(struct run *run);

/* o->state_dir or the default. */
const char *state_dir(const struct apply_options *o);

/* Opens the state directory (with create: making it and its parents first). */
int run_open_state(struct run *run, bool create, struct apply_report *report);
/* Takes STATE/lock (lock.c): waits up to APPLY_LOCK_WAIT for a live holder, then -EBUSY naming it; takes
 * it over from a dead one, saying so on o->log. */
int run_lock(struct run *run, struct apply_report *report);
/* Empties and releases the lock (run_done does it). */
void run_unlock(struct run *run);
/* A new run with an empty journal in state "applying"; its id goes to report->run_id. */
int run_create(struct run *run, struct apply_report *report);
/* Opens the existing run id and reads its journal. */
int run_load(struct run *run, const char *id, struct apply_report *report);
/* The id of the latest run (APPLY_RUN_ID_MAX bytes at ret). -ENOENT when there is none. */
int run_latest_id(const struct apply_options *o, char *ret, struct apply_report *report);

/* Removes the old runs apply_options.prune lets go (prune.c says which are always kept), at time now;
 * *ret_pruned (optional) their ids, NULL when none. Needs the lock. */
int run_prune(struct run *run, time_t now, char ***ret_pruned);

/* Writes the journal durably (atomically replaced, synced). */
int run_save(struct run *run);
int run_set_state(struct run *run, const char *state);
/* Appends entry to the journal (taking it) and makes that durable: the change it announces may start. */
int run_journal_add(struct run *run, json_object *entry);

/* A new entry {seq, kind, unit, status: "pending"} for action a (NULL: no unit). NULL on -ENOMEM. */
json_object *entry_new(struct run *run, const char *kind, const struct action *a);
/* Sets the entry's status ("done", "failed") and saves the journal. */
int entry_set_status(struct run *run, json_object *entry, const char *status);
/* A file mode in an entry, as operators write it ("0640"); json_mode gives 0600 when absent or bad. */
int json_add_mode(json_object *o, mode_t mode);
mode_t json_mode(json_object *o);

/* The meta data of the run's private copies (backups, the journal): root's, 0600, never labelled
 * after a host path. */
extern const struct file_meta run_private_meta;

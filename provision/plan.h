/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A plan: what a unit's fix() wants changed, as data. Nothing here touches the host; provision/apply.c
 * (the executor) shows a plan as unified diffs (--dry-run) or carries it out, atomically, with backups and
 * a journal so `hostprep rollback` can undo it.
 *
 * Paths are absolute as seen on the host being prepared; the executor reads and writes them through the
 * root (--root), like checks read them.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "macro.h"

enum action_kind {
        ACTION_WRITE_FILE, /* replace a file's whole text: before (NULL: file absent) -> after */
        ACTION_MKDIR,      /* create a directory (and missing parents) with mode */
        ACTION_SERVICE,    /* a systemd unit: enable, disable, start, stop, restart, reload */
        ACTION_COMMAND,    /* run argv (no shell), e.g. exportfs -r */
        _ACTION_KIND_MAX,
};

enum service_op {
        SERVICE_ENABLE,
        SERVICE_DISABLE,
        SERVICE_START,
        SERVICE_STOP,
        SERVICE_RESTART,
        SERVICE_RELOAD,
        _SERVICE_OP_MAX,
};

struct action {
        enum action_kind kind;
        char *unit_id;    /* the check unit that planned it, e.g. "nfs.export" */
        char *why;        /* one line for the operator */
        char *disruption; /* non-NULL: what running guests/clients would suffer; needs --force */

        char *path;   /* WRITE_FILE, MKDIR */
        char *before; /* WRITE_FILE: the text the fix read (NULL: absent); apply refuses if it changed since */
        char *after;  /* WRITE_FILE: the new text */
        mode_t mode;  /* WRITE_FILE for a new file, MKDIR */

        char *service;      /* SERVICE: "nfs-server.service" */
        enum service_op op; /* SERVICE */

        char **argv; /* COMMAND, NULL-terminated */
};

struct plan {
        struct action *actions;
        size_t n_actions;
};

void plan_done(struct plan *p);

/* Each returns 0 or -ENOMEM; strings are copied. why may be NULL. */
int plan_write_file(struct plan *p, const char *unit_id, const char *path, const char *before, const char *after,
                    mode_t mode, const char *why);
int plan_mkdir(struct plan *p, const char *unit_id, const char *path, mode_t mode, const char *why);
int plan_service(struct plan *p, const char *unit_id, const char *service, enum service_op op, const char *why);
int plan_command(struct plan *p, const char *unit_id, char *const *argv, const char *why);
/* Marks the last added action as disruptive, saying why (planned, but executed only with --force). */
int plan_mark_disruptive(struct plan *p, const char *why);

const char *service_op_to_string(enum service_op op);

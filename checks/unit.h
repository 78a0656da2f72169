/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The unit model. A unit is one concern (an NFS export, a mount, libvirt listening, ...), declared once as
 * a static const struct in its own file and listed in registry.c. check() only observes: it never changes
 * the host and never prints; it reports through check_emit(). Each result has a stable id below the
 * unit's id (nfs.export.root_squash), a one-line message, a hint for fixing it by hand and evidence.
 *
 * Every result a unit gives is an entry of its result table (struct result_def): the id, the status, a
 * reason (what scripts and fixes decide on) and the hint. One id has an entry per finding (per reason). The
 * table is the unit's documentation too: `hostprep list`, hostprep-units(7) and the JSON come from it, and
 * a result that is not in it becomes an ERROR (undeclared_result) when the runner collects it. The
 * result-tables unit test checks every table: ids below the unit's, snake_case reasons, no hint on PASS
 * or SKIP, a hint on every WARN and FAIL (ERROR may have one). Results of fix() take the id UNIT.fix.
 *
 * Both functions run in a child of the runner under one deadline (--timeout); what they emit is handed
 * back to the parent. A negative errno returned from check() is reported as ERROR (undecided) after
 * what was emitted, so a unit returns what its last check_emit() returned. A negative return from fix()
 * makes apply fail: what the fix cannot do it says with an ERROR result of its table and returns 0.
 */

#include <stdarg.h>
#include <stdbool.h>

#include "conf.h"
#include "hostfs.h"
#include "macro.h"
#include "util.h"

enum status {
        STATUS_PASS,
        STATUS_WARN,
        STATUS_FAIL,
        STATUS_SKIP,  /* not applicable, with why */
        STATUS_ERROR, /* could not decide, with why */
        STATUS_FIXED,
        _STATUS_MAX,
        _STATUS_INVALID = -1,
};

const char *status_to_string(enum status s); /* "PASS", ... */
const char *status_to_json(enum status s);   /* "pass", ... */
enum status status_from_json(const char *s);

enum role {
        ROLE_NFS_SERVER,
        ROLE_HYPERVISOR,
        _ROLE_MAX,
        _ROLE_INVALID = -1,
};

#define ROLE_BIT(r) (1u << (r))
#define ROLES_ALL   ((1u << _ROLE_MAX) - 1)

const char *role_to_string(enum role r);
enum role role_from_string(const char *s);
/* "nfs-server, hypervisor" or "none"; caller frees. */
char *roles_to_string(unsigned roles);

struct result {
        char *id;
        enum status status;
        char *reason; /* machine-readable why (a code from the unit's result table); may be NULL */
        char *message;
        char *hint;     /* may be NULL */
        char *evidence; /* may be NULL */
};

struct result_list {
        struct result *items;
        size_t n;
};

/* One result a unit may give, declared once in the unit's table. */
struct result_def {
        const char *id; /* below the unit's id; NULL in the runner's own table: the unit's id itself */
        enum status status;
        const char *reason; /* snake_case, stable: what programs and fixes decide on, never the message */
        const char *hint;   /* how to fix it by hand, may be NULL; @KEY@ is filled in when emitted */
};

/* The values for a hint's @KEY@ placeholders: HINT_VALUES("EXPORT", export, "CLIENT", name). */
#define HINT_VALUES(...) ((const char *const[]){__VA_ARGS__, NULL})
/* If p starts a placeholder (@ capital letters @), the length of its KEY, else 0 ("root@PEER" is text). */
size_t hint_placeholder(const char *p);

void result_list_done(struct result_list *l);
/* Adds a result of entry def (with id instead of def->id when id is not NULL), its message formatted from
 * fmt. hint_values fills the hint's placeholders; a placeholder without a value is -EINVAL. */
int result_list_add_defv(struct result_list *l, const struct result_def *def, const char *id,
                         const char *const *hint_values, const char *evidence, const char *fmt, va_list ap)
        _printf_(6, 0);
int result_list_add_def(struct result_list *l, const struct result_def *def, const char *id,
                        const char *const *hint_values, const char *evidence, const char *fmt, ...)
        _printf_(6, 7);
int result_list_add(struct result_list *l, const char *id, enum status status, const char *message,
                    const char *hint, const char *evidence);
/* Appends a copy of r (every field, the reason too). */
int result_list_add_copy(struct result_list *l, const struct result *r);
/* Appends r as said again with another status, message and hint (FIXED after apply, a preflight's failure
 * as a warning): id, reason and evidence stay r's. */
int result_list_add_restated(struct result_list *l, const struct result *r, enum status status,
                             const char *message, const char *hint);
/* The same finding: the same id and reason (messages are for people and never compared). */
bool result_same(const struct result *a, const struct result *b);
/* Whether r is one of the n entries of defs: the same id, status and reason. */
bool result_defs_contain(const struct result_def *defs, size_t n, const struct result *r);

/* What a check sees: the host (through its root), the profile, who this host is, and a deadline. */
struct check_ctx {
        const struct hostfs *fs;
        const struct conf *profile;
        const char *hostname;
        unsigned roles;
        char *const *peers; /* the other hosts: the profile's [hosts] and --peer, without this one */
        usec_t deadline;    /* CLOCK_MONOTONIC; every blocking call must end by then */
        struct result_list *results;
        /* the roles were found on the host: neither the profile's [hosts] nor --role names one */
        bool roles_detected;
};

/* Records one result of the unit's table entry def; evidence may be NULL. Returns 0, -ENOMEM, or -EINVAL
 * when the hint has a placeholder without a value (a bug the golden cases show). (Macros,
 * so the message's format is checked at every emit site through result_list_add_def().) */
#define check_emit(ctx, def, evidence, ...)                                                                 \
        result_list_add_def((ctx)->results, def, NULL, NULL, evidence, __VA_ARGS__)
/* The same, for an entry whose hint has @KEY@ placeholders: HINT_VALUES("KEY", value, ...). */
#define check_emit_hint(ctx, def, hint_values, evidence, ...)                                               \
        result_list_add_def((ctx)->results, def, NULL, hint_values, evidence, __VA_ARGS__)

/* Hosts of the profile's [hosts] section that have role r, in profile order. */
int check_hosts_with_role(const struct check_ctx *ctx, enum role r, char ***ret);

/* A fix's plan of changes, as data (file edits, service actions, commands): defined with `apply`. */
struct plan;

struct unit {
        const char *id;    /* "area.concern", lowercase: libvirt.listen */
        const char *title; /* a lowercase clause, no full stop: `hostprep list` shows it as it is,
                            * hostprep-units(7) capitalizes it as a sentence */
        unsigned roles;    /* ROLE_BIT()s this unit applies to */
        const struct result_def *results; /* every result check() and fix() may give */
        size_t n_results;
        int (*check)(struct check_ctx *ctx);
        /* Optional. Plans changes (never makes them) for what check() found, when it gave a FAIL or WARN:
         * ctx->results holds this unit's results of the check just run (decide with check_gave()). What it
         * cannot fix it says with an ERROR result. */
        int (*fix)(struct check_ctx *ctx, struct plan *plan);
};

/* registry.c: every unit, in the order they run and are listed. */
extern const struct unit *const unit_registry[];
extern const size_t unit_registry_size;
const struct unit *unit_find(const char *id);
/* Whether r is declared in u's result table. */
bool unit_declares(const struct unit *u, const struct result *r);

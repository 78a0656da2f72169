/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the executor's files (apply.c, journal.c, rollback.c, apply-report.c) share; not an interface. */

#include "apply.h"
#include "macro.h"
#include "systemd.h"

/* The report. report_add takes what (NULL: -ENOMEM, NULL returned). */
struct apply_result *report_add(struct apply_report *r, enum apply_status status, char *what);
/* Sets res's status and its reason (fmt NULL: none). */
void result_set(struct apply_result *res, enum apply_status status, const char *fmt, ...) _printf_(3, 4);
/* Sets report->error unless it is set: the first reason is the one that stopped the run. */
void report_error(struct apply_report *r, const char *fmt, ...) _printf_(2, 3);

/* Tells a test that the run reached where (see apply_options.crash_point). */
void crash_point(const struct apply_options *o, const char *where);

/* The change log: journald when it runs, else one line to the caller's stream. NULL fields are left
 * out. */
struct log_fields {
        const char *run, *unit, *action, *path, *service;
};
void log_change(const struct apply_options *o, const struct log_fields *lf, const char *fmt, ...)
        _printf_(3, 4);

/* Services, for apply and rollback alike. */
const char *no_bus_reason(const struct apply_options *o);
bool active_like(const char *active_state);
int service_do(sd_bus *bus, const char *service, enum service_op op, usec_t deadline, sd_bus_error *e);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The logs the security.* units read the kernel's denials from: audit.log below the root (auditd's), and
 * on the running host the journal's audit and kernel records too (where they go without auditd), read
 * under the check's deadline. "Recent": on the running host, the last SECURITY_LOG_WINDOW; below --root
 * the whole current audit.log (its rotation is what makes it recent; the fixtures' times do not age).
 */

#include "unit.h"

#define SECURITY_LOG_WINDOW (24 * 3600)

/* Called for each line; origin says where it is ("/var/log/audit/audit.log:12", "journal"). A negative
 * return stops the scan with it. */
typedef int (*security_log_fn)(const char *line, const char *origin, void *userdata);

/* Feeds fn every line of the logs there are. *ret_sources: the logs read, for messages ("audit.log and
 * the journal"), NULL when there were none (returns -ENOENT then). *ret_truncated: the deadline or the
 * entry limit stopped the journal before its end. */
int security_log_scan(const struct check_ctx *ctx, security_log_fn fn, void *userdata, char **ret_sources,
                      bool *ret_truncated);
/* Records older than this (seconds since the epoch) are not recent; 0: every record counts. */
uint64_t security_log_since(const struct check_ctx *ctx);

/* What a unit's scan keeps of the records it counts: the last SECURITY_LOG_EVIDENCE lines as
 * "ORIGIN: LINE", and from when on a record is recent. */
#define SECURITY_LOG_EVIDENCE 3
struct security_log_found {
        uint64_t since; /* security_log_since() */
        char **last;
};

/* Whether a record of that time (0: the record has none) is recent. */
bool security_log_recent(const struct security_log_found *f, uint64_t seconds);
int security_log_keep(struct security_log_found *f, const char *origin, const char *line);
/* security_log_scan() with f filled by fn (f->since set first), then f's lines joined as *ret_evidence
 * ("" when none) and freed. -ENOENT (no log): nothing is returned. */
int security_log_collect(const struct check_ctx *ctx, security_log_fn fn, void *userdata,
                         struct security_log_found *f, char **ret_sources, char **ret_evidence,
                         bool *ret_truncated);

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

/* The last SECURITY_LOG_EVIDENCE lines kept, as "ORIGIN: LINE", for a result's evidence. */
#define SECURITY_LOG_EVIDENCE 3
int security_log_keep(char ***lines, const char *origin, const char *line);

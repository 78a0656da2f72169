/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Where a report goes besides the terminal, for monitoring: a Prometheus text exposition (`--format
 * prometheus`, node_exporter's textfile collector reads it) and the systemd journal (`--journal`, one
 * entry per result with structured fields). hostprep(8) documents both; nothing here changes the JSON.
 */

#include <stdio.h>

#include "report.h"

/* The unit (or cross.* comparison) a result id belongs to: the longest registered id that is the result's
 * id or a dotted prefix of it. NULL for an id of no unit (a peer's newer unit). */
const char *report_unit_of(const char *result_id);

/* The report in the Prometheus text exposition format (0.0.4), stamped with now_realtime (seconds since
 * the epoch). */
int report_prometheus(FILE *f, const struct report *rep, double now_realtime);

/* One journal entry per result of every host and the comparisons, then one for the run. 0, or the
 * negative errno of the first entry journald did not take. */
int report_journal(const struct report *rep);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "journal.h"

/* Undoes the open run (loaded, or the one apply is making), newest entry first. Without force, a file
 * changed since the run stops it before anything is undone (-ESTALE). */
int rollback_run(struct run *run, bool force, struct apply_report *report);

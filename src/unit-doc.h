/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What `hostprep list` and hostprep-units(7) say about the units, all read from the registry and the units'
 * result tables, so the documentation cannot drift from what the units give. */

#include <stdbool.h>
#include <stdio.h>

/* A line per unit (and comparison across hosts), then its result ids, each once; quiet: units only. */
int units_list_human(FILE *f, bool quiet);
/* The same as a JSON array; each unit's "results" has every table entry. */
int units_list_json(FILE *f);
/* hostprep-units(7) as scdoc source. */
int units_man_page(FILE *f);

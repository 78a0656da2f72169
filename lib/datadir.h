/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/*
 * Where hostprep's own data (templates, profiles, the canary guest) comes from. An installed hostprep uses
 * only the installed directories (config.h: HOSTPREP_DATADIR_*), so a package never reads the directory it
 * was built in. A hostprep run from its build tree (and the tests built beside it) uses the source tree it
 * was built from instead, so the tests test the tree's data and an installed copy never masks it.
 */

/* Whether this process's executable lies below the build tree (config.h: HOSTPREP_BUILD_ROOT). */
bool datadir_build_tree(void);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hostfs.h"

/*
 * The one PATH walk: name as a program of the host below fs's root. A name with a slash must be
 * absolute (-EINVAL otherwise) and is taken as it is; a bare name is looked up in the ':'-separated
 * directories of search (NULL: PATH_COMMAND_SEARCH), skipping empty and relative entries, which would
 * depend on the caller's working directory. Found means a regular file with an execute bit. Returns the
 * path as seen on the host in *ret; -ENOENT when it is nowhere, -EACCES for an absolute name that is not
 * an executable file.
 */
int path_find_executable(const struct hostfs *fs, const char *search, const char *name, char **ret);

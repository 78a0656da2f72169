/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Running processes by program name, read from /proc through a root (the live host, a booted container
 * under --root /proc/PID/root, or a fixture's proc/PID/comm files). */

#include <stdbool.h>

#include "hostfs.h"

/* Whether process pid (a /proc entry's name) runs program: its comm, which the kernel cuts to 15
 * characters. */
bool proc_runs_program(const struct hostfs *fs, const char *pid, const char *program);

/* The first process running program: *ret its pid as text, NULL when none runs (or /proc cannot be
 * listed). 0 or -ENOMEM. */
int proc_find_program(const struct hostfs *fs, const char *program, char **ret);

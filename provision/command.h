/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "hostfs.h"
#include "util.h"

/* Bytes of a command's output (stdout and stderr together) kept; the rest is read and dropped. */
#define APPLY_OUTPUT_MAX (64u * 1024u)

/* Runs argv with fork+execve, no shell: argv[0] without a slash is looked up in a fixed PATH; the
 * environment is PATH and LC_ALL=C only; stdin is /dev/null; stdout and stderr go, together, to
 * *ret_output (the first APPLY_OUTPUT_MAX bytes). When fs's root is not "/" the command runs chrooted
 * into it. The child is killed (its whole process group) when deadline passes: -ETIMEDOUT. Returns 0
 * and the wait status in *ret_status, or a negative errno. ret_output may be NULL. */
int apply_run_command(const struct hostfs *fs, char *const *argv, usec_t deadline, int *ret_status,
                      char **ret_output);

/* A command that rollback runs again (redo_on_rollback, e.g. apparmor_parser --replace FILE...) names the
 * files it reads as absolute paths. Some may be gone by then (libvirt removes a guest's profile when the
 * guest stops): *ret_argv is argv without those, *ret_gone lists them (NULL when none is). When argv named
 * files and none is left, *ret_argv is NULL: there is nothing to run again. Returns 0 or -ENOMEM. */
int command_argv_present(const struct hostfs *fs, char *const *argv, char ***ret_argv, char ***ret_gone);

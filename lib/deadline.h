/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "util.h"

/*
 * Runs fn(userdata, out) in a child process (spawn_call()) and copies out (out_size bytes) back. When the
 * deadline passes first, the child is killed and abandoned (a process stuck in the kernel on a hung NFS
 * mount cannot be reaped, so we do not wait for it) and -ETIMEDOUT is returned. Otherwise fn's return
 * value. For calls that can block in the kernel: stat or statfs on a network mount.
 */
int run_with_deadline(usec_t deadline, int (*fn)(void *userdata, void *out), void *userdata, void *out,
                      size_t out_size);

/* A child's deadline: margin before deadline, so the caller can still report what the child did not; the
 * deadline itself when less than twice the margin is left. */
usec_t deadline_leave_margin(usec_t deadline, usec_t margin);

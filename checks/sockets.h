/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The kernel's TCP socket table, read as units need it. */

#include <stdbool.h>

struct hostfs;

/* Marks the TCP ports from min to max that have a listening socket (IPv4 or IPv6): taken[port - min]
 * (max - min + 1 entries, set to false first). The table is /proc/net/tcp and tcp6 below fs's root: the
 * live host's network namespace, or a fixture's files. -ENOENT when neither file is there. */
int sockets_tcp_listening(const struct hostfs *fs, unsigned min, unsigned max, bool *taken);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the migrate tests share. */

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"

static inline bool have_program(const char *name)
{
        const char *path = getenv("PATH");
        char buf[4096];

        for (const char *p = path ?: "/usr/bin:/bin"; p && *p;) {
                const char *e = strchr(p, ':');
                size_t n = e ? (size_t)(e - p) : strlen(p);

                snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, name);
                if (access(buf, X_OK) == 0)
                        return true;
                p = e ? e + 1 : NULL;
        }
        return false;
}

static inline void print_migrate_stats(const struct migrate_stats *st)
{
        printf("stats: migrations=%u total=%" PRIu64 " ms downtime=%" PRIu64 " ms setup=%" PRIu64
               " ms wall=%" PRIu64 " ms bytes=%" PRIu64
               " throughput=%.1f MiB/s dirty=%.1f MiB/s passes=%" PRIu64 " heartbeat %" PRIu32 " -> %" PRIu32
               " magic_ok=%d\n",
               st->migrations, st->total_time_ms, st->downtime_ms, st->setup_time_ms, st->wall_time_ms,
               st->bytes_transferred, st->throughput_bps / 1048576.0, st->dirty_rate_bps / 1048576.0,
               st->iterations, st->heartbeat_before, st->heartbeat_after, st->magic_ok);
}

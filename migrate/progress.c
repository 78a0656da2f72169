/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A one-line progress display of a migration leg for a terminal. */
#include <stdio.h>

#include "driver.h"

#define MIB (1024.0 * 1024.0)

void migrate_progress_bar(FILE *tty, const struct migrate_progress_info *info)
{
        const char *phase = migrate_phase_to_string(info->phase);

        /* \r and "erase to end of line" (EL): the line is redrawn in place, a shorter one leaves no tail */
        fprintf(tty, "\r\033[Kleg %u  %-11s", info->leg, phase ? phase : "?");
        if (info->total && info->phase != MIGRATE_PHASE_SETUP) {
                uint64_t left = info->phase == MIGRATE_PHASE_DONE ? 0 : info->remaining;
                uint64_t copied = left < info->total ? info->total - left : 0;

                fprintf(tty, " %3u%%", (unsigned)(copied * 100 / info->total));
        }
        fprintf(tty, "  %.1f MiB sent  %.1f MiB/s", info->transferred / MIB, info->throughput_bps / MIB);
        if (info->dirty_rate_bps)
                fprintf(tty, "  dirty %.1f MiB/s", info->dirty_rate_bps / MIB);
        if (info->pass)
                fprintf(tty, "  pass %llu", (unsigned long long)info->pass);
        fprintf(tty, "  %.1f s", info->elapsed_ms / 1000.0);
        if (info->phase == MIGRATE_PHASE_DONE)
                fputc('\n', tty);
        fflush(tty);
}

void migrate_progress_bar_end(FILE *tty)
{
        /* after a finished leg the cursor is at the start of an empty line: nothing to erase */
        fputs("\r\033[K", tty);
        fflush(tty);
}

void migrate_progress_bar_cb(void *userdata, const struct migrate_progress_info *info)
{
        migrate_progress_bar(userdata, info);
}

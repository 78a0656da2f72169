/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qemu driver with the destination QEMU on another host, started over SSH (run inside the test bed's h2
 * by qemu-remote.sh, destination h3).
 *
 * usage: test-qemu-remote ok|interrupt|ssh-down KERNEL DEST_HOST
 *   ok         the canary there and back: magic intact, heartbeat advanced, stats; progress reported for
 *              both legs, ending in "done", and the terminal renderer draws it
 *   interrupt  a guest dirtying far more than a 2 MiB/s cap, interrupted 1.5 s into the migration:
 *              -ECANCELED, the canary still runs on the source, cleanup succeeds
 *   ssh-down   the destination's sshd does not answer (the caller froze it): the run fails within its
 *              deadline with a message naming the host and SSH
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"
#include "migrate-test.h"
#include "util.h"

struct progress_seen {
        unsigned calls, done_legs, max_leg;
        uint64_t max_transferred;
        FILE *bar; /* the renderer's output, kept in memory */
};

static void on_progress(void *userdata, const struct migrate_progress_info *info)
{
        struct progress_seen *p = userdata;

        p->calls++;
        if (info->leg > p->max_leg)
                p->max_leg = info->leg;
        if (info->phase == MIGRATE_PHASE_DONE)
                p->done_legs++;
        if (info->transferred > p->max_transferred)
                p->max_transferred = info->transferred;
        migrate_progress_bar(p->bar, info);
}

static int test_ok(const char *kernel, const char *dest)
{
        _cleanup_(migrate_session_freep) struct migrate_session *s = NULL;
        struct progress_seen seen = {};
        char *bar = NULL;
        size_t bar_len = 0;
        struct migrate_params p = {
                .dest_host = dest,
                .live = true,
                .canary_kernel = kernel,
                .canary_mem_mib = 32,
                .canary_cmdline = "dirty=4M span=4",
                .round_trip = true,
                .completion_timeout_ms = 60000,
                .progress = on_progress,
                .progress_userdata = &seen,
        };
        usec_t t0 = now_usec();
        int r;

        seen.bar = open_memstream(&bar, &bar_len);
        if (!seen.bar)
                return 1;
        r = migrate_session_new(&migrate_driver_qemu, &p, &s);
        /* migrate_session_run() step by step, for the numbers of each leg */
        if (r >= 0)
                r = s->driver->prepare(s);
        if (r >= 0)
                r = s->driver->start(s);
        printf("prepare + start: %.2f s\n", (now_usec() - t0) / 1e6);
        for (unsigned leg = 1; r >= 0 && leg <= 2; leg++) {
                r = s->driver->migrate(s);
                if (r >= 0)
                        r = s->driver->verify(s);
                printf("leg %u (%s) ", leg, leg == 1 ? "h2 -> h3" : "h3 -> h2");
                print_migrate_stats(migrate_session_stats(s));
        }
        if (r >= 0)
                r = migrate_session_cleanup(s);
        migrate_progress_bar_end(seen.bar);
        fclose(seen.bar);
        printf("run: %d in %.2f s\n", r, (now_usec() - t0) / 1e6);
        printf("progress: %u calls, legs %u, %u done, up to %" PRIu64 " bytes\n", seen.calls, seen.max_leg,
               seen.done_legs, seen.max_transferred);
        /* the bar's finished lines, without the escape sequences */
        for (char *line = strtok(bar, "\n"); line; line = strtok(NULL, "\n")) {
                char *last = strrchr(line, '\r');
                if (!last || last[4])
                        printf("bar: %s\n", last ? last + 4 : line); /* \r ESC [ K */
        }
        free(bar);
        if (r < 0) {
                fprintf(stderr, "FAIL: %s\n", migrate_session_error(s));
                return 1;
        }
        const struct migrate_stats *st = migrate_session_stats(s);
        if (st->migrations != 2 || !st->magic_ok || !st->heartbeat_advanced || !st->bytes_transferred) {
                fprintf(stderr, "FAIL: incomplete statistics\n");
                return 1;
        }
        if (seen.max_leg != 2 || seen.done_legs != 2 || seen.max_transferred == 0) {
                fprintf(stderr, "FAIL: progress not reported for both legs\n");
                return 1;
        }
        printf("PASS: canary to %s and back, QEMU started there over SSH\n", dest);
        return 0;
}

static void *interrupter(void *u)
{
        usleep(1500 * 1000);
        migrate_session_interrupt(u);
        return NULL;
}

static int test_interrupt(const char *kernel, const char *dest)
{
        _cleanup_(migrate_session_freep) struct migrate_session *s = NULL;
        struct migrate_params p = {
                .dest_host = dest,
                .live = true,
                .canary_kernel = kernel,
                .canary_mem_mib = 32,
                .canary_cmdline = "dirty=64M span=8",
                .bandwidth_mib = 2,
                .completion_timeout_ms = 60000,
                .stall_timeout_ms = 30000,
        };
        struct canary_block b1, b2;
        struct progress_seen seen = {};
        char *bar = NULL;
        size_t bar_len = 0;
        pthread_t t;
        int r;

        seen.bar = open_memstream(&bar, &bar_len);
        if (!seen.bar)
                return 1;
        p.progress = on_progress;
        p.progress_userdata = &seen;

        r = migrate_session_new(&migrate_driver_qemu, &p, &s);
        if (r >= 0)
                r = s->driver->prepare(s);
        if (r >= 0)
                r = s->driver->start(s);
        if (r < 0) {
                fprintf(stderr, "FAIL: %s\n", migrate_session_error(s));
                return 1;
        }
        usec_t t0 = now_usec();
        pthread_create(&t, NULL, interrupter, s);
        r = s->driver->migrate(s);
        pthread_join(t, NULL);
        fclose(seen.bar);
        printf("migrate: %d after %.2f s: %s\n", r, (now_usec() - t0) / 1e6, migrate_session_error(s));
        /* the last line drawn, as a terminal would show it */
        printf("progress: %u calls; last: %s\n", seen.calls,
               strrchr(bar, '\r') ? strrchr(bar, '\r') + 4 : "(none)");
        free(bar);
        if (r != -ECANCELED) {
                fprintf(stderr, "FAIL: expected -ECANCELED\n");
                return 1;
        }
        if (seen.calls < 5 || seen.max_leg != 1 || seen.done_legs != 0 || !seen.max_transferred) {
                fprintf(stderr, "FAIL: progress not reported while copying\n");
                return 1;
        }
        /* peek and sleep are not interrupted by the flag: they run from normal context */
        if (migrate_session_peek(s, &b1) < 0 || usleep(300 * 1000) < 0 || migrate_session_peek(s, &b2) < 0 ||
            (int32_t)(b2.heartbeat - b1.heartbeat) <= 0) {
                fprintf(stderr, "FAIL: the canary does not run on the source after the interrupt\n");
                return 1;
        }
        t0 = now_usec();
        r = migrate_session_cleanup(s);
        printf("cleanup: %d in %.2f s\n", r, (now_usec() - t0) / 1e6);
        if (r < 0) {
                fprintf(stderr, "FAIL: cleanup: %s\n", migrate_session_error(s));
                return 1;
        }
        printf("PASS: interrupted, the guest stays on the source, cleaned up\n");
        return 0;
}

static int test_ssh_down(const char *kernel, const char *dest)
{
        _cleanup_(migrate_session_freep) struct migrate_session *s = NULL;
        struct migrate_params p = {
                .dest_host = dest,
                .live = true,
                .canary_kernel = kernel,
                .completion_timeout_ms = 60000,
        };
        usec_t t0 = now_usec();
        double secs;
        const char *e;
        int r;

        r = migrate_session_new(&migrate_driver_qemu, &p, &s);
        if (r >= 0)
                r = migrate_session_run(s);
        secs = (now_usec() - t0) / 1e6;
        e = migrate_session_error(s);
        printf("run: %d (%s) after %.2f s: %s\n", r, strerror(-r), secs, e);
        if (r >= 0 || secs > 20 || !strstr(e, dest) || !strstr(e, "SSH")) {
                fprintf(stderr, "FAIL: expected a failure within 20 s naming %s and SSH\n", dest);
                return 1;
        }
        printf("PASS: unreachable sshd on %s reported in %.1f s\n", dest, secs);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc != 4) {
                fprintf(stderr, "usage: %s ok|interrupt|ssh-down KERNEL DEST_HOST\n", argv[0]);
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (strcmp(argv[1], "ok") == 0)
                return test_ok(argv[2], argv[3]);
        if (strcmp(argv[1], "interrupt") == 0)
                return test_interrupt(argv[2], argv[3]);
        if (strcmp(argv[1], "ssh-down") == 0)
                return test_ssh_down(argv[2], argv[3]);
        fprintf(stderr, "unknown mode %s\n", argv[1]);
        return 2;
}

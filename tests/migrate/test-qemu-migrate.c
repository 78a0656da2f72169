/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qemu driver, both QEMUs on this machine (TCG):
 *  1. live migration of the canary there and back over a unix socket: magic intact, heartbeat advanced,
 *     downtime and bytes reported;
 *  2. a guest dirtying far more than a tiny bandwidth cap: the driver gives up with a message naming both
 *     rates, and the canary keeps running on the source.
 * usage: test-qemu-migrate CANARY_ELF
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"
#include "migrate-test.h"
#include "util.h"

static void print_stats(const char *what, const struct migrate_stats *st)
{
        printf("%s: migrations=%u total=%" PRIu64 " ms downtime=%" PRIu64 " ms setup=%" PRIu64
               " ms wall=%" PRIu64 " ms bytes=%" PRIu64
               " throughput=%.1f MiB/s dirty=%.1f MiB/s passes=%" PRIu64 " heartbeat %" PRIu32 " -> %" PRIu32
               " magic_ok=%d\n",
               what, st->migrations, st->total_time_ms, st->downtime_ms, st->setup_time_ms, st->wall_time_ms,
               st->bytes_transferred, st->throughput_bps / 1048576.0, st->dirty_rate_bps / 1048576.0,
               st->iterations, st->heartbeat_before, st->heartbeat_after, st->magic_ok);
}

static int test_success(const char *kernel)
{
        _cleanup_(migrate_session_freep) struct migrate_session *s = NULL;
        char disk[64];
        struct migrate_params p = {
                .live = true,
                .canary_kernel = kernel,
                .canary_mem_mib = 32,
                .canary_cmdline = "dirty=4M span=4",
                .round_trip = true,
                .completion_timeout_ms = 60000,
        };
        int r;

        /* a disk too: the canary does not use it, but both QEMUs must open it with cache=none */
        snprintf(disk, sizeof(disk), "/var/tmp/test-qemu-migrate-%d.raw", (int)getpid());
        p.disk = disk;
        r = migrate_session_new(&migrate_driver_qemu, &p, &s);
        if (r < 0) {
                fprintf(stderr, "FAIL: session: %s\n", strerror(-r));
                return 1;
        }
        r = migrate_session_run(s);
        const struct migrate_stats *st = migrate_session_stats(s);
        print_stats("round trip", st);
        if (r < 0) {
                fprintf(stderr, "FAIL: %s (%s)\n", migrate_session_error(s), strerror(-r));
                return 1;
        }
        if (st->migrations != 2 || !st->magic_ok || !st->heartbeat_advanced || st->bytes_transferred == 0 ||
            st->total_time_ms == 0) {
                fprintf(stderr, "FAIL: incomplete statistics\n");
                return 1;
        }
        if (access(disk, F_OK) == 0) {
                fprintf(stderr, "FAIL: cleanup left the disk %s\n", disk);
                return 1;
        }
        printf("PASS: live migration there and back\n");
        return 0;
}

static int test_dirty_exceeds_bandwidth(const char *kernel)
{
        _cleanup_(migrate_session_freep) struct migrate_session *s = NULL;
        struct migrate_params p = {
                .live = true,
                .canary_kernel = kernel,
                .canary_mem_mib = 32,
                /* 64 MiB/s over the same 4 MiB, again and again, through a 2 MiB/s pipe */
                .canary_cmdline = "dirty=64M span=4",
                .bandwidth_mib = 2,
                .stall_timeout_ms = 3000,
                .completion_timeout_ms = 60000,
        };
        struct canary_block b1, b2;
        const char *e;
        int r;

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
        r = s->driver->migrate(s);
        e = migrate_session_error(s);
        printf("migrate: %d (%s) after %.1f s: %s\n", r, strerror(-r), (now_usec() - t0) / 1e6, e);
        print_stats("stalled", migrate_session_stats(s));
        if (r != -ETIMEDOUT || !strstr(e, "dirties memory at") || !strstr(e, "bandwidth of 2.0 MiB/s") ||
            !strstr(e, "keeps running on the source")) {
                fprintf(stderr, "FAIL: expected the dirty-rate-exceeds-bandwidth error\n");
                return 1;
        }
        /* and it really keeps running there */
        if (migrate_session_peek(s, &b1) < 0 || usleep(300 * 1000) < 0 || migrate_session_peek(s, &b2) < 0 ||
            (int32_t)(b2.heartbeat - b1.heartbeat) <= 0) {
                fprintf(stderr, "FAIL: the canary does not run on the source after the abort: %s\n",
                        migrate_session_error(s));
                return 1;
        }
        printf("source heartbeat after abort: %" PRIu32 " -> %" PRIu32 "\n", b1.heartbeat, b2.heartbeat);
        r = migrate_session_cleanup(s);
        if (r < 0) {
                fprintf(stderr, "FAIL: cleanup: %s\n", migrate_session_error(s));
                return 1;
        }
        printf("PASS: dirty rate above bandwidth detected, source keeps running\n");
        return 0;
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: %s CANARY_ELF\n", argv[0]);
                return 2;
        }
        if (!have_program("qemu-system-x86_64")) {
                printf("SKIP: qemu-system-x86_64 not installed\n");
                return 77;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (test_success(argv[1]) != 0)
                return 1;
        if (test_dirty_exceeds_bandwidth(argv[1]) != 0)
                return 1;
        return 0;
}

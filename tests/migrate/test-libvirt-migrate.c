/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt driver between two libvirtd hosts (the namespace test bed's h2 and h3; run inside h2 by
 * libvirt-migrate.sh).
 *
 * usage: test-libvirt-migrate ok|dest-killed KERNEL DISK SOURCE_URI DEST_HOST
 *   ok           canary there and back (peer-to-peer, live): stats, magic, heartbeat; nothing left behind
 *   dest-killed  canary started, then prints READY and waits for a line on stdin (the caller kills the
 *                destination libvirtd meanwhile); the migration must fail naming the destination, and
 *                cleanup must remove the canary from the source
 * Prints "canary prefix: NAME" so the caller can check both hosts afterwards.
 */
#include <errno.h>
#include <inttypes.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"
#include "migrate-test.h"
#include "util.h"

static void silence(void *opaque, virErrorPtr e)
{
}

/* Domains named PREFIX* on the host behind uri, or -1 if it cannot be asked. */
static int count_canaries(const char *uri, const char *prefix)
{
        virConnectPtr c = virConnectOpen(uri);
        virDomainPtr *doms = NULL;
        int n, found = 0;

        if (!c)
                return -1;
        n = virConnectListAllDomains(c, &doms, 0);
        for (int i = 0; i < n; i++) {
                if (strncmp(virDomainGetName(doms[i]), prefix, strlen(prefix)) == 0)
                        found++;
                virDomainFree(doms[i]);
        }
        free(doms);
        virConnectClose(c);
        return n < 0 ? -1 : found;
}

struct progress_seen {
        unsigned calls, done_legs, max_leg;
};

static void on_progress(void *userdata, const struct migrate_progress_info *info)
{
        struct progress_seen *p = userdata;

        p->calls++;
        if (info->leg > p->max_leg)
                p->max_leg = info->leg;
        if (info->phase == MIGRATE_PHASE_DONE) {
                char *line = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&line, &len);

                p->done_legs++;
                /* the renderer's finished line, without its terminal control sequence */
                if (f) {
                        migrate_progress_bar(f, info);
                        fclose(f);
                        printf("progress bar: %s", strstr(line, "leg ") ?: line);
                        free(line);
                }
        }
}

int main(int argc, char **argv)
{
        _cleanup_(migrate_session_freep) struct migrate_session *s = NULL;
        char prefix[64];
        int r;

        if (argc != 6) {
                fprintf(stderr, "usage: %s ok|dest-killed KERNEL DISK SOURCE_URI DEST_HOST\n", argv[0]);
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        virSetErrorFunc(NULL, silence);
        const char *mode = argv[1];
        bool ok_mode = strcmp(mode, "ok") == 0;
        struct migrate_params p = {
                .source_uri = argv[4],
                .dest_host = argv[5],
                .transport = MIGRATE_TRANSPORT_TCP,
                .live = true,
                .peer2peer = true,
                .canary_kernel = argv[2],
                .canary_mem_mib = 32,
                .canary_cmdline = "dirty=4M span=4",
                /* an NBD disk (qemu-nbd --shared on the storage host) counts as shared for libvirt, so
                 * this needs no VIR_MIGRATE_UNSAFE */
                .disk = argv[3],
                .round_trip = ok_mode,
                .completion_timeout_ms = 60000,
        };
        struct progress_seen seen = {};
        const struct migrate_driver *d = migrate_driver_find("libvirt");

        p.progress = on_progress;
        p.progress_userdata = &seen;

        if (!d) {
                printf("SKIP: built without libvirt\n");
                return 77;
        }
        snprintf(prefix, sizeof(prefix), "hostprep-canary-%d-", (int)getpid());
        printf("canary prefix: %s\n", prefix);
        r = migrate_session_new(d, &p, &s);
        if (r < 0) {
                fprintf(stderr, "FAIL: session: %s\n", strerror(-r));
                return 1;
        }

        if (ok_mode) {
                r = migrate_session_run(s);
                print_migrate_stats(migrate_session_stats(s));
                if (r < 0) {
                        fprintf(stderr, "FAIL: %s\n", migrate_session_error(s));
                        return 1;
                }
                const struct migrate_stats *st = migrate_session_stats(s);
                if (st->migrations != 2 || !st->magic_ok || !st->heartbeat_advanced ||
                    !st->bytes_transferred) {
                        fprintf(stderr, "FAIL: incomplete statistics\n");
                        return 1;
                }
                printf("progress: %u calls, legs %u, %u done\n", seen.calls, seen.max_leg, seen.done_legs);
                if (seen.max_leg != 2 || seen.done_legs != 2) {
                        fprintf(stderr, "FAIL: progress not reported for both legs\n");
                        return 1;
                }
                printf("PASS: canary migrated there and back\n");
        } else {
                char line[64];

                r = d->prepare(s);
                if (r >= 0)
                        r = d->start(s);
                if (r < 0) {
                        fprintf(stderr, "FAIL: %s\n", migrate_session_error(s));
                        return 1;
                }
                printf("READY\n");
                if (!fgets(line, sizeof(line), stdin)) {
                        fprintf(stderr, "FAIL: no go from the caller\n");
                        return 1;
                }
                usec_t t0 = now_usec();
                r = d->migrate(s);
                printf("migrate: %d (%s) after %.2f s: %s\n", r, strerror(-r), (now_usec() - t0) / 1e6,
                       migrate_session_error(s));
                if (r >= 0 || !strstr(migrate_session_error(s), p.dest_host) ||
                    !strstr(migrate_session_error(s), "unreachable")) {
                        fprintf(stderr, "FAIL: expected an error naming the unreachable destination\n");
                        return 1;
                }
                r = migrate_session_cleanup(s);
                if (r < 0) {
                        fprintf(stderr, "FAIL: cleanup: %s\n", migrate_session_error(s));
                        return 1;
                }
                printf("PASS: clear error, cleanup ok\n");
        }
        s = migrate_session_free(s);

        r = count_canaries(p.source_uri, prefix);
        if (r != 0) {
                fprintf(stderr, "FAIL: %d canaries left on the source (-1: cannot ask)\n", r);
                return 1;
        }
        printf("source: no canary left\n");
        return 0;
}

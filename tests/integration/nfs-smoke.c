/* nfs-smoke: libnfs smoke tests against the test bed's NFS server (run inside a test-bed host).
 *
 *   nfs-smoke exports SERVER DEADLINE_MS PATH...
 *       list the exports with mount_getexports_async() under our own poll deadline; every PATH must be
 * listed nfs-smoke owner SERVER EXPORT VERSION UID mount EXPORT (NFS VERSION 3 or 4), create a file as root,
 * check the server says it is owned by UID, remove it nfs-smoke bounded SERVER EXPORT DEADLINE_MS BOUND_MS
 *       mount + stat with a DEADLINE_MS deadline against a server that cannot answer; the call must fail
 *       and return within BOUND_MS
 *
 * Exit: 0 pass, 1 fail, 2 usage, 77 skipped (needs root).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nfsc/libnfs.h>

#include <nfsc/libnfs-raw-mount.h>
#include <nfsc/libnfs-raw-nfs.h>
#include <nfsc/libnfs-raw-nfs4.h>
#include <nfsc/libnfs-raw.h>

#define EXIT_SKIP 77

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_ms(const char *s)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end || v <= 0 || v > 600000) {
                fprintf(stderr, "nfs-smoke: bad milliseconds '%s'\n", s);
                exit(2);
        }
        return (int)v;
}

/* Wait for events of one fd until *done is set or the deadline passes; service every <= 100 ms so that
 * libnfs' own timeouts are checked too. Returns 0 if done, -1 on deadline, -2 on a service error. */
typedef int (*poll_fd_fn)(void *ctx);
typedef int (*poll_service_fn)(void *ctx, int revents);

static int loop_until(void *ctx, poll_fd_fn get_fd, poll_fd_fn which_events, poll_service_fn service,
                      const bool *done, int64_t deadline)
{
        while (!*done) {
                int64_t left = deadline - now_ms();
                struct pollfd pfd;
                int r;

                if (left <= 0)
                        return -1;
                pfd.fd = get_fd(ctx);
                pfd.events = (short)which_events(ctx);
                pfd.revents = 0;
                r = poll(&pfd, 1, left < 100 ? (int)left : 100);
                if (r < 0 && errno != EINTR)
                        return -2;
                if (service(ctx, r > 0 ? pfd.revents : 0) < 0 && !*done)
                        return -2;
        }
        return 0;
}

static int rpc_fd(void *ctx)
{
        return rpc_get_fd(ctx);
}

static int rpc_events(void *ctx)
{
        return rpc_which_events(ctx);
}

static int rpc_svc(void *ctx, int revents)
{
        return rpc_service(ctx, revents);
}

static int nfs_fd(void *ctx)
{
        return nfs_get_fd(ctx);
}

static int nfs_events(void *ctx)
{
        return nfs_which_events(ctx);
}

static int nfs_svc(void *ctx, int revents)
{
        return nfs_service(ctx, revents);
}

/* ---- exports ------------------------------------------------------------------------------------------ */

struct exports_state {
        bool done;
        int status;
        char err[256];
        char *want_found; /* one flag per wanted path */
        char **want;
        int nwant;
};

static void exports_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
        struct exports_state *st = private_data;

        (void)rpc;
        st->done = true;
        st->status = status;
        if (status != RPC_STATUS_SUCCESS) {
                snprintf(st->err, sizeof(st->err), "%s", data ? (const char *)data : "no message");
                return;
        }
        for (struct exportnode *e = *(exports *)data; e; e = e->ex_next) {
                printf("export %s:", e->ex_dir);
                for (struct groupnode *g = e->ex_groups; g; g = g->gr_next)
                        printf(" %s", g->gr_name);
                printf("\n");
                for (int i = 0; i < st->nwant; i++)
                        if (strcmp(e->ex_dir, st->want[i]) == 0)
                                st->want_found[i] = 1;
        }
}

static int cmd_exports(const char *server, int deadline_ms, char **want, int nwant)
{
        struct exports_state st = {.want = want, .nwant = nwant};
        struct rpc_context *rpc;
        int64_t t0 = now_ms();
        int r, rc = 0;

        st.want_found = calloc((size_t)nwant + 1, 1);
        rpc = rpc_init_context();
        if (!rpc || !st.want_found) {
                fprintf(stderr, "nfs-smoke: out of memory\n");
                return 1;
        }
        if (mount_getexports_async(rpc, server, exports_cb, &st) != 0) {
                fprintf(stderr, "nfs-smoke: mount_getexports_async(%s): %s\n", server, rpc_get_error(rpc));
                rpc_destroy_context(rpc);
                free(st.want_found);
                return 1;
        }
        r = loop_until(rpc, rpc_fd, rpc_events, rpc_svc, &st.done, t0 + deadline_ms);
        printf("exports of %s: %s after %" PRId64 " ms\n", server,
               r == -1                           ? "deadline exceeded"
               : st.status == RPC_STATUS_SUCCESS ? "listed"
                                                 : "failed",
               now_ms() - t0);
        if (r == -1 || r == -2 || st.status != RPC_STATUS_SUCCESS) {
                fprintf(stderr, "nfs-smoke: listing exports of %s failed: %s\n", server,
                        r == -1     ? "deadline exceeded"
                        : st.err[0] ? st.err
                                    : rpc_get_error(rpc));
                rc = 1;
        }
        for (int i = 0; rc == 0 && i < nwant; i++)
                if (!st.want_found[i]) {
                        fprintf(stderr, "nfs-smoke: %s does not export %s\n", server, want[i]);
                        rc = 1;
                }
        rpc_destroy_context(rpc);
        free(st.want_found);
        return rc;
}

/* ---- owner -------------------------------------------------------------------------------------------- */

static struct nfs_context *new_context(int timeout_ms)
{
        struct nfs_context *nfs = nfs_init_context();

        if (!nfs) {
                fprintf(stderr, "nfs-smoke: nfs_init_context failed\n");
                return NULL;
        }
        nfs_set_timeout(nfs, timeout_ms);
        /* one SYN retry: a dropped connect fails in ~3 s instead of the kernel's ~130 s */
        nfs_set_tcp_syncnt(nfs, 1);
        nfs_set_autoreconnect(nfs, 0);
        return nfs;
}

static int cmd_owner(const char *server, const char *export, int version, unsigned long want_uid)
{
        struct nfs_context *nfs;
        struct nfsfh *fh = NULL;
        struct nfs_stat_64 st;
        char name[64];
        int rc = 1;

        if (geteuid() != 0) {
                printf("SKIP: squash checks need root (uid 0 is what gets squashed)\n");
                return EXIT_SKIP;
        }
        nfs = new_context(5000);
        if (!nfs)
                return 1;
        if (nfs_set_version(nfs, version == 4 ? NFS_V4 : NFS_V3) != 0) {
                fprintf(stderr, "nfs-smoke: NFS version %d: %s\n", version, nfs_get_error(nfs));
                goto out;
        }
        if (nfs_mount(nfs, server, export) != 0) {
                fprintf(stderr, "nfs-smoke: mount %s:%s (v%d): %s\n", server, export, version,
                        nfs_get_error(nfs));
                goto out;
        }
        snprintf(name, sizeof(name), "/nfs-smoke.%ld", (long)getpid());
        /* nfs_create, not nfs_creat: the latter fails on NFSv4 */
        if (nfs_create(nfs, name, O_RDWR | O_EXCL, 0644, &fh) != 0) {
                fprintf(stderr, "nfs-smoke: create %s:%s%s: %s\n", server, export, name, nfs_get_error(nfs));
                goto out_umount;
        }
        if (nfs_fstat64(nfs, fh, &st) != 0) {
                fprintf(stderr, "nfs-smoke: fstat: %s\n", nfs_get_error(nfs));
        } else {
                printf("%s:%s (v%d): file created by uid %ld is owned by %" PRIu64 ":%" PRIu64 "\n", server,
                       export, version, (long)geteuid(), (uint64_t)st.nfs_uid, (uint64_t)st.nfs_gid);
                if (st.nfs_uid == want_uid)
                        rc = 0;
                else
                        fprintf(stderr, "nfs-smoke: expected owner %lu, got %" PRIu64 "\n", want_uid,
                                (uint64_t)st.nfs_uid);
        }
        nfs_close(nfs, fh);
        if (nfs_unlink(nfs, name) != 0) {
                fprintf(stderr, "nfs-smoke: unlink %s: %s\n", name, nfs_get_error(nfs));
                rc = 1;
        }
out_umount:
        nfs_umount(nfs);
out:
        nfs_destroy_context(nfs);
        return rc;
}

/* ---- bounded ------------------------------------------------------------------------------------------ */

struct bounded_state {
        bool done;
        int err;
        char msg[256];
};

static void stat_cb(int err, struct nfs_context *nfs, void *data, void *private_data)
{
        struct bounded_state *st = private_data;

        (void)nfs;
        st->done = true;
        st->err = err;
        if (err < 0)
                snprintf(st->msg, sizeof(st->msg), "stat: %s", data ? (const char *)data : "no message");
}

static void mount_cb(int err, struct nfs_context *nfs, void *data, void *private_data)
{
        struct bounded_state *st = private_data;

        if (err < 0) {
                st->done = true;
                st->err = err;
                snprintf(st->msg, sizeof(st->msg), "mount: %s", data ? (const char *)data : "no message");
                return;
        }
        if (nfs_stat64_async(nfs, "/", stat_cb, st) != 0) {
                st->done = true;
                st->err = -EIO;
                snprintf(st->msg, sizeof(st->msg), "stat: %s", nfs_get_error(nfs));
        }
}

static int cmd_bounded(const char *server, const char *export, int deadline_ms, int bound_ms)
{
        struct bounded_state st = {0};
        struct nfs_context *nfs;
        int64_t t0 = now_ms(), elapsed;
        int r, rc = 0;

        nfs = new_context(deadline_ms);
        if (!nfs)
                return 1;
        if (nfs_mount_async(nfs, server, export, mount_cb, &st) != 0) {
                st.done = true;
                st.err = -EIO;
                snprintf(st.msg, sizeof(st.msg), "mount: %s", nfs_get_error(nfs));
                r = 0;
        } else {
                r = loop_until(nfs, nfs_fd, nfs_events, nfs_svc, &st.done, t0 + deadline_ms);
        }
        nfs_destroy_context(nfs);
        elapsed = now_ms() - t0;
        printf("mount+stat %s:%s with a %d ms deadline: %s after %" PRId64 " ms (bound %d ms)\n", server,
               export, deadline_ms,
               r == -1   ? "deadline exceeded"
               : r == -2 ? "service error"
               : st.err  ? st.msg
                         : "succeeded",
               elapsed, bound_ms);
        if (r == 0 && st.err == 0) {
                fprintf(stderr,
                        "nfs-smoke: the call succeeded, but the server was expected not to answer\n");
                rc = 1;
        }
        if (elapsed > bound_ms) {
                fprintf(stderr, "nfs-smoke: took %" PRId64 " ms, more than %d ms\n", elapsed, bound_ms);
                rc = 1;
        }
        return rc;
}

static int usage(void)
{
        fprintf(stderr,
                "usage: nfs-smoke exports SERVER DEADLINE_MS PATH...\n       nfs-smoke owner SERVER EXPORT VERSION UID\n       nfs-smoke bounded SERVER EXPORT DEADLINE_MS BOUND_MS\n");
        return 2;
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc >= 4 && strcmp(argv[1], "exports") == 0)
                return cmd_exports(argv[2], parse_ms(argv[3]), argv + 4, argc - 4);
        if (argc == 6 && strcmp(argv[1], "owner") == 0)
                return cmd_owner(argv[2], argv[3], atoi(argv[4]), strtoul(argv[5], NULL, 10));
        if (argc == 6 && strcmp(argv[1], "bounded") == 0)
                return cmd_bounded(argv[2], argv[3], parse_ms(argv[4]), parse_ms(argv[5]));
        return usage();
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "qemu" migrate driver: two QEMU processes driven over QMP, no libvirt.
 *
 * Both QEMUs run on this machine for now. Everything that touches a QEMU goes through a qemu_endpoint
 * (its process, QMP socket and serial log), started by endpoint_spawn(); a later remote destination
 * replaces that one function with `ssh HOST qemu-system-x86_64 ...` plus a forwarded QMP socket
 * (`ssh -L LOCAL.sock:REMOTE.sock`), and the migration URI becomes tcp:HOST:PORT.
 *
 * The guest runs on ep[cur]. migrate() starts the other endpoint with -incoming defer when it is not
 * running yet, moves the guest there and waits for the destination's RESUME event: "completed" on the
 * source alone does not mean the destination runs. verify() then checks the destination and quits the
 * source, which QEMU leaves paused in "postmigrate".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "canary.h"
#include "driver.h"
#include "macro.h"
#include "qmp.h"
#include "util.h"

#define QMP_CMD_TIMEOUT_USEC   (5 * USEC_PER_SEC)
#define QEMU_START_TIMEOUT_US  (10 * USEC_PER_SEC)
#define CANARY_BOOT_TIMEOUT_US (10 * USEC_PER_SEC)
#define RESUME_TIMEOUT_US      (10 * USEC_PER_SEC)
#define CANCEL_TIMEOUT_US      (5 * USEC_PER_SEC)
#define MIB                    (1024ULL * 1024ULL)

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

struct qemu_endpoint {
        pid_t pid; /* 0: not running */
        struct qmp *qmp;
        char *qmp_path, *serial_path, *log_path;
};

struct qemu_state {
        char *dir;
        bool dir_created, disk_created;
        struct qemu_endpoint ep[2];
        unsigned cur;        /* the endpoint the guest runs on */
        unsigned spawned;    /* QEMUs started so far: names their files */
        unsigned migrations; /* completed, not yet verified: verify() checks the last one */
        bool verified;
};

static struct qemu_state *state(struct migrate_session *s)
{
        return s->priv;
}

static usec_t deadline_in(usec_t us)
{
        return now_usec() + us;
}

/* The last non-empty line of a QEMU log, for error messages. */
static void log_tail(const char *path, char *buf, size_t size)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;
        char *line;

        snprintf(buf, size, "(no output)");
        if (fd < 0 || read_fd_full(fd, 1024 * 1024, &text, NULL) < 0)
                return;
        line = strip(text);
        if (!*line)
                return;
        char *nl = strrchr(line, '\n');
        snprintf(buf, size, "%s", nl ? nl + 1 : line);
}

static int reap(pid_t pid, usec_t deadline, int *ret_status)
{
        for (;;) {
                int st;
                pid_t r = waitpid(pid, &st, WNOHANG);

                if (r == pid) {
                        if (ret_status)
                                *ret_status = st;
                        return 0;
                }
                if (r < 0)
                        return -errno;
                if (now_usec() >= deadline)
                        return -ETIMEDOUT;
                usleep(10 * 1000);
        }
}

/* Ends an endpoint's QEMU: "quit" over QMP, then SIGTERM, then SIGKILL. Idempotent. */
static void endpoint_stop(struct qemu_endpoint *ep)
{
        if (ep->qmp && ep->pid > 0)
                (void)qmp_execute(ep->qmp, "quit", NULL, deadline_in(USEC_PER_SEC), NULL);
        ep->qmp = qmp_close(ep->qmp);
        if (ep->pid > 0) {
                if (reap(ep->pid, deadline_in(USEC_PER_SEC), NULL) == -ETIMEDOUT) {
                        kill(ep->pid, SIGTERM);
                        if (reap(ep->pid, deadline_in(USEC_PER_SEC), NULL) == -ETIMEDOUT) {
                                kill(ep->pid, SIGKILL);
                                (void)reap(ep->pid, deadline_in(5 * USEC_PER_SEC), NULL);
                        }
                }
                ep->pid = 0;
        }
        if (ep->qmp_path)
                unlink(ep->qmp_path);
}

static void endpoint_free(struct qemu_endpoint *ep)
{
        endpoint_stop(ep);
        ep->qmp_path = mfree(ep->qmp_path);
        ep->serial_path = mfree(ep->serial_path);
        ep->log_path = mfree(ep->log_path);
}

static pid_t spawn(char **argv, const char *log_path)
{
        pid_t pid = fork();

        if (pid != 0)
                return pid;
        /* child: QEMU must not outlive us when we are killed without a chance to clean up */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (null < 0 || log < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
                _exit(127);
        /* keep Ctrl-C at a terminal from killing QEMU before the driver's cleanup ran */
        (void)setpgid(0, 0);
        execvp(argv[0], argv);
        dprintf(2, "cannot execute %s: %s\n", argv[0], strerror(errno));
        _exit(127);
}

static int endpoint_spawn(struct migrate_session *s, struct qemu_endpoint *ep, bool incoming)
{
        struct qemu_state *st = state(s);
        const struct migrate_params *p = &s->params;
        unsigned n = ++st->spawned;
        char mem[16], serial[4200], qmp[4200], drive[4200];
        const char *argv[40];
        size_t k = 0;
        usec_t deadline;
        char err[512];

        endpoint_free(ep);
        ep->qmp_path = strdup_printf("%s/qemu%u.qmp", st->dir, n);
        ep->serial_path = strdup_printf("%s/qemu%u.serial", st->dir, n);
        ep->log_path = strdup_printf("%s/qemu%u.log", st->dir, n);
        if (!ep->qmp_path || !ep->serial_path || !ep->log_path)
                return -ENOMEM;
        unlink(ep->qmp_path);
        snprintf(mem, sizeof(mem), "%u", p->canary_mem_mib);
        snprintf(serial, sizeof(serial), "file:%s", ep->serial_path);
        snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", ep->qmp_path);

        argv[k++] = p->emulator ?: "qemu-system-x86_64";
        /* TCG only: KVM is not something a check may depend on, and the canary needs no speed */
        argv[k++] = "-accel";
        argv[k++] = "tcg";
        argv[k++] = "-machine";
        argv[k++] = "pc";
        argv[k++] = "-cpu";
        argv[k++] = "qemu64";
        argv[k++] = "-m";
        argv[k++] = mem;
        argv[k++] = "-smp";
        argv[k++] = "1";
        argv[k++] = "-nodefaults";
        argv[k++] = "-no-user-config";
        argv[k++] = "-display";
        argv[k++] = "none";
        argv[k++] = "-kernel";
        argv[k++] = p->canary_kernel;
        if (p->canary_cmdline && *p->canary_cmdline) {
                argv[k++] = "-append";
                argv[k++] = p->canary_cmdline;
        }
        argv[k++] = "-serial";
        argv[k++] = serial;
        argv[k++] = "-qmp";
        argv[k++] = qmp;
        if (p->disk) {
                /* a file, or an nbd:// URI, which QEMU's file= takes as it is */
                snprintf(drive, sizeof(drive), "file=%s,format=raw,if=virtio,cache=none", p->disk);
                argv[k++] = "-drive";
                argv[k++] = drive;
        }
        if (incoming) {
                argv[k++] = "-incoming";
                argv[k++] = "defer";
        }
        argv[k] = NULL;

        ep->pid = spawn((char **)argv, ep->log_path);
        if (ep->pid < 0) {
                ep->pid = 0;
                return migrate_error(s, errno, "cannot fork QEMU: %m");
        }

        /* connect; give up early when QEMU exits (bad option, missing file, ...) */
        deadline = deadline_in(QEMU_START_TIMEOUT_US);
        for (;;) {
                int r, status;

                r = qmp_open(ep->qmp_path, deadline_in(200 * USEC_PER_MSEC), &ep->qmp, err, sizeof(err));
                if (r >= 0)
                        return 0;
                if (reap(ep->pid, 0, &status) == 0) {
                        char tail[512];

                        ep->pid = 0;
                        log_tail(ep->log_path, tail, sizeof(tail));
                        return migrate_error(s, ECHILD, "QEMU (%s) exited at start-up: %s",
                                             incoming ? "destination" : "source", tail);
                }
                if (now_usec() >= deadline)
                        return migrate_error(s, r, "QEMU (%s) did not answer on QMP within %u s: %s",
                                             incoming ? "destination" : "source",
                                             (unsigned)(QEMU_START_TIMEOUT_US / USEC_PER_SEC), err);
        }
}

static int read_block(struct migrate_session *s, struct qemu_endpoint *ep, struct canary_block *ret)
{
        uint32_t w[CANARY_BLOCK_SIZE / 4];
        int r;

        r = qmp_read_phys_u32(ep->qmp, CANARY_BLOCK_ADDR, ELEMENTSOF(w), w,
                              deadline_in(QMP_CMD_TIMEOUT_USEC));
        if (r < 0)
                return migrate_error(s, r, "cannot read the canary's memory: %s", qmp_last_error(ep->qmp));
        memcpy(ret, w, sizeof(w));
        return 0;
}

static int query_status(struct migrate_session *s, struct qemu_endpoint *ep, char *buf, size_t size)
{
        _cleanup_(json_object_putp) json_object *rv = NULL;
        json_object *v;
        int r;

        r = qmp_execute(ep->qmp, "query-status", NULL, deadline_in(QMP_CMD_TIMEOUT_USEC), &rv);
        if (r < 0)
                return migrate_error(s, r, "query-status: %s", qmp_last_error(ep->qmp));
        snprintf(buf, size, "%s",
                 json_object_object_get_ex(rv, "status", &v) ? json_object_get_string(v) : "unknown");
        return 0;
}

static int qemu_prepare(struct migrate_session *s)
{
        _cleanup_free_ struct qemu_state *st = NULL;
        const struct migrate_params *p = &s->params;

        if (s->priv)
                return 0;
        if (p->guest_name)
                return migrate_error(s, EOPNOTSUPP,
                                     "the qemu driver cannot attach to an existing guest (yet): it migrates "
                                     "the canary only");
        if (p->dest_host)
                return migrate_error(
                        s, EOPNOTSUPP,
                        "the qemu driver runs both QEMUs on this machine (yet); use the libvirt "
                        "driver for %s",
                        p->dest_host);
        if (!p->dest_uri && p->transport != MIGRATE_TRANSPORT_TCP)
                return migrate_error(s, EOPNOTSUPP, "the qemu driver has no %s transport (yet)",
                                     migrate_transport_to_string(p->transport));
        if (!p->canary_kernel)
                return migrate_error(s, EINVAL, "no canary kernel given");
        if (access(p->canary_kernel, R_OK) < 0)
                return migrate_error(s, errno, "canary kernel %s: %m", p->canary_kernel);
        if (p->canary_mem_mib < CANARY_MIN_MEM_MIB)
                return migrate_error(s, EINVAL, "the canary needs at least %d MiB of memory",
                                     CANARY_MIN_MEM_MIB);

        st = calloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        if (p->state_dir) {
                st->dir = strdup(p->state_dir);
                if (!st->dir)
                        return -ENOMEM;
                if (mkdir(st->dir, 0700) < 0 && errno != EEXIST)
                        return migrate_error(s, errno, "cannot create %s: %m", st->dir);
        } else {
                const char *tmp = getenv("TMPDIR");

                st->dir = strdup_printf("%s/hostprep-migrate-XXXXXX", tmp && *tmp ? tmp : "/tmp");
                if (!st->dir)
                        return -ENOMEM;
                if (!mkdtemp(st->dir)) {
                        int r = migrate_error(s, errno, "cannot create a state directory %s: %m", st->dir);
                        free(st->dir);
                        return r;
                }
                st->dir_created = true;
        }
        if (p->disk && !startswith(p->disk, "nbd://")) {
                int fd = open(p->disk, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

                if (fd >= 0) {
                        st->disk_created = true;
                        /* 1 MiB, sparse: the canary does not use it; it is there for the storage checks */
                        if (ftruncate(fd, MIB) < 0) {
                                int r = -errno;
                                close(fd);
                                unlink(p->disk);
                                free(st->dir);
                                return migrate_error(s, r, "cannot size the canary disk %s: %m", p->disk);
                        }
                        close(fd);
                } else if (errno != EEXIST) {
                        int r = migrate_error(s, errno, "cannot create the canary disk %s: %m", p->disk);
                        free(st->dir);
                        return r;
                }
        }
        s->priv = TAKE_PTR(st);
        return 0;
}

static int qemu_start(struct migrate_session *s)
{
        struct qemu_state *st = state(s);
        struct canary_block b = {};
        usec_t deadline;
        int r;

        r = endpoint_spawn(s, &st->ep[0], false);
        if (r < 0)
                return r;
        st->cur = 0;
        /* the destination starts now too, waiting: its start-up overlaps the canary's boot */
        r = endpoint_spawn(s, &st->ep[1], true);
        if (r < 0)
                return r;

        deadline = deadline_in(CANARY_BOOT_TIMEOUT_US);
        for (;;) {
                r = read_block(s, &st->ep[0], &b);
                if (r < 0)
                        return r;
                if (canary_magic_ok(&b) && b.heartbeat > 0)
                        return 0;
                if (now_usec() >= deadline) {
                        char tail[512];

                        log_tail(st->ep[0].serial_path, tail, sizeof(tail));
                        return migrate_error(s, ETIMEDOUT,
                                             "the canary did not come up within %u s (magic 0x%08" PRIx32
                                             " 0x%08" PRIx32 ", serial: %s)",
                                             (unsigned)(CANARY_BOOT_TIMEOUT_US / USEC_PER_SEC), b.magic0,
                                             b.magic1, tail);
                }
                r = migrate_session_sleep(s, 20);
                if (r < 0)
                        return migrate_error(s, r, "interrupted while the canary was booting");
        }
}

static int set_capabilities(struct migrate_session *s, struct qemu_endpoint *ep, bool source)
{
        const struct migrate_params *p = &s->params;
        json_object *args, *caps;
        int r;

        if (!p->auto_converge && !p->postcopy)
                return 0;
        args = json_object_new_object();
        caps = json_object_new_array();
        if (!args || !caps) {
                json_object_put(args);
                json_object_put(caps);
                return -ENOMEM;
        }
        json_object_object_add(args, "capabilities", caps);
        if (p->auto_converge && source) {
                json_object *c = json_object_new_object();
                json_object_object_add(c, "capability", json_object_new_string("auto-converge"));
                json_object_object_add(c, "state", json_object_new_boolean(1));
                json_object_array_add(caps, c);
        }
        if (p->postcopy) {
                json_object *c = json_object_new_object();
                json_object_object_add(c, "capability", json_object_new_string("postcopy-ram"));
                json_object_object_add(c, "state", json_object_new_boolean(1));
                json_object_array_add(caps, c);
        }
        r = qmp_execute(ep->qmp, "migrate-set-capabilities", args, deadline_in(QMP_CMD_TIMEOUT_USEC), NULL);
        if (r < 0)
                return migrate_error(s, r, "%s", qmp_last_error(ep->qmp));
        return 0;
}

static int set_parameters(struct migrate_session *s, struct qemu_endpoint *ep, uint64_t *ret_bandwidth)
{
        const struct migrate_params *p = &s->params;
        _cleanup_(json_object_putp) json_object *rv = NULL;
        json_object *args = json_object_new_object(), *v;
        int r;

        if (!args)
                return -ENOMEM;
        if (p->bandwidth_mib)
                json_object_object_add(args, "max-bandwidth",
                                       json_object_new_int64((int64_t)p->bandwidth_mib * MIB));
        if (p->downtime_limit_ms)
                json_object_object_add(args, "downtime-limit", json_object_new_int64(p->downtime_limit_ms));
        r = qmp_execute(ep->qmp, "migrate-set-parameters", args, deadline_in(QMP_CMD_TIMEOUT_USEC), NULL);
        if (r < 0)
                return migrate_error(s, r, "%s", qmp_last_error(ep->qmp));
        /* the cap in force, also when it is QEMU's default, for the messages */
        r = qmp_execute(ep->qmp, "query-migrate-parameters", NULL, deadline_in(QMP_CMD_TIMEOUT_USEC), &rv);
        if (r < 0)
                return migrate_error(s, r, "%s", qmp_last_error(ep->qmp));
        *ret_bandwidth =
                json_object_object_get_ex(rv, "max-bandwidth", &v) ? (uint64_t)json_object_get_int64(v) : 0;
        return 0;
}

static uint64_t jget_u64(json_object *o, const char *a, const char *b)
{
        json_object *v;

        if (!json_object_object_get_ex(o, a, &v))
                return 0;
        if (b && !json_object_object_get_ex(v, b, &v))
                return 0;
        if (json_object_is_type(v, json_type_double))
                return (uint64_t)json_object_get_double(v);
        return (uint64_t)json_object_get_int64(v);
}

/* Cancels the job, waits until the source says so, and checks the guest still runs there. */
static int abort_migration(struct migrate_session *s, struct qemu_endpoint *src, struct qemu_endpoint *dst,
                           int err)
{
        usec_t deadline = deadline_in(CANCEL_TIMEOUT_US);
        char status[64] = "";

        (void)qmp_execute(src->qmp, "migrate_cancel", NULL, deadline_in(QMP_CMD_TIMEOUT_USEC), NULL);
        while (now_usec() < deadline) {
                _cleanup_(json_object_putp) json_object *rv = NULL;
                json_object *v;

                if (qmp_execute(src->qmp, "query-migrate", NULL, deadline_in(QMP_CMD_TIMEOUT_USEC), &rv) < 0)
                        break;
                if (!json_object_object_get_ex(rv, "status", &v) ||
                    !streq(json_object_get_string(v), "cancelling"))
                        break;
                usleep(50 * 1000);
        }
        /* the destination QEMU gives up on its own after a cancelled incoming migration */
        endpoint_stop(dst);
        if (query_status(s, src, status, sizeof(status)) >= 0 && !streq(status, "running")) {
                size_t l = strlen(s->error);
                snprintf(s->error + l, sizeof(s->error) - l, "; the guest is NOT running on the source (%s)",
                         status);
        } else {
                size_t l = strlen(s->error);
                snprintf(s->error + l, sizeof(s->error) - l,
                         "; migration cancelled, the guest keeps running on "
                         "the source");
        }
        return err;
}

static int qemu_migrate(struct migrate_session *s)
{
        struct qemu_state *st = state(s);
        const struct migrate_params *p = &s->params;
        struct qemu_endpoint *src = &st->ep[st->cur], *dst = &st->ep[1 - st->cur];
        struct migrate_progress progress;
        struct canary_block b0, b;
        _cleanup_free_ char *uri = NULL;
        _cleanup_(json_object_putp) json_object *info = NULL;
        uint64_t bandwidth = 0, canary_rate = 0, qemu_rate = 0, remaining = 0;
        usec_t t0, deadline, sample_t;
        bool postcopy_started = false;
        json_object *args;
        int r;

        if (!src->qmp)
                return migrate_error(s, ESRCH, "no guest to migrate");
        if (!dst->qmp) {
                r = endpoint_spawn(s, dst, true);
                if (r < 0)
                        return r;
        }
        uri = p->dest_uri ? strdup(p->dest_uri)
                          : strdup_printf("unix:%s/migration%u.sock", st->dir, st->spawned);
        if (!uri)
                return -ENOMEM;
        r = set_capabilities(s, src, true);
        if (r >= 0)
                r = set_capabilities(s, dst, false);
        if (r >= 0)
                r = set_parameters(s, src, &bandwidth);
        if (r < 0)
                return r;

        args = json_object_new_object();
        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "uri", json_object_new_string(uri));
        r = qmp_execute(dst->qmp, "migrate-incoming", args, deadline_in(QMP_CMD_TIMEOUT_USEC), NULL);
        if (r < 0)
                return migrate_error(s, r, "destination: %s", qmp_last_error(dst->qmp));

        if (!p->live) {
                r = qmp_execute(src->qmp, "stop", NULL, deadline_in(QMP_CMD_TIMEOUT_USEC), NULL);
                if (r < 0)
                        return migrate_error(s, r, "source: %s", qmp_last_error(src->qmp));
        }
        r = read_block(s, src, &b0);
        if (r < 0)
                return r;
        s->stats.heartbeat_before = b0.heartbeat;
        sample_t = now_usec();

        args = json_object_new_object();
        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "uri", json_object_new_string(uri));
        t0 = now_usec();
        r = qmp_execute(src->qmp, "migrate", args, deadline_in(QMP_CMD_TIMEOUT_USEC), NULL);
        if (r < 0)
                return migrate_error(s, r, "source: %s", qmp_last_error(src->qmp));

        migrate_progress_init(&progress, t0);
        deadline = t0 + (usec_t)p->completion_timeout_ms * USEC_PER_MSEC;
        for (;;) {
                const char *status;
                json_object *v;
                usec_t now;

                r = migrate_session_sleep(s, MIGRATE_POLL_MS);
                if (r < 0)
                        return abort_migration(s, src, dst, migrate_error(s, r, "interrupted"));
                json_object_put(info);
                info = NULL;
                r = qmp_execute(src->qmp, "query-migrate", NULL, deadline_in(QMP_CMD_TIMEOUT_USEC), &info);
                if (r < 0)
                        return abort_migration(s, src, dst,
                                               migrate_error(s, r, "source: %s", qmp_last_error(src->qmp)));
                status = json_object_object_get_ex(info, "status", &v) ? json_object_get_string(v) : "";
                if (streq(status, "completed"))
                        break;
                if (streq(status, "failed") || streq(status, "cancelled")) {
                        const char *desc = json_object_object_get_ex(info, "error-desc", &v)
                                                   ? json_object_get_string(v)
                                                   : "no reason given";
                        endpoint_stop(dst);
                        return migrate_error(s, EIO, "migration %s: %s", status, desc);
                }

                now = now_usec();
                qemu_rate = jget_u64(info, "ram", "dirty-pages-rate") *
                            (jget_u64(info, "ram", "page-size") ?: 4096);
                remaining = jget_u64(info, "ram", "remaining");
                /* the canary's own count of dirtied pages is the rate it really writes at; QEMU's estimate
                 * counts each page once per pass and so cannot exceed what one pass can carry */
                if (now - sample_t >= USEC_PER_SEC && !streq(status, "postcopy-active") &&
                    read_block(s, src, &b) >= 0 && b.heartbeat != b0.heartbeat) {
                        canary_rate = (uint64_t)(b.dirtied - b0.dirtied) * CANARY_PAGE_SIZE * 1000 /
                                      (uint32_t)(b.heartbeat - b0.heartbeat);
                        b0 = b;
                        sample_t = now;
                }
                if (qemu_rate > s->stats.dirty_rate_bps)
                        s->stats.dirty_rate_bps = qemu_rate;
                if (canary_rate > s->stats.dirty_rate_bps)
                        s->stats.dirty_rate_bps = canary_rate;

                if (now >= deadline)
                        return abort_migration(
                                s, src, dst,
                                migrate_error(
                                        s, ETIMEDOUT,
                                        "migration did not complete within %.1f s (status %s, %.1f MiB "
                                        "left, "
                                        "dirty rate %.1f MiB/s, bandwidth %.1f MiB/s)",
                                        p->completion_timeout_ms / 1000.0, status, remaining / (double)MIB,
                                        (canary_rate > qemu_rate ? canary_rate : qemu_rate) / (double)MIB,
                                        bandwidth / (double)MIB));
                if (!streq(status, "active"))
                        continue;
                if (!migrate_progress_update(&progress, now, p->stall_timeout_ms,
                                             jget_u64(info, "ram", "dirty-sync-count"), remaining,
                                             jget_u64(info, "ram", "transferred")))
                        continue;
                if (p->postcopy && !postcopy_started) {
                        r = qmp_execute(src->qmp, "migrate-start-postcopy", NULL,
                                        deadline_in(QMP_CMD_TIMEOUT_USEC), NULL);
                        if (r < 0)
                                return abort_migration(s, src, dst,
                                                       migrate_error(s, r, "switching to post-copy: %s",
                                                                     qmp_last_error(src->qmp)));
                        postcopy_started = true;
                        s->stats.postcopy_used = true;
                        continue;
                }
                return abort_migration(
                        s, src, dst,
                        migrate_error_stalled(s, p->stall_timeout_ms,
                                              canary_rate > qemu_rate ? canary_rate : qemu_rate, bandwidth,
                                              remaining));
        }

        s->stats.wall_time_ms = (now_usec() - t0) / USEC_PER_MSEC;
        s->stats.total_time_ms = jget_u64(info, "total-time", NULL);
        s->stats.downtime_ms = jget_u64(info, "downtime", NULL);
        s->stats.setup_time_ms = jget_u64(info, "setup-time", NULL);
        s->stats.bytes_transferred = jget_u64(info, "ram", "transferred");
        /* "mbps" is megabits per second */
        s->stats.throughput_bps = jget_u64(info, "ram", "mbps") * 1000000 / 8;
        s->stats.iterations = jget_u64(info, "ram", "dirty-sync-count");

        if (!p->live) {
                r = qmp_execute(dst->qmp, "cont", NULL, deadline_in(QMP_CMD_TIMEOUT_USEC), NULL);
                if (r < 0)
                        return migrate_error(s, r, "destination: %s", qmp_last_error(dst->qmp));
        }
        r = qmp_wait_event(dst->qmp, "RESUME", deadline_in(RESUME_TIMEOUT_US), NULL);
        if (r < 0)
                return migrate_error(
                        s, r,
                        "the source reports the migration completed, but the destination did not "
                        "resume within %u s: %s",
                        (unsigned)(RESUME_TIMEOUT_US / USEC_PER_SEC), qmp_last_error(dst->qmp));
        st->cur = 1 - st->cur;
        s->stats.migrations++;
        st->verified = false;
        return 0;
}

static int qemu_verify(struct migrate_session *s)
{
        struct qemu_state *st = state(s);
        struct qemu_endpoint *dst = &st->ep[st->cur], *src = &st->ep[1 - st->cur];
        struct canary_block b = {};
        char status[64];
        usec_t deadline;
        int r;

        if (!dst->qmp)
                return migrate_error(s, ESRCH, "no guest to verify");
        r = query_status(s, dst, status, sizeof(status));
        if (r < 0)
                return r;
        if (!streq(status, "running"))
                return migrate_error(s, EIO, "the guest is not running on the destination (status %s)",
                                     status);

        deadline = deadline_in(5 * USEC_PER_SEC);
        for (;;) {
                r = read_block(s, dst, &b);
                if (r < 0)
                        return r;
                s->stats.magic_ok = canary_magic_ok(&b);
                s->stats.heartbeat_after = b.heartbeat;
                s->stats.heartbeat_advanced = (int32_t)(b.heartbeat - s->stats.heartbeat_before) > 0;
                if (!s->stats.magic_ok)
                        return migrate_error(s, EIO,
                                             "canary memory damaged on the destination: magic 0x%08" PRIx32
                                             " 0x%08" PRIx32 " version %" PRIu32,
                                             b.magic0, b.magic1, b.version);
                if (s->stats.heartbeat_advanced)
                        break;
                if (now_usec() >= deadline)
                        return migrate_error(
                                s, EIO,
                                "the canary's heartbeat does not advance on the destination (%" PRIu32
                                " before, %" PRIu32 " after)",
                                s->stats.heartbeat_before, b.heartbeat);
                r = migrate_session_sleep(s, 20);
                if (r < 0)
                        return migrate_error(s, r, "interrupted");
        }

        /* gone from the source: QEMU leaves it paused in "postmigrate"; anything running there is a split
         * brain */
        if (src->qmp) {
                r = query_status(s, src, status, sizeof(status));
                if (r < 0)
                        return r;
                if (streq(status, "running"))
                        return migrate_error(s, EIO, "the guest still runs on the source after migration");
                endpoint_stop(src);
        }
        st->verified = true;
        return 0;
}

static int qemu_cleanup(struct migrate_session *s)
{
        struct qemu_state *st = state(s);

        if (!st)
                return 0;
        for (unsigned i = 0; i < ELEMENTSOF(st->ep); i++)
                endpoint_stop(&st->ep[i]);
        if (st->disk_created) {
                unlink(s->params.disk);
                st->disk_created = false;
        }
        if (st->dir_created) {
                /* only the files this driver made */
                for (unsigned n = 1; n <= st->spawned; n++) {
                        const char *const names[] = {"qmp", "serial", "log"};
                        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                                _cleanup_free_ char *f = strdup_printf("%s/qemu%u.%s", st->dir, n, names[i]);
                                if (f)
                                        unlink(f);
                        }
                        _cleanup_free_ char *m = strdup_printf("%s/migration%u.sock", st->dir, n);
                        if (m)
                                unlink(m);
                }
                if (rmdir(st->dir) >= 0 || errno == ENOENT)
                        st->dir_created = false;
        }
        return 0;
}

static int qemu_peek(struct migrate_session *s, struct canary_block *ret)
{
        struct qemu_state *st = state(s);

        if (!st->ep[st->cur].qmp)
                return migrate_error(s, ESRCH, "no guest running");
        return read_block(s, &st->ep[st->cur], ret);
}

static void qemu_free(struct migrate_session *s)
{
        struct qemu_state *st = state(s);

        if (!st)
                return;
        for (unsigned i = 0; i < ELEMENTSOF(st->ep); i++)
                endpoint_free(&st->ep[i]);
        free(st->dir);
        s->priv = mfree(st);
}

const struct migrate_driver migrate_driver_qemu = {
        .name = "qemu",
        .prepare = qemu_prepare,
        .start = qemu_start,
        .migrate = qemu_migrate,
        .verify = qemu_verify,
        .cleanup = qemu_cleanup,
        .peek = qemu_peek,
        .free = qemu_free,
};

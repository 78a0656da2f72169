/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "qemu" migrate driver: two QEMU processes driven over QMP, no libvirt.
 *
 * Everything that touches a QEMU goes through a qemu_endpoint (its process, QMP socket and output),
 * started by endpoint_spawn(). ep[0] is the source and always runs here. ep[1], the destination, runs
 * here too unless params.dest_host is set; then it runs on that host:
 *
 *  - prepare() makes a private directory there over SSH (mktemp -d) and copies the canary kernel into
 *    it through the same connection (stdin to `cat >`);
 *  - endpoint_spawn() runs one `ssh -L LOCAL.qmp:REMOTE.qmp HOST sh -c WRAPPER qemu-system-x86_64 ...`:
 *    that ssh process both runs QEMU and forwards its QMP socket to a socket in our local state
 *    directory, so the QMP client is the same as for a local QEMU. The wrapper kills QEMU when its
 *    stdin reaches EOF: when we close our end of ssh's stdin, or when ssh dies (it gets
 *    PR_SET_PDEATHSIG, so also when we die);
 *  - the migration stream goes over TCP: the incoming side listens on its address with port 0 and
 *    reports the port it got (query-migrate "socket-address");
 *  - cleanup() quits QEMU over QMP, ends ssh, then runs `rm -rf` of the private directory over SSH
 *    (killing first any QEMU named in a pid file there that still runs).
 *
 * The guest runs on ep[cur]. migrate() starts the other endpoint with -incoming defer when it is not
 * running yet, moves the guest there and waits for the destination's RESUME event: "completed" on the
 * source alone does not mean the destination runs. verify() then checks the destination and quits the
 * source, which QEMU leaves paused in "postmigrate".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "canary.h"
#include "driver.h"
#include "macro.h"
#include "pathnames.h"
#include "qmp.h"
#include "spawn.h"
#include "sshcmd.h"
#include "strv.h"
#include "template.h"
#include "util.h"

#define QMP_CMD_TIMEOUT_USEC    (5 * USEC_PER_SEC)
#define QEMU_START_TIMEOUT_US   (10 * USEC_PER_SEC)
#define REMOTE_START_TIMEOUT_US (20 * USEC_PER_SEC) /* SSH connection + QEMU start-up */
#define SSH_COMMAND_TIMEOUT_US  (15 * USEC_PER_SEC) /* one short command over SSH */
#define SSH_CONNECT_TIMEOUT_S   5
#define CANARY_BOOT_TIMEOUT_US  (10 * USEC_PER_SEC)
#define RESUME_TIMEOUT_US       (10 * USEC_PER_SEC)
#define CANCEL_TIMEOUT_US       (5 * USEC_PER_SEC)
#define KERNEL_MAX              (64u * 1024u * 1024u)
#define MIB                     (1024ULL * 1024ULL)

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

struct qemu_endpoint {
        bool remote;   /* runs on params.dest_host */
        pid_t pid;     /* QEMU, or for a remote endpoint the ssh running it; 0: not running */
        int ssh_stdin; /* remote: our end of ssh's stdin; closing it ends the remote QEMU; -1: none */
        struct qmp *qmp;
        /* here; for a remote endpoint qmp_path is the local end of the forward and log_path gets ssh's
         * and QEMU's output */
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
        /* a remote destination */
        struct ssh_options ssh;
        char *remote_dir; /* private directory on dest_host (canary.elf, sockets, logs); NULL: none */
        char *dest_addr;  /* dest_host's address, numeric */
        char *local_addr; /* this host's address toward dest_host, numeric */
};

static struct qemu_state *state(struct migrate_session *s)
{
        return s->priv;
}

static usec_t deadline_in(usec_t us)
{
        return now_usec() + us;
}

/* The last non-empty line of a text, for error messages (modifies text). */
static const char *last_line(char *text)
{
        char *line = strip(text), *nl;

        if (!*line)
                return "(no output)";
        nl = strrchr(line, '\n');
        return nl ? nl + 1 : line;
}

/* A log QEMU (or ssh) wrote, for error messages; NULL when there is none to read. */
static char *read_log(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        char *text = NULL;

        if (fd < 0 || read_fd_full(fd, 1024 * 1024, &text, NULL) < 0)
                return NULL;
        return text;
}

static int reap(pid_t pid, usec_t deadline, int *ret_status)
{
        return spawn_wait_pid(pid, deadline, ret_status);
}

/* Ends an endpoint's QEMU: "quit" over QMP, then (remote: EOF on ssh's stdin, which makes the wrapper
 * kill QEMU) SIGTERM, then SIGKILL. Idempotent. */
static void endpoint_stop(struct qemu_endpoint *ep)
{
        if (ep->qmp && ep->pid > 0)
                (void)qmp_execute(ep->qmp, "quit", NULL, deadline_in(USEC_PER_SEC), NULL);
        ep->qmp = qmp_close(ep->qmp);
        if (ep->ssh_stdin >= 0) {
                close(ep->ssh_stdin);
                ep->ssh_stdin = -1;
        }
        if (ep->pid > 0) {
                (void)spawn_stop_pid(ep->pid, USEC_PER_SEC, NULL);
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

/* Starts argv with stdin from stdin_fd (-1: /dev/null) and stdout+stderr into log_path; -1 and errno when
 * it cannot (the reason in the log too). */
static pid_t spawn(char **argv, const char *log_path, int stdin_fd)
{
        _cleanup_close_ int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        /* its own process group keeps Ctrl-C at a terminal from killing QEMU before the driver's cleanup
         * ran; and QEMU (or the ssh running it) must not outlive us when we are killed without a chance to
         * clean up */
        struct spawn_job job = {
                .argv = argv,
                .die_with_parent = true,
                .input_kind = stdin_fd >= 0 ? SPAWN_INPUT_FD : SPAWN_INPUT_BUFFER,
                .input_fd = stdin_fd,
                .output = SPAWN_OUTPUT_FD,
                .output_fd = log,
        };
        pid_t pid;
        int r;

        if (log < 0)
                return -1;
        r = spawn_background(&job, &pid);
        if (r < 0) {
                dprintf(log, "cannot execute %s: %s\n", argv[0], strerror(-r));
                errno = -r;
                return -1;
        }
        return pid;
}

/* ---- the remote host, over SSH ---- */

/* ssh's exit told apart from the remote command's, as one message naming the host. */
static int ssh_failed(struct migrate_session *s, const char *what, int exit_status, bool timed_out,
                      char *err)
{
        const char *host = s->params.dest_host;
        enum ssh_failure f = ssh_classify(exit_status, timed_out, err);
        const char *tail = last_line(err);

        if (f == SSH_REMOTE_FAILED)
                return migrate_error(s, EIO, "%s on %s failed (over SSH): %s", what, host, tail);
        return migrate_error(s,
                             f == SSH_TIMEOUT       ? ETIMEDOUT
                             : f == SSH_REFUSED     ? ECONNREFUSED
                             : f == SSH_UNREACHABLE ? EHOSTUNREACH
                             : f == SSH_UNRESOLVED  ? EHOSTUNREACH
                             : f == SSH_AUTH_DENIED ? EACCES
                                                    : EIO,
                             "cannot %s on %s: SSH to root@%s failed: %s (%s)", what, host, host,
                             ssh_failure_to_string(f), timed_out ? "no answer within the deadline" : tail);
}

/* Runs `sh -c SCRIPT sh ARGS...` on dest_host with input on stdin; *ret_out (optional) gets stdout. */
static int remote_sh(struct migrate_session *s, const char *what, const char *script, char *const *args,
                     const char *input, size_t input_len, char **ret_out)
{
        struct qemu_state *st = state(s);
        _cleanup_(strv_freep) char **remote = NULL, **argv = NULL;
        struct spawn_job job = {.input = input, .input_len = input_len};
        int r;

        if (strv_push_dup(&remote, "sh") < 0 || strv_push_dup(&remote, "-c") < 0 ||
            strv_push_dup(&remote, script) < 0 || strv_push_dup(&remote, "sh") < 0)
                return -ENOMEM;
        STRV_FOREACH (a, args)
                if (strv_push_dup(&remote, *a) < 0)
                        return -ENOMEM;
        r = ssh_argv(&st->ssh, s->params.dest_host, remote, &argv);
        if (r < 0)
                return migrate_error(s, r, "cannot build the ssh command for %s", s->params.dest_host);
        job.argv = argv;
        r = spawn_run(&job, deadline_in(SSH_COMMAND_TIMEOUT_US));
        if (r < 0 || job.spawn_failed) {
                r = migrate_error(s, r < 0 ? r : job.spawn_errno, "cannot run ssh to %s: %s",
                                  s->params.dest_host, strerror(r < 0 ? -r : job.spawn_errno));
                spawn_job_done(&job);
                return r;
        }
        if (job.timed_out || job.exit_status != 0) {
                char none[] = "";
                r = ssh_failed(s, what, job.exit_status, job.timed_out, job.err ? job.err : none);
                spawn_job_done(&job);
                return r;
        }
        if (ret_out) {
                *ret_out = TAKE_PTR(job.out);
                if (!*ret_out)
                        *ret_out = strdup("");
        }
        spawn_job_done(&job);
        return ret_out && !*ret_out ? -ENOMEM : 0;
}

/* templates/NAME, a script for dest_host's sh -c (no @KEY@: it takes its arguments as $1...). */
static int remote_script(struct migrate_session *s, const char *name, char **ret)
{
        _cleanup_free_ char *error = NULL;
        int r;

        r = template_render_file(template_default_dirs(), name, NULL, 0, ret, &error);
        if (r < 0 && error)
                return migrate_error(s, r, "%s", error);
        return r;
}

/* The private directory on the peer, with the canary kernel in it; checks the emulator is there. */
static int remote_setup(struct migrate_session *s)
{
        struct qemu_state *st = state(s);
        const struct migrate_params *p = &s->params;
        _cleanup_free_ char *kernel = NULL, *out = NULL, *script = NULL;
        _cleanup_close_ int fd = -1;
        char *const args[] = {(char *)(p->emulator ?: "qemu-system-x86_64"), NULL};
        size_t len = 0;
        char *dir;
        int r;

        r = remote_script(s, "qemu-remote-setup.sh", &script);
        if (r < 0)
                return r;
        fd = open(p->canary_kernel, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read_fd_full(fd, KERNEL_MAX, &kernel, &len) < 0)
                return migrate_error(s, errno, "cannot read the canary kernel %s: %m", p->canary_kernel);
        r = remote_sh(s, "prepare the destination", script, args, kernel, len, &out);
        if (r < 0)
                return r;
        dir = strip(out);
        if (!startswith(dir, "/") || !strstr(dir, "/hostprep-migrate-") || strchr(dir, '\n'))
                return migrate_error(s, EIO, "unexpected answer from mktemp on %s: %s", p->dest_host, dir);
        st->remote_dir = strdup(dir);
        return st->remote_dir ? 0 : -ENOMEM;
}

/* Kills what still runs from the private directory on the peer and removes it. */
static int remote_remove(struct migrate_session *s)
{
        struct qemu_state *st = state(s);
        char *const args[] = {st->remote_dir, NULL};
        _cleanup_free_ char *script = NULL;
        int r;

        if (!st->remote_dir)
                return 0;
        r = remote_script(s, "qemu-remote-remove.sh", &script);
        if (r < 0)
                return r;
        r = remote_sh(s, "remove the destination's files", script, args, NULL, 0, NULL);
        if (r < 0)
                return r;
        st->remote_dir = mfree(st->remote_dir);
        return 0;
}

/* dest_host's address, and ours toward it (the source of a route to it, found by a UDP connect that
 * sends nothing): the addresses the two QEMUs listen on and connect to. */
static int resolve_addresses(struct migrate_session *s)
{
        struct qemu_state *st = state(s);
        struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai = NULL;
        struct sockaddr_storage here;
        socklen_t len = sizeof(here);
        char a[NI_MAXHOST], b[NI_MAXHOST];
        int r, fd;

        r = getaddrinfo(s->params.dest_host, "9", &hints, &ai);
        if (r != 0)
                return migrate_error(s, EHOSTUNREACH, "cannot resolve %s: %s", s->params.dest_host,
                                     gai_strerror(r));
        fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
            getsockname(fd, (struct sockaddr *)&here, &len) < 0) {
                r = migrate_error(s, errno, "no route to %s: %m", s->params.dest_host);
                if (fd >= 0)
                        close(fd);
                freeaddrinfo(ai);
                return r;
        }
        close(fd);
        r = getnameinfo(ai->ai_addr, ai->ai_addrlen, a, sizeof(a), NULL, 0, NI_NUMERICHOST);
        if (r == 0)
                r = getnameinfo((struct sockaddr *)&here, len, b, sizeof(b), NULL, 0, NI_NUMERICHOST);
        freeaddrinfo(ai);
        if (r != 0)
                return migrate_error(s, EIO, "cannot format an address: %s", gai_strerror(r));
        st->dest_addr = strdup(a);
        st->local_addr = strdup(b);
        return st->dest_addr && st->local_addr ? 0 : -ENOMEM;
}

/* ---- starting a QEMU ---- */

/* ssh running the wrapper around qemu_argv on dest_host, forwarding local_qmp to remote_qmp. */
static int remote_argv(struct migrate_session *s, char *const *qemu_argv, const char *local_qmp,
                       const char *remote_qmp, char ***ret)
{
        struct qemu_state *st = state(s);
        _cleanup_(strv_freep) char **remote = NULL, **ssh = NULL, **v = NULL;
        _cleanup_free_ char *forward = strdup_printf("%s:%s", local_qmp, remote_qmp), *wrapper = NULL;
        const char *extra[] = {"-o",   "ExitOnForwardFailure=yes", "-o", "StreamLocalBindUnlink=yes", "-L",
                               forward};
        int r;

        /* QEMU under a watcher that kills it when the SSH channel closes */
        r = remote_script(s, "qemu-remote-wrapper.sh", &wrapper);
        if (r < 0)
                return r;
        if (!forward || strv_push_dup(&remote, "sh") < 0 || strv_push_dup(&remote, "-c") < 0 ||
            strv_push_dup(&remote, wrapper) < 0 || strv_push_dup(&remote, "sh") < 0)
                return -ENOMEM;
        STRV_FOREACH (a, qemu_argv)
                if (strv_push_dup(&remote, *a) < 0)
                        return -ENOMEM;
        r = ssh_argv(&st->ssh, s->params.dest_host, remote, &ssh);
        if (r < 0)
                return r;
        /* the forwarding options go right after "ssh", before the destination */
        if (strv_push_dup(&v, ssh[0]) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(extra); i++)
                if (strv_push_dup(&v, extra[i]) < 0)
                        return -ENOMEM;
        STRV_FOREACH (a, ssh + 1)
                if (strv_push_dup(&v, *a) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(v);
        return 0;
}

/* Appends the arguments (NULL-terminated) to *v; NULL arguments are skipped. */
static int argv_add(char ***v, ...)
{
        va_list ap;
        int r = 0;

        va_start(ap, v);
        for (const char *a; r >= 0 && (a = va_arg(ap, const char *));)
                r = strv_push_dup(v, a);
        va_end(ap);
        return r;
}

/* QEMU's command line for the canary; its paths are the remote ones (r*) when it runs on the destination. */
static int endpoint_argv(const struct migrate_session *s, const struct qemu_endpoint *ep, bool incoming,
                         const char *rqmp, const char *rserial, const char *rpid, const char *rkernel,
                         char ***ret)
{
        const struct migrate_params *p = &s->params;
        _cleanup_free_ char *mem = strdup_printf("%u", p->canary_mem_mib),
                            *serial = strdup_printf("file:%s", ep->remote ? rserial : ep->serial_path),
                            *qmp = strdup_printf("unix:%s,server=on,wait=off",
                                                 ep->remote ? rqmp : ep->qmp_path),
                            *drive = p->disk ? strdup_printf("file=%s,format=raw,if=virtio,cache=none",
                                                             p->disk)
                                             : NULL;
        _cleanup_(strv_freep) char **v = NULL;
        int r;

        if (!mem || !serial || !qmp || (p->disk && !drive))
                return -ENOMEM;
        /* TCG only: KVM is not something a check may depend on, and the canary needs no speed */
        r = argv_add(&v, p->emulator ?: "qemu-system-x86_64", "-accel", "tcg", "-machine", "pc", "-cpu",
                     "qemu64", "-m", mem, "-smp", "1", "-nodefaults", "-no-user-config", "-display", "none",
                     "-kernel", ep->remote ? rkernel : p->canary_kernel, NULL);
        if (r >= 0 && p->canary_cmdline && *p->canary_cmdline)
                r = argv_add(&v, "-append", p->canary_cmdline, NULL);
        if (r >= 0)
                r = argv_add(&v, "-serial", serial, "-qmp", qmp, NULL);
        /* for remote_remove(), should QEMU outlive its ssh */
        if (r >= 0 && ep->remote)
                r = argv_add(&v, "-pidfile", rpid, NULL);
        /* a file, or an nbd:// URI, which QEMU's file= takes as it is */
        if (r >= 0 && drive)
                r = argv_add(&v, "-drive", drive, NULL);
        if (r >= 0 && incoming)
                r = argv_add(&v, "-incoming", "defer", NULL);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        return 0;
}

/* Starts QEMU here, or on the destination through ssh (which forwards its QMP socket here). */
static int endpoint_launch(struct migrate_session *s, struct qemu_endpoint *ep, bool incoming)
{
        struct qemu_state *st = state(s);
        unsigned n = st->spawned;
        _cleanup_free_ char *rqmp = NULL, *rserial = NULL, *rpid = NULL, *rkernel = NULL;
        _cleanup_(strv_freep) char **argv = NULL, **sshv = NULL;
        int pipefd[2] = {-1, -1}, r;

        if (ep->remote) {
                rqmp = strdup_printf("%s/qemu%u.qmp", st->remote_dir, n);
                rserial = strdup_printf("%s/qemu%u.serial", st->remote_dir, n);
                rpid = strdup_printf("%s/qemu%u.pid", st->remote_dir, n);
                rkernel = strdup_printf("%s/canary.elf", st->remote_dir);
                if (!rqmp || !rserial || !rpid || !rkernel)
                        return -ENOMEM;
        }
        r = endpoint_argv(s, ep, incoming, rqmp, rserial, rpid, rkernel, &argv);
        if (r < 0)
                return r;
        if (ep->remote) {
                r = remote_argv(s, argv, ep->qmp_path, rqmp, &sshv);
                if (r < 0)
                        return migrate_error(s, r, "cannot build the ssh command for %s",
                                             s->params.dest_host);
                if (pipe2(pipefd, O_CLOEXEC) < 0)
                        return migrate_error(s, errno, "pipe: %m");
        }
        ep->pid = spawn(ep->remote ? sshv : argv, ep->log_path, pipefd[0]);
        if (pipefd[0] >= 0)
                close(pipefd[0]);
        ep->ssh_stdin = pipefd[1];
        if (ep->pid < 0) {
                ep->pid = 0;
                return migrate_error(s, errno, "cannot fork %s: %m", ep->remote ? "ssh" : "QEMU");
        }
        return 0;
}

/* Connects to the new QEMU's QMP; gives up early when QEMU (or ssh) exits: bad option, missing file, no
 * connection. */
static int endpoint_connect(struct migrate_session *s, struct qemu_endpoint *ep, bool incoming)
{
        const char *where = ep->remote ? s->params.dest_host : "this host";
        usec_t timeout = ep->remote ? REMOTE_START_TIMEOUT_US : QEMU_START_TIMEOUT_US,
               deadline = deadline_in(timeout);
        _cleanup_free_ char *err = NULL;

        for (;;) {
                int r, status;

                err = mfree(err);
                r = qmp_open_host(ep->qmp_path, ep->remote ? s->params.dest_host : NULL,
                                  deadline_in(200 * USEC_PER_MSEC), &ep->qmp, &err);
                if (r >= 0)
                        return 0;
                if (reap(ep->pid, 0, &status) == 0) {
                        _cleanup_free_ char *log = read_log(ep->log_path);
                        char none[] = "";

                        ep->pid = 0;
                        if (ep->remote && WIFEXITED(status) && WEXITSTATUS(status) == 255)
                                return ssh_failed(s, "start QEMU", 255, false, log ?: none);
                        return migrate_error(s, ECHILD, "QEMU (%s, on %s) exited at start-up: %s",
                                             incoming ? "destination" : "source", where,
                                             log ? last_line(log) : "(no output)");
                }
                if (now_usec() >= deadline)
                        return migrate_error(s, r == -ECONNRESET ? ETIMEDOUT : r,
                                             "QEMU (%s, on %s) did not answer on QMP within %u s%s: %s",
                                             incoming ? "destination" : "source", where,
                                             (unsigned)(timeout / USEC_PER_SEC),
                                             ep->remote ? " (through the SSH-forwarded socket)" : "",
                                             strempty(err));
                if (migrate_session_sleep(s, ep->remote ? 50 : 0) < 0)
                        return migrate_error(s, ECANCELED, "interrupted while QEMU was starting");
        }
}

static int endpoint_spawn(struct migrate_session *s, struct qemu_endpoint *ep, bool incoming)
{
        struct qemu_state *st = state(s);
        unsigned n = ++st->spawned;
        int r;

        endpoint_free(ep);
        ep->qmp_path = strdup_printf("%s/qemu%u.qmp", st->dir, n);
        ep->serial_path = strdup_printf("%s/qemu%u.serial", st->dir, n);
        ep->log_path = strdup_printf("%s/qemu%u.log", st->dir, n);
        if (!ep->qmp_path || !ep->serial_path || !ep->log_path)
                return -ENOMEM;
        unlink(ep->qmp_path);
        r = endpoint_launch(s, ep, incoming);
        return r < 0 ? r : endpoint_connect(s, ep, incoming);
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

/* The guest's run state on ep as QEMU names it ("running", "postmigrate", ...). */
static int query_status(struct migrate_session *s, struct qemu_endpoint *ep, char **ret_status)
{
        _cleanup_(json_object_putp) json_object *rv = NULL;
        json_object *v;
        char *status;
        int r;

        r = qmp_execute(ep->qmp, "query-status", NULL, deadline_in(QMP_CMD_TIMEOUT_USEC), &rv);
        if (r < 0)
                return migrate_error(s, r, "query-status: %s", qmp_last_error(ep->qmp));
        status = strdup(json_object_object_get_ex(rv, "status", &v) ? strempty(json_object_get_string(v))
                                                                    : "unknown");
        if (!status)
                return migrate_error(s, ENOMEM, "query-status: out of memory");
        *ret_status = status;
        return 0;
}

static int qemu_prepare(struct migrate_session *s)
{
        _cleanup_free_ struct qemu_state *st = NULL;
        const struct migrate_params *p = &s->params;
        int r;

        if (s->priv)
                return 0;
        if (p->guest_name)
                return migrate_error(
                        s, EOPNOTSUPP,
                        "the qemu driver cannot attach to an existing guest (yet): it migrates the canary only");
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
        for (unsigned i = 0; i < ELEMENTSOF(st->ep); i++)
                st->ep[i].ssh_stdin = -1;
        st->ep[1].remote = p->dest_host != NULL;
        st->ssh = (struct ssh_options){.user = "root", .connect_timeout = SSH_CONNECT_TIMEOUT_S};
        if (p->state_dir) {
                st->dir = strdup(p->state_dir);
                if (!st->dir)
                        return -ENOMEM;
                if (mkdir(st->dir, 0700) < 0 && errno != EEXIST)
                        return migrate_error(s, errno, "cannot create %s: %m", st->dir);
        } else {
                const char *tmp = getenv("TMPDIR");

                st->dir = strdup_printf("%s/hostprep-migrate-XXXXXX", tmp && *tmp ? tmp : PATH_TMP);
                if (!st->dir)
                        return -ENOMEM;
                if (!mkdtemp(st->dir)) {
                        r = migrate_error(s, errno, "cannot create a state directory %s: %m", st->dir);
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
                                r = -errno;
                                close(fd);
                                unlink(p->disk);
                                free(st->dir);
                                return migrate_error(s, r, "cannot size the canary disk %s: %m", p->disk);
                        }
                        close(fd);
                } else if (errno != EEXIST) {
                        r = migrate_error(s, errno, "cannot create the canary disk %s: %m", p->disk);
                        free(st->dir);
                        return r;
                }
        }
        s->priv = TAKE_PTR(st);
        if (!p->dest_host)
                return 0;
        /* from here on cleanup() removes what was made, also on failure */
        r = resolve_addresses(s);
        if (r >= 0)
                r = remote_setup(s);
        return r;
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
                        _cleanup_free_ char *serial = read_log(st->ep[0].serial_path);

                        return migrate_error(s, ETIMEDOUT,
                                             "the canary did not come up within %u s (magic 0x%08" PRIx32
                                             " 0x%08" PRIx32 ", serial: %s)",
                                             (unsigned)(CANARY_BOOT_TIMEOUT_US / USEC_PER_SEC), b.magic0,
                                             b.magic1, serial ? last_line(serial) : "(no output)");
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

/* One progress report from a query-migrate answer. */
static void report_progress(struct migrate_session *s, json_object *info, const char *status, usec_t elapsed,
                            uint64_t dirty_rate_bps)
{
        struct migrate_progress_info pi = {
                .elapsed_ms = elapsed / USEC_PER_MSEC,
                .transferred = jget_u64(info, "ram", "transferred"),
                .remaining = jget_u64(info, "ram", "remaining"),
                .total = jget_u64(info, "ram", "total"),
                /* "mbps" is megabits per second */
                .throughput_bps = jget_u64(info, "ram", "mbps") * 1000000 / 8,
                .dirty_rate_bps = dirty_rate_bps,
                .pass = jget_u64(info, "ram", "dirty-sync-count"),
        };

        if (streq(status, "setup"))
                pi.phase = MIGRATE_PHASE_SETUP;
        else if (streq(status, "completed"))
                pi.phase = MIGRATE_PHASE_DONE;
        else if (streq(status, "pre-switchover") || streq(status, "device"))
                pi.phase = MIGRATE_PHASE_SWITCHOVER;
        else
                pi.phase = MIGRATE_PHASE_COPYING;
        migrate_report_progress(s, &pi);
}

/* The URI the source connects to: the incoming side's "tcp:ADDR:0" with the port it got. */
static int listening_uri(struct migrate_session *s, struct qemu_endpoint *dst, char **uri)
{
        _cleanup_(json_object_putp) json_object *rv = NULL;
        json_object *a, *port;
        char *u;
        int r;

        r = qmp_execute(dst->qmp, "query-migrate", NULL, deadline_in(QMP_CMD_TIMEOUT_USEC), &rv);
        if (r < 0)
                return migrate_error(s, r, "destination: %s", qmp_last_error(dst->qmp));
        if (!json_object_object_get_ex(rv, "socket-address", &a) || json_object_array_length(a) < 1 ||
            !json_object_object_get_ex(json_object_array_get_idx(a, 0), "port", &port))
                return migrate_error(
                        s, EPROTO,
                        "the destination QEMU does not say which port it listens on (query-migrate has no socket-address; QEMU older than 4.0?)");
        u = strdup_printf("%.*s%s", (int)(strlen(*uri) - 1), *uri, json_object_get_string(port));
        if (!u)
                return -ENOMEM;
        free(*uri);
        *uri = u;
        return 0;
}

/* Cancels the job, waits until the source says so, and checks the guest still runs there. */
static int abort_migration(struct migrate_session *s, struct qemu_endpoint *src, struct qemu_endpoint *dst,
                           int err)
{
        usec_t deadline = deadline_in(CANCEL_TIMEOUT_US);
        _cleanup_free_ char *status = NULL;

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
        if (query_status(s, src, &status) >= 0 && !streq(status, "running"))
                migrate_error_append(s, "; the guest is NOT running on the source (%s)", status);
        else
                migrate_error_append(s, "; migration cancelled, the guest keeps running on the source");
        return err;
}

/* The destination listening (started if it is not) with both sides' capabilities and parameters set;
 * *ret_uri is where the source sends to. */
static int migrate_setup(struct migrate_session *s, char **ret_uri, uint64_t *ret_bandwidth)
{
        struct qemu_state *st = state(s);
        struct qemu_endpoint *src = &st->ep[st->cur], *dst = &st->ep[1 - st->cur];
        _cleanup_free_ char *uri = NULL;
        json_object *args;
        int r;

        if (!dst->qmp) {
                r = endpoint_spawn(s, dst, true);
                if (r < 0)
                        return r;
        }
        if (s->params.dest_uri)
                uri = strdup(s->params.dest_uri);
        else if (st->dest_addr) {
                /* across hosts: the incoming side listens on its own address, on a port it picks */
                const char *a = dst->remote ? st->dest_addr : st->local_addr;
                uri = strdup_printf(strchr(a, ':') ? "tcp:[%s]:0" : "tcp:%s:0", a);
        } else
                uri = strdup_printf("unix:%s/migration%u.sock", st->dir, st->spawned);
        if (!uri)
                return -ENOMEM;
        r = set_capabilities(s, src, true);
        if (r >= 0)
                r = set_capabilities(s, dst, false);
        if (r >= 0)
                r = set_parameters(s, src, ret_bandwidth);
        if (r < 0)
                return r;

        args = json_object_new_object();
        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "uri", json_object_new_string(uri));
        r = qmp_execute(dst->qmp, "migrate-incoming", args, deadline_in(QMP_CMD_TIMEOUT_USEC), NULL);
        if (r < 0)
                return migrate_error(s, r, "destination: %s", qmp_last_error(dst->qmp));
        if (endswith(uri, ":0")) {
                r = listening_uri(s, dst, &uri);
                if (r < 0)
                        return r;
        }
        *ret_uri = TAKE_PTR(uri);
        return 0;
}

/* What watching a running migration keeps between looks. */
struct migrate_watch {
        struct migrate_progress progress;
        struct canary_block b0;
        usec_t t0, sample_t, deadline;
        uint64_t bandwidth, canary_rate;
        bool postcopy_started;
};

/* The rate the guest dirties memory at: the canary's own count of dirtied pages is the rate it really
 * writes at; QEMU's estimate counts each page once per pass and so cannot exceed what one pass carries. */
static uint64_t watch_dirty_rate(struct migrate_session *s, struct migrate_watch *w, json_object *info,
                                 const char *status, usec_t now)
{
        struct qemu_state *st = state(s);
        uint64_t qemu_rate =
                jget_u64(info, "ram", "dirty-pages-rate") * (jget_u64(info, "ram", "page-size") ?: 4096);
        struct canary_block b;

        if (now - w->sample_t >= USEC_PER_SEC && !streq(status, "postcopy-active") &&
            read_block(s, &st->ep[st->cur], &b) >= 0 && b.heartbeat != w->b0.heartbeat) {
                w->canary_rate = (uint64_t)(b.dirtied - w->b0.dirtied) * CANARY_PAGE_SIZE * 1000 /
                                 (uint32_t)(b.heartbeat - w->b0.heartbeat);
                w->b0 = b;
                w->sample_t = now;
        }
        if (qemu_rate > s->stats.dirty_rate_bps)
                s->stats.dirty_rate_bps = qemu_rate;
        if (w->canary_rate > s->stats.dirty_rate_bps)
                s->stats.dirty_rate_bps = w->canary_rate;
        return w->canary_rate > qemu_rate ? w->canary_rate : qemu_rate;
}

/* A running migration that makes no progress: post-copy once when the profile allows it, else the end. */
static int watch_stalled(struct migrate_session *s, struct migrate_watch *w, uint64_t rate,
                         uint64_t remaining)
{
        struct qemu_state *st = state(s);
        struct qemu_endpoint *src = &st->ep[st->cur];
        int r;

        if (!s->params.postcopy || w->postcopy_started)
                return migrate_error_no_progress(s, &w->progress,
                                                 &(struct migrate_no_progress){
                                                         .now_us = now_usec(),
                                                         .dirty_rate_bps = rate,
                                                         .bandwidth_bps = w->bandwidth,
                                                         .remaining = remaining,
                                                         .ports = "the port the destination QEMU listens on",
                                                 });
        r = qmp_execute(src->qmp, "migrate-start-postcopy", NULL, deadline_in(QMP_CMD_TIMEOUT_USEC), NULL);
        if (r < 0)
                return migrate_error(s, r, "switching to post-copy: %s", qmp_last_error(src->qmp));
        w->postcopy_started = true;
        s->stats.postcopy_used = true;
        return 0;
}

#define WATCH_COMPLETED 1
#define WATCH_FAILED    2 /* QEMU says it failed: the error is set, the destination stopped, no abort */

/* One look at the running migration: WATCH_COMPLETED (*info its last state), WATCH_FAILED, 0 go on, <0 the
 * error that ends it (the caller aborts the migration). */
static int watch_step(struct migrate_session *s, struct migrate_watch *w, json_object **info)
{
        const struct migrate_params *p = &s->params;
        struct qemu_state *st = state(s);
        struct qemu_endpoint *src = &st->ep[st->cur], *dst = &st->ep[1 - st->cur];
        uint64_t rate, remaining;
        const char *status;
        json_object *v;
        usec_t now;
        int r;

        r = migrate_session_sleep(s, MIGRATE_POLL_MS);
        if (r < 0)
                return migrate_error(s, r, "interrupted");
        json_object_put(*info);
        *info = NULL;
        r = qmp_execute(src->qmp, "query-migrate", NULL, deadline_in(QMP_CMD_TIMEOUT_USEC), info);
        if (r < 0)
                return migrate_error(s, r, "source: %s", qmp_last_error(src->qmp));
        status = json_object_object_get_ex(*info, "status", &v) ? json_object_get_string(v) : "";
        if (streq(status, "completed"))
                return WATCH_COMPLETED;
        if (streq(status, "failed") || streq(status, "cancelled")) {
                const char *desc = json_object_object_get_ex(*info, "error-desc", &v)
                                           ? json_object_get_string(v)
                                           : "no reason given";
                endpoint_stop(dst);
                (void)migrate_error(s, EIO, "migration %s: %s", status, desc);
                return WATCH_FAILED;
        }

        now = now_usec();
        remaining = jget_u64(*info, "ram", "remaining");
        rate = watch_dirty_rate(s, w, *info, status, now);
        report_progress(s, *info, status, now - w->t0, rate);
        if (now >= w->deadline)
                return migrate_error(
                        s, ETIMEDOUT,
                        "migration did not complete within %.1f s (status %s, %.1f MiB left, dirty rate %.1f MiB/s, bandwidth %.1f MiB/s)",
                        p->completion_timeout_ms / 1000.0, status, remaining / (double)MIB,
                        rate / (double)MIB, w->bandwidth / (double)MIB);
        if (!streq(status, "active") ||
            !migrate_progress_update(&w->progress, now, p->stall_timeout_ms,
                                     jget_u64(*info, "ram", "dirty-sync-count"), remaining,
                                     jget_u64(*info, "ram", "transferred")))
                return 0;
        return watch_stalled(s, w, rate, remaining);
}

/* A completed migration: its statistics, and the guest running on the destination. */
static int migrate_finish(struct migrate_session *s, const struct migrate_watch *w, json_object *info)
{
        struct qemu_state *st = state(s);
        struct qemu_endpoint *dst = &st->ep[1 - st->cur];
        int r;

        s->stats.wall_time_ms = (now_usec() - w->t0) / USEC_PER_MSEC;
        s->stats.total_time_ms = jget_u64(info, "total-time", NULL);
        s->stats.downtime_ms = jget_u64(info, "downtime", NULL);
        s->stats.setup_time_ms = jget_u64(info, "setup-time", NULL);
        s->stats.bytes_transferred = jget_u64(info, "ram", "transferred");
        /* "mbps" is megabits per second */
        s->stats.throughput_bps = jget_u64(info, "ram", "mbps") * 1000000 / 8;
        s->stats.iterations = jget_u64(info, "ram", "dirty-sync-count");

        if (!s->params.live) {
                r = qmp_execute(dst->qmp, "cont", NULL, deadline_in(QMP_CMD_TIMEOUT_USEC), NULL);
                if (r < 0)
                        return migrate_error(s, r, "destination: %s", qmp_last_error(dst->qmp));
        }
        r = qmp_wait_event(dst->qmp, "RESUME", deadline_in(RESUME_TIMEOUT_US), NULL);
        if (r < 0)
                return migrate_error(
                        s, r,
                        "the source reports the migration completed, but the destination did not resume within %u s: %s",
                        (unsigned)(RESUME_TIMEOUT_US / USEC_PER_SEC), qmp_last_error(dst->qmp));
        report_progress(s, info, "completed", now_usec() - w->t0, s->stats.dirty_rate_bps);
        st->cur = 1 - st->cur;
        s->stats.migrations++;
        st->verified = false;
        return 0;
}

/* set up, start, watch until completed (or abort), finish. */
static int qemu_migrate(struct migrate_session *s)
{
        struct qemu_state *st = state(s);
        struct qemu_endpoint *src = &st->ep[st->cur], *dst = &st->ep[1 - st->cur];
        _cleanup_(json_object_putp) json_object *info = NULL;
        struct migrate_watch w = {};
        _cleanup_free_ char *uri = NULL;
        json_object *args;
        int r;

        if (!src->qmp)
                return migrate_error(s, ESRCH, "no guest to migrate");
        r = migrate_setup(s, &uri, &w.bandwidth);
        if (r < 0)
                return r;
        if (!s->params.live) {
                r = qmp_execute(src->qmp, "stop", NULL, deadline_in(QMP_CMD_TIMEOUT_USEC), NULL);
                if (r < 0)
                        return migrate_error(s, r, "source: %s", qmp_last_error(src->qmp));
        }
        r = read_block(s, src, &w.b0);
        if (r < 0)
                return r;
        s->stats.heartbeat_before = w.b0.heartbeat;
        w.sample_t = now_usec();

        args = json_object_new_object();
        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "uri", json_object_new_string(uri));
        w.t0 = now_usec();
        r = qmp_execute(src->qmp, "migrate", args, deadline_in(QMP_CMD_TIMEOUT_USEC), NULL);
        if (r < 0)
                return migrate_error(s, r, "source: %s", qmp_last_error(src->qmp));

        migrate_progress_init(&w.progress, w.t0);
        migrate_report_progress(s, &(struct migrate_progress_info){.phase = MIGRATE_PHASE_SETUP});
        w.deadline = w.t0 + (usec_t)s->params.completion_timeout_ms * USEC_PER_MSEC;
        while ((r = watch_step(s, &w, &info)) == 0)
                ;
        if (r == WATCH_FAILED)
                return -EIO;
        if (r < 0)
                return abort_migration(s, src, dst, r);
        return migrate_finish(s, &w, info);
}

static int qemu_verify(struct migrate_session *s)
{
        struct qemu_state *st = state(s);
        struct qemu_endpoint *dst = &st->ep[st->cur], *src = &st->ep[1 - st->cur];
        struct canary_block b = {};
        _cleanup_free_ char *status = NULL;
        usec_t deadline;
        int r;

        if (!dst->qmp)
                return migrate_error(s, ESRCH, "no guest to verify");
        r = query_status(s, dst, &status);
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
                status = mfree(status);
                r = query_status(s, src, &status);
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
        int r;

        if (!st)
                return 0;
        for (unsigned i = 0; i < ELEMENTSOF(st->ep); i++)
                endpoint_stop(&st->ep[i]);
        r = remote_remove(s);
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
        return r;
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
        free(st->remote_dir);
        free(st->dest_addr);
        free(st->local_addr);
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

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision/apply.c against a real systemd: the container of tests/testbed/systemd-tier.
 *
 * The test runs on the host and reaches the container the way `hostprep apply --root DIR` would reach an
 * image or a chroot: its files through the root /proc/LEADER/root (LEADER from the tier's bus address),
 * its services over its system bus. So the same binary (plain or sanitized) needs nothing copied into
 * the container, and every path is the production one. Checksums are taken inside the container with
 * "systemd-tier exec".
 *
 * Cases: dry run leaves /etc as it was; apply writes files under /etc, creates a directory, enables and
 * starts hp-dummy.service; a second apply changes nothing; rollback restores /etc checksum for checksum
 * and the unit's enablement and state; a second rollback is a no-op. A stop and a start of the running
 * unit in one plan are both done, and rolled back to running. Then kill -9 at random moments of
 * an apply (HOSTPREP_APPLY_TRIALS, default 60; seed HOSTPREP_APPLY_SEED): every touched file is its old
 * or its new content, whole, and rollback (even trials) or a new apply (odd ones) converges.
 *
 * Exits 77 when not root or when the tier is not up. */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "provision/apply.h"
#include "provision/systemd.h"
#include "strv.h"
#include "util.h"

#define EXIT_SKIP 77
#define DUMMY     "hp-dummy.service"
#define BIG_LINES 40000 /* ~2 MB per version: a write that takes long enough to be killed in */

static const char *tier;
static char *address;
static char *root;
static struct hostfs *fs;
static sd_bus *bus;
static char *small_old, *small_new, *big_old, *big_new;

#define CHECK(expr)                                                                                         \
        do {                                                                                                \
                if (!(expr)) {                                                                              \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr);            \
                        return -1;                                                                          \
                }                                                                                           \
        } while (0)

static usec_t in_seconds(unsigned s)
{
        return now_usec() + s * USEC_PER_SEC;
}

/* Runs the tier script with args; its output (bounded) in *ret. */
static int tier_run(char **ret, const char *arg1, const char *arg2, const char *arg3, const char *arg4)
{
        _cleanup_(hostfs_freep) struct hostfs *live = NULL;
        char *argv[] = {(char *)tier, (char *)arg1, (char *)arg2, (char *)arg3, (char *)arg4, NULL};
        _cleanup_free_ char *out = NULL;
        int r, status;

        r = hostfs_new("/", &live);
        if (r < 0)
                return r;
        r = apply_run_command(live, argv, in_seconds(30), &status, &out);
        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -EIO;
        if (ret)
                *ret = TAKE_PTR(out);
        return 0;
}

/* One digest over /etc inside the container: every entry's path, type, mode, owner and link target, and
 * every regular file's content. */
static int etc_digest(char **ret)
{
        static const char script[] =
                "{ find /etc -xdev -printf '%p %y %m %U:%G %l\\n' | sort;  find /etc -xdev -type f -exec sha256sum {} + | sort; } | sha256sum";
        return tier_run(ret, "exec", "sh", "-c", script);
}

static int unit_state(struct service_state *st)
{
        return systemd_service_get_state(bus, DUMMY, in_seconds(10), st, NULL);
}

static bool active_like(const char *s)
{
        return streq(s, "active") || streq(s, "activating") || streq(s, "reloading");
}

/* hp-dummy stopped and disabled, the test's files at their old content, no state: the baseline. */
static int baseline(void)
{
        char *units[] = {(char *)DUMMY, NULL};
        _cleanup_free_ char *state = strdup_printf("%s/var/lib/hostprep", root);
        _cleanup_free_ char *cmd = NULL;
        int r;

        r = systemd_service_run_job(bus, DUMMY, SERVICE_JOB_STOP, in_seconds(10), NULL);
        if (r >= 0)
                r = systemd_service_files_disable(bus, units, in_seconds(10), NULL);
        if (r < 0)
                return r;
        r = apply_write_file(fs, "/etc/hp-apply-small.conf", small_old, strlen(small_old), 0640);
        if (r >= 0)
                r = apply_write_file(fs, "/etc/hp-apply-big.conf", big_old, strlen(big_old), 0644);
        if (r < 0)
                return r;
        /* leftovers of an earlier, interrupted test run */
        (void)hostfs_unlink(fs, "/etc/hp-apply-new.conf", 0);
        (void)hostfs_unlink(fs, "/etc/hp-apply.d/drop.conf", 0);
        (void)hostfs_unlink(fs, "/etc/hp-apply.d", AT_REMOVEDIR);
        return tier_run(NULL, "exec", "rm", "-rf", "/var/lib/hostprep") < 0 ? -EIO : (state ? 0 : -ENOMEM);
}

static int make_plan(struct plan *p)
{
        *p = (struct plan){};
        if (plan_write_file(p, "test.small", "/etc/hp-apply-small.conf", small_old, small_new, 0644,
                            "edit") < 0 ||
            plan_write_file(p, "test.big", "/etc/hp-apply-big.conf", big_old, big_new, 0644, "edit big") <
                    0 ||
            plan_write_file(p, "test.new", "/etc/hp-apply-new.conf", NULL, "new\n", 0600, "create") < 0 ||
            plan_mkdir(p, "test.dir", "/etc/hp-apply.d", 0755, NULL) < 0 ||
            plan_write_file(p, "test.dir", "/etc/hp-apply.d/drop.conf", NULL, "drop-in\n", 0644, NULL) < 0 ||
            plan_service(p, "test.unit", DUMMY, SERVICE_ENABLE, "at boot") < 0 ||
            plan_service(p, "test.unit", DUMMY, SERVICE_START, "now") < 0)
                return -ENOMEM;
        return 0;
}

static struct apply_options options(void)
{
        return (struct apply_options){
                .fs = fs, .bus = bus, .deadline = in_seconds(60), .force = true, .no_journald = true};
}

static bool has(const char *path, const char *text)
{
        _cleanup_free_ char *s = NULL;

        if (hostfs_read_file(fs, path, &s, NULL) < 0)
                return !text;
        return text && streq(s, text);
}

static int check_new(void)
{
        struct service_state st;
        struct stat s;

        CHECK(has("/etc/hp-apply-small.conf", small_new) && has("/etc/hp-apply-big.conf", big_new));
        CHECK(has("/etc/hp-apply-new.conf", "new\n") && has("/etc/hp-apply.d/drop.conf", "drop-in\n"));
        CHECK(hostfs_stat(fs, "/etc/hp-apply-small.conf", &s) == 0 && (s.st_mode & 07777) == 0640);
        CHECK(unit_state(&st) == 0 && streq(st.unit_file_state, "enabled") &&
              streq(st.active_state, "active"));
        return 0;
}

static int check_old(const char *digest0)
{
        _cleanup_free_ char *digest = NULL;
        struct service_state st;

        CHECK(etc_digest(&digest) == 0);
        if (!streq(digest, digest0)) {
                fprintf(stderr, "/etc differs from before: %s vs %s", digest, digest0);
                return -1;
        }
        CHECK(unit_state(&st) == 0 && streq(st.unit_file_state, "disabled") &&
              !active_like(st.active_state));
        return 0;
}

static int test_dry_run_apply_rollback(const char *digest0, usec_t *ret_apply_time)
{
        _cleanup_(plan_done) struct plan p;
        struct apply_options o = options();
        struct apply_report r = {};
        _cleanup_free_ char *digest = NULL;
        usec_t t0;

        CHECK(make_plan(&p) == 0);
        o.dry_run = true;
        CHECK(apply_plan(&p, &o, &r) == 0);
        for (size_t i = 0; i < r.n_results; i++)
                CHECK(r.results[i].status == APPLY_PLANNED);
        apply_report_done(&r);
        CHECK(check_old(digest0) == 0);
        printf("  dry run: 7 actions would change, /etc digest unchanged\n");

        o.dry_run = false;
        t0 = now_usec();
        CHECK(apply_plan(&p, &o, &r) == 0);
        *ret_apply_time = now_usec() - t0;
        for (size_t i = 0; i < r.n_results; i++)
                CHECK(r.results[i].status == APPLY_DONE);
        apply_report_done(&r);
        CHECK(check_new() == 0);
        CHECK(etc_digest(&digest) == 0 && !streq(digest, digest0));
        printf("  apply: 7 actions done in %.3f s\n", (double)*ret_apply_time / USEC_PER_SEC);

        CHECK(apply_plan(&p, &o, &r) == 0);
        for (size_t i = 0; i < r.n_results; i++)
                CHECK(r.results[i].status == APPLY_UNCHANGED);
        CHECK(!r.run_id[0]);
        apply_report_done(&r);

        CHECK(apply_rollback(&o, NULL, &r) == 0);
        apply_report_print(stdout, &r, false);
        apply_report_done(&r);
        CHECK(check_old(digest0) == 0);
        CHECK(apply_rollback(&o, NULL, &r) == 1);
        apply_report_done(&r);
        printf("  rollback: /etc digest and %s enablement as before; second rollback a no-op\n", DUMMY);
        return 0;
}

/* A stop and a start of the same running unit in one plan (as libvirt.listen plans around a socket
 * systemd starts only while its service is stopped): preflight sees the unit running, yet the start is
 * carried out after the stop, and journalled from the stopped state, so a rollback stops it and starts
 * it again: running, as before. */
static int test_stop_start(void)
{
        _cleanup_(plan_done) struct plan p = {};
        struct apply_options o = options();
        struct apply_report r = {};
        struct service_state st;

        CHECK(baseline() == 0);
        CHECK(systemd_service_run_job(bus, DUMMY, SERVICE_JOB_START, in_seconds(10), NULL) >= 0);
        CHECK(plan_service(&p, "test.unit", DUMMY, SERVICE_STOP, "let go") == 0);
        CHECK(plan_service(&p, "test.unit", DUMMY, SERVICE_START, "again") == 0);
        CHECK(apply_plan(&p, &o, &r) == 0);
        CHECK(r.n_results == 2 && r.results[0].status == APPLY_DONE && r.results[1].status == APPLY_DONE);
        apply_report_done(&r);
        CHECK(unit_state(&st) == 0 && active_like(st.active_state));
        CHECK(apply_rollback(&o, NULL, &r) == 0);
        CHECK(r.n_results == 2 && r.results[0].status == APPLY_DONE && r.results[1].status == APPLY_DONE);
        apply_report_done(&r);
        CHECK(unit_state(&st) == 0 && active_like(st.active_state));
        printf("  stop + start of a running %s: both done; rollback: stopped and started again\n", DUMMY);
        return baseline();
}

static int dummy_pid(char **ret)
{
        return tier_run(ret, "exec", "sh", "-c", "systemctl show -p MainPID --value " DUMMY) < 0 ? -EIO : 0;
}

/* A file edit and a restart that makes the service read it: a restart cannot be taken back, so rollback
 * restores the file first and then restarts the service again (a new MainPID each time), so the service
 * runs with the old file as before the run. */
static int test_restart_rollback(void)
{
        _cleanup_(plan_done) struct plan p = {};
        _cleanup_free_ char *pid0 = NULL, *pid1 = NULL, *pid2 = NULL;
        struct apply_options o = options();
        struct apply_report r = {};

        CHECK(baseline() == 0);
        CHECK(systemd_service_run_job(bus, DUMMY, SERVICE_JOB_START, in_seconds(10), NULL) >= 0);
        CHECK(dummy_pid(&pid0) == 0);
        CHECK(plan_write_file(&p, "test.small", "/etc/hp-apply-small.conf", small_old, small_new, 0640,
                              "edit") == 0);
        CHECK(plan_service(&p, "test.unit", DUMMY, SERVICE_RESTART, "read it") == 0);
        CHECK(apply_plan(&p, &o, &r) == 0);
        CHECK(r.n_results == 2 && r.results[1].status == APPLY_DONE);
        apply_report_done(&r);
        CHECK(dummy_pid(&pid1) == 0 && !streq(pid0, pid1));
        CHECK(apply_rollback(&o, NULL, &r) == 0);
        apply_report_print(stdout, &r, false);
        CHECK(r.n_results == 2 && r.results[0].status == APPLY_DONE &&
              strstr(r.results[0].what, "restore") && r.results[1].status == APPLY_DONE &&
              strstr(r.results[1].what, "again"));
        apply_report_done(&r);
        CHECK(has("/etc/hp-apply-small.conf", small_old));
        CHECK(dummy_pid(&pid2) == 0 && !streq(pid1, pid2));
        printf("  restart after an edit: rollback restored the file, then restarted %s again (%s -> %s -> %s)\n",
               DUMMY, strip(pid0), strip(pid1), strip(pid2));
        return baseline();
}

/* The child of a trial: its own bus connection (sd-bus objects do not cross fork) and an apply. */
static _Noreturn void apply_child(int ready_fd)
{
        _cleanup_(plan_done) struct plan p;
        struct apply_report r = {};
        struct apply_options o;

        if (make_plan(&p) < 0 || systemd_bus_open(address, in_seconds(10), &bus, NULL) < 0)
                _exit(2);
        o = options();
        /* the parent's clock starts here, not while the bus connection is made */
        if (write(ready_fd, "x", 1) != 1)
                _exit(2);
        _exit(apply_plan(&p, &o, &r) == 0 ? 0 : 1);
}

/* Whole old or whole new; counts how many were new. */
static int check_whole(unsigned *ret_new)
{
        bool s_old = has("/etc/hp-apply-small.conf", small_old),
             s_new = has("/etc/hp-apply-small.conf", small_new);
        bool b_old = has("/etc/hp-apply-big.conf", big_old), b_new = has("/etc/hp-apply-big.conf", big_new);
        bool n_old = has("/etc/hp-apply-new.conf", NULL), n_new = has("/etc/hp-apply-new.conf", "new\n");

        CHECK(s_old || s_new);
        CHECK(b_old || b_new);
        CHECK(n_old || n_new);
        CHECK(has("/etc/hp-apply.d/drop.conf", NULL) || has("/etc/hp-apply.d/drop.conf", "drop-in\n"));
        *ret_new = s_new + b_new + n_new;
        return 0;
}

/* Undoes every run not yet rolled back, newest first. */
static int rollback_all(const struct apply_options *o, unsigned trial)
{
        struct apply_run_info *runs = NULL;
        struct apply_report r = {};
        size_t n = 0;
        int rr;

        CHECK(apply_list_runs(o, &runs, &n) == 0);
        for (size_t k = n; k-- > 0;) {
                if (streq(runs[k].state, "rolled-back"))
                        continue;
                rr = apply_rollback(o, runs[k].id, &r);
                if (rr != 0) {
                        fprintf(stderr, "trial %u: rollback %s: %d %s\n", trial, runs[k].id, rr,
                                strna(r.error));
                        apply_report_done(&r);
                        apply_run_info_free_many(runs, n);
                        return -1;
                }
                apply_report_done(&r);
        }
        apply_run_info_free_many(runs, n);
        return 0;
}

static int test_kill_trials(const char *digest0, usec_t apply_time)
{
        const char *s = getenv("HOSTPREP_APPLY_TRIALS"), *seed_s = getenv("HOSTPREP_APPLY_SEED");
        unsigned trials = s ? (unsigned)atoi(s) : 60,
                 seed = seed_s ? (unsigned)atoi(seed_s) : (unsigned)time(NULL);
        unsigned before = 0, partial = 0, complete = 0, finished = 0;
        usec_t t0 = now_usec();

        printf("  kill -9 trials: %u, seed %u (HOSTPREP_APPLY_SEED), kill 0..%.3f s into the apply\n",
               trials, seed, 1.2 * (double)apply_time / USEC_PER_SEC);
        for (unsigned i = 0; i < trials; i++) {
                struct apply_options o = options();
                struct apply_report r = {};
                struct timespec delay;
                /* u squared: half of the kills land in the first quarter, where the files are written */
                double u = (double)rand_r(&seed) / RAND_MAX;
                usec_t wait = (usec_t)(u * u * 1.2 * (double)apply_time);
                int ready[2];
                char c;
                unsigned n_new = 0;
                int status, rr;
                pid_t pid;

                CHECK(baseline() == 0);
                CHECK(pipe(ready) == 0);
                pid = fork();
                CHECK(pid >= 0);
                if (pid == 0)
                        apply_child(ready[1]);
                close(ready[1]);
                CHECK(read(ready[0], &c, 1) == 1);
                close(ready[0]);
                delay = (struct timespec){(time_t)(wait / USEC_PER_SEC), (long)(wait % USEC_PER_SEC) * 1000};
                nanosleep(&delay, NULL);
                (void)kill(pid, SIGKILL);
                CHECK(waitpid(pid, &status, 0) == pid);
                if (WIFEXITED(status)) {
                        CHECK(WEXITSTATUS(status) == 0);
                        finished++;
                }

                if (check_whole(&n_new) < 0) {
                        fprintf(stderr, "trial %u (killed after %.3f s): a file is neither old nor new\n", i,
                                (double)wait / USEC_PER_SEC);
                        return -1;
                }
                before += n_new == 0;
                partial += n_new > 0 && n_new < 3;
                complete += n_new == 3;

                if (i % 2) {
                        /* the next apply converges from wherever the killed one stopped */
                        _cleanup_(plan_done) struct plan p;

                        CHECK(make_plan(&p) == 0);
                        rr = apply_plan(&p, &o, &r);
                        if (rr != 0)
                                fprintf(stderr, "trial %u: apply after kill: %s\n", i, strna(r.error));
                        CHECK(rr == 0);
                        apply_report_done(&r);
                        CHECK(check_new() == 0);
                }
                if (rollback_all(&o, i) < 0)
                        return -1;
                apply_report_done(&r);
                if (check_old(digest0) < 0) {
                        fprintf(stderr, "trial %u (killed after %.3f s, %s): not converged back\n", i,
                                (double)wait / USEC_PER_SEC, i % 2 ? "apply then rollback" : "rollback");
                        return -1;
                }
        }
        printf("  %u trials in %.1f s: killed before any file changed %u, between files %u, after all files %u (of which the apply had finished %u); every file whole, every trial converged\n",
               trials, (double)(now_usec() - t0) / USEC_PER_SEC, before, partial, complete, finished);
        return 0;
}

static char *lines(const char *word, unsigned n)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return NULL;
        for (unsigned i = 0; i < n; i++)
                fprintf(f, "%s line %u of a file big enough to take a while to write\n", word, i);
        return fclose(f) == 0 ? buf : NULL;
}

int main(void)
{
        _cleanup_free_ char *digest0 = NULL, *out = NULL;
        usec_t apply_time = 0;
        unsigned leader;
        int r, failed = 0;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (geteuid() != 0) {
                printf("SKIP: needs root to reach the container\n");
                return EXIT_SKIP;
        }
        tier = getenv("HOSTPREP_SYSTEMD_TIER");
        if (!tier || tier_run(&out, "bus-address", NULL, NULL, NULL) < 0) {
                printf("SKIP: the systemd tier is not up (tests/testbed/systemd-tier up)\n");
                return EXIT_SKIP;
        }
        address = strdup(strip(out));
        if (!address || sscanf(address, "unix:path=/proc/%u/root/", &leader) != 1) {
                printf("FAIL: unexpected bus address '%s'\n", strna(address));
                return EXIT_FAILURE;
        }
        root = strdup_printf("/proc/%u/root", leader);
        small_old = strdup("# kept comment\nsetting = old\n");
        small_new = strdup("# kept comment\nsetting = new\n");
        big_old = lines("old", BIG_LINES);
        big_new = lines("new", BIG_LINES);
        if (!root || !small_old || !small_new || !big_old || !big_new)
                return EXIT_FAILURE;
        r = hostfs_new(root, &fs);
        if (r >= 0)
                r = systemd_bus_open(address, in_seconds(10), &bus, NULL);
        if (r < 0) {
                printf("FAIL: cannot reach the container at %s: %s\n", root, strerror(-r));
                return EXIT_FAILURE;
        }
        printf("root %s, bus %s\n", root, address);

        if (baseline() < 0 || etc_digest(&digest0) < 0) {
                printf("FAIL: cannot set up the baseline\n");
                return EXIT_FAILURE;
        }
        if (test_dry_run_apply_rollback(digest0, &apply_time) < 0) {
                printf("FAIL dry_run_apply_rollback\n");
                failed++;
        } else
                printf("ok   dry_run_apply_rollback\n");
        if (test_stop_start() < 0) {
                printf("FAIL stop_start\n");
                failed++;
        } else
                printf("ok   stop_start\n");
        if (test_restart_rollback() < 0) {
                printf("FAIL restart_rollback\n");
                failed++;
        } else
                printf("ok   restart_rollback\n");
        if (!failed) {
                if (test_kill_trials(digest0, apply_time) < 0) {
                        printf("FAIL kill_trials\n");
                        failed++;
                } else
                        printf("ok   kill_trials\n");
        }
        (void)baseline();
        (void)hostfs_unlink(fs, "/etc/hp-apply-small.conf", 0);
        (void)hostfs_unlink(fs, "/etc/hp-apply-big.conf", 0);
        sd_bus_close_unref(bus);
        hostfs_free(fs);
        free(address), free(root), free(small_old), free(small_new), free(big_old), free(big_new);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

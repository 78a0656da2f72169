/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostprep migrate --to HOST: a preflight of the units a migration depends on, then a live migration of the
 * canary (or --guest NAME) through a migrate driver, verified on the other side. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>

#include "config.h"
#include "datadir.h"
#include "migrate/driver.h"
#include "strv.h"
#include "verbs.h"

static const char *arg_to = NULL;
static const char *arg_driver = NULL;
static const char *arg_guest = NULL; /* NULL: the canary */
static const char *arg_disk = NULL;
static bool arg_round_trip = false;
static bool arg_force = false;

/* migrate's own results. A failed migration's reason is the driver's error kind. */
enum {
        PREFLIGHT_FAILS,
        RUN_NO_DISK,
        RUN_MIGRATED,
        CLEANUP_STALE,
        RUN_FAILED, /* + enum migrate_error_kind */
};

#define RUN_FAILED_HINT "hostprep check --peer DEST compares the hosts"

static const struct result_def migrate_results[] = {
        [PREFLIGHT_FAILS] = {"migrate.preflight", STATUS_FAIL, "checks_fail",
                             "fix them (hostprep apply), or try anyway with --force"},
        [RUN_NO_DISK] = {"migrate.run", STATUS_ERROR, "disk_not_created",
                         "check the profile's [nfs] mountpoint"},
        [RUN_MIGRATED] = {"migrate.run", STATUS_PASS, "migrated"},
        [CLEANUP_STALE] = {"migrate.cleanup", STATUS_PASS, "stale_removed"},
        [RUN_FAILED +
                MIGRATE_ERROR_OTHER] = {"migrate.run", STATUS_FAIL, "migration_failed", RUN_FAILED_HINT},
        [RUN_FAILED + MIGRATE_ERROR_UNSAFE_STORAGE] = {"migrate.run", STATUS_FAIL, "unsafe_storage",
                                                       RUN_FAILED_HINT},
        [RUN_FAILED + MIGRATE_ERROR_CPU_INCOMPATIBLE] = {"migrate.run", STATUS_FAIL, "cpu_incompatible",
                                                         RUN_FAILED_HINT},
        [RUN_FAILED + MIGRATE_ERROR_SAME_HOST] = {"migrate.run", STATUS_FAIL, "same_host", RUN_FAILED_HINT},
        [RUN_FAILED + MIGRATE_ERROR_DEST_UNREACHABLE] = {"migrate.run", STATUS_FAIL,
                                                         "destination_unreachable", RUN_FAILED_HINT},
        [RUN_FAILED + MIGRATE_ERROR_PORTS_BLOCKED] = {"migrate.run", STATUS_FAIL, "ports_blocked",
                                                      RUN_FAILED_HINT},
        [RUN_FAILED + MIGRATE_ERROR_CONNECTION_LOST] = {"migrate.run", STATUS_FAIL, "connection_lost",
                                                        RUN_FAILED_HINT},
        [RUN_FAILED + MIGRATE_ERROR_STALLED] = {"migrate.run", STATUS_FAIL, "stalled", RUN_FAILED_HINT},
};
_Static_assert(ELEMENTSOF(migrate_results) == RUN_FAILED + _MIGRATE_ERROR_KIND_MAX,
               "migrate_results out of step");

enum {
        ARG_TO = 0x100,
        ARG_DRIVER,
        ARG_GUEST,
        ARG_DISK,
        ARG_ROUND_TRIP,
        ARG_FORCE,
};

const struct verb_option migrate_options[] = {
        {"to", required_argument, ARG_TO, "HOST", "the destination hypervisor"},
        {"driver", required_argument, ARG_DRIVER, "NAME", "libvirt or qemu"},
        {"guest", required_argument, ARG_GUEST, "canary|NAME",
         "the canary (default) or an existing guest (left running)"},
        {"round-trip", no_argument, ARG_ROUND_TRIP, NULL, "and back again"},
        {"disk", required_argument, ARG_DISK, "PATH|URI",
         "the canary's disk (default: a file on the shared mountpoint)"},
        {"force", no_argument, ARG_FORCE, NULL, "migrate although the preflight checks fail"},
        {},
};

int migrate_parse(int id, const char *arg)
{
        switch (id) {
        case ARG_TO:
                if (!*arg || arg[0] == '-' || strpbrk(arg, " \t\n'\"\\;$`/"))
                        return usage_error("--to %s: expected a host name or address", arg);
                arg_to = arg;
                return 0;
        case ARG_DRIVER:
                arg_driver = arg;
                return 0;
        case ARG_GUEST:
                /* "canary" is the default guest, any other name an existing one */
                arg_guest = streq(arg, "canary") ? NULL : arg;
                return 0;
        case ARG_DISK:
                arg_disk = arg;
                return 0;
        case ARG_ROUND_TRIP:
                arg_round_trip = true;
                return 0;
        case ARG_FORCE:
                arg_force = true;
                return 0;
        default:
                return -EINVAL;
        }
}

/* One migrate run: the preflight's results, the report's, the canary's disk and the driver's session. */
struct migrate_run {
        struct session s;
        struct result_list pre, results;
        struct migrate_session *ms;
        char *disk, *cmdline;
        bool created_disk;    /* a file of the canary's own, removed afterwards */
        unsigned stale_disks; /* canary disks of earlier, killed runs, removed before this one */
};

static void migrate_run_done(struct migrate_run *m)
{
        /* the session's cleanup first: the guest may still hold the disk */
        m->ms = migrate_session_free(m->ms);
        if (m->created_disk)
                (void)unlink(m->disk);
        free(m->disk);
        free(m->cmdline);
        result_list_done(&m->pre);
        result_list_done(&m->results);
        session_done(&m->s);
}

static struct migrate_session *volatile migrating = NULL;

static void on_interrupt(int sig)
{
        struct migrate_session *s = migrating;

        if (s)
                migrate_session_interrupt(s); /* async-signal-safe: the running step stops and cleans up */
}

static bool profile_bool(const struct conf *c, const char *section, const char *key)
{
        return parse_boolean(conf_get(c, section, key)) > 0;
}

static unsigned profile_uint(const struct conf *c, const char *section, const char *key)
{
        unsigned u = 0;

        (void)safe_atou(conf_get(c, section, key), &u);
        return u;
}

/* The canary: the profile's, else the one built with hostprep (lib/datadir.h: the build tree's, else the
 * installed one). */
static const char *canary_path(const struct conf *profile)
{
        const char *p = conf_get(profile, "migrate", "canary");

        if (p)
                return p;
        return datadir_build_tree() ? HOSTPREP_CANARY_BUILD : HOSTPREP_CANARY_INSTALLED;
}

/* --driver or the profile's, and the profile's transport: 0, or EXIT_USAGE after saying why. */
static int choose_driver(const struct session *s, const struct migrate_driver **ret_driver,
                         const char **ret_transport, enum migrate_transport *ret_t)
{
        const char *name = arg_driver ? arg_driver : conf_get(&s->profile, "migrate", "driver");
        const char *transport = conf_get(&s->profile, "migrate", "transport");
        int t;

        if (!name)
                name = HAVE_LIBVIRT ? "libvirt" : "qemu";
        *ret_driver = migrate_driver_find(name);
        if (!*ret_driver) {
                fprintf(stderr, "hostprep: --driver %s: unknown driver (this hostprep has: %s)\n", name,
                        HAVE_LIBVIRT ? "libvirt, qemu" : "qemu");
                return EXIT_USAGE;
        }
        t = migrate_transport_from_string(transport);
        if (t < 0) {
                fprintf(stderr, "hostprep: [migrate] transport = %s: expected tcp, tls or ssh\n", transport);
                return EXIT_USAGE;
        }
        *ret_transport = transport;
        *ret_t = (enum migrate_transport)t;
        return 0;
}

/* The units a migration depends on. What does not pass goes into the report; with --force a failure is only
 * a warning (the migration decides). Returns whether to migrate, or <0 when the checks could not run. */
static int preflight(struct migrate_run *m, const char *transport)
{
        char *needed[] = {(char *)"nfs.mount", (char *)"nfs.access",
                          streq(transport, "ssh") ? (char *)"ssh.root" : NULL, NULL};
        struct selection sel = {.only = needed};
        struct check_ctx ctx = session_check_ctx(&m->s, now_usec() + m->s.timeout, &m->pre);
        int r;

        ctx.roles |= ROLE_BIT(ROLE_HYPERVISOR); /* migrating from here makes it one */
        r = runner_run(&ctx, unit_registry, unit_registry_size, &sel);
        for (size_t i = 0; r >= 0 && i < m->pre.n; i++) {
                const struct result *p = &m->pre.items[i];

                if (p->status == STATUS_PASS || p->status == STATUS_SKIP)
                        continue;
                if (!arg_force) {
                        r = result_list_add_copy(&m->results, p);
                        continue;
                }
                _cleanup_free_ char *msg = strdup_printf("%s (ignored: --force)", p->message);
                r = msg ? result_list_add_restated(&m->results, p,
                                                   p->status == STATUS_FAIL ? STATUS_WARN : p->status, msg,
                                                   p->hint)
                        : -ENOMEM;
        }
        if (r < 0)
                return r;
        if (results_exit_code(&m->pre) != EXIT_NOT_READY || arg_force)
                return true;
        r = result_list_add_def(
                &m->results, &migrate_results[PREFLIGHT_FAILS], NULL, NULL, NULL,
                "not migrating: the checks above fail (a migration would fail or lose data)");
        return r < 0 ? r : false;
}

/* The canary's disk (a file of its own on the shared storage, made here) and command line. Returns whether
 * to go on (a disk that cannot be made is reported), or -ENOMEM. */
/* The canary disks this host's earlier runs left on the share (killed before their cleanup):
 * hostprep-canary-HOST-PID.img whose PID is no hostprep process now. Their domains, marked with the run,
 * the driver removes itself. */
static unsigned sweep_stale_disks(const char *dir, const char *host)
{
        _cleanup_free_ char *prefix = strdup_printf("hostprep-canary-%s-", host);
        DIR *d = prefix ? opendir(dir) : NULL;
        unsigned removed = 0;
        struct dirent *e;

        while (d && (e = readdir(d))) {
                _cleanup_free_ char *path = NULL;
                char *end;
                long pid;

                if (!startswith(e->d_name, prefix))
                        continue;
                pid = strtol(e->d_name + strlen(prefix), &end, 10);
                if (pid <= 0 || !streq(end, ".img"))
                        continue;
                if (process_is_hostprep(pid))
                        continue; /* a run that is still going */
                path = strdup_printf("%s/%s", dir, e->d_name);
                if (path && unlink(path) == 0) {
                        fprintf(stderr,
                                "hostprep: removed the canary disk %s that an earlier run (pid %ld, gone) left\n",
                                path, pid);
                        removed++;
                }
        }
        if (d)
                closedir(d);
        return removed;
}

static int canary_disk(struct migrate_run *m)
{
        _cleanup_close_ int fd = -EBADF;

        m->disk = arg_disk ? strdup(arg_disk)
                           : strdup_printf("%s/hostprep-canary-%s-%d.img",
                                           conf_get(&m->s.profile, "nfs", "mountpoint"), m->s.id.hostname,
                                           (int)getpid());
        m->cmdline = strdup_printf("dirty=%s", conf_get(&m->s.profile, "migrate", "canary_dirty"));
        if (!m->disk || !m->cmdline)
                return -ENOMEM;
        if (startswith(m->disk, "nbd://"))
                return true;
        if (!arg_disk)
                m->stale_disks =
                        sweep_stale_disks(conf_get(&m->s.profile, "nfs", "mountpoint"), m->s.id.hostname);
        fd = open(m->disk, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
                _cleanup_free_ char *msg =
                        strdup_printf("cannot create the canary's disk %s: %s", m->disk, strerror(errno));
                return result_list_add_def(&m->results, &migrate_results[RUN_NO_DISK], NULL, NULL, NULL,
                                           "%s", msg ? msg : "cannot create the disk") < 0
                               ? -ENOMEM
                               : false;
        }
        m->created_disk = true;
        if (ftruncate(fd, 1 << 20) < 0) /* a sparse MiB: the canary only needs a disk to exist */
                fprintf(stderr, "hostprep: sizing %s failed: %m\n", m->disk);
        return true;
}

static struct migrate_params migrate_params_of(const struct migrate_run *m, enum migrate_transport t)
{
        const struct conf *c = &m->s.profile;

        return (struct migrate_params){
                .dest_host = arg_to,
                .transport = t,
                .live = true,
                .peer2peer = profile_bool(c, "migrate", "peer2peer"),
                .downtime_limit_ms = profile_uint(c, "migrate", "downtime_ms"),
                .bandwidth_mib = profile_uint(c, "migrate", "bandwidth"),
                .completion_timeout_ms = profile_uint(c, "migrate", "timeout") * 1000,
                .stall_timeout_ms = profile_uint(c, "migrate", "stall_timeout") * 1000,
                .auto_converge = profile_bool(c, "migrate", "auto_converge"),
                .postcopy = profile_bool(c, "migrate", "post_copy"),
                .round_trip = arg_round_trip,
                .guest_name = arg_guest,
                .canary_kernel = canary_path(c),
                .canary_cmdline = m->cmdline,
                .disk = m->disk,
                /* a progress line on a terminal (stderr, so a JSON report on stdout stays clean) */
                .progress = isatty(STDERR_FILENO) && !arg_quiet ? migrate_progress_bar_cb : NULL,
                .progress_userdata = stderr,
        };
}

/* The migration, interruptible with Ctrl-C (the driver stops and cleans up). */
static int run_migration(struct migrate_run *m, const struct migrate_driver *driver,
                         const struct migrate_params *params)
{
        struct sigaction sa = {.sa_handler = on_interrupt}, old_int, old_term;
        int r;

        r = migrate_session_new(driver, params, &m->ms);
        if (r < 0)
                return r;
        migrating = m->ms;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        r = migrate_session_run(m->ms);
        migrating = NULL;
        if (params->progress)
                migrate_progress_bar_end(stderr);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        return r;
}

/* migrate.run: where the guest went and the numbers, or the driver's reason. */
static int migration_result(struct migrate_run *m, int r)
{
        const struct migrate_stats *st = migrate_session_stats(m->ms);
        _cleanup_free_ char *msg = NULL;
        const char *mount_seen = NULL;

        if ((st->stale_removed || m->stale_disks) &&
            result_list_add_def(
                    &m->results, &migrate_results[CLEANUP_STALE], NULL, NULL, NULL,
                    "removed what earlier runs of this host left (killed before their cleanup): %u canary guest(s), %u canary disk(s)",
                    st->stale_removed, m->stale_disks) < 0)
                return -ENOMEM;

        if (r < 0) {
                /* for storage refusals, what this side's mount looks like (the peer's: check --peer DEST) */
                for (size_t i = 0; i < m->pre.n; i++)
                        if (streq(m->pre.items[i].id, "nfs.mount.mounted"))
                                mount_seen = m->pre.items[i].evidence;
                enum migrate_error_kind kind = migrate_session_error_kind(m->ms);

                return result_list_add_def(&m->results, &migrate_results[RUN_FAILED + kind], NULL, NULL,
                                           kind == MIGRATE_ERROR_UNSAFE_STORAGE ? mount_seen : NULL, "%s",
                                           migrate_session_error(m->ms));
        }
        msg = strdup_printf(
                "%s%s %s%s: live, %llu ms, downtime %llu ms, %.1f MiB; the guest kept running there",
                arg_guest ? arg_guest : "the canary", arg_round_trip ? " went to" : " moved to", arg_to,
                arg_round_trip ? " and back" : "", (unsigned long long)st->total_time_ms,
                (unsigned long long)st->downtime_ms, (double)st->bytes_transferred / (1 << 20));
        return result_list_add_def(&m->results, &migrate_results[RUN_MIGRATED], NULL, NULL, NULL, "%s",
                                   msg ? msg : "migrated");
}

static void print_stats(FILE *f, const struct migrate_stats *st)
{
        fprintf(f, "  total time     %llu ms (wall %llu ms)\n", (unsigned long long)st->total_time_ms,
                (unsigned long long)st->wall_time_ms);
        fprintf(f, "  downtime       %llu ms\n", (unsigned long long)st->downtime_ms);
        fprintf(f, "  transferred    %.1f MiB in %llu passes\n", (double)st->bytes_transferred / (1 << 20),
                (unsigned long long)st->iterations);
        fprintf(f, "  throughput     %.1f MiB/s\n", (double)st->throughput_bps / (1 << 20));
        fprintf(f, "  dirty rate     %.1f MiB/s\n", (double)st->dirty_rate_bps / (1 << 20));
        fprintf(f, "  heartbeat      %u -> %u (%s)\n", st->heartbeat_before, st->heartbeat_after,
                st->heartbeat_advanced ? "advanced" : "did not advance");
        fprintf(f, "  magic          %s\n", st->magic_ok ? "intact" : "LOST");
}

static json_object *stats_json(const struct migrate_stats *st)
{
        json_object *o = json_object_new_object();

        json_object_object_add(o, "total_time_ms", json_object_new_int64((int64_t)st->total_time_ms));
        json_object_object_add(o, "wall_time_ms", json_object_new_int64((int64_t)st->wall_time_ms));
        json_object_object_add(o, "downtime_ms", json_object_new_int64((int64_t)st->downtime_ms));
        json_object_object_add(o, "bytes_transferred",
                               json_object_new_int64((int64_t)st->bytes_transferred));
        json_object_object_add(o, "throughput_bps", json_object_new_int64((int64_t)st->throughput_bps));
        json_object_object_add(o, "dirty_rate_bps", json_object_new_int64((int64_t)st->dirty_rate_bps));
        json_object_object_add(o, "iterations", json_object_new_int64((int64_t)st->iterations));
        json_object_object_add(o, "heartbeat_before", json_object_new_int64(st->heartbeat_before));
        json_object_object_add(o, "heartbeat_after", json_object_new_int64(st->heartbeat_after));
        json_object_object_add(o, "magic_ok", json_object_new_boolean(st->magic_ok));
        json_object_object_add(o, "postcopy_used", json_object_new_boolean(st->postcopy_used));
        json_object_object_add(o, "migrations", json_object_new_int((int)st->migrations));
        return o;
}

/* The results, with the migration's numbers beside them; the exit code. */
static int migrate_report(const struct migrate_run *m, usec_t start)
{
        struct host_report host = {.name = m->s.id.hostname,
                                   .roles = m->s.roles,
                                   .role_why = m->s.host_roles.why,
                                   .roles_detected = m->s.host_roles.detected,
                                   .results = &m->results};
        struct report rep = session_report(&m->s, &host, 1, start);

        if (m->ms && arg_format == FORMAT_JSON) {
                rep.extra_key = "migration";
                rep.extra = stats_json(migrate_session_stats(m->ms));
        }
        (void)write_report(&rep);
        json_object_put(rep.extra);
        if (arg_format == FORMAT_HUMAN && m->ms && migrate_session_stats(m->ms)->migrations > 0)
                print_stats(stdout, migrate_session_stats(m->ms));
        return report_exit_code(&rep);
}

int verb_migrate(char **args)
{
        _cleanup_(migrate_run_done) struct migrate_run m = {0};
        const struct migrate_driver *driver;
        struct migrate_params params;
        enum migrate_transport t;
        const char *transport;
        usec_t start = now_usec();
        int r;

        if (!arg_to)
                return usage_error("migrate needs --to HOST"), EXIT_USAGE;
        r = session_open(&m.s, NULL);
        if (r < 0)
                return -r;
        r = choose_driver(&m.s, &driver, &transport, &t);
        if (r != 0)
                return r;

        /* 1. preflight */
        r = preflight(&m, transport);
        if (r < 0) {
                fprintf(stderr, "hostprep: preflight failed: %s\n", strerror(-r));
                return EXIT_UNDECIDED;
        }
        /* 2. migrate: the canary's disk on the shared mount, with cache='none' */
        if (r > 0 && !arg_guest)
                r = canary_disk(&m);
        if (r < 0)
                return log_oom();
        if (r == 0)
                return migrate_report(&m, start);
        params = migrate_params_of(&m, t);
        r = run_migration(&m, driver, &params);
        if (!m.ms) {
                fprintf(stderr, "hostprep: cannot start the migration: %s\n", strerror(-r));
                return EXIT_UNDECIDED;
        }
        if (migration_result(&m, r) < 0)
                return log_oom();
        return migrate_report(&m, start);
}

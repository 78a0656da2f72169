/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "roles.h"

#include <ctype.h>
#include <strings.h>

#include "common.h"
#include "pathlookup.h"
#include "pathnames.h"
#include "procfind.h"
#include "provision/systemd.h"
#include "servicefile.h"
#include "strv.h"

/* Daemons are in sbin or libexec, nova-compute and ganesha.nfsd in bin. */
#define ROLES_PROGRAM_SEARCH PATH_DAEMON_SEARCH ":" PATH_COMMAND_SEARCH
/* below /usr/lib/TRIPLET or /usr/lib64 */
#define LIBVIRT_QEMU_DRIVER "libvirt/connection-driver/libvirt_driver_qemu.so"

/* One daemon whose running (or being set up to run) gives its host a role. */
struct daemon_sign {
        enum role role;
        const char *program; /* installed: found in ROLES_PROGRAM_SEARCH; also its /proc/PID/comm */
        const char *pidfile; /* where it writes its pid; NULL: none, every process is looked at */
        const char *units[3];
        const char *configs[3]; /* a file of these says it is set up */
        bool kernel;            /* the kernel's nfsd: runs as threads, started by rpc.nfsd */
};

/* The pid files, not a look at every process, for the daemons that write one: /run is the host's own
 * even where hosts share one pid namespace (containers, the namespace test bed). */
static const struct daemon_sign daemon_signs[] = {
        {.role = ROLE_HYPERVISOR,
         .program = "libvirtd",
         .pidfile = PATH_RUN_DIR "/libvirtd.pid",
         .units = {"libvirtd.service", "libvirtd.socket"},
         .configs = {PATH_LIBVIRTD_CONF, PATH_QEMU_CONF}},
        {.role = ROLE_HYPERVISOR,
         .program = "virtqemud",
         .pidfile = PATH_RUN_DIR "/virtqemud.pid",
         .units = {"virtqemud.service", "virtqemud.socket"},
         .configs = {PATH_VIRTQEMUD_CONF, PATH_QEMU_CONF}},
        {.role = ROLE_HYPERVISOR,
         .program = "nova-compute",
         .units = {"nova-compute.service"},
         .configs = {PATH_NOVA_COMPUTE_CONF}},
        {.role = ROLE_NFS_SERVER,
         .program = "ganesha.nfsd",
         .pidfile = PATH_GANESHA_PID,
         .units = {"nfs-ganesha.service"},
         .configs = {PATH_GANESHA_CONF}},
        {.role = ROLE_NFS_SERVER,
         .program = "rpc.nfsd",
         .units = {"nfs-server.service", "nfs-kernel-server.service"},
         .kernel = true},
};

/* What the look found, per role: what runs (first), what is set up to run. */
struct finder {
        const struct hostfs *fs;
        sd_bus *bus; /* systemd of the checked host; NULL where none runs it or it cannot be asked */
        usec_t deadline;
        char *running[_ROLE_MAX];
        char *configured[_ROLE_MAX];
        char **seen; /* what came close */
        bool libvirt_installed;
};

static void finder_done(struct finder *f)
{
        for (int i = 0; i < _ROLE_MAX; i++) {
                free(f->running[i]);
                free(f->configured[i]);
        }
        strv_free(f->seen);
        if (f->bus)
                sd_bus_flush_close_unref(f->bus);
}

/* Keeps the first reason per role; takes why. */
static int finder_note(char **slot, char *why)
{
        if (!why)
                return -ENOMEM;
        if (*slot)
                free(why);
        else
                *slot = why;
        return 0;
}

void host_roles_done(struct host_roles *r)
{
        for (int i = 0; i < _ROLE_MAX; i++)
                free(r->why[i]);
        free(r->seen);
        *r = (struct host_roles){0};
}

/* ---- what runs ---- */

/* The daemon's pid when it runs: from its pid file, else the first process of that name. *ret NULL
 * when it does not run. */
static int daemon_pid(const struct hostfs *fs, const struct daemon_sign *d, char **ret)
{
        _cleanup_free_ char *text = NULL;
        unsigned pid;

        *ret = NULL;
        if (d->pidfile) {
                if (hostfs_read_file(fs, d->pidfile, &text, NULL) < 0 || safe_atou(strip(text), &pid) < 0 ||
                    pid == 0 || !proc_runs_program(fs, strip(text), d->program))
                        return 0;
                *ret = strdup(strip(text));
                return *ret ? 0 : -ENOMEM;
        }
        return proc_find_program(fs, d->program, ret);
}

/* The first of the daemon's units systemd says is active, or NULL. */
static const char *daemon_unit_active(const struct finder *f, const struct daemon_sign *d)
{
        for (size_t i = 0; f->bus && i < ELEMENTSOF(d->units) && d->units[i]; i++) {
                struct service_state st = {};

                if (systemd_service_get_state(f->bus, d->units[i], f->deadline, &st, NULL) >= 0 &&
                    streq(st.active_state, "active"))
                        return d->units[i];
        }
        return NULL;
}

/* The first of the daemon's unit files that is enabled, or NULL. */
static const char *daemon_unit_enabled(const struct finder *f, const struct daemon_sign *d)
{
        for (size_t i = 0; i < ELEMENTSOF(d->units) && d->units[i]; i++) {
                const char *state = "";

                if (f->bus) {
                        struct service_state st = {};

                        if (systemd_service_get_state(f->bus, d->units[i], f->deadline, &st, NULL) >= 0 &&
                            streq(st.unit_file_state, "enabled"))
                                return d->units[i];
                } else if (service_file_state(f->fs, d->units[i], &state) >= 0 && streq(state, "enabled"))
                        return d->units[i];
        }
        return NULL;
}

/* ---- exports ---- */

/* ganesha's configuration: EXPORT blocks, and %include lines followed (depth-limited). */
static unsigned ganesha_exports(const struct hostfs *fs, const char *path, unsigned depth)
{
        _cleanup_free_ char *text = NULL;
        unsigned n = 0;
        const char *p;

        if (depth > 4 || hostfs_read_file(fs, path, &text, NULL) < 0)
                return 0;
        for (p = text; *p;) {
                if (*p == '#') {
                        p += strcspn(p, "\n");
                } else if (*p == '"') {
                        p++;
                        p += strcspn(p, "\"");
                        p += *p == '"';
                } else if (startswith(p, "%include")) {
                        _cleanup_free_ char *inc = NULL;
                        size_t len;

                        p += strlen("%include");
                        p += strspn(p, " \t\"");
                        len = strcspn(p, "\"\n \t");
                        inc = strndup(p, len);
                        if (inc && inc[0] == '/')
                                n += ganesha_exports(fs, inc, depth + 1);
                        p += len;
                } else if (isalpha((unsigned char)*p) || *p == '_') {
                        size_t len =
                                strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
                        const char *after = p + len + strspn(p + len, " \t\r\n");

                        if (len == 6 && strncasecmp(p, "EXPORT", 6) == 0 && *after == '{')
                                n++;
                        p += len;
                } else
                        p++;
        }
        return n;
}

/* The configuration file ganesha runs with: its -f argument, else the default. */
static char *ganesha_conf(const struct hostfs *fs, const char *pid)
{
        _cleanup_free_ char *path = pid ? strdup_printf("/proc/%s/cmdline", pid) : NULL, *cmdline = NULL;
        size_t len = 0;

        if (path && hostfs_read_file(fs, path, &cmdline, &len) >= 0)
                for (size_t i = 0; i < len; i += strlen(cmdline + i) + 1)
                        if (streq(cmdline + i, "-f") && i + 3 < len && cmdline[i + 3] == '/')
                                return strdup(cmdline + i + 3);
        return strdup(PATH_GANESHA_CONF);
}

/* How many exports the NFS server d serves: ganesha's EXPORT blocks, nfsd's exports(5) entries. */
static int nfs_exports(const struct finder *f, const struct daemon_sign *d, const char *pid, unsigned *ret)
{
        _cleanup_(exports_table_freep) struct exports_table *t = NULL;
        _cleanup_(strv_freep) char **files = NULL;
        _cleanup_free_ char *unreadable = NULL;
        struct check_ctx ctx = {.fs = f->fs, .deadline = f->deadline};
        int r;

        if (streq(d->program, "ganesha.nfsd")) {
                _cleanup_free_ char *conf = ganesha_conf(f->fs, pid);

                if (!conf)
                        return -ENOMEM;
                *ret = ganesha_exports(f->fs, conf, 0);
                return 0;
        }
        r = exports_table_new(&t);
        if (r < 0)
                return r;
        r = check_exports_load(&ctx, t, &files, &unreadable);
        *ret = r >= 0 ? (unsigned)t->n_entries : 0;
        return r == -ENOMEM ? r : 0;
}

/* The kernel's NFS server runs: nfsd threads in this network namespace (live hosts). */
static unsigned nfsd_threads(const struct hostfs *fs)
{
        _cleanup_free_ char *text = NULL;
        unsigned n = 0;

        if (hostfs_read_file(fs, PATH_PROC_NFSD_THREADS, &text, NULL) < 0 || safe_atou(strip(text), &n) < 0)
                return 0;
        return n;
}

/* ---- one daemon ---- */

/* What runs: its pid, an active unit, the kernel's threads; NULL when nothing runs. *ret_pid: its pid. */
static char *daemon_running(const struct finder *f, const struct daemon_sign *d, char **ret_pid)
{
        const char *unit;
        unsigned threads;

        if (d->kernel) {
                threads = nfsd_threads(f->fs);
                if (threads > 0)
                        return strdup_printf("nfsd running with %u thread%s", threads,
                                             threads == 1 ? "" : "s");
        } else if (daemon_pid(f->fs, d, ret_pid) < 0)
                return NULL;
        if (*ret_pid)
                return strdup_printf("%s running", d->program);
        unit = daemon_unit_active(f, d);
        return unit ? strdup_printf("%s active", unit) : NULL;
}

/* libvirt's QEMU driver (the module libvirtd loads) and an emulator for it: what libvirt-daemon's QEMU
 * packages install, ready to run guests once the daemon starts. */
static const char *qemu_driver_emulator(const struct finder *f)
{
        static const char *const emulators[] = {"qemu-system-x86_64", "qemu-system-aarch64",
                                                "qemu-system-ppc64", "qemu-system-s390x", "qemu-kvm"};
        _cleanup_(strv_freep) char **libdirs = NULL;
        bool driver = false;
        struct stat st;

        if (hostfs_list_dir(f->fs, "/usr/lib", &libdirs) < 0)
                return NULL;
        /* /usr/lib/TRIPLET/libvirt (Debian), /usr/lib64/libvirt (RHEL-like) */
        if (strv_push_dup(&libdirs, "../lib64") < 0)
                return NULL;
        STRV_FOREACH (d, libdirs) {
                _cleanup_free_ char *path = strdup_printf("/usr/lib/%s/" LIBVIRT_QEMU_DRIVER, *d);

                if (path && hostfs_stat(f->fs, path, &st) >= 0 && S_ISREG(st.st_mode))
                        driver = true;
        }
        for (size_t i = 0; driver && i < ELEMENTSOF(emulators); i++) {
                _cleanup_free_ char *path = NULL;

                if (path_find_executable(f->fs, ROLES_PROGRAM_SEARCH, emulators[i], &path) >= 0)
                        return emulators[i];
        }
        return NULL;
}

/* Set up to run: installed, and a unit enabled, its configuration or guests there, or (libvirt) its
 * QEMU driver and an emulator; NULL when not. */
static char *daemon_configured(const struct finder *f, const struct daemon_sign *d)
{
        _cleanup_(strv_freep) char **guests = NULL;
        const char *unit = daemon_unit_enabled(f, d), *emulator;
        struct stat st;
        size_t n = 0;

        if (unit)
                return strdup_printf("%s installed, %s enabled", d->program, unit);
        for (size_t i = 0; i < ELEMENTSOF(d->configs) && d->configs[i]; i++)
                if (hostfs_stat(f->fs, d->configs[i], &st) >= 0 && S_ISREG(st.st_mode))
                        return strdup_printf("%s installed, %s", d->program, d->configs[i]);
        if (d->role == ROLE_HYPERVISOR && hostfs_list_dir(f->fs, PATH_LIBVIRT_QEMU_DIR, &guests) >= 0)
                STRV_FOREACH (g, guests)
                        n += endswith(*g, ".xml");
        if (n > 0 && !streq(d->program, "nova-compute"))
                return strdup_printf("%s installed, %zu guest%s defined", d->program, n, n == 1 ? "" : "s");
        if (d->role == ROLE_HYPERVISOR && !streq(d->program, "nova-compute") &&
            (emulator = qemu_driver_emulator(f)))
                return strdup_printf("%s installed with its QEMU driver and %s", d->program, emulator);
        return NULL;
}

/* An NFS server gives the role only with something to serve; what it lacks is noted as seen. */
static int nfs_with_exports(struct finder *f, const struct daemon_sign *d, const char *pid, char **why)
{
        unsigned n = 0;
        char *with;
        int r;

        if (!*why)
                return 0;
        r = nfs_exports(f, d, pid, &n);
        if (r < 0)
                return r;
        if (n == 0) {
                r = strv_push(&f->seen, strdup_printf("%s, but exports nothing", *why));
                *why = mfree(*why);
                return r;
        }
        with = strdup_printf("%s, %u export%s", *why, n, n == 1 ? "" : "s");
        if (!with)
                return -ENOMEM;
        free(*why);
        *why = with;
        return 0;
}

static int look_daemon(struct finder *f, const struct daemon_sign *d)
{
        _cleanup_free_ char *binary = NULL, *pid = NULL, *running = NULL, *configured = NULL;
        bool installed = path_find_executable(f->fs, ROLES_PROGRAM_SEARCH, d->program, &binary) >= 0;
        int r;

        running = daemon_running(f, d, &pid);
        if (installed && !running)
                configured = daemon_configured(f, d);
        if (d->role == ROLE_NFS_SERVER) {
                r = nfs_with_exports(f, d, pid, &running);
                if (r >= 0)
                        r = nfs_with_exports(f, d, pid, &configured);
                if (r < 0)
                        return r;
        }
        if (d->role == ROLE_HYPERVISOR && !streq(d->program, "nova-compute"))
                f->libvirt_installed |= installed;
        if (running)
                return finder_note(&f->running[d->role], TAKE_PTR(running));
        if (configured)
                return finder_note(&f->configured[d->role], TAKE_PTR(configured));
        if (installed && d->role == ROLE_HYPERVISOR)
                return strv_push(&f->seen, strdup_printf("%s is installed but neither runs nor is set up",
                                                         d->program));
        return 0;
}

/* The xl toolstack in Xen's control domain: xl installed, and dom0 (the hypervisor's capabilities) or
 * xenstored running. */
static int look_xen(struct finder *f)
{
        static const struct daemon_sign xenstored[] = {
                {.role = ROLE_HYPERVISOR, .program = "xenstored", .pidfile = PATH_XENSTORED_PID},
                {.role = ROLE_HYPERVISOR, .program = "oxenstored", .pidfile = PATH_XENSTORED_PID},
        };
        _cleanup_free_ char *xl = NULL, *caps = NULL;

        if (path_find_executable(f->fs, ROLES_PROGRAM_SEARCH, "xl", &xl) < 0)
                return 0;
        if (hostfs_read_file(f->fs, PATH_PROC_XEN_CAPABILITIES, &caps, NULL) >= 0 &&
            strstr(caps, "control_d"))
                return finder_note(&f->running[ROLE_HYPERVISOR], strdup("xl toolstack, Xen dom0"));
        for (size_t i = 0; i < ELEMENTSOF(xenstored); i++) {
                _cleanup_free_ char *pid = NULL;

                if (daemon_pid(f->fs, &xenstored[i], &pid) < 0)
                        return -ENOMEM;
                if (pid)
                        return finder_note(&f->running[ROLE_HYPERVISOR],
                                           strdup_printf("xl toolstack, %s running", xenstored[i].program));
        }
        return strv_push(&f->seen, strdup("xl is installed but this is not Xen's dom0"));
}

static void finder_bus_open(struct finder *f)
{
        struct check_ctx ctx = {.fs = f->fs, .deadline = f->deadline};
        _cleanup_free_ char *address = NULL;

        /* without systemd the unit files say what is enabled; a bus that does not answer the same */
        if (!check_systemd_running(&ctx))
                return;
        address = check_bus_address(&ctx);
        if (systemd_bus_open(address, f->deadline, &f->bus, NULL) < 0)
                f->bus = NULL;
}

int roles_detect(const struct hostfs *fs, usec_t deadline, struct host_roles *ret)
{
        _cleanup_(finder_done) struct finder f = {.fs = fs, .deadline = deadline};
        struct host_roles h = {.detected = true};
        char **from;
        int r = 0;

        finder_bus_open(&f);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(daemon_signs); i++)
                r = look_daemon(&f, &daemon_signs[i]);
        if (r >= 0)
                r = look_xen(&f);
        if (r < 0)
                return r;
        /* what runs decides; what is set up only where nothing runs */
        from = f.configured;
        for (int i = 0; i < _ROLE_MAX; i++)
                if (f.running[i])
                        from = f.running;
        for (int i = 0; i < _ROLE_MAX; i++)
                if (from[i]) {
                        h.roles |= ROLE_BIT(i);
                        h.why[i] = TAKE_PTR(from[i]);
                }
        h.libvirt_installed = f.libvirt_installed;
        if (!h.roles && f.seen && !(h.seen = strv_join(f.seen, "; ")))
                return -ENOMEM;
        *ret = h;
        return 0;
}

int host_roles_find(const struct hostfs *fs, const struct identity *id, const struct conf *profile,
                    char *const *option_roles, usec_t deadline, struct host_roles *ret)
{
        unsigned named = identity_roles(id, profile);
        struct host_roles h = {0};

        for (int i = 0; i < _ROLE_MAX; i++)
                if (named & ROLE_BIT(i))
                        h.why[i] = strdup("named in [hosts]");
        STRV_FOREACH (o, option_roles) {
                enum role role = role_from_string(*o);

                if (role >= 0 && !(named & ROLE_BIT(role)) && !h.why[role])
                        h.why[role] = strdup("--role");
        }
        for (int i = 0; i < _ROLE_MAX; i++)
                if (named & ROLE_BIT(i) || h.why[i]) {
                        h.roles |= ROLE_BIT(i);
                        if (!h.why[i]) {
                                host_roles_done(&h);
                                return -ENOMEM;
                        }
                }
        if (!h.roles)
                return roles_detect(fs, deadline, ret);
        *ret = h;
        return 0;
}

char *roles_describe(unsigned roles, char *const *why)
{
        _cleanup_(strv_freep) char **parts = NULL;

        for (int i = 0; i < _ROLE_MAX; i++)
                if ((roles & ROLE_BIT(i)) &&
                    strv_push(&parts, why && why[i] ? strdup_printf("%s (%s)", role_to_string(i), why[i])
                                                    : strdup(role_to_string(i))) < 0)
                        return NULL;
        return parts ? strv_join(parts, ", ") : strdup("no role");
}

char *roles_none_message(const struct host_roles *r, const char *host, const char *profile)
{
        _cleanup_free_ char *seen = r->seen ? strdup_printf(" (seen: %s)", r->seen) : strdup("");

        if (!seen)
                return NULL;
        return strdup_printf(
                "%s has no role: profile %s does not name it in [hosts], and nothing here runs a hypervisor (libvirtd, virtqemud, xl, nova-compute) or an NFS server with exports (nfsd, nfs-ganesha)%s; check it as one with --role hypervisor or --role nfs-server, or name it in the profile's [hosts] (%s = hypervisor)%s",
                host, profile, seen, host,
                r->libvirt_installed ? "" : ", or install libvirt (apt install libvirt-daemon-system)");
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `hostprep facts`: what other hosts compare before a migration (ids of the qemu user, the host UUID
 * libvirt will announce, versions, CPU flags, the shared mount, bridges, how peers' names resolve). Host
 * files are read through the root like every check; what only the running host can tell (/proc, /sys, its
 * programs, its clock) is left null under --root. Everything is collected into one JSON object first, and
 * both output formats are written from it.
 */
#include "facts.h"

#include <ctype.h>
#include <inttypes.h>
#include <libmount.h>
#include <selinux/selinux.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <time.h>

#include "accounts.h"
#include "common.h"
#include "config.h"
#include "envfile.h"
#include "etchosts.h"
#include "guestnics.h"
#include "hostkernel.h"
#include "json-util.h"
#include "libvirt-conf.h"
#include "lineiter.h"
#include "netstate.h"
#include "pathlookup.h"
#include "pathnames.h"
#include "spawn.h"
#include "strv.h"
#include "unit.h"
#include "uuid.h"
#include "xlinfo.h"

/* For facts_print(), which has no profile to take [check] timeout from. */
#define FACTS_TIMEOUT_DEFAULT (10 * USEC_PER_SEC)

/* The users whose ids must agree between hosts sharing guests' disks over NFS: qemu's, and nova-compute's
 * (nova, stack under devstack, or the profile's [nova] user). */
static const char *const facts_users[] = {"libvirt-qemu", "qemu", "nova", "stack", NULL};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter)

/* A small file's content without surrounding white space; NULL when absent, unreadable or empty. */
static char *read_value(const struct hostfs *fs, const char *path)
{
        _cleanup_free_ char *buf = NULL;

        if (hostfs_read_file(fs, path, &buf, NULL) < 0)
                return NULL;
        char *s = strip(buf);
        return *s ? strdup(s) : NULL;
}

/* Host UUID */

int facts_host_uuid(const char *libvirtd_conf, int libvirtd_conf_error, const char *smbios,
                    const char *machine_id, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_(libvirt_conf_freep) struct libvirt_conf *conf = NULL;
        _cleanup_(libvirt_host_uuid_done) struct libvirt_host_uuid u = {};
        int r = libvirtd_conf_error < 0 ? libvirtd_conf_error : !libvirtd_conf ? -ENOENT : 0;

        if (!o)
                return -ENOMEM;
        if (r >= 0)
                r = libvirt_conf_parse(PATH_LIBVIRTD_CONF, libvirtd_conf, strlen(libvirtd_conf), &conf,
                                       NULL);
        if (r == -ENOMEM)
                return r;
        r = libvirt_host_uuid(conf, r, smbios, machine_id, &u);
        if (r >= 0)
                r = json_add_string(o, "libvirt", u.configured);
        if (r >= 0)
                r = json_add_string(o, "smbios", smbios);
        if (r >= 0)
                r = json_add_string(o, "machine_id", machine_id);
        if (r >= 0)
                r = json_add_string(o, "effective", u.effective);
        if (r >= 0)
                r = json_add_string(o, "effective_source", u.effective_source);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/* Programs' versions and the CPU */

int facts_version_parse(const char *output, char **ret)
{
        size_t line_len = strcspn(output, "\n");

        for (size_t i = 0; i < line_len; i++) {
                size_t n = 0;
                bool dot = false;

                /* a version starts a word, or follows "(" or "v" */
                if (!isdigit((unsigned char)output[i]) || (i > 0 && !strchr(" \t(v", output[i - 1])))
                        continue;
                while (i + n < line_len &&
                       (isdigit((unsigned char)output[i + n]) ||
                        (output[i + n] == '.' && isdigit((unsigned char)output[i + n + 1]))))
                        dot |= output[i + n++] == '.';
                if (!dot) {
                        i += n;
                        continue;
                }
                *ret = strndup(output + i, n);
                return *ret ? 0 : -ENOMEM;
        }
        return -ENOENT;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int facts_cpuinfo_parse(const char *text, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *flags = NULL;
        _cleanup_free_ char *vendor = NULL, *model = NULL;
        _cleanup_(strv_freep) char **words = NULL;
        bool in_block = false;
        int r;

        if (!o)
                return -ENOMEM;
        /* "key<tabs>: value" lines; a blank line ends a processor's block */
        LINE_FOREACH(l, text)
        {
                _cleanup_free_ char *line = line_iter_dup(&l);
                char *colon, *key, *value;

                if (!line)
                        return -ENOMEM;
                colon = strchr(line, ':');
                if (!colon) {
                        if (in_block && !*strip(line))
                                break;
                        continue;
                }
                *colon = '\0';
                key = strip(line);
                value = strip(colon + 1);
                in_block = true;
                if (!vendor && streq(key, "vendor_id"))
                        vendor = strdup(value);
                else if (!model && streq(key, "model name"))
                        model = strdup(value);
                else if (!words && (streq(key, "flags") || streq(key, "Features"))) {
                        r = strv_split(value, " \t", &words);
                        if (r < 0)
                                return r;
                        if (!words && !(words = calloc(1, sizeof(char *))))
                                return -ENOMEM;
                }
        }

        if (words) {
                size_t n = strv_length(words), k = 0;

                qsort(words, n, sizeof(char *), cmp_str);
                flags = json_object_new_array();
                if (!flags)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++)
                        if (!(k > 0 && streq(words[i], words[k - 1])))
                                words[k++] = words[i];
                        else
                                free(words[i]);
                words[k] = NULL;
                STRV_FOREACH (w, words)
                        if (json_append_string(flags, *w) < 0)
                                return -ENOMEM;
        }
        r = json_add_string(o, "vendor", vendor);
        if (r >= 0)
                r = json_add_string(o, "model", model);
        if (r >= 0)
                r = json_add(o, "flags", TAKE_PTR(flags));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/* Collectors: each fills one part of the facts object. */

/* One value of os-release(5), unquoted; NULL when absent. */
static char *os_release_value(const char *text, const char *key)
{
        size_t klen = strlen(key);

        LINE_FOREACH(l, text)
        {
                if (l.len > klen && strneq(l.line, key, klen) && l.line[klen] == '=') {
                        const char *v = l.line + klen + 1;
                        size_t vlen = l.len - klen - 1;

                        if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
                                v++;
                                vlen -= 2;
                        }
                        return strndup(v, vlen);
                }
        }
        return NULL;
}

static int collect_identity(json_object *o, const struct hostfs *fs, const struct identity *id,
                            unsigned roles)
{
        _cleanup_(json_object_putp) json_object *names = NULL, *addresses = NULL, *jroles = NULL;
        _cleanup_free_ char *hosts = NULL, *fqdn = NULL;
        int r;

        if (strchr(id->hostname, '.'))
                fqdn = strdup(id->hostname);
        else if (hostfs_read_file(fs, PATH_ETC_HOSTS, &hosts, NULL) >= 0) {
                r = etchosts_fqdn(hosts, id->hostname, &fqdn);
                if (r == -ENOMEM)
                        return r;
        }
        r = json_strv_to_array(id->names, &names);
        if (r >= 0)
                r = json_strv_to_array(id->addresses, &addresses);
        if (r < 0)
                return r;
        jroles = json_object_new_array();
        if (!jroles)
                return -ENOMEM;
        for (int i = 0; i < _ROLE_MAX; i++)
                if ((roles & ROLE_BIT(i)) && json_append_string(jroles, role_to_string((enum role)i)) < 0)
                        return -ENOMEM;

        r = json_add_string(o, "hostname", id->hostname);
        if (r >= 0)
                r = json_add_string(o, "fqdn", fqdn);
        if (r >= 0)
                r = json_add(o, "names", TAKE_PTR(names));
        if (r >= 0)
                r = json_add(o, "addresses", TAKE_PTR(addresses));
        if (r >= 0)
                r = json_add(o, "roles", TAKE_PTR(jroles));
        return r;
}

static int collect_os(json_object *o, const struct hostfs *fs, const char *machine_id)
{
        _cleanup_free_ char *osr = NULL, *pretty = NULL, *os_id = NULL, *version_id = NULL, *kernel = NULL;
        struct utsname u;
        int r;

        if (hostfs_read_file(fs, PATH_OS_RELEASE, &osr, NULL) < 0)
                (void)hostfs_read_file(fs, PATH_OS_RELEASE_FALLBACK, &osr, NULL);
        if (osr) {
                pretty = os_release_value(osr, "PRETTY_NAME");
                os_id = os_release_value(osr, "ID");
                version_id = os_release_value(osr, "VERSION_ID");
        }
        /* The running kernel says nothing about an image under --root. */
        if (hostfs_is_live(fs) && uname(&u) == 0)
                kernel = strdup(u.release);

        r = json_add_string(o, "os_id", os_id);
        if (r >= 0)
                r = json_add_string(o, "os_version_id", version_id);
        if (r >= 0)
                r = json_add_string(o, "os_pretty_name", pretty);
        if (r >= 0)
                r = json_add_string(o, "kernel", kernel);
        if (r >= 0)
                r = json_add_string(o, "machine_id", machine_id);
        return r;
}

/* machine-id(5): 32 lowercase hex digits; "uninitialized" (first boot) and anything else is no id. */
static char *read_machine_id(const struct hostfs *fs)
{
        _cleanup_free_ char *s = read_value(fs, PATH_MACHINE_ID);

        if (!s || strlen(s) != 32 || strspn(s, "0123456789abcdef") != 32)
                return NULL;
        return TAKE_PTR(s);
}

/* Whether the kernel's clock is disciplined by NTP, and by which daemon. The kernel's own flag
 * (adjtimex(2): STA_UNSYNC clear, no TIME_ERROR) is what timedated's NTPSynchronized reports, for every
 * daemon (chronyd, ntpd, systemd-timesyncd), without a bus call that could hang. */
static int collect_ntp(const struct hostfs *fs, json_object *o)
{
        static const struct {
                const char *path, *daemon;
        } daemons[] = {
                {PATH_CHRONYD_PID, "chronyd"},
                {PATH_NTPD_PID, "ntpd"},
                {PATH_TIMESYNCD_SYNCHRONIZED, "systemd-timesyncd"},
                {PATH_TIMESYNCD_DIR, "systemd-timesyncd"},
        };
        struct timex tx = {0};
        const char *daemon = NULL;
        struct stat st;
        int state = adjtimex(&tx), r;

        for (size_t i = 0; !daemon && i < ELEMENTSOF(daemons); i++)
                if (hostfs_stat(fs, daemons[i].path, &st) >= 0)
                        daemon = daemons[i].daemon;
        r = json_add(o, "ntp_synchronized",
                     state < 0 ? NULL
                               : json_object_new_boolean(state != TIME_ERROR && !(tx.status & STA_UNSYNC)));
        if (r >= 0)
                r = json_add_string(o, "ntp_daemon", daemon);
        return r;
}

static int collect_time(const struct hostfs *fs, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        struct timespec ts;

        /* When the facts were taken, so peers can tell clock skew; an image has no clock. */
        if (!hostfs_is_live(fs) || clock_gettime(CLOCK_REALTIME, &ts) < 0) {
                *ret = NULL;
                return 0;
        }
        o = json_object_new_object();
        if (!o || json_add_new(o, "realtime_usec",
                               json_object_new_int64((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000)) < 0)
                return -ENOMEM;
        if (collect_ntp(fs, o) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

static int collect_user(const struct hostfs *fs, const char *name, json_object *o)
{
        _cleanup_(json_object_putp) json_object *u = NULL;
        _cleanup_free_ char *found = NULL;
        uid_t uid;
        gid_t gid;
        int r;

        if (json_object_object_get_ex(o, name, NULL))
                return 0;
        r = accounts_find_user(fs, (const char *const[]){name, NULL}, &found, &uid, &gid);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        u = json_object_new_object();
        if (!u || json_add_int(u, "uid", uid) < 0 || json_add_int(u, "gid", gid) < 0 ||
            json_add(o, name, TAKE_PTR(u)) < 0)
                return -ENOMEM;
        return 0;
}

static int collect_users(const struct hostfs *fs, const struct conf *profile, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        struct stat st;

        /* no passwd to read: which users exist is unknown */
        if (hostfs_stat(fs, PATH_ETC_PASSWD, &st) < 0) {
                *ret = NULL;
                return 0;
        }
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        for (const char *const *n = facts_users; *n; n++)
                if (collect_user(fs, *n, o) < 0)
                        return -ENOMEM;
        if (profile && conf_get(profile, "nova", "user") &&
            collect_user(fs, conf_get(profile, "nova", "user"), o) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

static int collect_host_uuid(const struct hostfs *fs, const char *machine_id, json_object **ret)
{
        _cleanup_free_ char *conf = NULL, *smbios = NULL;
        int r;

        r = hostfs_read_file(fs, PATH_LIBVIRTD_CONF, &conf, NULL);
        if (r == -ENOMEM)
                return r;
        /* the firmware's UUID belongs to the machine hostprep runs on, never to an image */
        if (hostfs_is_live(fs))
                smbios = read_value(fs, PATH_DMI_PRODUCT_UUID);
        return facts_host_uuid(conf, r < 0 ? r : 0, smbios, machine_id, ret);
}

/* The first of names that is installed: in $PATH, or in the system directories daemons live in. */
static int find_first_program(const struct hostfs *fs, const char *const *names, char **ret)
{
        const char *path = getenv("PATH");
        _cleanup_free_ char *search =
                strdup_printf("%s:%s", path ? path : PATH_DEFAULT_USER_SEARCH, PATH_DAEMON_SEARCH);

        if (!search)
                return -ENOMEM;
        for (; *names; names++) {
                int r = path_find_executable(fs, search, *names, ret);
                if (r != -ENOENT)
                        return r;
        }
        return -ENOENT;
}

static int collect_versions(const struct hostfs *fs, usec_t deadline, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_free_ char *qemu_arch = NULL, *libvirt_bin = NULL, *qemu_bin = NULL,
                            *libvirt_version = NULL, *qemu_version = NULL;
        const char *const keys[2] = {"libvirt", "qemu"};
        char **versions[2] = {&libvirt_version, &qemu_version};
        char *argv[2][3] = {};
        struct spawn_job jobs[2] = {};
        size_t which[2], n = 0;
        struct utsname u;
        int r = 0;

        if (!o)
                return -ENOMEM;
        /* programs run on the machine hostprep runs on: they say nothing about an image */
        if (hostfs_is_live(fs)) {
                /* libvirtd, or the QEMU driver's daemon where libvirt runs modular daemons only */
                r = find_first_program(fs, (const char *const[]){"libvirtd", "virtqemud", NULL},
                                       &libvirt_bin);
                if (r == -ENOMEM)
                        return r;
                if (uname(&u) == 0)
                        qemu_arch = strdup_printf("qemu-system-%s", u.machine);
                r = find_first_program(fs,
                                       (const char *const[]){qemu_arch ? qemu_arch : "qemu-system-x86_64",
                                                             "qemu-kvm", NULL},
                                       &qemu_bin);
                if (r == -ENOMEM)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                char *bin = i == 0 ? libvirt_bin : qemu_bin;

                if (!bin)
                        continue;
                argv[i][0] = bin;
                argv[i][1] = (char *)"--version";
                jobs[n].argv = argv[i];
                which[n++] = i;
        }
        /* all at once, so a hung program costs the deadline once */
        r = n > 0 ? spawn_run_many(jobs, n, deadline) : 0;
        for (size_t k = 0; k < n; k++) {
                if (r >= 0 && !jobs[k].timed_out && !jobs[k].spawn_failed && jobs[k].exit_status == 0 &&
                    jobs[k].out && facts_version_parse(jobs[k].out, versions[which[k]]) == -ENOMEM)
                        r = -ENOMEM;
                spawn_job_done(&jobs[k]);
        }
        for (size_t i = 0; i < ELEMENTSOF(keys) && r >= 0; i++)
                r = json_add_string(o, keys[i], *versions[i]);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/* xl info's output: run where xl is installed on the live host; under --root the capture the xen.info
 * unit reads too. NULL when there is none. */
static char *xl_info_output(const struct hostfs *fs, usec_t deadline)
{
        _cleanup_free_ char *xl = NULL;
        char *argv[] = {NULL, (char *)"info", NULL}, *out = NULL;
        struct spawn_job j = {.argv = argv};

        if (!hostfs_is_live(fs))
                return hostfs_read_file(fs, PATH_XL_INFO_CAPTURE, &out, NULL) >= 0 ? out : NULL;
        if (path_find_executable(fs, PATH_COMMAND_SEARCH, "xl", &xl) < 0)
                return NULL;
        argv[0] = xl;
        j.path = xl;
        if (spawn_run(&j, deadline) >= 0 && j.exited && j.exit_status == 0)
                out = TAKE_PTR(j.out);
        spawn_job_done(&j);
        return out;
}

/* xen: null on a host without Xen's xl, else {version, virt_caps} from xl info (cross.xen compares). */
static int collect_xen(const struct hostfs *fs, usec_t deadline, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *text = xl_info_output(fs, deadline);
        struct xl_info info = {0};
        unsigned line;
        int r;

        *ret = NULL;
        if (!text || xl_info_parse(text, &info, &line) < 0)
                return 0;
        o = json_object_new_object();
        r = o ? json_add_string(o, "version", info.xen_version) : -ENOMEM;
        if (r >= 0)
                r = json_add_string(o, "virt_caps", info.virt_caps);
        xl_info_done(&info);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int collect_cpu(const struct hostfs *fs, json_object **ret)
{
        _cleanup_free_ char *text = NULL;

        /* /proc/cpuinfo is the CPU hostprep runs on, whatever the root */
        if (!hostfs_is_live(fs) || hostfs_read_file(fs, PATH_PROC_CPUINFO, &text, NULL) < 0) {
                *ret = NULL;
                return 0;
        }
        return facts_cpuinfo_parse(text, ret);
}

int facts_meminfo_parse(const char *text, json_object **ret)
{
        static const char *const keys[][2] = {{"MemTotal", "total_kib"}, {"MemAvailable", "available_kib"}};
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r = o ? 0 : -ENOMEM;

        for (size_t i = 0; i < ELEMENTSOF(keys) && r >= 0; i++) {
                _cleanup_free_ char *prefix = strdup_printf("%s:", keys[i][0]);
                const char *at = prefix ? strstr(text, prefix) : NULL;
                unsigned long long kib;

                if (!prefix)
                        return -ENOMEM;
                /* "MemAvailable:   23604 kB" at a line's start; a kernel before 3.14 has no MemAvailable */
                if (at && (at == text || at[-1] == '\n') &&
                    sscanf(at + strlen(prefix), "%llu kB", &kib) == 1)
                        r = json_add_int(o, keys[i][1], (int64_t)kib);
                else
                        r = json_add(o, keys[i][1], NULL);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/* What a destination has for a guest's memory: MemAvailable, the kernel's estimate of what can be
 * allocated without swapping. Only the running machine's. */
static int collect_memory(const struct hostfs *fs, json_object **ret)
{
        _cleanup_free_ char *text = NULL;

        if (!hostfs_is_live(fs) || hostfs_read_file(fs, PATH_PROC_MEMINFO, &text, NULL) < 0) {
                *ret = NULL;
                return 0;
        }
        return facts_meminfo_parse(text, ret);
}

static int mountinfo_parse_error(struct libmnt_table *tb, const char *filename, int line)
{
        return 1; /* skip the line, as mount(8) does */
}

static int collect_mounts(const struct hostfs *fs, const char *mountpoint, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *itr = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        struct libmnt_fs *m;

        if (!a)
                return -ENOMEM;
        /* no mountpoint in the profile, or no mount table (an image that does not run): no mounts */
        if (!mountpoint || hostfs_fopen(fs, PATH_PROC_MOUNTINFO, &f) < 0) {
                *ret = TAKE_PTR(a);
                return 0;
        }
        tb = mnt_new_table();
        itr = mnt_new_iter(MNT_ITER_BACKWARD);
        if (!tb || !itr)
                return -ENOMEM;
        mnt_table_set_parser_errcb(tb, mountinfo_parse_error);
        if (mnt_table_parse_stream(tb, f, PATH_PROC_MOUNTINFO) < 0) {
                *ret = TAKE_PTR(a);
                return 0;
        }
        /* later mounts hide earlier ones at the same place: the one in use comes first */
        while (mnt_table_next_fs(tb, itr, &m) == 0) {
                _cleanup_(json_object_putp) json_object *o = NULL;

                if (!check_same_path(strempty(mnt_fs_get_target(m)), mountpoint))
                        continue;
                o = json_object_new_object();
                if (!o || json_add_string(o, "target", mnt_fs_get_target(m)) < 0 ||
                    json_add_string(o, "source", mnt_fs_get_source(m)) < 0 ||
                    json_add_string(o, "fstype", mnt_fs_get_fstype(m)) < 0 ||
                    json_add_string(o, "options", mnt_fs_get_options(m)) < 0 ||
                    json_object_array_add(a, o) < 0)
                        return -ENOMEM;
                o = NULL;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

int facts_mounts(const struct hostfs *fs, const char *mountpoint, json_object **ret)
{
        return collect_mounts(fs, mountpoint, ret);
}

static int collect_bridge(const struct hostfs *fs, const char *name, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL, *ports = NULL;
        _cleanup_free_ char *dir = strdup_printf("%s/%s", PATH_SYS_CLASS_NET, name), *path = NULL,
                            *mtu = NULL, *operstate = NULL;
        _cleanup_(strv_freep) char **brif = NULL;
        const char *state = NULL;
        unsigned mtu_value;
        struct stat st;
        int r;

        if (!dir || !(path = strdup_printf("%s/bridge", dir)))
                return -ENOMEM;
        if (hostfs_stat(fs, path, &st) < 0 || !S_ISDIR(st.st_mode))
                return -ENOENT; /* not a bridge */

        free(path);
        if (!(path = strdup_printf("%s/mtu", dir)))
                return -ENOMEM;
        mtu = read_value(fs, path);
        free(path);
        if (!(path = strdup_printf("%s/operstate", dir)))
                return -ENOMEM;
        operstate = read_value(fs, path);
        if (operstate)
                state = streq(operstate, "up") ? "up" : "down";
        free(path);
        if (!(path = strdup_printf("%s/brif", dir)))
                return -ENOMEM;
        r = hostfs_list_dir(fs, path, &brif);
        if (r == -ENOMEM)
                return r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = json_strv_to_array(brif, &ports);
        if (r >= 0)
                r = json_add_string(o, "name", name);
        if (r >= 0)
                r = json_add(o, "mtu",
                             mtu && safe_atou(mtu, &mtu_value) >= 0 ? json_object_new_int64(mtu_value)
                                                                    : NULL);
        if (r >= 0)
                r = json_add_string(o, "state", state);
        if (r >= 0)
                r = json_add(o, "ports", TAKE_PTR(ports));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/* What net.mtu and cross.bridges compare (added to each bridge): its kind, its uplink (the first port that
 * is not a guest's) with that one's MTU, and the guests defined on it with the MTU their interface needs
 * (<mtu size=>, null: the bridge's). */
static int bridge_add_hops(json_object *b, const struct net_state *st, const struct guest_nic *g, size_t n_g)
{
        const char *name = json_object_get_string(json_get(b, "name"));
        const struct net_link *l = net_state_find(st, name), *up = NULL;
        _cleanup_free_ const struct net_link **ports = net_state_ports(st, name);
        _cleanup_(json_object_putp) json_object *guests = json_object_new_array();
        int r;

        if (!ports || !guests)
                return -ENOMEM;
        for (const struct net_link **p = ports; *p && !up; p++)
                if (!net_link_is_guest(*p))
                        up = *p;
        for (size_t i = 0; i < n_g; i++) {
                _cleanup_(json_object_putp) json_object *o = NULL;

                if (!streq(g[i].bridge, name))
                        continue;
                o = json_object_new_object();
                r = o ? json_add_string(o, "name", g[i].guest) : -ENOMEM;
                if (r >= 0)
                        r = json_add(o, "mtu", g[i].mtu ? json_object_new_int64(g[i].mtu) : NULL);
                if (r < 0 || json_object_array_add(guests, TAKE_PTR(o)) < 0)
                        return -ENOMEM;
        }
        r = json_add_string(b, "kind", l && l->kind ? l->kind : "bridge");
        if (r >= 0)
                r = json_add_string(b, "uplink", up ? up->name : NULL);
        if (r >= 0)
                r = json_add(b, "uplink_mtu", up ? json_object_new_int64(up->mtu) : NULL);
        if (r >= 0)
                r = json_add(b, "guests", TAKE_PTR(guests));
        return r;
}

static int bridges_add_hops(const struct hostfs *fs, json_object *a)
{
        _cleanup_(net_state_done) struct net_state st = {0};
        struct guest_nic *g = NULL;
        size_t n_g = 0;
        int r;

        if (json_object_array_length(a) == 0)
                return 0;
        r = netstate_read_sysfs(fs, &st);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        r = guest_nics_read(fs, &g, &n_g);
        for (size_t i = 0; r >= 0 && i < json_object_array_length(a); i++)
                r = bridge_add_hops(json_object_array_get_idx(a, i), &st, g, n_g);
        guest_nics_free(g, n_g);
        return r;
}

static int collect_bridges(const struct hostfs *fs, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();
        _cleanup_(strv_freep) char **links = NULL;

        if (!a)
                return -ENOMEM;
        /* /sys describes the running kernel's devices, never an image's */
        if (hostfs_is_live(fs) && hostfs_list_dir(fs, PATH_SYS_CLASS_NET, &links) == -ENOMEM)
                return -ENOMEM;
        STRV_FOREACH (l, links) {
                json_object *b = NULL;
                int r = collect_bridge(fs, *l, &b);

                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue;
                if (json_object_array_add(a, b) < 0) {
                        json_object_put(b);
                        return -ENOMEM;
                }
        }
        if (bridges_add_hops(fs, a) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(a);
        return 0;
}

/* The VXLAN links of the running host, [{name, vni, port, mtu}], for cross.vxlan; nothing under --root
 * (an image's or a fixture's links are not the host's). */
static int collect_vxlans(const struct hostfs *fs, usec_t deadline, json_object **ret)
{
        _cleanup_(net_state_done) struct net_state st = {0};
        _cleanup_(json_object_putp) json_object *a = NULL;
        int r;

        *ret = NULL;
        if (!hostfs_is_live(fs))
                return 0;
        r = netstate_read(fs, deadline, &st);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        if (!(a = json_object_new_array()))
                return -ENOMEM;
        for (size_t i = 0; i < st.n_links; i++) {
                const struct net_link *l = &st.links[i];
                json_object *v;

                if (!l->kind || !streq(l->kind, "vxlan") || !l->vxlan_known)
                        continue;
                if (!(v = json_object_new_object()) || json_object_array_add(a, v) < 0) {
                        json_object_put(v);
                        return -ENOMEM;
                }
                r = json_add_string(v, "name", l->name);
                if (r >= 0)
                        r = json_add_int(v, "vni", l->vxlan_id);
                if (r >= 0)
                        r = json_add_int(v, "port", l->vxlan_port);
                if (r >= 0)
                        r = json_add_int(v, "mtu", l->mtu);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

/* "virt_use_fusefs=0 virt_use_nfs=1 virt_use_samba=0": the booleans guests on shared storage need, as the
 * running policy has them (NULL without SELinux); peers compare them. */
static char *virt_booleans(void)
{
        static const char *const names[] = {"virt_use_fusefs", "virt_use_nfs", "virt_use_samba"};
        char *s = strdup("");

        for (size_t i = 0; s && i < ELEMENTSOF(names); i++) {
                char *n = strdup_printf("%s%s%s=%d", s, *s ? " " : "", names[i],
                                        security_get_boolean_active(names[i]));
                free(s);
                s = n;
        }
        return s;
}

/* The additive part of security: the policy's name, the booleans and libvirt's configured driver. */
static int collect_security_policy(const struct hostfs *fs, bool selinux_on, json_object *o)
{
        _cleanup_(libvirt_conf_freep) struct libvirt_conf *qemu = NULL;
        _cleanup_free_ char *config = NULL, *type = NULL, *booleans = NULL, *driver = NULL;
        unsigned line;
        int r;

        if (hostfs_read_file(fs, PATH_SELINUX_CONFIG, &config, NULL) >= 0)
                (void)env_file_value(config, "SELINUXTYPE", &type, &line);
        if (selinux_on && !(booleans = virt_booleans()))
                return -ENOMEM;
        if (libvirt_conf_read(fs, PATH_QEMU_CONF, &qemu, NULL) >= 0)
                (void)libvirt_conf_get_string(qemu, "security_driver", &driver);
        r = json_add_string(o, "selinux_policy", type);
        if (r >= 0)
                r = json_add_string(o, "virt_booleans", booleans);
        if (r >= 0)
                r = json_add_string(o, "libvirt_security_driver", driver);
        return r;
}

static int collect_security(const struct hostfs *fs, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *enforce = NULL, *apparmor = NULL;
        const char *selinux, *aa;
        struct stat st;
        int r;

        if (!hostfs_is_live(fs)) {
                *ret = NULL;
                return 0;
        }
        /* selinuxfs answers only while SELinux runs; its empty mount point means built in but off */
        enforce = read_value(fs, PATH_SELINUXFS "/enforce");
        if (enforce && streq(enforce, "1"))
                selinux = "enforcing";
        else if (enforce && streq(enforce, "0"))
                selinux = "permissive";
        else if (hostfs_stat(fs, PATH_SELINUXFS, &st) >= 0 && S_ISDIR(st.st_mode))
                selinux = "disabled";
        else
                selinux = "absent";
        apparmor = read_value(fs, PATH_APPARMOR_ENABLED);
        aa = !apparmor ? "absent" : streq(apparmor, "Y") ? "enabled" : "disabled";

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = json_add_string(o, "selinux", selinux);
        if (r >= 0)
                r = json_add_string(o, "apparmor", aa);
        if (r >= 0)
                r = collect_security_policy(fs, streq(selinux, "enforcing") || streq(selinux, "permissive"),
                                            o);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int collect_resolve(const struct hostfs *fs, const struct conf *profile, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_free_ char *hosts = NULL;

        if (!o)
                return -ENOMEM;
        if (profile && hostfs_read_file(fs, PATH_ETC_HOSTS, &hosts, NULL) == -ENOMEM)
                return -ENOMEM;
        for (size_t i = 0; profile && i < profile->n_entries; i++) {
                const struct conf_entry *e = &profile->entries[i];
                _cleanup_(json_object_putp) json_object *a = NULL;
                _cleanup_(strv_freep) char **addrs = NULL;
                int r;

                if (!streq(e->section, "hosts") || json_object_object_get_ex(o, e->key, NULL))
                        continue;
                r = etchosts_resolve(hosts, e->key, &addrs);
                if (r >= 0)
                        r = json_strv_to_array(addrs, &a);
                if (r >= 0)
                        r = json_add(o, e->key, TAKE_PTR(a));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

static int collect_cgroup(const struct hostfs *fs, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL, *controllers = NULL;
        _cleanup_(host_cgroups_done) struct host_cgroups cg = {};
        int r;

        /* the cgroup hierarchy is the running kernel's (as the CPU is): unknown under --root */
        r = hostfs_is_live(fs) ? host_cgroups_read(fs, &cg) : -ENOENT;
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                *ret = NULL;
                return 0;
        }
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = json_strv_to_array(cg.controllers, &controllers);
        if (r >= 0)
                r = json_add_string(o, "version", cgroup_version_to_string(cg.version));
        if (r >= 0)
                r = json_add(o, "controllers", TAKE_PTR(controllers));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/* The other way: the names /etc/hosts gives each address the peers' names resolve to, so peers can tell
 * whether forward and reverse agree (libvirt and TLS name a host by what its address says it is). */
static int collect_reverse(const struct hostfs *fs, json_object *resolve, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_free_ char *hosts = NULL;

        if (!o)
                return -ENOMEM;
        if (hostfs_read_file(fs, PATH_ETC_HOSTS, &hosts, NULL) == -ENOMEM)
                return -ENOMEM;
        json_object_object_foreach(resolve, name, addrs)
        {
                for (size_t i = 0; hosts && i < json_object_array_length(addrs); i++) {
                        const char *a = json_object_get_string(json_object_array_get_idx(addrs, i));
                        _cleanup_(json_object_putp) json_object *v = NULL;
                        _cleanup_(strv_freep) char **names = NULL;
                        int r;

                        if (!a || json_object_object_get_ex(o, a, NULL))
                                continue;
                        r = etchosts_names(hosts, a, &names);
                        if (r >= 0)
                                r = json_strv_to_array(names, &v);
                        if (r >= 0)
                                r = json_add(o, a, TAKE_PTR(v));
                        if (r < 0)
                                return r;
                }
                (void)name;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

int facts_collect(const struct hostfs *fs, const struct identity *id, unsigned roles,
                  const struct conf *profile, usec_t deadline, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_free_ char *machine_id = read_machine_id(fs);
        json_object *part;
        int r;

        if (!o)
                return -ENOMEM;
        r = json_add_new(o, "schema", json_object_new_int(FACTS_JSON_SCHEMA));
        if (r >= 0)
                r = json_add_string(o, "hostprep", HOSTPREP_VERSION);
        if (r >= 0)
                r = collect_identity(o, fs, id, roles);
        if (r >= 0)
                r = collect_os(o, fs, machine_id);
        /* each part is added as soon as it is made, so the object owns it from there on */
        if (r >= 0 && (r = collect_time(fs, &part)) >= 0)
                r = json_add(o, "time", part);
        if (r >= 0 && (r = collect_users(fs, profile, &part)) >= 0)
                r = json_add(o, "users", part);
        if (r >= 0 && (r = collect_host_uuid(fs, machine_id, &part)) >= 0)
                r = json_add(o, "host_uuid", part);
        if (r >= 0 && (r = collect_versions(fs, deadline, &part)) >= 0)
                r = json_add(o, "versions", part);
        if (r >= 0 && (r = facts_collect_libvirt(fs, roles, deadline, &part)) >= 0)
                r = json_add(o, "libvirt", part);
        if (r >= 0 && (r = collect_cpu(fs, &part)) >= 0)
                r = json_add(o, "cpu", part);
        if (r >= 0 && (r = collect_xen(fs, deadline, &part)) >= 0)
                r = json_add(o, "xen", part);
        if (r >= 0 &&
            (r = collect_mounts(fs, profile ? conf_get(profile, "nfs", "mountpoint") : NULL, &part)) >= 0)
                r = json_add(o, "mounts", part);
        if (r >= 0 && (r = collect_bridges(fs, &part)) >= 0)
                r = json_add(o, "bridges", part);
        if (r >= 0 && (r = collect_vxlans(fs, deadline, &part)) >= 0 && part)
                r = json_add(o, "vxlans", part);
        if (r >= 0 && (r = collect_security(fs, &part)) >= 0)
                r = json_add(o, "security", part);
        if (r >= 0 && (r = collect_resolve(fs, profile, &part)) >= 0)
                r = json_add(o, "resolve", part);
        if (r >= 0 && (r = collect_cgroup(fs, &part)) >= 0)
                r = json_add(o, "cgroup", part);
        if (r >= 0 && (r = collect_memory(fs, &part)) >= 0)
                r = json_add(o, "memory", part);
        if (r >= 0 && (r = collect_reverse(fs, json_get(o, "resolve"), &part)) >= 0)
                r = json_add(o, "reverse", part);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int facts_print(FILE *f, const struct hostfs *fs, const struct identity *id, unsigned roles,
                const struct conf *profile, usec_t deadline, bool json)
{
        _cleanup_(json_object_putp) json_object *facts = NULL;
        int r;

        r = facts_collect(fs, id, roles, profile, deadline, &facts);
        if (r < 0)
                return r;
        return facts_write(f, facts, json);
}

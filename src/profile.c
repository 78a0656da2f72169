/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Profiles: INI files read with libinih. Sections, `key = value`, comments on lines of their own (`#`, `;`)
 * or after white space, `include = NAME` anywhere (the included file's values take effect at that point,
 * later lines override). Every key is validated here so checks can trust what they read, and every error
 * names FILE:LINE.
 */
#include "profile.h"

#include <ctype.h>
#include <fcntl.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "config.h"
#include "datadir.h"
#include "inifile.h"
#include "pathnames.h"
#include "unit.h"
#include "util.h"

/* The schema. man/hostprep.profile.5.scd documents each key; tests/unit/test-profile checks they agree. */
const struct profile_key profile_keys[] = {
        {"profile", "name", NULL, "the profile's name (default: the file name without .conf)", KEY_STRING},
        {"profile", "description", NULL, "one line saying what the profile prepares", KEY_STRING},
        {"nfs", "server", NULL, "the NFS server as hypervisors mount it (default: the nfs-server host)",
         KEY_STRING},
        {"nfs", "export", PATH_NFS_EXPORT_DEFAULT, "the exported directory on the NFS server", KEY_PATH},
        {"nfs", "mountpoint", PATH_LIBVIRT_IMAGES, "where every hypervisor mounts the export", KEY_PATH},
        {"nfs", "options", "rw,sync,no_root_squash,no_subtree_check", "export options the export must have",
         KEY_OPTIONS},
        {"nfs", "clients", NULL, "hosts the export must reach (default: every hypervisor)", KEY_LIST},
        {"nfs", "version", "4.2", "NFS version the hypervisors mount with: 3, 4, 4.0, 4.1 or 4.2",
         KEY_NFS_VERSION},
        {"check", "timeout", "10", "default deadline in seconds for each unit (--timeout overrides)",
         KEY_SECONDS},
        {"ssh", "user", "root", "the user hostprep and migrations log in to peers as", KEY_STRING},
        {"ssh", "identity", NULL, "the private key to log in with (default: ssh's own choice)", KEY_PATH},
        {"ssh", "known_hosts", NULL, "trusted host keys of the peers (default: the user's known_hosts)",
         KEY_PATH},
        {"ssh", "port", NULL, "sshd's port on the peers (default: 22)", KEY_PORT},
        {"ssh", "connect_timeout", "5", "seconds to wait for a peer's SSH connection", KEY_PORT},
        {"ssh", "hostprep", "hostprep", "the hostprep command on the peers", KEY_STRING},
        {"ssh", "authorized_keys", NULL, "public keys (a file on the checked host) root must accept",
         KEY_PATH},
        {"network", "bridges", NULL, "bridges guests attach to, the same on every hypervisor", KEY_LIST},
        {"network", "uplink", NULL,
         "the interface net.bridge's fix makes a bridge's port (default: the bridge's port, else the default route's)",
         KEY_STRING},
        {"network", "address_bridge", NULL, "the bridge that must carry this host's address (/etc/hosts)",
         KEY_STRING},
        {"network", "mtu", NULL,
         "the MTU every bridge and its uplink must have (default: the same everywhere)", KEY_UINT},
        {"network", "overlay", "none",
         "the overlay between the hosts: none, or tinc and/or vxlan (their ports are opened, a VXLAN checked)",
         KEY_LIST},
        {"network", "vxlan_vni", NULL,
         "the VNI of the VXLAN overlay, the same on every hypervisor (setting it asks for the overlay)",
         KEY_UINT},
        {"network", "vxlan_port", "4789",
         "the VXLAN's UDP destination port (the kernel's own default is 8472)", KEY_PORT},
        {"network", "overlay_mtu", NULL, "the MTU of the overlay's link, the same on every hypervisor",
         KEY_UINT},
        {"network", "overlay_overhead", "50", "bytes the overlay adds to each packet (VXLAN over IPv4: 50)",
         KEY_UINT},
        {"network", "probe_mtu", "yes", "measure the path MTU to every peer with Don't Fragment pings",
         KEY_BOOL},
        {"migrate", "driver", NULL, "libvirt or qemu (default: libvirt when built with it)", KEY_STRING},
        {"migrate", "transport", "tcp", "how hypervisors reach each other: tcp, tls or ssh", KEY_STRING},
        {"migrate", "peer2peer", "yes", "the source libvirtd talks to the destination itself", KEY_BOOL},
        {"migrate", "downtime_ms", "0",
         "the longest pause allowed at switch-over (0: the hypervisor's 300 ms)", KEY_UINT},
        {"migrate", "bandwidth", "0", "MiB/s cap on the migration stream (0: none)", KEY_UINT},
        {"migrate", "timeout", "120", "seconds before an unfinished migration is aborted", KEY_UINT},
        {"migrate", "stall_timeout", "10",
         "seconds without progress (no data moved, or memory not converging) before a migration is aborted",
         KEY_UINT},
        {"migrate", "auto_converge", "no", "slow the guest's CPUs down when memory does not converge",
         KEY_BOOL},
        {"migrate", "post_copy", "no", "switch to post-copy when pre-copy stalls (opt-in)", KEY_BOOL},
        {"migrate", "canary", NULL,
         "the canary guest's kernel, readable at this path on both hypervisors (default: the one installed with hostprep)",
         KEY_PATH},
        {"migrate", "canary_dirty", "4M", "how fast the canary dirties memory (canary dirty= syntax)",
         KEY_STRING},
        {"audit", "link_bandwidth", "0",
         "MiB/s the migration link carries, for audit's estimate (0: 1 Gbit/s, 119 MiB/s, assumed)",
         KEY_UINT},
        {"audit", "dirty_rate_seconds", "1",
         "seconds libvirt measures a running guest's dirty rate over, for audit (0: not measured)",
         KEY_UINT},
        {"libvirt", "allow_auth_none", "no",
         "accept auth_tcp = \"none\" (anyone who reaches the port gets root on the host)", KEY_BOOL},
        {"libvirt", "auth_tcp", NULL,
         "the auth_tcp apply writes: sasl, or none (with allow_auth_none = yes); unset: as the host has it",
         KEY_LIBVIRT_AUTH},
        {"libvirt", "migration_host", NULL,
         "the migration_host apply writes into qemu.conf where this host's name sends sources to a loopback address: auto (its address in /etc/hosts) or a name or address",
         KEY_STRING},
        {"libvirt", "tls_expiry_warn_days", "30",
         "days before a TLS certificate of libvirt expires that libvirt.listen.tls warns", KEY_UINT},
        {"guests", "nested", "no",
         "guests run hypervisors of their own: every hypervisor must offer nested virtualisation", KEY_BOOL},
        {"guests", "passthrough", "no",
         "guests are given host PCI devices (VFIO): every hypervisor must have an IOMMU", KEY_BOOL},
        {"firewall", "policy", "peers",
         "whom apply opens the needed ports to: peers (only the profile's other hosts) or any", KEY_STRING},
        {"firewall", "ports", NULL,
         "more ports every peer must reach here, PORT[-PORT][/tcp|/udp] (tcp without one)", KEY_LIST},
        {"firewall", "probe", "yes", "prove each needed port with a connection from every peer", KEY_BOOL},
        {"nova", "user", NULL,
         "the user nova-compute runs as (default: nova, else stack as devstack has it)", KEY_STRING},
        {"nova", "instances_path", NULL,
         "the instances_path nova.conf must give on every compute host (default: nova.conf's own, on the NFS mount)",
         KEY_PATH},
        {"hypervisor", "toolstack", "auto",
         "what runs the guests: libvirt, xl (Xen's toolstack), or auto (xl when it is installed)",
         KEY_TOOLSTACK},
        {"xen", "configs", PATH_XEN_CONFIG_DIR, "the directory of the guests' xl configs (NAME.cfg)",
         KEY_PATH},
        {"xen", "guest_types", NULL,
         "the types of the guests that must migrate live: pv, pvh, hvm (default: the configs' types)",
         KEY_LIST},
        {"xen", "guest_memory", "0",
         "MiB of free memory every hypervisor needs for a guest coming in (0: the configs' largest memory)",
         KEY_UINT},
        {"apply", "keep_runs", "20", "apply runs (journal and backups) always kept: the latest N", KEY_UINT},
        {"apply", "keep_days", "30", "days an apply run (journal and backups) is kept at least", KEY_UINT},
};

const size_t profile_keys_size = ELEMENTSOF(profile_keys);

static const struct profile_key *key_spec_find(const char *section, const char *key)
{
        for (size_t i = 0; i < ELEMENTSOF(profile_keys); i++)
                if (streq(profile_keys[i].section, section) && streq(profile_keys[i].key, key))
                        return &profile_keys[i];
        return NULL;
}

static bool section_known(const char *section)
{
        if (streq(section, "hosts"))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(profile_keys); i++)
                if (streq(profile_keys[i].section, section))
                        return true;
        return false;
}

static bool word_valid(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!(isalnum((unsigned char)*s) || strchr("._-:/=@*[]%", *s)))
                        return false;
        return true;
}

/* Returns NULL when value suits section.key, else a message (static text). */
static const char *validate(const char *section, const char *key, const char *value)
{
        _cleanup_(strv_freep) char **words = NULL;
        const struct profile_key *spec;
        usec_t t;

        if (streq(section, "hosts")) {
                if (!word_valid(key))
                        return "a host must be a host name or an address";
                if (strv_split(value, ", \t", &words) < 0)
                        return "out of memory";
                if (!words[0])
                        return "a host needs at least one role (nfs-server, hypervisor)";
                STRV_FOREACH (w, words)
                        if (role_from_string(*w) < 0)
                                return "unknown role (known: nfs-server, hypervisor)";
                return NULL;
        }

        spec = key_spec_find(section, key);
        if (!spec)
                return section_known(section) ? "unknown key" : "unknown section";

        switch (spec->type) {
        case KEY_STRING:
                return *value ? NULL : "empty value";
        case KEY_PATH:
                if (value[0] != '/')
                        return "must be an absolute path";
                if (strstr(value, "/../") || endswith(value, "/..") || strpbrk(value, " \t\n\"'\\"))
                        return "must be a plain absolute path (no '..', quotes, backslashes or spaces)";
                return NULL;
        case KEY_OPTIONS:
        case KEY_LIST:
                if (strv_split(value, spec->type == KEY_OPTIONS ? "," : ", \t", &words) < 0)
                        return "out of memory";
                if (!words[0])
                        return "empty list";
                STRV_FOREACH (w, words)
                        if (!word_valid(*w))
                                return "list holds a malformed word";
                return NULL;
        case KEY_NFS_VERSION:
                if (streq(value, "3") || streq(value, "4") || streq(value, "4.0") || streq(value, "4.1") ||
                    streq(value, "4.2"))
                        return NULL;
                return "NFS version must be 3, 4, 4.0, 4.1 or 4.2";
        case KEY_PORT: {
                unsigned u;
                return safe_atou(value, &u) < 0 || u == 0 || u > 65535 ? "must be a number from 1 to 65535"
                                                                       : NULL;
        }
        case KEY_BOOL:
                return parse_boolean(value) < 0 ? "must be yes or no" : NULL;
        case KEY_LIBVIRT_AUTH:
                return streq(value, "sasl") || streq(value, "none") ? NULL : "must be sasl or none";
        case KEY_TOOLSTACK:
                return streq(value, "auto") || streq(value, "libvirt") || streq(value, "xl")
                               ? NULL
                               : "must be auto, libvirt or xl";
        case KEY_UINT: {
                unsigned u;
                return safe_atou(value, &u) < 0 ? "must be a whole number, 0 or more" : NULL;
        }
        case KEY_SECONDS:
                return parse_seconds(value, &t) < 0 ? "must be a number of seconds (0 < s <= 86400)" : NULL;
        }
        return "unknown key type";
}

struct load_state {
        struct conf *conf;
        char *const *search_dirs;
        char **stack; /* real paths of the files being read, for include cycles */
        char *error;  /* first error, "FILE:LINE: message" */
        char *error_file;
        unsigned error_line;
};

struct parse_ctx {
        struct load_state *st;
        struct ini_reader *rd;
};

static int load_file(struct load_state *st, const char *path);

static int set_error(struct load_state *st, const char *file, unsigned line, const char *fmt, ...)
        _printf_(4, 5);
static int set_error(struct load_state *st, const char *file, unsigned line, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        if (st->error)
                return 0;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        st->error = line ? strdup_printf("%s:%u: %s", file, line, strna(msg))
                         : strdup_printf("%s: %s", file, strna(msg));
        st->error_file = strdup(file);
        st->error_line = line;
        return 0;
}

static int find_profile(const char *name, const char *relative_to, char *const *dirs, char **ret)
{
        _cleanup_free_ char *candidate = NULL;

        if (streq(name, "-") && !relative_to) {
                *ret = strdup("-");
                return *ret ? 0 : -ENOMEM;
        }
        if (strchr(name, '/')) {
                if (name[0] != '/' && relative_to) {
                        _cleanup_free_ char *copy = strdup(relative_to);
                        if (!copy)
                                return -ENOMEM;
                        candidate = strdup_printf("%s/%s", dirname(copy), name);
                } else
                        candidate = strdup(name);
                if (!candidate)
                        return -ENOMEM;
                if (access(candidate, R_OK) < 0)
                        return -errno;
                *ret = TAKE_PTR(candidate);
                return 0;
        }

        if (relative_to) {
                /* beside the including file: NAME.conf, or the file NAME itself ("base.conf") */
                _cleanup_free_ char *copy = strdup(relative_to);
                if (!copy)
                        return -ENOMEM;
                for (unsigned i = 0; i < 2; i++) {
                        struct stat st;

                        candidate = strdup_printf("%s/%s%s", dirname(copy), name, i == 0 ? ".conf" : "");
                        if (!candidate)
                                return -ENOMEM;
                        if (access(candidate, R_OK) == 0 && stat(candidate, &st) == 0 &&
                            S_ISREG(st.st_mode)) {
                                *ret = TAKE_PTR(candidate);
                                return 0;
                        }
                        candidate = mfree(candidate);
                        /* dirname() may have written into copy: take it again */
                        strcpy(copy, relative_to);
                }
        }
        STRV_FOREACH (d, dirs) {
                free(candidate);
                candidate = strdup_printf("%s/%s.conf", *d, name);
                if (!candidate)
                        return -ENOMEM;
                if (access(candidate, R_OK) == 0) {
                        *ret = TAKE_PTR(candidate);
                        return 0;
                }
        }
        return -ENOENT;
}

/* Whether path is one of the files being read: including it again would never end. */
static bool include_cycle(const struct load_state *st, const char *path)
{
        _cleanup_free_ char *real = realpath(path, NULL);

        return real && strv_contains(st->stack, real);
}

static int profile_ini_handler(void *user, const char *section, const char *name, const char *value)
{
        struct parse_ctx *pc = user;
        struct load_state *st = pc->st;
        _cleanup_free_ char *origin = NULL, *included = NULL;
        const char *why;
        int r;

        if (st->error)
                return 0;

        if (streq(name, "include")) {
                if (strv_length(st->stack) >= PROFILE_INCLUDE_DEPTH)
                        return set_error(st, pc->rd->file, pc->rd->line, "includes nested deeper than %d",
                                         PROFILE_INCLUDE_DEPTH);
                r = find_profile(value, pc->rd->file, st->search_dirs, &included);
                if (r < 0)
                        return set_error(st, pc->rd->file, pc->rd->line, "cannot include '%s': %s", value,
                                         r == -ENOENT ? "no such profile" : strerror(-r));
                if (include_cycle(st, included))
                        return set_error(st, pc->rd->file, pc->rd->line,
                                         "include cycle: '%s' is being read already (it includes this file)",
                                         value);
                r = load_file(st, included);
                if (r < 0 && !st->error)
                        set_error(st, pc->rd->file, pc->rd->line, "in included '%s': %s", value,
                                  strerror(-r));
                return r < 0 ? 0 : 1;
        }
        if (!*section)
                return set_error(
                        st, pc->rd->file, pc->rd->line,
                        "'%s' outside a section (only 'include' may stand before the first [section])",
                        name);

        why = validate(section, name, value);
        if (why)
                return set_error(st, pc->rd->file, pc->rd->line, "[%s] %s = %s: %s", section, name, value,
                                 why);

        origin = strdup_printf("%s:%u", pc->rd->file, pc->rd->line);
        if (!origin || conf_set(st->conf, section, name, value, origin) < 0)
                return set_error(st, pc->rd->file, pc->rd->line, "out of memory");
        return 1;
}

static int load_file(struct load_state *st, const char *path)
{
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *real = NULL;
        struct ini_reader rd = {.file = path, .flatten = true};
        struct parse_ctx pc = {.st = st, .rd = &rd};
        int r;

        if (streq(path, "-")) {
                int fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);

                rd.file = "<stdin>";
                real = strdup("-");
                f = fd >= 0 ? fdopen(fd, "r") : NULL;
                if (!f) {
                        r = -errno;
                        if (fd >= 0)
                                close(fd);
                        set_error(st, rd.file, 0, "cannot read standard input: %s", strerror(-r));
                        return r;
                }
        } else {
                real = realpath(path, NULL);
                if (!real) {
                        r = -errno;
                        set_error(st, path, 0, "%s", strerror(-r));
                        return r;
                }
                if (strv_contains(st->stack, real)) {
                        set_error(st, path, 0, "include cycle: this file includes itself");
                        return -ELOOP;
                }
                f = fopen(path, "re");
                if (!f) {
                        r = -errno;
                        set_error(st, path, 0, "%s", strerror(-r));
                        return r;
                }
        }
        if (!real)
                return -ENOMEM;
        rd.f = f;

        r = strv_push(&st->stack, TAKE_PTR(real));
        if (r < 0)
                return r;
        r = ini_parse_stream(ini_reader_gets, &rd, profile_ini_handler, &pc);
        free(st->stack[strv_length(st->stack) - 1]);
        st->stack[strv_length(st->stack) - 1] = NULL;

        if (rd.too_long)
                set_error(st, rd.file, rd.too_long, "line too long (at most %d characters)",
                          INI_MAX_LINE - 2);
        if (r > 0) {
                /* inih reports its syntax errors only at the end: an earlier line's error comes first */
                if (st->error && st->error_file && streq(st->error_file, path) &&
                    st->error_line > (unsigned)r) {
                        st->error = mfree(st->error);
                        st->error_file = mfree(st->error_file);
                }
                set_error(st, rd.file, (unsigned)r,
                          "syntax error: expected '[section]', 'key = value' or a comment");
        }
        if (r < 0)
                set_error(st, rd.file, 0, "cannot read: %s", r == -2 ? "out of memory" : "read error");
        return st->error ? -EINVAL : 0;
}

static int apply_defaults(struct conf *c)
{
        for (size_t i = 0; i < ELEMENTSOF(profile_keys); i++) {
                const struct profile_key *k = &profile_keys[i];
                int r;

                if (!k->def || conf_find(c, k->section, k->key))
                        continue;
                r = conf_set(c, k->section, k->key, k->def, "default");
                if (r < 0)
                        return r;
        }
        return 0;
}

int profile_load(const char *name, char *const *search_dirs, struct conf *c, char **ret_error)
{
        struct load_state st = {.conf = c, .search_dirs = search_dirs};
        _cleanup_free_ char *path = NULL;
        int r;

        r = find_profile(name, NULL, search_dirs, &path);
        if (r < 0) {
                _cleanup_free_ char *dirs = strv_join(search_dirs, ", ");
                *ret_error = strchr(name, '/') ? strdup_printf("profile '%s': %s", name, strerror(-r))
                                               : strdup_printf("profile '%s' not found (looked in %s)", name,
                                                               strna(dirs));
                return r;
        }

        r = load_file(&st, path);
        strv_free(st.stack);
        free(st.error_file);
        if (r >= 0)
                r = apply_defaults(c);
        if (r >= 0 && !conf_get(c, "profile", "name")) {
                _cleanup_free_ char *copy = strdup(path);
                char *base, *dot;

                if (!copy)
                        r = -ENOMEM;
                else {
                        base = streq(copy, "-") ? (char *)"stdin" : basename(copy);
                        dot = strrchr(base, '.');
                        if (dot && streq(dot, ".conf"))
                                *dot = '\0';
                        r = conf_set(c, "profile", "name", base, "file name");
                }
        }
        if (r >= 0) {
                c->file = TAKE_PTR(path);
                c->name = strdup(conf_get(c, "profile", "name"));
                if (!c->name)
                        r = -ENOMEM;
        }
        if (r < 0) {
                conf_done(c);
                *ret_error = st.error ? TAKE_PTR(st.error)
                                      : strdup_printf("profile '%s': %s", name, strerror(-r));
                return r;
        }
        free(st.error);
        return 0;
}

int profile_set(struct conf *c, const char *assignment, char **ret_error)
{
        _cleanup_free_ char *copy = strdup(assignment);
        char *eq, *dot, *section, *key, *value;
        const char *why;

        if (!copy)
                return -ENOMEM;
        eq = strchr(copy, '=');
        dot = strchr(copy, '.');
        if (!eq || !dot || dot > eq) {
                *ret_error = strdup_printf("--set %s: expected SECTION.KEY=VALUE", assignment);
                return -EINVAL;
        }
        *eq = *dot = '\0';
        section = strip(copy);
        key = strip(dot + 1);
        value = strip(eq + 1);
        why = validate(section, key, value);
        if (why) {
                *ret_error = strdup_printf("--set %s: %s", assignment, why);
                return -EINVAL;
        }
        return conf_set(c, section, key, value, "--set");
}

int profile_search_dirs(const char *extra, char ***ret)
{
        _cleanup_(strv_freep) char **dirs = NULL;
        int r;

        if (extra) {
                r = strv_split(extra, ":", &dirs);
                if (r < 0)
                        return r;
        }
        /* the operator's own first, then the shipped ones (lib/datadir.h: installed, or the source tree's)
         */
        if (strv_push_dup(&dirs, HOSTPREP_SYSCONF_PROFILES) < 0 ||
            strv_push_dup(&dirs,
                          datadir_build_tree() ? HOSTPREP_SOURCE_PROFILES : HOSTPREP_DATADIR_PROFILES) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(dirs);
        return 0;
}

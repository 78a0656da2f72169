/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nova.compute: an OpenStack compute host is set up the way nova's libvirt driver needs for live and cold
 * migration over a shared instances directory (nova's configuring-migrations guide): nova.conf (with
 * nova.conf.d/ *.conf, read with libinih in oslo.config's order, later files winning) puts
 * instances_path on the NFS share, o+x on it; the migration URI's transport is one libvirtd offers here;
 * nova connects to the local system libvirtd; the sources reach this host by a name that is not a
 * loopback address; VNC listens on every address (a guest's VNC server moves with it); and the user
 * nova-compute runs as (nova, stack under devstack) has a login shell and an SSH key pair for cold
 * migration and resize. Its ids are compared across hosts in cross.nova_ids. Nothing here needs
 * nova-compute to run: it is all configuration and files.
 */
#include <arpa/inet.h>
#include <libmount.h>
#include <sys/stat.h>

#include "accounts.h"
#include "common.h"
#include "deadline.h"
#include "etchosts.h"
#include "hostkernel.h"
#include "inifile.h"
#include "libvirtd-model.h"
#include "pathnames.h"
#include "strv.h"

#define NOVA_CONF    PATH_NOVA_CONF
#define NOVA_PROFILE "nova-kvm"

enum {
        CONF_NONE,
        CONF_MISSING,
        CONF_UNREADABLE,
        CONF_INVALID,
        CONF_READ,
        INSTANCES_PROFILE_DIFFERS,
        INSTANCES_NOT_BELOW_MOUNTPOINT,
        INSTANCES_NOT_NFS,
        INSTANCES_MISSING,
        INSTANCES_TIMEOUT,
        INSTANCES_STAT_FAILED,
        INSTANCES_ON_SHARE,
        MODE_NO_OTHER_EXEC,
        MODE_OTHER_EXEC,
        URI_NO_DEST,
        URI_UNKNOWN_SCHEME,
        URI_NOT_OFFERED,
        URI_NOT_INSTALLED,
        URI_NOT_STARTED,
        URI_MODEL_FAILED,
        URI_SSH,
        URI_OFFERED,
        CONNECTION_NOT_SYSTEM,
        CONNECTION_SYSTEM,
        INBOUND_LOOPBACK,
        INBOUND_UNRESOLVED,
        INBOUND_REACHABLE,
        VNC_LOCAL,
        VNC_DISABLED,
        VNC_ALL_ADDRESSES,
        USER_MISSING,
        USER_UNREADABLE,
        USER_NO_SHELL,
        USER_EXISTS,
        KEY_MISSING,
        KEY_NO_AUTHORIZED,
        KEY_PAIR,
};

static const struct result_def nova_compute_results[] = {
        [CONF_NONE] = {"nova.compute.conf", STATUS_SKIP, "no_nova_conf"},
        [CONF_MISSING] = {"nova.compute.conf", STATUS_FAIL, "nova_conf_missing",
                          "install nova-compute (it writes " NOVA_CONF "), or write " NOVA_CONF},
        [CONF_UNREADABLE] = {"nova.compute.conf", STATUS_ERROR, "nova_conf_unreadable"},
        [CONF_INVALID] = {"nova.compute.conf", STATUS_ERROR, "nova_conf_invalid",
                          "fix the line it names: oslo.config reads '[section]' and 'key = value' lines"},
        [CONF_READ] = {"nova.compute.conf", STATUS_PASS, "nova_conf_read"},
        [INSTANCES_PROFILE_DIFFERS] = {"nova.compute.instances_path", STATUS_FAIL, "profile_differs",
                                       "set [DEFAULT] instances_path = @PATH@ in " NOVA_CONF},
        [INSTANCES_NOT_BELOW_MOUNTPOINT] = {"nova.compute.instances_path", STATUS_FAIL, "not_on_share",
                                            "set [DEFAULT] instances_path in " NOVA_CONF
                                            " to a directory on the NFS mount @MOUNTPOINT@"},
        [INSTANCES_NOT_NFS] = {"nova.compute.instances_path", STATUS_FAIL, "not_nfs",
                               "mount the export at @MOUNTPOINT@ (see nfs.mount)"},
        [INSTANCES_MISSING] =
                {"nova.compute.instances_path", STATUS_FAIL, "missing",
                 "create it on the share: mkdir -p @PATH@, owned by the user nova-compute runs as"},
        [INSTANCES_TIMEOUT] = {"nova.compute.instances_path", STATUS_ERROR, "stat_timeout",
                               "check that the NFS server runs and answers (see nfs.mount)"},
        [INSTANCES_STAT_FAILED] = {"nova.compute.instances_path", STATUS_ERROR, "stat_failed"},
        [INSTANCES_ON_SHARE] = {"nova.compute.instances_path", STATUS_PASS, "on_share"},
        [MODE_NO_OTHER_EXEC] = {"nova.compute.instances_mode", STATUS_FAIL, "no_other_exec",
                                "chmod o+x @PATH@"},
        [MODE_OTHER_EXEC] = {"nova.compute.instances_mode", STATUS_PASS, "other_exec"},
        [URI_NO_DEST] =
                {"nova.compute.migration_uri", STATUS_FAIL, "uri_without_destination",
                 "remove [libvirt] live_migration_uri and set live_migration_scheme, or put %s where "
                 "the destination goes: qemu+tcp://%s/system"},
        [URI_UNKNOWN_SCHEME] = {"nova.compute.migration_uri", STATUS_FAIL, "unknown_scheme",
                                "set [libvirt] live_migration_scheme = tcp, tls or ssh in " NOVA_CONF},
        [URI_NOT_OFFERED] =
                {"nova.compute.migration_uri", STATUS_FAIL, "scheme_not_offered",
                 "make @DAEMON@ listen for @SCHEME@ ([migrate] transport = @SCHEME@, see libvirt.listen), or set [libvirt] live_migration_scheme in " NOVA_CONF
                 " to what it offers"},
        [URI_NOT_INSTALLED] =
                {"nova.compute.migration_uri", STATUS_FAIL, "libvirt_not_installed",
                 "install libvirt's daemon (libvirt-daemon-system): nova's libvirt driver needs it"},
        [URI_NOT_STARTED] = {"nova.compute.migration_uri", STATUS_SKIP, "libvirt_not_started"},
        [URI_MODEL_FAILED] = {"nova.compute.migration_uri", STATUS_ERROR, "libvirt_unknown"},
        [URI_SSH] = {"nova.compute.migration_uri", STATUS_PASS, "ssh_scheme"},
        [URI_OFFERED] = {"nova.compute.migration_uri", STATUS_PASS, "scheme_offered"},
        [CONNECTION_NOT_SYSTEM] = {"nova.compute.connection_uri", STATUS_FAIL, "not_local_system",
                                   "set [libvirt] connection_uri = qemu:///system in " NOVA_CONF
                                   ", or remove it"},
        [CONNECTION_SYSTEM] = {"nova.compute.connection_uri", STATUS_PASS, "local_system"},
        [INBOUND_LOOPBACK] = {"nova.compute.inbound_addr", STATUS_FAIL, "loopback",
                              "set [libvirt] live_migration_inbound_addr in " NOVA_CONF
                              " to this host's address on the migration network"},
        [INBOUND_UNRESOLVED] = {"nova.compute.inbound_addr", STATUS_WARN, "unresolved",
                                "add @NAME@ to /etc/hosts on every host, or set [libvirt] "
                                "live_migration_inbound_addr to this host's address"},
        [INBOUND_REACHABLE] = {"nova.compute.inbound_addr", STATUS_PASS, "not_loopback"},
        [VNC_LOCAL] = {"nova.compute.vnc", STATUS_FAIL, "not_all_addresses",
                       "set [vnc] server_listen = 0.0.0.0 in " NOVA_CONF},
        [VNC_DISABLED] = {"nova.compute.vnc", STATUS_SKIP, "vnc_disabled"},
        [VNC_ALL_ADDRESSES] = {"nova.compute.vnc", STATUS_PASS, "all_addresses"},
        [USER_MISSING] =
                {"nova.compute.user", STATUS_FAIL, "user_missing",
                 "create the user nova-compute runs as (@USER@), with the same uid and gid as on the "
                 "other compute hosts and the NFS server"},
        [USER_UNREADABLE] = {"nova.compute.user", STATUS_ERROR, "passwd_unreadable"},
        [USER_NO_SHELL] = {"nova.compute.user", STATUS_FAIL, "no_login_shell",
                           "usermod -s /bin/bash @USER@"},
        [USER_EXISTS] = {"nova.compute.user", STATUS_PASS, "user_exists"},
        [KEY_MISSING] = {"nova.compute.ssh_key", STATUS_FAIL, "no_key_pair",
                         "su -s /bin/sh @USER@ -c ssh-keygen, then add @HOME@/.ssh/id_*.pub to "
                         "@HOME@/.ssh/authorized_keys on the other compute hosts"},
        [KEY_NO_AUTHORIZED] =
                {"nova.compute.ssh_key", STATUS_FAIL, "no_authorized_keys",
                 "add the other compute hosts' @USER@ public keys to @HOME@/.ssh/authorized_keys"},
        [KEY_PAIR] = {"nova.compute.ssh_key", STATUS_PASS, "key_pair"},
};

#define R(entry) (&nova_compute_results[entry])

/* --- nova.conf ------------------------------------------------------------------------------------ */

/* nova.conf, then nova.conf.d's *.conf in name order (oslo.config's --config-dir): 0 and the files read
 * in *ret_files (NULL when there is none), or a negative errno with the file (and :LINE) in *ret_where. */
static int nova_conf_load(const struct check_ctx *ctx, struct conf *c, char ***ret_files, char **ret_where)
{
        _cleanup_(strv_freep) char **names = NULL, **files = NULL;
        struct stat st;
        int r;

        if (hostfs_stat(ctx->fs, NOVA_CONF, &st) == 0 && strv_push_dup(&files, NOVA_CONF) < 0)
                return -ENOMEM;
        r = hostfs_list_dir(ctx->fs, PATH_NOVA_CONF_DIR, &names);
        if (r < 0 && r != -ENOENT && r != -ENOTDIR)
                return r;
        STRV_FOREACH (n, names)
                if (endswith(*n, ".conf") &&
                    strv_push(&files, strdup_printf(PATH_NOVA_CONF_DIR "/%s", *n)) < 0)
                        return -ENOMEM;
        STRV_FOREACH (f, files) {
                _cleanup_fclose_ FILE *fp = NULL;
                unsigned line = 0;

                r = hostfs_fopen(ctx->fs, *f, &fp);
                if (r >= 0)
                        r = ini_conf_load(fp, *f, c, &line);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        *ret_where = line ? strdup_printf("%s:%u", *f, line) : strdup(*f);
                        return *ret_where ? r : -ENOMEM;
                }
        }
        *ret_files = TAKE_PTR(files);
        return 0;
}

static const char *origin_of(const struct conf *c, const char *section, const char *key)
{
        const struct conf_entry *e = conf_find(c, section, key);

        return e ? e->origin : NULL;
}

static bool nova_profile(const struct check_ctx *ctx)
{
        return streq_ptr(conf_get(ctx->profile, "profile", "name"), NOVA_PROFILE);
}

/* Reads the configuration and says so: 1 when there is one to check, 0 when the unit is done. */
static int check_conf(struct check_ctx *ctx, struct conf *c)
{
        _cleanup_(strv_freep) char **files = NULL;
        _cleanup_free_ char *where = NULL, *list = NULL;
        int r = nova_conf_load(ctx, c, &files, &where);

        if (r == -ENOMEM)
                return r;
        if (r == -EINVAL)
                return check_emit(ctx, R(CONF_INVALID), where, "%s: not a line oslo.config reads", where);
        if (r < 0)
                return check_emit(ctx, R(CONF_UNREADABLE), where, "cannot read %s: %s", strna(where),
                                  strerror(-r));
        if (!files && !nova_profile(ctx))
                return check_emit(ctx, R(CONF_NONE), NULL,
                                  "no %s: not an OpenStack compute host (the " NOVA_PROFILE
                                  " profile requires one)",
                                  NOVA_CONF);
        if (!files)
                return check_emit(ctx, R(CONF_MISSING), NOVA_CONF,
                                  "no %s: nova-compute is not configured on this compute host", NOVA_CONF);
        list = strv_join(files, ", ");
        if (!list)
                return -ENOMEM;
        r = check_emit(ctx, R(CONF_READ), list, "nova's configuration read from %s", list);
        return r < 0 ? r : 1;
}

/* --- instances_path -------------------------------------------------------------------------------- */

/* value with oslo.config's $state_path (or ${state_path}) replaced. */
static char *expand_state_path(const char *value, const char *state_path)
{
        _cleanup_free_ char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        if (!f)
                return NULL;
        while (*value) {
                if (startswith(value, "$state_path")) {
                        fputs(state_path, f);
                        value += strlen("$state_path");
                } else if (startswith(value, "${state_path}")) {
                        fputs(state_path, f);
                        value += strlen("${state_path}");
                } else
                        fputc(*value++, f);
        }
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(out);
}

/* Whether path is dir or below it. */
static bool path_below(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        while (n > 1 && dir[n - 1] == '/')
                n--;
        return check_same_path(path, dir) || (strncmp(path, dir, n) == 0 && (path[n] == '/' || n == 1));
}

/* The mount instances_path lies on: a FAIL when it is not the NFS share; 1 when it is (or when the host
 * does not run: only the path was judged), 0 when a FAIL was given. */
static int check_share_mount(struct check_ctx *ctx, const char *path, const char *mountpoint)
{
        struct check_mount m = {0};
        _cleanup_free_ char *evidence = NULL;
        int r = check_mount_of(ctx, path, &m);

        if (r == -ENOENT)
                return 1;
        if (r < 0 && r != -ENXIO)
                return r;
        if (r == 0 && (streq(m.fstype, "nfs") || streq(m.fstype, "nfs4"))) {
                check_mount_done(&m);
                return 1;
        }
        evidence = r == 0 ? strdup_printf("%s: %s on %s type %s", PATH_PROC_MOUNTINFO, m.source, m.target,
                                          m.fstype)
                          : strdup(PATH_PROC_MOUNTINFO);
        check_mount_done(&m);
        if (!evidence)
                return -ENOMEM;
        r = check_emit_hint(ctx, R(INSTANCES_NOT_NFS), HINT_VALUES("MOUNTPOINT", mountpoint), evidence,
                            "%s is not on an NFS mount: the other compute hosts do not see its instances",
                            path);
        return r < 0 ? r : 0;
}

/* The directory itself, from a child abandoned at the deadline (it is on NFS); its mode. */
static int check_instances_dir(struct check_ctx *ctx, const char *path, const char *origin)
{
        struct stat st;
        int r;

        r = hostfs_stat_within(ctx->fs, path, deadline_leave_margin(ctx->deadline, 100 * USEC_PER_MSEC),
                               &st);
        if (r == -ETIMEDOUT)
                return check_emit(ctx, R(INSTANCES_TIMEOUT), path, "%s: no answer from the NFS server",
                                  path);
        if (r == -ENOENT)
                return check_emit_hint(ctx, R(INSTANCES_MISSING), HINT_VALUES("PATH", path), origin,
                                       "instances_path %s does not exist", path);
        if (r >= 0 && !S_ISDIR(st.st_mode))
                r = -ENOTDIR;
        if (r < 0)
                return check_emit(ctx, R(INSTANCES_STAT_FAILED), path, "%s: %s", path, strerror(-r));
        r = check_emit(ctx, R(INSTANCES_ON_SHARE), origin, "instances_path %s is on the NFS share", path);
        if (r < 0)
                return r;
        if (!(st.st_mode & S_IXOTH))
                return check_emit_hint(
                        ctx, R(MODE_NO_OTHER_EXEC), HINT_VALUES("PATH", path), path,
                        "%s has mode %04o: without o+x, libvirt's qemu user cannot reach the instances' disks",
                        path, (unsigned)(st.st_mode & 07777));
        return check_emit(ctx, R(MODE_OTHER_EXEC), path, "%s has mode %04o (o+x)", path,
                          (unsigned)(st.st_mode & 07777));
}

static int check_instances(struct check_ctx *ctx, const struct conf *c)
{
        const char *state = conf_get(c, "DEFAULT", "state_path");
        const char *value = conf_get(c, "DEFAULT", "instances_path");
        const char *want = conf_get(ctx->profile, "nova", "instances_path");
        const char *mountpoint = conf_get(ctx->profile, "nfs", "mountpoint");
        const char *origin = origin_of(c, "DEFAULT", "instances_path");
        _cleanup_free_ char *path = expand_state_path(value ? value : "$state_path/instances",
                                                      state ? state : PATH_NOVA_STATE_PATH),
                            *evidence = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        evidence = origin ? strdup(origin)
                          : strdup_printf("%s (nova's default $state_path/instances)", NOVA_CONF);
        if (!evidence)
                return -ENOMEM;
        if (want && !check_same_path(path, want))
                return check_emit_hint(
                        ctx, R(INSTANCES_PROFILE_DIFFERS), HINT_VALUES("PATH", want), evidence,
                        "instances_path is %s, the profile's [nova] instances_path %s", path, want);
        if (path[0] != '/' || !path_below(path, mountpoint))
                return check_emit_hint(
                        ctx, R(INSTANCES_NOT_BELOW_MOUNTPOINT), HINT_VALUES("MOUNTPOINT", mountpoint),
                        evidence,
                        "instances_path %s is not on the NFS mount %s: live migration needs the "
                        "instances on storage every compute host shares",
                        path, mountpoint);
        r = check_share_mount(ctx, path, mountpoint);
        if (r <= 0)
                return r;
        return check_instances_dir(ctx, path, evidence);
}

/* --- libvirt: the migration URI, the connection, the inbound address -------------------------------- */

/* The transport of the URI the source opens to this host's libvirtd: live_migration_uri's (libvirt:
 * qemu://HOST/ without one is tls), else live_migration_scheme (nova's default: tcp). */
static char *migration_scheme(const struct conf *c, bool *ret_dest)
{
        const char *uri = conf_get(c, "libvirt", "live_migration_uri");
        const char *scheme = conf_get(c, "libvirt", "live_migration_scheme");
        const char *sep, *plus;

        *ret_dest = true;
        if (!uri)
                return strdup(scheme ? scheme : "tcp");
        *ret_dest = strstr(uri, "%s");
        sep = strstr(uri, "://");
        if (!sep)
                return strdup("");
        plus = memchr(uri, '+', (size_t)(sep - uri));
        return plus ? strndup(plus + 1, (size_t)(sep - plus - 1)) : strdup("tls");
}

static int check_offered(struct check_ctx *ctx, const char *scheme, const char *origin)
{
        _cleanup_(libvirt_conf_freep) struct libvirt_conf *lc = NULL;
        _cleanup_free_ char *error = NULL, *units = NULL;
        struct libvirtd_model m;
        bool offered = false, tls = streq(scheme, "tls");
        int r;

        r = libvirtd_model_read(ctx, &m, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return check_emit(ctx, R(URI_MODEL_FAILED), "system bus",
                                  "cannot ask systemd how libvirt's daemon listens: %s", strna(error));
        if (m.flavor == LIBVIRTD_FLAVOR_NONE)
                r = check_emit(ctx, R(URI_NOT_INSTALLED), NULL, "libvirt's daemon is not installed");
        else if ((r = libvirtd_conf_read(ctx, &m, &lc, &error)) >= 0 || r == -ENOENT) {
                r = libvirtd_offers(&m, lc, tls, &offered);
                units = libvirtd_model_units(&m);
                if (r == -EUNATCH)
                        r = check_emit(
                                ctx, R(URI_NOT_STARTED), units,
                                "%s is neither a service nor running: cannot tell whether it offers %s",
                                m.daemon, scheme);
                else if (r >= 0 && !offered)
                        r = check_emit_hint(
                                ctx, R(URI_NOT_OFFERED), HINT_VALUES("DAEMON", m.daemon, "SCHEME", scheme),
                                units,
                                "nova migrates over qemu+%s (%s), but %s does not listen for %s: "
                                "live migrations to this host fail",
                                scheme, strna(origin), m.daemon, scheme);
                else if (r >= 0)
                        r = check_emit(ctx, R(URI_OFFERED), units,
                                       "nova migrates over qemu+%s, which %s offers", scheme, m.daemon);
        } else if (r != -ENOMEM)
                r = check_emit(ctx, R(URI_MODEL_FAILED), m.conf_path, "cannot read %s: %s", m.conf_path,
                               error ? error : strerror(-r));
        libvirtd_model_done(&m);
        return r;
}

static int check_migration_uri(struct check_ctx *ctx, const struct conf *c)
{
        const char *origin = origin_of(c, "libvirt", "live_migration_uri");
        _cleanup_free_ char *scheme = NULL;
        bool dest;

        if (!origin)
                origin = origin_of(c, "libvirt", "live_migration_scheme");
        scheme = migration_scheme(c, &dest);
        if (!scheme)
                return -ENOMEM;
        if (!dest)
                return check_emit(
                        ctx, R(URI_NO_DEST), origin,
                        "live_migration_uri %s has no %%s: every migration would go to the one host it names",
                        conf_get(c, "libvirt", "live_migration_uri"));
        if (streq(scheme, "ssh") || streq(scheme, "libssh") || streq(scheme, "libssh2"))
                return check_emit(ctx, R(URI_SSH), origin,
                                  "nova migrates over qemu+%s: libvirtd needs no listener (sshd carries it)",
                                  scheme);
        if (!streq(scheme, "tcp") && !streq(scheme, "tls"))
                return check_emit(ctx, R(URI_UNKNOWN_SCHEME), origin,
                                  "live migration scheme '%s' is none of tcp, tls, ssh", scheme);
        return check_offered(ctx, scheme, origin ? origin : "nova's default");
}

/* nova-compute's own connection: the local system daemon (qemu:///system, libvirt's default for root). */
static int check_connection_uri(struct check_ctx *ctx, const struct conf *c)
{
        const char *uri = conf_get(c, "libvirt", "connection_uri");

        if (uri && *uri && !streq(uri, "qemu:///system"))
                return check_emit(ctx, R(CONNECTION_NOT_SYSTEM), origin_of(c, "libvirt", "connection_uri"),
                                  "connection_uri is %s: nova-compute must manage the guests of this host's "
                                  "system libvirtd (qemu:///system), which the other hosts migrate to",
                                  uri);
        return check_emit(ctx, R(CONNECTION_SYSTEM), origin_of(c, "libvirt", "connection_uri"),
                          "nova-compute connects to qemu:///system");
}

/* The address the sources migrate to: live_migration_inbound_addr, else this host's name as nova knows
 * it ([DEFAULT] host, else the host name), as /etc/hosts resolves it. */
static int check_inbound(struct check_ctx *ctx, const struct conf *c)
{
        const char *addr = conf_get(c, "libvirt", "live_migration_inbound_addr");
        const char *host = conf_get(c, "DEFAULT", "host");
        const char *name = addr && *addr ? addr : host && *host ? host : ctx->hostname;
        const char *origin = addr ? origin_of(c, "libvirt", "live_migration_inbound_addr") : PATH_ETC_HOSTS;
        _cleanup_(strv_freep) char **addresses = NULL;
        _cleanup_free_ char *evidence = NULL;
        int r;

        r = check_host_addresses(ctx, name, &addresses);
        if (r < 0)
                return r;
        if (!addresses || !addresses[0])
                return check_emit_hint(ctx, R(INBOUND_UNRESOLVED), HINT_VALUES("NAME", name), origin,
                                       "the sources migrate to %s, which /etc/hosts does not name", name);
        evidence = strdup_printf("%s: %s -> %s", strna(origin), name, addresses[0]);
        if (!evidence)
                return -ENOMEM;
        if (address_is_loopback(addresses[0]))
                return check_emit(ctx, R(INBOUND_LOOPBACK), evidence,
                                  "the sources migrate to %s, a loopback address%s: they would migrate to "
                                  "themselves",
                                  addresses[0],
                                  addr ? "" : " (this host's name; live_migration_inbound_addr is unset)");
        if (streq(name, addresses[0]))
                return check_emit(ctx, R(INBOUND_REACHABLE), evidence, "the sources migrate to %s", name);
        return check_emit(ctx, R(INBOUND_REACHABLE), evidence, "the sources migrate to %s (%s)", name,
                          addresses[0]);
}

/* --- VNC ------------------------------------------------------------------------------------------- */

static bool listen_all(const char *a)
{
        return streq(a, "0.0.0.0") || streq(a, "::") || streq(a, "[::]");
}

static int check_vnc(struct check_ctx *ctx, const struct conf *c)
{
        static const char *const keys[][2] = {
                {"vnc", "server_listen"}, {"vnc", "vncserver_listen"}, {"DEFAULT", "vncserver_listen"}};
        const char *enabled = conf_get(c, "vnc", "enabled");
        const char *value = "127.0.0.1", *origin = NULL;

        if (enabled && (streq(enabled, "false") || streq(enabled, "False") || streq(enabled, "0")))
                return check_emit(ctx, R(VNC_DISABLED), origin_of(c, "vnc", "enabled"),
                                  "VNC consoles are disabled ([vnc] enabled = %s)", enabled);
        /* oslo.config takes the option's own name first, then its deprecated names */
        for (size_t i = 0; i < ELEMENTSOF(keys) && !origin; i++)
                if (conf_get(c, keys[i][0], keys[i][1])) {
                        value = conf_get(c, keys[i][0], keys[i][1]);
                        origin = origin_of(c, keys[i][0], keys[i][1]);
                }
        if (!listen_all(value))
                return check_emit(ctx, R(VNC_LOCAL), origin ? origin : NOVA_CONF,
                                  "guests' VNC servers listen on %s%s: after a migration the destination "
                                  "cannot open that address and the guest keeps no console",
                                  value, origin ? "" : " (nova's default)");
        return check_emit(ctx, R(VNC_ALL_ADDRESSES), origin, "guests' VNC servers listen on %s", value);
}

/* --- the user -------------------------------------------------------------------------------------- */

static bool shell_refuses(const char *shell)
{
        return !*shell || endswith(shell, "/nologin") || endswith(shell, "/false");
}

static int check_ssh_key(struct check_ctx *ctx, const struct account *a)
{
        static const char *const keys[] = {"id_ed25519", "id_ecdsa", "id_rsa"};
        _cleanup_free_ char *found = NULL, *authorized = strdup_printf("%s/.ssh/authorized_keys", a->home);
        const char *const *values = HINT_VALUES("USER", a->name, "HOME", a->home);
        struct stat st;

        if (!authorized)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(keys) && !found; i++) {
                _cleanup_free_ char *key = strdup_printf("%s/.ssh/%s", a->home, keys[i]),
                                    *pub = strdup_printf("%s/.ssh/%s.pub", a->home, keys[i]);

                if (!key || !pub)
                        return -ENOMEM;
                if (hostfs_stat(ctx->fs, key, &st) == 0 && hostfs_stat(ctx->fs, pub, &st) == 0)
                        found = TAKE_PTR(key);
        }
        if (!found)
                return check_emit_hint(ctx, R(KEY_MISSING), values, a->home,
                                       "%s has no SSH key pair in %s/.ssh: cold migration and resize copy "
                                       "over SSH as this user and fail with 'Permission denied (publickey)'",
                                       a->name, a->home);
        if (hostfs_stat(ctx->fs, authorized, &st) < 0)
                return check_emit_hint(ctx, R(KEY_NO_AUTHORIZED), values, authorized,
                                       "%s has no %s: the other compute hosts cannot log in as %s", a->name,
                                       authorized, a->name);
        return check_emit(ctx, R(KEY_PAIR), found, "%s has the key pair %s and %s", a->name, found,
                          authorized);
}

static int check_user(struct check_ctx *ctx)
{
        const char *want = conf_get(ctx->profile, "nova", "user");
        const char *const *names = want ? HINT_VALUES(want) : HINT_VALUES("nova", "stack");
        _cleanup_free_ char *wanted = want ? strdup(want) : strdup("nova or stack");
        struct account a;
        int r;

        if (!wanted)
                return -ENOMEM;
        r = accounts_find(ctx->fs, names, &a);
        if (r == -ENOMEM)
                return r;
        if (r == -ENOENT)
                return check_emit_hint(ctx, R(USER_MISSING), HINT_VALUES("USER", wanted), PATH_ETC_PASSWD,
                                       "no user %s: nova-compute runs as it and owns the instances", wanted);
        if (r < 0)
                return check_emit(ctx, R(USER_UNREADABLE), PATH_ETC_PASSWD, "cannot read %s: %s",
                                  PATH_ETC_PASSWD, strerror(-r));
        if (shell_refuses(a.shell))
                r = check_emit_hint(ctx, R(USER_NO_SHELL), HINT_VALUES("USER", a.name), PATH_ETC_PASSWD,
                                    "%s's shell is %s: the other hosts' SSH commands for resize and cold "
                                    "migration cannot run as it",
                                    a.name, *a.shell ? a.shell : "empty");
        else
                r = check_emit(ctx, R(USER_EXISTS), PATH_ETC_PASSWD,
                               "nova-compute's user %s is %u:%u, shell %s", a.name, (unsigned)a.uid,
                               (unsigned)a.gid, a.shell);
        if (r >= 0)
                r = check_ssh_key(ctx, &a);
        account_done(&a);
        return r;
}

static int nova_compute_check(struct check_ctx *ctx)
{
        _cleanup_(conf_done) struct conf c = {0};
        int r;

        r = check_conf(ctx, &c);
        if (r <= 0)
                return r;
        r = check_instances(ctx, &c);
        if (r >= 0)
                r = check_migration_uri(ctx, &c);
        if (r >= 0)
                r = check_connection_uri(ctx, &c);
        if (r >= 0)
                r = check_inbound(ctx, &c);
        if (r >= 0)
                r = check_vnc(ctx, &c);
        if (r >= 0)
                r = check_user(ctx);
        return r < 0 ? r : 0;
}

const struct unit unit_nova_compute = {
        .id = "nova.compute",
        .title = "nova-compute is configured for migration over the shared instances directory",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = nova_compute_results,
        .n_results = ELEMENTSOF(nova_compute_results),
        .check = nova_compute_check,
};

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "libvirtd-model.h"

#include <ctype.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common.h"
#include "envfile.h"
#include "pathlookup.h"
#include "pathnames.h"
#include "provision/systemd.h"
#include "servicefile.h"
#include "strv.h"

static const char *const socket_suffixes[_LIBVIRTD_SOCKET_MAX] = {
        [LIBVIRTD_SOCKET_MAIN] = ".socket",        [LIBVIRTD_SOCKET_RO] = "-ro.socket",
        [LIBVIRTD_SOCKET_ADMIN] = "-admin.socket", [LIBVIRTD_SOCKET_TCP] = "-tcp.socket",
        [LIBVIRTD_SOCKET_TLS] = "-tls.socket",
};

static const char *const activation_names[_LIBVIRTD_ACTIVATION_MAX] = {
        [LIBVIRTD_ACTIVATION_SOCKET] = "socket-activated",
        [LIBVIRTD_ACTIVATION_TRADITIONAL] = "traditional",
        [LIBVIRTD_ACTIVATION_MANUAL] = "started without a service unit",
};

const char *libvirtd_activation_to_string(enum libvirtd_activation a)
{
        return a < _LIBVIRTD_ACTIVATION_MAX ? activation_names[a] : NULL;
}

static void unit_state_done(struct libvirtd_unit_state *u)
{
        free(u->name);
        free(u->file_state);
        free(u->active_state);
}

void libvirtd_model_done(struct libvirtd_model *m)
{
        unit_state_done(&m->service);
        for (size_t i = 0; i < _LIBVIRTD_SOCKET_MAX; i++)
                unit_state_done(&m->sockets[i]);
        free(m->binary);
        free(m->args);
        free(m->args_origin);
        *m = (struct libvirtd_model){0};
}

bool libvirtd_unit_masked(const struct libvirtd_unit_state *u)
{
        return u->file_state && startswith(u->file_state, "masked");
}

static bool unit_present(const struct libvirtd_unit_state *u)
{
        return u->file_state && *u->file_state;
}

bool libvirtd_socket_on(const struct libvirtd_model *m, enum libvirtd_socket s)
{
        const struct libvirtd_unit_state *u = &m->sockets[s];

        if (u->active_state)
                return streq(u->active_state, "active");
        return u->file_state && streq(u->file_state, "enabled");
}

bool libvirtd_listens_itself(const struct libvirtd_model *m)
{
        if (m->activation == LIBVIRTD_ACTIVATION_SOCKET)
                return false;
        /* virtproxyd listens as its configuration says; libvirtd only with --listen */
        return m->flavor == LIBVIRTD_FLAVOR_MODULAR || m->listen_arg;
}

int libvirtd_offers(const struct libvirtd_model *m, const struct libvirt_conf *c, bool tls, bool *ret)
{
        bool listen = tls && m->flavor == LIBVIRTD_FLAVOR_MONOLITHIC;

        if (m->activation == LIBVIRTD_ACTIVATION_SOCKET) {
                *ret = libvirtd_socket_on(m, tls ? LIBVIRTD_SOCKET_TLS : LIBVIRTD_SOCKET_TCP);
                return 0;
        }
        if (m->activation == LIBVIRTD_ACTIVATION_MANUAL && !m->pid)
                return -EUNATCH;
        if (!libvirtd_listens_itself(m)) {
                *ret = false;
                return 0;
        }
        (void)libvirt_conf_get_bool(c, tls ? "listen_tls" : "listen_tcp", &listen);
        *ret = listen;
        return 0;
}

/* One unit's state: over the bus when there is one, else from its files. */
static int unit_state_read(const struct check_ctx *ctx, sd_bus *bus, const char *name,
                           struct libvirtd_unit_state *ret)
{
        const char *file_state = "";

        ret->name = strdup(name);
        if (!ret->name)
                return -ENOMEM;
        if (bus) {
                struct service_state st = {};

                if (systemd_service_get_state(bus, name, ctx->deadline, &st, NULL) >= 0) {
                        bool found = !streq(st.load_state, "not-found");

                        ret->file_state = strdup(found ? st.unit_file_state : "");
                        ret->active_state = strdup(st.active_state);
                        return ret->file_state && ret->active_state ? 0 : -ENOMEM;
                }
        }
        if (service_file_state(ctx->fs, name, &file_state) < 0)
                file_state = "";
        ret->file_state = strdup(file_state);
        return ret->file_state ? 0 : -ENOMEM;
}

static int units_read(const struct check_ctx *ctx, sd_bus *bus, const char *daemon, struct libvirtd_model *m)
{
        _cleanup_free_ char *service = strdup_printf("%s.service", daemon);
        int r;

        if (!service)
                return -ENOMEM;
        r = unit_state_read(ctx, bus, service, &m->service);
        for (size_t i = 0; r >= 0 && i < _LIBVIRTD_SOCKET_MAX; i++) {
                _cleanup_free_ char *name = strdup_printf("%s%s", daemon, socket_suffixes[i]);

                r = name ? unit_state_read(ctx, bus, name, &m->sockets[i]) : -ENOMEM;
        }
        return r;
}

/* The modular daemons run instead of libvirtd where virtqemud is there and libvirtd is not, or is
 * switched off while virtqemud is switched on. */
static bool modular_chosen(const struct check_ctx *ctx, sd_bus *bus, bool have_libvirtd,
                           const struct libvirtd_unit_state *libvirtd_service)
{
        _cleanup_free_ char *virtqemud = NULL;
        struct libvirtd_unit_state qemu_socket = {0};
        bool on;

        if (path_find_executable(ctx->fs, PATH_DAEMON_SEARCH, "virtqemud", &virtqemud) < 0)
                return false;
        if (!have_libvirtd)
                return true;
        if (unit_state_read(ctx, bus, "virtqemud.socket", &qemu_socket) < 0)
                return false;
        on = streq_ptr(qemu_socket.file_state, "enabled") && libvirtd_service->file_state &&
             (libvirtd_unit_masked(libvirtd_service) || streq(libvirtd_service->file_state, "disabled"));
        unit_state_done(&qemu_socket);
        return on;
}

/* libvirtd's getopt string is "hldf:p:t:v": --listen, or -l alone or among other short options before
 * one that takes a value. */
static bool args_have_listen(const char *args)
{
        _cleanup_(strv_freep) char **words = NULL;

        if (!args || strv_split(args, " \t", &words) < 0)
                return false;
        STRV_FOREACH (w, words) {
                if (streq(*w, "--listen"))
                        return true;
                if ((*w)[0] != '-' || (*w)[1] == '-')
                        continue;
                for (const char *c = *w + 1; *c && !strchr("fpt", *c); c++)
                        if (*c == 'l')
                                return true;
        }
        return false;
}

char *libvirtd_args_var(const struct libvirtd_model *m)
{
        char *var = strdup_printf("%s_ARGS", m->daemon);

        for (char *c = var; c && *c; c++)
                *c = (char)toupper((unsigned char)*c);
        return var;
}

/* The options the service unit passes: LIBVIRTD_ARGS (VIRTPROXYD_ARGS) from Debian's /etc/default or
 * RHEL's /etc/sysconfig file. Unset: the unit's own default (Debian: --timeout 120), without --listen. */
static int service_args_read(const struct check_ctx *ctx, struct libvirtd_model *m)
{
        const char *const dirs[] = {PATH_ETC_DEFAULT, PATH_ETC_SYSCONFIG};
        _cleanup_free_ char *var = libvirtd_args_var(m);

        if (!var)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *path = strdup_printf("%s/%s", dirs[i], m->daemon), *text = NULL;
                unsigned line = 0;
                int r;

                if (!path)
                        return -ENOMEM;
                if (hostfs_read_file(ctx->fs, path, &text, NULL) < 0)
                        continue;
                r = env_file_value(text, var, &m->args, &line);
                if (r == -ENOENT)
                        return 0;
                if (r < 0)
                        return r;
                m->args_origin = strdup_printf("%s:%u", path, line);
                return m->args_origin ? 0 : -ENOMEM;
        }
        return 0;
}

/* The running daemon on the live host: its pid file, and /proc saying that process is that daemon. */
static int running_read(const struct check_ctx *ctx, struct libvirtd_model *m, bool take_args)
{
        _cleanup_free_ char *pidfile = strdup_printf(PATH_RUN_DIR "/%s.pid", m->daemon);
        _cleanup_free_ char *text = NULL, *path = NULL, *comm = NULL, *cmdline = NULL;
        unsigned pid;
        size_t len = 0;

        if (!pidfile)
                return -ENOMEM;
        if (!hostfs_is_live(ctx->fs) || hostfs_read_file(ctx->fs, pidfile, &text, NULL) < 0 ||
            safe_atou(strip(text), &pid) < 0 || pid == 0)
                return 0;
        path = strdup_printf("/proc/%u/comm", pid);
        if (!path)
                return -ENOMEM;
        if (hostfs_read_file(ctx->fs, path, &comm, NULL) < 0 || !streq(strip(comm), m->daemon))
                return 0; /* a stale pid file */
        m->pid = (pid_t)pid;
        free(path);
        path = strdup_printf("/proc/%u/cmdline", pid);
        if (!path)
                return -ENOMEM;
        if (!take_args || hostfs_read_file(ctx->fs, path, &cmdline, &len) < 0)
                return 0;
        for (size_t i = 0; i + 1 < len; i++)
                if (cmdline[i] == '\0')
                        cmdline[i] = ' ';
        free(m->args);
        free(m->args_origin);
        m->args = TAKE_PTR(cmdline);
        m->args_origin = TAKE_PTR(path);
        return 0;
}

static int bus_open(const struct check_ctx *ctx, sd_bus **ret, char **ret_error)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *address = NULL;
        int r;

        if (!check_systemd_running(ctx)) {
                *ret = NULL;
                return 0;
        }
        address = check_bus_address(ctx);
        r = systemd_bus_open(address, ctx->deadline, ret, &error);
        if (r < 0)
                *ret_error = strdup(error.message ?: strerror(-r));
        return r;
}

static enum libvirtd_activation activation_of(const struct libvirtd_model *m)
{
        if (!unit_present(&m->service) || libvirtd_unit_masked(&m->service))
                return LIBVIRTD_ACTIVATION_MANUAL;
        /* the service Wants= its main socket: unless that is masked, systemd hands the sockets over */
        if (!unit_present(&m->sockets[LIBVIRTD_SOCKET_MAIN]) ||
            libvirtd_unit_masked(&m->sockets[LIBVIRTD_SOCKET_MAIN]))
                return LIBVIRTD_ACTIVATION_TRADITIONAL;
        return LIBVIRTD_ACTIVATION_SOCKET;
}

int libvirtd_model_read(const struct check_ctx *ctx, struct libvirtd_model *ret, char **ret_error)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        struct libvirtd_model m = {.daemon = "libvirtd", .conf_path = PATH_LIBVIRTD_CONF};
        bool have_libvirtd;
        int r;

        r = bus_open(ctx, &bus, ret_error);
        if (r < 0)
                return r;
        m.from_bus = bus != NULL;
        have_libvirtd = path_find_executable(ctx->fs, PATH_DAEMON_SEARCH, "libvirtd", &m.binary) >= 0;
        r = units_read(ctx, bus, "libvirtd", &m);
        if (r >= 0 && modular_chosen(ctx, bus, have_libvirtd, &m.service)) {
                libvirtd_model_done(&m);
                m = (struct libvirtd_model){.daemon = "virtproxyd",
                                            .conf_path = PATH_VIRTPROXYD_CONF,
                                            .flavor = LIBVIRTD_FLAVOR_MODULAR,
                                            .from_bus = bus != NULL};
                if (path_find_executable(ctx->fs, PATH_DAEMON_SEARCH, "virtproxyd", &m.binary) < 0)
                        m.binary = NULL;
                r = units_read(ctx, bus, "virtproxyd", &m);
        } else if (have_libvirtd || unit_present(&m.service))
                m.flavor = LIBVIRTD_FLAVOR_MONOLITHIC;
        if (r >= 0) {
                m.activation = activation_of(&m);
                if (m.activation != LIBVIRTD_ACTIVATION_MANUAL)
                        r = service_args_read(ctx, &m);
        }
        if (r >= 0)
                r = running_read(ctx, &m, m.activation == LIBVIRTD_ACTIVATION_MANUAL);
        if (r < 0) {
                libvirtd_model_done(&m);
                return r;
        }
        m.listen_arg = m.flavor == LIBVIRTD_FLAVOR_MONOLITHIC && args_have_listen(m.args);
        *ret = m;
        return 0;
}

static char *unit_state_describe(const struct libvirtd_unit_state *u)
{
        const char *file = unit_present(u) ? u->file_state : "no unit file";

        if (u->active_state)
                return strdup_printf("%s %s/%s", u->name, file, u->active_state);
        return strdup_printf("%s %s", u->name, file);
}

char *libvirtd_model_units(const struct libvirtd_model *m)
{
        _cleanup_(strv_freep) char **parts = NULL;
        const struct libvirtd_unit_state *all[1 + _LIBVIRTD_SOCKET_MAX] = {&m->service};

        for (size_t i = 0; i < _LIBVIRTD_SOCKET_MAX; i++)
                all[1 + i] = &m->sockets[i];
        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                if ((unit_present(all[i]) || all[i]->active_state) &&
                    strv_push(&parts, unit_state_describe(all[i])) < 0)
                        return NULL;
        if (!parts)
                return strdup_printf("no unit files for %s", m->daemon);
        return strv_join(parts, ", ");
}

int libvirtd_conf_read(const struct check_ctx *ctx, const struct libvirtd_model *m,
                       struct libvirt_conf **ret, char **ret_error)
{
        int r = libvirt_conf_read(ctx->fs, m->conf_path, ret, ret_error);

        if (r == -ENOENT) {
                r = libvirt_conf_parse(m->conf_path, "", 0, ret, ret_error);
                return r < 0 ? r : 0;
        }
        return r < 0 ? r : 1;
}

char *libvirtd_tls_path(const struct libvirt_conf *c, enum libvirtd_tls_file f, const char **ret_setting)
{
        static const char *const settings[_LIBVIRTD_TLS_FILE_MAX] = {"ca_file", "cert_file", "key_file"};
        static const char *const defaults[_LIBVIRTD_TLS_FILE_MAX] = {
                PATH_LIBVIRT_CA_CERT, PATH_LIBVIRT_SERVER_CERT, PATH_LIBVIRT_SERVER_KEY};
        char *path = NULL;

        *ret_setting = settings[f];
        if (libvirt_conf_get_string(c, settings[f], &path) >= 0 && *path)
                return path;
        free(path);
        return strdup(defaults[f]);
}

int libvirtd_tls_files(const struct check_ctx *ctx, const struct libvirt_conf *c, char ***ret_missing,
                       char ***ret_present)
{
        _cleanup_(strv_freep) char **missing = NULL, **present = NULL;

        for (int f = 0; f < _LIBVIRTD_TLS_FILE_MAX; f++) {
                const char *setting;
                char *path = libvirtd_tls_path(c, f, &setting);
                struct stat st;

                if (!path)
                        return -ENOMEM;
                if (strv_push(hostfs_stat(ctx->fs, path, &st) == 0 && S_ISREG(st.st_mode) ? &present
                                                                                          : &missing,
                              path) < 0)
                        return -ENOMEM;
        }
        *ret_missing = TAKE_PTR(missing);
        *ret_present = TAKE_PTR(present);
        return 0;
}

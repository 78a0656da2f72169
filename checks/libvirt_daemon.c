/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt.daemon: libvirt's daemon is installed and runs the way this host starts it. Which model: socket
 * activation (systemd listens and hands libvirtd its sockets: Debian's default), traditional (the sockets
 * masked, libvirtd --listen opens them itself) or the modular daemons (virtproxyd for remote clients).
 * What the model ignores is said (listen_tcp = 1 under socket activation changes nothing), and what stops
 * the daemon from starting is a FAIL (--listen with activation sockets, a broken libvirtd.conf, --listen
 * with TLS on but its files missing).
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "common.h"
#include "libvirtd-model.h"
#include "pathnames.h"
#include "provision/plan.h"
#include "spawn.h"
#include "strv.h"

enum {
        INSTALLED_MISSING,
        INSTALLED_PRESENT,
        MODEL_BUS_FAILED,
        MODEL_SOCKET,
        MODEL_TRADITIONAL,
        MODEL_MANUAL,
        CONF_UNREADABLE,
        CONF_BROKEN,
        CONF_PARSED,
        CONF_DEFAULTS,
        ARGS_LISTEN_WITH_SOCKETS,
        ARGS_TLS_FILES_MISSING,
        ARGS_CONSISTENT,
        IGNORED_LISTEN,
        IGNORED_PORT,
        IGNORED_ADDRESS,
        IGNORED_WITHOUT_LISTEN,
        IGNORED_NONE,
        RUNNING_NOT_LIVE,
        RUNNING_ACTIVE,
        RUNNING_SOCKET,
        RUNNING_STOPPED,
        FIX_NOT_STARTABLE,
};

#define RESTART_NOTE "then systemctl restart @DAEMON@ (it takes a changed socket only when it restarts)"

static const struct result_def libvirt_daemon_results[] = {
        [INSTALLED_MISSING] =
                {"libvirt.daemon.installed", STATUS_FAIL, "not_installed",
                 "install libvirt's daemon: apt install libvirt-daemon-system (Debian), dnf install libvirt-daemon (RHEL-like)"},
        [INSTALLED_PRESENT] = {"libvirt.daemon.installed", STATUS_PASS, "installed"},
        [MODEL_BUS_FAILED] = {"libvirt.daemon.model", STATUS_ERROR, "bus_unavailable"},
        [MODEL_SOCKET] = {"libvirt.daemon.model", STATUS_PASS, "socket_activated"},
        [MODEL_TRADITIONAL] = {"libvirt.daemon.model", STATUS_PASS, "traditional"},
        [MODEL_MANUAL] = {"libvirt.daemon.model", STATUS_PASS, "no_service_unit"},
        [CONF_UNREADABLE] = {"libvirt.daemon.conf", STATUS_ERROR, "unreadable",
                             "check the file's permissions"},
        [CONF_BROKEN] = {"libvirt.daemon.conf", STATUS_FAIL, "parse_error",
                         "fix the line: libvirtd refuses to start with a syntax error in its configuration"},
        [CONF_PARSED] = {"libvirt.daemon.conf", STATUS_PASS, "parsed"},
        [CONF_DEFAULTS] = {"libvirt.daemon.conf", STATUS_PASS, "defaults"},
        [ARGS_LISTEN_WITH_SOCKETS] =
                {"libvirt.daemon.args", STATUS_FAIL, "listen_with_sockets",
                 "either remove --listen from @VAR@ in @ORIGIN@ (socket activation: systemctl enable --now libvirtd-tcp.socket for TCP), or keep it and mask the sockets: systemctl mask @SOCKETS@; then systemctl restart @DAEMON@"},
        [ARGS_TLS_FILES_MISSING] =
                {"libvirt.daemon.args", STATUS_FAIL, "tls_files_missing",
                 "set listen_tls = 0 in @FILE@ if peers do not connect over TLS, or install the CA certificate, the server certificate and its key"},
        [ARGS_CONSISTENT] = {"libvirt.daemon.args", STATUS_PASS, "consistent"},
        [IGNORED_LISTEN] = {"libvirt.daemon.ignored", STATUS_WARN, "listen_ignored",
                            "systemctl @VERB@ @SOCKET@, " RESTART_NOTE "; and remove @SETTING@ from @FILE@"},
        [IGNORED_PORT] =
                {"libvirt.daemon.ignored", STATUS_WARN, "port_ignored",
                 "set ListenStream= in a drop-in for @SOCKET@ (systemctl edit @SOCKET@), " RESTART_NOTE
                 "; and remove @SETTING@ from @FILE@"},
        [IGNORED_ADDRESS] =
                {"libvirt.daemon.ignored", STATUS_WARN, "address_ignored",
                 "give ListenStream=ADDRESS:PORT in drop-ins for the TCP and TLS sockets (systemctl edit), " RESTART_NOTE
                 "; and remove listen_addr from @FILE@"},
        [IGNORED_WITHOUT_LISTEN] =
                {"libvirt.daemon.ignored", STATUS_WARN, "ignored_without_listen",
                 "add --listen to @VAR@ in @ENVFILE@ (the sockets stay masked), then systemctl restart @DAEMON@"},
        [IGNORED_NONE] = {"libvirt.daemon.ignored", STATUS_PASS, "none_ignored"},
        [RUNNING_NOT_LIVE] = {"libvirt.daemon.running", STATUS_SKIP, "not_live"},
        [RUNNING_ACTIVE] = {"libvirt.daemon.running", STATUS_PASS, "running"},
        [RUNNING_SOCKET] = {"libvirt.daemon.running", STATUS_PASS, "socket_waiting"},
        [RUNNING_STOPPED] =
                {"libvirt.daemon.running", STATUS_FAIL, "not_running",
                 "start it: systemctl start @DAEMON@ (journalctl -u @DAEMON@ says why it stopped), or where no systemd runs, @DAEMON@ -d as the host starts it"},
        [FIX_NOT_STARTABLE] =
                {"libvirt.daemon.fix", STATUS_ERROR, "not_startable",
                 "start @DAEMON@ as this host starts it: no systemd unit of it runs here, or the configuration stops it (see the FAILs above)"},
};

#define R(entry) (&libvirt_daemon_results[entry])

/* "libvirt 9.0.0" from `libvirtd --version` on the live host; NULL when it cannot be had. */
static char *daemon_version(const struct check_ctx *ctx, const char *binary)
{
        char *argv[] = {(char *)binary, (char *)"--version", NULL};
        struct spawn_job j = {.argv = argv, .path = binary};
        char *version = NULL;

        if (!hostfs_is_live(ctx->fs) || spawn_run(&j, ctx->deadline) < 0)
                return NULL;
        if (j.exited && j.exit_status == 0 && j.out) {
                const char *v = strrchr(strip(j.out), ' ');
                version = strdup_printf("libvirt %s", v ? v + 1 : j.out);
        }
        spawn_job_done(&j);
        return version;
}

static int check_installed(struct check_ctx *ctx, const struct libvirtd_model *m)
{
        _cleanup_free_ char *version = NULL;

        if (m->flavor == LIBVIRTD_FLAVOR_NONE)
                return check_emit(
                        ctx, R(INSTALLED_MISSING), PATH_DAEMON_SEARCH,
                        "libvirt's daemon is not installed (no libvirtd, no virtqemud, no unit files)");
        if (!m->binary)
                return check_emit(ctx, R(INSTALLED_MISSING), m->service.name,
                                  "%s has a unit file but its program is not installed", m->daemon);
        version = daemon_version(ctx, m->binary);
        return check_emit(ctx, R(INSTALLED_PRESENT), m->binary, "%s%s%s%s%s is installed", m->daemon,
                          version ? " (" : "", strempty(version), version ? ")" : "",
                          m->flavor == LIBVIRTD_FLAVOR_MODULAR ? " with the modular daemons" : "");
}

static int check_model(struct check_ctx *ctx, const struct libvirtd_model *m)
{
        _cleanup_free_ char *units = libvirtd_model_units(m);

        if (!units)
                return -ENOMEM;
        switch (m->activation) {
        case LIBVIRTD_ACTIVATION_SOCKET:
                return check_emit(
                        ctx, R(MODEL_SOCKET), units,
                        "%s is socket-activated: systemd listens on %s's sockets and hands them over",
                        m->daemon, m->daemon);
        case LIBVIRTD_ACTIVATION_TRADITIONAL:
                return check_emit(ctx, R(MODEL_TRADITIONAL), units,
                                  "%s runs traditionally: its sockets are masked%s", m->daemon,
                                  libvirtd_listens_itself(m)
                                          ? " and it listens itself"
                                          : "; without --listen it opens no TCP or TLS port");
        default:
                return check_emit(ctx, R(MODEL_MANUAL), units,
                                  "no service unit starts %s: it is started by hand or by another init",
                                  m->daemon);
        }
}

static int check_conf(struct check_ctx *ctx, const struct libvirtd_model *m, struct libvirt_conf **ret)
{
        _cleanup_free_ char *error = NULL;
        int r = libvirtd_conf_read(ctx, m, ret, &error);

        if (r == -EBADMSG)
                r = check_emit(ctx, R(CONF_BROKEN), error, "%s does not parse: %s", m->conf_path,
                               strna(error));
        else if (r < 0)
                r = check_emit(ctx, R(CONF_UNREADABLE), m->conf_path, "cannot read %s: %s", m->conf_path,
                               strerror(-r));
        else if (r == 0)
                return check_emit(ctx, R(CONF_DEFAULTS), m->conf_path,
                                  "no %s: %s runs on libvirt's defaults", m->conf_path, m->daemon);
        else
                return check_emit(ctx, R(CONF_PARSED), m->conf_path, "%s parses", m->conf_path);
        return r < 0 ? r : 1; /* nothing more can be said of a configuration that is not there to read */
}

/* The sockets that are not masked: with any of them systemd passes sockets, and --listen is refused. */
static char *sockets_not_masked(const struct libvirtd_model *m)
{
        _cleanup_(strv_freep) char **names = NULL;

        for (size_t i = 0; i < _LIBVIRTD_SOCKET_MAX; i++)
                if (m->sockets[i].file_state && *m->sockets[i].file_state &&
                    !libvirtd_unit_masked(&m->sockets[i]) && strv_push_dup(&names, m->sockets[i].name) < 0)
                        return NULL;
        return strv_join(names, " ");
}

static int check_listen_with_sockets(struct check_ctx *ctx, const struct libvirtd_model *m)
{
        _cleanup_free_ char *var = libvirtd_args_var(m), *sockets = sockets_not_masked(m), *evidence = NULL;

        if (!var || !sockets)
                return -ENOMEM;
        evidence = strdup_printf("%s: %s=\"%s\"; not masked: %s", strna(m->args_origin), var,
                                 strempty(m->args), sockets);
        return check_emit_hint(
                ctx, R(ARGS_LISTEN_WITH_SOCKETS),
                HINT_VALUES("VAR", var, "ORIGIN", strna(m->args_origin), "SOCKETS", sockets, "DAEMON",
                            m->daemon),
                evidence,
                "%s has --listen but %s's sockets are not masked: %s exits with \"--listen parameter not permitted with systemd activation sockets\"",
                var, m->daemon, m->daemon);
}

/* libvirtd --listen opens TLS too unless listen_tls = 0, and exits when a TLS file is missing. */
static int check_tls_files(struct check_ctx *ctx, const struct libvirtd_model *m,
                           const struct libvirt_conf *c)
{
        _cleanup_(strv_freep) char **missing = NULL, **present = NULL;
        _cleanup_free_ char *list = NULL, *origin = libvirt_conf_origin(c, "listen_tls"), *evidence = NULL;
        bool listen_tls = true;

        if (libvirt_conf_get_bool(c, "listen_tls", &listen_tls) < 0)
                listen_tls = true;
        if (listen_tls && libvirtd_tls_files(ctx, c, &missing, &present) < 0)
                return -ENOMEM;
        if (!missing)
                return 0;
        list = strv_join(missing, ", ");
        evidence = strdup_printf("%s; missing: %s", origin ? origin : "listen_tls unset (default 1)",
                                 strna(list));
        return check_emit_hint(ctx, R(ARGS_TLS_FILES_MISSING), HINT_VALUES("FILE", m->conf_path), evidence,
                               "%s --listen exits at start: listen_tls is on%s and %s %s missing", m->daemon,
                               origin ? "" : " (the default)", strna(list),
                               strv_length(missing) > 1 ? "are" : "is");
}

static int check_args(struct check_ctx *ctx, const struct libvirtd_model *m, const struct libvirt_conf *c)
{
        size_t before = ctx->results->n;
        int r;

        if (m->activation == LIBVIRTD_ACTIVATION_SOCKET && m->listen_arg)
                return check_listen_with_sockets(ctx, m);
        if (m->flavor == LIBVIRTD_FLAVOR_MONOLITHIC && libvirtd_listens_itself(m)) {
                r = check_tls_files(ctx, m, c);
                if (r < 0 || ctx->results->n > before)
                        return r;
        }
        return check_emit(ctx, R(ARGS_CONSISTENT), m->args_origin, "%s's options fit how it is started%s%s",
                          m->daemon, m->args ? ": " : "", strempty(m->args));
}

/* A listen_tcp/listen_tls that disagrees with its socket: under socket activation the socket decides. */
static int ignored_listen(struct check_ctx *ctx, const struct libvirtd_model *m,
                          const struct libvirt_conf *c, const char *setting, enum libvirtd_socket s)
{
        _cleanup_free_ char *origin = libvirt_conf_origin(c, setting), *evidence = NULL, *unit = NULL;
        const char *name = m->sockets[s].name;
        bool value, on = libvirtd_socket_on(m, s);

        if (libvirt_conf_get_bool(c, setting, &value) < 0 || value == on)
                return 0;
        unit = strdup_printf("%s %s", name,
                             m->sockets[s].active_state ?: strempty(m->sockets[s].file_state));
        evidence = strdup_printf("%s: %s = %d; %s", strna(origin), setting, value, strna(unit));
        return check_emit_hint(ctx, R(IGNORED_LISTEN),
                               HINT_VALUES("VERB", value ? "enable --now" : "disable --now", "SOCKET", name,
                                           "DAEMON", m->daemon, "SETTING", setting, "FILE", m->conf_path),
                               evidence, "%s = %d is ignored: %s is socket-activated and %s %s", setting,
                               value, m->daemon, name,
                               value ? "does not listen; enable it" : "listens anyway");
}

static int ignored_port(struct check_ctx *ctx, const struct libvirtd_model *m, const struct libvirt_conf *c,
                        const char *setting, enum libvirtd_socket s, const char *port)
{
        _cleanup_free_ char *value = NULL, *origin = libvirt_conf_origin(c, setting), *evidence = NULL;

        if (libvirt_conf_get_string(c, setting, &value) < 0 || streq(value, port))
                return 0;
        evidence = strdup_printf("%s: %s = \"%s\"", strna(origin), setting, value);
        return check_emit_hint(ctx, R(IGNORED_PORT),
                               HINT_VALUES("SOCKET", m->sockets[s].name, "DAEMON", m->daemon, "SETTING",
                                           setting, "FILE", m->conf_path),
                               evidence,
                               "%s = \"%s\" is ignored: %s is socket-activated and %s listens on %s",
                               setting, value, m->daemon, m->sockets[s].name, port);
}

static int ignored_by_sockets(struct check_ctx *ctx, const struct libvirtd_model *m,
                              const struct libvirt_conf *c)
{
        _cleanup_free_ char *origin = libvirt_conf_origin(c, "listen_addr"), *evidence = NULL;
        int r;

        r = ignored_listen(ctx, m, c, "listen_tcp", LIBVIRTD_SOCKET_TCP);
        if (r >= 0)
                r = ignored_listen(ctx, m, c, "listen_tls", LIBVIRTD_SOCKET_TLS);
        if (r >= 0)
                r = ignored_port(ctx, m, c, "tcp_port", LIBVIRTD_SOCKET_TCP, "16509");
        if (r >= 0)
                r = ignored_port(ctx, m, c, "tls_port", LIBVIRTD_SOCKET_TLS, "16514");
        if (r < 0 || !origin)
                return r;
        evidence = strdup_printf("%s: listen_addr", origin);
        return check_emit_hint(
                ctx, R(IGNORED_ADDRESS), HINT_VALUES("DAEMON", m->daemon, "FILE", m->conf_path), evidence,
                "listen_addr is ignored: %s is socket-activated and its sockets listen on every address",
                m->daemon);
}

/* libvirtd without --listen opens no TCP or TLS listener, whatever listen_tcp and listen_tls say. */
static int ignored_without_listen(struct check_ctx *ctx, const struct libvirtd_model *m,
                                  const struct libvirt_conf *c)
{
        const char *const settings[] = {"listen_tcp", "listen_tls"};
        _cleanup_free_ char *var = libvirtd_args_var(m);

        if (!var)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(settings); i++) {
                _cleanup_free_ char *origin = libvirt_conf_origin(c, settings[i]), *envfile = NULL;
                bool value;

                if (libvirt_conf_get_bool(c, settings[i], &value) < 0 || !value)
                        continue;
                envfile = strdup_printf(PATH_ETC_DEFAULT "/%s", m->daemon);
                return check_emit_hint(
                        ctx, R(IGNORED_WITHOUT_LISTEN),
                        HINT_VALUES("VAR", var, "ENVFILE", strna(envfile), "DAEMON", m->daemon), origin,
                        "%s = 1 is ignored: %s runs without --listen", settings[i], m->daemon);
        }
        return 0;
}

static int check_ignored(struct check_ctx *ctx, const struct libvirtd_model *m, const struct libvirt_conf *c)
{
        size_t before = ctx->results->n;
        int r = 0;

        if (m->activation == LIBVIRTD_ACTIVATION_SOCKET)
                r = ignored_by_sockets(ctx, m, c);
        else if (m->flavor == LIBVIRTD_FLAVOR_MONOLITHIC && !m->listen_arg &&
                 (m->activation != LIBVIRTD_ACTIVATION_MANUAL || m->pid))
                r = ignored_without_listen(ctx, m, c);
        if (r < 0 || ctx->results->n > before)
                return r;
        return check_emit(ctx, R(IGNORED_NONE), m->conf_path, "%s's settings all take effect in this model",
                          m->daemon);
}

static int check_running(struct check_ctx *ctx, const struct libvirtd_model *m)
{
        const struct libvirtd_unit_state *main_socket = &m->sockets[LIBVIRTD_SOCKET_MAIN];
        _cleanup_free_ char *units = NULL, *pidfile = NULL;

        if (!hostfs_is_live(ctx->fs) && !m->from_bus)
                return check_emit(ctx, R(RUNNING_NOT_LIVE), NULL,
                                  "whether %s runs is known on the running host only, not under --root",
                                  m->daemon);
        units = libvirtd_model_units(m);
        if (!units)
                return -ENOMEM;
        if (m->from_bus && streq_ptr(m->service.active_state, "active"))
                return check_emit(ctx, R(RUNNING_ACTIVE), units, "%s runs", m->service.name);
        /* socket-activated libvirtd exits when idle (--timeout 120) and is started by the next client */
        if (m->from_bus && m->activation == LIBVIRTD_ACTIVATION_SOCKET &&
            libvirtd_socket_on(m, LIBVIRTD_SOCKET_MAIN))
                return check_emit(ctx, R(RUNNING_SOCKET), units,
                                  "%s listens: %s starts on the first connection", main_socket->name,
                                  m->daemon);
        if (!m->from_bus && m->pid) {
                pidfile = strdup_printf(PATH_RUN_DIR "/%s.pid: %d", m->daemon, (int)m->pid);
                return check_emit(ctx, R(RUNNING_ACTIVE), pidfile, "%s runs (pid %d)", m->daemon,
                                  (int)m->pid);
        }
        return check_emit_hint(ctx, R(RUNNING_STOPPED), HINT_VALUES("DAEMON", m->daemon), units,
                               "%s does not run: no migration can reach this host", m->daemon);
}

static int libvirt_daemon_check(struct check_ctx *ctx)
{
        _cleanup_(libvirt_conf_freep) struct libvirt_conf *conf = NULL;
        _cleanup_free_ char *error = NULL;
        struct libvirtd_model m;
        int r;

        r = libvirtd_model_read(ctx, &m, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return check_emit(ctx, R(MODEL_BUS_FAILED), "system bus",
                                  "cannot ask systemd how libvirt's daemon runs: %s", strna(error));
        r = check_installed(ctx, &m);
        if (r >= 0 && m.flavor != LIBVIRTD_FLAVOR_NONE)
                r = check_model(ctx, &m);
        if (r >= 0 && m.flavor != LIBVIRTD_FLAVOR_NONE) {
                r = check_conf(ctx, &m, &conf);
                if (r == 0)
                        r = check_args(ctx, &m, conf);
                if (r >= 0 && conf)
                        r = check_ignored(ctx, &m, conf);
                if (r >= 0)
                        r = check_running(ctx, &m);
        }
        libvirtd_model_done(&m);
        return r < 0 ? r : 0;
}

/* A stopped daemon is started the way its model starts it: by its main socket, or its service. What
 * stops it from starting (a broken libvirtd.conf, --listen with sockets) is the operator's to settle. */
static int libvirt_daemon_fix(struct check_ctx *ctx, struct plan *plan)
{
        _cleanup_free_ char *error = NULL;
        const char *unit;
        struct libvirtd_model m;
        int r;

        if (!check_gave(ctx, R(RUNNING_STOPPED)))
                return 0;
        r = libvirtd_model_read(ctx, &m, &error);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        unit = m.activation == LIBVIRTD_ACTIVATION_SOCKET ? m.sockets[LIBVIRTD_SOCKET_MAIN].name
                                                          : m.service.name;
        if (!m.from_bus || m.activation == LIBVIRTD_ACTIVATION_MANUAL ||
            check_failed(ctx, "libvirt.daemon.conf") || check_failed(ctx, "libvirt.daemon.args"))
                r = check_emit_hint(ctx, R(FIX_NOT_STARTABLE), HINT_VALUES("DAEMON", m.daemon), m.daemon,
                                    "not starting %s", m.daemon);
        else {
                r = plan_service(plan, "libvirt.daemon", unit, SERVICE_ENABLE, "started at boot");
                if (r >= 0)
                        r = plan_service(plan, "libvirt.daemon", unit, SERVICE_START,
                                         "libvirt's daemon, for the peers and the guests");
        }
        libvirtd_model_done(&m);
        return r < 0 ? r : 0;
}
#undef R

const struct unit unit_libvirt_daemon = {
        .id = "libvirt.daemon",
        .title =
                "libvirt's daemon is installed and runs, and its configuration fits how this host starts it",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = libvirt_daemon_results,
        .n_results = ELEMENTSOF(libvirt_daemon_results),
        .check = libvirt_daemon_check,
        .fix = libvirt_daemon_fix,
};

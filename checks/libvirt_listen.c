/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt.listen: the peers can reach libvirt's daemon here over the profile's transport ([migrate]
 * transport: tcp or tls; ssh needs no listener). The model libvirt.daemon tells decides what makes the
 * listener (a socket unit, or libvirtd --listen with listen_tcp/listen_tls), the kernel's socket table
 * shows it is really there, and the authentication is what the profile allows: auth_tcp = "none" only
 * with [libvirt] allow_auth_none = yes, SASL with a mechanism configured, TLS with its three files.
 * Then it is proven: this host opens a real libvirt connection to every peer hypervisor over the
 * transport's URI, as a migration's source does, so the peer's listener, its authentication and every
 * firewall between are in the test (with --all-hosts each host does so, which covers every direction).
 */
#include <sys/stat.h>

#include "config.h"

#if HAVE_LIBVIRT
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#endif

#include "common.h"
#include "libvirt-fix.h"
#include "libvirtd-model.h"
#include "pathnames.h"
#include "spawn.h"
#include "strv.h"

enum {
        TRANSPORT_SSH,
        TRANSPORT_BAD,
        CONFIGURED_NOT_INSTALLED,
        CONFIGURED_BUS_FAILED,
        CONFIGURED_CONF_UNREADABLE,
        CONFIGURED_UNKNOWN,
        CONFIGURED_SOCKET_OFF,
        CONFIGURED_SOCKET_MASKED,
        CONFIGURED_NO_LISTEN_ARG,
        CONFIGURED_LISTEN_OFF,
        CONFIGURED_BAD_PORT,
        CONFIGURED_SOCKET,
        CONFIGURED_SELF,
        PORT_NOT_LIVE,
        PORT_UNKNOWN,
        PORT_NOT_LISTENING,
        PORT_LISTENING,
        AUTH_NONE,
        AUTH_NONE_ALLOWED,
        AUTH_SASL_UNCONFIGURED,
        AUTH_SASL,
        AUTH_CERTIFICATE,
        AUTH_UNKNOWN,
        TLS_FILES_MISSING,
        TLS_FILES_PRESENT,
        PEER_NOT_LIVE,
        PEER_NONE,
        PEER_NO_API,
        PEER_CONNECTED,
        PEER_REFUSED,
        PEER_UNREACHABLE,
        PEER_AUTH,
        PEER_TLS,
        PEER_FAILED,
        PEER_TIMEOUT,
        PEER_PROBE_FAILED,
        FIX_SOCKET_MASKED,
        FIX_TLS_FIRST,
        FIX_AUTH_NONE_NOT_ALLOWED,
        FIX_CANNOT_EDIT,
        FIX_RESTART_BY_HAND,
        FIX_NO_SYSTEMD,
};

#define RESTART_NOTE "then systemctl restart @DAEMON@ (it takes a new socket only when it restarts)"

static const struct result_def libvirt_listen_results[] = {
        [TRANSPORT_SSH] = {"libvirt.listen.transport", STATUS_SKIP, "transport_ssh"},
        [TRANSPORT_BAD] = {"libvirt.listen.transport", STATUS_ERROR, "bad_transport",
                           "set [migrate] transport to tcp, tls or ssh"},
        [CONFIGURED_NOT_INSTALLED] = {"libvirt.listen.configured", STATUS_SKIP, "not_installed"},
        [CONFIGURED_BUS_FAILED] = {"libvirt.listen.configured", STATUS_ERROR, "bus_unavailable"},
        [CONFIGURED_CONF_UNREADABLE] = {"libvirt.listen.configured", STATUS_ERROR, "conf_unreadable",
                                        "see libvirt.daemon.conf"},
        [CONFIGURED_UNKNOWN] = {"libvirt.listen.configured", STATUS_SKIP, "not_started"},
        [CONFIGURED_SOCKET_OFF] = {"libvirt.listen.configured", STATUS_FAIL, "socket_disabled",
                                   "systemctl enable --now @SOCKET@, " RESTART_NOTE},
        [CONFIGURED_SOCKET_MASKED] =
                {"libvirt.listen.configured", STATUS_FAIL, "socket_masked",
                 "systemctl unmask @SOCKET@ && systemctl enable --now @SOCKET@, " RESTART_NOTE},
        [CONFIGURED_NO_LISTEN_ARG] =
                {"libvirt.listen.configured", STATUS_FAIL, "no_listen_arg",
                 "add --listen to @VAR@ in @ENVFILE@ (its sockets stay masked), then restart @DAEMON@"},
        [CONFIGURED_LISTEN_OFF] = {"libvirt.listen.configured", STATUS_FAIL, "listen_off",
                                   "set @SETTING@ = 1 in @FILE@, then restart @DAEMON@"},
        [CONFIGURED_BAD_PORT] = {"libvirt.listen.configured", STATUS_FAIL, "bad_port",
                                 "give @SETTING@ a port as a string in @FILE@: @SETTING@ = \"@PORT@\""},
        [CONFIGURED_SOCKET] = {"libvirt.listen.configured", STATUS_PASS, "socket_enabled"},
        [CONFIGURED_SELF] = {"libvirt.listen.configured", STATUS_PASS, "daemon_listens"},
        [PORT_NOT_LIVE] = {"libvirt.listen.port", STATUS_SKIP, "not_live"},
        [PORT_UNKNOWN] = {"libvirt.listen.port", STATUS_ERROR, "socket_table_unreadable"},
        [PORT_NOT_LISTENING] =
                {"libvirt.listen.port", STATUS_FAIL, "not_listening",
                 "start @DAEMON@ the way libvirt.daemon and libvirt.listen.configured say; a firewall does not matter here, this is the host's own socket table"},
        [PORT_LISTENING] = {"libvirt.listen.port", STATUS_PASS, "listening"},
        [AUTH_NONE] =
                {"libvirt.listen.auth", STATUS_FAIL, "auth_none",
                 "set @SETTING@ = \"sasl\" in @FILE@ (users: saslpasswd2 -a libvirt NAME) or migrate over TLS: with \"none\" anyone who reaches port @PORT@ controls every guest and gets root on this host. hostprep apply writes it with [libvirt] auth_tcp = sasl. On a closed network you may accept \"none\" with [libvirt] allow_auth_none = yes"},
        [AUTH_NONE_ALLOWED] = {"libvirt.listen.auth", STATUS_PASS, "auth_none_allowed"},
        [AUTH_SASL_UNCONFIGURED] =
                {"libvirt.listen.auth", STATUS_WARN, "sasl_unconfigured",
                 "create @SASLCONF@ (mech_list: scram-sha-256 and sasldb_path: /etc/libvirt/passwd.db), then add users with saslpasswd2 -a libvirt NAME"},
        [AUTH_SASL] = {"libvirt.listen.auth", STATUS_PASS, "sasl"},
        [AUTH_CERTIFICATE] = {"libvirt.listen.auth", STATUS_PASS, "client_certificate"},
        [AUTH_UNKNOWN] = {"libvirt.listen.auth", STATUS_ERROR, "unknown_auth",
                          "use \"none\" or \"sasl\" (polkit is for the local socket only)"},
        [TLS_FILES_MISSING] =
                {"libvirt.listen.tls", STATUS_FAIL, "tls_files_missing",
                 "create the CA certificate, the server certificate and its key (certtool; libvirt's TLS guide), or point ca_file, cert_file and key_file in @FILE@ at them: hostprep never creates keys"},
        [TLS_FILES_PRESENT] = {"libvirt.listen.tls", STATUS_PASS, "tls_files_present"},
        [PEER_NOT_LIVE] = {"libvirt.listen.peer", STATUS_SKIP, "not_live"},
        [PEER_NONE] = {"libvirt.listen.peer", STATUS_SKIP, "no_peers"},
        [PEER_NO_API] = {"libvirt.listen.peer", STATUS_SKIP, "no_libvirt_api"},
        [PEER_CONNECTED] = {"libvirt.listen.peer", STATUS_PASS, "connected"},
        [PEER_REFUSED] =
                {"libvirt.listen.peer", STATUS_FAIL, "refused",
                 "nothing listens on @PEER@'s port or its firewall rejects this host: run hostprep check on @PEER@ (libvirt.listen.port) and let this host in to TCP @PORT@ there"},
        [PEER_UNREACHABLE] =
                {"libvirt.listen.peer", STATUS_FAIL, "unreachable",
                 "let this host in to TCP @PORT@ in @PEER@'s firewall (nftables, firewalld, iptables) and on the way, and check the route to @PEER@"},
        [PEER_AUTH] =
                {"libvirt.listen.peer", STATUS_FAIL, "auth_failed",
                 "@PEER@'s libvirtd wants credentials this host cannot give without asking: a SASL user in /etc/libvirt/auth.conf here (saslpasswd2 -a libvirt NAME on @PEER@), or migrate over TLS"},
        [PEER_TLS] =
                {"libvirt.listen.peer", STATUS_FAIL, "tls_failed",
                 "this host's client certificate and key (/etc/pki/libvirt/clientcert.pem, private/clientkey.pem) and @PEER@'s server certificate must chain to the same CA (/etc/pki/CA/cacert.pem), and the server certificate must name @PEER@"},
        [PEER_FAILED] = {"libvirt.listen.peer", STATUS_FAIL, "connect_failed",
                         "see libvirt's error; virsh -c @URI@ version shows it too"},
        [PEER_TIMEOUT] =
                {"libvirt.listen.peer", STATUS_ERROR, "timeout",
                 "@PEER@'s libvirtd accepts no connection or does not answer (is it stopped or stuck?): virsh -c @URI@ version"},
        [PEER_PROBE_FAILED] = {"libvirt.listen.peer", STATUS_ERROR, "probe_failed"},
        [FIX_SOCKET_MASKED] =
                {"libvirt.listen.fix", STATUS_ERROR, "socket_masked",
                 "a masked unit is an operator's decision, which hostprep leaves alone: if it is a leftover, systemctl unmask @SOCKET@ and apply again"},
        [FIX_TLS_FIRST] =
                {"libvirt.listen.fix", STATUS_ERROR, "tls_files_first",
                 "make the TLS files right first (libvirt.listen.tls): a daemon handed a TLS socket without them does not start"},
        [FIX_AUTH_NONE_NOT_ALLOWED] =
                {"libvirt.listen.fix", STATUS_ERROR, "auth_none_not_allowed",
                 "set [libvirt] allow_auth_none = yes as well if nothing but the hypervisors reaches port @PORT@, or auth_tcp = sasl"},
        [FIX_CANNOT_EDIT] = {"libvirt.listen.fix", STATUS_ERROR, "cannot_edit",
                             "fix the file or the template named, then apply again"},
        [FIX_RESTART_BY_HAND] =
                {"libvirt.listen.fix", STATUS_ERROR, "restart_by_hand",
                 "restart @DAEMON@ the way this host starts it (no service unit runs it), so that it reads the changed files"},
        [FIX_NO_SYSTEMD] = {"libvirt.listen.fix", STATUS_ERROR, "no_systemd",
                            "enable it in the image: systemctl --root=ROOT enable @SOCKET@"},
};

#define R(entry) (&libvirt_listen_results[entry])

/* What the transport needs of the daemon: its socket unit, and the settings it listens by itself with. */
struct transport {
        bool tls;
        const char *scheme; /* of the URI a migration's source opens */
        enum libvirtd_socket socket;
        const char *listen_setting, *port_setting, *auth_setting, *default_port, *default_auth;
};

static const struct transport transports[] = {
        {false, "qemu+tcp", LIBVIRTD_SOCKET_TCP, "listen_tcp", "tcp_port", "auth_tcp", "16509", "sasl"},
        {true, "qemu+tls", LIBVIRTD_SOCKET_TLS, "listen_tls", "tls_port", "auth_tls", "16514", "none"},
};

static int configured_socket(struct check_ctx *ctx, const struct libvirtd_model *m,
                             const struct transport *t)
{
        const struct libvirtd_unit_state *u = &m->sockets[t->socket];
        _cleanup_free_ char *units = libvirtd_model_units(m);
        const char *const *values = HINT_VALUES("SOCKET", u->name, "DAEMON", m->daemon);

        if (!units)
                return -ENOMEM;
        if (libvirtd_unit_masked(u))
                return check_emit_hint(ctx, R(CONFIGURED_SOCKET_MASKED), values, units,
                                       "%s is masked: %s is socket-activated and nothing listens on %s",
                                       u->name, m->daemon, t->default_port);
        if (!libvirtd_socket_on(m, t->socket))
                return check_emit_hint(
                        ctx, R(CONFIGURED_SOCKET_OFF), values, units,
                        "%s is not enabled: %s is socket-activated, so %s in %s cannot open port %s",
                        u->name, m->daemon, t->listen_setting, m->conf_path, t->default_port);
        return check_emit(ctx, R(CONFIGURED_SOCKET), units, "%s listens on port %s for %s", u->name,
                          t->default_port, m->daemon);
}

/* The port the daemon opens itself: *ret_port, or a FAIL for a value libvirt refuses (0 then). */
static int self_port(struct check_ctx *ctx, const struct libvirtd_model *m, const struct libvirt_conf *c,
                     const struct transport *t, unsigned *ret_port)
{
        _cleanup_free_ char *value = NULL, *origin = libvirt_conf_origin(c, t->port_setting);
        unsigned port = 0;
        int r = libvirt_conf_get_string(c, t->port_setting, &value);

        if (r == -ENOENT)
                return safe_atou(t->default_port, ret_port);
        if (r >= 0 && safe_atou(value, &port) >= 0 && port > 0 && port <= 65535) {
                *ret_port = port;
                return 0;
        }
        *ret_port = 0;
        return check_emit_hint(
                ctx, R(CONFIGURED_BAD_PORT),
                HINT_VALUES("SETTING", t->port_setting, "FILE", m->conf_path, "PORT", t->default_port),
                origin, "%s is not a port as a string (libvirt wants %s = \"%s\")", t->port_setting,
                t->port_setting, t->default_port);
}

static int configured_self(struct check_ctx *ctx, const struct libvirtd_model *m,
                           const struct libvirt_conf *c, const struct transport *t, unsigned *ret_port)
{
        _cleanup_free_ char *var = libvirtd_args_var(m), *envfile = NULL, *origin = NULL, *addr = NULL;
        bool listen = t->tls && m->flavor == LIBVIRTD_FLAVOR_MONOLITHIC; /* libvirt's defaults */
        int r;

        envfile = strdup_printf(PATH_ETC_DEFAULT "/%s", m->daemon);
        origin = libvirt_conf_origin(c, t->listen_setting);
        if (!var || !envfile)
                return -ENOMEM;
        if (!libvirtd_listens_itself(m))
                return check_emit_hint(ctx, R(CONFIGURED_NO_LISTEN_ARG),
                                       HINT_VALUES("VAR", var, "ENVFILE", envfile, "DAEMON", m->daemon),
                                       m->args_origin,
                                       "%s runs without --listen: it opens no TCP or TLS port", m->daemon);
        (void)libvirt_conf_get_bool(c, t->listen_setting, &listen);
        if (!listen)
                return check_emit_hint(
                        ctx, R(CONFIGURED_LISTEN_OFF),
                        HINT_VALUES("SETTING", t->listen_setting, "FILE", m->conf_path, "DAEMON", m->daemon),
                        origin ? origin : m->conf_path, "%s is 0%s: %s opens no %s port", t->listen_setting,
                        origin ? "" : " (the default)", m->daemon, t->tls ? "TLS" : "TCP");
        r = self_port(ctx, m, c, t, ret_port);
        if (r < 0 || *ret_port == 0)
                return r;
        (void)libvirt_conf_get_string(c, "listen_addr", &addr);
        return check_emit(ctx, R(CONFIGURED_SELF), origin ? origin : m->args_origin,
                          "%s listens itself with %s = 1 on port %u%s%s", m->daemon, t->listen_setting,
                          *ret_port, addr ? " of " : "", strempty(addr));
}

/* What makes the listener, and its port in *ret_port (0 when there is none to look for). */
static int check_configured(struct check_ctx *ctx, const struct libvirtd_model *m,
                            const struct libvirt_conf *c, const struct transport *t, unsigned *ret_port)
{
        int r;

        *ret_port = 0;
        if (m->activation == LIBVIRTD_ACTIVATION_SOCKET) {
                r = configured_socket(ctx, m, t);
                if (r >= 0)
                        r = safe_atou(t->default_port, ret_port);
        } else if (m->activation == LIBVIRTD_ACTIVATION_MANUAL && !m->pid) {
                r = check_emit(ctx, R(CONFIGURED_UNKNOWN), NULL,
                               "no service unit starts %s and none runs: how it listens is not known",
                               m->daemon);
                if (r >= 0)
                        r = self_port(ctx, m, c, t, ret_port);
        } else
                r = configured_self(ctx, m, c, t, ret_port);
        return r < 0 ? r : 0;
}

static int check_port(struct check_ctx *ctx, const struct libvirtd_model *m, unsigned port)
{
        bool listening = false;
        int r;

        if (!hostfs_is_live(ctx->fs))
                return check_emit(
                        ctx, R(PORT_NOT_LIVE), NULL,
                        "the socket table is the running host's, not --root's: port %u not looked at", port);
        r = check_tcp_listening(port, &listening);
        if (r < 0)
                return check_emit(ctx, R(PORT_UNKNOWN), PATH_PROC_NET_TCP,
                                  "cannot read the socket table: %s", strerror(-r));
        if (!listening)
                return check_emit_hint(ctx, R(PORT_NOT_LISTENING), HINT_VALUES("DAEMON", m->daemon),
                                       PATH_PROC_NET_TCP ", " PATH_PROC_NET_TCP6,
                                       "nothing listens on TCP port %u: peers cannot connect to %s", port,
                                       m->daemon);
        return check_emit(ctx, R(PORT_LISTENING), PATH_PROC_NET_TCP, "something listens on TCP port %u",
                          port);
}

static bool allow_auth_none(const struct check_ctx *ctx)
{
        const char *v = conf_get(ctx->profile, "libvirt", "allow_auth_none");

        return v && parse_boolean(v) == 1;
}

static int check_sasl(struct check_ctx *ctx, const char *setting, const char *evidence)
{
        struct stat st;

        if (hostfs_stat(ctx->fs, PATH_SASL2_LIBVIRT_CONF, &st) < 0)
                return check_emit_hint(
                        ctx, R(AUTH_SASL_UNCONFIGURED), HINT_VALUES("SASLCONF", PATH_SASL2_LIBVIRT_CONF),
                        evidence, "%s = \"sasl\" but %s is missing: no SASL mechanism is set up for libvirt",
                        setting, PATH_SASL2_LIBVIRT_CONF);
        return check_emit(ctx, R(AUTH_SASL), evidence, "%s = \"sasl\", mechanisms in %s", setting,
                          PATH_SASL2_LIBVIRT_CONF);
}

static int check_auth(struct check_ctx *ctx, const struct libvirtd_model *m, const struct libvirt_conf *c,
                      const struct transport *t, unsigned port)
{
        _cleanup_free_ char *value = NULL, *origin = libvirt_conf_origin(c, t->auth_setting),
                            *evidence = NULL;
        _cleanup_free_ char *port_text = strdup_printf("%u", port ? port : 16509);
        const char *auth = t->default_auth;

        if (libvirt_conf_get_string(c, t->auth_setting, &value) >= 0)
                auth = value;
        evidence = strdup_printf("%s: %s = \"%s\"%s", origin ? origin : m->conf_path, t->auth_setting, auth,
                                 origin ? "" : " (the default)");
        if (!evidence || !port_text)
                return -ENOMEM;
        if (streq(auth, "sasl"))
                return check_sasl(ctx, t->auth_setting, evidence);
        if (!streq(auth, "none"))
                return check_emit(ctx, R(AUTH_UNKNOWN), evidence,
                                  "%s = \"%s\" is not a remote authentication", t->auth_setting, auth);
        if (t->tls)
                return check_emit(
                        ctx, R(AUTH_CERTIFICATE), evidence,
                        "auth_tls = \"none\": clients prove who they are by a certificate of the CA");
        if (allow_auth_none(ctx))
                return check_emit(ctx, R(AUTH_NONE_ALLOWED), evidence,
                                  "auth_tcp = \"none\", which the profile allows (allow_auth_none = yes)");
        return check_emit_hint(
                ctx, R(AUTH_NONE),
                HINT_VALUES("SETTING", t->auth_setting, "FILE", m->conf_path, "PORT", port_text), evidence,
                "auth_tcp = \"none\": TCP clients are not authenticated");
}

static int check_tls_files(struct check_ctx *ctx, const struct libvirtd_model *m,
                           const struct libvirt_conf *c)
{
        _cleanup_(strv_freep) char **missing = NULL, **present = NULL;
        _cleanup_free_ char *list = NULL;
        int r = libvirtd_tls_files(ctx, c, &missing, &present);

        if (r < 0)
                return r;
        list = strv_join(missing ? missing : present, ", ");
        if (missing)
                return check_emit_hint(ctx, R(TLS_FILES_MISSING), HINT_VALUES("FILE", m->conf_path), list,
                                       "TLS files missing: %s", strna(list));
        return check_emit(ctx, R(TLS_FILES_PRESENT), list,
                          "the CA certificate, server certificate and key exist");
}

/* The peers migrations go to and come from: the profile's other hypervisors, and a --peer it does not
 * name (given on the command line to be checked against, it is one). */
static int peer_hypervisors(const struct check_ctx *ctx, char ***ret)
{
        _cleanup_(strv_freep) char **hypervisors = NULL, **peers = NULL;
        int r = check_hosts_with_role(ctx, ROLE_HYPERVISOR, &hypervisors);

        if (r < 0)
                return r;
        STRV_FOREACH (p, ctx->peers) {
                bool named = conf_get(ctx->profile, "hosts", *p) != NULL;

                if ((!named || strv_contains(hypervisors, *p)) && strv_push_dup(&peers, *p) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(peers);
        return 0;
}

#if HAVE_LIBVIRT
/* What a peer's connection child answers: "P" VERSION "\n" HOSTNAME, or "E" CODE DOMAIN ERRNO "\n" and
 * libvirt's message. */
static void libvirt_silence(void *opaque, virErrorPtr e)
{
        /* libvirt prints its errors by default; the child's answer carries them */
}

/* Credentials are never asked for: a peer that wants any is an authentication failure, not a prompt. */
static int no_credentials(virConnectCredentialPtr cred, unsigned ncred, void *cbdata)
{
        return -1;
}

static int peer_reply_error(int fd)
{
        const virError *e = virGetLastError();
        _cleanup_free_ char *text = NULL;

        text = e ? strdup_printf("E%d %d %d\n%s", e->code, e->domain,
                                 e->code == VIR_ERR_SYSTEM_ERROR ? e->int1 : 0, strna(e->message))
                 : strdup("E0 0 0\nunknown libvirt error");
        return text && spawn_reply(fd, text, strlen(text)) >= 0 ? 0 : 1;
}

/* In a child, abandoned at the deadline: libvirt's open has no timeout of its own, and a frozen peer
 * holds it for as long as TCP waits. */
static int peer_connect(void *userdata, int fd)
{
        int credtypes[] = {VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE, VIR_CRED_USERNAME, VIR_CRED_NOECHOPROMPT};
        virConnectAuth auth = {credtypes, ELEMENTSOF(credtypes), no_credentials, NULL};
        _cleanup_free_ char *text = NULL;
        unsigned long version = 0;
        char *hostname = NULL;
        virConnectPtr c;

        virSetErrorFunc(NULL, libvirt_silence);
        c = virConnectOpenAuth(userdata, &auth, 0);
        if (!c)
                return peer_reply_error(fd);
        if (virConnectGetLibVersion(c, &version) < 0 || !(hostname = virConnectGetHostname(c))) {
                int r = peer_reply_error(fd);

                virConnectClose(c);
                return r;
        }
        text = strdup_printf("P%lu\n%s", version, hostname);
        free(hostname);
        virConnectClose(c);
        return text && spawn_reply(fd, text, strlen(text)) >= 0 ? 0 : 1;
}

/* The FAIL entry for libvirt's error: the errno of a failed connect, the auth codes, and TLS's own
 * errors, which libvirt raises as system errors of its RPC layer like a failed name lookup: only their
 * text tells them apart. */
static int peer_failure(const struct transport *t, int code, int domain, int error, const char *message)
{
        if (error == ECONNREFUSED)
                return PEER_REFUSED;
        if (error == ETIMEDOUT || error == EHOSTUNREACH || error == ENETUNREACH)
                return PEER_UNREACHABLE;
        if (code == VIR_ERR_AUTH_FAILED || code == VIR_ERR_AUTH_CANCELLED ||
            code == VIR_ERR_AUTH_UNAVAILABLE)
                return PEER_AUTH;
        if (t->tls && domain == VIR_FROM_RPC &&
            (strcasestr(message, "certificate") || strstr(message, "TLS")))
                return PEER_TLS;
        return PEER_FAILED;
}

static const char *peer_failure_why(int entry)
{
        switch (entry) {
        case PEER_REFUSED:
                return "refused: libvirtd does not listen there, or a firewall rejects it";
        case PEER_UNREACHABLE:
                return "no answer or no route: a firewall drops it?";
        case PEER_AUTH:
                return "authentication failed";
        case PEER_TLS:
                return "the TLS session failed";
        default:
                return "failed";
        }
}

static int emit_peer(struct check_ctx *ctx, const struct transport *t, const char *peer, const char *uri,
                     const struct spawn_job *j)
{
        const char *const values[] = {"PEER", peer, "PORT", t->default_port, "URI", uri, NULL};
        const char *out = j->out ? j->out : "", *rest = strchr(out, '\n');
        unsigned long v = 0;
        int code = 0, domain = 0, error = 0, entry;

        if (j->timed_out)
                return check_emit_hint(ctx, R(PEER_TIMEOUT), values, uri,
                                       "%s: no libvirt connection to %s before the deadline (%s)", peer,
                                       peer, uri);
        if (out[0] == 'P' && rest && sscanf(out + 1, "%lu", &v) == 1)
                return check_emit(ctx, R(PEER_CONNECTED), uri,
                                  "%s: connected over %s: libvirt %lu.%lu.%lu on %s", peer, uri, v / 1000000,
                                  v / 1000 % 1000, v % 1000, rest + 1);
        if (out[0] != 'E' || !rest || sscanf(out + 1, "%d %d %d", &code, &domain, &error) != 3)
                return check_emit(ctx, R(PEER_PROBE_FAILED), uri,
                                  "%s: the connection child gave no answer (%s)", peer,
                                  j->spawn_failed ? strerror(j->spawn_errno) : "it crashed?");
        entry = peer_failure(t, code, domain, error, rest + 1);
        return check_emit_hint(ctx, R(entry), values, rest + 1, "%s: no libvirt connection over %s: %s",
                               peer, uri, peer_failure_why(entry));
}

/* One child per peer, all at once; the deadline ends them all. */
static int connect_peers(struct check_ctx *ctx, const struct transport *t, char **peers)
{
        const size_t n = strv_length(peers);
        usec_t now = now_usec(), until = ctx->deadline > now + 200 * USEC_PER_MSEC
                                                 ? ctx->deadline - 100 * USEC_PER_MSEC
                                                 : ctx->deadline;
        _cleanup_(strv_freep) char **uris = NULL;
        struct spawn_job *jobs = calloc(n, sizeof(*jobs));
        int r = jobs ? 0 : -ENOMEM;

        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *uri = strdup_printf("%s://%s/system", t->scheme, peers[i]);

                r = uri ? strv_push_dup(&uris, uri) : -ENOMEM;
        }
        for (size_t i = 0; r >= 0 && i < n; i++)
                jobs[i] = (struct spawn_job){
                        .call = peer_connect, .userdata = uris[i], .output_max = 64 * 1024};
        if (r >= 0)
                r = spawn_run_many(jobs, n, until);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = emit_peer(ctx, t, peers[i], uris[i], &jobs[i]);
        spawn_jobs_free(jobs, jobs ? n : 0);
        return r;
}
#endif

static int check_peers(struct check_ctx *ctx, const struct transport *t)
{
        _cleanup_(strv_freep) char **peers = NULL;
        int r;

        if (!hostfs_is_live(ctx->fs))
                return check_emit(ctx, R(PEER_NOT_LIVE), NULL,
                                  "connecting to the peers' libvirt needs the running host, not --root");
        r = peer_hypervisors(ctx, &peers);
        if (r < 0)
                return r;
        if (!peers || !peers[0])
                return check_emit(ctx, R(PEER_NONE), NULL,
                                  "no peer hypervisor (the profile's [hosts], --peer) to connect to");
#if HAVE_LIBVIRT
        return connect_peers(ctx, t, peers);
#else
        return check_emit(ctx, R(PEER_NO_API), NULL,
                          "hostprep is built without libvirt's C API: no connection to the peers is tried");
#endif
}

static int listen_transport(struct check_ctx *ctx, const struct transport **ret)
{
        const char *transport = conf_get(ctx->profile, "migrate", "transport");

        if (streq_ptr(transport, "ssh"))
                return check_emit(
                        ctx, R(TRANSPORT_SSH), "[migrate] transport = ssh",
                        "migrations go over SSH (qemu+ssh): libvirt's daemon needs no TCP listener");
        if (!streq_ptr(transport, "tcp") && !streq_ptr(transport, "tls"))
                return check_emit(ctx, R(TRANSPORT_BAD), "[migrate] transport",
                                  "[migrate] transport = %s is none of tcp, tls, ssh", strna(transport));
        *ret = &transports[streq(transport, "tls")];
        return 0;
}

static int listen_checks(struct check_ctx *ctx, const struct libvirtd_model *m, const struct transport *t)
{
        _cleanup_(libvirt_conf_freep) struct libvirt_conf *conf = NULL;
        _cleanup_free_ char *error = NULL;
        unsigned port = 0;
        int r;

        r = libvirtd_conf_read(ctx, m, &conf, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return check_emit(ctx, R(CONFIGURED_CONF_UNREADABLE), error ? error : m->conf_path,
                                  "cannot read %s: %s", m->conf_path, error ? error : strerror(-r));
        r = check_configured(ctx, m, conf, t, &port);
        if (r >= 0 && port > 0)
                r = check_port(ctx, m, port);
        if (r >= 0)
                r = check_auth(ctx, m, conf, t, port);
        if (r >= 0 && t->tls)
                r = check_tls_files(ctx, m, conf);
        return r;
}

static int libvirt_listen_check(struct check_ctx *ctx)
{
        const struct transport *t = NULL;
        _cleanup_free_ char *error = NULL;
        struct libvirtd_model m;
        int r;

        r = listen_transport(ctx, &t);
        if (r < 0 || !t)
                return r;
        r = libvirtd_model_read(ctx, &m, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                r = check_emit(ctx, R(CONFIGURED_BUS_FAILED), "system bus",
                               "cannot ask systemd how libvirt's daemon listens: %s", strna(error));
        else {
                if (m.flavor == LIBVIRTD_FLAVOR_NONE)
                        r = check_emit(ctx, R(CONFIGURED_NOT_INSTALLED), NULL,
                                       "libvirt's daemon is not installed (see libvirt.daemon)");
                else
                        r = listen_checks(ctx, &m, t);
                libvirtd_model_done(&m);
        }
        /* the peers' daemons answer whatever this host's own does: a migration's source is the client */
        if (r >= 0)
                r = check_peers(ctx, t);
        return r < 0 ? r : 0;
}
/* --- fix ------------------------------------------------------------------------------------------ */

/* What the fix plans for one transport, decided from what check() gave. */
struct listen_fix {
        const struct libvirtd_model *m;
        const struct transport *t;
        struct conf_edit conf, env;
        bool restart;
        bool start_daemon; /* stopped for its new socket: started again after the files are written */
};

static void listen_fix_done(struct listen_fix *f)
{
        conf_edit_done(&f->conf);
        conf_edit_done(&f->env);
}

static int emit_cannot_edit(struct check_ctx *ctx, const char *path, const char *error)
{
        return check_emit(ctx, R(FIX_CANNOT_EDIT), path, "not editing %s: %s", path, strna(error));
}

/* Socket activation: systemd's socket unit for the transport, enabled and started. systemd refuses to
 * start a socket while its service runs ("Socket service libvirtd.service already active, refusing"), so
 * a running daemon is stopped first and started again once the socket listens (libvirt's documentation
 * says the same); a rollback then stops the socket before it starts the daemon again, without it. */
static int fix_socket(struct check_ctx *ctx, struct plan *plan, struct listen_fix *f)
{
        const char *name = f->m->sockets[f->t->socket].name, *service = f->m->service.name;
        const char *active = f->m->service.active_state;
        int r;

        if (check_gave(ctx, R(CONFIGURED_SOCKET_MASKED)))
                return check_emit_hint(ctx, R(FIX_SOCKET_MASKED), HINT_VALUES("SOCKET", name), name,
                                       "%s is masked: not unmasking it", name);
        if (!check_systemd_running(ctx) && check_gave(ctx, R(CONFIGURED_SOCKET_OFF)))
                return check_emit_hint(ctx, R(FIX_NO_SYSTEMD), HINT_VALUES("SOCKET", name), name,
                                       "no systemd runs below the root to enable %s", name);
        if (!check_systemd_running(ctx))
                return 0;
        if (check_gave(ctx, R(CONFIGURED_SOCKET_OFF))) {
                r = plan_service(plan, "libvirt.listen", name, SERVICE_ENABLE,
                                 "systemd listens for the peers on libvirt's behalf, also after a reboot");
                if (r < 0)
                        return r;
        } else if (!check_gave(ctx, R(PORT_NOT_LISTENING)))
                return 0;
        f->start_daemon = active && !streq(active, "inactive") && !streq(active, "failed");
        f->restart = !active; /* its state unknown: libvirtd_plan_restart() decides */
        if (f->start_daemon) {
                r = plan_service(plan, "libvirt.listen", service, SERVICE_STOP,
                                 "systemd starts no socket of a running service; running guests go on");
                if (r < 0)
                        return r;
        }
        return plan_service(plan, "libvirt.listen", name, SERVICE_START, "the listener, now");
}

/* The daemon listens itself: --listen in its EnvironmentFile= (Debian's unit passes --timeout 120 by
 * default, which would let it exit when idle with nothing to start it again: --listen replaces it), and
 * listen_tcp/listen_tls in its configuration. */
static int fix_self(struct check_ctx *ctx, struct listen_fix *f)
{
        _cleanup_free_ char *var = libvirtd_args_var(f->m), *error = NULL;
        int r = 0;

        if (!var)
                return -ENOMEM;
        if (check_gave(ctx, R(CONFIGURED_NO_LISTEN_ARG))) {
                r = conf_edit_set(ctx, &f->env, var, "--listen",
                                  "libvirtd opens its TCP and TLS ports itself", &error);
                if (r == -EINVAL || r == -EBADMSG)
                        return emit_cannot_edit(ctx, f->env.path, error);
                f->restart = true;
        }
        if (r >= 0 && check_gave(ctx, R(CONFIGURED_LISTEN_OFF))) {
                r = conf_edit_set(ctx, &f->conf, f->t->listen_setting, "1", "the peers connect to this port",
                                  &error);
                if (r == -EINVAL || r == -EBADMSG)
                        return emit_cannot_edit(ctx, f->conf.path, error);
                f->restart = true;
        }
        if (r >= 0 && check_gave(ctx, R(PORT_NOT_LISTENING)))
                f->restart = true;
        return r;
}

/* auth_tcp as the profile says ([libvirt] auth_tcp); "none" only when the profile allows it too. */
static int fix_auth(struct check_ctx *ctx, struct listen_fix *f, const struct libvirt_conf *c)
{
        const char *want = conf_get(ctx->profile, "libvirt", "auth_tcp");
        _cleanup_free_ char *have = NULL, *literal = NULL, *error = NULL;
        int r;

        if (!want || f->t->tls)
                return 0;
        if (libvirt_conf_get_string(c, f->t->auth_setting, &have) < 0 &&
            !(have = strdup(f->t->default_auth)))
                return -ENOMEM;
        if (streq(have, want))
                return 0;
        if (streq(want, "none") && !allow_auth_none(ctx))
                return check_emit_hint(
                        ctx, R(FIX_AUTH_NONE_NOT_ALLOWED), HINT_VALUES("PORT", f->t->default_port),
                        "[libvirt] auth_tcp = none",
                        "the profile asks for auth_tcp = \"none\" but does not allow it (allow_auth_none)");
        literal = strdup_printf("\"%s\"", want);
        if (!literal)
                return -ENOMEM;
        r = conf_edit_set(ctx, &f->conf, f->t->auth_setting, literal,
                          streq(want, "none")
                                  ? "the profile allows unauthenticated TCP (allow_auth_none = yes)"
                                  : "TCP clients authenticate with SASL",
                          &error);
        if (r == -EINVAL || r == -EBADMSG)
                return emit_cannot_edit(ctx, f->conf.path, error);
        f->restart = r >= 0;
        return r;
}

static int fix_plan(struct check_ctx *ctx, struct plan *plan, struct listen_fix *f)
{
        int r = conf_edit_plan(ctx, &f->env, plan, "libvirt.listen", "libvirtd's options");

        if (r >= 0)
                r = conf_edit_plan(ctx, &f->conf, plan, "libvirt.listen",
                                   "libvirt's daemon listens for the peers");
        if (r >= 0 && f->start_daemon)
                return plan_service(plan, "libvirt.listen", f->m->service.name, SERVICE_START,
                                    "the daemon again, handed the new socket, with the files as written");
        if (r < 0 || !f->restart)
                return r;
        r = libvirtd_plan_restart(
                ctx, f->m, NULL, plan, "libvirt.listen",
                "the daemon takes new sockets and settings only when it starts; running guests go on, a migration under way would fail");
        if (r == -ENOENT)
                return check_emit_hint(ctx, R(FIX_RESTART_BY_HAND), HINT_VALUES("DAEMON", f->m->daemon),
                                       f->m->daemon, "%s must be restarted by hand to listen", f->m->daemon);
        return r < 0 ? r : 0;
}

static int listen_fix_model(struct check_ctx *ctx, struct plan *plan, const struct libvirtd_model *m,
                            const struct transport *t)
{
        _cleanup_(libvirt_conf_freep) struct libvirt_conf *c = NULL;
        _cleanup_free_ char *envfile = strdup_printf(PATH_ETC_DEFAULT "/%s", m->daemon), *error = NULL;
        struct listen_fix f = {.m = m, .t = t};
        int r;

        if (!envfile)
                return -ENOMEM;
        if (t->tls && check_failed(ctx, "libvirt.listen.tls"))
                return check_emit(ctx, R(FIX_TLS_FIRST), m->conf_path,
                                  "not making %s listen for TLS while its TLS files are not right",
                                  m->daemon);
        r = libvirtd_conf_read(ctx, m, &c, &error);
        if (r < 0)
                return r == -ENOMEM ? r : emit_cannot_edit(ctx, m->conf_path, error ? error : strerror(-r));
        r = conf_edit_begin(ctx, m->conf_path, false, &f.conf);
        if (r >= 0)
                r = conf_edit_begin(ctx, envfile, true, &f.env);
        if (r >= 0)
                r = m->activation == LIBVIRTD_ACTIVATION_SOCKET ? fix_socket(ctx, plan, &f)
                                                                : fix_self(ctx, &f);
        if (r >= 0)
                r = fix_auth(ctx, &f, c);
        if (r >= 0)
                r = fix_plan(ctx, plan, &f);
        listen_fix_done(&f);
        return r;
}

static int libvirt_listen_fix(struct check_ctx *ctx, struct plan *plan)
{
        const char *transport = conf_get(ctx->profile, "migrate", "transport");
        _cleanup_free_ char *error = NULL;
        struct libvirtd_model m;
        int r;

        if (!streq_ptr(transport, "tcp") && !streq_ptr(transport, "tls"))
                return 0;
        r = libvirtd_model_read(ctx, &m, &error);
        if (r < 0)
                return r == -ENOMEM ? r : 0; /* check() said it (bus_unavailable) */
        if (m.flavor != LIBVIRTD_FLAVOR_NONE)
                r = listen_fix_model(ctx, plan, &m, &transports[streq(transport, "tls")]);
        libvirtd_model_done(&m);
        return r;
}
#undef R

const struct unit unit_libvirt_listen = {
        .id = "libvirt.listen",
        .title =
                "libvirt's daemon listens for the peers on the profile's transport, with the authentication it allows",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = libvirt_listen_results,
        .n_results = ELEMENTSOF(libvirt_listen_results),
        .check = libvirt_listen_check,
        .fix = libvirt_listen_fix,
};

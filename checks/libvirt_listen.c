/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt.listen: the peers can reach libvirt's daemon here over the profile's transport ([migrate]
 * transport: tcp or tls; ssh needs no listener). The model libvirt.daemon tells decides what makes the
 * listener (a socket unit, or libvirtd --listen with listen_tcp/listen_tls), the kernel's socket table
 * shows it is really there, and the authentication is what the profile allows: auth_tcp = "none" only
 * with [libvirt] allow_auth_none = yes, SASL with a mechanism configured, TLS with its files proven as
 * libvirt loads them (lib/tlscert: the server's pair, and the client's this host presents to its peers).
 * Then it is proven: this host opens a real libvirt connection to every peer hypervisor over the
 * transport's URI, as a migration's source does, so the peer's listener, its authentication and every
 * firewall between are in the test (with --all-hosts each host does so, which covers every direction).
 */
#include <netdb.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"

#if HAVE_LIBVIRT
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#endif

#include "common.h"
#include "envfile.h"
#include "etchosts.h"
#include "libvirt-fix.h"
#include "libvirtd-model.h"
#include "pathlookup.h"
#include "pathnames.h"
#include "saslconf.h"
#include "spawn.h"
#include "strv.h"
#include "tlscert.h"

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
        AUTH_SASL_NO_MECH_LIST,
        AUTH_SASL_UNUSABLE,
        AUTH_SASL,
        AUTH_CERTIFICATE,
        AUTH_UNKNOWN,
        TLS_FILES_MISSING,
        TLS_FILES_PRESENT,
        TLS_UNREADABLE,
        TLS_CA_UNPARSABLE,
        TLS_CERT_UNPARSABLE,
        TLS_KEY_UNPARSABLE,
        TLS_KEY_MISMATCH,
        TLS_USAGE,
        TLS_NOT_SIGNED,
        TLS_NOT_YET_VALID,
        TLS_EXPIRED,
        TLS_EXPIRING,
        TLS_HOST_MISMATCH,
        TLS_HOST_PARTIAL,
        TLS_SERVER_PROVEN,
        TLS_CLIENT_MISSING,
        TLS_CLIENT_PROVEN,
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
        PEER_NO_ANSWER,
        PEER_FILTERED,
        PEER_PROBE_FAILED,
        FIX_SOCKET_MASKED,
        FIX_TLS_FIRST,
        FIX_AUTH_NONE_NOT_ALLOWED,
        FIX_CANNOT_EDIT,
        FIX_RESTART_BY_HAND,
        FIX_NO_SYSTEMD,
};

#define RESTART_NOTE "then systemctl restart @DAEMON@ (it takes a new socket only when it restarts)"
/* how a certificate of the pair is issued again (the CA's key stays where the operator keeps it) */
#define ISSUE_CERT                                                                                          \
        "certtool --generate-certificate --load-privkey @KEY@ --load-ca-certificate @CA@ --load-ca-privkey CA-KEY --template @ROLE@.info (with @PURPOSE@) --outfile @CERT@"

static const struct
        result_def
                libvirt_listen_results
                        [] =
                                {
                                        [TRANSPORT_SSH] = {"libvirt.listen.transport", STATUS_SKIP,
                                                           "transport_ssh"},
                                        [TRANSPORT_BAD] = {"libvirt.listen.transport", STATUS_ERROR,
                                                           "bad_transport",
                                                           "set [migrate] transport to tcp, tls or ssh"},
                                        [CONFIGURED_NOT_INSTALLED] = {"libvirt.listen.configured",
                                                                      STATUS_SKIP, "not_installed"},
                                        [CONFIGURED_BUS_FAILED] = {"libvirt.listen.configured", STATUS_ERROR,
                                                                   "bus_unavailable"},
                                        [CONFIGURED_CONF_UNREADABLE] = {"libvirt.listen.configured",
                                                                        STATUS_ERROR, "conf_unreadable",
                                                                        "see libvirt.daemon.conf"},
                                        [CONFIGURED_UNKNOWN] = {"libvirt.listen.configured", STATUS_SKIP,
                                                                "not_started"},
                                        [CONFIGURED_SOCKET_OFF] =
                                                {"libvirt.listen.configured", STATUS_FAIL, "socket_disabled",
                                                 "systemctl enable --now @SOCKET@, " RESTART_NOTE},
                                        [CONFIGURED_SOCKET_MASKED] =
                                                {"libvirt.listen.configured", STATUS_FAIL, "socket_masked",
                                                 "systemctl unmask @SOCKET@ && systemctl enable --now @SOCKET@, " RESTART_NOTE},
                                        [CONFIGURED_NO_LISTEN_ARG] =
                                                {"libvirt.listen.configured", STATUS_FAIL, "no_listen_arg",
                                                 "add --listen to @VAR@ in @ENVFILE@ (its sockets stay masked), then restart @DAEMON@"},
                                        [CONFIGURED_LISTEN_OFF] =
                                                {"libvirt.listen.configured", STATUS_FAIL, "listen_off",
                                                 "set @SETTING@ = 1 in @FILE@, then restart @DAEMON@"},
                                        [CONFIGURED_BAD_PORT] =
                                                {"libvirt.listen.configured", STATUS_FAIL, "bad_port",
                                                 "give @SETTING@ a port as a string in @FILE@: @SETTING@ = \"@PORT@\""},
                                        [CONFIGURED_SOCKET] = {"libvirt.listen.configured", STATUS_PASS,
                                                               "socket_enabled"},
                                        [CONFIGURED_SELF] = {"libvirt.listen.configured", STATUS_PASS,
                                                             "daemon_listens"},
                                        [PORT_NOT_LIVE] = {"libvirt.listen.port", STATUS_SKIP, "not_live"},
                                        [PORT_UNKNOWN] = {"libvirt.listen.port", STATUS_ERROR,
                                                          "socket_table_unreadable"},
                                        [PORT_NOT_LISTENING] =
                                                {"libvirt.listen.port", STATUS_FAIL, "not_listening",
                                                 "start @DAEMON@ the way libvirt.daemon and libvirt.listen.configured say; a firewall does not matter here, this is the host's own socket table"},
                                        [PORT_LISTENING] = {"libvirt.listen.port", STATUS_PASS, "listening"},
                                        [AUTH_NONE] =
                                                {"libvirt.listen.auth", STATUS_FAIL, "auth_none",
                                                 "set @SETTING@ = \"sasl\" in @FILE@ (users: saslpasswd2 -a libvirt NAME) or migrate over TLS: with \"none\" anyone who reaches port @PORT@ controls every guest and gets root on this host. hostprep apply writes it with [libvirt] auth_tcp = sasl. On a closed network you may accept \"none\" with [libvirt] allow_auth_none = yes"},
                                        [AUTH_NONE_ALLOWED] = {"libvirt.listen.auth", STATUS_PASS,
                                                               "auth_none_allowed"},
                                        [AUTH_SASL_UNCONFIGURED] =
                                                {"libvirt.listen.auth", STATUS_WARN, "sasl_unconfigured",
                                                 "create @SASLCONF@ (mech_list: scram-sha-256 and sasldb_path: /etc/libvirt/passwd.db), then add users with saslpasswd2 -a libvirt NAME"},
                                        [AUTH_SASL_NO_MECH_LIST] =
                                                {"libvirt.listen.auth", STATUS_WARN, "sasl_no_mech_list",
                                                 "name the mechanisms in @SASLCONF@: mech_list: scram-sha-256 (users: saslpasswd2 -a libvirt NAME), or gssapi with a keytab"},
                                        [AUTH_SASL_UNUSABLE] =
                                                {"libvirt.listen.auth", STATUS_FAIL, "sasl_unusable",
                                                 "give the mechanisms in @SASLCONF@ what they need: users in the sasldb (saslpasswd2 -a libvirt -f DB NAME) for scram-sha-256 and the other password mechanisms, a keytab with a libvirt/HOST principal for gssapi (Debian's default, which has none)"},
                                        [AUTH_SASL] = {"libvirt.listen.auth", STATUS_PASS, "sasl"},
                                        [AUTH_CERTIFICATE] = {"libvirt.listen.auth", STATUS_PASS,
                                                              "client_certificate"},
                                        [AUTH_UNKNOWN] =
                                                {"libvirt.listen.auth", STATUS_ERROR, "unknown_auth",
                                                 "use \"none\" or \"sasl\" (polkit is for the local socket only)"},
                                        [TLS_FILES_MISSING] =
                                                {"libvirt.listen.tls", STATUS_FAIL, "tls_files_missing",
                                                 "create the CA certificate, the server certificate and its key (certtool; libvirt's TLS guide), or point ca_file, cert_file and key_file in @FILE@ at them: hostprep never creates keys"},
                                        [TLS_FILES_PRESENT] = {"libvirt.listen.tls", STATUS_PASS,
                                                               "tls_files_present"},
                                        [TLS_UNREADABLE] =
                                                {"libvirt.listen.tls", STATUS_ERROR, "tls_file_unreadable",
                                                 "run hostprep as root: libvirt reads @FILE@ as root"},
                                        [TLS_CA_UNPARSABLE] =
                                                {"libvirt.listen.tls", STATUS_FAIL, "ca_unparsable",
                                                 "put the CA's certificate at @FILE@ in PEM (-----BEGIN CERTIFICATE-----) as certtool --generate-self-signed --template ca.info (with ca and cert_signing_key) writes it; every host gets the same file, @AFTER@"},
                                        [TLS_CERT_UNPARSABLE] =
                                                {"libvirt.listen.tls", STATUS_FAIL, "cert_unparsable",
                                                 "put this host's @ROLE@ certificate at @FILE@ in PEM (-----BEGIN CERTIFICATE-----): " ISSUE_CERT
                                                 ", @AFTER@"},
                                        [TLS_KEY_UNPARSABLE] =
                                                {"libvirt.listen.tls", STATUS_FAIL, "key_unparsable",
                                                 "@FILE@ must hold the unencrypted private key of @CERT@ in PEM (libvirt has no passphrase to give): put that key back, or make a new one (certtool --generate-privkey --outfile @FILE@) and issue @CERT@ again for it: " ISSUE_CERT
                                                 ". hostprep never creates or replaces keys"},
                                        [TLS_KEY_MISMATCH] =
                                                {"libvirt.listen.tls", STATUS_FAIL, "key_mismatch",
                                                 "@KEY@ is not the key @CERT@ was issued for: put that key back at @KEY@, or issue @CERT@ again for this key: " ISSUE_CERT
                                                 ", @AFTER@"},
                                        [TLS_USAGE] =
                                                {"libvirt.listen.tls", STATUS_FAIL, "usage_refused",
                                                 "issue @FILE@ again with what libvirt wants in certtool's template: a CA gets ca and cert_signing_key; a server or client certificate tls_www_server or tls_www_client, signing_key and encryption_key, and an RSA key (certtool --generate-privkey --key-type=rsa: certtool gives an ECDSA key no key encipherment), @AFTER@"},
                                        [TLS_NOT_SIGNED] =
                                                {"libvirt.listen.tls", STATUS_FAIL, "not_signed_by_ca",
                                                 "issue @CERT@ with the CA of @CA@ (" ISSUE_CERT
                                                 "), or put the CA that issued it at @CA@: every host must trust the one CA that issued all their certificates, @AFTER@"},
                                        [TLS_NOT_YET_VALID] =
                                                {"libvirt.listen.tls", STATUS_FAIL, "not_yet_valid",
                                                 "check this host's clock (timedatectl), or issue @FILE@ again valid from now (no activation_date in certtool's template), @AFTER@"},
                                        [TLS_EXPIRED] =
                                                {"libvirt.listen.tls", STATUS_FAIL, "expired",
                                                 "issue @FILE@ again (certtool, expiration_days in the template; a new CA certificate means issuing every certificate of the hosts again), @AFTER@"},
                                        [TLS_EXPIRING] =
                                                {"libvirt.listen.tls", STATUS_WARN, "expiring",
                                                 "issue @FILE@ again before it expires (certtool, expiration_days in the template), @AFTER@"},
                                        [TLS_HOST_MISMATCH] =
                                                {"libvirt.listen.tls", STATUS_FAIL, "hostname_mismatch",
                                                 "issue @CERT@ again naming this host: cn = \"@HOST@\" and a dns_name line for each of @NAMES@ in certtool's @ROLE@.info (" ISSUE_CERT
                                                 "), @AFTER@"},
                                        [TLS_HOST_PARTIAL] =
                                                {"libvirt.listen.tls", STATUS_WARN, "hostname_partial",
                                                 "peers that connect by a name the certificate lacks refuse it: issue @CERT@ again with a dns_name line for each of @NAMES@ in certtool's @ROLE@.info (" ISSUE_CERT
                                                 "), @AFTER@"},
                                        [TLS_SERVER_PROVEN] = {"libvirt.listen.tls", STATUS_PASS,
                                                               "server_proven"},
                                        [TLS_CLIENT_MISSING] =
                                                {"libvirt.listen.tls", STATUS_FAIL, "client_files_missing",
                                                 "this host presents @CERT@ and @KEY@ as a migration's source, with @CA@ as its CA (libvirt's defaults): certtool --generate-privkey --outfile @KEY@, then " ISSUE_CERT
                                                 ". hostprep never creates keys"},
                                        [TLS_CLIENT_PROVEN] = {"libvirt.listen.tls", STATUS_PASS,
                                                               "client_proven"},
                                        [PEER_NOT_LIVE] = {"libvirt.listen.peer", STATUS_SKIP, "not_live"},
                                        [PEER_NONE] = {"libvirt.listen.peer", STATUS_SKIP, "no_peers"},
                                        [PEER_NO_API] = {"libvirt.listen.peer", STATUS_SKIP,
                                                         "no_libvirt_api"},
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
                                        [PEER_FAILED] =
                                                {"libvirt.listen.peer", STATUS_FAIL, "connect_failed",
                                                 "see libvirt's error; virsh -c @URI@ version shows it too"},
                                        [PEER_TIMEOUT] =
                                                {"libvirt.listen.peer", STATUS_FAIL, "resolve_timeout",
                                                 "the resolver (/etc/resolv.conf) does not answer for @PEER@: fix it, or list @PEER@ in /etc/hosts on every host"},
                                        [PEER_NO_ANSWER] =
                                                {"libvirt.listen.peer", STATUS_FAIL, "no_answer",
                                                 "@PEER@'s libvirtd is stuck or overloaded: journalctl -u libvirtd on @PEER@, then restart it; virsh -c @URI@ version shows when it answers again"},
                                        [PEER_FILTERED] =
                                                {"libvirt.listen.peer", STATUS_FAIL, "filtered",
                                                 "let this host in to TCP @PORT@ in @PEER@'s firewall (nftables, firewalld, iptables) and on the way; if @PEER@ is down, start it"},
                                        [PEER_PROBE_FAILED] = {"libvirt.listen.peer", STATUS_ERROR,
                                                               "probe_failed"},
                                        [FIX_SOCKET_MASKED] =
                                                {"libvirt.listen.fix", STATUS_ERROR, "socket_masked",
                                                 "a masked unit is an operator's decision, which hostprep leaves alone: if it is a leftover, systemctl unmask @SOCKET@ and apply again"},
                                        [FIX_TLS_FIRST] =
                                                {"libvirt.listen.fix", STATUS_ERROR, "tls_files_first",
                                                 "make the TLS files right first (libvirt.listen.tls): a daemon handed a TLS socket without them does not start"},
                                        [FIX_AUTH_NONE_NOT_ALLOWED] =
                                                {"libvirt.listen.fix", STATUS_ERROR, "auth_none_not_allowed",
                                                 "set [libvirt] allow_auth_none = yes as well if nothing but the hypervisors reaches port @PORT@, or auth_tcp = sasl"},
                                        [FIX_CANNOT_EDIT] = {"libvirt.listen.fix", STATUS_ERROR,
                                                             "cannot_edit", CONF_EDIT_FAILED_HINT},
                                        [FIX_RESTART_BY_HAND] =
                                                {"libvirt.listen.fix", STATUS_ERROR, "restart_by_hand",
                                                 "restart @DAEMON@ the way this host starts it (no service unit runs it), so that it reads the changed files"},
                                        [FIX_NO_SYSTEMD] =
                                                {"libvirt.listen.fix", STATUS_ERROR, "no_systemd",
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

/* How many users the sasldb holds (sasldblistusers2, on the live host); -ENOENT when that cannot be told. */
static int sasldb_users(const struct check_ctx *ctx, const char *db)
{
        char *argv[] = {(char *)"sasldblistusers2", (char *)"-f", (char *)db, NULL};
        _cleanup_free_ char *program = NULL;
        struct spawn_job j = {.argv = argv};
        int n = 0;

        if (!hostfs_is_live(ctx->fs) ||
            path_find_executable(ctx->fs, NULL, "sasldblistusers2", &program) < 0)
                return -ENOENT;
        j.path = program;
        if (spawn_run(&j, ctx->deadline) < 0)
                return -ENOENT;
        if (j.exited && j.exit_status == 0)
                for (const char *c = strempty(j.out); *c; c++)
                        n += *c == '\n';
        else
                n = -ENOENT;
        spawn_job_done(&j);
        return n;
}

/* What a mechanism lacks (appended to *why), or nothing when clients can use it. */
static int sasl_mechanism_usable(const struct check_ctx *ctx, const struct sasl_conf *c, const char *mech,
                                 char ***why, char ***seen)
{
        const char *file = streq(mech, "gssapi")              ? (c->keytab ?: PATH_KRB5_KEYTAB_DEFAULT)
                           : sasl_mechanism_uses_sasldb(mech) ? (c->sasldb_path ?: PATH_SASLDB_DEFAULT)
                                                              : NULL;
        _cleanup_free_ char *lack = NULL;
        struct stat st;
        int users;

        if (!file)
                return 1; /* e.g. external: nothing here to look at */
        if (hostfs_stat(ctx->fs, file, &st) < 0)
                lack = strdup_printf("%s: no %s", mech, file);
        else if (!streq(mech, "gssapi") && (users = sasldb_users(ctx, file)) == 0)
                lack = strdup_printf("%s: no users in %s", mech, file);
        else {
                char *item = !streq(mech, "gssapi") && users > 0
                                     ? strdup_printf("%s (%d users in %s)", mech, users, file)
                                     : strdup_printf("%s (%s)", mech, file);

                return item && strv_push(seen, item) >= 0 ? 1 : -ENOMEM;
        }
        if (!lack || strv_push(why, TAKE_PTR(lack)) < 0)
                return -ENOMEM;
        return 0;
}

static int check_sasl(struct check_ctx *ctx, const char *setting, const char *evidence)
{
        const char *const *saslconf = HINT_VALUES("SASLCONF", PATH_SASL2_LIBVIRT_CONF);
        _cleanup_(strv_freep) char **why = NULL, **seen = NULL;
        _cleanup_(sasl_conf_done) struct sasl_conf c = {0};
        _cleanup_free_ char *text = NULL, *list = NULL;
        bool usable = false;
        int r;

        if (hostfs_read_file(ctx->fs, PATH_SASL2_LIBVIRT_CONF, &text, NULL) < 0)
                return check_emit_hint(
                        ctx, R(AUTH_SASL_UNCONFIGURED), saslconf, evidence,
                        "%s = \"sasl\" but %s is missing: no SASL mechanism is set up for libvirt", setting,
                        PATH_SASL2_LIBVIRT_CONF);
        r = sasl_conf_parse(text, &c);
        if (r < 0)
                return r;
        if (!c.mechanisms || !c.mechanisms[0])
                return check_emit_hint(
                        ctx, R(AUTH_SASL_NO_MECH_LIST), saslconf, PATH_SASL2_LIBVIRT_CONF,
                        "%s = \"sasl\" but %s sets no mech_list: clients get whatever mechanisms the SASL library has",
                        setting, PATH_SASL2_LIBVIRT_CONF);
        STRV_FOREACH (m, c.mechanisms) {
                r = sasl_mechanism_usable(ctx, &c, *m, &why, &seen);
                if (r < 0)
                        return r;
                usable = usable || r > 0;
        }
        list = strv_join(usable ? seen : why, "; ");
        if (!list)
                return -ENOMEM;
        if (!usable)
                return check_emit_hint(
                        ctx, R(AUTH_SASL_UNUSABLE), saslconf, PATH_SASL2_LIBVIRT_CONF,
                        "%s = \"sasl\" but no mechanism of %s:%u can authenticate a client: %s", setting,
                        PATH_SASL2_LIBVIRT_CONF, c.mech_list_line, list);
        return check_emit(ctx, R(AUTH_SASL), evidence, "%s = \"sasl\": %s", setting, list);
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

/* One certificate and its key as libvirt loads them, with the CA it verifies them by: the server's
 * (libvirtd.conf's ca_file, cert_file, key_file) or the client's (libvirt's defaults, no file sets them:
 * what this host presents as a migration's source, and in libvirt.listen.peer). */
struct tls_pair {
        const char *role;    /* "server" or "client" */
        const char *purpose; /* certtool's template keyword for it */
        char *ca, *cert, *key;
};

static void tls_pair_done(struct tls_pair *p)
{
        free(p->ca);
        free(p->cert);
        free(p->key);
}

/* What proving the TLS files shares: this host's names, the clock, and the CA file last loaded. */
struct tls_proof {
        struct check_ctx *ctx;
        char **hosts;  /* the names clients use for this host: its host name, and its FQDN if it has one */
        char *names;   /* the same as a list for the hints */
        char *restart; /* how a changed server file takes effect */
        time_t now, warn;
        unsigned warn_days;
        unsigned problems;  /* FAILs, WARNs and ERRORs given for the pair being proven */
        time_t until;       /* when the first of the pair's certificates (its CA's too) expires */
        char *ca_path;      /* the CA file last loaded: server and client often share it */
        struct tlscert *ca; /* its certificates; NULL when it could not be loaded */
        bool ca_bad;        /* a finding was given for it */
};

static void tls_proof_done(struct tls_proof *p)
{
        strv_free(p->hosts);
        free(p->names);
        free(p->restart);
        free(p->ca_path);
        tlscert_free(p->ca);
}

static int tls_emit(struct tls_proof *p, const struct tls_pair *pair, int entry, const char *file,
                    const char *evidence, const char *fmt, ...) _printf_(6, 7);
static int tls_emit(struct tls_proof *p, const struct tls_pair *pair, int entry, const char *file,
                    const char *evidence, const char *fmt, ...)
{
        const bool server = streq(pair->role, "server");
        const char *const values[] = {
                "FILE",    file,
                "CERT",    pair->cert,
                "KEY",     pair->key,
                "CA",      pair->ca,
                "ROLE",    pair->role,
                "PURPOSE", pair->purpose,
                "HOST",    p->hosts[strv_length(p->hosts) - 1],
                "NAMES",   p->names,
                "AFTER",   server ? p->restart : "libvirt reads it again at its next connection",
                NULL};
        va_list ap;
        int r;

        if (R(entry)->status != STATUS_PASS)
                p->problems++;
        va_start(ap, fmt);
        r = result_list_add_defv(p->ctx->results, R(entry), NULL, values, evidence, fmt, ap);
        va_end(ap);
        return r;
}

/* A file of the pair that GnuTLS did not load (r < 0): its finding. */
static int tls_load_failed(struct tls_proof *p, const struct tls_pair *pair, int r, const char *error,
                           const char *file, const char *what, int unparsable)
{
        if (r == -ENOMEM)
                return r;
        if (r == -EBADMSG)
                return tls_emit(p, pair, unparsable, file, file,
                                "%s %s is not one GnuTLS (libvirt's TLS library) reads: %s", what, file,
                                error);
        return tls_emit(p, pair, TLS_UNREADABLE, file, file, "cannot read %s %s: %s", what, file,
                        strerror(-r));
}

static int tls_load_cert(struct tls_proof *p, const struct tls_pair *pair, const char *file,
                         const char *what, int unparsable, struct tlscert **ret)
{
        _cleanup_free_ char *error = NULL;
        int r = tlscert_load(p->ctx->fs, file, ret, &error);

        return r < 0 ? tls_load_failed(p, pair, r, error, file, what, unparsable) : 0;
}

static int tls_load_key(struct tls_proof *p, const struct tls_pair *pair, struct tlskey **ret)
{
        _cleanup_free_ char *error = NULL, *what = strdup_printf("the %s key", pair->role);
        int r = what ? tlskey_load(p->ctx->fs, pair->key, ret, &error) : -ENOMEM;

        return r < 0 ? tls_load_failed(p, pair, r, error, pair->key, strna(what), TLS_KEY_UNPARSABLE) : 0;
}

/* The certificates of file are valid now, and not expiring within [libvirt] tls_expiry_warn_days. */
static int tls_validity(struct tls_proof *p, const struct tls_pair *pair, const struct tlscert *c,
                        const char *file, const char *what)
{
        _cleanup_free_ char *from = NULL, *until = NULL, *evidence = NULL, *which = NULL;
        struct tlscert_time t;

        tlscert_validity(c, p->now, p->warn, &t);
        from = tlscert_format_time(t.activation);
        until = tlscert_format_time(t.expiration);
        evidence = strdup_printf("%s: not before %s, not after %s", file, strna(from), strna(until));
        which = t.index ? strdup_printf(" (certificate %u of the file)", t.index + 1) : strdup("");
        if (!from || !until || !evidence || !which)
                return -ENOMEM;
        if (t.expiration < p->until)
                p->until = t.expiration;
        if (t.validity == TLSCERT_NOT_YET_VALID)
                return tls_emit(p, pair, TLS_NOT_YET_VALID, file, evidence,
                                "%s %s%s is valid only from %s: libvirt refuses it until then", what, file,
                                which, from);
        if (t.validity == TLSCERT_EXPIRED)
                return tls_emit(p, pair, TLS_EXPIRED, file, evidence, "%s %s%s expired on %s", what, file,
                                which, until);
        if (t.validity == TLSCERT_EXPIRING)
                return tls_emit(p, pair, TLS_EXPIRING, file, evidence,
                                "%s %s%s expires on %s, within %u days ([libvirt] tls_expiry_warn_days)",
                                what, file, which, until, p->warn_days);
        return 0;
}

/* What libvirt's own sanity check refuses to load: the daemon does not start, a client does not connect. */
static int tls_usage(struct tls_proof *p, const struct tls_pair *pair, const struct tlscert *c,
                     const char *file, const char *what, enum tlscert_use use)
{
        _cleanup_free_ char *problem = NULL;
        int r = tlscert_usage_problem(c, use, &problem);

        if (r <= 0)
                return r;
        return tls_emit(p, pair, TLS_USAGE, file, file, "%s %s is one libvirt refuses: %s", what, file,
                        problem);
}

/* The CA file of the pair, loaded and its dates looked at once (server and client often share it):
 * NULL when it cannot be used, its finding given (then counted for every pair that uses it). */
static int tls_ca(struct tls_proof *p, const struct tls_pair *pair, const struct tlscert **ret)
{
        unsigned before = p->problems;
        int r = 0;

        if (!streq_ptr(p->ca_path, pair->ca)) {
                free(p->ca_path);
                p->ca = tlscert_free(p->ca);
                p->ca_path = strdup(pair->ca);
                if (!p->ca_path)
                        return -ENOMEM;
                r = tls_load_cert(p, pair, pair->ca, "the CA certificate", TLS_CA_UNPARSABLE, &p->ca);
                if (r >= 0 && p->ca)
                        r = tls_validity(p, pair, p->ca, pair->ca, "the CA certificate");
                if (r >= 0 && p->ca)
                        r = tls_usage(p, pair, p->ca, pair->ca, "the CA certificate", TLSCERT_USE_CA);
                p->ca_bad = p->problems > before;
        } else if (p->ca_bad)
                p->problems++;
        *ret = p->ca;
        return r;
}

static int tls_key_match(struct tls_proof *p, const struct tls_pair *pair, const struct tlscert *c,
                         const struct tlskey *k)
{
        _cleanup_free_ char *evidence = strdup_printf("%s, %s", pair->cert, pair->key);
        int r = evidence ? tlscert_key_matches(c, k) : -ENOMEM;

        if (r < 0 || r == 1)
                return r < 0 ? r : 0;
        return tls_emit(p, pair, TLS_KEY_MISMATCH, pair->key, evidence,
                        "the %s key %s is not the key of %s: their public keys differ", pair->role,
                        pair->key, pair->cert);
}

static int tls_chain(struct tls_proof *p, const struct tls_pair *pair, const struct tlscert *c,
                     const struct tlscert *ca)
{
        _cleanup_free_ char *reason = NULL, *issuer = NULL, *authority = NULL, *evidence = NULL;
        int r = tlscert_verify(c, ca, &reason);

        if (r < 0 || r == 1)
                return r < 0 ? r : 0;
        if (tlscert_issuer(c, &issuer) == -ENOMEM || tlscert_subject(ca, &authority) == -ENOMEM)
                return -ENOMEM;
        evidence = strdup_printf("%s: issued by %s; %s: %s", pair->cert, strna(issuer), pair->ca,
                                 strna(authority));
        if (!evidence)
                return -ENOMEM;
        return tls_emit(p, pair, TLS_NOT_SIGNED, pair->cert, evidence,
                        "the %s certificate %s does not chain to the CA of %s: %s", pair->role, pair->cert,
                        pair->ca, strip(reason));
}

/* The server certificate names every name of this host, as the clients connecting to it check. */
static int tls_hostname(struct tls_proof *p, const struct tls_pair *pair, const struct tlscert *c)
{
        _cleanup_(strv_freep) char **names = NULL, **missing = NULL;
        _cleanup_free_ char *named = NULL, *lacking = NULL, *evidence = NULL;
        int r = tlscert_names(c, &names);

        STRV_FOREACH (h, p->hosts)
                if (r >= 0 && !tlscert_names_host(c, *h))
                        r = strv_push_dup(&missing, *h);
        if (r < 0)
                return r;
        if (!missing)
                return 0;
        named = names ? strv_join(names, ", ") : strdup("no name");
        lacking = strv_join(missing, ", ");
        evidence = strdup_printf("%s: %s", pair->cert, strna(named));
        if (!named || !lacking || !evidence)
                return -ENOMEM;
        if (strv_length(missing) < strv_length(p->hosts))
                return tls_emit(
                        p, pair, TLS_HOST_PARTIAL, pair->cert, evidence,
                        "the server certificate %s names %s but not %s: clients connecting by %s refuse it",
                        pair->cert, named, lacking, lacking);
        return tls_emit(p, pair, TLS_HOST_MISMATCH, pair->cert, evidence,
                        "the server certificate %s names %s, not this host (%s): libvirt clients refuse it",
                        pair->cert, named, p->names);
}

static int tls_proven(struct tls_proof *p, const struct tls_pair *pair)
{
        _cleanup_free_ char *until = tlscert_format_time(p->until);

        if (!until)
                return -ENOMEM;
        if (streq(pair->role, "server"))
                return tls_emit(
                        p, pair, TLS_SERVER_PROVEN, pair->cert, pair->cert,
                        "the server certificate names %s, matches its key, chains to %s and is valid until %s",
                        p->names, pair->ca, until);
        return tls_emit(
                p, pair, TLS_CLIENT_PROVEN, pair->cert, pair->cert,
                "the client certificate (this host as a migration's source) matches its key, chains to %s and is valid until %s",
                pair->ca, until);
}

/* Each file parses, the key is the certificate's, the certificate chains to the CA and is valid now,
 * and a server's names this host: a finding each, or one PASS. */
static int tls_prove(struct tls_proof *p, const struct tls_pair *pair)
{
        _cleanup_(tlscert_freep) struct tlscert *cert = NULL;
        _cleanup_(tlskey_freep) struct tlskey *key = NULL;
        _cleanup_free_ char *what = strdup_printf("the %s certificate", pair->role);
        const struct tlscert *ca = NULL;
        int r = what ? 0 : -ENOMEM;

        p->problems = 0;
        p->until = (time_t)INT64_MAX;
        if (r >= 0)
                r = tls_ca(p, pair, &ca);
        if (r >= 0)
                r = tls_load_cert(p, pair, pair->cert, what, TLS_CERT_UNPARSABLE, &cert);
        if (r >= 0)
                r = tls_load_key(p, pair, &key);
        if (r >= 0 && cert && key)
                r = tls_key_match(p, pair, cert, key);
        if (r >= 0 && cert && ca)
                r = tls_chain(p, pair, cert, ca);
        if (r >= 0 && cert)
                r = tls_validity(p, pair, cert, pair->cert, what);
        if (r >= 0 && cert)
                r = tls_usage(p, pair, cert, pair->cert, what,
                              streq(pair->role, "server") ? TLSCERT_USE_SERVER : TLSCERT_USE_CLIENT);
        if (r >= 0 && cert && streq(pair->role, "server"))
                r = tls_hostname(p, pair, cert);
        if (r >= 0 && p->problems == 0)
                r = tls_proven(p, pair);
        return r;
}
static int check_tls_files(struct check_ctx *ctx, const struct libvirtd_model *m,
                           const struct libvirt_conf *c, bool *ret_present)
{
        _cleanup_(strv_freep) char **missing = NULL, **present = NULL;
        _cleanup_free_ char *list = NULL;
        int r = libvirtd_tls_files(ctx, c, &missing, &present);

        if (r < 0)
                return r;
        *ret_present = !missing;
        list = strv_join(missing ? missing : present, ", ");
        if (missing)
                return check_emit_hint(ctx, R(TLS_FILES_MISSING), HINT_VALUES("FILE", m->conf_path), list,
                                       "TLS files missing: %s", strna(list));
        return check_emit(ctx, R(TLS_FILES_PRESENT), list,
                          "the CA certificate, server certificate and key exist");
}

/* The client's files exist: their absence is one finding, as the server's is (check_tls_files()). */
static int tls_client_files(struct tls_proof *p, const struct tls_pair *pair, bool *ret_present)
{
        const char *const files[] = {pair->ca, pair->cert, pair->key};
        _cleanup_(strv_freep) char **missing = NULL;
        _cleanup_free_ char *list = NULL;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                struct stat st;

                if (hostfs_stat(p->ctx->fs, files[i], &st) < 0 && strv_push_dup(&missing, files[i]) < 0)
                        return -ENOMEM;
        }
        *ret_present = !missing;
        if (!missing)
                return 0;
        list = strv_join(missing, ", ");
        if (!list)
                return -ENOMEM;
        return tls_emit(p, pair, TLS_CLIENT_MISSING, pair->cert, list,
                        "no client certificate for this host as a migration's source: %s missing", list);
}

/* The names the peers' libvirt clients know this host by: its host name, and the FQDN /etc/hosts gives. */
static int tls_proof_init(struct check_ctx *ctx, const struct libvirtd_model *m, struct tls_proof *ret)
{
        const char *days = conf_get(ctx->profile, "libvirt", "tls_expiry_warn_days");
        _cleanup_free_ char *hosts = NULL, *fqdn = NULL;
        struct tls_proof p = {.ctx = ctx, .now = time(NULL), .warn_days = 30};
        int r;

        if (days)
                (void)safe_atou(days, &p.warn_days); /* the profile loader checked it */
        p.warn = (time_t)p.warn_days * 24 * 3600;
        if (!strchr(ctx->hostname, '.') && hostfs_read_file(ctx->fs, PATH_ETC_HOSTS, &hosts, NULL) >= 0) {
                r = etchosts_fqdn(hosts, ctx->hostname, &fqdn);
                if (r == -ENOMEM)
                        return r;
        }
        if (strv_push_dup(&p.hosts, ctx->hostname) < 0 ||
            (fqdn && !streq(fqdn, ctx->hostname) && strv_push(&p.hosts, TAKE_PTR(fqdn)) < 0) ||
            !(p.names = strv_join(p.hosts, ", ")) ||
            !(p.restart = strdup_printf("then restart %s (it reads its certificates when it starts)",
                                        m->daemon))) {
                tls_proof_done(&p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

/* transport = tls: the server's files as libvirtd loads them, and the client's this host presents to
 * its peers. */
static int check_tls(struct check_ctx *ctx, const struct libvirtd_model *m, const struct libvirt_conf *c)
{
        const char *setting;
        struct tls_pair server = {"server", "tls_www_server",
                                  libvirtd_tls_path(c, LIBVIRTD_TLS_CA, &setting),
                                  libvirtd_tls_path(c, LIBVIRTD_TLS_CERT, &setting),
                                  libvirtd_tls_path(c, LIBVIRTD_TLS_KEY, &setting)};
        struct tls_pair client = {"client", "tls_www_client", strdup(PATH_LIBVIRT_CA_CERT),
                                  strdup(PATH_LIBVIRT_CLIENT_CERT), strdup(PATH_LIBVIRT_CLIENT_KEY)};
        struct tls_proof p = {0};
        bool present = false;
        int r = server.ca && server.cert && server.key && client.ca && client.cert && client.key
                        ? tls_proof_init(ctx, m, &p)
                        : -ENOMEM;

        if (r >= 0)
                r = check_tls_files(ctx, m, c, &present);
        if (r >= 0 && present)
                r = tls_prove(&p, &server);
        if (r >= 0)
                r = tls_client_files(&p, &client, &present);
        if (r >= 0 && present)
                r = tls_prove(&p, &client);
        if (p.ctx)
                tls_proof_done(&p);
        tls_pair_done(&server);
        tls_pair_done(&client);
        return r;
}

/* The peers migrations go to and come from: the profile's other hypervisors, and a --peer it does not
 * name (given on the command line to be checked against, it is one). */
static int peer_hypervisors(const struct check_ctx *ctx, char ***ret)
{
        return check_peers_with_role(ctx, ROLE_HYPERVISOR, ret);
}

#if HAVE_LIBVIRT
/* What a peer's connection child answers: how far it got (peer_reach) and a newline, then "P" VERSION
 * "\n" HOSTNAME, or "E" CODE DOMAIN ERRNO "\n" and libvirt's message. */
struct peer_target {
        const char *uri, *host, *port;
};

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
/* Before libvirt's own open: the name resolved ("R"), then a TCP connection made ("C"), each said as it
 * happens, so that a child ended at the deadline tells how far it got. A failure says nothing: libvirt's
 * open fails the same way and names it. */
static void peer_reach(int fd, const char *host, const char *port)
{
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
        int sock = -1;

        if (getaddrinfo(host, port, &hints, &ai) != 0)
                return;
        (void)spawn_reply(fd, "R", 1);
        for (const struct addrinfo *a = ai; a && sock < 0; a = a->ai_next) {
                sock = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
                if (sock >= 0 && connect(sock, a->ai_addr, a->ai_addrlen) < 0) {
                        close(sock);
                        sock = -1;
                }
        }
        freeaddrinfo(ai);
        if (sock >= 0) {
                (void)spawn_reply(fd, "C", 1);
                close(sock);
        }
}

static int peer_connect(void *userdata, int fd)
{
        const struct peer_target *pt = userdata;
        int credtypes[] = {VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE, VIR_CRED_USERNAME, VIR_CRED_NOECHOPROMPT};
        virConnectAuth auth = {credtypes, ELEMENTSOF(credtypes), no_credentials, NULL};
        _cleanup_free_ char *text = NULL;
        unsigned long version = 0;
        char *hostname = NULL;
        virConnectPtr c;

        virSetErrorFunc(NULL, libvirt_silence);
        peer_reach(fd, pt->host, pt->port);
        (void)spawn_reply(fd, "\n", 1);
        c = virConnectOpenAuth(pt->uri, &auth, 0);
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

/* The FAIL entry for libvirt's error: the errno of a failed connect, TLS's own errors, and the auth
 * codes. libvirt raises TLS errors of its RPC layer as system errors like a failed name lookup, or as an
 * authentication failure ("Failed to verify peer's certificate": a server certificate naming another
 * host, on the bed): only their text tells them apart, so it is looked at first. */
static int peer_failure(const struct transport *t, int code, int domain, int error, const char *message)
{
        if (error == ECONNREFUSED)
                return PEER_REFUSED;
        if (error == ETIMEDOUT || error == EHOSTUNREACH || error == ENETUNREACH)
                return PEER_UNREACHABLE;
        if (t->tls && domain == VIR_FROM_RPC &&
            (strcasestr(message, "certificate") || strstr(message, "TLS")))
                return PEER_TLS;
        if (code == VIR_ERR_AUTH_FAILED || code == VIR_ERR_AUTH_CANCELLED ||
            code == VIR_ERR_AUTH_UNAVAILABLE)
                return PEER_AUTH;
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
        const char *out = j->out ? j->out : "", *reach = out, *rest;
        size_t reached = strspn(reach, "RC");
        unsigned long v = 0;
        int code = 0, domain = 0, error = 0, entry;

        /* how far the child got: name resolved (R), TCP connected (C), then its answer after a newline */
        out = reach[reached] == '\n' ? reach + reached + 1 : reach + reached;
        rest = strchr(out, '\n');
        if (j->timed_out && reached == 0)
                return check_emit_hint(ctx, R(PEER_TIMEOUT), values, uri,
                                       "%s: no answer from the resolver for %s before the deadline", peer,
                                       peer);
        if (j->timed_out && reached == 1)
                return check_emit_hint(
                        ctx, R(PEER_FILTERED), values, uri,
                        "%s: no answer to a TCP connection to port %s before the deadline: a firewall drops it, or %s is down",
                        peer, t->default_port, peer);
        if (j->timed_out)
                return check_emit_hint(
                        ctx, R(PEER_NO_ANSWER), values, uri,
                        "%s: libvirtd accepts TCP %s but gives no libvirt connection before the deadline (%s)",
                        peer, t->default_port, uri);
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
        _cleanup_free_ struct peer_target *targets = calloc(n, sizeof(*targets));
        int r = jobs && targets ? 0 : -ENOMEM;

        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *uri = strdup_printf("%s://%s/system", t->scheme, peers[i]);

                r = uri ? strv_push_dup(&uris, uri) : -ENOMEM;
        }
        for (size_t i = 0; r >= 0 && i < n; i++) {
                targets[i] = (struct peer_target){uris[i], peers[i], t->default_port};
                jobs[i] = (struct spawn_job){
                        .call = peer_connect, .userdata = &targets[i], .output_max = 64 * 1024};
        }
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
                r = check_tls(ctx, m, conf);
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
        bool socket_enable, socket_start; /* socket activation: the transport's socket */
        bool restart;
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

/* Socket activation: systemd's socket unit for the transport, to be enabled and started (planned in
 * fix_plan(), after the file edits). */
static int fix_socket(struct check_ctx *ctx, struct listen_fix *f)
{
        const char *name = f->m->sockets[f->t->socket].name;

        if (check_gave(ctx, R(CONFIGURED_SOCKET_MASKED)))
                return check_emit_hint(ctx, R(FIX_SOCKET_MASKED), HINT_VALUES("SOCKET", name), name,
                                       "%s is masked: not unmasking it", name);
        if (!check_systemd_running(ctx) && check_gave(ctx, R(CONFIGURED_SOCKET_OFF)))
                return check_emit_hint(ctx, R(FIX_NO_SYSTEMD), HINT_VALUES("SOCKET", name), name,
                                       "no systemd runs below the root to enable %s", name);
        if (!check_systemd_running(ctx))
                return 0;
        f->socket_enable = check_gave(ctx, R(CONFIGURED_SOCKET_OFF));
        f->socket_start = f->socket_enable || check_gave(ctx, R(PORT_NOT_LISTENING));
        return 0;
}

/* systemd refuses to start a socket while its service runs ("Socket service libvirtd.service already
 * active, refusing"): the daemon stops, the socket starts, and the daemon starts again, handed every
 * socket (libvirt's documentation says the same). Its guests keep running meanwhile. A rollback stops
 * the socket before it starts the daemon again, without it. */
static int plan_socket(struct check_ctx *ctx, struct plan *plan, struct listen_fix *f)
{
        const char *socket = f->m->sockets[f->t->socket].name, *service = f->m->service.name;
        const char *state = f->m->service.active_state;
        bool active = state && !streq(state, "inactive") && !streq(state, "failed");
        int r = 0;

        if (active)
                r = plan_service(plan, "libvirt.listen", service, SERVICE_STOP,
                                 "systemd starts no socket of a running service; running guests go on");
        if (r >= 0 && f->socket_enable)
                r = plan_service(plan, "libvirt.listen", socket, SERVICE_ENABLE,
                                 "systemd listens for the peers on libvirt's behalf, also after a reboot");
        if (r >= 0)
                r = plan_service(plan, "libvirt.listen", socket, SERVICE_START, "the listener, now");
        if (r >= 0 && active)
                r = plan_service(plan, "libvirt.listen", service, SERVICE_START,
                                 "the daemon again, with the new socket and settings");
        if (r >= 0 && !state) /* its state unknown: restarted if it runs */
                r = libvirtd_plan_restart(ctx, f->m, NULL, plan, "libvirt.listen",
                                          "the daemon takes a new socket only when it starts");
        return r < 0 && r != -ENOENT ? r : 0;
}

/* The daemon's options in the EnvironmentFile= text with --listen added and --timeout taken out (an idle
 * daemon that listens itself would exit with nothing to start it again); the operator's other options
 * are kept. Unset there: "--listen" alone (the unit's own default is --timeout 120). */
static int args_with_listen(const char *text, const char *var, char **ret)
{
        _cleanup_(strv_freep) char **words = NULL, **kept = NULL;
        _cleanup_free_ char *have = NULL, *joined = NULL;
        unsigned line;

        if (env_file_value(text, var, &have, &line) < 0 || strv_split(have, " \t", &words) < 0 || !words)
                return (*ret = strdup("--listen")) ? 0 : -ENOMEM;
        for (char **w = words; *w; w++) {
                if ((streq(*w, "--timeout") || streq(*w, "-t")) && w[1])
                        w++;
                else if (!startswith(*w, "--timeout=") && strv_push_dup(&kept, *w) < 0)
                        return -ENOMEM;
        }
        if (strv_push_dup(&kept, "--listen") < 0 || !(joined = strv_join(kept, " ")))
                return -ENOMEM;
        *ret = TAKE_PTR(joined);
        return 0;
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
                _cleanup_free_ char *args = NULL;

                r = args_with_listen(f->env.after, var, &args);
                if (r >= 0)
                        r = conf_edit_set(ctx, &f->env, var, args,
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
        if (r >= 0 && f->socket_start)
                return plan_socket(ctx, plan, f);
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
                r = m->activation == LIBVIRTD_ACTIVATION_SOCKET ? fix_socket(ctx, &f) : fix_self(ctx, &f);
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

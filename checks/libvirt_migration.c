/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt.migration: this hypervisor can be the destination of a live migration as its QEMU driver will
 * set it up. qemu.conf's port range (libvirt takes one port of migration_port_min..max per incoming
 * migration, and the NBD server of a block migration one more) is valid and not exhausted; QEMU does not
 * listen on a loopback address (migration_address); and the URI libvirt hands the source, tcp:HOST:PORT
 * with HOST = migration_host or else this host's canonical name, does not lead to the loopback.
 *
 * Then it is proven: a port of the range is listened on for a moment, and every peer hypervisor connects
 * to it through `ssh -W HOST:PORT`: the peer's sshd resolves HOST and opens the TCP connection, as the
 * peer's QEMU would, so the peer's name resolution and every firewall between are in the test, and no
 * command runs on the peer.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "etchosts.h"
#include "libvirt-conf.h"
#include "libvirt-fix.h"
#include "pathnames.h"
#include "sockets.h"
#include "spawn.h"
#include "sshcmd.h"
#include "strv.h"

enum {
        CONFIG_NO_DRIVER,
        CONFIG_UNREADABLE,
        CONFIG_SYNTAX,
        CONFIG_WRONG_TYPE,
        RANGE_OK,
        RANGE_INVALID,
        RANGE_PRIVILEGED,
        ADDRESS_ALL,
        ADDRESS_OK,
        ADDRESS_LOOPBACK,
        ADDRESS_NOT_LOCAL,
        HOST_SET,
        HOST_LOOPBACK,
        HOST_NAME_LOOPBACK,
        HOSTNAME_OK,
        HOSTNAME_LOCALHOST,
        HOSTNAME_LOOPBACK,
        PORTS_FREE,
        PORTS_MOSTLY_TAKEN,
        PORTS_EXHAUSTED,
        PORTS_NO_TABLE,
        PROBE_NOT_LIVE,
        PROBE_NO_PEERS,
        PROBE_NO_PORT,
        PROBE_LISTEN_FAILED,
        PROBE_REACHABLE,
        PROBE_BLOCKED,
        PROBE_REFUSED,
        PROBE_UNRESOLVED,
        PROBE_CONNECT_FAILED,
        PROBE_FORWARDING_REFUSED,
        PROBE_SSH_FAILED,
        FIX_NO_ADDRESS,
        FIX_CANNOT_EDIT,
        FIX_RESTART_BY_HAND,
};

#define RESTART " then restart libvirtd"
#define HOST_HINT                                                                                           \
        "set migration_host = \"@ADDRESS@\" (this host's address the peers reach) in " PATH_QEMU_CONF       \
        ", or make " PATH_ETC_HOSTS                                                                         \
        " map @NAME@ to that address, then restart libvirtd; harmless only where "                          \
        "every source resolves @NAME@ to this host's real address (cross.names with --all-hosts tells)"

#define PORTS_HINT                                                                                                       \
        "see what listens there (ss -ltnp 'sport >= :@MIN@ and sport <= :@MAX@'), or widen the range in " PATH_QEMU_CONF \
        " and the firewall"

static const struct result_def libvirt_migration_results[] = {
        [CONFIG_NO_DRIVER] = {"libvirt.migration.config", STATUS_SKIP, "no_qemu_driver"},
        [CONFIG_UNREADABLE] = {"libvirt.migration.config", STATUS_ERROR, "unreadable"},
        [CONFIG_SYNTAX] = {"libvirt.migration.config", STATUS_FAIL, "syntax_error",
                           "fix the line named; libvirt's QEMU driver does not load while it is wrong"},
        [CONFIG_WRONG_TYPE] =
                {"libvirt.migration.config", STATUS_FAIL, "wrong_type",
                 "give the setting a value of its type (ports: numbers; addresses: \"quoted\")," RESTART},
        [RANGE_OK] = {"libvirt.migration.range", STATUS_PASS, "range_ok"},
        [RANGE_INVALID] =
                {"libvirt.migration.range", STATUS_FAIL, "range_invalid",
                 "set migration_port_min <= migration_port_max within 1024-65535 in " PATH_QEMU_CONF
                 " (the default is 49152-49215)," RESTART},
        [RANGE_PRIVILEGED] = {"libvirt.migration.range", STATUS_FAIL, "range_privileged",
                              "move the range above 1023 (the default is 49152-49215) in " PATH_QEMU_CONF
                              "," RESTART},
        [ADDRESS_ALL] = {"libvirt.migration.address", STATUS_PASS, "all_addresses"},
        [ADDRESS_OK] = {"libvirt.migration.address", STATUS_PASS, "address_ok"},
        [ADDRESS_LOOPBACK] =
                {"libvirt.migration.address", STATUS_FAIL, "address_loopback",
                 "set migration_address to this host's address on the migration network, or remove it (QEMU then listens on every address)," RESTART},
        [ADDRESS_NOT_LOCAL] =
                {"libvirt.migration.address", STATUS_FAIL, "address_not_local",
                 "set migration_address to an address of this host's interfaces (ip -brief address), or remove it," RESTART},
        [HOST_SET] = {"libvirt.migration.host", STATUS_PASS, "host_set"},
        [HOST_LOOPBACK] =
                {"libvirt.migration.host", STATUS_FAIL, "host_loopback",
                 "set migration_host = \"@ADDRESS@\" (this host's address the peers reach) in " PATH_QEMU_CONF
                 ", then restart libvirtd"},
        [HOSTNAME_OK] = {"libvirt.migration.host", STATUS_PASS, "hostname_ok"},
        [HOSTNAME_LOCALHOST] =
                {"libvirt.migration.host", STATUS_FAIL, "hostname_localhost",
                 "give this host its real name (hostnamectl set-hostname NAME), or set migration_host = \"@ADDRESS@\" in " PATH_QEMU_CONF
                 ", then restart libvirtd"},
        [HOST_NAME_LOOPBACK] = {"libvirt.migration.host", STATUS_WARN, "host_name_loopback", HOST_HINT},
        /* Debian's /etc/hosts maps every host's own name to 127.0.1.1: what matters is how the sources
         * resolve it, which cross.names asks them; here it is a warning */
        [HOSTNAME_LOOPBACK] = {"libvirt.migration.host", STATUS_WARN, "hostname_loopback", HOST_HINT},
        [PORTS_FREE] = {"libvirt.migration.ports", STATUS_PASS, "ports_free"},
        [PORTS_MOSTLY_TAKEN] = {"libvirt.migration.ports", STATUS_WARN, "ports_mostly_taken", PORTS_HINT},
        [PORTS_EXHAUSTED] = {"libvirt.migration.ports", STATUS_FAIL, "ports_exhausted", PORTS_HINT},
        [PORTS_NO_TABLE] = {"libvirt.migration.ports", STATUS_SKIP, "no_socket_table"},
        [PROBE_NOT_LIVE] = {"libvirt.migration.probe", STATUS_SKIP, "not_live"},
        [PROBE_NO_PEERS] = {"libvirt.migration.probe", STATUS_SKIP, "no_peers"},
        [PROBE_NO_PORT] = {"libvirt.migration.probe", STATUS_SKIP, "no_free_port"},
        [PROBE_LISTEN_FAILED] = {"libvirt.migration.probe", STATUS_ERROR, "listen_failed"},
        [PROBE_REACHABLE] = {"libvirt.migration.probe", STATUS_PASS, "reachable"},
        [PROBE_BLOCKED] =
                {"libvirt.migration.probe", STATUS_FAIL, "blocked",
                 "let the peers in to TCP @RANGE@ in this host's firewall (nftables, firewalld, iptables) and on the way"},
        [PROBE_REFUSED] =
                {"libvirt.migration.probe", STATUS_FAIL, "refused",
                 "let the peers in to TCP @RANGE@ in this host's firewall, and check that @TARGET@ is this host's address on @PEER@ (getent hosts @TARGET@)"},
        [PROBE_UNRESOLVED] =
                {"libvirt.migration.probe", STATUS_FAIL, "unresolved",
                 "add @TARGET@ to @PEER@'s /etc/hosts or DNS, or set migration_host to this host's address in " PATH_QEMU_CONF},
        [PROBE_CONNECT_FAILED] = {"libvirt.migration.probe", STATUS_FAIL, "connect_failed",
                                  "check the route from @PEER@ to @TARGET@ (ip route get on @PEER@)"},
        [PROBE_FORWARDING_REFUSED] =
                {"libvirt.migration.probe", STATUS_ERROR, "forwarding_refused",
                 "let root forward TCP in @PEER@'s sshd (AllowTcpForwarding), or test by hand from @PEER@"},
        [PROBE_SSH_FAILED] = {"libvirt.migration.probe", STATUS_ERROR, "ssh_failed",
                              "see ssh.root: the probe logs in to the peers as it does"},
        [FIX_NO_ADDRESS] =
                {"libvirt.migration.fix", STATUS_ERROR, "no_address",
                 "give this host's address yourself: --set libvirt.migration_host=ADDRESS on this host, or an /etc/hosts line with its name and that address"},
        [FIX_CANNOT_EDIT] = {"libvirt.migration.fix", STATUS_ERROR, "cannot_edit", CONF_EDIT_FAILED_HINT},
        [FIX_RESTART_BY_HAND] =
                {"libvirt.migration.fix", STATUS_ERROR, "restart_by_hand",
                 "restart @DAEMON@ the way this host starts it (no service unit runs it), so that it reads qemu.conf again"},
};

/* libvirt's defaults (qemu.conf), and its ceiling */
#define MIGRATION_PORT_MIN 49152
#define MIGRATION_PORT_MAX 49215
#define PORT_MAX           65535
#define PORT_PRIVILEGED    1024
/* The probe waits this long at most for a peer's connection: a dropped SYN costs this, not TCP's two
 * minutes. */
#define PROBE_USEC                (4 * USEC_PER_SEC)
#define PROBE_SSH_CONNECT_TIMEOUT 3

/* qemu.conf's migration settings, libvirt's defaults where unset. */
struct migration_conf {
        struct libvirt_conf *conf; /* NULL: no qemu.conf */
        unsigned port_min, port_max;
        char *address; /* migration_address, NULL: unset */
        char *host;    /* migration_host, NULL: unset */
};

static void migration_conf_done(struct migration_conf *m)
{
        libvirt_conf_free(m->conf);
        free(m->address);
        free(m->host);
}

static bool address_is_numeric(const char *a)
{
        unsigned char buf[sizeof(struct in6_addr)];

        return inet_pton(AF_INET, a, buf) == 1 || inet_pton(AF_INET6, a, buf) == 1;
}

/* --- qemu.conf ------------------------------------------------------------------------------------ */

static int emit_wrong_type(struct check_ctx *ctx, const struct migration_conf *m, const char *name, int r)
{
        _cleanup_free_ char *origin = libvirt_conf_origin(m->conf, name);

        r = check_emit(ctx, &libvirt_migration_results[CONFIG_WRONG_TYPE], origin,
                       "%s: %s is not %s: libvirt's QEMU driver does not load", strna(origin), name,
                       r == -ERANGE           ? "a port number"
                       : strstr(name, "port") ? "an unsigned number"
                                              : "a string");
        return r < 0 ? r : 0;
}

/* Reads qemu.conf. Returns 1 when its settings are usable, 0 when a result says why not. */
static int read_migration_conf(struct check_ctx *ctx, struct migration_conf *m)
{
        _cleanup_free_ char *error = NULL;
        int r;

        *m = (struct migration_conf){.port_min = MIGRATION_PORT_MIN, .port_max = MIGRATION_PORT_MAX};
        r = libvirt_conf_read(ctx->fs, PATH_QEMU_CONF, &m->conf, &error);
        /* every package of libvirt's QEMU driver ships qemu.conf: without it nothing here takes
         * migrations, and a PASS for its defaults would say the opposite */
        if (r == -ENOENT) {
                r = check_emit(
                        ctx, &libvirt_migration_results[CONFIG_NO_DRIVER], PATH_QEMU_CONF,
                        "no %s: libvirt's QEMU driver is not installed, or its configuration file is gone (see libvirt.daemon)",
                        PATH_QEMU_CONF);
                return r < 0 ? r : 0;
        }
        if (r == -EBADMSG)
                r = check_emit(ctx, &libvirt_migration_results[CONFIG_SYNTAX], PATH_QEMU_CONF,
                               "%s: libvirt's QEMU driver does not load", strna(error));
        else if (r < 0)
                r = check_emit(ctx, &libvirt_migration_results[CONFIG_UNREADABLE], PATH_QEMU_CONF,
                               "cannot read %s: %s", PATH_QEMU_CONF, strerror(-r));
        if (!m->conf)
                return r < 0 ? r : 0;

        r = libvirt_conf_get_uint(m->conf, "migration_port_min", &m->port_min);
        if (r < 0 && r != -ENOENT)
                return emit_wrong_type(ctx, m, "migration_port_min", r);
        r = libvirt_conf_get_uint(m->conf, "migration_port_max", &m->port_max);
        if (r < 0 && r != -ENOENT)
                return emit_wrong_type(ctx, m, "migration_port_max", r);
        r = libvirt_conf_get_string(m->conf, "migration_address", &m->address);
        if (r < 0 && r != -ENOENT)
                return emit_wrong_type(ctx, m, "migration_address", r);
        r = libvirt_conf_get_string(m->conf, "migration_host", &m->host);
        if (r < 0 && r != -ENOENT)
                return emit_wrong_type(ctx, m, "migration_host", r);
        return 1;
}

/* "qemu.conf:12" of a setting, or what its value is when it is unset. */
static char *origin_or(const struct migration_conf *m, const char *name, const char *unset)
{
        char *o = m->conf ? libvirt_conf_origin(m->conf, name) : NULL;

        return o ? o : strdup(unset);
}

/* Returns 1 when the range is usable. */
static int check_range(struct check_ctx *ctx, const struct migration_conf *m)
{
        _cleanup_free_ char *min_at = origin_or(m, "migration_port_min", "default"),
                            *max_at = origin_or(m, "migration_port_max", "default"), *evidence = NULL;
        int r;

        evidence = strdup_printf("migration_port_min = %u (%s), migration_port_max = %u (%s)", m->port_min,
                                 strna(min_at), m->port_max, strna(max_at));
        if (!evidence)
                return -ENOMEM;
        /* what libvirt's virQEMUDriverConfigLoadNetworkEntry() refuses */
        if (m->port_min == 0 || m->port_max > PORT_MAX || m->port_max < m->port_min) {
                const bool min_bad = m->port_min == 0 || m->port_min > PORT_MAX;

                r = check_emit(
                        ctx, &libvirt_migration_results[RANGE_INVALID], evidence,
                        "%s: the migration ports %u-%u are not a range within 1-%u: libvirt's QEMU driver does not load",
                        strna(min_bad ? min_at : max_at), m->port_min, m->port_max, PORT_MAX);
                return r < 0 ? r : 0;
        }
        if (m->port_min < PORT_PRIVILEGED) {
                r = check_emit(
                        ctx, &libvirt_migration_results[RANGE_PRIVILEGED], evidence,
                        "%s: the migration ports %u-%u reach below %u, among the ports of system services",
                        strna(min_at), m->port_min, m->port_max, PORT_PRIVILEGED);
                return r < 0 ? r : 0;
        }
        r = check_emit(ctx, &libvirt_migration_results[RANGE_OK], evidence,
                       "incoming migrations take ports %u-%u (%u at once)", m->port_min, m->port_max,
                       m->port_max - m->port_min + 1);
        return r < 0 ? r : 1;
}

/* --- addresses and names -------------------------------------------------------------------------- */

static void entry_done(struct etchosts_entry *e)
{
        free(e->address);
        free(e->canonical);
}

/* The first line of the root's /etc/hosts that maps name to a loopback address; NULL when none. */
static int loopback_entry(const struct check_ctx *ctx, const char *name, struct etchosts_entry *ret)
{
        _cleanup_free_ char *hosts = NULL;
        struct etchosts_entry *e = NULL;
        size_t n = 0;
        int r;

        (void)hostfs_read_file(ctx->fs, PATH_ETC_HOSTS, &hosts, NULL);
        r = etchosts_entries(hosts, name, &e, &n);
        if (r < 0)
                return r;
        r = 0;
        for (size_t i = 0; i < n && r == 0; i++)
                if (address_is_loopback(e[i].address)) {
                        *ret = e[i];
                        e[i] = (struct etchosts_entry){0};
                        r = 1;
                }
        etchosts_entries_free(e, n);
        return r;
}

/* Whether this network namespace has address a (bind() says so, as it will to QEMU). */
static bool address_is_local(const char *a)
{
        struct sockaddr_storage ss = {0};
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        bool v4 = inet_pton(AF_INET, a, &in->sin_addr) == 1;
        _cleanup_close_ int fd = -1;

        if (!v4 && inet_pton(AF_INET6, a, &in6->sin6_addr) != 1)
                return true; /* a name: QEMU resolves it, we cannot tell */
        ss.ss_family = v4 ? AF_INET : AF_INET6;
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return true;
        return bind(fd, (struct sockaddr *)&ss, v4 ? sizeof(*in) : sizeof(*in6)) == 0 ||
               errno != EADDRNOTAVAIL;
}

static int check_address(struct check_ctx *ctx, const struct migration_conf *m)
{
        _cleanup_free_ char *at = origin_or(m, "migration_address", "unset"), *evidence = NULL;
        _cleanup_(entry_done) struct etchosts_entry lo = {0};
        int r;

        if (!m->address || streq(m->address, "0.0.0.0") || streq(m->address, "::"))
                return check_emit(ctx, &libvirt_migration_results[ADDRESS_ALL], at,
                                  "QEMU listens for incoming migrations on every address (%s)",
                                  m->address ? m->address : ":: or 0.0.0.0");
        evidence = strdup_printf("%s: migration_address = \"%s\"", strna(at), m->address);
        if (address_is_loopback(m->address))
                return check_emit(
                        ctx, &libvirt_migration_results[ADDRESS_LOOPBACK], evidence,
                        "%s: QEMU listens for incoming migrations on the loopback address %s only: no peer reaches it",
                        strna(at), m->address);
        r = loopback_entry(ctx, m->address, &lo);
        if (r < 0)
                return r;
        if (r > 0) {
                r = check_emit(
                        ctx, &libvirt_migration_results[ADDRESS_LOOPBACK], evidence,
                        "%s: QEMU listens for incoming migrations on %s, which is %s here (%s:%u): no peer reaches it",
                        strna(at), m->address, lo.address, PATH_ETC_HOSTS, lo.line);
                return r;
        }
        if (hostfs_is_live(ctx->fs) && !address_is_local(m->address))
                return check_emit(
                        ctx, &libvirt_migration_results[ADDRESS_NOT_LOCAL], evidence,
                        "%s: %s is not an address of this host: QEMU cannot listen for incoming migrations",
                        strna(at), m->address);
        return check_emit(ctx, &libvirt_migration_results[ADDRESS_OK], evidence,
                          "QEMU listens for incoming migrations on %s", m->address);
}

/* This host's address the peers reach: the first one /etc/hosts gives name that is not a loopback's;
 * -ENOENT when there is none. */
static int host_address(const struct check_ctx *ctx, const char *name, char **ret)
{
        _cleanup_(strv_freep) char **addresses = NULL;

        if (check_host_addresses(ctx, name, &addresses) >= 0)
                STRV_FOREACH (a, addresses)
                        if (!address_is_loopback(*a)) {
                                *ret = strdup(*a);
                                return *ret ? 0 : -ENOMEM;
                        }
        return -ENOENT;
}

/* The same for a hint: "ADDRESS" when there is none. */
static char *hint_address(const struct check_ctx *ctx, const char *name)
{
        char *address = NULL;

        return host_address(ctx, name, &address) >= 0 ? address : strdup("ADDRESS");
}

static int emit_loopback(struct check_ctx *ctx, const struct result_def *def, const char *name,
                         const char *what, const struct etchosts_entry *lo)
{
        _cleanup_free_ char *address = hint_address(ctx, ctx->hostname),
                            *evidence = strdup_printf("%s:%u: %s %s", PATH_ETC_HOSTS, lo->line, lo->address,
                                                      lo->canonical);

        if (!address || !evidence)
                return -ENOMEM;
        return check_emit_hint(
                ctx, def, HINT_VALUES("ADDRESS", address, "NAME", name), evidence,
                "%s %s resolves to %s here (%s:%u): libvirt hands the sources tcp:%s:PORT, and a source resolving it the same way migrates to itself",
                what, name, lo->address, PATH_ETC_HOSTS, lo->line, name);
}

static int check_migration_host(struct check_ctx *ctx, const struct migration_conf *m)
{
        _cleanup_free_ char *at = origin_or(m, "migration_host", "unset"), *evidence = NULL;
        _cleanup_(entry_done) struct etchosts_entry lo = {0};
        int r;

        evidence = strdup_printf("%s: migration_host = \"%s\"", strna(at), m->host);
        if (!evidence)
                return -ENOMEM;
        if (address_is_loopback(m->host)) {
                _cleanup_free_ char *address = hint_address(ctx, ctx->hostname);

                return check_emit_hint(
                        ctx, &libvirt_migration_results[HOST_LOOPBACK],
                        HINT_VALUES("ADDRESS", strna(address), "NAME", ctx->hostname), evidence,
                        "%s: migration_host %s is a loopback address: the sources would migrate to themselves",
                        strna(at), m->host);
        }
        r = address_is_numeric(m->host) ? 0 : loopback_entry(ctx, m->host, &lo);
        if (r < 0)
                return r;
        if (r > 0)
                return emit_loopback(ctx, &libvirt_migration_results[HOST_NAME_LOOPBACK], m->host,
                                     "migration_host", &lo);
        return check_emit(ctx, &libvirt_migration_results[HOST_SET], evidence,
                          "the sources connect to tcp:%s:PORT (migration_host)", m->host);
}

/* The name libvirt's virGetHostname() gives: a dotted or "localhost..." host name as it is, else the
 * canonical name of its first /etc/hosts line (unless that is "localhost..."). */
static int canonical_hostname(const struct check_ctx *ctx, char **ret, struct etchosts_entry *ret_line)
{
        _cleanup_free_ char *hosts = NULL;
        struct etchosts_entry *e = NULL;
        size_t n = 0;
        int r;

        (void)hostfs_read_file(ctx->fs, PATH_ETC_HOSTS, &hosts, NULL);
        r = etchosts_entries(hosts, ctx->hostname, &e, &n);
        if (r < 0)
                return r;
        if (n > 0 && !strchr(ctx->hostname, '.') && !startswith(e[0].canonical, "localhost"))
                *ret = strdup(e[0].canonical);
        else
                *ret = strdup(ctx->hostname);
        if (n > 0) {
                *ret_line = e[0];
                e[0] = (struct etchosts_entry){0};
        }
        etchosts_entries_free(e, n);
        return *ret ? 0 : -ENOMEM;
}

/* migration_host unset: the sources get this host's canonical name. */
static int check_hostname(struct check_ctx *ctx, char **ret_target)
{
        _cleanup_(entry_done) struct etchosts_entry first = {0}, lo = {0};
        _cleanup_free_ char *name = NULL, *evidence = NULL;
        int r;

        if (startswith(ctx->hostname, "localhost")) {
                _cleanup_free_ char *address = hint_address(ctx, ctx->hostname);

                *ret_target = NULL;
                return check_emit_hint(
                        ctx, &libvirt_migration_results[HOSTNAME_LOCALHOST],
                        HINT_VALUES("ADDRESS", strna(address), "NAME", "this host's name"),
                        PATH_ETC_HOSTNAME,
                        "this host is named %s and migration_host is not set: libvirt refuses incoming migrations (\"hostname on destination resolved to localhost, but migration requires an FQDN\")",
                        ctx->hostname);
        }
        r = canonical_hostname(ctx, &name, &first);
        if (r >= 0)
                r = loopback_entry(ctx, name, &lo);
        if (r < 0)
                return r;
        *ret_target = strdup(name);
        if (!*ret_target)
                return -ENOMEM;
        if (r > 0)
                return emit_loopback(ctx, &libvirt_migration_results[HOSTNAME_LOOPBACK], name,
                                     "migration_host is not set, and this host's name", &lo);
        if (first.address)
                evidence = strdup_printf("%s:%u: %s %s", PATH_ETC_HOSTS, first.line, first.address,
                                         first.canonical);
        return check_emit(ctx, &libvirt_migration_results[HOSTNAME_OK], evidence,
                          "migration_host is not set: the sources connect to tcp:%s:PORT (%s)", name,
                          first.address ? "this host's name in " PATH_ETC_HOSTS
                                        : "not in " PATH_ETC_HOSTS ", DNS gives its address");
}

/* --- the range in use ----------------------------------------------------------------------------- */

/* Marks the range's ports something listens on (libvirt's allocator and QEMU cannot take those) in
 * *ret_taken; NULL when there is no socket table to read. */
static int check_ports(struct check_ctx *ctx, const struct migration_conf *m, bool **ret_taken)
{
        const unsigned n = m->port_max - m->port_min + 1;
        _cleanup_free_ bool *taken = calloc(n, sizeof(bool));
        _cleanup_(strv_freep) char **listed = NULL;
        _cleanup_free_ char *min = NULL, *max = NULL, *ports = NULL, *evidence = NULL;
        unsigned used = 0;
        int r;

        *ret_taken = NULL;
        if (!taken)
                return -ENOMEM;
        r = sockets_tcp_listening(ctx->fs, m->port_min, m->port_max, taken);
        if (r == -ENOENT)
                return check_emit(ctx, &libvirt_migration_results[PORTS_NO_TABLE], NULL,
                                  "no socket table to read (%s): not a running host", PATH_PROC_NET_TCP);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n; i++)
                if (taken[i] && ++used <= 8 && strv_push(&listed, strdup_printf("%u", m->port_min + i)) < 0)
                        return -ENOMEM;
        ports = strv_join(listed, ", ");
        min = strdup_printf("%u", m->port_min);
        max = strdup_printf("%u", m->port_max);
        evidence = strdup_printf("%s, %s: %u of %u ports listened on%s%s%s", PATH_PROC_NET_TCP,
                                 PATH_PROC_NET_TCP6, used, n, used ? " (" : "", strempty(ports),
                                 used > 8 ? ", ...)"
                                 : used   ? ")"
                                          : "");
        if (!ports || !min || !max || !evidence)
                return -ENOMEM;
        if (used == n)
                r = check_emit_hint(ctx, &libvirt_migration_results[PORTS_EXHAUSTED],
                                    HINT_VALUES("MIN", min, "MAX", max), evidence,
                                    "every migration port %u-%u is in use: an incoming migration fails",
                                    m->port_min, m->port_max);
        else if (used * 2 > n)
                r = check_emit_hint(ctx, &libvirt_migration_results[PORTS_MOSTLY_TAKEN],
                                    HINT_VALUES("MIN", min, "MAX", max), evidence,
                                    "%u of the %u migration ports %u-%u are in use", used, n, m->port_min,
                                    m->port_max);
        else
                r = check_emit(ctx, &libvirt_migration_results[PORTS_FREE], evidence,
                               "%u of the %u migration ports %u-%u are free", n - used, n, m->port_min,
                               m->port_max);
        if (r >= 0)
                *ret_taken = TAKE_PTR(taken);
        return r;
}

/* --- the probe ------------------------------------------------------------------------------------ */

/* A listening socket on port: on migration_address when that is a numeric address of one family, else
 * where QEMU listens by default (:: for both families, 0.0.0.0 without IPv6). */
static int listen_on(const char *address, unsigned port)
{
        struct sockaddr_in6 in6 = {
                .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any};
        struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(port)};
        bool v4 = address && inet_pton(AF_INET, address, &in.sin_addr) == 1;
        _cleanup_close_ int fd = -1;
        int off = 0, on = 1;

        if (!v4 && address && inet_pton(AF_INET6, address, &in6.sin6_addr) != 1)
                in6.sin6_addr = in6addr_any; /* a name: QEMU resolves it; listen everywhere */
        fd = socket(v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 && !v4 && errno == EAFNOSUPPORT) {
                v4 = true;
                fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        }
        if (fd < 0)
                return -errno;
        if (!v4 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0)
                return -errno;
        /* as libvirt's port allocator and QEMU bind: a closed connection's TIME_WAIT does not take the port,
         * a listener does */
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
                return -errno;
        if (bind(fd, v4 ? (struct sockaddr *)&in : (struct sockaddr *)&in6, v4 ? sizeof(in) : sizeof(in6)) <
                    0 ||
            listen(fd, 64) < 0)
                return -errno;
        return TAKE_FD(fd);
}

/* The highest free port of the range: a firewall that opens only the range's start shows. */
static int listen_on_range(const struct migration_conf *m, const bool *taken, unsigned *ret_port)
{
        for (unsigned port = m->port_max; port >= m->port_min; port--) {
                int fd;

                if (taken && taken[port - m->port_min])
                        continue;
                fd = listen_on(m->address, port);
                if (fd != -EADDRINUSE) {
                        *ret_port = port;
                        return fd;
                }
        }
        return -EADDRINUSE;
}

struct acceptor {
        int listen_fd;
        int stop_fd, stop_write_fd; /* the parent closes the write end when the peers are done */
        size_t expected;
        usec_t deadline;
};

/* In a child: accepts the peers' connections and closes them at once (that ends their ssh -W), writing
 * the address each came from. */
static int accept_peers(void *userdata, int fd)
{
        const struct acceptor *a = userdata;

        close(a->stop_write_fd);
        for (size_t n = 0; n < a->expected;) {
                struct pollfd p[2] = {{.fd = a->listen_fd, .events = POLLIN},
                                      {.fd = a->stop_fd, .events = POLLIN}};
                struct sockaddr_storage sa;
                socklen_t len = sizeof(sa);
                char host[NI_MAXHOST];
                usec_t now = now_usec();
                int c;

                if (now >= a->deadline)
                        return 0;
                if (poll(p, 2, (int)((a->deadline - now) / USEC_PER_MSEC) + 1) < 0 && errno != EINTR)
                        return 1;
                if (p[1].revents)
                        return 0;
                if (!(p[0].revents & POLLIN))
                        continue;
                c = accept4(a->listen_fd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
                if (c < 0)
                        continue;
                if (getnameinfo((struct sockaddr *)&sa, len, host, sizeof(host), NULL, 0, NI_NUMERICHOST) ==
                    0) {
                        /* the dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d */
                        const char *shown =
                                startswith(host, "::ffff:") && strchr(host, '.') ? host + 7 : host;

                        (void)spawn_reply(fd, shown, strlen(shown));
                        (void)spawn_reply(fd, "\n", 1);
                }
                close(c);
                n++;
        }
        return 0;
}

/* The peers that migrate guests here: the hypervisors (a --peer the profile does not name is one). */
static int migration_sources(const struct check_ctx *ctx, char ***ret)
{
        _cleanup_(strv_freep) char **hypervisors = NULL, **sources = NULL;
        int r;

        r = check_hosts_with_role(ctx, ROLE_HYPERVISOR, &hypervisors);
        if (r < 0)
                return r;
        STRV_FOREACH (p, ctx->peers)
                if (strv_contains(hypervisors, *p) && strv_push_dup(&sources, *p) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(sources);
        return 0;
}

/* ssh -W TARGET:PORT USER@PEER: the peer's sshd opens the connection, no remote command. */
static int forward_argv(const struct check_ctx *ctx, const char *peer, const char *forward, char ***ret)
{
        const char *port = conf_get(ctx->profile, "ssh", "port");
        struct ssh_options o = {
                .user = conf_get(ctx->profile, "ssh", "user"),
                .identity = conf_get(ctx->profile, "ssh", "identity"),
                .connect_timeout = PROBE_SSH_CONNECT_TIMEOUT,
        };
        _cleanup_(strv_freep) char **base = NULL, **v = NULL;
        int r;

        if (port && safe_atou(port, &o.port) < 0)
                o.port = 0;
        r = ssh_argv(&o, peer, NULL, &base);
        if (r < 0)
                return r;
        /* ssh keeps the first value of an option: INFO before ssh_argv()'s ERROR, as ssh says why a
         * forward failed ("open failed: connect failed: Connection refused") at that level only */
        if (strv_push_dup(&v, base[0]) < 0 || strv_push_dup(&v, "-o") < 0 ||
            strv_push_dup(&v, "LogLevel=INFO") < 0 || strv_push_dup(&v, "-W") < 0 ||
            strv_push_dup(&v, forward) < 0)
                return -ENOMEM;
        for (size_t i = 1; base[i]; i++)
                if (strv_push_dup(&v, base[i]) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(v);
        return 0;
}

/* What became of one peer's connection, from how its ssh -W ended. */
static int probe_outcome(const struct spawn_job *j)
{
        const char *err = strempty(j->err), *open = strstr(err, "open failed: ");

        if (j->exited && !j->timed_out && j->exit_status == 0)
                return PROBE_REACHABLE;
        if (open) { /* logged in; the peer's sshd could not connect */
                if (strstr(open, "administratively prohibited"))
                        return PROBE_FORWARDING_REFUSED;
                if (strstr(open, "Connection refused"))
                        return PROBE_REFUSED;
                if (strstr(open, "timed out"))
                        return PROBE_BLOCKED;
                if (strstr(open, "not known") || strstr(open, "name resolution") ||
                    strstr(open, "No address"))
                        return PROBE_UNRESOLVED;
                return PROBE_CONNECT_FAILED;
        }
        /* still connecting when the probe ended: ssh's own connect and banner wait end earlier */
        if (j->timed_out && !*err)
                return PROBE_BLOCKED;
        return PROBE_SSH_FAILED;
}

struct probe {
        const char *target; /* as libvirt hands it to the sources */
        char *forward;      /* TARGET:PORT */
        unsigned port;
        char *range;
        char *accepted; /* the addresses connections came from, one a line */
        usec_t window;
};

static int emit_probe(struct check_ctx *ctx, const struct probe *p, const char *peer,
                      const struct spawn_job *j)
{
        int outcome = probe_outcome(j);
        _cleanup_free_ char *err = strndup(strempty(j->err), strcspn(strempty(j->err), "\n")),
                            *evidence = NULL;
        const char *const values[] = {"RANGE", p->range, "TARGET", p->target, "PEER", peer, NULL};
        const struct result_def *def = &libvirt_migration_results[outcome];
        const char *why;

        _cleanup_free_ char *status =
                j->timed_out ? strdup_printf("no answer within %.1f s", (double)p->window / USEC_PER_SEC)
                             : strdup_printf("exit %d", j->exit_status);

        evidence = strdup_printf("ssh -W %s root@%s: %s%s%s%s%s", p->forward, peer, strna(status),
                                 err && *err ? ": " : "", strempty(err),
                                 outcome == PROBE_REACHABLE && p->accepted ? "; accepted from " : "",
                                 outcome == PROBE_REACHABLE ? strempty(p->accepted) : "");
        if (!evidence)
                return -ENOMEM;
        switch (outcome) {
        case PROBE_REACHABLE:
                return result_list_add_def(ctx->results, def, NULL, values, evidence,
                                           "the migration port %u of %s on %s is reachable from %s", p->port,
                                           p->range, p->target, peer);
        case PROBE_BLOCKED:
                why = "no answer: a firewall drops it?";
                break;
        case PROBE_REFUSED:
                why = "refused: a firewall rejects it, or the name leads elsewhere there?";
                break;
        case PROBE_UNRESOLVED:
                why = "the peer cannot resolve the name";
                break;
        case PROBE_FORWARDING_REFUSED:
                return result_list_add_def(
                        ctx->results, def, NULL, values, evidence,
                        "cannot probe the migration port %u from %s: its sshd does not forward TCP", p->port,
                        peer);
        case PROBE_SSH_FAILED:
                return result_list_add_def(
                        ctx->results, def, NULL, values, evidence,
                        "cannot probe the migration port %u from %s: %s", p->port, peer,
                        j->spawn_failed
                                ? "ssh cannot be run here (is openssh-client installed?)"
                                : ssh_failure_to_string(ssh_classify(j->exit_status, j->timed_out, j->err)));
        default:
                why = "the connection failed";
        }
        return result_list_add_def(ctx->results, def, NULL, values, evidence,
                                   "the migration port %u of %s on %s is not reachable from %s: %s", p->port,
                                   p->range, p->target, peer, why);
}

/* Runs ssh -W from every source at once while a child accepts; p->accepted gets who connected. */
static int run_probe(const struct check_ctx *ctx, struct probe *p, int listen_fd, char **sources,
                     struct spawn_job *jobs)
{
        const size_t n = strv_length(sources);
        usec_t until = now_usec() + PROBE_USEC;
        int stop[2], r = 0;

        if (ctx->deadline < until + 300 * USEC_PER_MSEC)
                until = ctx->deadline > now_usec() + 300 * USEC_PER_MSEC
                                ? ctx->deadline - 200 * USEC_PER_MSEC
                                : ctx->deadline;
        p->window = until - now_usec();
        if (pipe2(stop, O_CLOEXEC) < 0)
                return -errno;
        struct acceptor a = {listen_fd, stop[0], stop[1], n, until};
        jobs[0] = (struct spawn_job){.call = accept_peers, .userdata = &a, .output_max = 64 * 1024};
        r = spawn_start(&jobs[0]);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = spawn_start(&jobs[1 + i]);
        if (r >= 0)
                r = spawn_wait_many(jobs + 1, n, until);
        close(stop[1]);
        close(stop[0]);
        if (r >= 0)
                r = spawn_wait_many(jobs, 1, now_usec() + 500 * USEC_PER_MSEC);
        if (r >= 0 && jobs[0].out) {
                p->accepted = strdup(jobs[0].out);
                for (char *c = p->accepted; c && *c; c++)
                        if (*c == '\n')
                                *c = c[1] ? ',' : '\0';
        }
        return r;
}

static int check_probe(struct check_ctx *ctx, const struct migration_conf *m, const char *target,
                       const bool *taken)
{
        _cleanup_(strv_freep) char **sources = NULL;
        _cleanup_close_ int fd = -1;
        char ***argvs = NULL;
        struct probe p = {.target = target};
        struct spawn_job *jobs = NULL;
        size_t n;
        int r;

        if (!hostfs_is_live(ctx->fs))
                return check_emit(ctx, &libvirt_migration_results[PROBE_NOT_LIVE], NULL,
                                  "probing the migration ports needs the running host, not --root");
        r = migration_sources(ctx, &sources);
        if (r < 0)
                return r;
        if (!sources || !sources[0])
                return check_emit(ctx, &libvirt_migration_results[PROBE_NO_PEERS], NULL,
                                  "the profile names no other hypervisor to migrate from");
        if (!target)
                return check_emit(ctx, &libvirt_migration_results[PROBE_NO_PORT], NULL,
                                  "libvirt gives the sources no address to connect to");
        fd = listen_on_range(m, taken, &p.port);
        if (fd == -EADDRINUSE)
                return check_emit(ctx, &libvirt_migration_results[PROBE_NO_PORT], NULL,
                                  "no free port in %u-%u to listen on", m->port_min, m->port_max);
        if (fd < 0)
                return check_emit(ctx, &libvirt_migration_results[PROBE_LISTEN_FAILED], NULL,
                                  "cannot listen on port %u: %s", p.port, strerror(-fd));
        n = strv_length(sources);
        p.range = strdup_printf("%u-%u", m->port_min, m->port_max);
        p.forward = strchr(target, ':') ? strdup_printf("[%s]:%u", target, p.port)
                                        : strdup_printf("%s:%u", target, p.port);
        jobs = calloc(n + 1, sizeof(*jobs));
        argvs = calloc(n + 1, sizeof(char **));
        r = p.range && p.forward && jobs && argvs ? 0 : -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = forward_argv(ctx, sources[i], p.forward, &argvs[i]);
                jobs[1 + i] = (struct spawn_job){.argv = argvs[i]};
        }
        if (r >= 0)
                r = run_probe(ctx, &p, fd, sources, jobs);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = emit_probe(ctx, &p, sources[i], &jobs[1 + i]);
        spawn_jobs_free(jobs, jobs ? n + 1 : 0);
        for (size_t i = 0; argvs && i < n; i++)
                strv_free(argvs[i]);
        free(argvs);
        free(p.range);
        free(p.forward);
        free(p.accepted);
        return r;
}

static int libvirt_migration_check(struct check_ctx *ctx)
{
        _cleanup_(migration_conf_done) struct migration_conf m = {0};
        _cleanup_free_ char *target = NULL;
        _cleanup_free_ bool *taken = NULL;
        int r, range;

        r = read_migration_conf(ctx, &m);
        if (r <= 0)
                return r;
        range = check_range(ctx, &m);
        if (range < 0)
                return range;
        r = check_address(ctx, &m);
        if (r >= 0 && m.host) {
                r = check_migration_host(ctx, &m);
                target = strdup(m.host);
                if (r >= 0 && !target)
                        r = -ENOMEM;
        } else if (r >= 0)
                r = check_hostname(ctx, &target);
        if (r < 0 || range == 0)
                return r; /* no ports to count or probe: libvirt does not take the range */
        r = check_ports(ctx, &m, &taken);
        if (r < 0)
                return r;
        return check_probe(ctx, &m, target, taken);
}

/* --- fix ------------------------------------------------------------------------------------------ */

/* migration_host as the profile says: auto takes this host's address from /etc/hosts. *ret NULL when
 * a result says why there is none. */
static int wanted_host(struct check_ctx *ctx, const char *want, char **ret)
{
        int r;

        *ret = NULL;
        if (!streq(want, "auto")) {
                *ret = strdup(want);
                return *ret ? 0 : -ENOMEM;
        }
        r = host_address(ctx, ctx->hostname, ret);
        if (r == -ENOENT)
                return check_emit(
                        ctx, &libvirt_migration_results[FIX_NO_ADDRESS], PATH_ETC_HOSTS,
                        "[libvirt] migration_host = auto, but %s gives %s no address other than a loopback one",
                        PATH_ETC_HOSTS, ctx->hostname);
        return r;
}

static int plan_qemu_restart(struct check_ctx *ctx, struct plan *plan)
{
        _cleanup_free_ char *error = NULL;
        struct libvirtd_model m;
        int r = libvirtd_model_read(ctx, &m, &error);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        /* the modular daemons: virtqemud reads qemu.conf, not virtproxyd */
        r = libvirtd_plan_restart(
                ctx, &m, m.flavor == LIBVIRTD_FLAVOR_MODULAR ? "virtqemud.service" : NULL, plan,
                "libvirt.migration",
                "libvirt's QEMU driver reads qemu.conf when it starts; running guests go on");
        if (r == -ENOENT)
                r = check_emit_hint(ctx, &libvirt_migration_results[FIX_RESTART_BY_HAND],
                                    HINT_VALUES("DAEMON", m.daemon), m.daemon,
                                    "%s must be restarted by hand to read qemu.conf", m.daemon);
        libvirtd_model_done(&m);
        return r < 0 ? r : 0;
}

static int libvirt_migration_fix(struct check_ctx *ctx, struct plan *plan)
{
        const char *want = conf_get(ctx->profile, "libvirt", "migration_host");
        _cleanup_free_ char *host = NULL, *literal = NULL, *error = NULL;
        _cleanup_(conf_edit_done) struct conf_edit e = {0};
        const struct result_def *r_defs = libvirt_migration_results;
        int r;

        if (!want ||
            !(check_gave(ctx, &r_defs[HOST_LOOPBACK]) || check_gave(ctx, &r_defs[HOSTNAME_LOCALHOST]) ||
              check_gave(ctx, &r_defs[HOSTNAME_LOOPBACK])))
                return 0;
        r = wanted_host(ctx, want, &host);
        if (r < 0 || !host)
                return r;
        literal = strdup_printf("\"%s\"", host);
        if (!literal)
                return -ENOMEM;
        r = conf_edit_begin(ctx, PATH_QEMU_CONF, false, &e);
        if (r >= 0)
                r = conf_edit_set(ctx, &e, "migration_host", literal,
                                  "the sources connect here for incoming migrations", &error);
        if (r == -EINVAL || r == -EBADMSG)
                return check_emit(ctx, &r_defs[FIX_CANNOT_EDIT], PATH_QEMU_CONF, "not editing %s: %s",
                                  PATH_QEMU_CONF, strna(error));
        if (r >= 0)
                r = conf_edit_plan(ctx, &e, plan, "libvirt.migration",
                                   "incoming migrations name an address the sources reach");
        if (r > 0)
                r = plan_qemu_restart(ctx, plan);
        return r < 0 ? r : 0;
}

const struct unit unit_libvirt_migration = {
        .id = "libvirt.migration",
        .title = "incoming migrations get a valid, free, reachable port and an address the sources reach",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = libvirt_migration_results,
        .n_results = ELEMENTSOF(libvirt_migration_results),
        .check = libvirt_migration_check,
        .fix = libvirt_migration_fix,
};

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net.firewall: which ports this host must let in, and from whom. Hypervisors take libvirtd's transport
 * ([migrate] transport: 16509/tcp, 16514/tcp, or sshd's port; libvirtd's own tcp_port/tls_port when it
 * listens itself) and qemu.conf's migration range from the other hypervisors. The NFS server takes NFS
 * from its clients: 2049/tcp for NFSv4; for NFSv3 also rpcbind (111 tcp+udp), 2049/udp and the helpers
 * mountd, statd and lockd, which listen where /etc/nfs.conf pins them and on random ports otherwise (no
 * firewall can be opened for those). Every host takes the overlay's ports (tinc 655 tcp+udp, VXLAN
 * [network] vxlan_port/udp, 4789 unless set, when overlay lists vxlan or vxlan_vni is set) and
 * [firewall] ports from every other host.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "libvirt-conf.h"
#include "libvirtd-model.h"
#include "net-firewall.h"
#include "nfsconf.h"
#include "strv.h"

#define MIGRATION_PORT_MIN 49152
#define MIGRATION_PORT_MAX 49215

void fw_needs_done(struct fw_needs *n)
{
        for (size_t i = 0; i < n->n; i++) {
                free(n->items[i].what);
                free(n->items[i].service);
                free(n->items[i].origin);
                strv_free(n->items[i].from);
        }
        free(n->items);
        strv_free(n->dynamic);
        free(n->dynamic_origin);
        *n = (struct fw_needs){};
}

char *fw_port_string(unsigned lo, unsigned hi, uint8_t proto)
{
        const char *p = proto == IPPROTO_UDP ? "udp" : "tcp";

        return lo == hi ? strdup_printf("%u/%s", lo, p) : strdup_printf("%u-%u/%s", lo, hi, p);
}

int fw_port_parse(const char *s, unsigned *ret_lo, unsigned *ret_hi, uint8_t *ret_proto)
{
        _cleanup_free_ char *copy = strdup(s);
        char *slash, *dash;
        unsigned lo, hi;
        uint8_t proto = IPPROTO_TCP;

        if (!copy)
                return -ENOMEM;
        slash = strchr(copy, '/');
        if (slash) {
                *slash++ = 0;
                if (streq(slash, "udp"))
                        proto = IPPROTO_UDP;
                else if (!streq(slash, "tcp"))
                        return -EINVAL;
        }
        dash = strchr(copy, '-');
        if (dash)
                *dash++ = 0;
        if (safe_atou(copy, &lo) < 0 || safe_atou(dash ? dash : copy, &hi) < 0 || lo == 0 || hi > 65535 ||
            hi < lo)
                return -EINVAL;
        *ret_lo = lo;
        *ret_hi = hi;
        *ret_proto = proto;
        return 0;
}

static int need_add(struct fw_needs *n, const char *what, unsigned lo, unsigned hi, uint8_t proto,
                    const char *service, const char *origin, char *const *from)
{
        struct fw_need *p = realloc(n->items, (n->n + 1) * sizeof(*p));
        struct fw_need *x;

        if (!p)
                return -ENOMEM;
        n->items = p;
        x = &p[n->n++];
        *x = (struct fw_need){.what = strdup(what),
                              .lo = lo,
                              .hi = hi,
                              .proto = proto,
                              .service = service ? strdup(service) : NULL,
                              .origin = strdup(origin)};
        STRV_FOREACH (f, from)
                if (strv_push_dup(&x->from, *f) < 0)
                        return -ENOMEM;
        return x->what && x->origin && (!service || x->service) ? 0 : -ENOMEM;
}

/* libvirtd's port for the transport: the socket unit's under socket activation, else its own setting. */
static int transport_port(const struct check_ctx *ctx, bool tls, unsigned *ret, char **ret_origin)
{
        _cleanup_(libvirt_conf_freep) struct libvirt_conf *c = NULL;
        _cleanup_free_ char *error = NULL;
        struct libvirtd_model m = {};
        const char *setting = tls ? "tls_port" : "tcp_port";
        _cleanup_free_ char *port = NULL;
        int r;

        *ret = tls ? 16514 : 16509;
        *ret_origin = strdup(tls ? "libvirtd-tls.socket" : "libvirtd-tcp.socket");
        r = libvirtd_model_read(ctx, &m, &error);
        if (r >= 0 && m.activation != LIBVIRTD_ACTIVATION_SOCKET &&
            libvirtd_conf_read(ctx, &m, &c, NULL) > 0 && libvirt_conf_get_string(c, setting, &port) >= 0 &&
            safe_atou(port, ret) >= 0) {
                free(*ret_origin);
                *ret_origin = libvirt_conf_origin(c, setting);
        }
        libvirtd_model_done(&m);
        return *ret_origin ? 0 : -ENOMEM;
}

static int migration_range(const struct check_ctx *ctx, unsigned *lo, unsigned *hi, char **ret_origin)
{
        _cleanup_(libvirt_conf_freep) struct libvirt_conf *c = NULL;

        *lo = MIGRATION_PORT_MIN;
        *hi = MIGRATION_PORT_MAX;
        if (libvirt_conf_read(ctx->fs, PATH_QEMU_CONF, &c, NULL) >= 0) {
                (void)libvirt_conf_get_uint(c, "migration_port_min", lo);
                (void)libvirt_conf_get_uint(c, "migration_port_max", hi);
                *ret_origin = libvirt_conf_origin(c, "migration_port_min");
        }
        if (*lo == 0 || *hi < *lo || *hi > 65535) {
                *lo = MIGRATION_PORT_MIN; /* libvirt.migration says what is wrong with it */
                *hi = MIGRATION_PORT_MAX;
        }
        if (!*ret_origin)
                *ret_origin = strdup("qemu.conf default");
        return *ret_origin ? 0 : -ENOMEM;
}

static int hypervisor_needs(const struct check_ctx *ctx, struct fw_needs *n)
{
        _cleanup_(strv_freep) char **from = NULL;
        _cleanup_free_ char *origin = NULL, *mig_origin = NULL;
        const char *transport = strempty(conf_get(ctx->profile, "migrate", "transport"));
        const char *ssh_port = conf_get(ctx->profile, "ssh", "port");
        unsigned port = 22, lo, hi;
        int r = check_peers_with_role(ctx, ROLE_HYPERVISOR, &from);

        if (r < 0 || !from)
                return r;
        if (streq(transport, "ssh")) {
                origin = strdup(ssh_port ? "[ssh] port" : "sshd's default");
                if (ssh_port)
                        (void)safe_atou(ssh_port, &port);
                r = origin ? need_add(n, "sshd (qemu+ssh)", port, port, IPPROTO_TCP, "ssh", origin, from)
                           : -ENOMEM;
        } else {
                bool tls = streq(transport, "tls");

                r = transport_port(ctx, tls, &port, &origin);
                if (r >= 0)
                        r = need_add(n, tls ? "libvirtd (qemu+tls)" : "libvirtd (qemu+tcp)", port, port,
                                     IPPROTO_TCP, tls ? "libvirt-tls" : "libvirt", origin, from);
        }
        if (r >= 0)
                r = migration_range(ctx, &lo, &hi, &mig_origin);
        return r < 0 ? r : need_add(n, "QEMU migration", lo, hi, IPPROTO_TCP, NULL, mig_origin, from);
}

/* An NFSv3 helper's pinned port from nfs.conf (key, e.g. "port" or "udp-port"); 0 when dynamic. */
static unsigned pinned(const struct nfs_conf *c, const char *section, const char *key, const char **origin)
{
        const struct nfs_conf_entry *e = nfs_conf_get(c, section, key);
        unsigned p = 0;

        if (e && safe_atou(e->value, &p) >= 0 && p > 0 && p <= 65535) {
                *origin = e->origin;
                return p;
        }
        return 0;
}

static int nfs3_helpers(const struct check_ctx *ctx, struct fw_needs *n, char *const *from)
{
        static const struct {
                const char *section, *key, *what, *service;
                uint8_t proto;
        } helpers[] = {
                {"mountd", "port", "mountd", "mountd", 0},
                {"statd", "port", "statd", NULL, 0},
                {"lockd", "port", "lockd", NULL, IPPROTO_TCP},
                {"lockd", "udp-port", "lockd", NULL, IPPROTO_UDP},
        };
        struct nfs_conf c = {};
        int r = nfs_conf_read(ctx->fs, &c);

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(helpers); i++) {
                const char *origin = NULL;
                unsigned p = pinned(&c, helpers[i].section, helpers[i].key, &origin);
                bool both = !helpers[i].proto;

                if (!p) {
                        if (!strv_contains(n->dynamic, helpers[i].what))
                                r = strv_push_dup(&n->dynamic, helpers[i].what);
                        continue;
                }
                if (both || helpers[i].proto == IPPROTO_TCP)
                        r = need_add(n, helpers[i].what, p, p, IPPROTO_TCP, both ? helpers[i].service : NULL,
                                     origin, from);
                if (r >= 0 && (both || helpers[i].proto == IPPROTO_UDP))
                        r = need_add(n, helpers[i].what, p, p, IPPROTO_UDP, NULL, origin, from);
        }
        if (r >= 0 && n->dynamic)
                n->dynamic_origin = strdup(PATH_NFS_CONF);
        nfs_conf_done(&c);
        return r;
}

static int nfs_server_needs(const struct check_ctx *ctx, struct fw_needs *n)
{
        _cleanup_(strv_freep) char **from = NULL;
        const char *clients = conf_get(ctx->profile, "nfs", "clients");
        const char *version = strempty(conf_get(ctx->profile, "nfs", "version"));
        int r;

        r = clients ? strv_split(clients, ", \t", &from)
                    : check_peers_with_role(ctx, ROLE_HYPERVISOR, &from);
        if (r < 0 || !from || !from[0])
                return r;
        if (!streq(version, "3"))
                return need_add(n, "NFSv4", 2049, 2049, IPPROTO_TCP, "nfs", "[nfs] version", from);
        n->nfs3 = true;
        r = need_add(n, "NFS", 2049, 2049, IPPROTO_TCP, NULL, "[nfs] version = 3", from);
        if (r >= 0)
                r = need_add(n, "NFS", 2049, 2049, IPPROTO_UDP, NULL, "[nfs] version = 3", from);
        if (r >= 0)
                r = need_add(n, "rpcbind", 111, 111, IPPROTO_TCP, "rpc-bind", "[nfs] version = 3", from);
        if (r >= 0)
                r = need_add(n, "rpcbind", 111, 111, IPPROTO_UDP, NULL, "[nfs] version = 3", from);
        return r < 0 ? r : nfs3_helpers(ctx, n, from);
}

static int everyone_needs(const struct check_ctx *ctx, struct fw_needs *n, char **ret_error)
{
        _cleanup_(strv_freep) char **overlay = NULL, **extra = NULL;
        const char *o = conf_get(ctx->profile, "network", "overlay"),
                   *e = conf_get(ctx->profile, "firewall", "ports");
        int r = 0;

        if (!ctx->peers || !ctx->peers[0])
                return 0;
        if ((o && strv_split(o, ", \t", &overlay) < 0) || (e && strv_split(e, ", \t", &extra) < 0))
                return -ENOMEM;
        STRV_FOREACH (w, overlay) {
                if (streq(*w, "tinc")) {
                        r = need_add(n, "tinc", 655, 655, IPPROTO_TCP, "tinc", "[network] overlay",
                                     ctx->peers);
                        if (r >= 0)
                                r = need_add(n, "tinc", 655, 655, IPPROTO_UDP, NULL, "[network] overlay",
                                             ctx->peers);
                } else if (!streq(*w, "vxlan") && !streq(*w, "none")) {
                        *ret_error = strdup_printf("[network] overlay: unknown overlay '%s'", *w);
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        if (check_overlay_wanted(ctx->profile, "vxlan")) {
                const char *p = conf_get(ctx->profile, "network", "vxlan_port");
                unsigned port = 4789;

                (void)safe_atou(strempty(p), &port);
                r = need_add(n, "VXLAN", port, port, IPPROTO_UDP, NULL,
                             p && !streq(p, "4789")            ? "[network] vxlan_port"
                             : strv_contains(overlay, "vxlan") ? "[network] overlay"
                                                               : "[network] vxlan_vni",
                             ctx->peers);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH (w, extra) {
                unsigned lo, hi;
                uint8_t proto;

                if (fw_port_parse(*w, &lo, &hi, &proto) < 0) {
                        *ret_error =
                                strdup_printf("[firewall] ports: '%s' is not PORT[-PORT][/tcp|/udp]", *w);
                        return -EINVAL;
                }
                r = need_add(n, "[firewall] ports", lo, hi, proto, NULL, "[firewall] ports", ctx->peers);
                if (r < 0)
                        return r;
        }
        return 0;
}

int fw_needs_read(const struct check_ctx *ctx, struct fw_needs *ret, char **ret_error)
{
        struct fw_needs n = {};
        int r = 0;

        if (ctx->roles & ROLE_BIT(ROLE_HYPERVISOR))
                r = hypervisor_needs(ctx, &n);
        if (r >= 0 && (ctx->roles & ROLE_BIT(ROLE_NFS_SERVER)))
                r = nfs_server_needs(ctx, &n);
        if (r >= 0)
                r = everyone_needs(ctx, &n, ret_error);
        if (r < 0) {
                fw_needs_done(&n);
                return r;
        }
        *ret = n;
        return 0;
}

/* --- peers ------------------------------------------------------------------------------------------ */

void fw_peer_done(struct fw_peer *p)
{
        free(p->name);
        free(p->address);
        free(p->iifname);
        *p = (struct fw_peer){};
}

static int resolve_live(const char *name, char **ret)
{
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG}, *ai = NULL;
        char buf[INET6_ADDRSTRLEN];
        int r;

        if (getaddrinfo(name, NULL, &hints, &ai) != 0 || !ai)
                return -ENOENT;
        r = getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, sizeof(buf), NULL, 0, NI_NUMERICHOST);
        freeaddrinfo(ai);
        if (r != 0)
                return -ENOENT;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

/* The interface a reply to address leaves by, which is where its packets come in (symmetric routing):
 * a connected UDP socket picks the route (nothing is sent), its local address names the interface. */
int fw_route_interface(int family, const char *address, char **ret)
{
        struct sockaddr_storage sa = {.ss_family = family}, local;
        socklen_t len = sizeof(local);
        struct ifaddrs *ifs = NULL;
        _cleanup_close_ int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int r = -ENOENT;

        if (family == AF_INET) {
                ((struct sockaddr_in *)&sa)->sin_port = htons(9);
                inet_pton(AF_INET, address, &((struct sockaddr_in *)&sa)->sin_addr);
        } else {
                ((struct sockaddr_in6 *)&sa)->sin6_port = htons(9);
                inet_pton(AF_INET6, address, &((struct sockaddr_in6 *)&sa)->sin6_addr);
        }
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            getsockname(fd, (struct sockaddr *)&local, &len) < 0 || getifaddrs(&ifs) < 0)
                return -errno;
        for (struct ifaddrs *i = ifs; i && r == -ENOENT; i = i->ifa_next) {
                if (!i->ifa_addr || i->ifa_addr->sa_family != family)
                        continue;
                if (family == AF_INET ? ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr ==
                                                ((struct sockaddr_in *)&local)->sin_addr.s_addr
                                      : memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
                                               &((struct sockaddr_in6 *)&local)->sin6_addr, 16) == 0)
                        r = (*ret = strdup(i->ifa_name)) ? 0 : -ENOMEM;
        }
        freeifaddrs(ifs);
        return r;
}

int fw_peer_resolve(const struct check_ctx *ctx, const char *name, struct fw_peer *ret)
{
        _cleanup_(strv_freep) char **addrs = NULL;
        struct fw_peer p = {.name = strdup(name)};
        unsigned char buf[16];
        int r;

        if (!p.name)
                return -ENOMEM;
        r = check_host_addresses(ctx, name, &addrs);
        if (r < 0) {
                fw_peer_done(&p);
                return r;
        }
        if (addrs && addrs[0])
                p.address = strdup(addrs[0]);
        else if (hostfs_is_live(ctx->fs))
                (void)resolve_live(name, &p.address);
        if (p.address)
                p.family = inet_pton(AF_INET, p.address, buf) == 1 ? AF_INET : AF_INET6;
        if (p.address && hostfs_is_live(ctx->fs))
                (void)fw_route_interface(p.family, p.address, &p.iifname);
        *ret = p;
        return 0;
}

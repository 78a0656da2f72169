/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "netstate.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "json-util.h"
#include "lineiter.h"
#include "pathnames.h"
#include "strv.h"

static void link_done(struct net_link *l)
{
        free(l->name);
        free(l->kind);
        free(l->master);
        free(l->lower);
        free(l->operstate);
        strv_free(l->addresses);
        strv_free(l->vxlan_remotes);
}

void net_state_done(struct net_state *s)
{
        for (size_t i = 0; i < s->n_links; i++)
                link_done(&s->links[i]);
        free(s->links);
        free(s->default_dev);
        free(s->default_gateway);
        *s = (struct net_state){0};
}

const struct net_link *net_state_find(const struct net_state *s, const char *name)
{
        for (size_t i = 0; i < s->n_links; i++)
                if (streq(s->links[i].name, name))
                        return &s->links[i];
        return NULL;
}

static struct net_link *link_by_index(struct net_state *s, int ifindex)
{
        for (size_t i = 0; ifindex > 0 && i < s->n_links; i++)
                if (s->links[i].ifindex == ifindex)
                        return &s->links[i];
        return NULL;
}

bool net_link_is_guest(const struct net_link *l)
{
        const char *n = l->name;

        if (l->kind && streq(l->kind, "tun"))
                return true;
        return (startswith(n, "vnet") && n[4] >= '0' && n[4] <= '9') || startswith(n, "tap") ||
               (startswith(n, "vif") && n[3] >= '0' && n[3] <= '9');
}

const struct net_link **net_state_ports(const struct net_state *s, const char *bridge)
{
        const struct net_link **v = calloc(s->n_links + 1, sizeof(*v));
        size_t n = 0;

        for (size_t i = 0; v && i < s->n_links; i++)
                if (s->links[i].master && streq(s->links[i].master, bridge))
                        v[n++] = &s->links[i];
        return v;
}

static int vxlan_remote_add(struct net_link *l, const char *address)
{
        if (!address || !*address || strv_contains(l->vxlan_remotes, address))
                return 0;
        return strv_push_dup(&l->vxlan_remotes, address);
}

static struct net_link *link_add(struct net_state *s, const char *name)
{
        struct net_link *n = realloc(s->links, (s->n_links + 1) * sizeof(*n));

        if (!n)
                return NULL;
        s->links = n;
        n[s->n_links] = (struct net_link){.name = strdup(name), .carrier = -1};
        if (!n[s->n_links].name)
                return NULL;
        return &n[s->n_links++];
}

/* ---- netlink ---- */

static void nl_socket_freep(struct nl_sock **s)
{
        if (*s)
                nl_socket_free(*s);
}

static void nl_cache_freep(struct nl_cache **c)
{
        if (*c)
                nl_cache_free(*c);
}

static void nl_addr_putp(struct nl_addr **a)
{
        if (*a)
                nl_addr_put(*a);
}

/* An address as text without a prefix length ("10.0.0.2", not "10.0.0.2/32"). */
static char *nl_addr_text(struct nl_addr *a)
{
        char buf[INET6_ADDRSTRLEN + 8];

        if (!a || nl_addr_iszero(a))
                return NULL;
        nl_addr2str(a, buf, sizeof(buf));
        buf[strcspn(buf, "/")] = 0;
        return strdup(buf);
}

static int vxlan_from_rtnl(struct net_link *l, struct rtnl_link *rl)
{
        _cleanup_(nl_addr_putp) struct nl_addr *group = NULL;
        _cleanup_free_ char *remote = NULL;
        uint32_t port = 0;

        l->vxlan_known = rtnl_link_vxlan_get_id(rl, &l->vxlan_id) >= 0;
        if (rtnl_link_vxlan_get_port(rl, &port) >= 0)
                l->vxlan_port = port;
        if (rtnl_link_vxlan_get_group(rl, &group) >= 0 && group && !(remote = nl_addr_text(group)) &&
            !nl_addr_iszero(group))
                return -ENOMEM;
        return vxlan_remote_add(l, remote);
}

static int link_from_rtnl(struct net_state *s, struct rtnl_link *rl)
{
        struct net_link *l = link_add(s, rtnl_link_get_name(rl));
        const char *kind = rtnl_link_get_type(rl);
        char state[32];

        if (!l)
                return -ENOMEM;
        l->ifindex = rtnl_link_get_ifindex(rl);
        l->kind = kind ? strdup(kind) : NULL;
        l->operstate = strdup(rtnl_link_operstate2str(rtnl_link_get_operstate(rl), state, sizeof(state)));
        l->admin_up = rtnl_link_get_flags(rl) & IFF_UP;
        l->carrier = rtnl_link_get_carrier(rl);
        l->mtu = rtnl_link_get_mtu(rl);
        /* the master and a VXLAN's underlay are ifindexes, named once every link is known */
        l->master_ifindex = rtnl_link_get_master(rl);
        if ((kind && !l->kind) || !l->operstate)
                return -ENOMEM;
        if (kind && streq(kind, "vxlan")) {
                uint32_t lower = 0;
                if (rtnl_link_vxlan_get_link(rl, &lower) >= 0)
                        l->lower_ifindex = (int)lower;
                return vxlan_from_rtnl(l, rl);
        }
        return 0;
}

static int name_indexes(struct net_state *s)
{
        for (size_t i = 0; i < s->n_links; i++) {
                struct net_link *l = &s->links[i];
                const struct net_link *m = link_by_index(s, l->master_ifindex),
                                      *u = link_by_index(s, l->lower_ifindex);

                l->master = m ? strdup(m->name) : NULL;
                l->lower = u ? strdup(u->name) : NULL;
                if ((m && !l->master) || (u && !l->lower))
                        return -ENOMEM;
        }
        return 0;
}

static int addresses_from_rtnl(struct net_state *s, struct nl_cache *addrs)
{
        for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *)o;
                struct net_link *l = link_by_index(s, rtnl_addr_get_ifindex(a));
                struct nl_addr *local = rtnl_addr_get_local(a);
                char buf[INET6_ADDRSTRLEN + 8];

                if (!l || !local)
                        continue;
                nl_addr2str(local, buf, sizeof(buf));
                if (!strchr(buf, '/'))
                        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%d",
                                 rtnl_addr_get_prefixlen(a));
                if (strv_push_dup(&l->addresses, buf) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* A VXLAN's forwarding database: AF_BRIDGE neighbours of the VXLAN device, whose NDA_DST is a remote
 * (`bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst PEER` for every peer, or one per MAC). */
static int fdb_from_rtnl(struct net_state *s, struct nl_cache *neighs)
{
        for (struct nl_object *o = nl_cache_get_first(neighs); o; o = nl_cache_get_next(o)) {
                struct rtnl_neigh *n = (struct rtnl_neigh *)o;
                struct net_link *l = link_by_index(s, rtnl_neigh_get_ifindex(n));
                _cleanup_free_ char *dst = NULL;

                if (!l || !l->kind || !streq(l->kind, "vxlan") || rtnl_neigh_get_family(n) != AF_BRIDGE)
                        continue;
                dst = nl_addr_text(rtnl_neigh_get_dst(n));
                if (dst && vxlan_remote_add(l, dst) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static bool have_vxlan(const struct net_state *s)
{
        for (size_t i = 0; i < s->n_links; i++)
                if (s->links[i].kind && streq(s->links[i].kind, "vxlan"))
                        return true;
        return false;
}

static int netlink_connect(usec_t deadline, struct nl_sock **ret)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = nl_socket_alloc();
        usec_t left = deadline > now_usec() ? deadline - now_usec() : 1;
        struct timeval tv = {.tv_sec = left / USEC_PER_SEC, .tv_usec = left % USEC_PER_SEC};

        if (!sk)
                return -ENOMEM;
        if (nl_connect(sk, NETLINK_ROUTE) < 0)
                return -EIO;
        /* the kernel answers at once; the deadline bounds it anyway */
        if (setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        *ret = TAKE_PTR(sk);
        return 0;
}

int netstate_read_netlink(usec_t deadline, struct net_state *ret)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        _cleanup_(nl_cache_freep) struct nl_cache *links = NULL, *addrs = NULL, *neighs = NULL;
        struct net_state s = {0};
        int r;

        r = netlink_connect(deadline, &sk);
        if (r < 0)
                return r;
        if (rtnl_link_alloc_cache(sk, AF_UNSPEC, &links) < 0 || rtnl_addr_alloc_cache(sk, &addrs) < 0)
                return -EIO;
        for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o))
                if ((r = link_from_rtnl(&s, (struct rtnl_link *)o)) < 0)
                        break;
        if (r >= 0)
                r = name_indexes(&s);
        if (r >= 0)
                r = addresses_from_rtnl(&s, addrs);
        /* the bridge FDB (a dump of each neighbour family, AF_BRIDGE among them: AF_UNSPEC dumps only the
         * ARP and ND tables), only when a VXLAN needs it */
        if (r >= 0 && have_vxlan(&s))
                r = rtnl_neigh_alloc_cache_flags(sk, &neighs, NL_CACHE_AF_ITER) < 0
                            ? -EIO
                            : fdb_from_rtnl(&s, neighs);
        if (r < 0) {
                net_state_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

/* ---- sysfs ---- */

static char *sys_value(const struct hostfs *fs, const char *name, const char *file)
{
        _cleanup_free_ char *path = strdup_printf("%s/%s/%s", PATH_SYS_CLASS_NET, name, file), *text = NULL;

        if (!path || hostfs_read_file(fs, path, &text, NULL) < 0)
                return NULL;
        strip(text);
        return TAKE_PTR(text);
}

/* uevent's DEVTYPE=, or "tun" for a device with tun_flags */
static char *sys_kind(const struct hostfs *fs, const char *name)
{
        _cleanup_free_ char *uevent = sys_value(fs, name, "uevent"), *tun = NULL;

        LINE_FOREACH(it, uevent)
        if (it.len > 8 && strneq(it.line, "DEVTYPE=", 8))
                return strndup(it.line + 8, it.len - 8);
        tun = sys_value(fs, name, "tun_flags");
        return tun ? strdup("tun") : NULL;
}

static int link_from_sysfs(const struct hostfs *fs, struct net_state *s, const char *name)
{
        _cleanup_free_ char *mtu = sys_value(fs, name, "mtu"), *carrier = sys_value(fs, name, "carrier"),
                            *flags = sys_value(fs, name, "flags"), *ifindex = sys_value(fs, name, "ifindex"),
                            *iflink = sys_value(fs, name, "iflink");
        struct net_link *l = link_add(s, name);
        unsigned v;

        if (!l)
                return -ENOMEM;
        l->kind = sys_kind(fs, name);
        l->operstate = sys_value(fs, name, "operstate");
        if (mtu)
                (void)safe_atou(mtu, &l->mtu);
        if (carrier && safe_atou(carrier, &v) >= 0)
                l->carrier = v != 0;
        if (ifindex && safe_atou(ifindex, &v) >= 0)
                l->ifindex = (int)v;
        if (l->kind && streq(l->kind, "vxlan") && iflink && safe_atou(iflink, &v) >= 0 &&
            (int)v != l->ifindex)
                l->lower_ifindex = (int)v;
        l->admin_up = flags && (strtoul(flags, NULL, 16) & IFF_UP);
        return 0;
}

/* A bridge's brif/ names its ports. */
static int masters_from_sysfs(const struct hostfs *fs, struct net_state *s)
{
        for (size_t i = 0; i < s->n_links; i++) {
                _cleanup_free_ char *dir = strdup_printf("%s/%s/brif", PATH_SYS_CLASS_NET, s->links[i].name);
                _cleanup_(strv_freep) char **ports = NULL;

                if (!dir || hostfs_list_dir(fs, dir, &ports) == -ENOMEM)
                        return -ENOMEM;
                STRV_FOREACH (p, ports)
                        for (size_t k = 0; k < s->n_links; k++)
                                if (streq(s->links[k].name, *p) && !s->links[k].master &&
                                    !(s->links[k].master = strdup(s->links[i].name)))
                                        return -ENOMEM;
        }
        return 0;
}

static int vxlan_from_links(struct net_state *s, json_object *links)
{
        size_t n = json_object_is_type(links, json_type_array) ? json_object_array_length(links) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(links, i),
                            *info = json_get(json_get(o, "linkinfo"), "info_data");
                const char *name = json_get_string(o, "ifname"),
                           *kind = json_get_string(json_get(o, "linkinfo"), "info_kind");
                struct net_link *l = (struct net_link *)(name ? net_state_find(s, name) : NULL);
                int64_t id = json_get_int(info, "id", -1);

                if (!l || !kind || !streq(kind, "vxlan") || id < 0)
                        continue;
                l->vxlan_known = true;
                l->vxlan_id = (uint32_t)id;
                l->vxlan_port = (unsigned)json_get_int(info, "port", 0);
                if (vxlan_remote_add(l, json_get_string(info, "remote")) < 0 ||
                    vxlan_remote_add(l, json_get_string(info, "group")) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int netstate_vxlan_from_json(struct net_state *s, const char *ip_link, const char *bridge_fdb)
{
        _cleanup_(json_object_putp) json_object *links = ip_link ? json_tokener_parse(ip_link) : NULL,
                                                *fdb = bridge_fdb ? json_tokener_parse(bridge_fdb) : NULL;
        size_t n_fdb = json_object_is_type(fdb, json_type_array) ? json_object_array_length(fdb) : 0;

        if (vxlan_from_links(s, links) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n_fdb; i++) {
                json_object *e = json_object_array_get_idx(fdb, i);
                const char *name = json_get_string(e, "ifname");
                struct net_link *l = (struct net_link *)(name ? net_state_find(s, name) : NULL);

                if (l && l->vxlan_known && vxlan_remote_add(l, json_get_string(e, "dst")) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int vxlan_from_captures(const struct hostfs *fs, struct net_state *s)
{
        _cleanup_free_ char *ip_link = NULL, *bridge_fdb = NULL;

        (void)hostfs_read_file(fs, PATH_IP_LINK_CAPTURE, &ip_link, NULL);
        (void)hostfs_read_file(fs, PATH_BRIDGE_FDB_CAPTURE, &bridge_fdb, NULL);
        return netstate_vxlan_from_json(s, ip_link, bridge_fdb);
}

int netstate_read_sysfs(const struct hostfs *fs, struct net_state *ret)
{
        _cleanup_(strv_freep) char **names = NULL;
        struct net_state s = {0};
        int r;

        r = hostfs_list_dir(fs, PATH_SYS_CLASS_NET, &names);
        if (r < 0)
                return r;
        STRV_FOREACH (n, names)
                if ((r = link_from_sysfs(fs, &s, *n)) < 0)
                        break;
        if (r >= 0)
                r = masters_from_sysfs(fs, &s);
        for (size_t i = 0; r >= 0 && i < s.n_links; i++) {
                const struct net_link *u = link_by_index(&s, s.links[i].lower_ifindex);
                if (u && !(s.links[i].lower = strdup(u->name)))
                        r = -ENOMEM;
        }
        if (r >= 0)
                r = vxlan_from_captures(fs, &s);
        if (r < 0) {
                net_state_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

int netstate_default_route(const char *text, char **ret_dev, char **ret_gateway)
{
        LINE_FOREACH(it, text)
        {
                _cleanup_free_ char *l = line_iter_dup(&it);
                char dev[IF_NAMESIZE + 1], dest[16], gw[16];
                unsigned flags, refcnt, use, metric, mask;

                if (!l)
                        return -ENOMEM;
                /* Iface Destination Gateway Flags RefCnt Use Metric Mask ... (hex, host order) */
                if (sscanf(l, "%16s %15s %15s %x %u %u %u %x", dev, dest, gw, &flags, &refcnt, &use, &metric,
                           &mask) != 8)
                        continue;
                if (streq(dest, "00000000") && mask == 0 && (flags & 0x1)) {
                        /* the gateway is the address's bytes as the kernel holds them, printed in hex */
                        uint32_t g = (uint32_t)strtoul(gw, NULL, 16);
                        char text_gw[INET_ADDRSTRLEN];

                        *ret_dev = strdup(dev);
                        *ret_gateway = g && inet_ntop(AF_INET, &g, text_gw, sizeof(text_gw))
                                               ? strdup(text_gw)
                                               : NULL;
                        return *ret_dev && (!g || *ret_gateway) ? 0 : -ENOMEM;
                }
        }
        *ret_dev = *ret_gateway = NULL;
        return -ENOENT;
}

int netstate_read(const struct hostfs *fs, usec_t deadline, struct net_state *ret)
{
        _cleanup_free_ char *route = NULL;
        int r;

        r = hostfs_is_live(fs) ? netstate_read_netlink(deadline, ret) : netstate_read_sysfs(fs, ret);
        if (r < 0)
                return r;
        if (hostfs_read_file(fs, PATH_PROC_NET_ROUTE, &route, NULL) >= 0 &&
            netstate_default_route(route, &ret->default_dev, &ret->default_gateway) == -ENOMEM) {
                net_state_done(ret);
                return -ENOMEM;
        }
        return 0;
}

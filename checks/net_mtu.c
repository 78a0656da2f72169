/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net.mtu: a guest's packet crosses its tap, the bridge, the bridge's uplink (or a VXLAN port and the
 * underlay that carries it with 50 more bytes), the network to the peer, and the same on the other side.
 * libvirt gives a tap the bridge's MTU (or the guest's <mtu size=>), so the bridge's MTU is what guests
 * send: every hop after it must carry that much, or large packets vanish without an error. This unit
 * checks the hops on this host (hops) and measures the path to every peer with Don't Fragment pings of
 * the bridge's size (path): "MTU 9000 on br0 but only 1500 gets through to hv2". Across hosts, the
 * bridges' MTUs are compared from the facts (cross.bridges).
 */
#include "common.h"
#include "guestnics.h"
#include "netstate.h"
#include "pmtu.h"
#include "strv.h"

#define PROBE_USEC (300 * USEC_PER_MSEC)

enum {
        HOPS_NONE,
        HOPS_NO_RUNTIME,
        HOPS_STATE_UNREADABLE,
        HOPS_NOT_PROFILE,
        HOPS_PORT_SMALLER,
        HOPS_UNDERLAY_SMALLER,
        HOPS_GUEST_LARGER,
        HOPS_EQUAL,
        PATH_NOT_LIVE,
        PATH_NO_PEERS,
        PATH_OFF,
        PATH_NO_BRIDGE,
        PATH_UNRESOLVED,
        PATH_UNANSWERED,
        PATH_REFUSED,
        PATH_TIMEOUT,
        PATH_SMALLER,
        PATH_OK,
};

static const struct result_def net_mtu_results[] = {
        [HOPS_NONE] = {"net.mtu.hops", STATUS_SKIP, "no_bridges"},
        [HOPS_NO_RUNTIME] = {"net.mtu.hops", STATUS_SKIP, "no_runtime_state"},
        [HOPS_STATE_UNREADABLE] = {"net.mtu.hops", STATUS_ERROR, "state_unreadable"},
        [HOPS_NOT_PROFILE] = {"net.mtu.hops", STATUS_FAIL, "not_profile_mtu",
                              "set MTU @MTU@ on @BRIDGE@ and its uplink where the bridge is declared"},
        [HOPS_PORT_SMALLER] = {"net.mtu.hops", STATUS_FAIL, "port_smaller",
                               "give @PORT@ at least MTU @MTU@ (or @BRIDGE@ no more than @PORT@'s)"},
        [HOPS_UNDERLAY_SMALLER] =
                {"net.mtu.hops", STATUS_FAIL, "underlay_smaller",
                 "give @LOWER@ MTU @NEED@ (the overlay's @MTU@ plus its overhead), or lower @PORT@'s and the bridge's"},
        [HOPS_GUEST_LARGER] = {"net.mtu.hops", STATUS_FAIL, "guest_larger",
                               "lower <mtu size=> of guest @GUEST@ to @MTU@, or raise @BRIDGE@'s MTU"},
        [HOPS_EQUAL] = {"net.mtu.hops", STATUS_PASS, "hops_carry_bridge_mtu"},
        [PATH_NOT_LIVE] = {"net.mtu.path", STATUS_SKIP, "not_live"},
        [PATH_NO_PEERS] = {"net.mtu.path", STATUS_SKIP, "no_peers"},
        [PATH_OFF] = {"net.mtu.path", STATUS_SKIP, "probe_off"},
        [PATH_NO_BRIDGE] = {"net.mtu.path", STATUS_SKIP, "no_bridge_mtu"},
        [PATH_UNRESOLVED] = {"net.mtu.path", STATUS_SKIP, "peer_unresolved"},
        [PATH_UNANSWERED] =
                {"net.mtu.path", STATUS_WARN, "no_echo_reply",
                 "let ICMP echo from this host through to @PEER@ (a firewall drops it), or measure by hand: ping -M do -s SIZE @PEER@"},
        [PATH_REFUSED] = {"net.mtu.path", STATUS_ERROR, "no_icmp_socket",
                          "run hostprep as root, or allow ping sockets (sysctl net.ipv4.ping_group_range)"},
        [PATH_TIMEOUT] = {"net.mtu.path", STATUS_ERROR, "timeout", "raise [check] timeout"},
        [PATH_SMALLER] =
                {"net.mtu.path", STATUS_FAIL, "path_smaller",
                 "give every hop between this host and @PEER@ (switch ports, routers, the peer's uplink) MTU @MTU@, or lower the bridges to @LARGEST@"},
        [PATH_OK] = {"net.mtu.path", STATUS_PASS, "path_carries_mtu"},
};

static int emit_port(struct check_ctx *ctx, const struct net_link *br, const struct net_link *p,
                     const struct net_state *st, unsigned overhead, bool *bad)
{
        const struct net_link *lower = p->lower ? net_state_find(st, p->lower) : NULL;
        _cleanup_free_ char *mtu = strdup_printf("%u", br->mtu), *need = NULL, *ev = NULL;

        if (!mtu)
                return -ENOMEM;
        if (p->mtu < br->mtu) {
                *bad = true;
                ev = strdup_printf("%s mtu %u, %s mtu %u", br->name, br->mtu, p->name, p->mtu);
                return ev ? check_emit_hint(
                                    ctx, &net_mtu_results[HOPS_PORT_SMALLER],
                                    HINT_VALUES("PORT", p->name, "MTU", mtu, "BRIDGE", br->name), ev,
                                    "%s carries %u, %s %u: guests' packets over %u bytes are dropped "
                                    "at %s",
                                    p->name, p->mtu, br->name, br->mtu, p->mtu, p->name)
                          : -ENOMEM;
        }
        if (!lower || lower->mtu >= p->mtu + overhead)
                return 0;
        *bad = true;
        need = strdup_printf("%u", p->mtu + overhead);
        ev = strdup_printf("%s mtu %u over %s mtu %u, overhead %u", p->name, p->mtu, lower->name, lower->mtu,
                           overhead);
        return need && ev ? check_emit_hint(ctx, &net_mtu_results[HOPS_UNDERLAY_SMALLER],
                                            HINT_VALUES("LOWER", lower->name, "NEED", need, "MTU", mtu,
                                                        "PORT", p->name),
                                            ev,
                                            "overlay %s carries %u over %s, which carries %u: it needs %u "
                                            "(%u of encapsulation)",
                                            p->name, p->mtu, lower->name, lower->mtu, p->mtu + overhead,
                                            overhead)
                          : -ENOMEM;
}

static int check_guests(struct check_ctx *ctx, const struct net_link *br, const struct guest_nic *g,
                        size_t n, bool *bad)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *mtu = NULL, *ev = NULL;
                int r;

                if (!streq(g[i].bridge, br->name) || g[i].mtu <= br->mtu)
                        continue;
                *bad = true;
                mtu = strdup_printf("%u", br->mtu);
                ev = strdup_printf("%s:%u: <mtu size='%u'/>", g[i].file, g[i].line, g[i].mtu);
                if (!mtu || !ev)
                        return -ENOMEM;
                r = check_emit_hint(ctx, &net_mtu_results[HOPS_GUEST_LARGER],
                                    HINT_VALUES("GUEST", g[i].guest, "MTU", mtu, "BRIDGE", br->name), ev,
                                    "guest %s sends packets of %u bytes onto %s, which carries %u",
                                    g[i].guest, g[i].mtu, br->name, br->mtu);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_bridge_hops(struct check_ctx *ctx, const struct net_state *st, const struct net_link *br,
                             const struct guest_nic *g, size_t n_g)
{
        _cleanup_free_ const struct net_link **ports = net_state_ports(st, br->name);
        const char *want = conf_get(ctx->profile, "network", "mtu");
        unsigned overhead = 50, want_mtu = 0;
        bool bad = false;
        int r = 0;

        if (!ports)
                return -ENOMEM;
        (void)safe_atou(strempty(conf_get(ctx->profile, "network", "overlay_overhead")), &overhead);
        if (want && safe_atou(want, &want_mtu) >= 0 && want_mtu != br->mtu) {
                bad = true;
                r = check_emit_hint(ctx, &net_mtu_results[HOPS_NOT_PROFILE],
                                    HINT_VALUES("MTU", want, "BRIDGE", br->name), NULL,
                                    "%s has MTU %u, the profile says %u", br->name, br->mtu, want_mtu);
        }
        for (const struct net_link **p = ports; r >= 0 && *p; p++)
                if (!net_link_is_guest(*p))
                        r = emit_port(ctx, br, *p, st, overhead, &bad);
        if (r >= 0)
                r = check_guests(ctx, br, g, n_g, &bad);
        if (r < 0 || bad)
                return r;
        return check_emit(ctx, &net_mtu_results[HOPS_EQUAL], NULL, "every hop of %s carries its MTU %u",
                          br->name, br->mtu);
}

static int check_hops(struct check_ctx *ctx, char **names, const struct net_state *st)
{
        struct guest_nic *g = NULL;
        size_t n_g = 0;
        int r = guest_nics_read(ctx->fs, &g, &n_g);

        STRV_FOREACH (n, r >= 0 ? names : NULL) {
                const struct net_link *br = net_state_find(st, *n);

                if (br && br->kind && streq(br->kind, "bridge"))
                        r = check_bridge_hops(ctx, st, br, g, n_g);
                if (r < 0)
                        break;
        }
        guest_nics_free(g, n_g);
        return r;
}

/* The largest MTU of the profile's bridges here: what guests send. */
static unsigned bridge_mtu(char **names, const struct net_state *st, const char **ret_bridge)
{
        unsigned m = 0;

        STRV_FOREACH (n, names) {
                const struct net_link *br = net_state_find(st, *n);
                if (br && br->mtu > m)
                        m = br->mtu, *ret_bridge = br->name;
        }
        return m;
}

static int first_ipv4(const struct check_ctx *ctx, const char *peer, char **ret)
{
        _cleanup_(strv_freep) char **addrs = NULL;
        int r = check_host_addresses(ctx, peer, &addrs);

        if (r < 0)
                return r;
        STRV_FOREACH (a, addrs)
                if (strchr(*a, '.') && !strchr(*a, ':')) {
                        *ret = strdup(*a);
                        return *ret ? 0 : -ENOMEM;
                }
        return -ENOENT;
}

static int probe_peer(struct check_ctx *ctx, const char *peer, const char *bridge, unsigned mtu)
{
        _cleanup_free_ char *addr = NULL, *m = NULL, *largest = NULL, *ev = NULL;
        struct pmtu_result res;
        int r = first_ipv4(ctx, peer, &addr);

        if (r == -ENOENT)
                return check_emit(ctx, &net_mtu_results[PATH_UNRESOLVED], NULL,
                                  "%s has no IPv4 address in /etc/hosts: its path is not measured", peer);
        if (r < 0)
                return r;
        r = pmtu_probe(addr, mtu, PROBE_USEC, ctx->deadline, &res);
        m = strdup_printf("%u", mtu);
        largest = strdup_printf("%u", res.largest);
        ev = strdup_printf("%s (%s): %u Don't Fragment pings, largest answered %u bytes", peer, addr,
                           res.probes, res.largest);
        if (!m || !largest || !ev)
                return -ENOMEM;
        if (r == -EPERM)
                return check_emit(ctx, &net_mtu_results[PATH_REFUSED], NULL,
                                  "no ICMP socket may be opened: the path to %s is not measured", peer);
        if (r == -ETIMEDOUT)
                return check_emit(ctx, &net_mtu_results[PATH_TIMEOUT], ev,
                                  "the deadline came before the path MTU to %s was known", peer);
        if (r < 0)
                return r;
        if (!res.reachable)
                return check_emit_hint(ctx, &net_mtu_results[PATH_UNANSWERED], HINT_VALUES("PEER", peer), ev,
                                       "%s (%s) does not answer pings: the path MTU is not known", peer,
                                       addr);
        if (res.largest < mtu)
                return check_emit_hint(ctx, &net_mtu_results[PATH_SMALLER],
                                       HINT_VALUES("PEER", peer, "MTU", m, "LARGEST", largest), ev,
                                       "MTU %u on %s but only %u gets through to %s: migrated guests' large "
                                       "packets are lost",
                                       mtu, bridge, res.largest, peer);
        return check_emit(ctx, &net_mtu_results[PATH_OK], ev, "%u bytes (%s's MTU) get through to %s", mtu,
                          bridge, peer);
}

static int check_path(struct check_ctx *ctx, char **names, const struct net_state *st)
{
        const char *bridge = NULL;
        unsigned mtu = bridge_mtu(names, st, &bridge);
        int r;

        if (!hostfs_is_live(ctx->fs))
                return check_emit(ctx, &net_mtu_results[PATH_NOT_LIVE], NULL,
                                  "measuring the path MTU needs the running host, not --root");
        if (parse_boolean(strempty(conf_get(ctx->profile, "network", "probe_mtu"))) == 0)
                return check_emit(ctx, &net_mtu_results[PATH_OFF], NULL, "[network] probe_mtu = no");
        if (!ctx->peers || !ctx->peers[0])
                return check_emit(ctx, &net_mtu_results[PATH_NO_PEERS], NULL,
                                  "no peers to measure the path to");
        if (!mtu)
                return check_emit(ctx, &net_mtu_results[PATH_NO_BRIDGE], NULL,
                                  "none of the profile's bridges runs here: no MTU to measure");
        STRV_FOREACH (p, ctx->peers)
                if ((r = probe_peer(ctx, *p, bridge, mtu)) < 0)
                        return r;
        return 0;
}

static int net_mtu_check(struct check_ctx *ctx)
{
        _cleanup_(strv_freep) char **names = NULL;
        _cleanup_(net_state_done) struct net_state st = {0};
        const char *list = conf_get(ctx->profile, "network", "bridges");
        struct stat sb;
        int r;

        if (!list)
                return check_emit(ctx, &net_mtu_results[HOPS_NONE], NULL,
                                  "the profile names no bridges ([network] bridges)");
        r = strv_split(list, ", \t", &names);
        if (r < 0)
                return r;
        if (!hostfs_is_live(ctx->fs) && hostfs_stat(ctx->fs, PATH_SYS_CLASS_NET, &sb) < 0)
                return check_emit(ctx, &net_mtu_results[HOPS_NO_RUNTIME], NULL,
                                  "no running interfaces under this root (an image)");
        r = netstate_read(ctx->fs, ctx->deadline, &st);
        if (r < 0)
                return check_emit(ctx, &net_mtu_results[HOPS_STATE_UNREADABLE], NULL,
                                  "the interfaces cannot be read: %s", strerror(-r));
        r = check_hops(ctx, names, &st);
        if (r >= 0)
                r = check_path(ctx, names, &st);
        return r;
}

const struct unit unit_net_mtu = {
        .id = "net.mtu",
        .title = "every hop of a guest's packets carries the bridge's MTU, to every peer",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = net_mtu_results,
        .n_results = ELEMENTSOF(net_mtu_results),
        .check = net_mtu_check,
};

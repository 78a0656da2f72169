/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net.vxlan: the VXLAN overlay between the hypervisors (the Xen-Blanket set-up: xenbr0 reaches every
 * other node through VXLAN tunnels). A guest migrated to a peer keeps talking to the others only if the
 * peer's overlay is the same segment: a VXLAN link with the profile's VNI ([network] vxlan_vni), sending
 * to the profile's UDP port (vxlan_port; `ip link add type vxlan` without dstport takes the kernel's
 * 8472, not IANA's 4789), with a remote (the link's default remote, or a forwarding entry) for every
 * other hypervisor, and the overlay's MTU (overlay_mtu), which the device it is sent out of must carry
 * with the encapsulation on top (overlay_overhead, 50 over IPv4): with a lower device (dev) the kernel
 * clamps a VXLAN's MTU to the device's minus the overhead when it is made and refuses more later, and
 * a VXLAN without one takes any MTU and sends packets that the underlay drops. The firewall part
 * (vxlan_port/udp from every peer) is net.firewall's; the same VNI and MTU on every hypervisor is
 * cross.vxlan's.
 */
#include <sys/socket.h>

#include "common.h"
#include "net-firewall.h"
#include "netstate.h"
#include "strv.h"

#define VXLAN_PORT_LINUX 8472 /* the kernel's default destination port */

enum {
        LINK_OFF,
        LINK_NO_RUNTIME,
        LINK_UNREADABLE,
        LINK_UNKNOWN,
        LINK_MISSING,
        LINK_WRONG_VNI,
        LINK_OK,
        PORT_WRONG,
        PORT_OK,
        REMOTES_NO_PEERS,
        REMOTES_UNRESOLVED,
        REMOTES_MISSING,
        REMOTES_OK,
        MTU_WRONG,
        MTU_LOWER_UNKNOWN,
        MTU_LOWER_SMALL,
        MTU_OK,
};

static const struct result_def net_vxlan_results[] = {
        [LINK_OFF] = {"net.vxlan.link", STATUS_SKIP, "no_overlay"},
        [LINK_NO_RUNTIME] = {"net.vxlan.link", STATUS_SKIP, "no_runtime_state"},
        [LINK_UNREADABLE] = {"net.vxlan.link", STATUS_ERROR, "state_unreadable"},
        [LINK_UNKNOWN] = {"net.vxlan.link", STATUS_ERROR, "vxlan_unknown",
                          "capture `ip -details -json link show` into " PATH_IP_LINK_CAPTURE
                          " under the root, or check the running host"},
        [LINK_MISSING] =
                {"net.vxlan.link", STATUS_FAIL, "no_vxlan",
                 "create it: ip link add vxlan@VNI@ type vxlan id @VNI@ dstport @PORT@ local ADDRESS "
                 "(and make it persistent where this host declares its network)"},
        [LINK_WRONG_VNI] = {"net.vxlan.link", STATUS_FAIL, "wrong_vni",
                            "a VXLAN's VNI cannot be changed: delete @LINK@ and create it with id @VNI@, "
                            "the VNI of every other hypervisor"},
        [LINK_OK] = {"net.vxlan.link", STATUS_PASS, "vni_present"},
        [PORT_WRONG] = {"net.vxlan.port", STATUS_FAIL, "wrong_port",
                        "recreate @LINK@ with dstport @PORT@ (the port is fixed when the link is created)"},
        [PORT_OK] = {"net.vxlan.port", STATUS_PASS, "profile_port"},
        [REMOTES_NO_PEERS] = {"net.vxlan.remotes", STATUS_SKIP, "no_peers"},
        [REMOTES_UNRESOLVED] = {"net.vxlan.remotes", STATUS_WARN, "peer_unresolved",
                                "give @PEER@ its address in /etc/hosts, so its remote can be checked"},
        [REMOTES_MISSING] = {"net.vxlan.remotes", STATUS_FAIL, "missing_remote",
                             "bridge fdb append 00:00:00:00:00:00 dev @LINK@ dst @ADDRESS@"},
        [REMOTES_OK] = {"net.vxlan.remotes", STATUS_PASS, "every_peer"},
        [MTU_WRONG] = {"net.vxlan.mtu", STATUS_FAIL, "not_overlay_mtu",
                       "ip link set @LINK@ mtu @MTU@ (and where the link is declared)"},
        [MTU_LOWER_UNKNOWN] = {"net.vxlan.mtu", STATUS_WARN, "lower_unknown",
                               "give @LINK@ its underlay (dev IFACE) or a route to its remotes"},
        [MTU_LOWER_SMALL] =
                {"net.vxlan.mtu", STATUS_FAIL, "lower_too_small",
                 "give @LOWER@ MTU @NEED@ (the overlay's @MTU@ plus @OVERHEAD@ of encapsulation), "
                 "or lower [network] overlay_mtu and @LINK@'s MTU"},
        [MTU_OK] = {"net.vxlan.mtu", STATUS_PASS, "lower_carries_overlay"},
};

#define R(x) (&net_vxlan_results[x])

struct vxlan_want {
        bool have_vni;
        uint32_t vni;
        unsigned port, mtu, overhead; /* mtu 0: not set */
};

static void want_read(const struct check_ctx *ctx, struct vxlan_want *w)
{
        const char *vni = conf_get(ctx->profile, "network", "vxlan_vni");
        unsigned v;

        *w = (struct vxlan_want){.port = 4789, .overhead = 50};
        w->have_vni = vni && safe_atou(vni, &v) >= 0;
        w->vni = w->have_vni ? v : 0;
        (void)safe_atou(strempty(conf_get(ctx->profile, "network", "vxlan_port")), &w->port);
        (void)safe_atou(strempty(conf_get(ctx->profile, "network", "overlay_mtu")), &w->mtu);
        (void)safe_atou(strempty(conf_get(ctx->profile, "network", "overlay_overhead")), &w->overhead);
}

/* "vxlan0 (VNI 7), vxlan1 (VNI 9)": the VXLANs this host has, for a message. */
static char *vxlans_described(const struct net_state *st)
{
        _cleanup_free_ char *s = strdup("");

        for (size_t i = 0; s && i < st->n_links; i++) {
                const struct net_link *l = &st->links[i];
                char *n;

                if (!l->kind || !streq(l->kind, "vxlan") || !l->vxlan_known)
                        continue;
                n = strdup_printf("%s%s%s (VNI %u)", s, *s ? ", " : "", l->name, l->vxlan_id);
                free(s);
                s = n;
        }
        return TAKE_PTR(s);
}

/* The VXLAN of the profile's VNI (without one: the first VXLAN); NULL when there is none. */
static const struct net_link *find_vxlan(const struct net_state *st, const struct vxlan_want *w,
                                         size_t *ret_n, size_t *ret_unknown)
{
        const struct net_link *found = NULL;

        *ret_n = *ret_unknown = 0;
        for (size_t i = 0; i < st->n_links; i++) {
                const struct net_link *l = &st->links[i];

                if (!l->kind || !streq(l->kind, "vxlan"))
                        continue;
                (*ret_n)++;
                if (!l->vxlan_known)
                        (*ret_unknown)++;
                else if (!found && (!w->have_vni || l->vxlan_id == w->vni))
                        found = l;
        }
        return found;
}

static int check_link(struct check_ctx *ctx, const struct net_state *st, const struct vxlan_want *w,
                      const struct net_link **ret)
{
        _cleanup_free_ char *vni = strdup_printf("%u", w->vni), *port = strdup_printf("%u", w->port),
                            *others = vxlans_described(st);
        size_t n, unknown;
        const struct net_link *l = find_vxlan(st, w, &n, &unknown);

        *ret = l;
        if (!vni || !port || !others)
                return -ENOMEM;
        if (l)
                return w->have_vni
                               ? check_emit(ctx, R(LINK_OK), NULL, "%s carries VNI %u", l->name, w->vni)
                               : check_emit(ctx, R(LINK_OK), NULL,
                                            "%s carries VNI %u (the profile names none: the first VXLAN)",
                                            l->name, l->vxlan_id);
        if (unknown)
                return check_emit(
                        ctx, R(LINK_UNKNOWN), NULL,
                        "%zu VXLAN link(s) here, but what they carry cannot be read under this root",
                        unknown);
        if (n) {
                const char *first = NULL;
                for (size_t i = 0; !first && i < st->n_links; i++)
                        if (st->links[i].kind && streq(st->links[i].kind, "vxlan"))
                                first = st->links[i].name;
                return check_emit_hint(ctx, R(LINK_WRONG_VNI), HINT_VALUES("LINK", first, "VNI", vni),
                                       others,
                                       "no VXLAN carries VNI %u, the profile's: this host has %s; guests "
                                       "migrated here are cut off from the overlay",
                                       w->vni, others);
        }
        return check_emit_hint(ctx, R(LINK_MISSING), HINT_VALUES("VNI", vni, "PORT", port), NULL,
                               "no VXLAN link here: the overlay (VNI %u) does not reach this host", w->vni);
}

static int check_port(struct check_ctx *ctx, const struct net_link *l, const struct vxlan_want *w)
{
        _cleanup_free_ char *port = strdup_printf("%u", w->port),
                            *ev = strdup_printf("%s dstport %u", l->name, l->vxlan_port);

        if (!port || !ev)
                return -ENOMEM;
        if (l->vxlan_port == w->port)
                return check_emit(ctx, R(PORT_OK), ev, "%s sends to UDP port %u", l->name, w->port);
        return check_emit_hint(ctx, R(PORT_WRONG), HINT_VALUES("LINK", l->name, "PORT", port), ev,
                               "%s sends to UDP port %u, the profile's overlay uses %u%s", l->name,
                               l->vxlan_port, w->port,
                               l->vxlan_port == VXLAN_PORT_LINUX
                                       ? " (8472 is the kernel's default when no dstport is given)"
                                       : "");
}

/* Whether one of peer's addresses is a remote of l; *ret_address: the one to add otherwise. */
static int peer_is_remote(const struct check_ctx *ctx, const struct net_link *l, const char *peer,
                          bool *ret_found, char **ret_address)
{
        _cleanup_(strv_freep) char **addrs = NULL;
        _cleanup_(fw_peer_done) struct fw_peer p = {};
        int r = check_host_addresses(ctx, peer, &addrs);

        if (r >= 0)
                r = fw_peer_resolve(ctx, peer, &p);
        if (r < 0)
                return r;
        if (p.address && strv_push_dup(&addrs, p.address) < 0)
                return -ENOMEM;
        *ret_found = false;
        STRV_FOREACH (a, addrs)
                if (strv_contains(l->vxlan_remotes, *a))
                        *ret_found = true;
        *ret_address = addrs && addrs[0] ? strdup(addrs[0]) : NULL;
        return addrs && addrs[0] && !*ret_address ? -ENOMEM : 0;
}

static int check_remotes(struct check_ctx *ctx, const struct net_link *l)
{
        _cleanup_(strv_freep) char **peers = NULL;
        _cleanup_free_ char *seen = NULL;
        bool bad = false;
        int r = check_peers_with_role(ctx, ROLE_HYPERVISOR, &peers);

        if (r < 0)
                return r;
        if (!peers || !peers[0])
                return check_emit(ctx, R(REMOTES_NO_PEERS), NULL, "no other hypervisor to tunnel to");
        seen = l->vxlan_remotes ? strv_join(l->vxlan_remotes, " ") : strdup("none");
        if (!seen)
                return -ENOMEM;
        STRV_FOREACH (p, peers) {
                _cleanup_free_ char *address = NULL;
                bool found;

                r = peer_is_remote(ctx, l, *p, &found, &address);
                if (r >= 0 && !address)
                        r = check_emit_hint(ctx, R(REMOTES_UNRESOLVED), HINT_VALUES("PEER", *p), seen,
                                            "%s has no known address: whether %s sends to it is not known",
                                            *p, l->name);
                else if (r >= 0 && !found)
                        r = check_emit_hint(
                                ctx, R(REMOTES_MISSING), HINT_VALUES("LINK", l->name, "ADDRESS", address),
                                seen,
                                "%s has no remote for hypervisor %s (%s): its guests do not reach "
                                "the guests there",
                                l->name, *p, address);
                if (r < 0)
                        return r;
                bad = bad || !address || !found;
        }
        if (bad)
                return 0;
        return check_emit(ctx, R(REMOTES_OK), seen, "%s has a remote for every other hypervisor", l->name);
}

/* The device the tunnel's packets leave by: the link's own (dev), else the route to its first remote,
 * else the default route's. *ret_how says which. */
static const struct net_link *lower_device(const struct check_ctx *ctx, const struct net_state *st,
                                           const struct net_link *l, const char **ret_how)
{
        _cleanup_free_ char *dev = NULL;
        const char *r0 = l->vxlan_remotes ? l->vxlan_remotes[0] : NULL;

        *ret_how = "its dev";
        if (l->lower)
                return net_state_find(st, l->lower);
        *ret_how = "the route to its remote";
        if (r0 && hostfs_is_live(ctx->fs) &&
            fw_route_interface(strchr(r0, ':') ? AF_INET6 : AF_INET, r0, &dev) >= 0)
                return net_state_find(st, dev);
        *ret_how = "the default route";
        return st->default_dev ? net_state_find(st, st->default_dev) : NULL;
}

static int check_mtu(struct check_ctx *ctx, const struct net_state *st, const struct net_link *l,
                     const struct vxlan_want *w)
{
        unsigned carry = w->mtu ? w->mtu : l->mtu;
        const char *how;
        const struct net_link *lower = lower_device(ctx, st, l, &how);
        _cleanup_free_ char *mtu = strdup_printf("%u", carry),
                            *need = strdup_printf("%u", carry + w->overhead),
                            *oh = strdup_printf("%u", w->overhead), *ev = NULL;
        bool bad = w->mtu && l->mtu != w->mtu;
        int r = 0;

        if (!mtu || !need || !oh)
                return -ENOMEM;
        if (bad)
                r = check_emit_hint(ctx, R(MTU_WRONG), HINT_VALUES("LINK", l->name, "MTU", mtu), NULL,
                                    "%s has MTU %u, the overlay's is %u", l->name, l->mtu, w->mtu);
        if (r < 0)
                return r;
        if (!lower)
                return check_emit_hint(
                        ctx, R(MTU_LOWER_UNKNOWN), HINT_VALUES("LINK", l->name), NULL,
                        "the device under %s is not known: whether it carries %u is not known", l->name,
                        carry + w->overhead);
        ev = strdup_printf("%s mtu %u over %s (%s) mtu %u, overhead %u", l->name, l->mtu, lower->name, how,
                           lower->mtu, w->overhead);
        if (!ev)
                return -ENOMEM;
        if (lower->mtu < carry + w->overhead)
                return check_emit_hint(ctx, R(MTU_LOWER_SMALL),
                                       HINT_VALUES("LOWER", lower->name, "NEED", need, "MTU", mtu,
                                                   "OVERHEAD", oh, "LINK", l->name),
                                       ev,
                                       "%s is short: it carries %u, the overlay's %u needs %u under %s (the "
                                       "kernel allows %s at most %u)",
                                       lower->name, lower->mtu, carry, carry + w->overhead, l->name, l->name,
                                       lower->mtu > w->overhead ? lower->mtu - w->overhead : 0);
        if (bad)
                return 0;
        return check_emit(ctx, R(MTU_OK), ev, "%s carries MTU %u and %s the %u it needs", l->name, carry,
                          lower->name, carry + w->overhead);
}

static int net_vxlan_check(struct check_ctx *ctx)
{
        _cleanup_(net_state_done) struct net_state st = {0};
        const struct net_link *l = NULL;
        struct vxlan_want w;
        struct stat sb;
        int r;

        if (!check_overlay_wanted(ctx->profile, "vxlan"))
                return check_emit(ctx, R(LINK_OFF), NULL,
                                  "the profile asks for no VXLAN overlay ([network] overlay, vxlan_vni)");
        want_read(ctx, &w);
        if (!hostfs_is_live(ctx->fs) && hostfs_stat(ctx->fs, PATH_SYS_CLASS_NET, &sb) < 0)
                return check_emit(ctx, R(LINK_NO_RUNTIME), NULL,
                                  "no running interfaces under this root (an image)");
        r = netstate_read(ctx->fs, ctx->deadline, &st);
        if (r < 0)
                return check_emit(ctx, R(LINK_UNREADABLE), NULL, "the interfaces cannot be read: %s",
                                  strerror(-r));
        r = check_link(ctx, &st, &w, &l);
        if (r < 0 || !l)
                return r;
        r = check_port(ctx, l, &w);
        if (r >= 0)
                r = check_remotes(ctx, l);
        if (r >= 0)
                r = check_mtu(ctx, &st, l, &w);
        return r;
}

const struct unit unit_net_vxlan = {
        .id = "net.vxlan",
        .title =
                "the VXLAN overlay: the profile's VNI and port, a remote for every hypervisor, its MTU carried",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = net_vxlan_results,
        .n_results = ELEMENTSOF(net_vxlan_results),
        .check = net_vxlan_check,
};

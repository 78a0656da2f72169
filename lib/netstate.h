/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The running kernel's network interfaces, as net.bridge and net.mtu judge them. Two readers fill the
 * same model:
 *
 *   netstate_read_netlink()  the live host: rtnetlink through libnl-route-3 (IFLA_INFO_KIND, master,
 *                            operstate, carrier, MTU, the VXLAN underlay, every address), in this
 *                            process's network namespace.
 *   netstate_read_sysfs()    any root: /sys/class/net through the root (a fixture, a chroot with /sys
 *                            mounted, a network namespace with /sys remounted): uevent DEVTYPE as the
 *                            kind, bridge/ and brif/, operstate, carrier, mtu, flags, iflink. sysfs has no
 *                            addresses (they stay empty) and does not map Open vSwitch ports to bridges.
 *                            Nor does it show a VXLAN's VNI, port or remotes: under a root that is not the
 *                            live host, captured `ip -details -json link show` and `bridge -json fdb show`
 *                            (PATH_IP_LINK_CAPTURE, PATH_BRIDGE_FDB_CAPTURE) stand for rtnetlink's answer.
 *
 * The live host is read through netlink because that is the kernel's own interface and the only one
 * with addresses; the fixtures of the golden tests describe interfaces as sysfs files, the same files
 * the kernel shows, so the judging code downstream is the same for both.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostfs.h"
#include "macro.h"
#include "util.h"

struct net_link {
        char *name;
        int ifindex;
        char *kind;   /* "bridge", "openvswitch", "vxlan", "veth", "tun", ...; NULL: a physical device */
        char *master; /* the bridge it is a port of, NULL when none */
        char *lower;  /* vxlan: the underlay device, NULL when not known */
        int master_ifindex, lower_ifindex; /* 0: none or not known */
        char *operstate; /* as the kernel says it: "up", "down", "lowerlayerdown", "unknown", ... */
        bool admin_up;   /* IFF_UP */
        int carrier;     /* 1, 0, or -1 when not known */
        unsigned mtu;
        char **addresses; /* "10.0.0.1/24", "fd00::1/64" */
        /* vxlan: IFLA_VXLAN_ID, IFLA_VXLAN_PORT (0: not known), and where it sends: the default remote
         * or group (IFLA_VXLAN_GROUP) and every forwarding entry's destination (NDA_DST), each once */
        bool vxlan_known; /* the VNI and port were read */
        uint32_t vxlan_id;
        unsigned vxlan_port;
        char **vxlan_remotes;
};

struct net_state {
        struct net_link *links;
        size_t n_links;
        char *default_dev;     /* the IPv4 default route's device (/proc/net/route), NULL when none */
        char *default_gateway; /* its gateway, dotted; NULL when none (a device route) */
};

void net_state_done(struct net_state *s);
const struct net_link *net_state_find(const struct net_state *s, const char *name);
/* A guest's interface as the hypervisors name them (libvirt vnetN, tapN, Xen vifD.N) or a tun/tap. */
bool net_link_is_guest(const struct net_link *l);
/* The ports of bridge, in the order of the model. NULL-terminated, owned by s (free the array only). */
const struct net_link **net_state_ports(const struct net_state *s, const char *bridge);

/* Deadline bounds each netlink reply (CLOCK_MONOTONIC). */
int netstate_read_netlink(usec_t deadline, struct net_state *ret);
int netstate_read_sysfs(const struct hostfs *fs, struct net_state *ret);
/* What rtnetlink would say of s's VXLANs, from the text of `ip -details -json link show` and `bridge
 * -json fdb show` (either NULL: not captured; iproute2 prints IFLA_VXLAN_GROUP as "remote", or "group"
 * for a multicast address). Text that is not the JSON expected leaves the VXLANs unknown. -ENOMEM only. */
int netstate_vxlan_from_json(struct net_state *s, const char *ip_link, const char *bridge_fdb);
/* The default route's device and gateway (NULL: none) from /proc/net/route text (destination 00000000
 * with mask 00000000, up). -ENOENT when there is none. */
int netstate_default_route(const char *proc_net_route, char **ret_dev, char **ret_gateway);
/* The live host's through netlink, any other root's through sysfs; the default route from the root's
 * /proc/net/route either way. */
int netstate_read(const struct hostfs *fs, usec_t deadline, struct net_state *ret);

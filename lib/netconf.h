/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The persistent network configuration of a host: which bridges the systems that configure interfaces at
 * boot declare, with their ports, MTU and static addresses. Four systems are read, each with its owner's
 * grammar and file precedence:
 *
 *   ifupdown         /etc/network/interfaces, `source` and `source-directory` followed (interfaces(5));
 *                    bridge_ports (bridge-utils-interfaces(5), '-' and '_' alike), mtu, address; Open
 *                    vSwitch's ovs_type OVSBridge, ovs_ports, ovs_bridge (openvswitch-switch README.Debian)
 *   systemd-networkd *.netdev [NetDev] Name= Kind=bridge MTUBytes=, *.network [Match] Name= [Network]
 *                    Bridge= Address= [Link] MTUBytes=, in /etc, /run, /lib (a name in an earlier
 *                    directory hides the later ones: systemd.network(5))
 *   netplan          /lib, /etc, /run/netplan/ *.yaml merged in the order of their names, a name in /run
 *                    hiding /etc hiding /lib (netplan(5)); bridges: interfaces, mtu, addresses,
 *                    openvswitch
 *   NetworkManager   keyfiles in /etc and /run/NetworkManager/system-connections: [connection] type=bridge
 *                    interface-name=, ports by master= (or controller=) naming the bridge's interface, id
 *                    or uuid; [ethernet] mtu=; [ipv4] addressN=
 *
 * The parsers work on text (for the tests); netconf_read() finds and reads the files through a root.
 */

#include <stdbool.h>
#include <stddef.h>

#include "hostfs.h"
#include "macro.h"

enum netconf_system {
        NETCONF_IFUPDOWN,
        NETCONF_NETWORKD,
        NETCONF_NETPLAN,
        NETCONF_NM,
        _NETCONF_SYSTEM_MAX,
        _NETCONF_SYSTEM_INVALID = -1,
};

/* "ifupdown", "systemd-networkd", "netplan", "NetworkManager" */
const char *netconf_system_to_string(enum netconf_system s);

struct netconf_bridge {
        char *name; /* the interface */
        enum netconf_system system;
        char *file;    /* where it is declared */
        unsigned line; /* 0: not known (YAML nodes, INI sections give their first line) */
        char **ports;  /* interface names (networkd: its [Match] Name= patterns) */
        unsigned mtu;  /* 0: not set */
        char **addresses;
        bool ovs;
        char *nm_id, *nm_uuid; /* NetworkManager: what a port's master= may name */
};

/* A port declared apart from its bridge: networkd's Bridge=, ifupdown's ovs_bridge, NM's master=. */
struct netconf_port {
        char *name; /* the interface or pattern */
        char *master;
        enum netconf_system system;
};

struct netconf {
        struct netconf_bridge *bridges;
        size_t n_bridges;
        struct netconf_port *ports;
        size_t n_ports;
        bool in_use[_NETCONF_SYSTEM_MAX];       /* the system configures interfaces here (netconf_read) */
        char **interfaces[_NETCONF_SYSTEM_MAX]; /* the other interfaces each declares (ifupdown, netplan) */
        char **files;                           /* every file read */
        char **sources; /* ifupdown's source patterns, as read (relative ones made absolute) */
};

void netconf_done(struct netconf *c);
/* The bridge called name, NULL when none declares it (the first, when several systems do). */
const struct netconf_bridge *netconf_find(const struct netconf *c, const char *name);
/* For the parsers: the bridge name of system s, added when new (a later declaration of the same one adds
 * to it). NULL on -ENOMEM. */
struct netconf_bridge *netconf_bridge_get(struct netconf *c, const char *name, enum netconf_system s,
                                          const char *file, unsigned line);
/* Attaches the separately declared ports to their bridges (netconf_read() does it at the end). */
int netconf_resolve_ports(struct netconf *c);

/* ifupdown: one file's text. The patterns of its `source` lines (relative ones taken from the file's
 * directory) and `source-directory` lines (as DIR/ *) are appended to *sources. */
int netconf_parse_ifupdown(struct netconf *c, const char *file, const char *text, char ***sources);
/* systemd-networkd: a .netdev or a .network file (by the name's ending); .network files add to the
 * bridges of .netdev files parsed before them, and declare ports. */
int netconf_parse_networkd(struct netconf *c, const char *file, const char *text);
/* netplan: one YAML file; what a later file says of the same bridge replaces what an earlier one said.
 * -EBADMSG with *ret_error "FILE:LINE: why" on YAML that does not parse or is not netplan's layout. */
int netconf_parse_netplan(struct netconf *c, const char *file, const char *text, char **ret_error);
/* NetworkManager: one keyfile. */
int netconf_parse_nm_keyfile(struct netconf *c, const char *file, const char *text);

/* Reads every system's files below fs's root, sets in_use, resolves ports. A file that does not parse is
 * -EBADMSG with *ret_error naming it. */
int netconf_read(const struct hostfs *fs, struct netconf *ret, char **ret_error);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What net.bridge's fix writes, and where: a bridge with the host's uplink declared in the system that
 * configures this host's network (templates/networkd-*, netplan-*, ifupdown-*). */

#include "netconf.h"
#include "provision/plan.h"
#include "unit.h"

/* The system that configures this host: netplan, then NetworkManager, networkd, ifupdown, as found;
 * networkd when none is (systemd's own). */
enum netconf_system net_bridge_system(const struct netconf *c);
/* The file net.bridge's fix writes for bridge in system s (NetworkManager: where its keyfile would be). */
char *net_bridge_file(enum netconf_system s, const char *bridge);
/* What brings a declared bridge up in s, for people. NULL on -ENOMEM. */
char *net_bridge_bringup_command(enum netconf_system s, const char *bridge);

struct bridge_spec {
        const char *bridge;
        const char *uplink;
        unsigned mtu;
        char *const *addresses; /* "10.0.0.1/24"; none: DHCP */
        const char *gateway;    /* NULL: none */
        const char *disruption; /* non-NULL: every action needs --force, saying this */
};

/* Plans the bridge's files and its bring-up. -EOPNOTSUPP: NetworkManager (not written by hostprep);
 * -ENOENT: ifupdown does not read interfaces.d; -EEXIST: the uplink has its own declaration in s
 * (*ret_error names it); -EINVAL: a template is broken (*ret_error says why). */
int net_bridge_plan(const struct check_ctx *ctx, const struct netconf *conf, enum netconf_system s,
                    const struct bridge_spec *spec, struct plan *plan, char **ret_error);

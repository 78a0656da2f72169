/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Persistent network configuration (lib/netconf*.c): the text as each system's file (ifupdown, a
 * networkd .netdev and .network, netplan YAML through libyaml, a NetworkManager keyfile), then the
 * ports resolved and the bridges looked up as net.bridge does. */
#include "fuzz.h"
#include "netconf.h"
#include "strv.h"

static void parse_all(const char *text)
{
        _cleanup_(strv_freep) char **sources = NULL;
        _cleanup_free_ char *error = NULL;
        struct netconf c = {};

        (void)netconf_parse_ifupdown(&c, "/etc/network/interfaces", text, &sources);
        (void)netconf_parse_networkd(&c, "/etc/systemd/network/br0.netdev", text);
        (void)netconf_parse_networkd(&c, "/etc/systemd/network/eth0.network", text);
        (void)netconf_parse_netplan(&c, "/etc/netplan/01.yaml", text, &error);
        (void)netconf_parse_nm_keyfile(&c, "/etc/NetworkManager/system-connections/br0.nmconnection", text);
        (void)netconf_resolve_ports(&c);
        for (size_t i = 0; i < c.n_bridges; i++)
                (void)netconf_find(&c, c.bridges[i].name);
        (void)netconf_find(&c, "br0");
        netconf_done(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);

        if (text)
                parse_all(text);
        return 0;
}

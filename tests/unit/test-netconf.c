/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/netconf (ifupdown, networkd, netplan, NetworkManager keyfiles), lib/netstate's /proc/net/route
 * reader, and lib/pmtu against this machine's loopback (a real probe: 127.0.0.1 answers every size). */
#include "netconf.h"
#include "netstate.h"
#include "pmtu.h"
#include "strv.h"
#include "test-util.h"

static const struct netconf_bridge *find(const struct netconf *c, const char *name, enum netconf_system s)
{
        for (size_t i = 0; i < c->n_bridges; i++)
                if (c->bridges[i].system == s && streq(c->bridges[i].name, name))
                        return &c->bridges[i];
        return NULL;
}

static bool ports_are(const struct netconf_bridge *b, const char *joined)
{
        _cleanup_free_ char *s = b ? strv_join(b->ports, " ") : NULL;
        return s && streq(s, joined);
}

static void test_ifupdown(void)
{
        struct netconf c = {0};
        _cleanup_(strv_freep) char **sources = NULL;
        const struct netconf_bridge *b;

        /* options before and after the one that makes the stanza a bridge; '-' for '_'; OVS */
        CHECK(netconf_parse_ifupdown(&c, "/etc/network/interfaces",
                                     "# comment\nauto lo\niface lo inet loopback\n"
                                     "source interfaces.d/*\nsource-directory /etc/net.d\n"
                                     "iface eth0 inet manual\n  mtu 9000\n"
                                     "auto br0\niface br0 inet static\n  address 10.0.0.11/24\n  mtu 9000\n"
                                     "  bridge-ports eth0 eth1\n  bridge_stp off\n"
                                     "iface br1 inet manual\n  bridge_ports none\n"
                                     "allow-ovs xenbr0\niface xenbr0 inet manual\n  ovs_type OVSBridge\n"
                                     "iface eth2 inet manual\n  ovs_bridge xenbr0\n  ovs_type OVSPort\n",
                                     &sources) == 0,
              "parse");
        CHECK(netconf_resolve_ports(&c) == 0, "resolve");
        b = find(&c, "br0", NETCONF_IFUPDOWN);
        CHECK(b && b->mtu == 9000 && ports_are(b, "eth0 eth1") && b->line == 9 && b->addresses &&
                      streq(b->addresses[0], "10.0.0.11/24") && !b->ovs,
              "br0: mtu %u line %u", b ? b->mtu : 0, b ? b->line : 0);
        b = find(&c, "br1", NETCONF_IFUPDOWN);
        CHECK(b && !b->ports, "bridge_ports none is a bridge without ports");
        b = find(&c, "xenbr0", NETCONF_IFUPDOWN);
        CHECK(b && b->ovs && ports_are(b, "eth2"), "OVS bridge, its port by ovs_bridge");
        CHECK(!find(&c, "eth0", NETCONF_IFUPDOWN) && strv_contains(c.interfaces[NETCONF_IFUPDOWN], "eth0") &&
                      c.in_use[NETCONF_IFUPDOWN],
              "eth0 is an interface, not a bridge");
        CHECK(strv_length(sources) == 2 && streq(sources[0], "/etc/network/interfaces.d/*") &&
                      streq(sources[1], "/etc/net.d/*"),
              "sources: %s", sources ? sources[0] : "none");
        netconf_done(&c);
}

static void test_networkd(void)
{
        struct netconf c = {0};
        const struct netconf_bridge *b;

        CHECK(netconf_parse_networkd(&c, "/etc/systemd/network/br0.netdev",
                                     "[NetDev]\n# c\nName=br0\nKind=bridge\nMTUBytes=9000\n") == 0,
              "netdev");
        CHECK(netconf_parse_networkd(&c, "/etc/systemd/network/vx.netdev",
                                     "[NetDev]\nName=vx0\nKind=vxlan\n") == 0,
              "a vxlan is no bridge");
        CHECK(netconf_parse_networkd(&c, "/etc/systemd/network/en.network",
                                     "[Match]\nName=en* eth0\n\n[Network]\nBridge=br0\n") == 0,
              "port");
        CHECK(netconf_parse_networkd(&c, "/etc/systemd/network/br0.network",
                                     "[Match]\nName=br*\n[Network]\nAddress=10.0.0.11/24\n") == 0,
              "the bridge's network");
        CHECK(netconf_resolve_ports(&c) == 0, "resolve");
        b = find(&c, "br0", NETCONF_NETWORKD);
        CHECK(b && b->mtu == 9000 && ports_are(b, "en* eth0") && b->addresses &&
                      streq(b->addresses[0], "10.0.0.11/24"),
              "br0");
        CHECK(c.n_bridges == 1, "only br0: %zu", c.n_bridges);
        netconf_done(&c);
}

static void test_netplan(void)
{
        struct netconf c = {0};
        _cleanup_free_ char *error = NULL;
        const struct netconf_bridge *b;

        CHECK(netconf_parse_netplan(&c, "/etc/netplan/50.yaml",
                                    "network:\n  version: 2\n  ethernets:\n    eth0: {dhcp4: false}\n"
                                    "  bridges:\n    br0:\n      interfaces: [eth0]\n      mtu: 1500\n"
                                    "      addresses: [10.0.0.11/24]\n"
                                    "    xenbr0:\n      openvswitch: {}\n      interfaces: [eth1]\n",
                                    &error) == 0,
              "first file: %s", strna(error));
        /* a later file replaces what it names, key by key */
        CHECK(netconf_parse_netplan(&c, "/etc/netplan/60.yaml",
                                    "network:\n  bridges:\n    br0:\n      mtu: 9000\n", &error) == 0,
              "second file");
        b = find(&c, "br0", NETCONF_NETPLAN);
        CHECK(b && b->mtu == 9000 && ports_are(b, "eth0") && streq(b->file, "/etc/netplan/60.yaml") &&
                      b->line == 3,
              "br0 merged: mtu %u line %u", b ? b->mtu : 0, b ? b->line : 0);
        b = find(&c, "xenbr0", NETCONF_NETPLAN);
        CHECK(b && b->ovs && ports_are(b, "eth1"), "OVS bridge");
        CHECK(strv_contains(c.interfaces[NETCONF_NETPLAN], "eth0"), "ethernets");
        CHECK(netconf_parse_netplan(&c, "/etc/netplan/bad.yaml", "network:\n  bridges: [br0\n", &error) ==
                              -EBADMSG &&
                      error && startswith(error, "/etc/netplan/bad.yaml:3: "),
              "broken YAML: %s", strna(error));
        free(error);
        error = NULL;
        CHECK(netconf_parse_netplan(&c, "/etc/netplan/list.yaml", "network:\n  bridges: [br0]\n", &error) ==
                              -EBADMSG &&
                      error && strstr(error, "not netplan's layout"),
              "bridges as a list: %s", strna(error));
        CHECK(netconf_parse_netplan(&c, "/etc/netplan/empty.yaml", "", &error) == 0, "an empty file");
        netconf_done(&c);
}

static void test_nm(void)
{
        struct netconf c = {0};
        const struct netconf_bridge *b;

        CHECK(netconf_parse_nm_keyfile(
                      &c, "/etc/NetworkManager/system-connections/br0.nmconnection",
                      "[connection]\nid=Bridge br0\nuuid=u-1\ntype=bridge\ninterface-name=br0\n"
                      "[ethernet]\nmtu=9000\n[ipv4]\naddress1=10.0.0.11/24,10.0.0.1\n"
                      "method=manual\n") == 0,
              "bridge");
        CHECK(netconf_parse_nm_keyfile(&c, "/etc/NetworkManager/system-connections/a.nmconnection",
                                       "[connection]\nid=a\ntype=ethernet\ninterface-name=eth0\nmaster=u-1\n"
                                       "slave-type=bridge\n") == 0,
              "port by uuid");
        CHECK(netconf_parse_nm_keyfile(&c, "/etc/NetworkManager/system-connections/b.nmconnection",
                                       "[connection]\nid=b\ntype=ethernet\ninterface-name=eth1\n"
                                       "controller=Bridge br0\nport-type=bridge\n") == 0,
              "port by id, the newer keys");
        CHECK(netconf_resolve_ports(&c) == 0, "resolve");
        b = find(&c, "br0", NETCONF_NM);
        CHECK(b && b->mtu == 9000 && ports_are(b, "eth0 eth1") && b->addresses &&
                      streq(b->addresses[0], "10.0.0.11/24"),
              "br0");
        netconf_done(&c);
}

static void test_route(void)
{
        _cleanup_free_ char *dev = NULL, *gw = NULL;

        CHECK(netstate_default_route("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
                                     "eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\n"
                                     "br0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\n",
                                     &dev, &gw) == 0 &&
                      streq(dev, "br0") && streq(gw, "10.0.0.1"),
              "default route: %s via %s", strna(dev), strna(gw));
        free(dev), free(gw);
        CHECK(netstate_default_route("Iface\tDestination\n", &dev, &gw) == -ENOENT && !dev && !gw, "none");
}

static void test_pmtu_loopback(void)
{
        struct pmtu_result res;
        int r = pmtu_probe("127.0.0.1", 9000, 300 * USEC_PER_MSEC, now_usec() + 5 * USEC_PER_SEC, &res);

        if (r == -EPERM) {
                fprintf(stderr, "pmtu: no ICMP socket here (not root, no ping group): not probed\n");
                return;
        }
        CHECK(r == 0 && res.reachable && res.largest == 9000 && res.probes == 2,
              "loopback: r=%d largest %u, %u probes", r, res.largest, res.probes);
        CHECK(pmtu_probe("not-an-address", 1500, 1, now_usec() + 1, &res) == -EINVAL, "a name is refused");
}

int main(void)
{
        test_ifupdown();
        test_networkd();
        test_netplan();
        test_nm();
        test_route();
        test_pmtu_loopback();
        return failures ? 1 : 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "net-bridge-fix.h"

#include <sys/stat.h>

#include "common.h"
#include "pathnames.h"
#include "strv.h"
#include "template.h"

enum netconf_system net_bridge_system(const struct netconf *c)
{
        static const enum netconf_system order[] = {NETCONF_NETPLAN, NETCONF_NM, NETCONF_NETWORKD,
                                                    NETCONF_IFUPDOWN};

        for (size_t i = 0; i < ELEMENTSOF(order); i++)
                if (c->in_use[order[i]])
                        return order[i];
        return NETCONF_NETWORKD;
}

char *net_bridge_file(enum netconf_system s, const char *bridge)
{
        switch (s) {
        case NETCONF_NETPLAN:
                return strdup_printf("%s/60-hostprep-%s.yaml", PATH_NETPLAN_ETC_DIR, bridge);
        case NETCONF_NM:
                return strdup_printf("%s/%s.nmconnection", PATH_NM_ETC_CONNECTIONS, bridge);
        case NETCONF_IFUPDOWN:
                return strdup_printf("%s/hostprep-%s", PATH_NETWORK_INTERFACES_D, bridge);
        default:
                /* 05-: networkd takes the first .network matching a link, so ours comes before the
                 * distribution's and the operator's usual 10- to 99- */
                return strdup_printf("%s/05-hostprep-%s.netdev", PATH_NETWORKD_ETC_DIR, bridge);
        }
}

char *net_bridge_bringup_command(enum netconf_system s, const char *bridge)
{
        switch (s) {
        case NETCONF_NETPLAN:
                return strdup("netplan apply");
        case NETCONF_NM:
                return strdup_printf("nmcli connection up %s", bridge);
        case NETCONF_IFUPDOWN:
                return strdup_printf("ifup %s", bridge);
        default:
                return strdup("networkctl reload");
        }
}

struct addressing_templates {
        const char *address, *gateway, *dhcp;
        bool joined; /* all addresses in one line (netplan's list), else a line each */
};

/* The addressing lines of the bridge: its static addresses and gateway, or DHCP. */
static int render_addressing(const struct bridge_spec *spec, const struct addressing_templates *t,
                             char **ret, char **ret_error)
{
        const char *const *dirs = template_default_dirs();
        _cleanup_free_ char *joined = strv_join((char **)spec->addresses, ", "), *out = NULL, *gw = NULL;
        int r;

        if (!joined)
                return -ENOMEM;
        if (!spec->addresses || !spec->addresses[0])
                return template_render_file(dirs, t->dhcp, NULL, 0, ret, ret_error);
        for (char *const *a = spec->addresses; *a && (t->joined ? a == spec->addresses : true); a++) {
                _cleanup_free_ char *line = NULL, *n = NULL;
                struct template_value v[] = {{"ADDRESS", t->joined ? joined : *a}};

                r = template_render_file(dirs, t->address, v, ELEMENTSOF(v), &line, ret_error);
                if (r < 0)
                        return r;
                n = strdup_printf("%s%s", strempty(out), line);
                if (!n)
                        return -ENOMEM;
                free(out);
                out = TAKE_PTR(n);
        }
        if (spec->gateway) {
                struct template_value v[] = {{"GATEWAY", spec->gateway}};
                _cleanup_free_ char *n = NULL;

                r = template_render_file(dirs, t->gateway, v, ELEMENTSOF(v), &gw, ret_error);
                if (r < 0)
                        return r;
                if (!(n = strdup_printf("%s%s", out, gw)))
                        return -ENOMEM;
                free(out);
                out = TAKE_PTR(n);
        }
        *ret = TAKE_PTR(out);
        return 0;
}

/* The directory of path, planned once when absent (/etc/systemd/network is not there on every host). */
static int plan_parent(const struct check_ctx *ctx, struct plan *plan, const char *path)
{
        _cleanup_free_ char *dir = strndup(path, (size_t)(strrchr(path, '/') - path));
        struct stat st;

        if (!dir)
                return -ENOMEM;
        if (hostfs_stat(ctx->fs, dir, &st) >= 0)
                return 0;
        for (size_t i = 0; i < plan->n_actions; i++)
                if (plan->actions[i].kind == ACTION_MKDIR && streq(plan->actions[i].path, dir))
                        return 0;
        return plan_mkdir(plan, "net.bridge", dir, 0755, "the directory of the bridge's files");
}

static int plan_file(const struct check_ctx *ctx, struct plan *plan, const char *path, const char *name,
                     const struct template_value *v, size_t n_values, const struct bridge_spec *spec,
                     char **ret_error)
{
        _cleanup_free_ char *text = NULL, *before = NULL;
        int r = template_render_file(template_default_dirs(), name, v, n_values, &text, ret_error);
        size_t n;

        if (r < 0)
                return r;
        r = hostfs_read_file(ctx->fs, path, &before, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        if (before && streq(before, text))
                return 0;
        n = plan->n_actions;
        r = plan_parent(ctx, plan, path);
        if (r >= 0 && spec->disruption && plan->n_actions > n)
                r = plan_mark_disruptive(plan, spec->disruption);
        if (r >= 0)
                r = plan_write_file(plan, "net.bridge", path, before, text, 0644, "declare the bridge");
        if (r >= 0 && spec->disruption)
                r = plan_mark_disruptive(plan, spec->disruption);
        return r;
}

static int plan_networkd(const struct check_ctx *ctx, const struct bridge_spec *spec, const char *mtu,
                         struct plan *plan, char **ret_error)
{
        static const struct addressing_templates t = {"networkd-address.conf", "networkd-gateway.conf",
                                                      "networkd-dhcp.conf", false};
        _cleanup_free_ char *netdev = net_bridge_file(NETCONF_NETWORKD, spec->bridge), *addressing = NULL,
                            *network = NULL, *port = NULL;
        char *const argv[] = {(char *)"networkctl", (char *)"reload", NULL};
        _cleanup_free_ char *wait_arg = strdup_printf("--interface=%s:carrier", spec->bridge);
        char *const wait[] = {(char *)PATH_NETWORKD_WAIT_ONLINE, wait_arg, (char *)"--timeout=60", NULL};
        int r;

        if (!netdev || !wait_arg)
                return -ENOMEM;
        network = strdup_printf("%.*s.network", (int)(strlen(netdev) - strlen(".netdev")), netdev);
        port = strdup_printf("%s/05-hostprep-%s-port-%s.network", PATH_NETWORKD_ETC_DIR, spec->bridge,
                             spec->uplink);
        if (!network || !port)
                return -ENOMEM;
        r = render_addressing(spec, &t, &addressing, ret_error);
        if (r < 0)
                return r;
        {
                const struct template_value v[] = {{"PROFILE", ctx->profile->name},
                                                   {"BRIDGE", spec->bridge},
                                                   {"MTU", mtu},
                                                   {"UPLINK", spec->uplink},
                                                   {"ADDRESSING", addressing}};

                r = plan_file(ctx, plan, netdev, "networkd-bridge.netdev", v, 3, spec, ret_error);
                if (r >= 0)
                        r = plan_file(ctx, plan, network, "networkd-bridge.network",
                                      (struct template_value[]){v[0], v[1], v[4]}, 3, spec, ret_error);
                if (r >= 0)
                        r = plan_file(ctx, plan, port, "networkd-port.network",
                                      (struct template_value[]){v[0], v[1], v[3]}, 3, spec, ret_error);
        }
        if (r >= 0 && hostfs_is_live(ctx->fs) && check_systemd_running(ctx)) {
                r = plan_command(plan, "net.bridge", argv, "systemd-networkd reads the new files");
                /* networkd configures the bridge after reload has returned: without waiting, apply's
                 * re-check can still find it down (seen in CI); in the systemd tier it took 13.8 s */
                if (r >= 0)
                        r = plan_command(plan, "net.bridge", wait,
                                         "systemd-networkd has brought the bridge up before the re-check");
                if (r >= 0 && spec->disruption)
                        r = plan_mark_disruptive(plan, spec->disruption);
        }
        return r;
}

static int plan_netplan(const struct check_ctx *ctx, const struct bridge_spec *spec, const char *mtu,
                        struct plan *plan, char **ret_error)
{
        static const struct addressing_templates t = {"netplan-address.yaml", "netplan-gateway.yaml",
                                                      "netplan-dhcp.yaml", true};
        _cleanup_free_ char *file = net_bridge_file(NETCONF_NETPLAN, spec->bridge), *addressing = NULL;
        char *const argv[] = {(char *)"netplan", (char *)"apply", NULL};
        int r;

        if (!file)
                return -ENOMEM;
        r = render_addressing(spec, &t, &addressing, ret_error);
        if (r < 0)
                return r;
        r = plan_file(ctx, plan, file, "netplan-bridge.yaml",
                      (const struct template_value[]){{"PROFILE", ctx->profile->name},
                                                      {"BRIDGE", spec->bridge},
                                                      {"UPLINK", spec->uplink},
                                                      {"MTU", mtu},
                                                      {"ADDRESSING", addressing}},
                      5, spec, ret_error);
        if (r >= 0 && hostfs_is_live(ctx->fs)) {
                r = plan_command(plan, "net.bridge", argv, "netplan renders and applies the bridge");
                if (r >= 0 && spec->disruption)
                        r = plan_mark_disruptive(plan, spec->disruption);
        }
        return r;
}

static int plan_ifupdown(const struct check_ctx *ctx, const struct netconf *conf,
                         const struct bridge_spec *spec, const char *mtu, struct plan *plan,
                         char **ret_error)
{
        static const struct addressing_templates t = {"ifupdown-address.conf", "ifupdown-gateway.conf",
                                                      "ifupdown-dhcp.conf", false};
        _cleanup_free_ char *file = net_bridge_file(NETCONF_IFUPDOWN, spec->bridge), *addressing = NULL,
                            *sourced = strdup_printf("%s/*", PATH_NETWORK_INTERFACES_D);
        char *const argv[] = {(char *)"ifup", (char *)spec->bridge, NULL};
        int r;

        if (!file || !sourced)
                return -ENOMEM;
        if (!strv_contains(conf->sources, sourced))
                return -ENOENT;
        r = render_addressing(spec, &t, &addressing, ret_error);
        if (r < 0)
                return r;
        r = plan_file(ctx, plan, file, "ifupdown-bridge",
                      (const struct template_value[]){
                              {"PROFILE", ctx->profile->name},
                              {"BRIDGE", spec->bridge},
                              {"UPLINK", spec->uplink},
                              {"MTU", mtu},
                              {"METHOD", spec->addresses && spec->addresses[0] ? "static" : "dhcp"},
                              {"ADDRESSING", addressing}},
                      6, spec, ret_error);
        if (r >= 0 && hostfs_is_live(ctx->fs)) {
                r = plan_command(plan, "net.bridge", argv, "ifupdown brings the bridge up");
                if (r >= 0 && spec->disruption)
                        r = plan_mark_disruptive(plan, spec->disruption);
        }
        return r;
}

int net_bridge_plan(const struct check_ctx *ctx, const struct netconf *conf, enum netconf_system s,
                    const struct bridge_spec *spec, struct plan *plan, char **ret_error)
{
        _cleanup_free_ char *mtu = strdup_printf("%u", spec->mtu);

        if (!mtu)
                return -ENOMEM;
        if (s == NETCONF_NM)
                return -EOPNOTSUPP;
        if (strv_contains(conf->interfaces[s], spec->uplink)) {
                *ret_error = strdup_printf("%s declares %s itself: move its addressing to %s by hand",
                                           netconf_system_to_string(s), spec->uplink, spec->bridge);
                return *ret_error ? -EEXIST : -ENOMEM;
        }
        if (s == NETCONF_NETPLAN)
                return plan_netplan(ctx, spec, mtu, plan, ret_error);
        if (s == NETCONF_IFUPDOWN)
                return plan_ifupdown(ctx, conf, spec, mtu, plan, ret_error);
        return plan_networkd(ctx, spec, mtu, plan, ret_error);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net.bridge: every bridge the profile names ([network] bridges) exists, is up with carrier, has an
 * uplink that is not a guest's tap, carries the host's address where the profile says
 * ([network] address_bridge), and is declared in the system that configures this host's network at boot
 * (ifupdown, systemd-networkd, netplan, NetworkManager; lib/netconf.h): a bridge made by hand is gone
 * after a reboot, and with it every guest's network. The fix declares a missing or runtime-only bridge
 * with the host's uplink in that system (networkd, netplan or ifupdown) and brings it up.
 *
 * Runtime state comes from lib/netstate.h: netlink on the live host, the root's sysfs otherwise (the
 * golden fixtures; a root without /sys/class/net is an image, judged by its configuration only).
 */
#include <arpa/inet.h>

#include "common.h"
#include "net-bridge-fix.h"
#include "netconf.h"
#include "netstate.h"
#include "strv.h"

enum {
        NONE,
        CONFIG_UNREADABLE,
        STATE_UNREADABLE,
        EXISTS_MISSING,
        EXISTS_NOT_RUNNING,
        EXISTS_NOT_BRIDGE,
        EXISTS_NO_RUNTIME,
        EXISTS_OK,
        STATE_DOWN,
        STATE_NO_CARRIER,
        STATE_UP,
        UPLINK_NONE,
        UPLINK_UNKNOWN,
        UPLINK_OK,
        ADDRESS_MISSING,
        ADDRESS_UNKNOWN,
        ADDRESS_OK,
        PERSIST_RUNTIME_ONLY,
        PERSIST_NOT_CONFIGURED,
        PERSIST_OK,
        FIX_UNSUPPORTED,
        FIX_NO_UPLINK,
        FIX_NOT_SOURCED,
        FIX_TEMPLATE_BROKEN,
        FIX_UPLINK_DECLARED,
};

static const struct result_def net_bridge_results[] = {
        [NONE] = {"net.bridge.exists", STATUS_SKIP, "no_bridges"},
        [CONFIG_UNREADABLE] = {"net.bridge.config", STATUS_ERROR, "config_unreadable",
                               "correct the file named: its system refuses it too"},
        [STATE_UNREADABLE] = {"net.bridge.exists", STATUS_ERROR, "state_unreadable"},
        [EXISTS_MISSING] = {"net.bridge.exists", STATUS_FAIL, "bridge_missing",
                            "create @BRIDGE@ with the uplink as its port in @FILE@ (hostprep apply does)"},
        [EXISTS_NOT_RUNNING] = {"net.bridge.exists", STATUS_FAIL, "not_running",
                                "@FILE@ declares it: bring it up (@COMMAND@)"},
        [EXISTS_NOT_BRIDGE] = {"net.bridge.exists", STATUS_FAIL, "not_a_bridge",
                               "rename the interface @BRIDGE@ or name another bridge in the profile"},
        [EXISTS_NO_RUNTIME] = {"net.bridge.exists", STATUS_SKIP, "no_runtime_state"},
        [EXISTS_OK] = {"net.bridge.exists", STATUS_PASS, "bridge_exists"},
        [STATE_DOWN] = {"net.bridge.state", STATUS_FAIL, "down", "ip link set @BRIDGE@ up"},
        [STATE_NO_CARRIER] = {"net.bridge.state", STATUS_FAIL, "no_carrier",
                              "connect and bring up its uplink (ip link set UPLINK up), check the cable"},
        [STATE_UP] = {"net.bridge.state", STATUS_PASS, "up"},
        [UPLINK_NONE] =
                {"net.bridge.uplink", STATUS_FAIL, "no_uplink",
                 "add the host's uplink to @BRIDGE@ where the bridge is declared (@FILE@ if nothing declares it)"},
        [UPLINK_UNKNOWN] = {"net.bridge.uplink", STATUS_WARN, "ports_unknown",
                            "check by hand: ovs-vsctl list-ports @BRIDGE@"},
        [UPLINK_OK] = {"net.bridge.uplink", STATUS_PASS, "uplink"},
        [ADDRESS_MISSING] = {"net.bridge.address", STATUS_FAIL, "address_missing",
                             "move @ADDRESS@ to @BRIDGE@ in @FILE@: the peers reach this host there"},
        [ADDRESS_UNKNOWN] = {"net.bridge.address", STATUS_SKIP, "addresses_unknown"},
        [ADDRESS_OK] = {"net.bridge.address", STATUS_PASS, "address_on_bridge"},
        [PERSIST_RUNTIME_ONLY] = {"net.bridge.persistent", STATUS_WARN, "runtime_only",
                                  "declare @BRIDGE@ in @FILE@ (@SYSTEM@), or let hostprep apply write it"},
        [PERSIST_NOT_CONFIGURED] = {"net.bridge.persistent", STATUS_FAIL, "not_configured",
                                    "declare @BRIDGE@ in @FILE@ (@SYSTEM@), or let hostprep apply write it"},
        [PERSIST_OK] = {"net.bridge.persistent", STATUS_PASS, "configured"},
        [FIX_UNSUPPORTED] =
                {"net.bridge.fix", STATUS_ERROR, "system_unsupported",
                 "declare the bridge by hand (nmcli connection add type bridge ifname @BRIDGE@)"},
        [FIX_NO_UPLINK] = {"net.bridge.fix", STATUS_ERROR, "uplink_unknown",
                           "name it in the profile: [network] uplink = IFACE"},
        [FIX_NOT_SOURCED] = {"net.bridge.fix", STATUS_ERROR, "interfaces_d_not_sourced",
                             "add 'source /etc/network/interfaces.d/*' to /etc/network/interfaces"},
        [FIX_TEMPLATE_BROKEN] = {"net.bridge.fix", STATUS_ERROR, "template_broken"},
        [FIX_UPLINK_DECLARED] = {"net.bridge.fix", STATUS_ERROR, "uplink_declared",
                                 "move the uplink's addressing to the bridge by hand, then run apply again"},
};

struct bridge_view {
        struct netconf conf;
        struct net_state state;
        bool have_state, have_addresses;
        enum netconf_system system; /* the one that configures this host */
};

static void bridge_view_done(struct bridge_view *v)
{
        netconf_done(&v->conf);
        net_state_done(&v->state);
}

static int bridge_view_load(struct check_ctx *ctx, struct bridge_view *v)
{
        _cleanup_free_ char *error = NULL;
        struct stat st;
        int r;

        *v = (struct bridge_view){0};
        r = netconf_read(ctx->fs, &v->conf, &error);
        if (r == -EBADMSG)
                return check_emit(ctx, &net_bridge_results[CONFIG_UNREADABLE], NULL, "%s", error) < 0
                               ? -ENOMEM
                               : -EBADMSG;
        if (r < 0)
                return r;
        v->system = net_bridge_system(&v->conf);
        /* an image has no running interfaces: only its configuration is judged */
        if (!hostfs_is_live(ctx->fs) && hostfs_stat(ctx->fs, PATH_SYS_CLASS_NET, &st) < 0)
                return 0;
        r = netstate_read(ctx->fs, ctx->deadline, &v->state);
        if (r < 0)
                return check_emit(ctx, &net_bridge_results[STATE_UNREADABLE], NULL,
                                  "the interfaces cannot be read: %s", strerror(-r)) < 0
                               ? -ENOMEM
                               : r;
        v->have_state = true;
        v->have_addresses = hostfs_is_live(ctx->fs);
        return 0;
}

static bool is_bridge(const struct net_link *l)
{
        return l && l->kind && (streq(l->kind, "bridge") || streq(l->kind, "openvswitch"));
}

/* 1: the bridge runs (go on with its state), 0: it does not (said). */
static int check_exists(struct check_ctx *ctx, const struct bridge_view *v, const char *name,
                        const struct net_link *l, const struct netconf_bridge *cb)
{
        _cleanup_free_ char *file = net_bridge_file(v->system, name),
                            *command = cb ? net_bridge_bringup_command(cb->system, name) : strdup("");
        int r;

        if (!file || !command)
                return -ENOMEM;
        if (!v->have_state)
                return check_emit(ctx, &net_bridge_results[EXISTS_NO_RUNTIME], NULL,
                                  "%s: no running interfaces under this root (an image): its configuration "
                                  "is judged",
                                  name);
        if (!l && cb)
                return check_emit_hint(ctx, &net_bridge_results[EXISTS_NOT_RUNNING],
                                       HINT_VALUES("FILE", cb->file, "COMMAND", command), cb->file,
                                       "bridge %s is declared (%s) but does not run", name,
                                       netconf_system_to_string(cb->system));
        if (!l)
                return check_emit_hint(
                        ctx, &net_bridge_results[EXISTS_MISSING], HINT_VALUES("BRIDGE", name, "FILE", file),
                        NULL, "there is no bridge %s: guests attached to it cannot start or arrive", name);
        if (!is_bridge(l))
                return check_emit_hint(ctx, &net_bridge_results[EXISTS_NOT_BRIDGE],
                                       HINT_VALUES("BRIDGE", name), l->kind, "%s is a %s, not a bridge",
                                       name, l->kind ? l->kind : "device");
        r = check_emit(ctx, &net_bridge_results[EXISTS_OK], l->kind, "bridge %s exists (%s)", name,
                       streq(l->kind, "bridge") ? "Linux bridge" : "Open vSwitch");
        return r < 0 ? r : 1;
}

static int check_state(struct check_ctx *ctx, const char *name, const struct net_link *l)
{
        _cleanup_free_ char *ev = strdup_printf("operstate %s, carrier %d, %s", strna(l->operstate),
                                                l->carrier, l->admin_up ? "UP" : "not UP");

        if (!ev)
                return -ENOMEM;
        if (!l->admin_up || (l->operstate && streq(l->operstate, "down") && l->carrier != 0))
                return check_emit_hint(ctx, &net_bridge_results[STATE_DOWN], HINT_VALUES("BRIDGE", name), ev,
                                       "bridge %s is down", name);
        if (l->carrier == 0 || (l->operstate && streq(l->operstate, "lowerlayerdown")))
                return check_emit(ctx, &net_bridge_results[STATE_NO_CARRIER], ev,
                                  "bridge %s has no carrier: no port of it is up", name);
        return check_emit(ctx, &net_bridge_results[STATE_UP], ev, "bridge %s is up with carrier", name);
}

static int check_uplink(struct check_ctx *ctx, const struct bridge_view *v, const char *name,
                        const struct net_link *l)
{
        _cleanup_free_ const struct net_link **ports = net_state_ports(&v->state, name);
        _cleanup_free_ char *file = net_bridge_file(v->system, name), *seen = NULL;
        _cleanup_(strv_freep) char **uplinks = NULL, **guests = NULL;

        if (!ports || !file)
                return -ENOMEM;
        if (streq(l->kind, "openvswitch"))
                return check_emit_hint(ctx, &net_bridge_results[UPLINK_UNKNOWN], HINT_VALUES("BRIDGE", name),
                                       NULL, "the ports of Open vSwitch bridge %s are known to OVSDB only",
                                       name);
        for (const struct net_link **p = ports; *p; p++)
                if (strv_push_dup(net_link_is_guest(*p) ? &guests : &uplinks, (*p)->name) < 0)
                        return -ENOMEM;
        seen = strv_join(uplinks ? uplinks : guests, " ");
        if (!seen)
                return -ENOMEM;
        if (!uplinks)
                return check_emit_hint(
                        ctx, &net_bridge_results[UPLINK_NONE], HINT_VALUES("BRIDGE", name, "FILE", file),
                        *seen ? seen : NULL,
                        "bridge %s has no uplink%s%s: its guests reach nothing beyond this host", name,
                        guests ? ", only guests' interfaces: " : "", seen);
        return check_emit(ctx, &net_bridge_results[UPLINK_OK], seen, "bridge %s has uplink %s", name, seen);
}

static bool has_address(const struct net_link *l, const char *addr)
{
        STRV_FOREACH (a, l->addresses)
                if (strneq(*a, addr, strlen(addr)) && (*a)[strlen(addr)] == '/')
                        return true;
        return false;
}

static int check_address(struct check_ctx *ctx, const struct bridge_view *v, const char *name,
                         const struct net_link *l)
{
        _cleanup_(strv_freep) char **addrs = NULL;
        _cleanup_free_ char *file = net_bridge_file(v->system, name), *seen = NULL;
        const char *want = conf_get(ctx->profile, "network", "address_bridge");
        int r;

        if (!want || !streq(want, name))
                return 0;
        if (!file)
                return -ENOMEM;
        if (!v->have_addresses)
                return check_emit(ctx, &net_bridge_results[ADDRESS_UNKNOWN], NULL,
                                  "%s: addresses are read from the running kernel only", name);
        r = check_host_addresses(ctx, ctx->hostname, &addrs);
        if (r < 0)
                return r;
        seen = strv_join(l->addresses, " ");
        if (!seen)
                return -ENOMEM;
        STRV_FOREACH (a, addrs)
                if (has_address(l, *a))
                        return check_emit(ctx, &net_bridge_results[ADDRESS_OK], seen, "%s carries %s (%s)",
                                          name, *a, ctx->hostname);
        return check_emit_hint(ctx, &net_bridge_results[ADDRESS_MISSING],
                               HINT_VALUES("ADDRESS", addrs && addrs[0] ? addrs[0] : ctx->hostname, "BRIDGE",
                                           name, "FILE", file),
                               *seen ? seen : NULL, "%s does not carry %s's address %s", name, ctx->hostname,
                               addrs && addrs[0] ? addrs[0] : "(not in /etc/hosts)");
}

static int check_persistent(struct check_ctx *ctx, const struct bridge_view *v, const char *name,
                            const struct net_link *l, const struct netconf_bridge *cb)
{
        _cleanup_free_ char *file = net_bridge_file(v->system, name), *where = NULL;
        const char *system = netconf_system_to_string(v->system);

        if (!file)
                return -ENOMEM;
        if (cb) {
                where = cb->line ? strdup_printf("%s:%u", cb->file, cb->line) : strdup(cb->file);
                return where ? check_emit(ctx, &net_bridge_results[PERSIST_OK], where,
                                          "bridge %s is declared for %s in %s", name,
                                          netconf_system_to_string(cb->system), cb->file)
                             : -ENOMEM;
        }
        if (l)
                return check_emit_hint(ctx, &net_bridge_results[PERSIST_RUNTIME_ONLY],
                                       HINT_VALUES("BRIDGE", name, "FILE", file, "SYSTEM", system), NULL,
                                       "bridge %s runs but nothing declares it: it is gone after a reboot "
                                       "(write %s)",
                                       name, file);
        if (v->have_state)
                return 0; /* missing altogether: net.bridge.exists said it */
        return check_emit_hint(ctx, &net_bridge_results[PERSIST_NOT_CONFIGURED],
                               HINT_VALUES("BRIDGE", name, "FILE", file, "SYSTEM", system), NULL,
                               "nothing declares bridge %s (write %s)", name, file);
}

static int check_one(struct check_ctx *ctx, const struct bridge_view *v, const char *name)
{
        const struct net_link *l = v->have_state ? net_state_find(&v->state, name) : NULL;
        const struct netconf_bridge *cb = netconf_find(&v->conf, name);
        int r = check_exists(ctx, v, name, l, cb);

        if (r < 0 || (l && !is_bridge(l)))
                return r; /* another kind of interface has the name: nothing more to say of it */
        if (l) {
                r = check_state(ctx, name, l);
                if (r >= 0)
                        r = check_uplink(ctx, v, name, l);
                if (r >= 0)
                        r = check_address(ctx, v, name, l);
                if (r < 0)
                        return r;
        }
        return check_persistent(ctx, v, name, l, cb);
}

static int net_bridge_check(struct check_ctx *ctx)
{
        _cleanup_(strv_freep) char **names = NULL;
        _cleanup_(bridge_view_done) struct bridge_view v = {0};
        const char *list = conf_get(ctx->profile, "network", "bridges");
        int r;

        if (!list)
                return check_emit(ctx, &net_bridge_results[NONE], NULL,
                                  "the profile names no bridges ([network] bridges)");
        r = strv_split(list, ", \t", &names);
        if (r < 0)
                return r;
        r = bridge_view_load(ctx, &v);
        if (r < 0)
                return r == -EBADMSG ? 0 : r;
        STRV_FOREACH (n, names)
                if ((r = check_one(ctx, &v, *n)) < 0)
                        return r;
        return 0;
}

/* ---- the fix ---- */

static bool is_own_address(const char *a)
{
        return !startswith(a, "fe80:"); /* link-local addresses come with every interface */
}

/* Why moving uplink into a new bridge cuts this host off, or NULL: it carries the default route, or the
 * SSH session hostprep runs in came in over one of its addresses. */
static char *disruption(const struct check_ctx *ctx, const struct net_state *st, const struct net_link *up)
{
        const char *ssh = getenv("SSH_CONNECTION");
        _cleanup_(strv_freep) char **f = NULL;

        if (!hostfs_is_live(ctx->fs))
                return NULL;
        if (ssh && strv_split(ssh, " ", &f) >= 0 && strv_length(f) >= 3 && has_address(up, f[2]))
                return strdup_printf("moves %s, which carries this SSH session (%s), into a new bridge: the "
                                     "session drops until the bridge has the address",
                                     up->name, f[2]);
        if (st->default_dev && streq(st->default_dev, up->name))
                return strdup_printf("moves %s, the default route's interface, into a new bridge: the host "
                                     "is cut off until the bridge has the address",
                                     up->name);
        return NULL;
}

static int fix_one(struct check_ctx *ctx, const struct bridge_view *v, const char *name, struct plan *plan)
{
        const struct net_link *l = v->have_state ? net_state_find(&v->state, name) : NULL, *up = NULL;
        const char *uplink = conf_get(ctx->profile, "network", "uplink"), *mtu_text;
        _cleanup_free_ const struct net_link **ports = l ? net_state_ports(&v->state, name) : NULL;
        _cleanup_(strv_freep) char **addrs = NULL;
        _cleanup_free_ char *why = NULL, *error = NULL;
        struct bridge_spec spec = {.bridge = name};
        int r;

        if (netconf_find(&v->conf, name))
                return 0; /* declared: what is wrong with it is the operator's to say */
        for (const struct net_link **p = ports; p && *p && !uplink; p++)
                if (!net_link_is_guest(*p))
                        uplink = (*p)->name;
        if (!uplink)
                uplink = v->state.default_dev;
        if (!uplink)
                return check_emit(ctx, &net_bridge_results[FIX_NO_UPLINK], NULL,
                                  "no uplink known for bridge %s (no default route, none in the profile)",
                                  name);
        up = net_state_find(&v->state, uplink);
        /* the addresses move with the uplink into the bridge; a running bridge keeps its own */
        STRV_FOREACH (a, l ? l->addresses : up ? up->addresses : NULL)
                if (is_own_address(*a) && strchr(*a, '.') && strv_push_dup(&addrs, *a) < 0)
                        return -ENOMEM;
        mtu_text = conf_get(ctx->profile, "network", "mtu");
        spec.uplink = uplink;
        spec.mtu = l ? l->mtu : up ? up->mtu : 1500;
        if (mtu_text)
                (void)safe_atou(mtu_text, &spec.mtu);
        spec.addresses = addrs;
        spec.gateway = v->state.default_gateway;
        why = !l && up ? disruption(ctx, &v->state, up) : NULL;
        spec.disruption = why;
        r = net_bridge_plan(ctx, &v->conf, v->system, &spec, plan, &error);
        if (r == -EOPNOTSUPP)
                return check_emit_hint(ctx, &net_bridge_results[FIX_UNSUPPORTED],
                                       HINT_VALUES("BRIDGE", name), NULL,
                                       "NetworkManager configures this host: hostprep does not write its "
                                       "keyfiles");
        if (r == -ENOENT)
                return check_emit(ctx, &net_bridge_results[FIX_NOT_SOURCED], PATH_NETWORK_INTERFACES,
                                  "ifupdown does not read %s: a file there would be ignored",
                                  PATH_NETWORK_INTERFACES_D);
        if (r == -EEXIST)
                return check_emit(ctx, &net_bridge_results[FIX_UPLINK_DECLARED], NULL, "%s", strna(error));
        if (r == -EINVAL)
                return check_emit(ctx, &net_bridge_results[FIX_TEMPLATE_BROKEN], error, "%s", strna(error));
        return r;
}

static int net_bridge_fix(struct check_ctx *ctx, struct plan *plan)
{
        _cleanup_(strv_freep) char **names = NULL;
        _cleanup_(bridge_view_done) struct bridge_view v = {0};
        struct result_list scratch = {0}, *saved = ctx->results;
        int r;

        if (!check_gave(ctx, &net_bridge_results[EXISTS_MISSING]) &&
            !check_gave(ctx, &net_bridge_results[PERSIST_RUNTIME_ONLY]) &&
            !check_gave(ctx, &net_bridge_results[PERSIST_NOT_CONFIGURED]))
                return 0;
        r = strv_split(conf_get(ctx->profile, "network", "bridges"), ", \t", &names);
        if (r < 0)
                return r;
        /* what loading says the check said already */
        ctx->results = &scratch;
        r = bridge_view_load(ctx, &v);
        ctx->results = saved;
        result_list_done(&scratch);
        if (r < 0)
                return r == -EBADMSG ? 0 : r;
        STRV_FOREACH (n, names)
                if ((r = fix_one(ctx, &v, *n, plan)) < 0)
                        return r;
        return 0;
}

const struct unit unit_net_bridge = {
        .id = "net.bridge",
        .title = "the profile's bridges run, with an uplink and the host's address, and survive a reboot",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = net_bridge_results,
        .n_results = ELEMENTSOF(net_bridge_results),
        .check = net_bridge_check,
        .fix = net_bridge_fix,
};

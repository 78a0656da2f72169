/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net.firewall: every port this host must let in (net_firewall_needs.c) is let in from the peers that
 * need it, by whatever filters here: firewalld (asked over D-Bus, runtime and permanent: an opening only
 * in runtime is lost on the next reload), the nftables ruleset (walked for a packet from each peer to
 * each port, lib/nft-walk.h, naming the rule that drops), and iptables-legacy's rules, which nftables
 * does not see. Then it is proven: each peer connects to each port (net_firewall_probe.c), so "the rules
 * say open but nothing arrives" and "a rule not understood lets it in" are told apart.
 *
 * The live ruleset is read through libnftables; under --root, where no kernel ruleset belongs to the
 * root, a captured `nft -j list ruleset` at PATH_NFT_RULESET_CAPTURE stands for it (the golden cases
 * use that), and without one the walk is skipped.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "common.h"
#include "lineiter.h"
#include "net-firewall.h"
#include "nft.h"
#include "pathlookup.h"
#include "provision/firewalld.h"
#include "provision/plan.h"
#include "provision/systemd.h"
#include "spawn.h"
#include "strv.h"

enum {
        PORTS_NONE,
        PORTS_LISTED,
        PORTS_BAD_KEY,
        PINNING_OK,
        PINNING_DYNAMIC,
        PINNING_DYNAMIC_UNFILTERED,
        BACKEND_NOT_LIVE,
        BACKEND_UNREADABLE,
        BACKEND_FIREWALLD,
        BACKEND_NFTABLES,
        BACKEND_NONE,
        LEGACY_NONE,
        LEGACY_RULES,
        RULE_ACCEPT,
        RULE_DROP,
        RULE_UNKNOWN,
        RULE_NO_ADDRESS,
        FIREWALLD_OPEN,
        FIREWALLD_RUNTIME_ONLY,
        FIREWALLD_PERMANENT_ONLY,
        FIREWALLD_CLOSED,
        FIREWALLD_FAILED,
        PROBE_OFF,
        PROBE_NOT_LIVE,
        PROBE_ARRIVED,
        PROBE_RULES_OPEN_BLOCKED,
        PROBE_UNKNOWN_OPENS,
        PROBE_UNKNOWN_BLOCKS,
        PROBE_CONFIRMS_DROP,
        PROBE_CLOSED_ARRIVES,
        PROBE_UDP_IN_USE,
        PROBE_PEER_FAILED,
        PROBE_NOT_PROVEN,
        FIX_NOT_NFTABLES_CONF,
        FIX_NOT_LIVE,
        FIX_FAILED,
};

#define OPEN_HINT                                                                                           \
        "hostprep apply opens it from the peers; by hand: accept @PORT@ from @PEERS@ before @WHERE@"
#define PIN_HINT                                                                                            \
        "pin them in " PATH_NFS_CONF ": [mountd] port=20048, [statd] port=32765, [lockd] port=32803 and "   \
        "udp-port=32769 (hostprep apply writes it), then restart nfs-server"

static const struct result_def net_firewall_results[] = {
        [PORTS_NONE] = {"net.firewall.ports", STATUS_SKIP, "no_peers"},
        [PORTS_LISTED] = {"net.firewall.ports", STATUS_PASS, "listed"},
        [PORTS_BAD_KEY] =
                {"net.firewall.ports", STATUS_ERROR, "bad_profile_key",
                 "write [firewall] ports as PORT[-PORT][/tcp|/udp] and [network] overlay as tinc or vxlan"},
        [PINNING_OK] = {"net.firewall.nfs_ports", STATUS_PASS, "pinned"},
        [PINNING_DYNAMIC] = {"net.firewall.nfs_ports", STATUS_FAIL, "dynamic", PIN_HINT},
        [PINNING_DYNAMIC_UNFILTERED] = {"net.firewall.nfs_ports", STATUS_WARN, "dynamic_unfiltered",
                                        PIN_HINT},
        [BACKEND_NOT_LIVE] = {"net.firewall.backend", STATUS_SKIP, "not_live"},
        [BACKEND_UNREADABLE] = {"net.firewall.backend", STATUS_ERROR, "unreadable"},
        [BACKEND_FIREWALLD] = {"net.firewall.backend", STATUS_PASS, "firewalld"},
        [BACKEND_NFTABLES] = {"net.firewall.backend", STATUS_PASS, "nftables"},
        [BACKEND_NONE] = {"net.firewall.backend", STATUS_PASS, "unfiltered"},
        [LEGACY_NONE] = {"net.firewall.legacy", STATUS_PASS, "none"},
        [LEGACY_RULES] =
                {"net.firewall.legacy", STATUS_WARN, "legacy_rules",
                 "iptables-legacy rules are not walked: move them to nftables (iptables-legacy-save | "
                 "iptables-restore-translate), or open the ports there by hand"},
        [RULE_ACCEPT] = {"net.firewall.rule", STATUS_PASS, "accepted"},
        [RULE_DROP] = {"net.firewall.rule", STATUS_FAIL, "dropped", OPEN_HINT},
        [RULE_UNKNOWN] = {"net.firewall.rule", STATUS_WARN, "not_understood",
                          "read @WHERE@ by hand (nft -a list ruleset); the probe decides"},
        [RULE_NO_ADDRESS] = {"net.firewall.rule", STATUS_ERROR, "peer_unresolved"},
        [FIREWALLD_OPEN] = {"net.firewall.firewalld", STATUS_PASS, "open"},
        [FIREWALLD_RUNTIME_ONLY] =
                {"net.firewall.firewalld", STATUS_WARN, "runtime_only",
                 "make it permanent: firewall-cmd --runtime-to-permanent (or hostprep apply)"},
        [FIREWALLD_PERMANENT_ONLY] = {"net.firewall.firewalld", STATUS_FAIL, "permanent_only",
                                      "firewall-cmd --reload makes the permanent opening active"},
        [FIREWALLD_CLOSED] = {"net.firewall.firewalld", STATUS_FAIL, "closed",
                              "hostprep apply opens it in zone @ZONE@; by hand: firewall-cmd --zone=@ZONE@ "
                              "--add-port=@PORT@ (and again with --permanent)"},
        [FIREWALLD_FAILED] = {"net.firewall.firewalld", STATUS_ERROR, "bus_failed"},
        [PROBE_OFF] = {"net.firewall.probe", STATUS_SKIP, "disabled"},
        [PROBE_NOT_LIVE] = {"net.firewall.probe", STATUS_SKIP, "not_live"},
        [PROBE_ARRIVED] = {"net.firewall.probe", STATUS_PASS, "arrived"},
        [PROBE_RULES_OPEN_BLOCKED] = {"net.firewall.probe", STATUS_FAIL, "rules_open_but_blocked",
                                      "something between the hosts drops it (another firewall, a router, "
                                      "the peer's own output rules): trace it with nft monitor trace"},
        [PROBE_UNKNOWN_OPENS] = {"net.firewall.probe", STATUS_PASS, "unread_rule_opens"},
        [PROBE_UNKNOWN_BLOCKS] = {"net.firewall.probe", STATUS_FAIL, "unread_rule_blocks", OPEN_HINT},
        [PROBE_CONFIRMS_DROP] = {"net.firewall.probe", STATUS_FAIL, "blocked", OPEN_HINT},
        [PROBE_CLOSED_ARRIVES] = {"net.firewall.probe", STATUS_WARN, "rules_closed_but_arrives",
                                  "the packet gets in although @WHERE@ drops it: read the ruleset by hand"},
        [PROBE_UDP_IN_USE] = {"net.firewall.probe", STATUS_SKIP, "udp_in_use"},
        [PROBE_PEER_FAILED] = {"net.firewall.probe", STATUS_ERROR, "peer_failed"},
        /* the rules decided already: a peer that cannot probe leaves their verdict unproven, not undecided
         */
        [PROBE_NOT_PROVEN] = {"net.firewall.probe", STATUS_WARN, "not_proven",
                              "install hostprep on @PEERS@ (the probe runs hostprep probe there over SSH; "
                              "[ssh] hostprep names where), or set [firewall] probe = no"},
        [FIX_NOT_NFTABLES_CONF] = {"net.firewall.fix", STATUS_ERROR, "chain_not_in_nftables_conf",
                                   "open the port in whatever defines @WHERE@"},
        [FIX_NOT_LIVE] = {"net.firewall.fix", STATUS_ERROR, "not_live"},
        [FIX_FAILED] = {"net.firewall.fix", STATUS_ERROR, "cannot_plan"},
};

#define R(x) (&net_firewall_results[x])

/* --- state ------------------------------------------------------------------------------------------- */

void fw_state_done(struct fw_state *s)
{
        for (size_t i = 0; i < s->n_evals; i++) {
                for (size_t k = 0; k < s->evals[i].n_segs; k++)
                        free(s->evals[i].segs[k].where);
                free(s->evals[i].segs);
                free(s->evals[i].zone);
        }
        free(s->evals);
        for (size_t i = 0; i < s->n_peers; i++)
                fw_peer_done(&s->peers[i]);
        free(s->peers);
        nft_ruleset_free(s->rs);
        free(s->ruleset_json);
        fw_needs_done(&s->needs);
        *s = (struct fw_state){};
}

static const struct fw_peer *peer_get(const struct fw_state *s, const char *name)
{
        for (size_t i = 0; i < s->n_peers; i++)
                if (streq(s->peers[i].name, name))
                        return &s->peers[i];
        return NULL;
}

static int peers_resolve(const struct check_ctx *ctx, struct fw_state *s)
{
        for (size_t i = 0; i < s->needs.n; i++)
                STRV_FOREACH (f, s->needs.items[i].from) {
                        struct fw_peer *p;
                        int r;

                        if (peer_get(s, *f))
                                continue;
                        p = realloc(s->peers, (s->n_peers + 1) * sizeof(*p));
                        if (!p)
                                return -ENOMEM;
                        s->peers = p;
                        r = fw_peer_resolve(ctx, *f, &p[s->n_peers]);
                        if (r < 0)
                                return r;
                        s->n_peers++;
                }
        return 0;
}

int fw_peer_addresses(const struct fw_state *s, const struct fw_need *need, int family, char ***ret)
{
        _cleanup_(strv_freep) char **v = NULL;

        STRV_FOREACH (f, need ? need->from : NULL) {
                const struct fw_peer *p = peer_get(s, *f);

                if (p && p->address && p->family == family && !strv_contains(v, p->address) &&
                    strv_push_dup(&v, p->address) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; !need && i < s->n_peers; i++)
                if (s->peers[i].address && s->peers[i].family == family &&
                    !strv_contains(v, s->peers[i].address) && strv_push_dup(&v, s->peers[i].address) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(v);
        return 0;
}

int fw_ruleset_text(const struct check_ctx *ctx, char **ret, char **ret_error)
{
        if (hostfs_is_live(ctx->fs))
                return nft_list_ruleset(NFT_LIST_JSON, ret, ret_error);
        return hostfs_read_file(ctx->fs, PATH_NFT_RULESET_CAPTURE, ret, NULL);
}

/* --- evaluating ---------------------------------------------------------------------------------------- */

static int eval_push(struct fw_state *s, const struct fw_need *need, const struct fw_peer *peer,
                     struct fw_eval **ret)
{
        struct fw_eval *p = realloc(s->evals, (s->n_evals + 1) * sizeof(*p));

        if (!p)
                return -ENOMEM;
        s->evals = p;
        p[s->n_evals] = (struct fw_eval){.need = need, .peer = peer};
        *ret = &p[s->n_evals++];
        return 0;
}

static int segment_add(struct fw_eval *e, unsigned port, enum nft_verdict v, char *where)
{
        struct fw_segment *last = e->n_segs ? &e->segs[e->n_segs - 1] : NULL, *p;

        if (last && last->hi + 1 == port && last->verdict == v &&
            streq(strempty(last->where), strempty(where))) {
                last->hi = port;
                free(where);
                return 0;
        }
        p = realloc(e->segs, (e->n_segs + 1) * sizeof(*p));
        if (!p) {
                free(where);
                return -ENOMEM;
        }
        e->segs = p;
        p[e->n_segs++] = (struct fw_segment){port, port, v, where};
        return 0;
}

/* The walk for every port of the need's range, from one peer. */
static int eval_nft(const struct fw_state *s, struct fw_eval *e)
{
        for (unsigned port = e->need->lo; port <= e->need->hi; port++) {
                struct nft_packet pkt = {.family = e->peer->family,
                                         .saddr = e->peer->address,
                                         .iifname = e->peer->iifname,
                                         .l4proto = e->need->proto,
                                         .dport = port};
                struct nft_decision d = {};
                char *where;
                int r = nft_ruleset_eval(s->rs, &pkt, &d);

                if (r < 0)
                        return r;
                where = nft_where_to_string(&d.where);
                if (!where)
                        where = strdup(d.n_chains ? "?" : "no input chain");
                r = where ? segment_add(e, port, d.verdict, where) : -ENOMEM;
                nft_decision_done(&d);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Whether "a[-b]/proto" covers the need's whole range. */
static bool port_covers(const char *spec, const struct fw_need *n)
{
        unsigned lo, hi;
        uint8_t proto;

        return fw_port_parse(spec, &lo, &hi, &proto) >= 0 && proto == n->proto && lo <= n->lo && hi >= n->hi;
}

/* Whether address is prefix ("10.0.0.0/24", "10.0.0.2", IPv6 alike). */
static bool address_in(const char *address, const char *prefix)
{
        _cleanup_free_ char *net = strdup(prefix);
        unsigned char a[16], b[16];
        char *slash = net ? strchr(net, '/') : NULL;
        unsigned len = 128;
        int af = strchr(address, ':') ? AF_INET6 : AF_INET;

        if (slash) {
                *slash = 0;
                if (safe_atou(slash + 1, &len) < 0)
                        return false;
        }
        if (!net || inet_pton(af, address, a) != 1 || inet_pton(af, net, b) != 1)
                return false;
        len = len > (af == AF_INET ? 32u : 128u) ? (af == AF_INET ? 32u : 128u) : len;
        for (unsigned bit = 0; bit < len; bit++)
                if ((a[bit / 8] ^ b[bit / 8]) & (0x80 >> (bit % 8)))
                        return false;
        return true;
}

/* The value of NAME="VALUE" in a rich rule, or NULL. */
static char *rich_value(const char *rule, const char *name)
{
        _cleanup_free_ char *key = strdup_printf(" %s=\"", name), *padded = strdup_printf(" %s", rule);
        const char *p = key && padded ? strstr(padded, key) : NULL, *end;

        if (!p)
                return NULL;
        p += strlen(key);
        end = strchr(p, '"');
        return end ? strndup(p, end - p) : NULL;
}

/* A rich rule that accepts the need from address: `rule [family=..] [source address=".."] port
 * port=".." protocol=".." accept`, or with `service name=".."`. Others (NOT, marks, logs only) are not
 * counted: the probe tells what they do. */
static bool rich_opens(const char *rule, const struct fw_need *n, const char *address)
{
        _cleanup_free_ char *source = rich_value(rule, "address"), *port = rich_value(rule, "port"),
                            *proto = rich_value(rule, "protocol"), *service = rich_value(rule, "name"),
                            *spec = NULL;

        if (!endswith(rule, " accept") || strstr(rule, " NOT ") || strstr(rule, " not "))
                return false;
        if (source && !address_in(address, source))
                return false;
        if (port && proto) {
                spec = strdup_printf("%s/%s", port, proto);
                return spec && port_covers(spec, n);
        }
        return service && n->service && streq(service, n->service);
}

static bool zone_opens(const struct firewalld_zone *z, const struct fw_need *n, const char *address)
{
        if (z->target && streq(z->target, "ACCEPT"))
                return true;
        STRV_FOREACH (p, z->ports)
                if (port_covers(*p, n))
                        return true;
        STRV_FOREACH (p, z->service_ports) {
                const char *space = strchr(*p, ' ');
                if (space && port_covers(space + 1, n))
                        return true;
        }
        STRV_FOREACH (p, z->rich_rules)
                if (rich_opens(*p, n, address))
                        return true;
        return false;
}

static int eval_firewalld(sd_bus *bus, usec_t deadline, struct fw_eval *e, sd_bus_error *error)
{
        struct firewalld_zone z[_FIREWALLD_LAYER_MAX] = {};
        _cleanup_free_ char *where = NULL;
        int r;

        r = firewalld_zone_for(bus, e->peer->address, e->peer->iifname, deadline, &e->zone, error);
        for (int l = 0; r >= 0 && l < _FIREWALLD_LAYER_MAX; l++)
                r = firewalld_zone_read(bus, l, e->zone, deadline, &z[l], error);
        if (r >= 0) {
                e->runtime = zone_opens(&z[FIREWALLD_RUNTIME], e->need, e->peer->address);
                e->permanent = zone_opens(&z[FIREWALLD_PERMANENT], e->need, e->peer->address);
                where = strdup_printf("firewalld zone %s", e->zone);
                r = where ? segment_add(e, e->need->lo, e->runtime ? NFT_ACCEPT : NFT_DROP, TAKE_PTR(where))
                          : -ENOMEM;
                if (r >= 0)
                        e->segs[0].hi = e->need->hi;
        }
        for (int l = 0; l < _FIREWALLD_LAYER_MAX; l++)
                firewalld_zone_done(&z[l]);
        return r;
}

/* --- the check ---------------------------------------------------------------------------------------- */

static int emit_needs(struct check_ctx *ctx, const struct fw_needs *n)
{
        _cleanup_(strv_freep) char **parts = NULL;
        _cleanup_free_ char *text = NULL, *origins = NULL;
        _cleanup_(strv_freep) char **ov = NULL;

        for (size_t i = 0; i < n->n; i++) {
                _cleanup_free_ char *port = fw_port_string(n->items[i].lo, n->items[i].hi,
                                                           n->items[i].proto),
                                    *from = strv_join(n->items[i].from, ", ");

                if (!port || !from ||
                    strv_push(&parts, strdup_printf("%s %s from %s", n->items[i].what, port, from)) < 0 ||
                    strv_push(&ov, strdup_printf("%s: %s", port, n->items[i].origin)) < 0)
                        return -ENOMEM;
        }
        text = strv_join(parts, "; ");
        origins = strv_join(ov, ", ");
        if (!text || !origins)
                return -ENOMEM;
        return check_emit(ctx, R(PORTS_LISTED), origins, "this host must let in %s", text);
}

static int emit_pinning(struct check_ctx *ctx, const struct fw_needs *n, bool filtered)
{
        _cleanup_free_ char *names = NULL;

        if (!n->nfs3)
                return 0;
        if (!n->dynamic)
                return check_emit(ctx, R(PINNING_OK), PATH_NFS_CONF,
                                  "NFSv3's mountd, statd and lockd listen on ports pinned in %s",
                                  PATH_NFS_CONF);
        names = strv_join(n->dynamic, ", ");
        if (!names)
                return -ENOMEM;
        return check_emit(ctx, filtered ? R(PINNING_DYNAMIC) : R(PINNING_DYNAMIC_UNFILTERED), PATH_NFS_CONF,
                          "NFSv3's %s listen on random ports (not pinned in %s)%s", names, PATH_NFS_CONF,
                          filtered ? ": the firewall cannot let them in" : "");
}

/* iptables-legacy's filter rules, which the nftables ruleset does not show: counted, not walked. */
static int check_legacy(struct check_ctx *ctx)
{
        char *argv[] = {(char *)"iptables-legacy-save", (char *)"-t", (char *)"filter", NULL};
        _cleanup_free_ char *program = NULL, *text = NULL;
        struct spawn_job j = {.argv = argv};
        unsigned rules = 0;

        if (hostfs_is_live(ctx->fs)) {
                if (path_find_executable(ctx->fs, NULL, "iptables-legacy-save", &program) < 0)
                        return 0; /* not installed: no legacy rules can exist */
                j.path = program;
                if (spawn_run(&j, ctx->deadline) >= 0 && j.exited && j.exit_status == 0)
                        text = TAKE_PTR(j.out);
                spawn_job_done(&j);
        } else if (hostfs_read_file(ctx->fs, PATH_IPTABLES_LEGACY_CAPTURE, &text, NULL) < 0)
                return 0;
        LINE_FOREACH(it, text)
        rules += (it.len > 3 && strneq(it.line, "-A ", 3)) ||
                 (it.len > 7 && strneq(it.line, ":INPUT ", 7) && !strneq(it.line, ":INPUT ACCEPT", 13));
        if (rules == 0)
                return check_emit(ctx, R(LEGACY_NONE), "iptables-legacy-save", "no iptables-legacy rules");
        return check_emit(ctx, R(LEGACY_RULES), "iptables-legacy-save -t filter",
                          "%u iptables-legacy rules or policies: nftables does not see them and they were "
                          "not walked (the probe still goes through them)",
                          rules);
}

static int firewalld_bus(const struct check_ctx *ctx, sd_bus **ret)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *address = NULL;
        sd_bus *bus = NULL;
        int r;

        *ret = NULL;
        if (!check_systemd_running(ctx))
                return 0;
        address = check_bus_address(ctx);
        if (!hostfs_is_live(ctx->fs) && !address)
                return -ENOMEM;
        r = systemd_bus_open(address, ctx->deadline, &bus, &e);
        if (r < 0)
                return 0; /* no bus: not firewalld either */
        r = firewalld_running(bus, ctx->deadline, &e);
        if (r < 0) {
                sd_bus_flush_close_unref(bus);
                return 0;
        }
        *ret = bus;
        return 1;
}

static int load_ruleset(struct check_ctx *ctx, struct fw_state *s, char **ret_why)
{
        int r = fw_ruleset_text(ctx, &s->ruleset_json, ret_why);

        if (r == -ENOENT && !hostfs_is_live(ctx->fs))
                return -ENOENT;
        if (r < 0) {
                if (!*ret_why)
                        *ret_why = strdup_printf("cannot list the ruleset: %s", strerror(-r));
                return r;
        }
        r = nft_ruleset_parse(s->ruleset_json, &s->rs, ret_why);
        if (r < 0)
                return r;
        s->backend = nft_ruleset_input_chains(s->rs, AF_INET) + nft_ruleset_input_chains(s->rs, AF_INET6) > 0
                             ? FW_BACKEND_NFTABLES
                             : FW_BACKEND_NONE;
        return 0;
}

static int evaluate(struct check_ctx *ctx, struct fw_state *s, sd_bus *bus, char **ret_why)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < s->needs.n; i++)
                STRV_FOREACH (f, s->needs.items[i].from) {
                        const struct fw_peer *p = peer_get(s, *f);
                        struct fw_eval *ev;

                        if (!p || !p->address)
                                continue;
                        r = eval_push(s, &s->needs.items[i], p, &ev);
                        if (r >= 0 && s->backend == FW_BACKEND_FIREWALLD)
                                r = eval_firewalld(bus, ctx->deadline, ev, &e);
                        else if (r >= 0 && s->rs)
                                r = eval_nft(s, ev);
                        if (r < 0)
                                break;
                }
        if (r < 0 && sd_bus_error_is_set(&e))
                *ret_why = strdup_printf("firewalld: %s", e.message ? e.message : e.name);
        return r;
}

int fw_state_read(struct check_ctx *ctx, struct fw_state *s, sd_bus **ret_bus, char **ret_why)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        *ret_bus = NULL;
        r = peers_resolve(ctx, s);
        if (r >= 0)
                r = firewalld_bus(ctx, &bus);
        if (r > 0)
                s->backend = FW_BACKEND_FIREWALLD;
        else if (r >= 0)
                r = load_ruleset(ctx, s, ret_why);
        if (r >= 0)
                r = evaluate(ctx, s, bus, ret_why);
        if (r >= 0)
                *ret_bus = TAKE_PTR(bus);
        return r;
}

/* "PEER: PORTS WHERE" of the segments of need's evaluations with verdict v, joined; NULL when none. */
static int segments_text(const struct fw_state *s, const struct fw_need *need, enum nft_verdict v,
                         char **ret, char **ret_where, char **ret_peers)
{
        _cleanup_(strv_freep) char **parts = NULL, **wheres = NULL, **peers = NULL;

        for (size_t i = 0; i < s->n_evals; i++)
                for (size_t k = 0; s->evals[i].need == need && k < s->evals[i].n_segs; k++) {
                        const struct fw_segment *g = &s->evals[i].segs[k];
                        _cleanup_free_ char *port = fw_port_string(g->lo, g->hi, need->proto);

                        if (g->verdict != v)
                                continue;
                        if (!port ||
                            strv_push(&parts, strdup_printf("%s from %s: %s", port, s->evals[i].peer->name,
                                                            g->where)) < 0 ||
                            (!strv_contains(wheres, g->where) && strv_push_dup(&wheres, g->where) < 0) ||
                            (!strv_contains(peers, s->evals[i].peer->name) &&
                             strv_push_dup(&peers, s->evals[i].peer->name) < 0))
                                return -ENOMEM;
                }
        *ret = parts ? strv_join(parts, "; ") : NULL;
        *ret_where = wheres ? strv_join(wheres, ", ") : NULL;
        *ret_peers = peers ? strv_join(peers, ", ") : NULL;
        return 0;
}

static int emit_nft_need(struct check_ctx *ctx, const struct fw_state *s, const struct fw_need *need)
{
        _cleanup_free_ char *port = fw_port_string(need->lo, need->hi, need->proto), *from = NULL;
        _cleanup_free_ char *drop = NULL, *dwhere = NULL, *dpeers = NULL, *unk = NULL, *uwhere = NULL,
                            *upeers = NULL, *acc = NULL, *awhere = NULL, *apeers = NULL;
        int r;

        r = segments_text(s, need, NFT_DROP, &drop, &dwhere, &dpeers);
        if (r >= 0)
                r = segments_text(s, need, NFT_UNKNOWN, &unk, &uwhere, &upeers);
        if (r >= 0)
                r = segments_text(s, need, NFT_ACCEPT, &acc, &awhere, &apeers);
        if (r < 0 || !port)
                return -ENOMEM;
        if (drop)
                return check_emit_hint(ctx, R(RULE_DROP),
                                       HINT_VALUES("PORT", port, "PEERS", dpeers, "WHERE", dwhere), dwhere,
                                       "%s (%s) dropped: %s", port, need->what, drop);
        if (unk)
                return check_emit_hint(ctx, R(RULE_UNKNOWN), HINT_VALUES("WHERE", uwhere), uwhere,
                                       "%s (%s): a rule not understood decides: %s", port, need->what, unk);
        if (!acc)
                return 0; /* no peer resolved: said per peer */
        return check_emit(ctx, R(RULE_ACCEPT), awhere, "%s (%s) accepted from %s", port, need->what, apeers);
}

static int emit_firewalld_need(struct check_ctx *ctx, const struct fw_state *s, const struct fw_need *need)
{
        _cleanup_free_ char *port = fw_port_string(need->lo, need->hi, need->proto);
        int r = 0;

        if (!port)
                return -ENOMEM;
        for (size_t i = 0; r >= 0 && i < s->n_evals; i++) {
                const struct fw_eval *e = &s->evals[i];
                _cleanup_free_ char *evidence = NULL;

                if (e->need != need)
                        continue;
                evidence = strdup_printf("firewalld zone %s: runtime %s, permanent %s", e->zone,
                                         e->runtime ? "open" : "closed", e->permanent ? "open" : "closed");
                if (!evidence)
                        return -ENOMEM;
                if (e->runtime && e->permanent)
                        r = check_emit(ctx, R(FIREWALLD_OPEN), evidence, "%s (%s) open to %s in zone %s",
                                       port, need->what, e->peer->name, e->zone);
                else if (e->runtime)
                        r = check_emit(
                                ctx, R(FIREWALLD_RUNTIME_ONLY), evidence,
                                "%s (%s) open to %s in zone %s only until firewalld reloads (not permanent)",
                                port, need->what, e->peer->name, e->zone);
                else if (e->permanent)
                        r = check_emit(
                                ctx, R(FIREWALLD_PERMANENT_ONLY), evidence,
                                "%s (%s) open to %s in zone %s only after a reload (permanent, not runtime)",
                                port, need->what, e->peer->name, e->zone);
                else
                        r = check_emit_hint(ctx, R(FIREWALLD_CLOSED),
                                            HINT_VALUES("ZONE", e->zone, "PORT", port), evidence,
                                            "%s (%s) closed to %s in firewalld zone %s", port, need->what,
                                            e->peer->name, e->zone);
        }
        return r;
}

static int emit_rules(struct check_ctx *ctx, const struct fw_state *s)
{
        int r = 0;

        for (size_t i = 0; r >= 0 && i < s->n_peers; i++)
                if (!s->peers[i].address)
                        r = check_emit(ctx, R(RULE_NO_ADDRESS), PATH_ETC_HOSTS,
                                       "%s does not resolve here: its packets cannot be judged",
                                       s->peers[i].name);
        for (size_t i = 0; r >= 0 && i < s->needs.n; i++)
                r = s->backend == FW_BACKEND_FIREWALLD ? emit_firewalld_need(ctx, s, &s->needs.items[i])
                                                       : emit_nft_need(ctx, s, &s->needs.items[i]);
        return r;
}

/* --- the proof ------------------------------------------------------------------------------------------
 */

/* each part of a range is proven by its first port, at most this many parts per need and peer */
#define PROBE_PARTS_MAX 4

static const struct result_def *probe_def(enum nft_verdict expected, enum fw_probe_result got)
{
        bool arrived = got == FW_PROBE_CONNECTED;

        if (got == FW_PROBE_IN_USE)
                return R(PROBE_UDP_IN_USE);
        if (got == FW_PROBE_FAILED || got == FW_PROBE_UNTRIED)
                return expected == NFT_UNKNOWN ? R(PROBE_PEER_FAILED) : R(PROBE_NOT_PROVEN);
        switch (expected) {
        case NFT_ACCEPT:
                return arrived ? R(PROBE_ARRIVED) : R(PROBE_RULES_OPEN_BLOCKED);
        case NFT_UNKNOWN:
                return arrived ? R(PROBE_UNKNOWN_OPENS) : R(PROBE_UNKNOWN_BLOCKS);
        default:
                return arrived ? R(PROBE_CLOSED_ARRIVES) : R(PROBE_CONFIRMS_DROP);
        }
}

static const char *probe_saw(enum fw_probe_result got)
{
        switch (got) {
        case FW_PROBE_CONNECTED:
                return "the connection arrives";
        case FW_PROBE_REFUSED:
                return "it is refused (rejected)";
        case FW_PROBE_TIMEOUT:
                return "nothing arrives (dropped)";
        case FW_PROBE_IN_USE:
                return "not proven (a service holds the UDP port)";
        default:
                return "the peer could not be asked";
        }
}

static int emit_probe(struct check_ctx *ctx, const struct fw_eval *e, const struct fw_segment *g,
                      const struct fw_probe *p)
{
        const struct result_def *def = probe_def(g->verdict, p->result);
        _cleanup_free_ char *port = fw_port_string(p->port, p->port, p->proto);
        const char *rules = g->verdict == NFT_ACCEPT    ? "the rules let it in"
                            : g->verdict == NFT_UNKNOWN ? "a rule not understood decides"
                                                        : "the rules drop it";

        if (!port)
                return -ENOMEM;
        return check_emit_hint(ctx, def,
                               HINT_VALUES("PORT", port, "PEERS", e->peer->name, "WHERE", g->where),
                               p->detail, "%s (%s) from %s: %s (%s), and %s", port, e->need->what,
                               e->peer->name, rules, g->where, probe_saw(p->result));
}

static int check_probes(struct check_ctx *ctx, const struct fw_state *s)
{
        const char *probe = conf_get(ctx->profile, "firewall", "probe");
        _cleanup_free_ struct fw_probe *probes = NULL;
        size_t n = 0;
        int r;

        if (probe && parse_boolean(probe) == 0)
                return check_emit(ctx, R(PROBE_OFF), "[firewall] probe = no", "the ports are not proven");
        if (!hostfs_is_live(ctx->fs))
                return check_emit(ctx, R(PROBE_NOT_LIVE), NULL,
                                  "the peers prove the running host's ports, not --root's");
        probes = calloc(s->n_evals * PROBE_PARTS_MAX + 1, sizeof(*probes));
        if (!probes)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_evals; i++)
                for (size_t k = 0; k < s->evals[i].n_segs && k < PROBE_PARTS_MAX; k++)
                        probes[n++] = (struct fw_probe){.peer = s->evals[i].peer->name,
                                                        .port = s->evals[i].segs[k].lo,
                                                        .proto = s->evals[i].need->proto};
        r = fw_probes_run(ctx, probes, n);
        for (size_t i = 0, j = 0; r >= 0 && i < s->n_evals; i++)
                for (size_t k = 0; r >= 0 && k < s->evals[i].n_segs && k < PROBE_PARTS_MAX; k++)
                        r = emit_probe(ctx, &s->evals[i], &s->evals[i].segs[k], &probes[j++]);
        for (size_t i = 0; i < n; i++)
                free(probes[i].detail);
        return r;
}

static int emit_backend(struct check_ctx *ctx, const struct fw_state *s, int r, const char *why)
{
        if (r == -ENOENT)
                return check_emit(ctx, R(BACKEND_NOT_LIVE), PATH_NFT_RULESET_CAPTURE,
                                  "no kernel ruleset belongs to --root (and no capture in %s)",
                                  PATH_NFT_RULESET_CAPTURE);
        if (r < 0)
                return check_emit(ctx, R(BACKEND_UNREADABLE), NULL, "%s", why ? why : strerror(-r));
        switch (s->backend) {
        case FW_BACKEND_FIREWALLD:
                return check_emit(ctx, R(BACKEND_FIREWALLD), "org.fedoraproject.FirewallD1",
                                  "firewalld runs: its zones decide");
        case FW_BACKEND_NFTABLES:
                return check_emit(ctx, R(BACKEND_NFTABLES),
                                  hostfs_is_live(ctx->fs) ? "nft list ruleset" : PATH_NFT_RULESET_CAPTURE,
                                  "nftables filters input: %u base chain%s for IPv4, %u for IPv6",
                                  nft_ruleset_input_chains(s->rs, AF_INET),
                                  nft_ruleset_input_chains(s->rs, AF_INET) == 1 ? "" : "s",
                                  nft_ruleset_input_chains(s->rs, AF_INET6));
        default:
                return check_emit(ctx, R(BACKEND_NONE), "nft list ruleset",
                                  "no nftables chain filters input: nothing here drops the peers' packets");
        }
}

static int net_firewall_check(struct check_ctx *ctx)
{
        _cleanup_(fw_state_done) struct fw_state s = {};
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *error = NULL, *why = NULL;
        int r, k;

        r = fw_needs_read(ctx, &s.needs, &error);
        if (r == -EINVAL)
                return check_emit(ctx, R(PORTS_BAD_KEY), NULL, "%s", strna(error));
        if (r < 0)
                return r;
        if (s.needs.n == 0)
                return check_emit(ctx, R(PORTS_NONE), NULL, "no peer must reach this host for its roles");
        r = emit_needs(ctx, &s.needs);
        if (r < 0)
                return r;
        k = fw_state_read(ctx, &s, &bus, &why);
        r = emit_backend(ctx, &s, k, why);
        if (r >= 0)
                r = emit_pinning(ctx, &s.needs, k >= 0 && s.backend != FW_BACKEND_NONE);
        if (r >= 0 && s.backend != FW_BACKEND_FIREWALLD)
                r = check_legacy(ctx);
        if (r >= 0 && k >= 0)
                r = emit_rules(ctx, &s);
        if (r >= 0 && k >= 0)
                r = check_probes(ctx, &s);
        return r;
}

const struct result_def *fw_fix_result(enum fw_fix f)
{
        return f == FW_FIX_NOT_NFTABLES_CONF ? R(FIX_NOT_NFTABLES_CONF)
               : f == FW_FIX_NOT_LIVE        ? R(FIX_NOT_LIVE)
                                             : R(FIX_FAILED);
}

static int net_firewall_fix(struct check_ctx *ctx, struct plan *plan)
{
        _cleanup_(fw_state_done) struct fw_state s = {};
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *error = NULL, *why = NULL;
        int r;

        r = fw_needs_read(ctx, &s.needs, &error);
        if (r >= 0)
                r = fw_state_read(ctx, &s, &bus, &why);
        if (r < 0)
                return check_emit(ctx, R(FIX_FAILED), NULL, "cannot plan: %s",
                                  why     ? why
                                  : error ? error
                                          : strerror(-r));
        return fw_plan(ctx, &s, plan);
}

const struct unit unit_net_firewall = {
        .id = "net.firewall",
        .title = "the firewall lets in, from the peers, every port migrations, NFS and the overlay need",
        .roles = ROLES_ALL,
        .results = net_firewall_results,
        .n_results = ELEMENTSOF(net_firewall_results),
        .check = net_firewall_check,
        .fix = net_firewall_fix,
};

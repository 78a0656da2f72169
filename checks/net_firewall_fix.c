/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net.firewall's fix, as a plan. NFSv3 through a firewall: mountd, statd and lockd pinned in
 * /etc/nfs.conf (the ports firewalld's mountd service and Red Hat's documentation use), nfs-server
 * restarted for them. firewalld: each needed port added to the zone the peer's packets fall in, runtime
 * and permanent, as a rich rule for each peer's address ([firewall] policy = peers, the default) or as
 * the port itself (policy = any). nftables without firewalld: an accept rule for the peers' addresses
 * inserted at the top of each chain that dropped a needed port (a chain's accept cannot overrule another
 * chain's drop, so a table of our own would not let anything in), into the running ruleset in one
 * transaction and into /etc/nftables.d/hostprep.nft, which /etc/nftables.conf includes last.
 */
#include <netinet/in.h>

#include "common.h"
#include "net-firewall.h"
#include "nfsconf.h"
#include "provision/plan.h"
#include "strv.h"
#include "template.h"
#include "textedit.h"

#define UNIT_ID "net.firewall"

static const struct {
        const char *section, *key, *value;
        unsigned port;
        const char *helper;
} nfs_pins[] = {
        {"mountd", "port", "20048", 20048, "mountd"},
        {"statd", "port", "32765", 32765, "statd"},
        {"lockd", "port", "32803", 32803, "lockd"},
        {"lockd", "udp-port", "32769", 32769, "lockd"},
};

static int render(const char *name, const struct template_value *v, size_t n, char **ret)
{
        _cleanup_free_ char *error = NULL;

        return template_render_file(template_default_dirs(), name, v, n, ret, &error);
}

/* text with KEY=VALUE set in [section]: after its commented example, else right after the section
 * line, else in a new section at the end. */
static int nfs_conf_set(const struct check_ctx *ctx, const char *text, const char *section, const char *key,
                        const char *value, char **ret)
{
        _cleanup_free_ char *header = strdup_printf("[%s]", section), *lines = NULL, *block = NULL;
        const struct template_value v[] = {{"PROFILE", ctx->profile->name}, {"KEY", key}, {"VALUE", value}};
        const char *at = header ? strstr(text, header) : NULL, *end, *p;
        int r = render("nfs-conf-setting.conf", v, ELEMENTSOF(v), &lines);

        if (r < 0 || !header)
                return r < 0 ? r : -ENOMEM;
        if (!at) {
                block = strdup_printf("%s%s\n%s", *text && !endswith(text, "\n") ? "\n" : "", header, lines);
                *ret = block ? strdup_printf("%s%s", text, block) : NULL;
                return *ret ? 0 : -ENOMEM;
        }
        at = strchr(at, '\n');
        at = at ? at + 1 : text + strlen(text);
        end = strstr(at, "\n[");
        end = end ? end + 1 : text + strlen(text);
        for (p = at; p < end;) {
                const char *nl = strchr(p, '\n');
                const char *q = p;

                while (*q == '#' || *q == ' ')
                        q++;
                if (q > p && strneq(q, key, strlen(key)) && (q[strlen(key)] == '=' || q[strlen(key)] == ' '))
                        at = nl ? nl + 1 : end;
                p = nl ? nl + 1 : end;
        }
        *ret = text_splice(text, at - text, at - text, lines);
        return *ret ? 0 : -ENOMEM;
}

/* nfs.conf with every unpinned helper pinned; the ports it pins go to *ports ("N/tcp", "N/udp"). */
static int plan_pins(struct check_ctx *ctx, const struct fw_state *s, struct plan *plan, char ***ports)
{
        _cleanup_free_ char *before = NULL, *text = NULL;
        struct nfs_conf c = {};
        int r;

        if (!s->needs.dynamic || s->backend == FW_BACKEND_NONE)
                return 0;
        r = hostfs_read_file(ctx->fs, PATH_NFS_CONF, &before, NULL);
        if (r == -ENOENT)
                r = 0;
        text = r >= 0 ? strdup(strempty(before)) : NULL;
        if (r >= 0 && !text)
                r = -ENOMEM;
        if (r >= 0)
                r = nfs_conf_parse(&c, PATH_NFS_CONF, text);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(nfs_pins); i++) {
                char *next = NULL;
                bool udp_only = streq(nfs_pins[i].key, "udp-port"),
                     tcp_only = streq(nfs_pins[i].section, "lockd") && !udp_only;

                if (!strv_contains(s->needs.dynamic, nfs_pins[i].helper) ||
                    nfs_conf_get(&c, nfs_pins[i].section, nfs_pins[i].key))
                        continue;
                r = nfs_conf_set(ctx, text, nfs_pins[i].section, nfs_pins[i].key, nfs_pins[i].value, &next);
                if (r >= 0) {
                        free(text);
                        text = next;
                }
                if (r >= 0 && !udp_only)
                        r = strv_push(ports, strdup_printf("%u/tcp", nfs_pins[i].port));
                if (r >= 0 && !tcp_only)
                        r = strv_push(ports, strdup_printf("%u/udp", nfs_pins[i].port));
        }
        nfs_conf_done(&c);
        if (r >= 0)
                r = plan_write_file(plan, UNIT_ID, PATH_NFS_CONF, before, text, 0644,
                                    "NFSv3's helpers on fixed ports, so the firewall can let them in");
        if (r >= 0)
                r = plan_service(plan, UNIT_ID, "nfs-server.service", SERVICE_RESTART,
                                 "mountd, statd and lockd take their ports when NFS starts");
        if (r >= 0)
                r = plan_mark_disruptive(plan, "NFS clients pause while the NFS server restarts");
        return r;
}

/* --- nftables ------------------------------------------------------------------------------------------ */

/* One accept rule to insert: a dropping chain, a family of peers, a protocol, the peers. */
struct accept_rule {
        char *family, *table, *chain;
        int af;
        uint8_t proto;
        char *sources; /* "10.0.0.2, 10.0.0.3", or NULL for any (policy = any) */
        char **ports;  /* "16509", "49152-49215" */
};

static void accept_rules_free(struct accept_rule *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].family);
                free(v[i].table);
                free(v[i].chain);
                free(v[i].sources);
                strv_free(v[i].ports);
        }
        free(v);
}

static bool policy_any(const struct check_ctx *ctx)
{
        const char *p = conf_get(ctx->profile, "firewall", "policy");

        return p && streq(p, "any");
}

static int accept_rule_add(struct accept_rule **v, size_t *n, char *const *where, int af, uint8_t proto,
                           const char *sources, const char *port)
{
        struct accept_rule *p;

        for (size_t i = 0; i < *n; i++) {
                struct accept_rule *a = &(*v)[i];

                if (streq(a->family, where[0]) && streq(a->table, where[1]) && streq(a->chain, where[2]) &&
                    a->af == af && a->proto == proto && streq(strempty(a->sources), strempty(sources)))
                        return strv_contains(a->ports, port) ? 0 : strv_push_dup(&a->ports, port);
        }
        p = realloc(*v, (*n + 1) * sizeof(*p));
        if (!p)
                return -ENOMEM;
        *v = p;
        p[*n] = (struct accept_rule){strdup(where[0]),
                                     strdup(where[1]),
                                     strdup(where[2]),
                                     af,
                                     proto,
                                     sources ? strdup(sources) : NULL,
                                     NULL};
        (*n)++;
        return strv_push_dup(&p[*n - 1].ports, port);
}

/* The chains that drop one port for one peer: the first the walk names, then, with an accept planned at
 * its top, the next, until the port gets in (or 8 chains). Each gets a rule for the need's whole range. */
static int drop_chains(const struct check_ctx *ctx, const struct fw_state *s, const struct fw_need *need,
                       const struct fw_peer *peer, unsigned port, uint8_t proto, struct accept_rule **v,
                       size_t *n)
{
        _cleanup_(strv_freep) char **accepted = NULL, **addrs = NULL;
        _cleanup_free_ char *sources = NULL, *range = NULL;
        int r = fw_peer_addresses(s, need, peer->family, &addrs);

        sources = r >= 0 && !policy_any(ctx) ? strv_join(addrs, ", ") : NULL;
        range = need->lo == need->hi || proto != need->proto ? strdup_printf("%u", port)
                                                             : strdup_printf("%u-%u", need->lo, need->hi);
        if (r >= 0 && (!range || (!policy_any(ctx) && !sources)))
                r = -ENOMEM;
        for (int i = 0; r >= 0 && i < 8; i++) {
                struct nft_packet pkt = {.family = peer->family,
                                         .saddr = peer->address,
                                         .iifname = peer->iifname,
                                         .l4proto = proto,
                                         .dport = port,
                                         .accepted_by = accepted};
                _cleanup_(strv_freep) char **where = NULL;
                _cleanup_free_ char *w = NULL;
                struct nft_decision d = {};

                r = nft_ruleset_eval(s->rs, &pkt, &d);
                w = r >= 0 && d.verdict == NFT_DROP ? nft_where_to_string(&d.where) : NULL;
                nft_decision_done(&d);
                if (r < 0 || !w)
                        break;
                r = strv_split(w, " ", &where);
                if (r < 0 || strv_length(where) < 3)
                        break;
                r = accept_rule_add(v, n, where, peer->family, proto, sources, range);
                if (r >= 0)
                        r = strv_push(&accepted, strdup_printf("%s %s %s", where[0], where[1], where[2]));
        }
        return r;
}

/* The accept rules for every need some peer's packets were dropped for, by the chains that drop them. */
static int accept_rules(const struct check_ctx *ctx, const struct fw_state *s, struct accept_rule **ret,
                        size_t *ret_n)
{
        struct accept_rule *v = NULL;
        size_t n = 0;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < s->n_evals; i++)
                for (size_t k = 0; r >= 0 && k < s->evals[i].n_segs; k++)
                        if (s->evals[i].segs[k].verdict == NFT_DROP)
                                r = drop_chains(ctx, s, s->evals[i].need, s->evals[i].peer,
                                                s->evals[i].segs[k].lo, s->evals[i].need->proto, &v, &n);
        if (r < 0) {
                accept_rules_free(v, n);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

/* The ports plan_pins pins, walked for each NFS client: those the ruleset drops get rules too. */
static int pinned_rules(const struct check_ctx *ctx, const struct fw_state *s, char *const *pinned,
                        struct accept_rule **v, size_t *n)
{
        const struct fw_need *nfs = NULL;
        int r = 0;

        for (size_t i = 0; i < s->needs.n && !nfs; i++)
                if (s->needs.items[i].lo == 2049)
                        nfs = &s->needs.items[i];
        STRV_FOREACH (p, nfs && s->rs ? pinned : NULL)
                for (size_t i = 0; r >= 0 && i < s->n_peers; i++) {
                        unsigned lo, hi;
                        uint8_t proto;

                        if (s->peers[i].address && strv_contains(nfs->from, s->peers[i].name) &&
                            fw_port_parse(*p, &lo, &hi, &proto) >= 0)
                                r = drop_chains(ctx, s, nfs, &s->peers[i], lo, proto, v, n);
                }
        return r;
}

static int render_rule(const struct check_ctx *ctx, const struct accept_rule *a, char **ret)
{
        _cleanup_free_ char *ports = strv_join(a->ports, ", "), *source = NULL;
        const struct template_value v[] = {
                {"FAMILY", a->family},
                {"TABLE", a->table},
                {"CHAIN", a->chain},
                {"SOURCE", NULL},
                {"PROTO", a->proto == IPPROTO_UDP ? "udp" : "tcp"},
                {"PORTS", ports},
        };
        struct template_value values[ELEMENTSOF(v)];

        source = a->sources ? strdup_printf("%s saddr { %s } ", a->af == AF_INET ? "ip" : "ip6", a->sources)
                            : strdup("");
        if (!ports || !source)
                return -ENOMEM;
        memcpy(values, v, sizeof(v));
        values[3].value = source;
        return render("nft-accept-rule.nft", values, ELEMENTSOF(values), ret);
}

/* Whether /etc/nftables.conf defines the table (so the rules belong after it there). */
static bool conf_defines(const char *conf, const struct accept_rule *a)
{
        _cleanup_free_ char *needle = strdup_printf("table %s %s", a->family, a->table);
        const char *p = conf && needle ? strstr(conf, needle) : NULL;

        return p && (p[strlen(needle)] == ' ' || p[strlen(needle)] == '{' || p[strlen(needle)] == '\n');
}

static int plan_nft_files(struct check_ctx *ctx, struct plan *plan, const char *conf, const char *rules)
{
        _cleanup_free_ char *file = NULL, *old = NULL, *include = NULL, *newconf = NULL;
        const struct template_value fv[] = {{"PROFILE", ctx->profile->name}, {"RULES", rules}};
        const struct template_value iv[] = {{"PROFILE", ctx->profile->name},
                                            {"FILE", PATH_HOSTPREP_NFT_FILE}};
        struct stat st;
        int r = render("nft-hostprep.nft", fv, ELEMENTSOF(fv), &file);

        if (r >= 0 && hostfs_stat(ctx->fs, "/etc/nftables.d", &st) < 0)
                r = plan_mkdir(plan, UNIT_ID, "/etc/nftables.d", 0755, "nftables' files of hostprep");
        if (r >= 0 && hostfs_read_file(ctx->fs, PATH_HOSTPREP_NFT_FILE, &old, NULL) < 0)
                old = NULL;
        if (r >= 0)
                r = plan_write_file(plan, UNIT_ID, PATH_HOSTPREP_NFT_FILE, old, file, 0644,
                                    "the peers' accept rules, loaded at boot after the tables they go into");
        if (r < 0 || strstr(conf, PATH_HOSTPREP_NFT_FILE))
                return r;
        r = render("nftables-include.conf", iv, ELEMENTSOF(iv), &include);
        if (r >= 0)
                newconf = strdup_printf("%s%s%s", conf, endswith(conf, "\n") || !*conf ? "" : "\n", include);
        if (r >= 0 && !newconf)
                r = -ENOMEM;
        return r < 0 ? r
                     : plan_write_file(plan, UNIT_ID, PATH_NFTABLES_CONF, conf, newconf, 0755,
                                       "nftables.service loads hostprep's rules last, after the tables");
}

static int plan_nftables(struct check_ctx *ctx, const struct fw_state *s, struct plan *plan,
                         char *const *pinned)
{
        _cleanup_(strv_freep) char **lines = NULL;
        _cleanup_free_ char *conf = NULL, *rules = NULL;
        struct accept_rule *v = NULL;
        size_t n = 0;
        int r;

        if (!hostfs_is_live(ctx->fs))
                return check_emit(
                        ctx, fw_fix_result(FW_FIX_NOT_LIVE), NULL,
                        "the running ruleset is the host's, not --root's: nothing planned for nftables");
        r = accept_rules(ctx, s, &v, &n);
        if (r >= 0)
                r = pinned_rules(ctx, s, pinned, &v, &n);
        if (r >= 0 && hostfs_read_file(ctx->fs, PATH_NFTABLES_CONF, &conf, NULL) < 0)
                conf = NULL;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *where = strdup_printf("%s %s %s", v[i].family, v[i].table, v[i].chain);
                char *line = NULL;

                if (!where) {
                        r = -ENOMEM;
                        break;
                }
                if (!conf_defines(conf, &v[i])) {
                        r = check_emit_hint(ctx, fw_fix_result(FW_FIX_NOT_NFTABLES_CONF),
                                            HINT_VALUES("WHERE", where), PATH_NFTABLES_CONF,
                                            "%s drops the peers' ports but is not defined in %s", where,
                                            PATH_NFTABLES_CONF);
                        continue;
                }
                r = render_rule(ctx, &v[i], &line);
                if (r >= 0)
                        r = strv_push(&lines, line);
        }
        accept_rules_free(v, n);
        if (r < 0 || !lines)
                return r;
        rules = strv_join(lines, "");
        if (!rules)
                return -ENOMEM;
        r = plan_nft_files(ctx, plan, conf, rules);
        return r < 0 ? r
                     : plan_nft_load(plan, UNIT_ID, rules,
                                     "the peers' accept rules, now, in one transaction");
}

/* --- firewalld ----------------------------------------------------------------------------------------- */

static int plan_firewalld_eval(struct check_ctx *ctx, const struct fw_eval *e, struct plan *plan)
{
        _cleanup_free_ char *port = fw_port_string(e->need->lo, e->need->hi, e->need->proto), *range = NULL,
                            *rule = NULL, *why = NULL;
        const char *proto = e->need->proto == IPPROTO_UDP ? "udp" : "tcp";
        int r;

        if (!port)
                return -ENOMEM;
        why = strdup_printf("%s (%s) for %s", port, e->need->what, e->peer->name);
        if (!why)
                return -ENOMEM;
        if (policy_any(ctx))
                return plan_firewalld(plan, UNIT_ID, e->zone, e->need->service ? "service" : "port",
                                      e->need->service ? e->need->service : port, why);
        range = e->need->lo == e->need->hi ? strdup_printf("%u", e->need->lo)
                                           : strdup_printf("%u-%u", e->need->lo, e->need->hi);
        if (!range)
                return -ENOMEM;
        {
                const struct template_value v[] = {{"FAMILY", e->peer->family == AF_INET ? "ipv4" : "ipv6"},
                                                   {"ADDRESS", e->peer->address},
                                                   {"PORT", range},
                                                   {"PROTO", proto}};
                r = render("firewalld-rich-rule.txt", v, ELEMENTSOF(v), &rule);
        }
        if (r < 0)
                return r;
        rule[strcspn(rule, "\n")] = 0;
        return plan_firewalld(plan, UNIT_ID, e->zone, "rich-rule", rule, why);
}

int fw_plan(struct check_ctx *ctx, const struct fw_state *s, struct plan *plan)
{
        _cleanup_(strv_freep) char **pinned = NULL;
        bool nft_drops = false;
        int r;

        r = plan_pins(ctx, s, plan, &pinned);
        for (size_t i = 0; r >= 0 && i < s->n_evals; i++) {
                const struct fw_eval *e = &s->evals[i];

                if (s->backend == FW_BACKEND_FIREWALLD && !(e->runtime && e->permanent))
                        r = plan_firewalld_eval(ctx, e, plan);
                for (size_t k = 0; k < e->n_segs; k++)
                        nft_drops = nft_drops || e->segs[k].verdict == NFT_DROP;
        }
        if (r >= 0 && s->backend == FW_BACKEND_NFTABLES && (nft_drops || pinned))
                r = plan_nftables(ctx, s, plan, pinned);
        return r;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "nft-walk.h"
#include "util.h"

/* jump and goto nest at most this deep (the kernel allows 16): deeper is a loop, UNKNOWN */
#define NFT_MAX_DEPTH 16

struct nft_chain {
        json_object *obj;
        const char *family, *table, *name, *hook, *type, *policy;
        int64_t prio;
        json_object **rules;
        size_t n_rules;
};

struct nft_ruleset {
        json_object *root;
        struct nft_chain *chains;
        size_t n_chains;
        json_object **sets; /* "set" and "map" objects */
        size_t n_sets;
        json_object **tables;
        size_t n_tables;
};

static const char *const verdict_names[] = {
        [NFT_ACCEPT] = "accept",
        [NFT_DROP] = "drop",
        [NFT_UNKNOWN] = "unknown",
};
_Static_assert(ELEMENTSOF(verdict_names) == _NFT_VERDICT_MAX, "verdict_names out of step");

const char *nft_verdict_to_string(enum nft_verdict v)
{
        return v >= 0 && v < _NFT_VERDICT_MAX ? verdict_names[v] : NULL;
}

static void where_done(struct nft_where *w)
{
        free(w->family);
        free(w->table);
        free(w->chain);
        free(w->what);
        *w = (struct nft_where){};
}

void nft_decision_done(struct nft_decision *d)
{
        where_done(&d->where);
}

char *nft_where_to_string(const struct nft_where *w)
{
        if (!w->chain)
                return NULL;
        if (w->handle > 0)
                return strdup_printf("%s %s %s handle %" PRIi64 " (%s)", w->family, w->table, w->chain,
                                     w->handle, strna(w->what));
        return strdup_printf("%s %s %s %s", w->family, w->table, w->chain, strna(w->what));
}

/* --- the ruleset, indexed --------------------------------------------------------------------------- */

struct nft_ruleset *nft_ruleset_free(struct nft_ruleset *rs)
{
        if (!rs)
                return NULL;
        for (size_t i = 0; i < rs->n_chains; i++)
                free(rs->chains[i].rules);
        free(rs->chains);
        free(rs->sets);
        free(rs->tables);
        json_object_put(rs->root);
        free(rs);
        return NULL;
}

static int push_obj(json_object ***v, size_t *n, json_object *o)
{
        json_object **p = realloc(*v, (*n + 1) * sizeof(**v));

        if (!p)
                return -ENOMEM;
        p[(*n)++] = o;
        *v = p;
        return 0;
}

static bool same_place(json_object *o, const char *family, const char *table)
{
        return streq(strempty(json_get_string(o, "family")), family) &&
               streq(strempty(json_get_string(o, "table")), table);
}

static struct nft_chain *chain_find(const struct nft_ruleset *rs, const char *family, const char *table,
                                    const char *name)
{
        for (size_t i = 0; i < rs->n_chains; i++)
                if (streq(rs->chains[i].family, family) && streq(rs->chains[i].table, table) &&
                    streq(rs->chains[i].name, name))
                        return &rs->chains[i];
        return NULL;
}

static int add_chain(struct nft_ruleset *rs, json_object *o)
{
        struct nft_chain *p, c = {
                                     .obj = o,
                                     .family = json_get_string(o, "family"),
                                     .table = json_get_string(o, "table"),
                                     .name = json_get_string(o, "name"),
                                     .hook = json_get_string(o, "hook"),
                                     .type = json_get_string(o, "type"),
                                     .policy = json_get_string(o, "policy"),
                                     .prio = json_get_int(o, "prio", 0),
                             };

        if (!c.family || !c.table || !c.name)
                return -EBADMSG;
        p = realloc(rs->chains, (rs->n_chains + 1) * sizeof(*p));
        if (!p)
                return -ENOMEM;
        p[rs->n_chains++] = c;
        rs->chains = p;
        return 0;
}

static int add_rule(struct nft_ruleset *rs, json_object *o)
{
        const char *family = json_get_string(o, "family"), *table = json_get_string(o, "table"),
                   *chain = json_get_string(o, "chain");
        struct nft_chain *c = family && table && chain ? chain_find(rs, family, table, chain) : NULL;

        /* the kernel lists a chain before its rules */
        if (!c)
                return -EBADMSG;
        return push_obj(&c->rules, &c->n_rules, o);
}

static int index_item(struct nft_ruleset *rs, json_object *item)
{
        json_object *o;

        if (json_object_object_get_ex(item, "chain", &o))
                return add_chain(rs, o);
        if (json_object_object_get_ex(item, "rule", &o))
                return add_rule(rs, o);
        if (json_object_object_get_ex(item, "set", &o) || json_object_object_get_ex(item, "map", &o))
                return push_obj(&rs->sets, &rs->n_sets, o);
        if (json_object_object_get_ex(item, "table", &o))
                return push_obj(&rs->tables, &rs->n_tables, o);
        return 0; /* metainfo, flowtables, counters, ... */
}

int nft_ruleset_parse(const char *text, struct nft_ruleset **ret, char **ret_error)
{
        _cleanup_(nft_ruleset_freep) struct nft_ruleset *rs = calloc(1, sizeof(*rs));
        json_object *items;
        int r;

        if (!rs)
                return -ENOMEM;
        rs->root = json_tokener_parse(text);
        if (!rs->root || !json_object_object_get_ex(rs->root, "nftables", &items) ||
            !json_object_is_type(items, json_type_array)) {
                if (ret_error)
                        *ret_error = strdup("not nftables JSON (no \"nftables\" array)");
                return -EBADMSG;
        }
        for (size_t i = 0; i < json_object_array_length(items); i++) {
                r = index_item(rs, json_object_array_get_idx(items, i));
                if (r == -EBADMSG && ret_error)
                        *ret_error = strdup_printf("item %zu: a chain or rule without its table", i);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(rs);
        return 0;
}

bool nft_ruleset_has_table(const struct nft_ruleset *rs, const char *family, const char *name)
{
        for (size_t i = 0; i < rs->n_tables; i++)
                if (streq(strempty(json_get_string(rs->tables[i], "family")), family) &&
                    streq(strempty(json_get_string(rs->tables[i], "name")), name))
                        return true;
        return false;
}

static bool family_applies(const char *family, int af)
{
        return streq(family, "inet") || streq(family, af == AF_INET ? "ip" : "ip6");
}

/* The base chains a packet goes through, in the kernel's order: prerouting, then input, by priority. */
static bool chain_filters(const struct nft_chain *c, int af, const char *hook)
{
        return c->hook && streq(c->hook, hook) && c->type && streq(c->type, "filter") &&
               family_applies(c->family, af);
}

unsigned nft_ruleset_input_chains(const struct nft_ruleset *rs, int family)
{
        unsigned n = 0;

        for (size_t i = 0; i < rs->n_chains; i++)
                n += chain_filters(&rs->chains[i], family, "prerouting") ||
                     chain_filters(&rs->chains[i], family, "input");
        return n;
}

/* --- values of the packet, and matching them ------------------------------------------------------ */

enum tri {
        TRI_FALSE,
        TRI_TRUE,
        TRI_UNKNOWN,
};

static enum tri tri_not(enum tri t)
{
        return t == TRI_UNKNOWN ? TRI_UNKNOWN : t == TRI_TRUE ? TRI_FALSE : TRI_TRUE;
}

enum field {
        FIELD_NONE,    /* not understood */
        FIELD_ABSENT,  /* the packet has no such header: no match whatever the operator */
        FIELD_NUMBER,  /* ports, protocol numbers */
        FIELD_ADDRESS, /* saddr */
        FIELD_NAME,    /* iifname and other words: nfproto, pkttype */
        FIELD_FLAGS,   /* ct state and status: the words the packet has */
};

struct value {
        enum field kind;
        int64_t number;
        unsigned char addr[16];
        int af;
        const char *name;     /* NAME; NULL: not known (an interface that is not lo) */
        const char *flags[2]; /* FLAGS, NULL-terminated */
};

static const struct {
        const char *name;
        int number;
} protocols[] = {
        {"icmp", IPPROTO_ICMP},        {"igmp", IPPROTO_IGMP},
        {"tcp", IPPROTO_TCP},          {"udp", IPPROTO_UDP},
        {"ipv6-icmp", IPPROTO_ICMPV6}, {"icmpv6", IPPROTO_ICMPV6},
        {"esp", IPPROTO_ESP},          {"ah", IPPROTO_AH},
        {"sctp", IPPROTO_SCTP},        {"gre", IPPROTO_GRE},
        {"udplite", IPPROTO_UDPLITE},  {"dccp", IPPROTO_DCCP},
};

static int protocol_number(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(protocols); i++)
                if (streq(protocols[i].name, name))
                        return protocols[i].number;
        return -1;
}

static bool l4_header(const char *protocol, const struct nft_packet *p)
{
        int n = protocol_number(protocol);

        return streq(protocol, "th") ? true : n == p->l4proto;
}

static struct value payload_value(json_object *payload, const struct nft_packet *p)
{
        const char *protocol = strempty(json_get_string(payload, "protocol")),
                   *field = strempty(json_get_string(payload, "field"));
        struct value v = {.kind = FIELD_ABSENT};

        if (streq(protocol, "ip") || streq(protocol, "ip6")) {
                if ((p->family == AF_INET) != streq(protocol, "ip"))
                        return v;
                if (streq(field, "saddr")) {
                        v = (struct value){.kind = FIELD_ADDRESS, .af = p->family};
                        if (inet_pton(p->family, p->saddr, v.addr) != 1)
                                v.kind = FIELD_NONE;
                } else if (streq(field, "protocol") || streq(field, "nexthdr"))
                        v = (struct value){.kind = FIELD_NUMBER, .number = p->l4proto};
                else
                        v.kind = FIELD_NONE;
                return v;
        }
        if (protocol_number(protocol) < 0 && !streq(protocol, "th"))
                return (struct value){.kind = FIELD_NONE}; /* ether, vlan, raw offsets, ... */
        if (!l4_header(protocol, p))
                return v;
        if (streq(field, "dport"))
                return (struct value){.kind = FIELD_NUMBER, .number = p->dport};
        return (struct value){.kind = FIELD_NONE}; /* sport (ephemeral), flags, ... */
}

static struct value meta_value(const char *key, const struct nft_packet *p)
{
        if (streq(key, "l4proto"))
                return (struct value){.kind = FIELD_NUMBER, .number = p->l4proto};
        if (streq(key, "nfproto") || streq(key, "protocol")) {
                bool v4 = p->family == AF_INET;
                const char *name = streq(key, "nfproto") ? (v4 ? "ipv4" : "ipv6") : (v4 ? "ip" : "ip6");

                return (struct value){.kind = FIELD_NAME, .name = name};
        }
        if (streq(key, "iifname") || streq(key, "iif"))
                return (struct value){.kind = FIELD_NAME, .name = p->iifname};
        if (streq(key, "pkttype")) /* a connection to this host's address */
                return (struct value){.kind = FIELD_NAME, .name = "host"};
        return (struct value){.kind = FIELD_NONE};
}

/* The packet's value of expression e (the left side of a match, a map's key). */
static struct value packet_value(json_object *e, const struct nft_packet *p)
{
        json_object *o;

        if (json_object_object_get_ex(e, "payload", &o))
                return payload_value(o, p);
        if (json_object_object_get_ex(e, "meta", &o))
                return meta_value(strempty(json_get_string(o, "key")), p);
        if (json_object_object_get_ex(e, "ct", &o)) {
                const char *key = strempty(json_get_string(o, "key"));

                /* a new connection, straight to this host: no other state, no status (not NATed) */
                if (streq(key, "state"))
                        return (struct value){.kind = FIELD_FLAGS, .flags = {"new", NULL}};
                if (streq(key, "status"))
                        return (struct value){.kind = FIELD_FLAGS};
        }
        return (struct value){.kind = FIELD_NONE};
}

struct walk {
        const struct nft_ruleset *rs;
        const struct nft_packet *p;
        const struct nft_chain *base; /* the base chain being walked: named sets are in its table */
        struct nft_where where;       /* where the last verdict came from */
        struct nft_where unknown;     /* the first rule not understood that could have decided */
        bool pending[_NFT_VERDICT_MAX];
        unsigned depth;
};

static json_object *named_set(const struct walk *w, const char *name)
{
        for (size_t i = 0; i < w->rs->n_sets; i++)
                if (same_place(w->rs->sets[i], w->base->family, w->base->table) &&
                    streq(strempty(json_get_string(w->rs->sets[i], "name")), name))
                        return w->rs->sets[i];
        return NULL;
}

static enum tri elem_match(const struct walk *w, const struct value *v, json_object *e);

static enum tri list_match(const struct walk *w, const struct value *v, json_object *list)
{
        enum tri t = TRI_FALSE;

        for (size_t i = 0; json_object_is_type(list, json_type_array) && i < json_object_array_length(list);
             i++) {
                enum tri e = elem_match(w, v, json_object_array_get_idx(list, i));

                if (e == TRI_TRUE)
                        return TRI_TRUE;
                if (e == TRI_UNKNOWN)
                        t = TRI_UNKNOWN;
        }
        return t;
}

static bool number_of(json_object *e, int64_t *ret)
{
        if (json_object_is_type(e, json_type_int)) {
                *ret = json_object_get_int64(e);
                return true;
        }
        if (json_object_is_type(e, json_type_string)) {
                int n = protocol_number(json_object_get_string(e));

                *ret = n;
                return n >= 0;
        }
        return false;
}

static bool address_of(int af, json_object *e, unsigned char *ret)
{
        return json_object_is_type(e, json_type_string) &&
               inet_pton(af, json_object_get_string(e), ret) == 1;
}

static enum tri prefix_match(const struct value *v, json_object *prefix)
{
        unsigned char net[16];
        int64_t len = json_get_int(prefix, "len", -1), max = v->af == AF_INET ? 32 : 128;
        json_object *addr = json_get(prefix, "addr");

        if (!address_of(v->af, addr, net))
                return TRI_FALSE; /* a prefix of the other family */
        if (len < 0 || len > max)
                return TRI_UNKNOWN;
        for (int64_t bit = 0; bit < len; bit++) {
                unsigned char m = 0x80 >> (bit % 8);

                if ((net[bit / 8] & m) != (v->addr[bit / 8] & m))
                        return TRI_FALSE;
        }
        return TRI_TRUE;
}

static enum tri range_match(const struct value *v, json_object *range)
{
        json_object *lo = json_object_array_get_idx(range, 0), *hi = json_object_array_get_idx(range, 1);
        size_t size = v->af == AF_INET ? 4 : 16;
        unsigned char a[16], b[16];
        int64_t x, y;

        if (v->kind == FIELD_NUMBER && number_of(lo, &x) && number_of(hi, &y))
                return v->number >= x && v->number <= y ? TRI_TRUE : TRI_FALSE;
        if (v->kind == FIELD_ADDRESS && address_of(v->af, lo, a) && address_of(v->af, hi, b))
                return memcmp(v->addr, a, size) >= 0 && memcmp(v->addr, b, size) <= 0 ? TRI_TRUE : TRI_FALSE;
        return TRI_UNKNOWN;
}

/* An interface name, with nft's trailing '*' wildcard. Peers never arrive on lo. */
static enum tri name_match(const struct value *v, const char *want)
{
        size_t n = strlen(want);

        if (!v->name)
                return streq(want, "lo") ? TRI_FALSE : TRI_UNKNOWN;
        if (n > 0 && want[n - 1] == '*' && (n < 2 || want[n - 2] != '\\'))
                return strneq(v->name, want, n - 1) ? TRI_TRUE : TRI_FALSE;
        return streq(v->name, want) ? TRI_TRUE : TRI_FALSE;
}

static enum tri scalar_match(const struct value *v, json_object *e)
{
        unsigned char a[16];
        int64_t n;

        switch (v->kind) {
        case FIELD_NUMBER:
                return number_of(e, &n)                           ? (n == v->number ? TRI_TRUE : TRI_FALSE)
                       : json_object_is_type(e, json_type_string) ? TRI_FALSE /* another protocol */
                                                                  : TRI_UNKNOWN;
        case FIELD_ADDRESS:
                if (!json_object_is_type(e, json_type_string))
                        return TRI_UNKNOWN;
                return !address_of(v->af, e, a)                             ? TRI_FALSE
                       : memcmp(a, v->addr, v->af == AF_INET ? 4 : 16) == 0 ? TRI_TRUE
                                                                            : TRI_FALSE;
        case FIELD_NAME:
                return json_object_is_type(e, json_type_string) ? name_match(v, json_object_get_string(e))
                                                                : TRI_UNKNOWN;
        case FIELD_FLAGS:
                if (!json_object_is_type(e, json_type_string))
                        return TRI_UNKNOWN;
                for (size_t i = 0; v->flags[i]; i++)
                        if (streq(v->flags[i], json_object_get_string(e)))
                                return TRI_TRUE;
                return TRI_FALSE;
        default:
                return TRI_UNKNOWN;
        }
}

/* Whether v is element e: a value, a prefix, a range, a set (anonymous or @named), an element with
 * options ({"elem": {"val": ...}}), or a list of flags (ct state established,related). */
static enum tri elem_match(const struct walk *w, const struct value *v, json_object *e)
{
        json_object *o;

        if (json_object_is_type(e, json_type_array))
                return list_match(w, v, e);
        if (json_object_is_type(e, json_type_string) && json_object_get_string(e)[0] == '@') {
                json_object *set = named_set(w, json_object_get_string(e) + 1);

                return set ? list_match(w, v, json_get(set, "elem")) : TRI_UNKNOWN;
        }
        if (!json_object_is_type(e, json_type_object))
                return scalar_match(v, e);
        if (json_object_object_get_ex(e, "set", &o))
                return json_object_is_type(o, json_type_array) ? list_match(w, v, o) : elem_match(w, v, o);
        if (json_object_object_get_ex(e, "elem", &o))
                return elem_match(w, v, json_get(o, "val"));
        if (json_object_object_get_ex(e, "prefix", &o))
                return v->kind == FIELD_ADDRESS ? prefix_match(v, o) : TRI_UNKNOWN;
        if (json_object_object_get_ex(e, "range", &o))
                /* [lo, hi]; json-c asserts on indexing anything else */
                return json_object_is_type(o, json_type_array) ? range_match(v, o) : TRI_UNKNOWN;
        return TRI_UNKNOWN; /* concatenations, expressions as values, ... */
}

static enum tri compare(const struct value *v, const char *op, json_object *right)
{
        int64_t n;

        if (v->kind != FIELD_NUMBER || !number_of(right, &n))
                return TRI_UNKNOWN;
        if (streq(op, "<"))
                return v->number < n ? TRI_TRUE : TRI_FALSE;
        if (streq(op, ">"))
                return v->number > n ? TRI_TRUE : TRI_FALSE;
        if (streq(op, "<="))
                return v->number <= n ? TRI_TRUE : TRI_FALSE;
        if (streq(op, ">="))
                return v->number >= n ? TRI_TRUE : TRI_FALSE;
        return TRI_UNKNOWN;
}

/* The fib lookups firewalld and Debian's examples use, answered for a peer's connection: its reverse
 * path is the interface it arrives on (the walk takes that from the route to the peer) and its
 * destination is this host's own address. */
static enum tri fib_match(json_object *fib, const char *op, json_object *right)
{
        const char *result = strempty(json_get_string(fib, "result"));
        json_object *flags = json_get(fib, "flags");
        bool saddr = false, daddr = false, negate = streq(op, "!=");
        enum tri t = TRI_UNKNOWN;

        for (size_t i = 0;
             json_object_is_type(flags, json_type_array) && i < json_object_array_length(flags); i++) {
                const char *f = strempty(json_object_get_string(json_object_array_get_idx(flags, i)));

                saddr = saddr || streq(f, "saddr");
                daddr = daddr || streq(f, "daddr");
        }
        if (saddr && streq(result, "oif") && json_object_is_type(right, json_type_boolean))
                t = json_object_get_boolean(right) ? TRI_TRUE : TRI_FALSE; /* "oif missing" is false */
        else if (daddr && streq(result, "type") && json_object_is_type(right, json_type_string))
                t = streq(json_object_get_string(right), "local") ? TRI_TRUE : TRI_FALSE;
        return negate ? tri_not(t) : t;
}

static enum tri eval_match(const struct walk *w, json_object *match)
{
        const char *op = strempty(json_get_string(match, "op"));
        json_object *left = json_get(match, "left"), *right = json_get(match, "right"), *fib;
        struct value v;
        enum tri t;

        if (json_object_object_get_ex(left, "fib", &fib))
                return fib_match(fib, op, right);
        v = packet_value(left, w->p);
        if (v.kind == FIELD_ABSENT)
                return TRI_FALSE; /* the rule's own dependency (tcp dport on udp, ip saddr on IPv6) */
        if (v.kind == FIELD_NONE)
                return TRI_UNKNOWN;
        if (streq(op, "==") || streq(op, "in"))
                return elem_match(w, &v, right);
        if (streq(op, "!="))
                return tri_not(elem_match(w, &v, right));
        t = compare(&v, op, right);
        return t;
}

/* --- statements and chains ------------------------------------------------------------------------ */

enum step {
        STEP_NEXT,   /* on to the next rule */
        STEP_RETURN, /* the chain ends here (return, or a goto's chain ended) */
        STEP_ACCEPT,
        STEP_DROP,
        STEP_UNKNOWN,
};

static int set_where(struct nft_where *w, const struct nft_chain *c, int64_t handle, const char *what)
{
        where_done(w);
        *w = (struct nft_where){.family = strdup(c->family),
                                .table = strdup(c->table),
                                .chain = strdup(c->name),
                                .handle = handle,
                                .what = strdup(what)};
        return w->family && w->table && w->chain && w->what ? 0 : -ENOMEM;
}

static int eval_chain(struct walk *w, const struct nft_chain *c, enum step *ret);

/* A verdict statement (accept, drop, reject, jump, goto, return, continue) that applies. */
static int verdict(struct walk *w, const struct nft_chain *c, int64_t handle, const char *name,
                   json_object *arg, enum step *ret)
{
        const struct nft_chain *target;
        enum step s;
        int r;

        if (streq(name, "continue")) {
                *ret = STEP_NEXT;
                return 0;
        }
        if (streq(name, "return")) {
                *ret = STEP_RETURN;
                return 0;
        }
        if (streq(name, "accept") || streq(name, "drop") || streq(name, "reject")) {
                *ret = streq(name, "accept") ? STEP_ACCEPT : STEP_DROP;
                return set_where(&w->where, c, handle, name);
        }
        target = chain_find(w->rs, c->family, c->table, strempty(json_get_string(arg, "target")));
        if (!target || w->depth >= NFT_MAX_DEPTH) {
                *ret = STEP_UNKNOWN;
                return set_where(&w->unknown, c, handle, target ? "jumps too deep" : "jumps to no chain");
        }
        w->depth++;
        r = eval_chain(w, target, &s);
        w->depth--;
        if (r < 0)
                return r;
        *ret = s == STEP_RETURN ? (streq(name, "goto") ? STEP_RETURN : STEP_NEXT) : s;
        return 0;
}

static bool is_verdict(const char *name)
{
        static const char *const names[] = {"accept", "drop",   "reject",  "jump",
                                            "goto",   "return", "continue"};

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(names[i], name))
                        return true;
        return false;
}

/* Statements that change nothing about whether this packet gets in. */
static bool is_harmless(const char *name)
{
        static const char *const names[] = {"counter",   "log",        "mangle",         "notrack", "set",
                                            "ct helper", "ct timeout", "ct expectation", "synproxy"};

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(names[i], name))
                        return true;
        return false;
}

/* A verdict map: the packet's key looked up among its elements [[key, verdict], ...]. */
static int eval_vmap(struct walk *w, const struct nft_chain *c, int64_t handle, json_object *vmap,
                     enum step *ret)
{
        struct value v = packet_value(json_get(vmap, "key"), w->p);
        json_object *data = json_get(vmap, "data"), *elems;

        if (json_object_is_type(data, json_type_string) && json_object_get_string(data)[0] == '@') {
                json_object *m = named_set(w, json_object_get_string(data) + 1);
                elems = m ? json_get(m, "elem") : NULL;
        } else
                elems = json_get(data, "set");
        *ret = STEP_NEXT;
        if (v.kind == FIELD_ABSENT)
                return 0;
        for (size_t i = 0; v.kind != FIELD_NONE && json_object_is_type(elems, json_type_array) &&
                           i < json_object_array_length(elems);
             i++) {
                json_object *pair = json_object_array_get_idx(elems, i), *target;
                enum tri t;

                /* a map's element is [key, target]; json-c asserts on indexing anything else */
                if (!json_object_is_type(pair, json_type_array))
                        continue;
                t = elem_match(w, &v, json_object_array_get_idx(pair, 0));

                if (t == TRI_FALSE)
                        continue;
                target = json_object_array_get_idx(pair, 1);
                if (t == TRI_TRUE && json_object_is_type(target, json_type_object)) {
                        json_object_object_foreach(target, name, arg)
                        {
                                if (is_verdict(name))
                                        return verdict(w, c, handle, name, arg, ret);
                        }
                }
                break;
        }
        *ret = STEP_UNKNOWN;
        return set_where(&w->unknown, c, handle, "verdict map not understood");
}

/* A rule whose matches are not all understood reaches verdict name: when that is a plain accept or drop,
 * the walk goes on as if it did not match and remembers it; the answer stands only if it ends the same. */
static int undecided(struct walk *w, const struct nft_chain *c, int64_t handle, const char *name,
                     const char *why, enum step *ret)
{
        int r = 0;

        if (!w->unknown.chain)
                r = set_where(&w->unknown, c, handle, why);
        if (streq(name, "accept"))
                w->pending[NFT_ACCEPT] = true;
        else if (streq(name, "drop") || streq(name, "reject"))
                w->pending[NFT_DROP] = true;
        else {
                *ret = STEP_UNKNOWN;
                return r;
        }
        *ret = STEP_NEXT;
        return r;
}

static const char *expr_name(json_object *stmt, json_object **ret_arg)
{
        /* json-c's foreach reads an object's table: anything else has no name */
        if (!json_object_is_type(stmt, json_type_object)) {
                *ret_arg = NULL;
                return "";
        }
        json_object_object_foreach(stmt, name, arg)
        {
                *ret_arg = arg;
                return name;
        }
        *ret_arg = NULL;
        return "";
}

static int eval_rule(struct walk *w, const struct nft_chain *c, json_object *rule, enum step *ret)
{
        json_object *exprs = json_get(rule, "expr");
        int64_t handle = json_get_int(rule, "handle", 0);
        const char *why = NULL;

        *ret = STEP_NEXT;
        /* a rule's expr is an array (libnftables-json(5)); json-c asserts on the length of anything else */
        if (!json_object_is_type(exprs, json_type_array))
                exprs = NULL;
        for (size_t i = 0; exprs && i < json_object_array_length(exprs); i++) {
                json_object *arg;
                const char *name = expr_name(json_object_array_get_idx(exprs, i), &arg);

                if (streq(name, "match")) {
                        enum tri t = eval_match(w, arg);

                        if (t == TRI_FALSE)
                                return 0;
                        if (t == TRI_UNKNOWN && !why)
                                why = "a match not understood";
                } else if (is_verdict(name) || streq(name, "vmap")) {
                        if (why)
                                return undecided(w, c, handle, name, why, ret);
                        return streq(name, "vmap") ? eval_vmap(w, c, handle, arg, ret)
                                                   : verdict(w, c, handle, name, arg, ret);
                } else if (!is_harmless(name) && !why)
                        why = "a statement not understood"; /* limit, quota, xt, queue, nat, ... */
        }
        return 0;
}

static bool accepted_by(const struct walk *w, const struct nft_chain *c)
{
        for (char *const *a = w->p->accepted_by; a && *a; a++) {
                _cleanup_free_ char *name = strdup_printf("%s %s %s", c->family, c->table, c->name);

                if (name && streq(name, *a))
                        return true;
        }
        return false;
}

static int eval_chain(struct walk *w, const struct nft_chain *c, enum step *ret)
{
        if (accepted_by(w, c)) {
                *ret = STEP_ACCEPT;
                return set_where(&w->where, c, 0, "accept planned at its top");
        }
        for (size_t i = 0; i < c->n_rules; i++) {
                int r = eval_rule(w, c, c->rules[i], ret);

                if (r < 0)
                        return r;
                if (*ret != STEP_NEXT)
                        return 0;
        }
        *ret = STEP_RETURN;
        return 0;
}

/* One base chain: its verdict, its policy when no rule decides, or UNKNOWN when a rule not understood
 * could have decided otherwise. */
static int eval_base(struct walk *w, const struct nft_chain *c, enum nft_verdict *ret)
{
        enum step s;
        int r;

        w->base = c;
        memset(w->pending, 0, sizeof(w->pending));
        where_done(&w->unknown);
        r = eval_chain(w, c, &s);
        if (r < 0)
                return r;
        if (s == STEP_RETURN) {
                bool drop = c->policy && streq(c->policy, "drop");

                r = set_where(&w->where, c, 0, drop ? "policy drop" : "policy accept");
                s = drop ? STEP_DROP : STEP_ACCEPT;
        }
        if (s == STEP_UNKNOWN)
                *ret = NFT_UNKNOWN;
        else {
                *ret = s == STEP_ACCEPT ? NFT_ACCEPT : NFT_DROP;
                if (w->pending[*ret == NFT_ACCEPT ? NFT_DROP : NFT_ACCEPT])
                        *ret = NFT_UNKNOWN;
        }
        return r;
}

static int cmp_chain(const void *a, const void *b)
{
        const struct nft_chain *x = *(const struct nft_chain *const *)a,
                               *y = *(const struct nft_chain *const *)b;
        bool xpre = streq(x->hook, "prerouting"), ypre = streq(y->hook, "prerouting");

        if (xpre != ypre)
                return xpre ? -1 : 1;
        return x->prio < y->prio ? -1 : x->prio > y->prio;
}

static int base_chains(const struct nft_ruleset *rs, int af, const struct nft_chain ***ret, size_t *ret_n)
{
        const struct nft_chain **v = calloc(rs->n_chains ? rs->n_chains : 1, sizeof(*v));
        size_t n = 0;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < rs->n_chains; i++)
                if (chain_filters(&rs->chains[i], af, "prerouting") ||
                    chain_filters(&rs->chains[i], af, "input"))
                        v[n++] = &rs->chains[i];
        /* stable for equal priorities: the kernel's own order then is its registration order */
        for (size_t i = 1; i < n; i++)
                for (size_t k = i; k > 0 && cmp_chain(&v[k - 1], &v[k]) > 0; k--) {
                        const struct nft_chain *t = v[k];
                        v[k] = v[k - 1];
                        v[k - 1] = t;
                }
        *ret = v;
        *ret_n = n;
        return 0;
}

static void take_where(struct nft_where *to, struct nft_where *from)
{
        where_done(to);
        *to = *from;
        *from = (struct nft_where){};
}

int nft_ruleset_eval(const struct nft_ruleset *rs, const struct nft_packet *p, struct nft_decision *ret)
{
        _cleanup_free_ const struct nft_chain **chains = NULL;
        struct walk w = {.rs = rs, .p = p};
        struct nft_decision d = {.verdict = NFT_ACCEPT};
        size_t n;
        int r;

        if ((p->family != AF_INET && p->family != AF_INET6) || !p->saddr)
                return -EINVAL;
        r = base_chains(rs, p->family, &chains, &n);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                enum nft_verdict v;

                r = eval_base(&w, chains[i], &v);
                d.n_chains++;
                if (r < 0)
                        break;
                if (v == NFT_DROP) {
                        /* final, whatever an earlier chain not understood did */
                        d.verdict = NFT_DROP;
                        take_where(&d.where, &w.where);
                        break;
                }
                if (v == NFT_UNKNOWN && d.verdict != NFT_UNKNOWN) {
                        d.verdict = NFT_UNKNOWN;
                        take_where(&d.where, &w.unknown);
                } else if (v == NFT_ACCEPT && d.verdict == NFT_ACCEPT)
                        take_where(&d.where, &w.where);
        }
        where_done(&w.where);
        where_done(&w.unknown);
        if (r < 0) {
                nft_decision_done(&d);
                return r;
        }
        *ret = d;
        return 0;
}

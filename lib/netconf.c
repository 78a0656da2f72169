/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "netconf.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "lineiter.h"
#include "pathnames.h"
#include "strv.h"
#include "util.h"

static const char *const system_names[_NETCONF_SYSTEM_MAX] = {
        [NETCONF_IFUPDOWN] = "ifupdown",
        [NETCONF_NETWORKD] = "systemd-networkd",
        [NETCONF_NETPLAN] = "netplan",
        [NETCONF_NM] = "NetworkManager",
};

const char *netconf_system_to_string(enum netconf_system s)
{
        return s >= 0 && s < _NETCONF_SYSTEM_MAX ? system_names[s] : NULL;
}

static void bridge_done(struct netconf_bridge *b)
{
        free(b->name);
        free(b->file);
        strv_free(b->ports);
        strv_free(b->addresses);
        free(b->nm_id);
        free(b->nm_uuid);
}

void netconf_done(struct netconf *c)
{
        for (size_t i = 0; i < c->n_bridges; i++)
                bridge_done(&c->bridges[i]);
        free(c->bridges);
        for (size_t i = 0; i < c->n_ports; i++) {
                free(c->ports[i].name);
                free(c->ports[i].master);
        }
        free(c->ports);
        strv_free(c->files);
        strv_free(c->sources);
        for (size_t i = 0; i < _NETCONF_SYSTEM_MAX; i++)
                strv_free(c->interfaces[i]);
        *c = (struct netconf){0};
}

static struct netconf_bridge *find_in(struct netconf *c, const char *name, enum netconf_system s)
{
        for (size_t i = 0; i < c->n_bridges; i++)
                if (c->bridges[i].system == s && streq(c->bridges[i].name, name))
                        return &c->bridges[i];
        return NULL;
}

const struct netconf_bridge *netconf_find(const struct netconf *c, const char *name)
{
        for (size_t i = 0; i < c->n_bridges; i++)
                if (streq(c->bridges[i].name, name))
                        return &c->bridges[i];
        return NULL;
}

struct netconf_bridge *netconf_bridge_get(struct netconf *c, const char *name, enum netconf_system s,
                                          const char *file, unsigned line)
{
        struct netconf_bridge *b = find_in(c, name, s), *n;

        if (b)
                return b;
        n = realloc(c->bridges, (c->n_bridges + 1) * sizeof(*n));
        if (!n)
                return NULL;
        c->bridges = n;
        b = &c->bridges[c->n_bridges];
        *b = (struct netconf_bridge){.name = strdup(name), .system = s, .file = strdup(file), .line = line};
        if (!b->name || !b->file) {
                bridge_done(b);
                return NULL;
        }
        c->n_bridges++;
        return b;
}

static int port_add(struct netconf *c, const char *name, const char *master, enum netconf_system s)
{
        struct netconf_port *n = realloc(c->ports, (c->n_ports + 1) * sizeof(*n));

        if (!n)
                return -ENOMEM;
        c->ports = n;
        n[c->n_ports] = (struct netconf_port){.name = strdup(name), .master = strdup(master), .system = s};
        if (!n[c->n_ports].name || !n[c->n_ports].master) {
                free(n[c->n_ports].name);
                free(n[c->n_ports].master);
                return -ENOMEM;
        }
        c->n_ports++;
        return 0;
}

static bool port_of(const struct netconf_bridge *b, const struct netconf_port *p)
{
        if (b->system != p->system)
                return false;
        return streq(b->name, p->master) || streq_ptr(b->nm_id, p->master) ||
               streq_ptr(b->nm_uuid, p->master);
}

int netconf_resolve_ports(struct netconf *c)
{
        for (size_t i = 0; i < c->n_ports; i++)
                for (size_t k = 0; k < c->n_bridges; k++) {
                        struct netconf_bridge *b = &c->bridges[k];

                        if (port_of(b, &c->ports[i]) && !strv_contains(b->ports, c->ports[i].name) &&
                            strv_push_dup(&b->ports, c->ports[i].name) < 0)
                                return -ENOMEM;
                }
        return 0;
}

/* Appends the words of value to *v (no duplicates). */
static int words_add(char ***v, const char *value)
{
        _cleanup_(strv_freep) char **w = NULL;
        int r = strv_split(value, " \t,", &w);

        if (r < 0)
                return r;
        STRV_FOREACH (s, w)
                if (!strv_contains(*v, *s) && strv_push_dup(v, *s) < 0)
                        return -ENOMEM;
        return 0;
}

/* ---- ifupdown ---- */

struct ifupdown_stanza {
        struct netconf *c;
        const char *file;
        char *iface; /* the current `iface` stanza, NULL outside one */
        unsigned line;
        bool is_bridge;
};

/* "bridge-ports" -> "bridge_ports", in place */
static void option_normalize(char *s)
{
        for (; *s; s++)
                if (*s == '-')
                        *s = '_';
}

static int ifupdown_source(const char *file, const char *keyword, const char *arg, char ***sources)
{
        _cleanup_free_ char *dir = strndup(file, (size_t)(strrchr(file, '/') - file));
        char *p;

        if (!dir)
                return -ENOMEM;
        if (streq(keyword, "source_directory"))
                p = strdup_printf("%s%s%s/*", arg[0] == '/' ? "" : dir, arg[0] == '/' ? "" : "/", arg);
        else
                p = strdup_printf("%s%s%s", arg[0] == '/' ? "" : dir, arg[0] == '/' ? "" : "/", arg);
        return p ? strv_push(sources, p) : -ENOMEM;
}

/* An option line of the current iface stanza. */
static int ifupdown_option(struct ifupdown_stanza *st, const char *key, const char *value)
{
        struct netconf_bridge *b;
        bool ovs_bridge = streq(key, "ovs_type") && streq(value, "OVSBridge");

        if (streq(key, "ovs_bridge"))
                return port_add(st->c, st->iface, value, NETCONF_IFUPDOWN);
        if (!st->is_bridge && !ovs_bridge && !streq(key, "bridge_ports"))
                return 0; /* a plain interface: only bridges are collected (bridge_ports none is one) */
        b = netconf_bridge_get(st->c, st->iface, NETCONF_IFUPDOWN, st->file, st->line);
        if (!b)
                return -ENOMEM;
        st->is_bridge = true;
        b->ovs = b->ovs || ovs_bridge;
        if (streq(key, "bridge_ports") || streq(key, "ovs_ports"))
                return streq(value, "none") ? 0 : words_add(&b->ports, value);
        if (streq(key, "mtu"))
                return (void)safe_atou(value, &b->mtu), 0;
        if (streq(key, "address"))
                return words_add(&b->addresses, value);
        return 0;
}

/* The options of a stanza seen before it was known to be a bridge are read again: remember them. */
static int ifupdown_line(struct ifupdown_stanza *st, char *line, unsigned number, char ***pending,
                         char ***sources)
{
        char *key = line, *value;

        value = key + strcspn(key, " \t");
        if (*value)
                *value++ = '\0';
        value = strip(value);
        option_normalize(key);
        if (streq(key, "iface") || streq(key, "mapping")) {
                free(st->iface);
                st->iface = streq(key, "iface") ? strndup(value, strcspn(value, " \t")) : NULL;
                st->line = number;
                st->is_bridge = false;
                /* an interface besides the loopback: ifupdown configures this host */
                if (st->iface && !streq(st->iface, "lo")) {
                        st->c->in_use[NETCONF_IFUPDOWN] = true;
                        if (!strv_contains(st->c->interfaces[NETCONF_IFUPDOWN], st->iface) &&
                            strv_push_dup(&st->c->interfaces[NETCONF_IFUPDOWN], st->iface) < 0)
                                return -ENOMEM;
                }
                strv_free(*pending);
                *pending = NULL;
                return streq(key, "iface") && !st->iface ? -ENOMEM : 0;
        }
        if (streq(key, "source") || streq(key, "source_directory")) {
                free(st->iface);
                st->iface = NULL;
                return ifupdown_source(st->file, key, value, sources);
        }
        if (streq(key, "auto") || startswith(key, "allow_") || streq(key, "no_auto_down") ||
            streq(key, "no_scripts")) {
                free(st->iface);
                st->iface = NULL;
                return 0;
        }
        if (!st->iface)
                return 0;
        if (!st->is_bridge) {
                char *kv = strdup_printf("%s %s", key, value);
                if (!kv || strv_push(pending, kv) < 0)
                        return -ENOMEM;
        }
        return ifupdown_option(st, key, value);
}

static int ifupdown_replay(struct ifupdown_stanza *st, char **pending)
{
        STRV_FOREACH (kv, pending) {
                char *sp = strchr(*kv, ' ');
                int r;

                *sp = '\0';
                r = ifupdown_option(st, *kv, sp + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

int netconf_parse_ifupdown(struct netconf *c, const char *file, const char *text, char ***sources)
{
        struct ifupdown_stanza st = {.c = c, .file = file};
        _cleanup_(strv_freep) char **pending = NULL;
        _cleanup_free_ char *joined = NULL;
        int r = 0;

        LINE_FOREACH(it, text)
        {
                _cleanup_free_ char *l = line_iter_dup(&it);
                char *s;
                bool was_bridge = st.is_bridge;

                if (!l) {
                        r = -ENOMEM;
                        break;
                }
                s = strip(l);
                if (!*s || *s == '#')
                        continue;
                r = ifupdown_line(&st, s, it.number, &pending, sources);
                if (r >= 0 && st.is_bridge && !was_bridge && st.iface) {
                        _cleanup_(strv_freep) char **p = TAKE_PTR(pending);
                        r = ifupdown_replay(&st, p);
                }
                if (r < 0)
                        break;
        }
        free(st.iface);
        return r;
}

/* ---- INI files: networkd and NetworkManager keyfiles ---- */

/* Calls fn for each key=value with its section; comments (# ;) on lines of their own. */
static int ini_foreach(const char *text,
                       int (*fn)(void *u, const char *section, const char *key, const char *value,
                                 unsigned line),
                       void *u)
{
        _cleanup_free_ char *section = NULL;

        LINE_FOREACH(it, text)
        {
                _cleanup_free_ char *l = line_iter_dup(&it);
                char *s, *eq;
                int r;

                if (!l)
                        return -ENOMEM;
                s = strip(l);
                if (!*s || *s == '#' || *s == ';')
                        continue;
                if (*s == '[') {
                        free(section);
                        section = strndup(s + 1, strcspn(s + 1, "]"));
                        if (!section)
                                return -ENOMEM;
                        continue;
                }
                eq = strchr(s, '=');
                if (!eq || !section)
                        continue;
                *eq = '\0';
                r = fn(u, section, strip(s), strip(eq + 1), it.number);
                if (r < 0)
                        return r;
        }
        return 0;
}

struct networkd_file {
        struct netconf *c;
        const char *file;
        bool netdev;
        char *name, *kind, *bridge, *address, **match;
        unsigned mtu, line;
};

static int networkd_key(void *u, const char *section, const char *key, const char *value, unsigned line)
{
        struct networkd_file *f = u;
        char **dst = NULL;

        if (streq(section, "NetDev") && streq(key, "Name"))
                dst = &f->name;
        else if (streq(section, "NetDev") && streq(key, "Kind"))
                dst = &f->kind;
        else if (streq(section, "Network") && streq(key, "Bridge"))
                dst = &f->bridge;
        else if (streq(section, "Match") && streq(key, "Name"))
                return *value ? words_add(&f->match, value) : (strv_free(f->match), f->match = NULL, 0);
        else if (streq(section, "Network") && streq(key, "Address") && !f->address)
                dst = &f->address;
        else if (streq(key, "MTUBytes") && (streq(section, "NetDev") || streq(section, "Link")))
                return (void)safe_atou(value, &f->mtu), 0;
        if (!dst)
                return 0;
        if (!f->line)
                f->line = line;
        free(*dst);
        *dst = strdup(value);
        return *dst ? 0 : -ENOMEM;
}

/* A .network's settings for the bridge it matches by name. */
static int networkd_bridge_settings(struct networkd_file *f)
{
        for (size_t i = 0; i < f->c->n_bridges; i++) {
                struct netconf_bridge *b = &f->c->bridges[i];
                bool matches = false;

                STRV_FOREACH (m, f->match)
                        matches = matches || fnmatch(*m, b->name, 0) == 0;
                if (b->system != NETCONF_NETWORKD || !matches)
                        continue;
                if (f->mtu && !b->mtu)
                        b->mtu = f->mtu;
                if (f->address && words_add(&b->addresses, f->address) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int netconf_parse_networkd(struct netconf *c, const char *file, const char *text)
{
        struct networkd_file f = {.c = c, .file = file, .netdev = endswith(file, ".netdev")};
        int r = ini_foreach(text, networkd_key, &f);

        if (r >= 0 && f.netdev && f.name && f.kind && streq(f.kind, "bridge")) {
                struct netconf_bridge *b = netconf_bridge_get(c, f.name, NETCONF_NETWORKD, file, f.line);
                if (!b)
                        r = -ENOMEM;
                else if (f.mtu)
                        b->mtu = f.mtu;
        } else if (r >= 0 && !f.netdev) {
                STRV_FOREACH (m, f.bridge ? f.match : NULL)
                        if ((r = port_add(c, *m, f.bridge, NETCONF_NETWORKD)) < 0)
                                break;
                if (r >= 0)
                        r = networkd_bridge_settings(&f);
        }
        free(f.name);
        free(f.kind);
        free(f.bridge);
        free(f.address);
        strv_free(f.match);
        return r;
}

struct nm_file {
        char *type, *ifname, *id, *uuid, *master, *port_type, **addresses;
        unsigned mtu, line;
};

static int nm_key(void *u, const char *section, const char *key, const char *value, unsigned line)
{
        struct nm_file *f = u;
        char **dst = NULL;

        if (streq(section, "connection")) {
                if (!f->line)
                        f->line = line;
                dst = streq(key, "type")                                    ? &f->type
                      : streq(key, "interface-name")                        ? &f->ifname
                      : streq(key, "id")                                    ? &f->id
                      : streq(key, "uuid")                                  ? &f->uuid
                      : streq(key, "master") || streq(key, "controller")    ? &f->master
                      : streq(key, "slave-type") || streq(key, "port-type") ? &f->port_type
                                                                            : NULL;
        } else if ((streq(section, "ethernet") || streq(section, "802-3-ethernet")) && streq(key, "mtu"))
                return (void)safe_atou(value, &f->mtu), 0;
        else if (startswith(section, "ipv") && startswith(key, "address")) {
                /* address1=10.0.0.1/24,10.0.0.254: the gateway after the comma */
                _cleanup_free_ char *a = strndup(value, strcspn(value, ","));
                return a ? strv_push(&f->addresses, TAKE_PTR(a)) : -ENOMEM;
        }
        if (!dst)
                return 0;
        free(*dst);
        *dst = strdup(value);
        return *dst ? 0 : -ENOMEM;
}

static int nm_add(struct netconf *c, const char *file, struct nm_file *f)
{
        struct netconf_bridge *b;

        if (f->master && f->ifname && (!f->port_type || streq(f->port_type, "bridge")))
                return port_add(c, f->ifname, f->master, NETCONF_NM);
        if (!f->type || !streq(f->type, "bridge") || !(f->ifname || f->id))
                return 0;
        b = netconf_bridge_get(c, f->ifname ? f->ifname : f->id, NETCONF_NM, file, f->line);
        if (!b)
                return -ENOMEM;
        b->mtu = f->mtu;
        strv_free(b->addresses);
        b->addresses = TAKE_PTR(f->addresses);
        free(b->nm_id);
        free(b->nm_uuid);
        b->nm_id = f->id ? strdup(f->id) : NULL;
        b->nm_uuid = f->uuid ? strdup(f->uuid) : NULL;
        return (f->id && !b->nm_id) || (f->uuid && !b->nm_uuid) ? -ENOMEM : 0;
}

int netconf_parse_nm_keyfile(struct netconf *c, const char *file, const char *text)
{
        struct nm_file f = {0};
        int r = ini_foreach(text, nm_key, &f);

        if (r >= 0)
                r = nm_add(c, file, &f);
        free(f.type);
        free(f.ifname);
        free(f.id);
        free(f.uuid);
        free(f.master);
        free(f.port_type);
        strv_free(f.addresses);
        return r;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "firewalld.h"
#include "macro.h"
#include "strv.h"
#include "systemd.h"
#include "util.h"

#define FW_NAME         "org.fedoraproject.FirewallD1"
#define FW_PATH         "/org/fedoraproject/FirewallD1"
#define FW_CONFIG_PATH  FW_PATH "/config"
#define FW_IFACE        FW_NAME
#define FW_ZONE_IFACE   FW_NAME ".zone"
#define FW_CONFIG_IFACE FW_NAME ".config"
#define FW_CZONE_IFACE  FW_NAME ".config.zone"
#define FW_CSERV_IFACE  FW_NAME ".config.service"

static const char *const item_names[] = {
        [FIREWALLD_PORT] = "port",
        [FIREWALLD_SERVICE] = "service",
        [FIREWALLD_RICH_RULE] = "rich-rule",
};
_Static_assert(ELEMENTSOF(item_names) == _FIREWALLD_ITEM_MAX, "item_names out of step");

const char *firewalld_item_to_string(enum firewalld_item k)
{
        return k >= 0 && k < _FIREWALLD_ITEM_MAX ? item_names[k] : NULL;
}

enum firewalld_item firewalld_item_from_string(const char *s)
{
        for (size_t i = 0; s && i < ELEMENTSOF(item_names); i++)
                if (streq(item_names[i], s))
                        return (enum firewalld_item)i;
        return (enum firewalld_item) - 1;
}

/* One method call, bounded by the deadline; types/args as sd_bus_call_method()'s. */
static int call(sd_bus *bus, const char *path, const char *iface, const char *member, uint64_t deadline,
                sd_bus_error *error, sd_bus_message **ret_reply, const char *types, ...)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        uint64_t now = systemd_now_usec();
        va_list ap;
        int r;

        if (now >= deadline)
                return -ETIMEDOUT;
        r = sd_bus_message_new_method_call(bus, &m, FW_NAME, path, iface, member);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r < 0)
                return r;
        return sd_bus_call(bus, m, deadline - now, error && !sd_bus_error_is_set(error) ? error : NULL,
                           ret_reply);
}

static int reply_string(sd_bus_message *reply, char **ret)
{
        const char *s;
        int r = sd_bus_message_read(reply, "s", &s);
        char *d;

        if (r < 0)
                return r;
        d = strdup(s);
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

static int reply_strv(sd_bus_message *reply, char ***ret)
{
        _cleanup_(strv_freep) char **v = NULL;
        const char *s;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "s");
        while (r >= 0 && (r = sd_bus_message_read(reply, "s", &s)) > 0)
                r = strv_push_dup(&v, s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        return 0;
}

int firewalld_running(sd_bus *bus, uint64_t deadline, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *state = NULL;
        const char *s;
        int r;

        r = call(bus, FW_PATH, "org.freedesktop.DBus.Properties", "Get", deadline, error, &reply, "ss",
                 FW_IFACE, "state");
        if (r == -ENXIO || r == -EHOSTUNREACH || r == -ESRCH ||
            (r < 0 && error &&
             (sd_bus_error_has_name(error, "org.freedesktop.DBus.Error.ServiceUnknown") ||
              sd_bus_error_has_name(error, "org.freedesktop.DBus.Error.NameHasNoOwner"))))
                return -ENOENT;
        if (r >= 0)
                r = sd_bus_message_read(reply, "v", "s", &s);
        if (r < 0)
                return r;
        return streq(s, "RUNNING") ? 0 : -EAGAIN;
}

static int zone_of(sd_bus *bus, const char *member, const char *what, uint64_t deadline, char **ret,
                   sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = call(bus, FW_PATH, FW_ZONE_IFACE, member, deadline, error, &reply, "s", what);

        return r < 0 ? r : reply_string(reply, ret);
}

int firewalld_zone_for(sd_bus *bus, const char *source, const char *interface, uint64_t deadline,
                       char **ret_zone, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *zone = NULL;
        int r = 0;

        if (source)
                r = zone_of(bus, "getZoneOfSource", source, deadline, &zone, error);
        if (r >= 0 && (!zone || !*zone) && interface) {
                free(zone);
                zone = NULL;
                r = zone_of(bus, "getZoneOfInterface", interface, deadline, &zone, error);
        }
        if (r >= 0 && (!zone || !*zone)) {
                free(zone);
                zone = NULL;
                r = call(bus, FW_PATH, FW_IFACE, "getDefaultZone", deadline, error, &reply, NULL);
                if (r >= 0)
                        r = reply_string(reply, &zone);
        }
        if (r < 0)
                return r;
        *ret_zone = TAKE_PTR(zone);
        return 0;
}

void firewalld_zone_done(struct firewalld_zone *z)
{
        free(z->target);
        strv_free(z->ports);
        strv_free(z->services);
        strv_free(z->service_ports);
        strv_free(z->rich_rules);
        *z = (struct firewalld_zone){};
}

/* The permanent object of a zone or service (config.getZoneByName, getServiceByName). */
static int config_object(sd_bus *bus, const char *member, const char *name, uint64_t deadline, char **ret,
                         sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        int r = call(bus, FW_CONFIG_PATH, FW_CONFIG_IFACE, member, deadline, error, &reply, "s", name);

        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        *ret = strdup(path);
        return *ret ? 0 : -ENOMEM;
}

/* Ports of an a(ss) or aas, as "PORT/PROTO", appended to v with prefix. */
static int read_port_pairs(sd_bus_message *m, const char *prefix, char ***v)
{
        char type;
        const char *contents, *port, *proto;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', contents);
        while (r >= 0) {
                r = sd_bus_message_enter_container(m, contents[0] == '(' ? 'r' : 'a',
                                                   contents[0] == '(' ? "ss" : "s");
                if (r <= 0)
                        break;
                r = sd_bus_message_read(m, "ss", &port, &proto);
                if (r >= 0)
                        r = strv_push(v, strdup_printf("%s%s/%s", prefix, port, proto));
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* Looks up key in an a{sv} and reads its value with fn (the variant entered), skipping the rest. */
static int dict_find(sd_bus_message *m, const char *key, int (*fn)(sd_bus_message *m, void *userdata),
                     void *userdata)
{
        const char *k;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &k);
                if (r >= 0 && streq(k, key)) {
                        const char *contents;
                        r = sd_bus_message_peek_type(m, NULL, &contents);
                        if (r >= 0)
                                r = sd_bus_message_enter_container(m, 'v', contents);
                        if (r >= 0)
                                r = fn(m, userdata);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                } else if (r >= 0)
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        return r;
}

struct ports_of {
        const char *prefix;
        char ***v;
};

static int ports_in(sd_bus_message *m, void *userdata)
{
        struct ports_of *p = userdata;

        return read_port_pairs(m, p->prefix, p->v);
}

static int target_in(sd_bus_message *m, void *userdata)
{
        return reply_string(m, userdata);
}

static int service_ports(sd_bus *bus, enum firewalld_layer layer, const char *service, uint64_t deadline,
                         char ***v, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *path = NULL, *prefix = strdup_printf("%s ", service);
        struct ports_of p = {prefix, v};
        int r;

        if (!prefix)
                return -ENOMEM;
        if (layer == FIREWALLD_RUNTIME)
                r = call(bus, FW_PATH, FW_IFACE, "getServiceSettings2", deadline, error, &reply, "s",
                         service);
        else {
                r = config_object(bus, "getServiceByName", service, deadline, &path, error);
                if (r >= 0)
                        r = call(bus, path, FW_CSERV_IFACE, "getSettings2", deadline, error, &reply, NULL);
        }
        return r < 0 ? r : dict_find(reply, "ports", ports_in, &p);
}

/* One list of a zone: runtime members take the zone's name, permanent ones are asked of its object. */
static int zone_call(sd_bus *bus, enum firewalld_layer layer, const char *zone, const char *path,
                     const char *member, uint64_t deadline, sd_bus_message **reply, sd_bus_error *error)
{
        if (layer == FIREWALLD_RUNTIME)
                return call(bus, FW_PATH, FW_ZONE_IFACE, member, deadline, error, reply, "s", zone);
        return call(bus, path, FW_CZONE_IFACE, member, deadline, error, reply, NULL);
}

static int zone_lists(sd_bus *bus, enum firewalld_layer layer, const char *zone, const char *path,
                      uint64_t deadline, struct firewalld_zone *z, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *ports = NULL, *services = NULL, *rich = NULL;
        int r;

        r = zone_call(bus, layer, zone, path, "getPorts", deadline, &ports, error);
        if (r >= 0)
                r = read_port_pairs(ports, "", &z->ports);
        if (r >= 0)
                r = zone_call(bus, layer, zone, path, "getServices", deadline, &services, error);
        if (r >= 0)
                r = reply_strv(services, &z->services);
        if (r >= 0)
                r = zone_call(bus, layer, zone, path, "getRichRules", deadline, &rich, error);
        if (r >= 0)
                r = reply_strv(rich, &z->rich_rules);
        STRV_FOREACH (s, z->services)
                if (r >= 0)
                        r = service_ports(bus, layer, *s, deadline, &z->service_ports, error);
        return r;
}

int firewalld_zone_read(sd_bus *bus, enum firewalld_layer layer, const char *zone, uint64_t deadline,
                        struct firewalld_zone *ret, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *path = NULL;
        struct firewalld_zone z = {};
        int r = 0;

        if (layer == FIREWALLD_PERMANENT) {
                r = config_object(bus, "getZoneByName", zone, deadline, &path, error);
                if (r >= 0)
                        r = call(bus, path, FW_CZONE_IFACE, "getTarget", deadline, error, &reply, NULL);
                if (r >= 0)
                        r = reply_string(reply, &z.target);
        } else {
                r = call(bus, FW_PATH, FW_ZONE_IFACE, "getZoneSettings2", deadline, error, &reply, "s",
                         zone);
                if (r >= 0)
                        r = dict_find(reply, "target", target_in, &z.target);
        }
        if (r >= 0)
                r = zone_lists(bus, layer, zone, path, deadline, &z, error);
        if (r < 0) {
                firewalld_zone_done(&z);
                return r;
        }
        *ret = z;
        return 0;
}

/* "16509/tcp" into its port and protocol. */
static int split_port(const char *value, char **ret_port, const char **ret_proto)
{
        const char *slash = strchr(value, '/');

        if (!slash)
                return -EINVAL;
        *ret_port = strndup(value, slash - value);
        *ret_proto = slash + 1;
        return *ret_port ? 0 : -ENOMEM;
}

static const char *member_of(const char *verb, enum firewalld_item kind)
{
        static const char *const names[][_FIREWALLD_ITEM_MAX] = {
                {"queryPort", "queryService", "queryRichRule"},
                {"addPort", "addService", "addRichRule"},
                {"removePort", "removeService", "removeRichRule"},
        };

        return names[streq(verb, "query") ? 0 : streq(verb, "add") ? 1 : 2][kind];
}

/* A zone member call with the item as its arguments (and a timeout of 0 where runtime adds take one). */
static int item_call(sd_bus *bus, enum firewalld_layer layer, const char *zone, enum firewalld_item kind,
                     const char *value, const char *verb, uint64_t deadline, sd_bus_message **reply,
                     sd_bus_error *error)
{
        _cleanup_free_ char *path = NULL, *port = NULL;
        const char *member = member_of(verb, kind), *proto = NULL;
        bool timeout = layer == FIREWALLD_RUNTIME && streq(verb, "add");
        int r;

        if (kind < 0 || kind >= _FIREWALLD_ITEM_MAX)
                return -EINVAL;
        if (kind == FIREWALLD_PORT && (r = split_port(value, &port, &proto)) < 0)
                return r;
        if (layer == FIREWALLD_PERMANENT) {
                r = config_object(bus, "getZoneByName", zone, deadline, &path, error);
                if (r < 0)
                        return r;
                return port ? call(bus, path, FW_CZONE_IFACE, member, deadline, error, reply, "ss", port,
                                   proto)
                            : call(bus, path, FW_CZONE_IFACE, member, deadline, error, reply, "s", value);
        }
        if (port)
                return timeout ? call(bus, FW_PATH, FW_ZONE_IFACE, member, deadline, error, reply, "sssi",
                                      zone, port, proto, 0)
                               : call(bus, FW_PATH, FW_ZONE_IFACE, member, deadline, error, reply, "sss",
                                      zone, port, proto);
        return timeout ? call(bus, FW_PATH, FW_ZONE_IFACE, member, deadline, error, reply, "ssi", zone,
                              value, 0)
                       : call(bus, FW_PATH, FW_ZONE_IFACE, member, deadline, error, reply, "ss", zone,
                              value);
}

int firewalld_query(sd_bus *bus, enum firewalld_layer layer, const char *zone, enum firewalld_item kind,
                    const char *value, uint64_t deadline, bool *ret, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int b = 0, r;

        r = item_call(bus, layer, zone, kind, value, "query", deadline, &reply, error);
        if (r >= 0)
                r = sd_bus_message_read(reply, "b", &b);
        if (r < 0)
                return r;
        *ret = b;
        return 0;
}

int firewalld_change(sd_bus *bus, enum firewalld_layer layer, const char *zone, enum firewalld_item kind,
                     const char *value, bool add, uint64_t deadline, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

        return item_call(bus, layer, zone, kind, value, add ? "add" : "remove", deadline, &reply, error);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "etchosts.h"

#include <arpa/inet.h>
#include <strings.h>

#include "lineiter.h"

#include "strv.h"

/* Calls fn for each non-comment line with its fields split and its number; stops early when fn returns
 * non-zero. */
static int etchosts_foreach(const char *text, int (*fn)(char **fields, unsigned line, void *userdata),
                            void *userdata)
{
        LINE_FOREACH(l, text)
        {
                _cleanup_(strv_freep) char **fields = NULL;
                _cleanup_free_ char *line = line_iter_dup(&l);
                int r;

                if (!line)
                        return -ENOMEM;
                line[strcspn(line, "#")] = '\0';
                r = strv_split(line, " \t\r", &fields);
                if (r < 0)
                        return r;
                if (strv_length(fields) < 2)
                        continue;
                r = fn(fields, l.number, userdata);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        return 0;
}

struct lookup {
        const char *key;
        char **found;
};

static int collect_addresses(char **fields, unsigned line, void *userdata)
{
        struct lookup *l = userdata;

        for (size_t i = 1; fields[i]; i++)
                if (strcasecmp(fields[i], l->key) == 0 && !strv_contains(l->found, fields[0]))
                        return strv_push_dup(&l->found, fields[0]);
        return 0;
}

static int collect_names(char **fields, unsigned line, void *userdata)
{
        struct lookup *l = userdata;
        int r;

        if (!streq(fields[0], l->key))
                return 0;
        for (size_t i = 1; fields[i]; i++) {
                if (strv_contains(l->found, fields[i]))
                        continue;
                r = strv_push_dup(&l->found, fields[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int etchosts_collect(const char *text, const char *key, int (*fn)(char **, unsigned, void *),
                            char ***ret)
{
        struct lookup l = {.key = key};
        int r;

        r = etchosts_foreach(text, fn, &l);
        if (r >= 0 && !l.found) {
                l.found = calloc(1, sizeof(char *));
                if (!l.found)
                        r = -ENOMEM;
        }
        if (r < 0) {
                strv_free(l.found);
                return r;
        }
        *ret = l.found;
        return 0;
}

/* The first line naming l->key: its canonical name, kept when dotted. Stops the walk (1) either way. */
static int canonical_name(char **fields, unsigned line, void *userdata)
{
        struct lookup *l = userdata;

        for (size_t i = 1; fields[i]; i++) {
                if (strcasecmp(fields[i], l->key) != 0)
                        continue;
                if (strchr(fields[1], '.') && strv_push_dup(&l->found, fields[1]) < 0)
                        return -ENOMEM;
                return 1;
        }
        return 0;
}

int etchosts_fqdn(const char *text, const char *hostname, char **ret)
{
        struct lookup l = {.key = hostname};
        int r = etchosts_foreach(text, canonical_name, &l);

        if (r >= 0 && !l.found)
                r = -ENOENT;
        if (r >= 0)
                *ret = strdup(l.found[0]);
        strv_free(l.found);
        return r < 0 ? r : *ret ? 0 : -ENOMEM;
}

int etchosts_addresses(const char *text, const char *name, char ***ret)
{
        return etchosts_collect(text, name, collect_addresses, ret);
}

int etchosts_names(const char *text, const char *addr, char ***ret)
{
        return etchosts_collect(text, addr, collect_names, ret);
}

int etchosts_resolve(const char *text, const char *name, char ***ret)
{
        unsigned char buf[sizeof(struct in6_addr)];

        if (inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1) {
                _cleanup_(strv_freep) char **v = NULL;

                if (strv_push_dup(&v, name) < 0)
                        return -ENOMEM;
                *ret = TAKE_PTR(v);
                return 0;
        }
        return etchosts_addresses(text ? text : "", name, ret);
}

struct entries {
        const char *key;
        struct etchosts_entry *items;
        size_t n;
};

static int collect_entries(char **fields, unsigned line, void *userdata)
{
        struct entries *e = userdata;
        struct etchosts_entry *items;

        for (size_t i = 1; fields[i]; i++) {
                if (strcasecmp(fields[i], e->key) != 0)
                        continue;
                items = reallocarray(e->items, e->n + 1, sizeof(*items));
                if (!items)
                        return -ENOMEM;
                e->items = items;
                items[e->n] = (struct etchosts_entry){line, strdup(fields[0]), strdup(fields[1])};
                if (!items[e->n].address || !items[e->n].canonical) {
                        free(items[e->n].address);
                        free(items[e->n].canonical);
                        return -ENOMEM;
                }
                e->n++;
                return 0;
        }
        return 0;
}

int etchosts_entries(const char *text, const char *name, struct etchosts_entry **ret, size_t *ret_n)
{
        struct entries e = {.key = name};
        int r = etchosts_foreach(text ? text : "", collect_entries, &e);

        if (r < 0) {
                etchosts_entries_free(e.items, e.n);
                return r;
        }
        *ret = e.items;
        *ret_n = e.n;
        return 0;
}

void etchosts_entries_free(struct etchosts_entry *items, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(items[i].address);
                free(items[i].canonical);
        }
        free(items);
}

bool address_is_loopback(const char *a)
{
        struct in6_addr in6;
        struct in_addr in;

        if (inet_pton(AF_INET, a, &in) == 1)
                return (ntohl(in.s_addr) >> 24) == 127;
        if (inet_pton(AF_INET6, a, &in6) == 1)
                return IN6_IS_ADDR_LOOPBACK(&in6) || (IN6_IS_ADDR_V4MAPPED(&in6) && in6.s6_addr[12] == 127);
        return false;
}

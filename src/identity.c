/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "identity.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <strings.h>

#include "etchosts.h"
#include "pathnames.h"
#include "strv.h"
#include "unit.h"

void identity_done(struct identity *id)
{
        free(id->hostname);
        strv_free(id->names);
        strv_free(id->addresses);
        *id = (struct identity){0};
}

static int push_unique(char ***v, const char *s)
{
        return strv_contains(*v, s) ? 0 : strv_push_dup(v, s);
}

/* Loopback and link-local addresses say nothing about how peers reach this host. */
static bool address_is_local(const char *a)
{
        return startswith(a, "127.") || streq(a, "::1") || startswith(a, "fe80:");
}

static int push_unique_all(char ***v, char **add)
{
        STRV_FOREACH (s, add) {
                if (address_is_local(*s))
                        continue;
                int r = push_unique(v, *s);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int interface_addresses(char ***v)
{
        struct ifaddrs *ifa, *i;
        int r = 0;

        if (getifaddrs(&ifa) < 0)
                return -errno;
        for (i = ifa; i && r >= 0; i = i->ifa_next) {
                char buf[INET6_ADDRSTRLEN];
                const void *a;

                if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
                        continue;
                if (i->ifa_addr->sa_family == AF_INET)
                        a = &((struct sockaddr_in *)i->ifa_addr)->sin_addr;
                else if (i->ifa_addr->sa_family == AF_INET6)
                        a = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
                else
                        continue;
                if (inet_ntop(i->ifa_addr->sa_family, a, buf, sizeof(buf)) && !address_is_local(buf))
                        r = push_unique(v, buf);
        }
        freeifaddrs(ifa);
        return r;
}

int identity_load(const struct hostfs *fs, const char *hostname_override, struct identity *ret)
{
        _cleanup_free_ char *hosts = NULL, *name = NULL;
        struct identity id = {0};
        int r;

        if (hostname_override)
                name = strdup(hostname_override);
        else {
                r = hostfs_hostname(fs, &name);
                if (r < 0)
                        name = strdup("localhost");
        }
        if (!name)
                return -ENOMEM;
        r = push_unique(&id.names, name);
        if (r >= 0 && strchr(name, '.')) {
                _cleanup_free_ char *s = strndup(name, strcspn(name, "."));
                r = s ? push_unique(&id.names, s) : -ENOMEM;
        }

        /* Missing /etc/hosts is fine: the host is then known by its name alone. */
        if (r >= 0 && hostfs_read_file(fs, PATH_ETC_HOSTS, &hosts, NULL) >= 0) {
                _cleanup_(strv_freep) char **addrs = NULL;

                r = etchosts_addresses(hosts, name, &addrs);
                if (r >= 0)
                        r = push_unique_all(&id.addresses, addrs);
                STRV_FOREACH (a, addrs) {
                        _cleanup_(strv_freep) char **names = NULL;

                        if (r < 0 || address_is_local(*a))
                                continue;
                        r = etchosts_names(hosts, *a, &names);
                        if (r >= 0)
                                r = push_unique_all(&id.names, names);
                }
        }
        if (r >= 0 && hostfs_is_live(fs) && !hostname_override)
                r = interface_addresses(&id.addresses);
        if (r < 0) {
                strv_free(id.names);
                strv_free(id.addresses);
                return r;
        }
        id.hostname = TAKE_PTR(name);
        *ret = id;
        return 0;
}

bool identity_matches(const struct identity *id, const char *name_or_address)
{
        STRV_FOREACH (n, id->names)
                if (strcasecmp(*n, name_or_address) == 0)
                        return true;
        return strv_contains(id->addresses, name_or_address);
}

unsigned identity_roles(const struct identity *id, const struct conf *profile)
{
        unsigned roles = 0;

        for (size_t i = 0; i < profile->n_entries; i++) {
                const struct conf_entry *e = &profile->entries[i];
                _cleanup_(strv_freep) char **words = NULL;

                if (!streq(e->section, "hosts") || !identity_matches(id, e->key))
                        continue;
                if (strv_split(e->value, ", \t", &words) < 0)
                        continue;
                STRV_FOREACH (w, words) {
                        enum role r = role_from_string(*w);
                        if (r >= 0)
                                roles |= ROLE_BIT(r);
                }
        }
        return roles;
}

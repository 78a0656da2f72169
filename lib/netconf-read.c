/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finding the files of each network configuration system below a root, in its owner's order. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "netconf.h"
#include "pathnames.h"
#include "strv.h"
#include "util.h"

/* ifupdown's `source` nesting is bounded: a file that sources itself must not loop. */
#define IFUPDOWN_MAX_DEPTH 8

static int read_text(const struct hostfs *fs, struct netconf *c, const char *path, char **ret)
{
        int r = hostfs_read_file(fs, path, ret, NULL);

        if (r >= 0 && strv_push_dup(&c->files, path) < 0)
                return -ENOMEM;
        return r;
}

/* The files a `source` pattern names: wildcards in the last component, as the shell's glob sorts them. */
static int expand_pattern(const struct hostfs *fs, const char *pattern, char ***ret)
{
        _cleanup_free_ char *dir = strndup(pattern, (size_t)(strrchr(pattern, '/') - pattern));
        _cleanup_(strv_freep) char **names = NULL, **out = NULL;
        const char *base = strrchr(pattern, '/') + 1;
        int r;

        if (!dir)
                return -ENOMEM;
        if (!strpbrk(base, "*?[")) {
                *ret = NULL;
                return strv_push_dup(ret, pattern);
        }
        r = hostfs_list_dir(fs, *dir ? dir : "/", &names);
        if (r == -ENOMEM)
                return r;
        STRV_FOREACH (n, names) {
                if (fnmatch(base, *n, FNM_PERIOD) != 0)
                        continue;
                if (strv_push(&out, strdup_printf("%s/%s", dir, *n)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

static int read_ifupdown(const struct hostfs *fs, struct netconf *c, const char *path, unsigned depth)
{
        _cleanup_(strv_freep) char **sources = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        if (depth > IFUPDOWN_MAX_DEPTH || strv_contains(c->files, path))
                return 0;
        r = read_text(fs, c, path, &text);
        if (r < 0)
                return r == -ENOMEM ? r : 0; /* ifupdown skips what it cannot read too */
        r = netconf_parse_ifupdown(c, path, text, &sources);
        if (r < 0)
                return r;
        STRV_FOREACH (s, sources) {
                _cleanup_(strv_freep) char **files = NULL;

                if (!strv_contains(c->sources, *s) && strv_push_dup(&c->sources, *s) < 0)
                        return -ENOMEM;
                r = expand_pattern(fs, *s, &files);
                STRV_FOREACH (f, r >= 0 ? files : NULL)
                        if ((r = read_ifupdown(fs, c, *f, depth + 1)) < 0)
                                break;
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The names ending in suffix of dirs, a name in an earlier dir hiding it in later ones, as path vectors
 * sorted by name. in_use is set when any but the last dir has one. */
static int files_by_name(const struct hostfs *fs, const char *const *dirs, size_t n_dirs, const char *suffix,
                         bool *in_use, char ***ret)
{
        _cleanup_(strv_freep) char **names = NULL, **paths = NULL;

        for (size_t i = 0; i < n_dirs; i++) {
                _cleanup_(strv_freep) char **list = NULL;

                if (hostfs_list_dir(fs, dirs[i], &list) == -ENOMEM)
                        return -ENOMEM;
                STRV_FOREACH (n, list) {
                        if (!endswith(*n, suffix) || strv_contains(names, *n))
                                continue;
                        if (strv_push_dup(&names, *n) < 0 ||
                            strv_push(&paths, strdup_printf("%s/%s", dirs[i], *n)) < 0)
                                return -ENOMEM;
                        if (in_use && i + 1 < n_dirs)
                                *in_use = true;
                }
        }
        /* sort by the file name, carrying the paths along */
        for (size_t i = 1; names && names[i]; i++)
                for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
                        char *t = names[k];
                        names[k] = names[k - 1], names[k - 1] = t;
                        t = paths[k];
                        paths[k] = paths[k - 1], paths[k - 1] = t;
                }
        *ret = TAKE_PTR(paths);
        return 0;
}

static int read_networkd(const struct hostfs *fs, struct netconf *c)
{
        static const char *const dirs[] = {PATH_NETWORKD_ETC_DIR, PATH_NETWORKD_RUN_DIR,
                                           PATH_NETWORKD_LIB_DIR};
        const char *const suffixes[] = {".netdev", ".network"};
        struct stat st;

        for (size_t s = 0; s < ELEMENTSOF(suffixes); s++) {
                _cleanup_(strv_freep) char **files = NULL;
                int r = files_by_name(fs, dirs, ELEMENTSOF(dirs), suffixes[s], &c->in_use[NETCONF_NETWORKD],
                                      &files);

                STRV_FOREACH (f, r >= 0 ? files : NULL) {
                        _cleanup_free_ char *text = NULL;

                        /* netplan's output is read from netplan's own files */
                        if (strstr(*f, "/10-netplan-"))
                                continue;
                        r = read_text(fs, c, *f, &text);
                        if (r >= 0)
                                r = netconf_parse_networkd(c, *f, text);
                        if (r == -ENOMEM)
                                return r;
                }
                if (r == -ENOMEM)
                        return r;
        }
        if (hostfs_stat(fs, PATH_NETWORKD_WANTED, &st) >= 0)
                c->in_use[NETCONF_NETWORKD] = true;
        return 0;
}

static int read_netplan(const struct hostfs *fs, struct netconf *c, char **ret_error)
{
        /* the other way round from networkd: /run hides /etc hides /lib */
        static const char *const dirs[] = {PATH_NETPLAN_RUN_DIR, PATH_NETPLAN_ETC_DIR, PATH_NETPLAN_LIB_DIR};
        _cleanup_(strv_freep) char **files = NULL;
        int r = files_by_name(fs, dirs, ELEMENTSOF(dirs), ".yaml", NULL, &files);

        if (r < 0)
                return r;
        STRV_FOREACH (f, files) {
                _cleanup_free_ char *text = NULL;

                c->in_use[NETCONF_NETPLAN] = true;
                r = read_text(fs, c, *f, &text);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0 && (r = netconf_parse_netplan(c, *f, text, ret_error)) < 0)
                        return r;
        }
        return 0;
}

static int read_nm(const struct hostfs *fs, struct netconf *c)
{
        static const char *const dirs[] = {PATH_NM_ETC_CONNECTIONS, PATH_NM_RUN_CONNECTIONS};
        _cleanup_(strv_freep) char **files = NULL;
        struct stat st;
        int r = files_by_name(fs, dirs, ELEMENTSOF(dirs), ".nmconnection", NULL, &files);

        if (r < 0)
                return r;
        STRV_FOREACH (f, files) {
                _cleanup_free_ char *text = NULL;

                c->in_use[NETCONF_NM] = true;
                r = read_text(fs, c, *f, &text);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0 && (r = netconf_parse_nm_keyfile(c, *f, text)) < 0)
                        return r;
        }
        if (hostfs_stat(fs, PATH_NM_WANTED, &st) >= 0)
                c->in_use[NETCONF_NM] = true;
        return 0;
}

int netconf_read(const struct hostfs *fs, struct netconf *ret, char **ret_error)
{
        struct netconf c = {0};
        int r;

        r = read_ifupdown(fs, &c, PATH_NETWORK_INTERFACES, 0);
        if (r >= 0)
                r = read_networkd(fs, &c);
        if (r >= 0)
                r = read_netplan(fs, &c, ret_error);
        if (r >= 0)
                r = read_nm(fs, &c);
        if (r >= 0)
                r = netconf_resolve_ports(&c);
        if (r < 0) {
                netconf_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

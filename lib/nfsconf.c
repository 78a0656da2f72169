/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostfs.h"
#include "lineiter.h"
#include "macro.h"
#include "nfsconf.h"
#include "pathnames.h"
#include "strv.h"
#include "util.h"

void nfs_conf_done(struct nfs_conf *c)
{
        for (size_t i = 0; i < c->n_entries; i++) {
                free(c->entries[i].section);
                free(c->entries[i].key);
                free(c->entries[i].value);
                free(c->entries[i].origin);
        }
        free(c->entries);
        *c = (struct nfs_conf){};
}

static int add(struct nfs_conf *c, const char *section, const char *key, const char *value, char *origin)
{
        struct nfs_conf_entry *p = realloc(c->entries, (c->n_entries + 1) * sizeof(*p));

        if (!p) {
                free(origin);
                return -ENOMEM;
        }
        c->entries = p;
        p[c->n_entries] = (struct nfs_conf_entry){strdup(section), strdup(key), strdup(value), origin};
        if (!p[c->n_entries].section || !p[c->n_entries].key || !p[c->n_entries].value) {
                c->n_entries++;
                return -ENOMEM;
        }
        c->n_entries++;
        return 0;
}

/* "[name]" or "[name "arg"]" into "name" or "name arg"; NULL when it is not a section line. */
static char *section_name(char *s)
{
        char *end = strchr(s, ']'), *q;

        if (*s != '[' || !end)
                return NULL;
        *end = 0;
        s = strip(s + 1);
        for (q = s; *q; q++)
                if (*q == '"')
                        memmove(q, q + 1, strlen(q));
        return strdup(s);
}

static char *unquote(char *v)
{
        size_t n = strlen(v);

        if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
                v[n - 1] = 0;
                v++;
        }
        return v;
}

int nfs_conf_parse(struct nfs_conf *c, const char *file, const char *text)
{
        _cleanup_free_ char *section = strdup("");
        int r;

        if (!section)
                return -ENOMEM;
        LINE_FOREACH(it, text)
        {
                _cleanup_free_ char *line = line_iter_dup(&it);
                char *s, *eq;

                if (!line)
                        return -ENOMEM;
                s = strip(line);
                if (*s == '#' || *s == ';' || !*s)
                        continue;
                if (*s == '[') {
                        char *n = section_name(s);

                        if (n) {
                                free(section);
                                section = n;
                        }
                        continue;
                }
                eq = strchr(s, '=');
                if (!eq)
                        continue;
                *eq = 0;
                s[strcspn(s, "#;")] = 0;
                eq[1 + strcspn(eq + 1, "#;")] = 0;
                r = add(c, section, strip(s), unquote(strip(eq + 1)),
                        strdup_printf("%s:%u", file, it.number));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_one(const struct hostfs *fs, struct nfs_conf *c, const char *path)
{
        _cleanup_free_ char *text = NULL;
        int r = hostfs_read_file(fs, path, &text, NULL);

        if (r == -ENOENT)
                return 0;
        return r < 0 ? r : nfs_conf_parse(c, path, text);
}

int nfs_conf_read(const struct hostfs *fs, struct nfs_conf *ret)
{
        _cleanup_(strv_freep) char **names = NULL;
        struct nfs_conf c = {};
        int r;

        r = read_one(fs, &c, PATH_NFS_CONF);
        if (r >= 0) {
                r = hostfs_list_dir(fs, PATH_NFS_CONF_DIR, &names);
                if (r == -ENOENT)
                        r = 0;
        }
        STRV_FOREACH (n, names) {
                _cleanup_free_ char *path = NULL;

                if (r < 0 || !endswith(*n, ".conf"))
                        continue;
                path = strdup_printf(PATH_NFS_CONF_DIR "/%s", *n);
                r = path ? read_one(fs, &c, path) : -ENOMEM;
        }
        if (r < 0) {
                nfs_conf_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

const struct nfs_conf_entry *nfs_conf_get(const struct nfs_conf *c, const char *section, const char *key)
{
        const struct nfs_conf_entry *found = NULL;

        for (size_t i = 0; i < c->n_entries; i++)
                if (strcasecmp(c->entries[i].section, section) == 0 &&
                    strcasecmp(c->entries[i].key, key) == 0)
                        found = &c->entries[i];
        return found;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "conf.h"

static void conf_entry_done(struct conf_entry *e)
{
        free(e->section);
        free(e->key);
        free(e->value);
        free(e->origin);
}

void conf_done(struct conf *c)
{
        for (size_t i = 0; i < c->n_entries; i++)
                conf_entry_done(&c->entries[i]);
        free(c->entries);
        free(c->name);
        free(c->file);
        *c = (struct conf){0};
}

const struct conf_entry *conf_find(const struct conf *c, const char *section, const char *key)
{
        for (size_t i = 0; i < c->n_entries; i++)
                if (streq(c->entries[i].section, section) && streq(c->entries[i].key, key))
                        return &c->entries[i];
        return NULL;
}

const char *conf_get(const struct conf *c, const char *section, const char *key)
{
        const struct conf_entry *e = conf_find(c, section, key);

        return e ? e->value : NULL;
}

int conf_set(struct conf *c, const char *section, const char *key, const char *value, const char *origin)
{
        struct conf_entry n = {
                .section = strdup(section),
                .key = strdup(key),
                .value = strdup(value),
                .origin = strdup(origin),
        };
        struct conf_entry *e = (struct conf_entry *)conf_find(c, section, key);

        if (!n.section || !n.key || !n.value || !n.origin) {
                conf_entry_done(&n);
                return -ENOMEM;
        }
        if (e) {
                conf_entry_done(e);
                *e = n;
                return 0;
        }
        e = realloc(c->entries, (c->n_entries + 1) * sizeof(*e));
        if (!e) {
                conf_entry_done(&n);
                return -ENOMEM;
        }
        c->entries = e;
        c->entries[c->n_entries++] = n;
        return 0;
}

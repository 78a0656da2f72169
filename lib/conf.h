/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A loaded profile as data: section/key/value with the place each value came from. The loader (src/)
 * validates keys; checks only read. */

#include <stddef.h>

#include "macro.h"

struct conf_entry {
        char *section;
        char *key;
        char *value;
        char *origin; /* "FILE:LINE", "--set" or "default" */
};

struct conf {
        char *name; /* profile name */
        char *file; /* the file it was loaded from */
        struct conf_entry *entries;
        size_t n_entries;
};

void conf_done(struct conf *c);

/* Sets section.key, replacing an earlier value (a later include or --set wins). */
int conf_set(struct conf *c, const char *section, const char *key, const char *value, const char *origin);
const struct conf_entry *conf_find(const struct conf *c, const char *section, const char *key);
/* The value, or NULL when unset. */
const char *conf_get(const struct conf *c, const char *section, const char *key);

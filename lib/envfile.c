/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "envfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lineiter.h"
#include "macro.h"
#include "textedit.h"
#include "util.h"

/* The value of l when it assigns var (in dup, which it cuts up), else NULL. */
static char *assignment_value(char *dup, const char *var)
{
        char *s = strip(dup), *eq = strchr(s, '='), *v;
        size_t n;

        if (*s == '#' || *s == ';' || !eq)
                return NULL;
        *eq = '\0';
        if (!streq(strip(s), var))
                return NULL;
        v = strip(eq + 1);
        n = strlen(v);
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
                v[n - 1] = '\0';
                v++;
        }
        return v;
}

int env_file_value(const char *text, const char *var, char **ret, unsigned *ret_line)
{
        _cleanup_free_ char *value = NULL;
        unsigned line = 0;

        LINE_FOREACH(l, text)
        {
                _cleanup_free_ char *dup = line_iter_dup(&l);
                const char *v;

                if (!dup)
                        return -ENOMEM;
                v = assignment_value(dup, var);
                if (!v)
                        continue;
                free(value);
                value = strdup(v);
                if (!value)
                        return -ENOMEM;
                line = l.number;
        }
        if (!value)
                return -ENOENT;
        *ret = TAKE_PTR(value);
        *ret_line = line;
        return 0;
}

int env_file_set(const char *text, const char *var, const char *line, const char *added, char **ret)
{
        _cleanup_free_ char *out = strdup(""), *next = NULL;
        bool found = false, changed = false;

        if (!out)
                return -ENOMEM;
        LINE_FOREACH(l, text)
        {
                _cleanup_free_ char *dup = line_iter_dup(&l);
                bool assigns;

                if (!dup)
                        return -ENOMEM;
                assigns = assignment_value(dup, var) != NULL;
                found = found || assigns;
                changed =
                        changed || (assigns && (l.len != strlen(line) || strncmp(l.line, line, l.len) != 0));
                next = strdup_printf("%s%.*s%s", out, assigns ? (int)strlen(line) : (int)l.len,
                                     assigns ? line : l.line, l.newline ? "\n" : "");
                if (!next)
                        return -ENOMEM;
                free(out);
                out = TAKE_PTR(next);
        }
        if (!found) {
                free(out);
                out = text_add_setting(text, var, added);
                changed = true;
        }
        if (!out)
                return -ENOMEM;
        *ret = changed ? TAKE_PTR(out) : NULL;
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lineiter.h"

#include <stdlib.h>
#include <string.h>

bool line_iter_next(struct line_iter *it)
{
        const char *s = it->next;

        if (!s || !*s) {
                it->next = NULL;
                return false;
        }
        it->line = s;
        it->len = strcspn(s, "\n");
        it->newline = s[it->len] == '\n';
        it->next = s + it->len + it->newline;
        it->number++;
        return true;
}

char *line_iter_dup(const struct line_iter *it)
{
        return strndup(it->line, it->len);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "textedit.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lineiter.h"
#include "util.h"

char *text_splice(const char *text, size_t start, size_t end, const char *s)
{
        size_t len = strlen(text);
        bool newline = start == len && len > 0 && text[len - 1] != '\n';

        if (start > len || end > len || start > end)
                return NULL;
        return strdup_printf("%.*s%s%s%s", (int)start, text, newline ? "\n" : "", s, text + end);
}

/* "  # name = 1": a '#', blanks, name, blanks, '='. */
static bool line_is_example(const char *line, size_t len, const char *name)
{
        const char *p = line, *e = line + len;
        size_t n = strlen(name);

        while (p < e && (*p == ' ' || *p == '\t'))
                p++;
        if (p >= e || *p++ != '#')
                return false;
        while (p < e && (*p == ' ' || *p == '\t'))
                p++;
        if ((size_t)(e - p) < n || strncmp(p, name, n) != 0)
                return false;
        for (p += n; p < e && (*p == ' ' || *p == '\t');)
                p++;
        return p < e && *p == '=';
}

size_t text_example_end(const char *text, const char *name)
{
        size_t at = strlen(text);

        LINE_FOREACH(l, text)
        if (line_is_example(l.line, l.len, name))
                at = (size_t)(l.line - text) + l.len + (l.newline ? 1 : 0);
        return at;
}

char *text_add_setting(const char *text, const char *name, const char *added)
{
        size_t at = text_example_end(text, name);

        return text_splice(text, at, at, added);
}

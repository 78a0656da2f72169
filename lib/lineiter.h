/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The lines of a NUL-terminated text, without copying it:
 *
 *     LINE_FOREACH (l, text)
 *             printf("%u: %.*s\n", l.number, (int)l.len, l.line);
 *
 * A final '\n' ends the last line (it does not start an empty one); a last line without one is still a
 * line. A NULL text has no lines.
 */

#include <stdbool.h>
#include <stddef.h>

struct line_iter {
        const char *line; /* the current line, not NUL-terminated */
        size_t len;       /* its length, without the '\n' */
        bool newline;     /* it ends with a '\n' (false only for a last line without one) */
        unsigned number;  /* 1 for the first line, as editors and error messages count */
        const char *next; /* where the next line starts; NULL when done */
};

static inline struct line_iter line_iter_init(const char *text)
{
        return (struct line_iter){.next = text};
}

/* Steps to the next line: false when there is none. */
bool line_iter_next(struct line_iter *it);
/* The current line as a new string; NULL on -ENOMEM. */
char *line_iter_dup(const struct line_iter *it);

#define LINE_FOREACH(it, text) for (struct line_iter it = line_iter_init(text); line_iter_next(&it);)

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The texts hostprep writes (config drop-ins, the lines it inserts, the canary's domain XML, scripts run on
 * peers) live as files in templates/, installed to DATADIR/hostprep/templates. A template is plain text
 * with two kinds of markers:
 *
 *   @KEY@            a capital letter, then capitals, digits or _: replaced by the caller's value for KEY.
 *                    An @ followed by anything else ("$@", "root@host") is text.
 *   @include NAME@   alone on a line: the template NAME, rendered with the same values (the common
 *                    header every written file starts with is one).
 *
 * Rendering fails, naming the template's file and line, on a key the caller has no value for and on an
 * unterminated @KEY; and naming the file on a value the template never uses (the code and the template
 * no longer agree). Nothing half-substituted is ever returned. Values are inserted as they are: checking or
 * escaping them for the file's syntax is the caller's job.
 */

#include <stddef.h>

#include "macro.h"

struct template_value {
        const char *key;   /* KEY, without the @s */
        const char *value; /* NULL: the caller has none, an error if the template uses KEY */
};

struct template
{
        char *path; /* the file it was read from, for errors */
        char *text;
        struct template **includes; /* one per @include line, in order */
        size_t n_includes;
};

/* Where hostprep's own templates are: the installed data directory, or for a hostprep run from its build
 * tree the source tree's templates/ (datadir.h). NULL-terminated, constant. */
const char *const *template_default_dirs(void);

/* Reads template name (a plain file name) from the first of dirs that has it, and its includes. On
 * failure *ret_error (when not -ENOMEM) says why, naming the file (and line). */
int template_load(const char *const *dirs, const char *name, struct template **ret, char **ret_error);
struct template *template_free(struct template *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct template *, template_free);

/* The text with every @KEY@ replaced; -EINVAL with *ret_error "FILE:LINE: why" on a bad template. */
int template_render(const struct template *t, const struct template_value *values, size_t n_values,
                    char **ret, char **ret_error);

/* template_load() and template_render() in one. */
int template_render_file(const char *const *dirs, const char *name, const struct template_value *values,
                         size_t n_values, char **ret, char **ret_error);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* NULL-terminated vectors of owned strings. A NULL vector is a valid empty one. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

size_t strv_length(char *const *v);
char **strv_free(char **v);
static inline void strv_freep(char ***v)
{
        strv_free(*v);
}
/* Appends s, taking ownership of it (freed on failure too). */
int strv_push(char ***v, char *s);
int strv_push_dup(char ***v, const char *s);
bool strv_contains(char *const *v, const char *s);
/* Splits on any of the characters in seps, dropping empty fields. */
int strv_split(const char *s, const char *seps, char ***ret);
/* Joins with sep; "" for an empty vector. */
char *strv_join(char *const *v, const char *sep);

#define STRV_FOREACH(s, v) for (char *const *s = (v); s && *s; s++)

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The few json-c helpers everyone building or reading JSON here needs: adding that reports a failed
 * allocation as -ENOMEM (json-c's own calls return -1 and leave the value to the caller), and typed
 * lookups that answer NULL or a default for a missing key or a value of another type, so a peer's or a
 * journal's odd JSON is never dereferenced blindly.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

/* Adds v (taking it, freed on failure too) as key of o; a NULL v is a JSON null on purpose. */
int json_add(json_object *o, const char *key, json_object *v);
/* The same for a freshly made v: NULL is the failed allocation, -ENOMEM. */
int json_add_new(json_object *o, const char *key, json_object *v);
/* s as a string, or a JSON null when s is NULL. */
int json_add_string(json_object *o, const char *key, const char *s);
/* s as a string; nothing added when s is NULL (for records whose absent keys mean "none"). */
int json_add_string_opt(json_object *o, const char *key, const char *s);
int json_add_int(json_object *o, const char *key, int64_t value);
int json_add_bool(json_object *o, const char *key, bool value);
/* Appends s to the array a. */
int json_append_string(json_object *a, const char *s);
/* The vector as a new array of strings (NULL: an empty array). */
int json_strv_to_array(char *const *v, json_object **ret);

/* o's member key; NULL when o is NULL or has no such key. */
json_object *json_get(json_object *o, const char *key);
/* The string member key; NULL when absent or not a string. */
const char *json_get_string(json_object *o, const char *key);
/* The integer member key; def when absent or not an integer. */
int64_t json_get_int(json_object *o, const char *key, int64_t def);
/* The member key as json-c reads a boolean; false when absent. */
bool json_get_bool(json_object *o, const char *key);

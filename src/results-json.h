/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>

#include "unit.h"

/* [{"id", "status", "reason", "message", "hint", "evidence"}, ...]; reason, hint and evidence are null when
 * absent. */
json_object *results_to_json(const struct result_list *l);
/* The inverse; rejects unknown statuses and missing fields, naming the element in *ret_error. */
int results_from_json(json_object *arr, struct result_list *l, char **ret_error);
/* A JSON string, or NULL (JSON null) for NULL. */
json_object *json_string_or_null(const char *s);

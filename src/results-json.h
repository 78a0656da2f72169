/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>

#include "unit.h"

/* [{"id", "status", "message", "hint", "evidence"}, ...]; hint and evidence are null when absent. */
json_object *results_to_json(const struct result_list *l);
/* The inverse; rejects unknown statuses and missing fields, naming the element in *ret_error. */
int results_from_json(json_object *arr, struct result_list *l, char **ret_error);

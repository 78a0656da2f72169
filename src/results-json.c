/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "results-json.h"

#include "json-util.h"

json_object *json_string_or_null(const char *s)
{
        return s ? json_object_new_string(s) : NULL;
}

json_object *results_to_json(const struct result_list *l)
{
        json_object *arr = json_object_new_array();

        for (size_t i = 0; i < l->n; i++) {
                const struct result *r = &l->items[i];
                json_object *o = json_object_new_object();

                json_object_object_add(o, "id", json_object_new_string(r->id));
                json_object_object_add(o, "status", json_object_new_string(status_to_json(r->status)));
                json_object_object_add(o, "reason", json_string_or_null(r->reason));
                json_object_object_add(o, "message", json_object_new_string(strempty(r->message)));
                json_object_object_add(o, "hint", json_string_or_null(r->hint));
                json_object_object_add(o, "evidence", json_string_or_null(r->evidence));
                json_object_array_add(arr, o);
        }
        return arr;
}

int results_from_json(json_object *arr, struct result_list *l, char **ret_error)
{
        if (!json_object_is_type(arr, json_type_array)) {
                if (ret_error)
                        *ret_error = strdup("results: not an array");
                return -EBADMSG;
        }
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                json_object *o = json_object_array_get_idx(arr, i);
                const char *id = json_get_string(o, "id"), *msg = json_get_string(o, "message");
                enum status st = status_from_json(json_get_string(o, "status"));
                int r;

                if (!id || !msg || st < 0) {
                        if (ret_error)
                                *ret_error = strdup_printf("results[%zu]: needs id, status and message", i);
                        return -EBADMSG;
                }
                struct result res = {
                        .id = (char *)id,
                        .status = st,
                        .reason = (char *)json_get_string(o, "reason"),
                        .message = (char *)msg,
                        .hint = (char *)json_get_string(o, "hint"),
                        .evidence = (char *)json_get_string(o, "evidence"),
                };
                r = result_list_add_copy(l, &res);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostprep list: the units, the roles they apply to and the ids of their results, and the comparisons. */
#include <json-c/json.h>

#include "cross.h"
#include "verbs.h"

int verb_list(char **args)
{
        json_object *arr;

        if (arg_format == FORMAT_JSON) {
                arr = json_object_new_array();
                for (size_t i = 0; i < unit_registry_size; i++) {
                        const struct unit *u = unit_registry[i];
                        json_object *o = json_object_new_object(), *ids = json_object_new_array(),
                                    *roles = json_object_new_array();

                        for (int k = 0; k < _ROLE_MAX; k++)
                                if (u->roles & ROLE_BIT(k))
                                        json_object_array_add(
                                                roles, json_object_new_string(role_to_string((enum role)k)));
                        for (const char *const *id = u->result_ids; id && *id; id++)
                                json_object_array_add(ids, json_object_new_string(*id));
                        json_object_object_add(o, "id", json_object_new_string(u->id));
                        json_object_object_add(o, "title", json_object_new_string(u->title));
                        json_object_object_add(o, "roles", roles);
                        json_object_object_add(o, "checks", ids);
                        json_object_object_add(o, "fix", json_object_new_boolean(u->fix != NULL));
                        json_object_array_add(arr, o);
                }
                for (size_t i = 0; i < cross_registry_size; i++) {
                        json_object *o = json_object_new_object();

                        json_object_object_add(o, "id", json_object_new_string(cross_registry[i]->id));
                        json_object_object_add(o, "title", json_object_new_string(cross_registry[i]->title));
                        json_object_object_add(o, "across_hosts", json_object_new_boolean(true));
                        json_object_array_add(arr, o);
                }
                printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
                                                                           JSON_C_TO_STRING_SPACED |
                                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(arr);
                return 0;
        }

        for (size_t i = 0; i < unit_registry_size; i++) {
                const struct unit *u = unit_registry[i];
                _cleanup_free_ char *roles = roles_to_string(u->roles);

                printf("%-16s %s (roles: %s%s)\n", u->id, u->title, strna(roles),
                       u->fix ? "; apply fixes" : "");
                if (arg_quiet)
                        continue;
                for (const char *const *id = u->result_ids; id && *id; id++)
                        printf("  %s\n", *id);
        }
        /* the comparisons run with --peer or --all-hosts */
        for (size_t i = 0; i < cross_registry_size; i++)
                printf("%-16s %s (across hosts)\n", cross_registry[i]->id, cross_registry[i]->title);
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "json-util.h"

#include <errno.h>

#include "strv.h"

int json_add(json_object *o, const char *key, json_object *v)
{
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int json_add_new(json_object *o, const char *key, json_object *v)
{
        return v ? json_add(o, key, v) : -ENOMEM;
}

int json_add_string(json_object *o, const char *key, const char *s)
{
        return s ? json_add_new(o, key, json_object_new_string(s)) : json_add(o, key, NULL);
}

int json_add_string_opt(json_object *o, const char *key, const char *s)
{
        return s ? json_add_new(o, key, json_object_new_string(s)) : 0;
}

int json_add_int(json_object *o, const char *key, int64_t value)
{
        return json_add_new(o, key, json_object_new_int64(value));
}

int json_add_bool(json_object *o, const char *key, bool value)
{
        return json_add_new(o, key, json_object_new_boolean(value));
}

int json_append_string(json_object *a, const char *s)
{
        json_object *v = json_object_new_string(s);

        if (!v || json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int json_strv_to_array(char *const *v, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        STRV_FOREACH (s, v)
                if (json_append_string(a, *s) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(a);
        return 0;
}

json_object *json_get(json_object *o, const char *key)
{
        json_object *v = NULL;

        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *json_get_string(json_object *o, const char *key)
{
        json_object *v = json_get(o, key);

        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int64_t json_get_int(json_object *o, const char *key, int64_t def)
{
        json_object *v = json_get(o, key);

        return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : def;
}

bool json_get_bool(json_object *o, const char *key)
{
        json_object *v = json_get(o, key);

        return v && json_object_get_boolean(v);
}

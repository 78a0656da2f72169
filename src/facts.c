/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `hostprep facts`: what other hosts compare. Read through the root like every check. */
#include "facts.h"

#include <json-c/json.h>
#include <sys/utsname.h>

#include "config.h"
#include "strv.h"
#include "unit.h"
#include "util.h"

static json_object *strv_to_json(char *const *v)
{
        json_object *a = json_object_new_array();

        STRV_FOREACH (s, v)
                json_object_array_add(a, json_object_new_string(*s));
        return a;
}

/* One value of os-release(5), unquoted; NULL when absent. */
static char *os_release_value(const char *text, const char *key)
{
        size_t klen = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                size_t n = strcspn(p, "\n");

                if (n > klen && strneq(p, key, klen) && p[klen] == '=') {
                        const char *v = p + klen + 1;
                        size_t vlen = n - klen - 1;

                        if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
                                v++;
                                vlen -= 2;
                        }
                        return strndup(v, vlen);
                }
        }
        return NULL;
}

static json_object *string_or_null(const char *s)
{
        return s ? json_object_new_string(s) : NULL;
}

int facts_print(FILE *f, const struct hostfs *fs, const struct identity *id, unsigned roles, bool json)
{
        _cleanup_free_ char *osr = NULL, *machine_id = NULL, *pretty = NULL, *os_id = NULL,
                            *version_id = NULL, *kernel = NULL, *role_text = roles_to_string(roles);
        json_object *o, *jroles;
        struct utsname u;

        if (hostfs_read_file(fs, "/etc/os-release", &osr, NULL) < 0)
                (void)hostfs_read_file(fs, "/usr/lib/os-release", &osr, NULL);
        if (osr) {
                pretty = os_release_value(osr, "PRETTY_NAME");
                os_id = os_release_value(osr, "ID");
                version_id = os_release_value(osr, "VERSION_ID");
        }
        if (hostfs_read_file(fs, "/etc/machine-id", &machine_id, NULL) >= 0)
                strip(machine_id);
        /* The running kernel says nothing about an image under --root. */
        if (hostfs_is_live(fs) && uname(&u) == 0)
                kernel = strdup(u.release);

        if (!json) {
                _cleanup_free_ char *names = strv_join(id->names, " "),
                                    *addrs = strv_join(id->addresses, " ");

                fprintf(f, "hostname:   %s\nnames:      %s\naddresses:  %s\nroles:      %s\n", id->hostname,
                        strempty(names), strempty(addrs), strna(role_text));
                fprintf(f, "os:         %s\nkernel:     %s\nmachine-id: %s\n", strna(pretty), strna(kernel),
                        strna(machine_id && *machine_id ? machine_id : NULL));
                return ferror(f) ? -EIO : 0;
        }

        o = json_object_new_object();
        jroles = json_object_new_array();
        for (int i = 0; i < _ROLE_MAX; i++)
                if (roles & ROLE_BIT(i))
                        json_object_array_add(jroles, json_object_new_string(role_to_string((enum role)i)));
        json_object_object_add(o, "schema", json_object_new_int(FACTS_JSON_SCHEMA));
        json_object_object_add(o, "hostprep", json_object_new_string(HOSTPREP_VERSION));
        json_object_object_add(o, "hostname", json_object_new_string(id->hostname));
        json_object_object_add(o, "names", strv_to_json(id->names));
        json_object_object_add(o, "addresses", strv_to_json(id->addresses));
        json_object_object_add(o, "roles", jroles);
        json_object_object_add(o, "os_id", string_or_null(os_id));
        json_object_object_add(o, "os_version_id", string_or_null(version_id));
        json_object_object_add(o, "os_pretty_name", string_or_null(pretty));
        json_object_object_add(o, "kernel", string_or_null(kernel));
        json_object_object_add(o, "machine_id",
                               string_or_null(machine_id && *machine_id ? machine_id : NULL));
        fprintf(f, "%s\n",
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return ferror(f) ? -EIO : 0;
}

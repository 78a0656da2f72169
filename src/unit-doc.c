/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit-doc.h"

#include <json-c/json.h>

#include "cross.h"
#include "results-json.h"
#include "runner.h"
#include "unit.h"

/* Several entries share an id (one per reason): an id is listed where it first appears. */
static bool first_of_id(const struct result_def *defs, size_t i)
{
        for (size_t j = 0; j < i; j++)
                if (streq(defs[j].id, defs[i].id))
                        return false;
        return true;
}

int units_list_human(FILE *f, bool quiet)
{
        for (size_t i = 0; i < unit_registry_size; i++) {
                const struct unit *u = unit_registry[i];
                _cleanup_free_ char *roles = roles_to_string(u->roles);

                if (!roles)
                        return -ENOMEM;
                fprintf(f, "%-16s %s (roles: %s%s)\n", u->id, u->title, roles,
                        u->fix ? "; apply fixes" : "");
                for (size_t k = 0; !quiet && k < u->n_results; k++)
                        if (first_of_id(u->results, k))
                                fprintf(f, "  %s\n", u->results[k].id);
        }
        /* the comparisons run with --peer or --all-hosts */
        for (size_t i = 0; i < cross_registry_size; i++)
                fprintf(f, "%-16s %s (across hosts)\n", cross_registry[i]->id, cross_registry[i]->title);
        return 0;
}

static json_object *results_json(const struct result_def *defs, size_t n)
{
        json_object *arr = json_object_new_array();

        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();

                json_object_object_add(o, "id", json_object_new_string(defs[i].id));
                json_object_object_add(o, "status", json_object_new_string(status_to_json(defs[i].status)));
                json_object_object_add(o, "reason", json_string_or_null(defs[i].reason));
                json_object_object_add(o, "hint", json_string_or_null(defs[i].hint));
                json_object_array_add(arr, o);
        }
        return arr;
}

static json_object *unit_json(const struct unit *u)
{
        json_object *o = json_object_new_object(), *ids = json_object_new_array(),
                    *roles = json_object_new_array();

        for (int k = 0; k < _ROLE_MAX; k++)
                if (u->roles & ROLE_BIT(k))
                        json_object_array_add(roles, json_object_new_string(role_to_string((enum role)k)));
        for (size_t k = 0; k < u->n_results; k++)
                if (first_of_id(u->results, k))
                        json_object_array_add(ids, json_object_new_string(u->results[k].id));
        json_object_object_add(o, "id", json_object_new_string(u->id));
        json_object_object_add(o, "title", json_object_new_string(u->title));
        json_object_object_add(o, "roles", roles);
        json_object_object_add(o, "checks", ids);
        json_object_object_add(o, "fix", json_object_new_boolean(u->fix != NULL));
        json_object_object_add(o, "results", results_json(u->results, u->n_results));
        return o;
}

int units_list_json(FILE *f)
{
        json_object *arr = json_object_new_array();

        for (size_t i = 0; i < unit_registry_size; i++)
                json_object_array_add(arr, unit_json(unit_registry[i]));
        for (size_t i = 0; i < cross_registry_size; i++) {
                const struct cross_check *c = cross_registry[i];
                json_object *o = json_object_new_object();

                json_object_object_add(o, "id", json_object_new_string(c->id));
                json_object_object_add(o, "title", json_object_new_string(c->title));
                json_object_object_add(o, "across_hosts", json_object_new_boolean(true));
                json_object_object_add(o, "results", results_json(c->results, c->n_results));
                json_object_array_add(arr, o);
        }
        fprintf(f, "%s\n",
                json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(arr);
        return 0;
}

/* --- hostprep-units(7) ---------------------------------------------------------------------------- */

/* Text in scdoc, its markup characters escaped; a hint's @KEY@ is shown as an underlined KEY. */
static void man_text(FILE *f, const char *s)
{
        for (const char *p = s; *p; p++) {
                size_t len = hint_placeholder(p);

                if (len > 0) {
                        fprintf(f, "_%.*s_", (int)len, p + 1);
                        p += len + 1;
                } else {
                        if (strchr("*_\\", *p))
                                fputc('\\', f);
                        fputc(*p, f);
                }
        }
}

/* "- FAIL *reason*: hint" */
static void man_entry(FILE *f, const char *indent, const struct result_def *def)
{
        fprintf(f, "%s- %s *", indent, status_to_string(def->status));
        man_text(f, strna(def->reason));
        fputc('*', f);
        if (def->hint) {
                fputs(": ", f);
                man_text(f, def->hint);
        }
        fputc('\n', f);
}

/* Every entry, grouped under its id. */
static void man_results(FILE *f, const struct result_def *defs, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (!first_of_id(defs, i))
                        continue;
                fputc('*', f);
                man_text(f, defs[i].id);
                fputs("*\n", f);
                for (size_t k = i; k < n; k++)
                        if (streq(defs[k].id, defs[i].id))
                                man_entry(f, "\t", &defs[k]);
                fputc('\n', f);
        }
}

/* "## id" and the title as a sentence. Titles are clauses ("libvirtd listens on ..."): capitalizing their
 * first word would misspell names, so the sentence starts with a verb of its own. */
static void man_heading(FILE *f, const char *id, const char *title)
{
        fputs("## ", f);
        man_text(f, id);
        fputs("\n\nChecks that ", f);
        man_text(f, title);
        fputs(".", f);
}

static int man_units(FILE *f)
{
        for (size_t i = 0; i < unit_registry_size; i++) {
                const struct unit *u = unit_registry[i];
                _cleanup_free_ char *roles = roles_to_string(u->roles);

                if (!roles)
                        return -ENOMEM;
                man_heading(f, u->id, u->title);
                fprintf(f, " Roles: %s.%s\n\n", roles, u->fix ? " *hostprep apply* fixes what it can." : "");
                man_results(f, u->results, u->n_results);
        }
        return 0;
}

static const char man_intro[] =
        "hostprep-units(7)\n\n# NAME\n\nhostprep-units - the units hostprep checks and every result they give\n\n# DESCRIPTION\n\nA unit is one concern *hostprep check* looks at on a host; some units also have a fix that\n*hostprep apply* runs. Every result a unit may give is declared in the unit's result table, and this\npage is generated from those tables. A result has an id (below the unit's id), a status, a\n*reason* and, when something is wrong, a hint for fixing it by hand. The reason is a stable\nsnake\\_case code (the *reason* member of the JSON report): scripts decide on the id and the reason,\nnever on the message, which is for people and may change. One id has several reasons, one for each\nfinding. Underlined words in a hint are filled in from the profile and from what the check saw.\n\n# UNITS\n\n";

static const char man_outro[] = "# SEE ALSO\n\n*hostprep*(8), *hostprep.profile*(5)\n";

int units_man_page(FILE *f)
{
        int r;

        fputs(man_intro, f);
        r = man_units(f);
        if (r < 0)
                return r;
        fputs("# COMPARISONS ACROSS HOSTS\n\nThese run when more than one host reports (*--peer*, *--all-hosts*), on the facts every host gives.\n\n",
              f);
        for (size_t i = 0; i < cross_registry_size; i++) {
                man_heading(f, cross_registry[i]->id, cross_registry[i]->title);
                fputs("\n\n", f);
                man_results(f, cross_registry[i]->results, cross_registry[i]->n_results);
        }
        fputs("# RESULTS OF THE RUNNER\n\nAny unit may also give these; their id is the unit's own.\n\n", f);
        for (size_t i = 0; i < runner_results_size; i++)
                man_entry(f, "", &runner_results[i]);
        fputs("\n", f);
        fputs(man_outro, f);
        return ferror(f) ? -EIO : 0;
}

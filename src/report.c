/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Results are kept as data until the end and rendered here: human, JSON, JUnit. */
#include "report.h"

#include <libxml/tree.h>

#include "config.h"
#include "results-json.h"

void report_count(const struct result_list *l, unsigned counts[_STATUS_MAX])
{
        memset(counts, 0, sizeof(unsigned) * _STATUS_MAX);
        for (size_t i = 0; i < l->n; i++)
                counts[l->items[i].status]++;
}

int report_exit_code(const struct result_list *l)
{
        unsigned c[_STATUS_MAX];

        report_count(l, c);
        if (c[STATUS_FAIL])
                return EXIT_NOT_READY;
        if (c[STATUS_ERROR])
                return EXIT_UNDECIDED;
        return EXIT_READY;
}

static const char *const status_colors[] = {
        [STATUS_PASS] = "\033[32m", [STATUS_WARN] = "\033[33m",    [STATUS_FAIL] = "\033[1;31m",
        [STATUS_SKIP] = "\033[90m", [STATUS_ERROR] = "\033[1;35m", [STATUS_FIXED] = "\033[36m",
};
_Static_assert(ELEMENTSOF(status_colors) == _STATUS_MAX, "status_colors out of step with enum status");

static bool shown_when_quiet(enum status s)
{
        return s == STATUS_WARN || s == STATUS_FAIL || s == STATUS_ERROR || s == STATUS_FIXED;
}

int report_human(FILE *f, const struct report *rep, bool color, bool quiet)
{
        _cleanup_free_ char *roles = roles_to_string(rep->roles);
        const struct result_list *l = rep->results;
        unsigned c[_STATUS_MAX];
        int width = 0;

        for (size_t i = 0; i < l->n; i++)
                if (!quiet || shown_when_quiet(l->items[i].status))
                        width = width > (int)strlen(l->items[i].id) ? width : (int)strlen(l->items[i].id);

        if (!quiet)
                fprintf(f, "host %s (%s), profile %s\n", rep->hostname, strna(roles), rep->profile_name);

        for (size_t i = 0; i < l->n; i++) {
                const struct result *r = &l->items[i];

                if (quiet && !shown_when_quiet(r->status))
                        continue;
                fprintf(f, "%s%-5s%s  %-*s  %s\n", color ? status_colors[r->status] : "",
                        status_to_string(r->status), color ? "\033[0m" : "", width, r->id, r->message);
                if (r->status == STATUS_PASS || r->status == STATUS_SKIP)
                        continue;
                if (r->evidence)
                        fprintf(f, "%*s  %*s  seen: %s\n", 5, "", width, "", r->evidence);
                if (r->hint)
                        fprintf(f, "%*s  %*s  hint: %s\n", 5, "", width, "", r->hint);
        }

        report_count(l, c);
        fprintf(f, "%u passed, %u warning%s, %u failed, %u error%s, %u skipped", c[STATUS_PASS],
                c[STATUS_WARN], c[STATUS_WARN] == 1 ? "" : "s", c[STATUS_FAIL], c[STATUS_ERROR],
                c[STATUS_ERROR] == 1 ? "" : "s", c[STATUS_SKIP]);
        if (c[STATUS_FIXED])
                fprintf(f, ", %u fixed", c[STATUS_FIXED]);
        fputc('\n', f);
        return ferror(f) ? -EIO : 0;
}

int report_json(FILE *f, const struct report *rep)
{
        json_object *o = json_object_new_object(), *host = json_object_new_object(),
                    *roles = json_object_new_array(), *profile = json_object_new_object(),
                    *summary = json_object_new_object();
        unsigned c[_STATUS_MAX];

        for (int i = 0; i < _ROLE_MAX; i++)
                if (rep->roles & ROLE_BIT(i))
                        json_object_array_add(roles, json_object_new_string(role_to_string((enum role)i)));
        json_object_object_add(host, "name", json_object_new_string(rep->hostname));
        json_object_object_add(host, "roles", roles);
        json_object_object_add(profile, "name", json_object_new_string(rep->profile_name));
        json_object_object_add(profile, "file", json_object_new_string(strempty(rep->profile_file)));

        report_count(rep->results, c);
        for (int i = 0; i < _STATUS_MAX; i++)
                json_object_object_add(summary, status_to_json((enum status)i),
                                       json_object_new_int((int)c[i]));
        json_object_object_add(summary, "exit_code", json_object_new_int(report_exit_code(rep->results)));
        json_object_object_add(summary, "duration_ms",
                               json_object_new_int64((int64_t)(rep->duration / USEC_PER_MSEC)));

        json_object_object_add(o, "schema", json_object_new_int(REPORT_JSON_SCHEMA));
        json_object_object_add(o, "hostprep", json_object_new_string(HOSTPREP_VERSION));
        json_object_object_add(o, "host", host);
        json_object_object_add(o, "profile", profile);
        json_object_object_add(o, "root", json_object_new_string(rep->root));
        json_object_object_add(o, "results", results_to_json(rep->results));
        json_object_object_add(o, "summary", summary);

        fprintf(f, "%s\n",
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return ferror(f) ? -EIO : 0;
}

static void set_uint_prop(xmlNodePtr n, const char *name, unsigned v)
{
        char buf[32];

        snprintf(buf, sizeof(buf), "%u", v);
        xmlNewProp(n, BAD_CAST name, BAD_CAST buf);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)

int report_junit(FILE *f, const struct report *rep)
{
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
        const struct result_list *l = rep->results;
        xmlNodePtr suites, suite;
        _cleanup_free_ char *suite_name = NULL, *time = NULL;
        xmlChar *mem = NULL;
        unsigned c[_STATUS_MAX];
        int len = 0;

        if (!doc)
                return -ENOMEM;
        report_count(l, c);
        suite_name = strdup_printf("hostprep.%s", rep->hostname);
        time = strdup_printf("%.3f", (double)rep->duration / USEC_PER_SEC);
        if (!suite_name || !time)
                return -ENOMEM;

        suites = xmlNewNode(NULL, BAD_CAST "testsuites");
        xmlDocSetRootElement(doc, suites);
        xmlNewProp(suites, BAD_CAST "name", BAD_CAST "hostprep");
        suite = xmlNewChild(suites, NULL, BAD_CAST "testsuite", NULL);
        xmlNewProp(suite, BAD_CAST "name", BAD_CAST suite_name);
        xmlNewProp(suite, BAD_CAST "hostname", BAD_CAST rep->hostname);
        set_uint_prop(suite, "tests", (unsigned)l->n);
        set_uint_prop(suite, "failures", c[STATUS_FAIL]);
        set_uint_prop(suite, "errors", c[STATUS_ERROR]);
        set_uint_prop(suite, "skipped", c[STATUS_SKIP]);
        xmlNewProp(suite, BAD_CAST "time", BAD_CAST time);

        for (size_t i = 0; i < l->n; i++) {
                const struct result *r = &l->items[i];
                _cleanup_free_ char *classname = strdup_printf("%s.%s", rep->hostname, r->id), *text = NULL;
                const char *child = NULL;
                xmlNodePtr tc, n;

                tc = xmlNewChild(suite, NULL, BAD_CAST "testcase", NULL);
                xmlNewProp(tc, BAD_CAST "classname", BAD_CAST strempty(classname));
                xmlNewProp(tc, BAD_CAST "name", BAD_CAST r->id);
                switch (r->status) {
                case STATUS_FAIL:
                        child = "failure";
                        break;
                case STATUS_ERROR:
                        child = "error";
                        break;
                case STATUS_SKIP:
                        child = "skipped";
                        break;
                default:
                        break;
                }
                text = strdup_printf("%s: %s%s%s%s%s", status_to_string(r->status), strempty(r->message),
                                     r->evidence ? "\nseen: " : "", strempty(r->evidence),
                                     r->hint ? "\nhint: " : "", strempty(r->hint));
                if (!text)
                        return -ENOMEM;
                if (child) {
                        n = xmlNewChild(tc, NULL, BAD_CAST child, NULL);
                        xmlNewProp(n, BAD_CAST "message", BAD_CAST strempty(r->message));
                        xmlAddChild(n, xmlNewText(BAD_CAST text));
                } else
                        xmlNewTextChild(tc, NULL, BAD_CAST "system-out", BAD_CAST text);
        }

        xmlDocDumpFormatMemoryEnc(doc, &mem, &len, "UTF-8", 1);
        if (!mem)
                return -ENOMEM;
        fwrite(mem, 1, (size_t)len, f);
        xmlFree(mem);
        return ferror(f) ? -EIO : 0;
}

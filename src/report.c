/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Results are kept as data until the end and rendered here: human, JSON, JUnit. */
#include "report.h"

#include <libxml/tree.h>

#include "config.h"
#include "results-json.h"
#include "roles.h"
#include "strv.h"

void report_count(const struct result_list *l, unsigned counts[_STATUS_MAX])
{
        memset(counts, 0, sizeof(unsigned) * _STATUS_MAX);
        for (size_t i = 0; l && i < l->n; i++)
                counts[l->items[i].status]++;
}

static void report_count_all(const struct report *r, unsigned counts[_STATUS_MAX])
{
        unsigned c[_STATUS_MAX];

        report_count(r->comparisons, counts);
        for (size_t h = 0; h < r->n_hosts; h++) {
                report_count(r->hosts[h].results, c);
                for (int i = 0; i < _STATUS_MAX; i++)
                        counts[i] += c[i];
        }
}

static int exit_code_from_counts(const unsigned c[_STATUS_MAX])
{
        if (c[STATUS_FAIL])
                return EXIT_NOT_READY;
        if (c[STATUS_ERROR])
                return EXIT_UNDECIDED;
        return EXIT_READY;
}

int results_exit_code(const struct result_list *l)
{
        unsigned c[_STATUS_MAX];

        report_count(l, c);
        return exit_code_from_counts(c);
}

int report_exit_code(const struct report *r)
{
        unsigned c[_STATUS_MAX];

        if (r->exit_code > 0)
                return r->exit_code;
        report_count_all(r, c);
        return exit_code_from_counts(c);
}

/* What the exit code says, for the closing line of the human report. */
static const char *exit_code_meaning(int code)
{
        switch (code) {
        case EXIT_READY:
                return "ready, nothing failed";
        case EXIT_NOT_READY:
                return "not ready, something failed";
        case EXIT_USAGE:
                return "usage or configuration error";
        default:
                return "undecided, a check could not decide";
        }
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

static int id_width(const struct result_list *l, bool quiet, int width)
{
        for (size_t i = 0; l && i < l->n; i++)
                if (!quiet || shown_when_quiet(l->items[i].status))
                        width = width > (int)strlen(l->items[i].id) ? width : (int)strlen(l->items[i].id);
        return width;
}

static void human_result(FILE *f, const struct result *r, int width, bool color)
{
        fprintf(f, "%s%-5s%s  %-*s  %s\n", color ? status_colors[r->status] : "",
                status_to_string(r->status), color ? "\033[0m" : "", width, r->id, r->message);
        if (r->status == STATUS_PASS || r->status == STATUS_SKIP)
                return;
        if (r->evidence)
                fprintf(f, "%*s  %*s  seen: %s\n", 5, "", width, "", r->evidence);
        if (r->hint)
                fprintf(f, "%*s  %*s  hint: %s\n", 5, "", width, "", r->hint);
}

static void human_results(FILE *f, const struct result_list *l, int width, bool color, bool quiet)
{
        for (size_t i = 0; i < l->n; i++)
                if (!quiet || shown_when_quiet(l->items[i].status))
                        human_result(f, &l->items[i], width, color);
}

/* The unit a result belongs to: its id or an id below it; NULL for results of no unit (peer.*). */
static const struct unit *result_unit(const struct result *r)
{
        for (size_t i = 0; i < unit_registry_size; i++) {
                const char *id = unit_registry[i]->id;
                size_t n = strlen(id);

                if (strneq(r->id, id, n) && (r->id[n] == '.' || r->id[n] == '\0'))
                        return unit_registry[i];
        }
        return NULL;
}

/* The runner's one SKIP for a unit that is not for this host's roles. */
static bool result_not_applicable(const struct result *r)
{
        return r->status == STATUS_SKIP && streq_ptr(r->reason, "not_applicable");
}

/* Whether l holds results of more than one unit: then they are shown under a heading per unit. */
static bool results_span_units(const struct result_list *l)
{
        for (size_t i = 1; l && i < l->n; i++)
                if (result_unit(&l->items[i]) != result_unit(&l->items[0]))
                        return true;
        return false;
}

/* "not for this host's role: nfs.export, nfs.storage": the units the runner skipped, on one line. */
static void human_not_applicable(FILE *f, const struct result_list *l)
{
        const char *sep = "not for this host's role:";

        for (size_t i = 0; i < l->n; i++)
                if (result_not_applicable(&l->items[i])) {
                        fprintf(f, "%s %s", sep, l->items[i].id);
                        sep = ",";
                }
        if (!streq(sep, "not for this host's role:"))
                fputc('\n', f);
}

/* One host's results under a heading per unit ("nfs.mount: the hypervisor mounts ..."). */
static void human_grouped(FILE *f, const struct result_list *l, int width, bool color, bool quiet,
                          bool after_header)
{
        const struct unit *shown = NULL;
        bool first = true;

        if (!quiet)
                human_not_applicable(f, l);
        for (size_t i = 0; i < l->n; i++) {
                const struct result *r = &l->items[i];
                const struct unit *u = result_unit(r);

                if (result_not_applicable(r) || (quiet && !shown_when_quiet(r->status)))
                        continue;
                if (first || u != shown) {
                        /* a blank line between groups, and after the header when there is one */
                        if (!first || after_header)
                                fputc('\n', f);
                        if (u)
                                fprintf(f, "%s: %s\n", u->id, u->title);
                        shown = u;
                        first = false;
                }
                human_result(f, r, width, color);
        }
}

/* "h1: nfs.export.sync; h2: nfs.mount.mounted, ssh.root.peer": who needs what, when several hosts report. */
static char *needs_attention(const struct report *rep)
{
        _cleanup_(strv_freep) char **parts = NULL;

        for (size_t h = 0; h <= rep->n_hosts; h++) {
                const struct result_list *l = h < rep->n_hosts ? rep->hosts[h].results : rep->comparisons;
                _cleanup_(strv_freep) char **ids = NULL;
                _cleanup_free_ char *joined = NULL;

                for (size_t i = 0; l && i < l->n; i++)
                        if ((l->items[i].status == STATUS_FAIL || l->items[i].status == STATUS_ERROR) &&
                            !strv_contains(ids, l->items[i].id) && strv_push_dup(&ids, l->items[i].id) < 0)
                                return NULL;
                if (!ids)
                        continue;
                joined = strv_join(ids, ", ");
                if (!joined ||
                    strv_push(&parts,
                              strdup_printf("%s: %s", h < rep->n_hosts ? rep->hosts[h].name : "across hosts",
                                            joined)) < 0)
                        return NULL;
        }
        return parts ? strv_join(parts, "; ") : NULL;
}

int report_human(FILE *f, const struct report *rep, bool color, bool quiet)
{
        unsigned c[_STATUS_MAX];
        bool grouped = false;
        int width = 0;

        for (size_t h = 0; h < rep->n_hosts; h++)
                width = id_width(rep->hosts[h].results, quiet, width);
        width = id_width(rep->comparisons, quiet, width);

        for (size_t h = 0; h < rep->n_hosts; h++) {
                const struct host_report *host = &rep->hosts[h];
                _cleanup_free_ char *roles = roles_describe(host->roles, host->role_why);

                /* the header says which role and why: "host hv1: hypervisor (named in [hosts])" */
                if (!quiet || rep->n_hosts > 1) {
                        if (h == 0)
                                fprintf(f, "host %s: %s, profile %s\n", host->name, strna(roles),
                                        rep->profile_name);
                        else
                                fprintf(f, "\nhost %s: %s\n", host->name, strna(roles));
                }
                if (results_span_units(host->results)) {
                        grouped = true;
                        human_grouped(f, host->results, width, color, quiet, !quiet || rep->n_hosts > 1);
                } else
                        human_results(f, host->results, width, color, quiet);
        }
        if (rep->comparisons) {
                fprintf(f, "\nacross hosts\n");
                human_results(f, rep->comparisons, width, color, quiet);
        }

        if (rep->n_hosts > 1) {
                _cleanup_free_ char *who = needs_attention(rep);
                if (who)
                        fprintf(f, "\nneeds attention: %s\n", who);
        }
        report_count_all(rep, c);
        if (grouped && !rep->comparisons && rep->n_hosts == 1)
                fputc('\n', f);
        fprintf(f, "%u passed, %u warning%s, %u failed, %u error%s, %u skipped", c[STATUS_PASS],
                c[STATUS_WARN], c[STATUS_WARN] == 1 ? "" : "s", c[STATUS_FAIL], c[STATUS_ERROR],
                c[STATUS_ERROR] == 1 ? "" : "s", c[STATUS_SKIP]);
        if (c[STATUS_FIXED])
                fprintf(f, ", %u fixed", c[STATUS_FIXED]);
        fprintf(f, "; exit %d: %s\n", report_exit_code(rep), exit_code_meaning(report_exit_code(rep)));
        return ferror(f) ? -EIO : 0;
}

static json_object *roles_json(unsigned roles)
{
        json_object *a = json_object_new_array();

        for (int i = 0; i < _ROLE_MAX; i++)
                if (roles & ROLE_BIT(i))
                        json_object_array_add(a, json_object_new_string(role_to_string((enum role)i)));
        return a;
}

static json_object *host_json(const struct host_report *h)
{
        json_object *o = json_object_new_object(), *why = json_object_new_object();

        json_object_object_add(o, "name", json_object_new_string(h->name));
        json_object_object_add(o, "roles", roles_json(h->roles));
        /* why it has each role ("named in [hosts]", "--role", "libvirtd running"), and whether they were
         * found on the host */
        for (int i = 0; h->role_why && i < _ROLE_MAX; i++)
                if ((h->roles & ROLE_BIT(i)) && h->role_why[i])
                        json_object_object_add(why, role_to_string((enum role)i),
                                               json_object_new_string(h->role_why[i]));
        json_object_object_add(o, "role_reasons", why);
        json_object_object_add(o, "roles_detected", json_object_new_boolean(h->roles_detected));
        return o;
}

static json_object *counts_json(const unsigned c[_STATUS_MAX])
{
        json_object *o = json_object_new_object();

        for (int i = 0; i < _STATUS_MAX; i++)
                json_object_object_add(o, status_to_json((enum status)i), json_object_new_int((int)c[i]));
        json_object_object_add(o, "exit_code", json_object_new_int(exit_code_from_counts(c)));
        return o;
}

int report_json(FILE *f, const struct report *rep)
{
        json_object *o = json_object_new_object(), *profile = json_object_new_object(), *summary;
        const struct host_report *self = &rep->hosts[0];
        unsigned c[_STATUS_MAX];

        json_object_object_add(profile, "name", json_object_new_string(rep->profile_name));
        json_object_object_add(profile, "file", json_object_new_string(strempty(rep->profile_file)));

        json_object_object_add(o, "schema", json_object_new_int(REPORT_JSON_SCHEMA));
        json_object_object_add(o, "hostprep", json_object_new_string(HOSTPREP_VERSION));
        json_object_object_add(o, "host", host_json(self));
        json_object_object_add(o, "profile", profile);
        json_object_object_add(o, "root", json_object_new_string(rep->root));
        json_object_object_add(o, "results", results_to_json(self->results));
        if (self->facts)
                json_object_object_add(o, "facts", json_object_get(self->facts));

        if (rep->n_hosts > 1) {
                json_object *peers = json_object_new_array();

                for (size_t h = 1; h < rep->n_hosts; h++) {
                        json_object *p = json_object_new_object();

                        report_count(rep->hosts[h].results, c);
                        json_object_object_add(p, "host", host_json(&rep->hosts[h]));
                        json_object_object_add(p, "results", results_to_json(rep->hosts[h].results));
                        json_object_object_add(p, "summary", counts_json(c));
                        if (rep->hosts[h].facts)
                                json_object_object_add(p, "facts", json_object_get(rep->hosts[h].facts));
                        json_object_array_add(peers, p);
                }
                json_object_object_add(o, "peers", peers);
        }
        if (rep->comparisons)
                json_object_object_add(o, "comparisons", results_to_json(rep->comparisons));
        if (rep->extra_key && rep->extra)
                json_object_object_add(o, rep->extra_key, json_object_get(rep->extra));

        /* the summary is the whole run's: every host and the comparisons */
        report_count_all(rep, c);
        summary = counts_json(c);
        json_object_object_add(summary, "duration_ms",
                               json_object_new_int64((int64_t)(rep->duration / USEC_PER_MSEC)));
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

static int junit_suite(xmlNodePtr suites, const char *host, const struct result_list *l, usec_t duration)
{
        _cleanup_free_ char *suite_name = strdup_printf("hostprep.%s", host),
                            *time = strdup_printf("%.3f", (double)duration / USEC_PER_SEC);
        unsigned c[_STATUS_MAX];
        xmlNodePtr suite;

        if (!suite_name || !time)
                return -ENOMEM;
        report_count(l, c);
        suite = xmlNewChild(suites, NULL, BAD_CAST "testsuite", NULL);
        xmlNewProp(suite, BAD_CAST "name", BAD_CAST suite_name);
        xmlNewProp(suite, BAD_CAST "hostname", BAD_CAST host);
        set_uint_prop(suite, "tests", (unsigned)l->n);
        set_uint_prop(suite, "failures", c[STATUS_FAIL]);
        set_uint_prop(suite, "errors", c[STATUS_ERROR]);
        set_uint_prop(suite, "skipped", c[STATUS_SKIP]);
        xmlNewProp(suite, BAD_CAST "time", BAD_CAST time);

        for (size_t i = 0; i < l->n; i++) {
                const struct result *r = &l->items[i];
                _cleanup_free_ char *classname = strdup_printf("%s.%s", host, r->id), *text = NULL;
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
        return 0;
}

xmlDocPtr junit_doc_new(const char *name, xmlNodePtr *ret_suites)
{
        xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
        xmlNodePtr suites = doc ? xmlNewNode(NULL, BAD_CAST "testsuites") : NULL;

        if (!suites) {
                xmlFreeDoc(doc);
                return NULL;
        }
        xmlDocSetRootElement(doc, suites);
        xmlNewProp(suites, BAD_CAST "name", BAD_CAST name);
        *ret_suites = suites;
        return doc;
}

int junit_doc_write(FILE *f, xmlDocPtr doc)
{
        xmlChar *mem = NULL;
        int len = 0;

        xmlDocDumpFormatMemoryEnc(doc, &mem, &len, "UTF-8", 1);
        if (!mem)
                return -ENOMEM;
        fwrite(mem, 1, (size_t)len, f);
        xmlFree(mem);
        return ferror(f) ? -EIO : 0;
}

int report_junit(FILE *f, const struct report *rep)
{
        xmlNodePtr suites = NULL;
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = junit_doc_new("hostprep", &suites);
        int r;

        if (!doc)
                return -ENOMEM;
        /* one suite per host, one for the comparisons */
        for (size_t h = 0; h < rep->n_hosts; h++) {
                r = junit_suite(suites, rep->hosts[h].name, rep->hosts[h].results, rep->duration);
                if (r < 0)
                        return r;
        }
        if (rep->comparisons) {
                r = junit_suite(suites, "across-hosts", rep->comparisons, rep->duration);
                if (r < 0)
                        return r;
        }
        return junit_doc_write(f, doc);
}

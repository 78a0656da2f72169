/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The report of `hostprep audit`: the guest x peer table as text, JSON and JUnit, from the same data. */
#include <libxml/tree.h>

#include "audit.h"
#include "config.h"
#include "json-util.h"
#include "report.h"
#include "results-json.h"
#include "strv.h"

static const struct audit_cell *cell(const struct audit_table *t, size_t g, size_t p)
{
        return &t->cells[g * t->n_peers + p];
}

static const char *exit_meaning(int code)
{
        switch (code) {
        case EXIT_READY:
                return "every guest has somewhere to go";
        case EXIT_NOT_READY:
                return "some guest cannot go anywhere";
        default:
                return "could not decide for some guest";
        }
}

/* "about 2.1 s, last pass 40 ms (512 MiB, dirty 3 MiB/s, link 119 MiB/s assumed)" */
static char *estimate_text(const struct audit_guest *g, const struct audit_estimate *e)
{
        _cleanup_free_ char *dirty =
                g->dirty_known ? strdup_printf("dirty %.0f MiB/s", e->dirty_mib_s)
                               : strdup_printf("dirty rate unknown: %s", strna(g->dirty_error));

        if (!e->known)
                return strdup("not running: moves as a definition (offline)");
        if (!dirty)
                return NULL;
        return strdup_printf("%s %.1f s, last pass %.0f ms (%.0f MiB, %s, link %.0f MiB/s%s)",
                             e->converges ? "about" : "does not converge after", e->total_s, e->downtime_ms,
                             e->memory_mib, dirty, e->bandwidth_mib_s, e->link_assumed ? " assumed" : "");
}

static void human_cell(FILE *f, const struct audit_table *t, size_t g, size_t p, int width)
{
        const struct audit_cell *c = cell(t, g, p);
        _cleanup_free_ char *est = estimate_text(&t->guests[g], &c->estimate);

        fprintf(f, "%-*s %-*s %-17s %s\n", width, t->guests[g].name, 12, t->peers[p].name,
                audit_verdict_to_string(c->verdict),
                c->verdict == AUDIT_READY ? strna(est)
                : c->findings.n           ? ""
                                          : strna(est));
        for (size_t i = 0; i < c->findings.n; i++) {
                const struct result *r = &c->findings.items[i];

                fprintf(f, "    %s %s/%s: %s\n", status_to_string(r->status), r->id, strna(r->reason),
                        strempty(r->message));
                if (r->hint && r->status != STATUS_PASS)
                        fprintf(f, "        hint: %s\n", r->hint);
        }
        if (c->verdict != AUDIT_READY && est && c->estimate.known)
                fprintf(f, "    estimate: %s\n", est);
}

int audit_write_human(FILE *f, const struct audit_table *t, bool quiet)
{
        unsigned counts[_AUDIT_VERDICT_MAX] = {};
        int width = 5;

        for (size_t g = 0; g < t->n_guests; g++) {
                int n = (int)strlen(t->guests[g].name);
                width = n > width ? n : width;
                counts[audit_guest_verdict(cell(t, g, 0), t->n_peers)]++;
        }
        fprintf(f, "hostprep audit of %s (profile %s): %zu guest%s, %zu peer%s\n", t->host,
                strna(t->profile), t->n_guests, t->n_guests == 1 ? "" : "s", t->n_peers,
                t->n_peers == 1 ? "" : "s");
        if (t->n_guests == 0)
                fprintf(f, "no guests are defined on %s: nothing to move\n", t->host);
        else
                fprintf(f, "%-*s %-12s %-17s %s\n", width, "GUEST", "PEER", "VERDICT", "WHY");
        for (size_t g = 0; g < t->n_guests; g++)
                for (size_t p = 0; p < t->n_peers; p++)
                        if (!quiet || cell(t, g, p)->verdict != AUDIT_READY)
                                human_cell(f, t, g, p, width);
        fprintf(f, "%u can go (%u with warnings), %u blocked everywhere, %u undecided; in %.1f s\n",
                counts[AUDIT_READY] + counts[AUDIT_WARN], counts[AUDIT_WARN], counts[AUDIT_BLOCKED],
                counts[AUDIT_UNDECIDED], (double)t->duration / USEC_PER_SEC);
        fprintf(f, "exit %d: %s\n", t->exit_code, exit_meaning(t->exit_code));
        return ferror(f) ? -EIO : 0;
}

/* --- JSON ---------------------------------------------------------------------------------------------- */

static json_object *estimate_json(const struct audit_estimate *e)
{
        json_object *o;

        if (!e->known || !(o = json_object_new_object()))
                return NULL;
        json_object_object_add(o, "converges", json_object_new_boolean(e->converges));
        json_object_object_add(o, "total_s", json_object_new_double(e->total_s));
        json_object_object_add(o, "last_pass_ms", json_object_new_double(e->downtime_ms));
        json_object_object_add(o, "downtime_limit_ms", json_object_new_int64(e->downtime_limit_ms));
        json_object_object_add(o, "passes", json_object_new_int64(e->passes));
        json_object_object_add(o, "memory_mib", json_object_new_double(e->memory_mib));
        json_object_object_add(o, "bandwidth_mib_s", json_object_new_double(e->bandwidth_mib_s));
        json_object_object_add(o, "bandwidth_assumed", json_object_new_boolean(e->link_assumed));
        return o;
}

static json_object *guest_json(const struct audit_table *t, size_t gi)
{
        const struct audit_guest *g = &t->guests[gi];
        json_object *o = json_object_new_object(), *peers = json_object_new_object(),
                    *dest = json_object_new_array();

        if (!o || !peers || !dest) {
                json_object_put(o), json_object_put(peers), json_object_put(dest);
                return NULL;
        }
        json_object_object_add(o, "name", json_object_new_string(g->name));
        json_object_object_add(o, "running", json_object_new_boolean(g->running));
        json_object_object_add(o, "memory_kib", json_object_new_int64((int64_t)g->memory_kib));
        json_object_object_add(o, "dirty_rate_mib_s",
                               g->dirty_known ? json_object_new_double(g->dirty_mib_s) : NULL);
        json_object_object_add(o, "dirty_rate_error", json_string_or_null(g->dirty_error));
        json_object_object_add(o, "verdict",
                               json_object_new_string(audit_verdict_to_json(
                                       audit_guest_verdict(cell(t, gi, 0), t->n_peers))));
        for (size_t p = 0; p < t->n_peers; p++) {
                const struct audit_cell *c = cell(t, gi, p);
                json_object *pc = json_object_new_object();

                if (!pc)
                        break;
                json_object_object_add(pc, "verdict",
                                       json_object_new_string(audit_verdict_to_json(c->verdict)));
                json_object_object_add(pc, "estimate", estimate_json(&c->estimate));
                json_object_object_add(pc, "findings", results_to_json(&c->findings));
                json_object_object_add(peers, t->peers[p].name, pc);
                if (c->verdict == AUDIT_READY || c->verdict == AUDIT_WARN)
                        json_object_array_add(dest, json_object_new_string(t->peers[p].name));
        }
        json_object_object_add(o, "destinations", dest);
        json_object_object_add(o, "peers", peers);
        return o;
}

int audit_write_json(FILE *f, const struct audit_table *t)
{
        json_object *o = json_object_new_object(), *guests = json_object_new_array(),
                    *peers = json_object_new_array();

        if (!o || !guests || !peers) {
                json_object_put(o), json_object_put(guests), json_object_put(peers);
                return -ENOMEM;
        }
        json_object_object_add(o, "schema", json_object_new_int(AUDIT_JSON_SCHEMA));
        json_object_object_add(o, "hostprep", json_object_new_string(HOSTPREP_VERSION));
        json_object_object_add(o, "host", json_object_new_string(t->host));
        json_object_object_add(o, "profile", json_string_or_null(t->profile));
        for (size_t p = 0; p < t->n_peers; p++) {
                json_object *po = json_object_new_object();

                json_object_object_add(po, "name", json_object_new_string(t->peers[p].name));
                json_object_object_add(po, "reached", json_object_new_boolean(t->peers[p].facts != NULL));
                json_object_object_add(po, "error", json_string_or_null(t->peers[p].error));
                json_object_object_add(po, "uri", json_string_or_null(t->peers[p].uri));
                json_object_array_add(peers, po);
        }
        json_object_object_add(o, "peers", peers);
        for (size_t g = 0; g < t->n_guests; g++)
                json_object_array_add(guests, guest_json(t, g));
        json_object_object_add(o, "guests", guests);
        json_object_object_add(o, "duration_ms",
                               json_object_new_int64((int64_t)(t->duration / USEC_PER_MSEC)));
        json_object_object_add(o, "exit_code", json_object_new_int(t->exit_code));
        fprintf(f, "%s\n",
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return ferror(f) ? -EIO : 0;
}

/* --- JUnit --------------------------------------------------------------------------------------------- */

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)

/* The findings of a cell as the text of its testcase. */
static char *cell_text(const struct audit_table *t, size_t g, size_t p)
{
        const struct audit_cell *c = cell(t, g, p);
        _cleanup_free_ char *est = estimate_text(&t->guests[g], &c->estimate);
        _cleanup_(strv_freep) char **lines = NULL;

        if (strv_push(&lines, strdup_printf("%s: %s", audit_verdict_to_string(c->verdict), strna(est))) < 0)
                return NULL;
        for (size_t i = 0; i < c->findings.n; i++) {
                const struct result *r = &c->findings.items[i];

                if (strv_push(&lines, strdup_printf("%s %s/%s: %s%s%s", status_to_string(r->status), r->id,
                                                    strna(r->reason), strempty(r->message),
                                                    r->hint ? "\nhint: " : "", strempty(r->hint))) < 0)
                        return NULL;
        }
        return strv_join(lines, "\n");
}

static int junit_guest(xmlNodePtr suites, const struct audit_table *t, size_t g)
{
        xmlNodePtr suite = xmlNewChild(suites, NULL, BAD_CAST "testsuite", NULL);
        _cleanup_free_ char *name = strdup_printf("hostprep.audit.%s", t->guests[g].name);
        unsigned failures = 0, errors = 0;

        if (!suite || !name)
                return -ENOMEM;
        xmlNewProp(suite, BAD_CAST "name", BAD_CAST name);
        xmlNewProp(suite, BAD_CAST "hostname", BAD_CAST t->host);
        for (size_t p = 0; p < t->n_peers; p++) {
                const struct audit_cell *c = cell(t, g, p);
                _cleanup_free_ char *text = cell_text(t, g, p), *tcname = NULL;
                const char *kind = c->verdict == AUDIT_BLOCKED     ? "failure"
                                   : c->verdict == AUDIT_UNDECIDED ? "error"
                                                                   : NULL;
                xmlNodePtr tc = xmlNewChild(suite, NULL, BAD_CAST "testcase", NULL), n;

                tcname = strdup_printf("%s -> %s", t->guests[g].name, t->peers[p].name);
                if (!tc || !text || !tcname)
                        return -ENOMEM;
                xmlNewProp(tc, BAD_CAST "classname", BAD_CAST name);
                xmlNewProp(tc, BAD_CAST "name", BAD_CAST tcname);
                failures += c->verdict == AUDIT_BLOCKED;
                errors += c->verdict == AUDIT_UNDECIDED;
                if (!kind) {
                        xmlNewTextChild(tc, NULL, BAD_CAST "system-out", BAD_CAST text);
                        continue;
                }
                n = xmlNewChild(tc, NULL, BAD_CAST kind, NULL);
                xmlNewProp(n, BAD_CAST "message", BAD_CAST audit_verdict_to_string(c->verdict));
                xmlAddChild(n, xmlNewText(BAD_CAST text));
        }
        _cleanup_free_ char *tests = strdup_printf("%zu", t->n_peers), *f = strdup_printf("%u", failures),
                            *e = strdup_printf("%u", errors);
        if (!tests || !f || !e)
                return -ENOMEM;
        xmlNewProp(suite, BAD_CAST "tests", BAD_CAST tests);
        xmlNewProp(suite, BAD_CAST "failures", BAD_CAST f);
        xmlNewProp(suite, BAD_CAST "errors", BAD_CAST e);
        return 0;
}

int audit_write_junit(FILE *f, const struct audit_table *t)
{
        xmlNodePtr suites = NULL;
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = junit_doc_new("hostprep audit", &suites);
        int r;

        if (!doc)
                return -ENOMEM;
        for (size_t g = 0; g < t->n_guests; g++) {
                r = junit_guest(suites, t, g);
                if (r < 0)
                        return r;
        }
        return junit_doc_write(f, doc);
}

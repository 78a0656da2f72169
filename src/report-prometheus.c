/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The report as Prometheus metrics, for node_exporter's textfile collector. Names and labels follow
 * Prometheus's conventions: a hostprep_ prefix, base units in the name (_seconds), a state set per check
 * (one series per status, so an alert on status="fail" never depends on a series appearing), and no
 * client-side timestamps (the textfile collector refuses them): the run's time is a gauge of its own. */
#include "report-sinks.h"

#include <string.h>

#include "config.h"
#include "cross.h"
#include "strv.h"

static const char *longer_prefix(const char *best, const char *id, const char *result_id)
{
        size_t n = strlen(id);

        if (!strneq(result_id, id, n) || (result_id[n] != '\0' && result_id[n] != '.'))
                return best;
        return !best || strlen(best) < n ? id : best;
}

const char *report_unit_of(const char *result_id)
{
        const char *best = NULL;

        for (size_t i = 0; i < unit_registry_size; i++)
                best = longer_prefix(best, unit_registry[i]->id, result_id);
        for (size_t i = 0; i < cross_registry_size; i++)
                best = longer_prefix(best, cross_registry[i]->id, result_id);
        return best;
}

/* A label value as the exposition format wants it: backslash, double quote and newline escaped. */
static void put_label_value(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '\\' || *s == '"')
                        fputc('\\', f);
                if (*s == '\n')
                        fputs("\\n", f);
                else
                        fputc(*s, f);
        }
        fputc('"', f);
}

static void put_family(FILE *f, const char *name, const char *help)
{
        fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* How many of l's results have the id and the status: a unit may give one id several times (one per
 * export, per mount), and a series may appear only once. */
static unsigned count_of(const struct result_list *l, const char *id, enum status s)
{
        unsigned n = 0;

        for (size_t i = 0; i < l->n; i++)
                n += streq(l->items[i].id, id) && l->items[i].status == s;
        return n;
}

static bool seen_before(const struct result_list *l, size_t i)
{
        for (size_t j = 0; j < i; j++)
                if (streq(l->items[j].id, l->items[i].id))
                        return true;
        return false;
}

static void put_checks(FILE *f, const char *host, const struct result_list *l)
{
        for (size_t i = 0; l && i < l->n; i++) {
                const char *id = l->items[i].id, *unit = report_unit_of(id);

                if (seen_before(l, i))
                        continue;
                for (int s = 0; s < _STATUS_MAX; s++) {
                        fputs("hostprep_check_status{host=", f);
                        put_label_value(f, host);
                        fputs(",unit=", f);
                        put_label_value(f, unit ? unit : id);
                        fputs(",check=", f);
                        put_label_value(f, id);
                        fprintf(f, ",status=\"%s\"} %u\n", status_to_json(s), count_of(l, id, s));
                }
        }
}

static void put_host_counts(FILE *f, const char *host, const struct result_list *l)
{
        unsigned c[_STATUS_MAX];

        report_count(l, c);
        for (int s = 0; s < _STATUS_MAX; s++) {
                fputs("hostprep_host_results{host=", f);
                put_label_value(f, host);
                fprintf(f, ",status=\"%s\"} %u\n", status_to_json(s), c[s]);
        }
}

int report_prometheus(FILE *f, const struct report *rep, double now_realtime)
{
        /* comparisons are made by this host: they carry its name */
        const char *self = rep->hosts[0].name;

        put_family(f, "hostprep_check_status",
                   "Results of one check id on one host with this status (a state set: 0 or the count).");
        for (size_t h = 0; h < rep->n_hosts; h++)
                put_checks(f, rep->hosts[h].name, rep->hosts[h].results);
        put_checks(f, self, rep->comparisons);

        put_family(f, "hostprep_host_results", "Results of one host with this status.");
        for (size_t h = 0; h < rep->n_hosts; h++)
                put_host_counts(f, rep->hosts[h].name, rep->hosts[h].results);

        put_family(f, "hostprep_info", "The hostprep version and profile of the run (always 1).");
        fputs("hostprep_info{version=", f);
        put_label_value(f, HOSTPREP_VERSION);
        fputs(",profile=", f);
        put_label_value(f, strempty(rep->profile_name));
        fputs("} 1\n", f);

        put_family(f, "hostprep_run_exit_code", "Exit code of the run (0 ready, 1 failed, 3 undecided).");
        fprintf(f, "hostprep_run_exit_code %d\n", report_exit_code(rep));
        put_family(f, "hostprep_run_duration_seconds", "How long the run's checks took.");
        fprintf(f, "hostprep_run_duration_seconds %.6f\n", (double)rep->duration / USEC_PER_SEC);
        put_family(f, "hostprep_last_run_timestamp_seconds",
                   "When the run ended, in seconds since the epoch.");
        fprintf(f, "hostprep_last_run_timestamp_seconds %.3f\n", now_realtime);
        return ferror(f) ? -EIO : 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a run tells: its report (per action what happened and why), and the change log it leaves. */
#include <stdarg.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "apply-internal.h"
#include "lineiter.h"
#include "pathnames.h"

static const char *const apply_status_names[] = {
        [APPLY_NOT_RUN] = "not run",     [APPLY_PLANNED] = "would change", [APPLY_DONE] = "done",
        [APPLY_UNCHANGED] = "unchanged", [APPLY_SKIPPED] = "skipped",      [APPLY_FAILED] = "failed",
};
_Static_assert(ELEMENTSOF(apply_status_names) == _APPLY_STATUS_MAX, "apply_status_names out of step");

const char *apply_status_to_string(enum apply_status s)
{
        return s < _APPLY_STATUS_MAX ? apply_status_names[s] : NULL;
}

void apply_report_done(struct apply_report *r)
{
        for (size_t i = 0; i < r->n_results; i++) {
                free(r->results[i].what);
                free(r->results[i].reason);
                free(r->results[i].output);
        }
        free(r->results);
        free(r->error);
        *r = (struct apply_report){};
}

struct apply_result *report_add(struct apply_report *r, enum apply_status status, char *what)
{
        struct apply_result *n;

        if (!what)
                return NULL;
        n = reallocarray(r->results, r->n_results + 1, sizeof(*n));
        if (!n) {
                free(what);
                return NULL;
        }
        r->results = n;
        n = &r->results[r->n_results++];
        *n = (struct apply_result){.status = status, .what = what};
        return n;
}

void result_set(struct apply_result *res, enum apply_status status, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;

        res->status = status;
        if (fmt) {
                va_start(ap, fmt);
                s = strdup_vprintf(fmt, ap);
                va_end(ap);
        }
        free(res->reason);
        res->reason = s;
}

void report_error(struct apply_report *r, const char *fmt, ...)
{
        va_list ap;
        char *s;

        if (r->error)
                return; /* the first reason is the one that stopped the run */
        va_start(ap, fmt);
        s = strdup_vprintf(fmt, ap);
        va_end(ap);
        r->error = s;
}

void crash_point(const struct apply_options *o, const char *where)
{
        if (o->crash_point)
                o->crash_point(where, o->userdata);
}

/* ---- the change log: journald when it runs, else one line to the caller's stream ---- */

static void log_to_journald(const struct log_fields *lf, const char *msg)
{
        const char *names[] = {"HOSTPREP_RUN=", "HOSTPREP_UNIT=", "HOSTPREP_ACTION=", "HOSTPREP_PATH=",
                               "HOSTPREP_SERVICE="};
        const char *values[] = {lf->run, lf->unit, lf->action, lf->path, lf->service};
        char *fields[ELEMENTSOF(names) + 3] = {};
        struct iovec iov[ELEMENTSOF(fields)];
        size_t n = 0;

        fields[n++] = strdup_printf("MESSAGE=%s", msg);
        fields[n++] = strdup("SYSLOG_IDENTIFIER=hostprep");
        fields[n++] = strdup("PRIORITY=5");
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (values[i])
                        fields[n++] = strdup_printf("%s%s", names[i], values[i]);
        for (size_t i = 0; i < n; i++) {
                if (!fields[i])
                        goto out;
                iov[i] = (struct iovec){fields[i], strlen(fields[i])};
        }
        (void)sd_journal_sendv(iov, (int)n);
out:
        for (size_t i = 0; i < n; i++)
                free(fields[i]);
}

void log_change(const struct apply_options *o, const struct log_fields *lf, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = strdup_vprintf(fmt, ap);
        va_end(ap);
        if (!msg)
                return;

        if (o->no_journald || access(PATH_JOURNALD_SOCKET, F_OK) < 0) {
                if (o->log)
                        fprintf(o->log, "hostprep[%s]: %s%s%s\n", strempty(lf->run),
                                lf->unit ? lf->unit : "", lf->unit ? ": " : "", msg);
                return;
        }
        log_to_journald(lf, msg);
}

/* ---- the report, for the CLI ---- */

static void print_result(FILE *f, const struct apply_result *res)
{
        fprintf(f, "%-12s %s", apply_status_to_string(res->status), res->what);
        if (res->reason)
                fprintf(f, ": %s", res->reason);
        fputc('\n', f);
        if (res->output && *res->output && res->status == APPLY_FAILED)
                LINE_FOREACH(l, res->output)
        fprintf(f, "    | %.*s\n", (int)l.len, l.line);
}

void apply_report_print(FILE *f, const struct apply_report *r, bool dry_run)
{
        size_t counts[_APPLY_STATUS_MAX] = {};

        for (size_t i = 0; i < r->n_results; i++) {
                counts[r->results[i].status]++;
                print_result(f, &r->results[i]);
        }
        if (dry_run)
                fprintf(f,
                        "dry run: %zu would change, %zu unchanged, %zu skipped, %zu failed; nothing was changed\n",
                        counts[APPLY_PLANNED], counts[APPLY_UNCHANGED], counts[APPLY_SKIPPED],
                        counts[APPLY_FAILED]);
        else
                fprintf(f, "%zu done, %zu unchanged, %zu skipped, %zu failed, %zu not run\n",
                        counts[APPLY_DONE], counts[APPLY_UNCHANGED], counts[APPLY_SKIPPED],
                        counts[APPLY_FAILED], counts[APPLY_NOT_RUN]);
        if (r->error)
                fprintf(f, "%s\n", r->error);
        if (r->run_id[0] && !dry_run)
                fprintf(f, "run %s%s\n", r->run_id,
                        r->rolled_back ? " (rolled back)" : "; undo it with: hostprep rollback");
}

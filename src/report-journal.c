/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The report into the systemd journal: an entry per result whose fields say which host, unit, check,
 * status and reason (journalctl HOSTPREP_STATUS=fail, -o json), and one for the run, all sharing the
 * run's HOSTPREP_REPORT_ID. Each kind of entry has its own MESSAGE_ID for catalogs and filters. */
#include "report-sinks.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>

#include "config.h"

#define MESSAGE_ID_RESULT "30411b1acd034e048499b099a9495da3"
#define MESSAGE_ID_RUN    "154def08ba354a6d921968a63cf8506d"
#define FIELDS_MAX        16

/* One entry's fields; a field that could not be made fails the whole entry (r). */
struct entry {
        char *fields[FIELDS_MAX];
        size_t n;
        int r;
};

static void entry_done(struct entry *e)
{
        for (size_t i = 0; i < e->n; i++)
                free(e->fields[i]);
}

_printf_(2, 3) static void entry_add(struct entry *e, const char *fmt, ...)
{
        va_list ap;
        char *s;

        if (e->r < 0)
                return;
        if (e->n == FIELDS_MAX) {
                e->r = -E2BIG;
                return;
        }
        va_start(ap, fmt);
        s = strdup_vprintf(fmt, ap);
        va_end(ap);
        if (!s)
                e->r = -ENOMEM;
        else
                e->fields[e->n++] = s;
}

static int entry_send(struct entry *e)
{
        struct iovec iov[FIELDS_MAX];

        if (e->r < 0)
                return e->r;
        for (size_t i = 0; i < e->n; i++)
                iov[i] = (struct iovec){e->fields[i], strlen(e->fields[i])};
        return sd_journal_sendv(iov, (int)e->n);
}

static int priority_of(enum status s)
{
        switch (s) {
        case STATUS_WARN:
                return LOG_WARNING;
        case STATUS_FAIL:
        case STATUS_ERROR:
                return LOG_ERR;
        default:
                return LOG_INFO;
        }
}

/* The fields every entry of the run has. */
static void entry_common(struct entry *e, const struct report *rep, const char *report_id,
                         const char *message_id)
{
        entry_add(e, "MESSAGE_ID=%s", message_id);
        entry_add(e, "SYSLOG_IDENTIFIER=hostprep");
        entry_add(e, "HOSTPREP_REPORT_ID=%s", report_id);
        entry_add(e, "HOSTPREP_PROFILE=%s", strempty(rep->profile_name));
}

static int send_result(const struct report *rep, const char *report_id, const char *host,
                       const struct result *r)
{
        _cleanup_(entry_done) struct entry e = {0};
        const char *unit = report_unit_of(r->id);

        entry_common(&e, rep, report_id, MESSAGE_ID_RESULT);
        entry_add(&e, "MESSAGE=%s: %s %s: %s", host, status_to_string(r->status), r->id,
                  strempty(r->message));
        entry_add(&e, "PRIORITY=%d", priority_of(r->status));
        entry_add(&e, "HOSTPREP_HOST=%s", host);
        entry_add(&e, "HOSTPREP_UNIT=%s", unit ? unit : r->id);
        entry_add(&e, "HOSTPREP_CHECK=%s", r->id);
        entry_add(&e, "HOSTPREP_STATUS=%s", status_to_json(r->status));
        if (r->reason)
                entry_add(&e, "HOSTPREP_REASON=%s", r->reason);
        if (r->evidence)
                entry_add(&e, "HOSTPREP_EVIDENCE=%s", r->evidence);
        if (r->hint)
                entry_add(&e, "HOSTPREP_HINT=%s", r->hint);
        return entry_send(&e);
}

static int send_list(const struct report *rep, const char *report_id, const char *host,
                     const struct result_list *l)
{
        for (size_t i = 0; l && i < l->n; i++) {
                int r = send_result(rep, report_id, host, &l->items[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int send_run(const struct report *rep, const char *report_id)
{
        _cleanup_(entry_done) struct entry e = {0};
        unsigned c[_STATUS_MAX] = {0}, one[_STATUS_MAX];
        int code = report_exit_code(rep);

        for (size_t h = 0; h <= rep->n_hosts; h++) {
                report_count(h < rep->n_hosts ? rep->hosts[h].results : rep->comparisons, one);
                for (int s = 0; s < _STATUS_MAX; s++)
                        c[s] += one[s];
        }
        entry_common(&e, rep, report_id, MESSAGE_ID_RUN);
        entry_add(
                &e,
                "MESSAGE=hostprep %s on %s: %u passed, %u warnings, %u failed, %u errors, %u skipped, %u fixed; "
                "exit code %d",
                HOSTPREP_VERSION, rep->hosts[0].name, c[STATUS_PASS], c[STATUS_WARN], c[STATUS_FAIL],
                c[STATUS_ERROR], c[STATUS_SKIP], c[STATUS_FIXED], code);
        entry_add(&e, "PRIORITY=%d", code == EXIT_READY ? LOG_NOTICE : LOG_ERR);
        entry_add(&e, "HOSTPREP_HOST=%s", rep->hosts[0].name);
        entry_add(&e, "HOSTPREP_EXIT_CODE=%d", code);
        entry_add(&e, "HOSTPREP_DURATION_SECONDS=%.3f", (double)rep->duration / USEC_PER_SEC);
        entry_add(&e, "HOSTPREP_FAILED=%u", c[STATUS_FAIL]);
        entry_add(&e, "HOSTPREP_ERRORS=%u", c[STATUS_ERROR]);
        entry_add(&e, "HOSTPREP_WARNINGS=%u", c[STATUS_WARN]);
        return entry_send(&e);
}

int report_journal(const struct report *rep)
{
        char report_id[SD_ID128_STRING_MAX];
        sd_id128_t id;
        int r;

        r = sd_id128_randomize(&id);
        if (r < 0)
                return r;
        sd_id128_to_string(id, report_id);
        for (size_t h = 0; h < rep->n_hosts; h++) {
                r = send_list(rep, report_id, rep->hosts[h].name, rep->hosts[h].results);
                if (r < 0)
                        return r;
        }
        r = send_list(rep, report_id, rep->hosts[0].name, rep->comparisons);
        return r < 0 ? r : send_run(rep, report_id);
}

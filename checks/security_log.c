/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "security_log.h"

#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "lineiter.h"
#include "pathnames.h"
#include "strv.h"

/* entries read from the journal at most: its size, not the deadline, bounds a quiet host's scan */
#define JOURNAL_ENTRIES_MAX 200000
/* what is left of the deadline for the rest of the check when the journal is given up */
#define JOURNAL_DEADLINE_MARGIN (USEC_PER_SEC / 2)

uint64_t security_log_since(const struct check_ctx *ctx)
{
        time_t now = time(NULL);

        return hostfs_is_live(ctx->fs) && now > SECURITY_LOG_WINDOW ? (uint64_t)(now - SECURITY_LOG_WINDOW)
                                                                    : 0;
}

static int scan_audit_log(const struct check_ctx *ctx, security_log_fn fn, void *userdata)
{
        _cleanup_free_ char *text = NULL;
        int r;

        r = hostfs_read_file(ctx->fs, PATH_AUDIT_LOG, &text, NULL);
        if (r < 0)
                return r;
        LINE_FOREACH(l, text)
        {
                _cleanup_free_ char *line = line_iter_dup(&l);
                _cleanup_free_ char *origin = strdup_printf("%s:%u", PATH_AUDIT_LOG, l.number);

                if (!line || !origin)
                        return -ENOMEM;
                r = fn(line, origin, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The journal's audit records (AVC and AppArmor are both type 1400) and the kernel's messages, where
 * they go when no audit daemon takes them. */
static int journal_open(sd_journal **ret)
{
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        uint64_t since = (uint64_t)(time(NULL) - SECURITY_LOG_WINDOW) * USEC_PER_SEC;
        int r;

        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (r >= 0)
                r = sd_journal_add_match(j, "_TRANSPORT=audit", 0);
        if (r >= 0)
                r = sd_journal_add_match(j, "_AUDIT_TYPE=1400", 0);
        if (r >= 0)
                r = sd_journal_add_disjunction(j);
        if (r >= 0)
                r = sd_journal_add_match(j, "_TRANSPORT=kernel", 0);
        if (r >= 0)
                r = sd_journal_seek_realtime_usec(j, since);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(j);
        return 0;
}

static int scan_journal(const struct check_ctx *ctx, security_log_fn fn, void *userdata, bool *truncated)
{
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        unsigned n = 0;
        int r;

        r = journal_open(&j);
        if (r < 0)
                return r;
        while ((r = sd_journal_next(j)) > 0) {
                _cleanup_free_ char *line = NULL;
                const void *data;
                size_t len;

                if (++n > JOURNAL_ENTRIES_MAX ||
                    (n % 256 == 0 && now_usec() + JOURNAL_DEADLINE_MARGIN >= ctx->deadline)) {
                        *truncated = true;
                        return 0;
                }
                if (sd_journal_get_data(j, "MESSAGE", &data, &len) < 0 || len < strlen("MESSAGE="))
                        continue;
                line = strndup((const char *)data + strlen("MESSAGE="), len - strlen("MESSAGE="));
                if (!line)
                        return -ENOMEM;
                if (!strstr(line, "avc:") && !strstr(line, "apparmor="))
                        continue;
                r = fn(line, "journal", userdata);
                if (r < 0)
                        return r;
        }
        return r;
}

int security_log_scan(const struct check_ctx *ctx, security_log_fn fn, void *userdata, char **ret_sources,
                      bool *ret_truncated)
{
        bool audit = false, journal = false;
        int r;

        *ret_truncated = false;
        r = scan_audit_log(ctx, fn, userdata);
        if (r == -ENOMEM)
                return r;
        audit = r >= 0;
        if (hostfs_is_live(ctx->fs)) {
                r = scan_journal(ctx, fn, userdata, ret_truncated);
                if (r == -ENOMEM)
                        return r;
                journal = r >= 0;
        }
        if (!audit && !journal) {
                *ret_sources = NULL;
                return -ENOENT;
        }
        *ret_sources = strdup_printf("%s%s%s", audit ? PATH_AUDIT_LOG : "", audit && journal ? " and " : "",
                                     journal ? "the journal" : "");
        return *ret_sources ? 0 : -ENOMEM;
}

bool security_log_recent(const struct security_log_found *f, uint64_t seconds)
{
        return !f->since || !seconds || seconds >= f->since;
}

int security_log_keep(struct security_log_found *f, const char *origin, const char *line)
{
        char *s = strdup_printf("%s: %s", origin, line);
        size_t n = strv_length(f->last);

        if (!s)
                return -ENOMEM;
        if (n >= SECURITY_LOG_EVIDENCE) {
                free(f->last[0]);
                memmove(f->last, f->last + 1, n * sizeof(char *)); /* the NULL too */
        }
        return strv_push(&f->last, s);
}

int security_log_collect(const struct check_ctx *ctx, security_log_fn fn, void *userdata,
                         struct security_log_found *f, char **ret_sources, char **ret_evidence,
                         bool *ret_truncated)
{
        _cleanup_free_ char *sources = NULL;
        int r;

        f->since = security_log_since(ctx);
        r = security_log_scan(ctx, fn, userdata, &sources, ret_truncated);
        if (r >= 0) {
                *ret_evidence = f->last ? strv_join(f->last, "; ") : strdup("");
                r = *ret_evidence ? 0 : -ENOMEM;
        }
        f->last = strv_free(f->last);
        if (r >= 0)
                *ret_sources = TAKE_PTR(sources);
        return r;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"
#include "macro.h"
#include "util.h"

static const char *const transport_table[_MIGRATE_TRANSPORT_MAX] = {
        [MIGRATE_TRANSPORT_TCP] = "tcp",
        [MIGRATE_TRANSPORT_TLS] = "tls",
        [MIGRATE_TRANSPORT_SSH] = "ssh",
};
_Static_assert(ELEMENTSOF(transport_table) == _MIGRATE_TRANSPORT_MAX, "transport names");

const char *migrate_transport_to_string(enum migrate_transport t)
{
        if ((unsigned)t >= _MIGRATE_TRANSPORT_MAX)
                return NULL;
        return transport_table[t];
}

int migrate_transport_from_string(const char *s)
{
        for (unsigned i = 0; s && i < _MIGRATE_TRANSPORT_MAX; i++)
                if (streq(s, transport_table[i]))
                        return (int)i;
        return -EINVAL;
}

static const char *const phase_table[_MIGRATE_PHASE_MAX] = {
        [MIGRATE_PHASE_SETUP] = "setup",
        [MIGRATE_PHASE_COPYING] = "copying",
        [MIGRATE_PHASE_SWITCHOVER] = "switch-over",
        [MIGRATE_PHASE_DONE] = "done",
};
_Static_assert(ELEMENTSOF(phase_table) == _MIGRATE_PHASE_MAX, "phase names");

const char *migrate_phase_to_string(enum migrate_phase p)
{
        if ((unsigned)p >= _MIGRATE_PHASE_MAX)
                return NULL;
        return phase_table[p];
}

void migrate_report_progress(struct migrate_session *s, struct migrate_progress_info *info)
{
        if (!s->params.progress)
                return;
        /* the leg in flight: one more than those completed */
        info->leg = s->stats.migrations + 1;
        s->params.progress(s->params.progress_userdata, info);
}

static const struct migrate_driver *const driver_table[] = {
        &migrate_driver_qemu,
#if HAVE_LIBVIRT
        &migrate_driver_libvirt,
#endif
};

const struct migrate_driver *migrate_driver_find(const char *name)
{
        for (size_t i = 0; name && i < ELEMENTSOF(driver_table); i++)
                if (streq(driver_table[i]->name, name))
                        return driver_table[i];
        return NULL;
}

static int verror(struct migrate_session *s, bool replace, enum migrate_error_kind kind, int err,
                  const char *fmt, va_list ap) _printf_(5, 0);
static int verror(struct migrate_session *s, bool replace, enum migrate_error_kind kind, int err,
                  const char *fmt, va_list ap)
{
        if (replace || !s->error || !*s->error) {
                /* formatted before the old message goes: a replacement may quote it */
                char *text = strdup_vprintf(fmt, ap);

                free(s->error);
                s->error = text;
                s->error_kind = kind;
        }
        return err > 0 ? -err : err;
}

int migrate_error(struct migrate_session *s, int err, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = verror(s, false, MIGRATE_ERROR_OTHER, err, fmt, ap);
        va_end(ap);
        return r;
}

int migrate_error_as(struct migrate_session *s, enum migrate_error_kind kind, int err, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = verror(s, false, kind, err, fmt, ap);
        va_end(ap);
        return r;
}

int migrate_error_replace(struct migrate_session *s, int err, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = verror(s, true, MIGRATE_ERROR_OTHER, err, fmt, ap);
        va_end(ap);
        return r;
}

void migrate_error_append(struct migrate_session *s, const char *fmt, ...)
{
        _cleanup_free_ char *tail = NULL;
        char *joined;
        va_list ap;

        va_start(ap, fmt);
        tail = strdup_vprintf(fmt, ap);
        va_end(ap);
        joined = tail ? strdup_printf("%s%s", strempty(s->error), tail) : NULL;
        if (!joined)
                return;
        free(s->error);
        s->error = joined;
}

static char *dup_or_null(const char *s, bool *oom)
{
        char *d;

        if (!s)
                return NULL;
        d = strdup(s);
        if (!d)
                *oom = true;
        return d;
}

static void params_free(struct migrate_params *p)
{
        free((char *)p->source_uri);
        free((char *)p->dest_host);
        free((char *)p->dest_uri);
        free((char *)p->guest_name);
        free((char *)p->canary_kernel);
        free((char *)p->canary_cmdline);
        free((char *)p->disk);
        free((char *)p->state_dir);
        free((char *)p->emulator);
}

int migrate_session_new(const struct migrate_driver *driver, const struct migrate_params *params,
                        struct migrate_session **ret)
{
        _cleanup_(migrate_session_freep) struct migrate_session *s = NULL;
        bool oom = false;

        if (!driver || !params || (unsigned)params->transport >= _MIGRATE_TRANSPORT_MAX)
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->wake_fd[0] = s->wake_fd[1] = -1;
        s->params = *params;
        s->params.source_uri = dup_or_null(params->source_uri, &oom);
        s->params.dest_host = dup_or_null(params->dest_host, &oom);
        s->params.dest_uri = dup_or_null(params->dest_uri, &oom);
        s->params.guest_name = dup_or_null(params->guest_name, &oom);
        s->params.canary_kernel = dup_or_null(params->canary_kernel, &oom);
        s->params.canary_cmdline = dup_or_null(params->canary_cmdline, &oom);
        s->params.disk = dup_or_null(params->disk, &oom);
        s->params.state_dir = dup_or_null(params->state_dir, &oom);
        s->params.emulator = dup_or_null(params->emulator, &oom);
        if (oom)
                return -ENOMEM;
        if (!s->params.completion_timeout_ms)
                s->params.completion_timeout_ms = MIGRATE_DEFAULT_COMPLETION_TIMEOUT_MS;
        if (!s->params.stall_timeout_ms)
                s->params.stall_timeout_ms = MIGRATE_DEFAULT_STALL_TIMEOUT_MS;
        if (!s->params.canary_mem_mib)
                s->params.canary_mem_mib = MIGRATE_DEFAULT_CANARY_MEM_MIB;
        if (pipe2(s->wake_fd, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        s->driver = driver;
        *ret = TAKE_PTR(s);
        return 0;
}

struct migrate_session *migrate_session_free(struct migrate_session *s)
{
        if (!s)
                return NULL;
        if (s->driver) {
                migrate_session_cleanup(s);
                if (s->driver->free)
                        s->driver->free(s);
        }
        params_free(&s->params);
        free(s->error);
        if (s->wake_fd[0] >= 0)
                close(s->wake_fd[0]);
        if (s->wake_fd[1] >= 0)
                close(s->wake_fd[1]);
        free(s);
        return NULL;
}

int migrate_session_cleanup(struct migrate_session *s)
{
        if (!s->driver->cleanup)
                return 0;
        return s->driver->cleanup(s);
}

int migrate_session_run(struct migrate_session *s)
{
        unsigned legs = s->params.round_trip ? 2 : 1;
        int r, k;

        r = s->driver->prepare(s);
        if (r >= 0)
                r = s->driver->start(s);
        for (unsigned i = 0; r >= 0 && i < legs; i++) {
                r = s->driver->migrate(s);
                if (r >= 0)
                        r = s->driver->verify(s);
        }
        k = migrate_session_cleanup(s);
        return r < 0 ? r : k;
}

const char *migrate_session_error(const struct migrate_session *s)
{
        return strempty(s->error);
}

enum migrate_error_kind migrate_session_error_kind(const struct migrate_session *s)
{
        return s->error_kind;
}

const struct migrate_stats *migrate_session_stats(const struct migrate_session *s)
{
        return &s->stats;
}

int migrate_session_peek(struct migrate_session *s, struct canary_block *ret)
{
        if (!s->driver->peek || !s->priv)
                return -EOPNOTSUPP;
        return s->driver->peek(s, ret);
}

void migrate_session_interrupt(struct migrate_session *s)
{
        int saved = errno;
        ssize_t n _unused_;

        s->interrupted = 1;
        n = write(s->wake_fd[1], "x", 1);
        errno = saved;
}

int migrate_session_sleep(struct migrate_session *s, unsigned ms)
{
        struct pollfd p = {.fd = s->wake_fd[0], .events = POLLIN};

        if (s->interrupted)
                return -ECANCELED;
        if (poll(&p, 1, (int)ms) < 0 && errno != EINTR)
                return -errno;
        return s->interrupted ? -ECANCELED : 0;
}

void migrate_progress_init(struct migrate_progress *p, uint64_t now_us)
{
        *p = (struct migrate_progress){
                .started_us = now_us,
                .last_progress_us = now_us,
                .best_dirty_set = UINT64_MAX,
        };
}

bool migrate_progress_update(struct migrate_progress *p, uint64_t now_us, unsigned stall_timeout_ms,
                             uint64_t iteration, uint64_t remaining, uint64_t transferred)
{
        bool progress = false;

        if (iteration > p->last_iteration && iteration >= 2) {
                /* a pass ended: what is left now is the memory dirtied during the previous pass */
                if (remaining < p->best_dirty_set - p->best_dirty_set / 10 ||
                    p->best_dirty_set == UINT64_MAX) {
                        p->best_dirty_set = remaining;
                        p->passes_without_shrink = 0;
                        progress = true;
                } else
                        p->passes_without_shrink += (unsigned)(iteration - p->last_iteration);
        } else if (iteration <= 1 && transferred > p->max_transferred)
                progress = true; /* first pass: anything moving is progress */
        if (iteration > p->last_iteration)
                p->last_iteration = iteration;
        /* the most ever sent: a later look that says less (a counter read while the job changes state)
         * neither hides that data did arrive nor counts as progress when it reads more again */
        if (transferred > p->max_transferred) {
                if (!p->max_transferred)
                        p->first_data_us = now_us;
                p->max_transferred = transferred;
        }
        if (progress)
                p->last_progress_us = now_us;
        if (now_us - p->last_progress_us < (uint64_t)stall_timeout_ms * 1000)
                return false;
        return iteration <= 1 || p->passes_without_shrink >= 2;
}

int migrate_error_no_progress(struct migrate_session *s, const struct migrate_progress *p,
                              const struct migrate_no_progress *np)
{
        double mib = 1024.0 * 1024.0, stall_s = (np->now_us - p->last_progress_us) / 1e6, moving_s;
        char limit[32] = "none";

        if (!p->max_transferred)
                return migrate_error_as(
                        s, MIGRATE_ERROR_PORTS_BLOCKED, ETIMEDOUT,
                        "no migration data reached the destination in %.1f s: the migration ports (%s) are probably blocked between source and destination",
                        (np->now_us - p->started_us) / 1e6, np->ports);
        if (np->bandwidth_bps && np->dirty_rate_bps >= np->bandwidth_bps)
                return migrate_error_as(
                        s, MIGRATE_ERROR_STALLED, ETIMEDOUT,
                        "migration makes no progress: the guest dirties memory at %.1f MiB/s, more than the bandwidth of %.1f MiB/s can carry (%.1f MiB still to copy, no progress for %.1f s); raise the bandwidth limit, enable auto-converge or post-copy, or migrate when the guest is quieter",
                        np->dirty_rate_bps / mib, np->bandwidth_bps / mib, np->remaining / mib, stall_s);
        /* data did get through, so the ports are open: what is short is CPU, bandwidth or convergence */
        moving_s = (p->last_progress_us - p->first_data_us) / 1e6;
        if (np->bandwidth_bps)
                snprintf(limit, sizeof(limit), "%.1f MiB/s", np->bandwidth_bps / mib);
        return migrate_error_as(
                s, MIGRATE_ERROR_STALLED, ETIMEDOUT,
                "migration made no progress for %.1f s after %.1f MiB had reached the destination (%.1f MiB/s while it moved; dirty rate %.1f MiB/s, bandwidth limit %s, %.1f MiB still to copy): the ports are open; the source or destination is short of CPU, the link of bandwidth, or the guest dirties memory as fast as it is copied",
                stall_s, p->max_transferred / mib, moving_s > 0 ? p->max_transferred / mib / moving_s : 0.0,
                np->dirty_rate_bps / mib, limit, np->remaining / mib);
}

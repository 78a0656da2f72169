/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Old runs pruned by the policy in apply_options.prune: a run goes when it is not among the last
 * keep_runs and began more than keep_days ago. Never the latest run (what `hostprep rollback` without an
 * id undoes), never the run just made, and never one that is not closed: "applying" (a crash: the next
 * rollback undoes it), "failed" (kept on failure: its changes are still in place), "rolling-back" and
 * "rollback-failed" (rollback must be tried again). A run is renamed to a dot name before it is removed,
 * so a crash halfway leaves no half run that rollback could pick; such leftovers go at the next prune.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply-internal.h"
#include "journal.h"
#include "strv.h"

#define PRUNED_PREFIX ".pruned-"

static bool run_closed(const char *state)
{
        return streq(state, "applied") || streq(state, "rolled-back");
}

/* When run id began (its name: UTC "YYYYmmddTHHMMSSZ-NNN"); -1 when the name says no time. */
static time_t run_id_time(const char *id)
{
        struct tm tm = {0};
        const char *end = strptime(id, "%Y%m%dT%H%M%SZ", &tm);

        return end && *end == '-' ? timegm(&tm) : (time_t)-1;
}

/* Removes name below dfd with what it holds (a run: its journal, files/ with the copies), at most depth
 * directories deep. */
static int remove_tree_at(int dfd, const char *name, unsigned depth)
{
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r = 0;
        DIR *d;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        for (struct dirent *e; r >= 0 && (e = readdir(d));) {
                if (streq(e->d_name, ".") || streq(e->d_name, ".."))
                        continue;
                if (e->d_type == DT_DIR && depth > 0)
                        r = remove_tree_at(dirfd(d), e->d_name, depth - 1);
                else if (unlinkat(dirfd(d), e->d_name, 0) < 0)
                        r = -errno;
        }
        closedir(d);
        if (r >= 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0)
                r = -errno;
        return r;
}

static bool keep_run(const struct run *run, const struct apply_run_info *runs, size_t n, size_t i,
                     time_t now)
{
        const struct apply_prune_policy *p = run->o->prune;
        time_t began = run_id_time(runs[i].id);

        return i + p->keep_runs >= n || i + 1 == n || streq(runs[i].id, run->id) ||
               !run_closed(runs[i].state) || began < 0 || now - began < (time_t)p->keep_days * 86400;
}

/* What a prune interrupted by a crash left: runs already taken out of the list. */
static void remove_leftovers(int runs_fd)
{
        _cleanup_(strv_freep) char **names = NULL;
        int fd = dup(runs_fd);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        for (struct dirent *e; (e = readdir(d));)
                if (startswith(e->d_name, PRUNED_PREFIX) && strv_push_dup(&names, e->d_name) < 0)
                        break;
        closedir(d);
        STRV_FOREACH (n, names)
                (void)remove_tree_at(runs_fd, *n, 3);
}

int run_prune(struct run *run, time_t now, char ***ret_pruned)
{
        _cleanup_(strv_freep) char **pruned = NULL;
        _cleanup_close_ int runs_fd = -1;
        struct apply_run_info *runs = NULL;
        size_t n = 0;
        int r;

        if (!run->o->prune)
                return 0;
        runs_fd = openat(run->state_fd, "runs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (runs_fd < 0)
                return errno == ENOENT ? 0 : -errno;
        remove_leftovers(runs_fd);
        r = apply_list_runs(run->o, &runs, &n);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *gone = NULL;

                if (keep_run(run, runs, n, i, now))
                        continue;
                gone = strdup_printf(PRUNED_PREFIX "%s", runs[i].id);
                if (!gone || strv_push_dup(&pruned, runs[i].id) < 0)
                        r = -ENOMEM;
                else if (renameat(runs_fd, runs[i].id, runs_fd, gone) < 0 || fsync(runs_fd) < 0)
                        r = -errno;
                else {
                        r = remove_tree_at(runs_fd, gone, 3);
                        log_change(run->o, &(struct log_fields){.run = runs[i].id},
                                   "run %s pruned (older than %u days and not among the last %u)",
                                   runs[i].id, run->o->prune->keep_days, run->o->prune->keep_runs);
                }
        }
        if (r < 0)
                log_change(run->o, &(struct log_fields){.run = run->id}, "pruning old runs stopped: %s",
                           strerror(-r));
        apply_run_info_free_many(runs, n);
        if (ret_pruned)
                *ret_pruned = TAKE_PTR(pruned);
        return r;
}

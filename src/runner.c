/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "runner.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "results-json.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* How long past the deadline a child may take to hand over what it has. */
#define RUNNER_GRACE_USEC (250 * USEC_PER_MSEC)

/* The runner's own results, about a unit rather than from it: their id is the unit's. */
enum {
        RUNNER_NOT_APPLICABLE,
        RUNNER_TIMEOUT,
        RUNNER_CRASHED,
        RUNNER_NO_RESULTS,
        RUNNER_UNDECIDED,
        RUNNER_UNDECLARED,
        _RUNNER_RESULT_MAX,
};

#define RUNNER_HINT "run with a longer --timeout, or check the host by hand"

const struct result_def runner_results[] = {
        [RUNNER_NOT_APPLICABLE] = {NULL, STATUS_SKIP, "not_applicable"},
        [RUNNER_TIMEOUT] = {NULL, STATUS_ERROR, "timeout", RUNNER_HINT},
        [RUNNER_CRASHED] = {NULL, STATUS_ERROR, "crashed", RUNNER_HINT},
        [RUNNER_NO_RESULTS] = {NULL, STATUS_ERROR, "no_results", RUNNER_HINT},
        [RUNNER_UNDECIDED] = {NULL, STATUS_ERROR, "undecided", RUNNER_HINT},
        [RUNNER_UNDECLARED] =
                {NULL, STATUS_ERROR, "undeclared_result",
                 "a bug in hostprep: the unit's result table must declare every result it gives"},
};
const size_t runner_results_size = ELEMENTSOF(runner_results);
_Static_assert(ELEMENTSOF(runner_results) == _RUNNER_RESULT_MAX, "runner_results out of step");

static bool pattern_matches(const char *pattern, const char *id)
{
        return fnmatch(pattern, id, 0) == 0;
}

static bool patterns_match_unit(char *const *patterns, const struct unit *u)
{
        STRV_FOREACH (p, patterns) {
                if (pattern_matches(*p, u->id))
                        return true;
                for (size_t i = 0; i < u->n_results; i++)
                        if (pattern_matches(*p, u->results[i].id))
                                return true;
        }
        return false;
}

int selection_validate(const struct selection *sel, const struct unit *const *units, size_t n_units,
                       char *const *extra_ids, const char **ret_bad)
{
        char *const *lists[] = {sel->only, sel->skip};

        for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                STRV_FOREACH (p, lists[l]) {
                        char *one[] = {*p, NULL};
                        bool found = false;

                        for (size_t i = 0; i < n_units && !found; i++)
                                found = patterns_match_unit(one, units[i]);
                        STRV_FOREACH (id, extra_ids)
                                found = found || pattern_matches(*p, *id);
                        if (!found) {
                                *ret_bad = *p;
                                return -ENOENT;
                        }
                }
        return 0;
}

bool selection_unit(const struct selection *sel, const struct unit *u)
{
        if (sel->only && !patterns_match_unit(sel->only, u))
                return false;
        STRV_FOREACH (p, sel->skip)
                if (pattern_matches(*p, u->id))
                        return false;
        return true;
}

bool selection_id(const struct selection *sel, const char *group_id, const char *result_id)
{
        bool wanted = !sel->only;

        STRV_FOREACH (p, sel->only)
                if (pattern_matches(*p, group_id) || pattern_matches(*p, result_id))
                        wanted = true;
        STRV_FOREACH (p, sel->skip)
                if (pattern_matches(*p, group_id) || pattern_matches(*p, result_id))
                        return false;
        return wanted;
}

bool selection_result(const struct selection *sel, const struct unit *u, const char *result_id)
{
        bool wanted = !sel->only;

        STRV_FOREACH (p, sel->only)
                if (pattern_matches(*p, u->id) || pattern_matches(*p, result_id))
                        wanted = true;
        STRV_FOREACH (p, sel->skip)
                if (pattern_matches(*p, result_id))
                        return false;
        return wanted;
}

struct job {
        const struct unit *unit;
        pid_t pid;
        int fd;
        char *buf;
        size_t len;
        bool done;      /* EOF seen */
        bool timed_out; /* abandoned at the deadline */
        int wait_status;
        bool reaped;
};

/* In the child: run the check, hand the results to the parent as JSON, never return. */
static _Noreturn void job_child(struct check_ctx *ctx, const struct unit *u, int fd)
{
        struct result_list results = {0};
        struct check_ctx child = *ctx;
        json_object *o;
        int null_fd;
        const char *s;
        size_t len;
        int r;

        /* units never print; and a unit abandoned while stuck in the kernel must not keep hostprep's output
         * (a peer's SSH channel, a pipe) open */
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd >= 0) {
                for (int i = 0; i < 3; i++)
                        (void)dup2(null_fd, i);
                close(null_fd);
        }
        child.results = &results;
        r = u->check(&child);
        o = json_object_new_object();
        json_object_object_add(o, "rc", json_object_new_int(r));
        json_object_object_add(o, "results", results_to_json(&results));
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        len = strlen(s);
        while (len > 0) {
                ssize_t n = write(fd, s, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        _exit(3);
                s += n;
                len -= (size_t)n;
        }
        _exit(0);
}

static int job_start(struct job *j, struct check_ctx *ctx)
{
        int p[2];

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        fflush(stdout);
        fflush(stderr);
        j->pid = fork();
        if (j->pid < 0) {
                int r = -errno;
                close(p[0]);
                close(p[1]);
                return r;
        }
        if (j->pid == 0) {
                close(p[0]);
                job_child(ctx, j->unit, p[1]);
        }
        close(p[1]);
        j->fd = p[0];
        return 0;
}

/* >0: got some; 0: nothing now, or the end (j->done set); <0: error. */
static int job_read(struct job *j)
{
        char chunk[8192];
        ssize_t n;

        n = read(j->fd, chunk, sizeof(chunk));
        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 0 : -errno;
        if (n == 0) {
                j->done = true;
                return 0;
        }
        if (j->len + (size_t)n > 16u * 1024 * 1024)
                return -EFBIG;
        char *nb = realloc(j->buf, j->len + (size_t)n + 1);
        if (!nb)
                return -ENOMEM;
        memcpy(nb + j->len, chunk, (size_t)n);
        j->buf = nb;
        j->len += (size_t)n;
        j->buf[j->len] = '\0';
        return 1;
}

/* A result the unit's table does not declare is a bug in the unit: it is reported, never passed on. */
static int collect_result(struct check_ctx *ctx, const struct unit *u, const struct result *res)
{
        if (unit_declares(u, res))
                return result_list_add_copy(ctx->results, res);
        return result_list_add_def(
                ctx->results, &runner_results[RUNNER_UNDECLARED], u->id, NULL, NULL,
                "unit %s gave %s (%s, reason %s), which its result table does not declare", u->id, res->id,
                status_to_json(res->status), strna(res->reason));
}

/* Turns what a child handed over (or did not) into results. */
static int job_collect(struct check_ctx *ctx, const struct selection *sel, struct job *j, usec_t timeout)
{
        _cleanup_free_ char *why = NULL;
        const struct result_def *error = NULL;
        struct result_list got = {0};
        json_object *o = NULL, *rc = NULL, *arr = NULL;
        int r = 0;

        if (j->timed_out) {
                error = &runner_results[RUNNER_TIMEOUT];
                why = strdup_printf(
                        "did not finish within the deadline of %.1f s (abandoned; see --timeout)",
                        (double)timeout / USEC_PER_SEC);
        } else if (j->reaped && WIFSIGNALED(j->wait_status)) {
                error = &runner_results[RUNNER_CRASHED];
                why = strdup_printf("check crashed (signal %d)", WTERMSIG(j->wait_status));
        } else {
                o = j->buf ? json_tokener_parse(j->buf) : NULL;
                if (!o || !json_object_object_get_ex(o, "rc", &rc) ||
                    !json_object_object_get_ex(o, "results", &arr) ||
                    results_from_json(arr, &got, NULL) < 0) {
                        error = &runner_results[RUNNER_NO_RESULTS];
                        why = j->reaped && WIFEXITED(j->wait_status) && WEXITSTATUS(j->wait_status) != 0
                                      ? strdup_printf(
                                                "check ended without reporting results (exit status %d)",
                                                WEXITSTATUS(j->wait_status))
                                      : strdup("check ended without reporting results");
                }
        }

        if (!error && json_object_get_int(rc) < 0) {
                error = &runner_results[RUNNER_UNDECIDED];
                why = strdup_printf("could not decide: %s", strerror(-json_object_get_int(rc)));
        }

        for (size_t i = 0; i < got.n && r >= 0; i++) {
                struct result *res = &got.items[i];
                if (selection_result(sel, j->unit, res->id))
                        r = collect_result(ctx, j->unit, res);
        }
        if (error && r >= 0)
                r = result_list_add_def(ctx->results, error, j->unit->id, NULL, NULL, "%s", strna(why));
        result_list_done(&got);
        json_object_put(o);
        return r;
}

static void job_abandon(struct job *j)
{
        kill(j->pid, SIGKILL);
        /* A child stuck in D state cannot be reaped now; try once and leave it to init otherwise. */
        if (waitpid(j->pid, &j->wait_status, WNOHANG) == j->pid)
                j->reaped = true;
        j->timed_out = true;
}

static int not_applicable(struct check_ctx *ctx, const struct unit *u)
{
        _cleanup_free_ char *need = roles_to_string(u->roles), *have = roles_to_string(ctx->roles);

        return result_list_add_def(ctx->results, &runner_results[RUNNER_NOT_APPLICABLE], u->id, NULL, NULL,
                                   "not applicable: applies to %s; %s has role %s in profile %s",
                                   strna(need), ctx->hostname, strna(have), strna(ctx->profile->name));
}

int runner_run(struct check_ctx *ctx, const struct unit *const *units, size_t n_units,
               const struct selection *sel)
{
        _cleanup_free_ struct job *jobs = calloc(n_units, sizeof(struct job));
        usec_t start = now_usec(), timeout = ctx->deadline > start ? ctx->deadline - start : 0;
        size_t running = 0;
        int r = 0;

        if (!jobs)
                return -ENOMEM;

        for (size_t i = 0; i < n_units; i++) {
                struct job *j = &jobs[i];

                j->unit = units[i];
                j->fd = -1;
                if (!selection_unit(sel, j->unit) || !(j->unit->roles & ctx->roles))
                        continue;
                r = job_start(j, ctx);
                if (r < 0)
                        goto finish;
                running++;
        }

        while (running > 0) {
                struct pollfd pfd[n_units];
                size_t idx[n_units], n = 0;
                usec_t now = now_usec(), until = ctx->deadline + RUNNER_GRACE_USEC;
                int k;

                if (now >= until) {
                        for (size_t i = 0; i < n_units; i++)
                                if (jobs[i].fd >= 0 && !jobs[i].done)
                                        job_abandon(&jobs[i]);
                        break;
                }
                for (size_t i = 0; i < n_units; i++)
                        if (jobs[i].fd >= 0 && !jobs[i].done) {
                                pfd[n] = (struct pollfd){.fd = jobs[i].fd, .events = POLLIN};
                                idx[n++] = i;
                        }
                /* wake up now and then: a unit that exited is done even when a process it forked (a
                 * statfs stuck on a dead NFS mount) still holds its pipe open */
                k = poll(pfd, n, (int)MIN((until - now + 999) / 1000, 50));
                if (k < 0 && errno != EINTR) {
                        r = -errno;
                        goto finish;
                }
                for (size_t m = 0; m < n; m++) {
                        struct job *j = &jobs[idx[m]];

                        if (j->done || waitpid(j->pid, &j->wait_status, WNOHANG) != j->pid)
                                continue;
                        j->reaped = true;
                        /* it wrote everything before exiting: take what is in the pipe */
                        fcntl(j->fd, F_SETFL, O_NONBLOCK);
                        while (!j->done && job_read(j) > 0)
                                ;
                        j->done = true;
                        running--;
                        pfd[m].revents = 0;
                }
                for (size_t m = 0; k > 0 && m < n; m++) {
                        struct job *j = &jobs[idx[m]];

                        if (j->done || !(pfd[m].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        if (job_read(j) < 0)
                                j->done = true;
                        if (j->done) {
                                running--;
                                if (!j->reaped && waitpid(j->pid, &j->wait_status, 0) == j->pid)
                                        j->reaped = true;
                        }
                }
        }

finish:
        for (size_t i = 0; i < n_units; i++) {
                struct job *j = &jobs[i];

                if (r >= 0 && !selection_unit(sel, j->unit))
                        continue;
                if (r >= 0 && !(j->unit->roles & ctx->roles))
                        r = not_applicable(ctx, j->unit);
                else if (r >= 0 && j->pid > 0)
                        r = job_collect(ctx, sel, j, timeout);
                if (j->fd >= 0)
                        close(j->fd);
                if (j->pid > 0 && !j->reaped && !j->timed_out) {
                        kill(j->pid, SIGKILL);
                        waitpid(j->pid, NULL, 0);
                }
                free(j->buf);
        }
        return r;
}

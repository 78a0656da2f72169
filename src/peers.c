/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Peers: hostprep on the other hosts of a profile, reached with the system's OpenSSH client. */
#include "peers.h"

#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#include "json-util.h"
#include "pathnames.h"
#include "results-json.h"
#include "spawn.h"
#include "strv.h"
#include "template.h"

#define PEER_RUNTIME_DIR PATH_HOSTPREP_RUNTIME_DIR

void peer_reports_free(struct peer_report *p, size_t n)
{
        for (size_t i = 0; p && i < n; i++) {
                free(p[i].host);
                free(p[i].hostname);
                for (int r = 0; r < _ROLE_MAX; r++)
                        free(p[i].role_why[r]);
                result_list_done(&p[i].results);
                json_object_put(p[i].facts);
        }
        free(p);
}

int peers_ssh_options(const struct conf *profile, struct ssh_options *ret)
{
        const char *port = conf_get(profile, "ssh", "port"),
                   *timeout = conf_get(profile, "ssh", "connect_timeout");
        unsigned p = 0, t = 0;

        if (port && safe_atou(port, &p) < 0)
                return -EINVAL;
        if (timeout && safe_atou(timeout, &t) < 0)
                return -EINVAL;
        *ret = (struct ssh_options){
                .user = conf_get(profile, "ssh", "user"),
                .identity = conf_get(profile, "ssh", "identity"),
                .known_hosts = conf_get(profile, "ssh", "known_hosts"),
                .port = p,
                .connect_timeout = t,
        };
        return 0;
}

char *profile_to_text(const struct conf *c)
{
        _cleanup_(strv_freep) char **lines = NULL, **sections = NULL;
        _cleanup_free_ char *entries = NULL, *text = NULL, *error = NULL;

        /* entries in order, grouped by section (a later value of a key already replaced the earlier) */
        for (size_t i = 0; i < c->n_entries; i++)
                if (!strv_contains(sections, c->entries[i].section) &&
                    strv_push_dup(&sections, c->entries[i].section) < 0)
                        return NULL;
        STRV_FOREACH (s, sections) {
                if (strv_push(&lines, strdup_printf("[%s]", *s)) < 0)
                        return NULL;
                for (size_t i = 0; i < c->n_entries; i++)
                        /* a value starting with '#' or ';' ("key =#x") reads back only without the space:
                         * after one, the loader takes it for a comment */
                        if (streq(c->entries[i].section, *s) &&
                            strv_push(&lines,
                                      strdup_printf("%s =%s%s", c->entries[i].key,
                                                    c->entries[i].value[0] &&
                                                                    strchr("#;", c->entries[i].value[0])
                                                            ? ""
                                                            : " ",
                                                    c->entries[i].value)) < 0)
                                return NULL;
        }
        /* templates/peer-profile.conf: under a line that says where it came from */
        entries = strv_join(lines, "\n");
        const struct template_value v[] = {{"ENTRIES", entries}};
        if (!entries || template_render_file(template_default_dirs(), "peer-profile.conf", v, ELEMENTSOF(v),
                                             &text, &error) < 0)
                return NULL;
        return TAKE_PTR(text);
}

/* A private directory for the ControlMaster sockets of this run. */
static int make_control_dir(char **ret)
{
        _cleanup_free_ char *dir = NULL;

        if (mkdir(PEER_RUNTIME_DIR, 0700) < 0 && errno != EEXIST)
                return -errno;
        dir = strdup(PEER_RUNTIME_DIR "/ssh.XXXXXX");
        if (!dir)
                return -ENOMEM;
        if (!mkdtemp(dir))
                return -errno;
        *ret = TAKE_PTR(dir);
        return 0;
}

/* What hostprep says about a peer it could not get a report from. */
static const struct result_def peer_unreachable = {"peer.reach", STATUS_ERROR, "no_report",
                                                   "check the peer by hand: ssh root@PEER hostprep check"};

static int peer_fail(struct peer_report *p, const char *fmt, ...) _printf_(2, 3);
static int peer_fail(struct peer_report *p, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        return result_list_add_def(&p->results, &peer_unreachable, NULL, NULL, NULL, "%s",
                                   msg ? msg : "peer failed");
}

static char *first_line(const char *s)
{
        s = strempty(s);
        while (*s == '\n')
                s++;
        return strndup(s, strcspn(s, "\n"));
}

/* Why the peer has its roles, as its report says (host.role_reasons, host.roles_detected; older peers
 * give neither). */
static void peer_role_reasons(struct peer_report *p, json_object *host)
{
        json_object *reasons, *detected;

        if (json_object_object_get_ex(host, "roles_detected", &detected))
                p->roles_detected = json_object_get_boolean(detected);
        if (!json_object_object_get_ex(host, "role_reasons", &reasons) ||
            !json_object_is_type(reasons, json_type_object))
                return;
        json_object_object_foreach(reasons, name, why)
        {
                enum role role = role_from_string(name);

                if (role >= 0 && json_object_is_type(why, json_type_string) && !p->role_why[role])
                        p->role_why[role] = strdup(json_object_get_string(why));
        }
}

/* The roles and name the peer gives itself, from its report's "host" object. */
static void peer_host_from_json(struct peer_report *p, json_object *o)
{
        json_object *host, *name, *roles;

        if (!json_object_object_get_ex(o, "host", &host) || !json_object_is_type(host, json_type_object))
                return;
        if (json_object_object_get_ex(host, "name", &name) && json_object_is_type(name, json_type_string))
                p->hostname = strdup(json_object_get_string(name));
        if (json_object_object_get_ex(host, "roles", &roles) && json_object_is_type(roles, json_type_array))
                for (size_t i = 0; i < json_object_array_length(roles); i++) {
                        enum role role = role_from_string(
                                json_object_get_string(json_object_array_get_idx(roles, i)));
                        if (role >= 0)
                                p->roles |= ROLE_BIT(role);
                }
        peer_role_reasons(p, host);
}

int peer_report_from_json(struct peer_report *p, const char *text, size_t len)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *error = NULL;
        enum json_tokener_error jerr;
        json_tokener *tok;
        json_object *v;
        size_t end;

        /* the peer is not trusted to be sane: its report is bounded in size and in nesting */
        if (len > PEER_REPORT_MAX)
                return peer_fail(p,
                                 "%s answered with more than %u MiB (the most hostprep reads from a peer)",
                                 p->host, PEER_REPORT_MAX / (1024u * 1024u));
        tok = json_tokener_new_ex(PEER_JSON_DEPTH);
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, strempty(text), (int)len);
        jerr = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (jerr == json_tokener_error_depth)
                return peer_fail(
                        p, "%s answered with JSON nested deeper than %d levels (the most hostprep reads)",
                        p->host, PEER_JSON_DEPTH);
        if (!o || jerr != json_tokener_success)
                return peer_fail(p, "%s answered with malformed JSON (%s at byte %zu)", p->host,
                                 jerr == json_tokener_continue ? "it ends early"
                                                               : json_tokener_error_desc(jerr),
                                 end);

        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "results", &v) ||
            results_from_json(v, &p->results, &error) < 0) {
                result_list_done(&p->results);
                return peer_fail(p, "%s answered with a report hostprep cannot read: %s", p->host,
                                 error ? error : "no results");
        }
        peer_host_from_json(p, o);
        if (json_object_object_get_ex(o, "facts", &v) && json_object_is_type(v, json_type_object))
                p->facts = json_object_get(v);
        p->reached = true;
        return 0;
}

/* Turns one peer's ssh run into its report. */
static int peer_parse(struct peer_report *p, const struct spawn_job *j, usec_t timeout)
{
        _cleanup_free_ char *err = first_line(j->err);
        enum ssh_failure f = ssh_classify(j->exit_status, j->timed_out, j->err);

        if (f == SSH_TIMEOUT)
                return peer_fail(p, "%s: no report within %.1f s (%s)", p->host,
                                 (double)timeout / USEC_PER_SEC, err && *err ? err : "timed out");
        if (j->exit_status == 255 || j->spawn_failed)
                return peer_fail(p, "cannot reach %s over SSH: %s%s%s%s", p->host,
                                 j->spawn_failed ? "ssh is not installed" : ssh_failure_to_string(f),
                                 err && *err ? " [" : "", strempty(err), err && *err ? "]" : "");
        if (j->exit_status == 127)
                return peer_fail(p, "hostprep is not installed on %s (or not where [ssh] hostprep says): %s",
                                 p->host, strempty(err));
        if (j->exit_status == 2)
                return peer_fail(p, "hostprep on %s refused the run: %s", p->host, strempty(err));
        return peer_report_from_json(p, j->out, j->out_len);
}

static usec_t realtime_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (usec_t)ts.tv_sec * USEC_PER_SEC + (usec_t)ts.tv_nsec / 1000;
}

/* ---- one SSH fan-out ---- */

void peers_exec_done(struct peers_exec *e)
{
        for (size_t i = 0; e->argvs && i < e->n; i++)
                strv_free(e->argvs[i]);
        e->argvs = mfree(e->argvs);
        spawn_jobs_free(e->jobs, e->n);
        e->jobs = NULL;
        e->n = 0;
}

int peers_exec_start(const struct ssh_options *o, char *const *hosts, char *const *remote_argv,
                     const char *input, struct peers_exec *ret)
{
        struct peers_exec e = {.n = strv_length(hosts)};
        int r = 0;

        e.jobs = calloc(e.n ? e.n : 1, sizeof(*e.jobs));
        e.argvs = calloc(e.n ? e.n : 1, sizeof(*e.argvs));
        if (!e.jobs || !e.argvs)
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < e.n; i++) {
                r = ssh_argv(o, hosts[i], remote_argv, &e.argvs[i]);
                /* one byte more than a report may have: an oversized one is told from one that fits */
                e.jobs[i] = (struct spawn_job){.argv = e.argvs[i],
                                               .input = input,
                                               .input_len = input ? strlen(input) : 0,
                                               .output_max = PEER_REPORT_MAX + 1};
        }
        for (size_t i = 0; r >= 0 && i < e.n; i++)
                r = spawn_start(&e.jobs[i]);
        if (r < 0) {
                peers_exec_done(&e);
                return r;
        }
        *ret = e;
        return 0;
}

int peers_exec_wait(struct peers_exec *e, usec_t deadline)
{
        return spawn_wait_many(e->jobs, e->n, deadline);
}

int peers_exec(const struct ssh_options *o, char *const *hosts, char *const *remote_argv, const char *input,
               usec_t deadline, struct peers_exec *ret)
{
        struct peers_exec e;
        int r;

        r = peers_exec_start(o, hosts, remote_argv, input, &e);
        if (r < 0)
                return r;
        r = peers_exec_wait(&e, deadline);
        if (r < 0) {
                peers_exec_done(&e);
                return r;
        }
        *ret = e;
        return 0;
}

/* The peer's clock against ours: `date +%s%N` over the already open connection, midpoint estimate. */
static void peers_clock(const struct ssh_options *o, struct peer_report *p, size_t n, usec_t deadline)
{
        char *date[] = {(char *)"date", (char *)"+%s%N", NULL};

        for (size_t i = 0; i < n; i++) {
                _cleanup_(strv_freep) char **argv = NULL;
                struct spawn_job j = {0};
                usec_t t0, t1;
                unsigned long long ns;

                if (!p[i].reached || ssh_argv(o, p[i].host, date, &argv) < 0)
                        continue;
                j.argv = argv;
                t0 = realtime_usec();
                spawn_run(&j, deadline);
                t1 = realtime_usec();
                if (j.exit_status == 0 && j.out && sscanf(j.out, "%llu", &ns) == 1) {
                        p[i].clock_offset = ((double)ns / 1e9) - (double)(t0 + t1) / 2 / USEC_PER_SEC;
                        p[i].clock_error = (double)(t1 - t0) / 2 / USEC_PER_SEC;
                        p[i].clock_known = true;
                }
                spawn_job_done(&j);
        }
}

/* Asks every host's multiplexing master to exit, all at once. */
static void close_masters(const struct ssh_options *o, char *const *hosts)
{
        size_t n = strv_length(hosts);
        _cleanup_free_ struct spawn_job *jobs = calloc(n ? n : 1, sizeof(*jobs));
        char ***argvs = calloc(n ? n : 1, sizeof(*argvs));

        for (size_t i = 0; jobs && argvs && i < n; i++) {
                if (ssh_exit_argv(o, hosts[i], &argvs[i]) < 0)
                        continue;
                jobs[i] = (struct spawn_job){.argv = argvs[i]};
                (void)spawn_start(&jobs[i]);
        }
        if (jobs && argvs)
                (void)spawn_wait_many(jobs, n, now_usec() + 2 * USEC_PER_SEC);
        for (size_t i = 0; jobs && argvs && i < n; i++) {
                spawn_job_done(&jobs[i]);
                strv_free(argvs[i]);
        }
        free(argvs);
}

/* ---- hostprep on every peer ---- */

/* How often the progress function hears while peers_finish() waits. */
#define PEERS_PROGRESS_USEC (200 * USEC_PER_MSEC)
#define MIN_USEC(a, b)      ((a) < (b) ? (a) : (b))

struct peers_run {
        const struct conf *profile;
        char *const *peers;
        bool check;
        usec_t timeout, deadline;
        char *text;    /* the profile, sent on stdin */
        char *control; /* the ControlMaster sockets' directory */
        struct ssh_options ssh;
        struct peers_exec exec;
        peers_progress_fn progress;
        void *progress_data;
};

/* `hostprep VERB --profile - --format json ...` as the peers run it. */
static int remote_argv(const struct peers_run *run, const char *verb, char *const *extra_args, char ***ret)
{
        const char *hostprep = conf_get(run->profile, "ssh", "hostprep");
        _cleanup_(strv_freep) char **remote = NULL;
        /* the peer's own deadline ends well before ours (SSH set-up, facts, the report's way back) */
        _cleanup_free_ char *secs = strdup_printf(
                "%.1f", (double)(run->timeout >= 3 * USEC_PER_SEC ? run->timeout - 3 * USEC_PER_SEC / 2
                                                                  : run->timeout / 2) /
                                USEC_PER_SEC);
        /* check: with the facts the comparisons need; apply: the same report after the changes */
        const char *fixed[] = {run->check ? "check" : "apply",
                               "--profile",
                               "-",
                               "--format",
                               "json",
                               "--no-color",
                               run->check                     ? "--facts"
                               : streq(verb, "apply-dry-run") ? "--dry-run"
                                                              : NULL,
                               "--timeout",
                               secs};
        int r = secs ? strv_push_dup(&remote, hostprep ? hostprep : "hostprep") : -ENOMEM;

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(fixed); i++)
                if (fixed[i])
                        r = strv_push_dup(&remote, fixed[i]);
        STRV_FOREACH (a, extra_args)
                if (r >= 0)
                        r = strv_push_dup(&remote, *a);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(remote);
        return 0;
}

struct peers_run *peers_run_free(struct peers_run *run)
{
        if (!run)
                return NULL;
        peers_exec_done(&run->exec);
        /* close the masters and the directory: nothing of this run stays behind */
        if (run->control) {
                close_masters(&run->ssh, run->peers);
                (void)rmdir(run->control);
        }
        free(run->control);
        free(run->text);
        free(run);
        return NULL;
}

int peers_start(const struct conf *profile, const char *verb, char *const *peers, char *const *extra_args,
                usec_t timeout, usec_t deadline, struct peers_run **ret)
{
        _cleanup_(peers_run_freep) struct peers_run *run = calloc(1, sizeof(*run));
        _cleanup_(strv_freep) char **remote = NULL;
        int r;

        if (!run)
                return -ENOMEM;
        *run = (struct peers_run){
                .profile = profile,
                .peers = peers,
                .check = streq(verb, "check"),
                .timeout = timeout,
                .deadline = deadline,
                .text = profile_to_text(profile),
        };
        if (!run->text)
                return -ENOMEM;
        r = peers_ssh_options(profile, &run->ssh);
        if (r >= 0)
                r = make_control_dir(&run->control);
        if (r < 0)
                return r;
        run->ssh.control_dir = run->control;
        r = remote_argv(run, verb, extra_args, &remote);
        if (r >= 0)
                r = peers_exec_start(&run->ssh, peers, remote, run->text, &run->exec);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(run);
        return 0;
}

void peers_set_progress(struct peers_run *run, peers_progress_fn fn, void *userdata)
{
        run->progress = fn;
        run->progress_data = userdata;
}

/* Waits in steps, telling the progress function who has answered, until all have or the deadline. */
static int peers_wait_progress(struct peers_run *run)
{
        size_t running = run->exec.n;
        int r = 0;

        while (r >= 0 && running > 0 && now_usec() < run->deadline) {
                _cleanup_(strv_freep) char **waiting = NULL;
                _cleanup_free_ char *names = NULL;

                r = spawn_wait_until(run->exec.jobs, run->exec.n,
                                     MIN_USEC(now_usec() + PEERS_PROGRESS_USEC, run->deadline), &running);
                for (size_t i = 0; r >= 0 && i < run->exec.n; i++)
                        if (!run->exec.jobs[i].exited && !run->exec.jobs[i].spawn_failed)
                                r = strv_push_dup(&waiting, run->peers[i]);
                names = waiting ? strv_join(waiting, ", ") : NULL;
                if (r >= 0)
                        run->progress(run->progress_data, run->exec.n - running, run->exec.n, names,
                                      run->deadline);
        }
        return r;
}

int peers_finish(struct peers_run *run, struct peer_report **ret, size_t *ret_n)
{
        _cleanup_(peers_run_freep) struct peers_run *owned = run;
        size_t n = run->exec.n;
        struct peer_report *p = calloc(n ? n : 1, sizeof(*p));
        int r = p ? 0 : -ENOMEM;

        if (r >= 0 && run->progress)
                r = peers_wait_progress(run);
        if (r >= 0)
                r = peers_exec_wait(&run->exec, run->deadline);

        for (size_t i = 0; r >= 0 && i < n; i++) {
                p[i].host = strdup(run->peers[i]);
                r = p[i].host ? peer_parse(&p[i], &run->exec.jobs[i], run->timeout) : -ENOMEM;
        }
        if (r >= 0 && run->check)
                peers_clock(&run->ssh, p, n, now_usec() + USEC_PER_SEC);
        if (r < 0) {
                peer_reports_free(p, n);
                return r;
        }
        *ret = p;
        *ret_n = n;
        return 0;
}

int peers_run(const struct conf *profile, const char *verb, char *const *peers, char *const *extra_args,
              usec_t timeout, usec_t deadline, struct peer_report **ret, size_t *ret_n)
{
        struct peers_run *run;
        int r;

        r = peers_start(profile, verb, peers, extra_args, timeout, deadline, &run);
        if (r < 0)
                return r;
        return peers_finish(run, ret, ret_n);
}

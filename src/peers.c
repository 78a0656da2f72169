/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Peers: hostprep on the other hosts of a profile, reached with the system's OpenSSH client. */
#include "peers.h"

#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#include "exec.h"
#include "pathnames.h"
#include "results-json.h"
#include "strv.h"

#define PEER_RUNTIME_DIR PATH_HOSTPREP_RUNTIME_DIR

void peer_reports_free(struct peer_report *p, size_t n)
{
        for (size_t i = 0; p && i < n; i++) {
                free(p[i].host);
                free(p[i].hostname);
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

        /* entries in order, grouped by section (a later value of a key already replaced the earlier) */
        for (size_t i = 0; i < c->n_entries; i++)
                if (!strv_contains(sections, c->entries[i].section) &&
                    strv_push_dup(&sections, c->entries[i].section) < 0)
                        return NULL;
        if (strv_push_dup(&lines, "# sent by hostprep: the profile as the controlling host loaded it") < 0)
                return NULL;
        STRV_FOREACH (s, sections) {
                if (strv_push(&lines, strdup_printf("[%s]", *s)) < 0)
                        return NULL;
                for (size_t i = 0; i < c->n_entries; i++)
                        if (streq(c->entries[i].section, *s) &&
                            strv_push(&lines,
                                      strdup_printf("%s = %s", c->entries[i].key, c->entries[i].value)) < 0)
                                return NULL;
        }
        if (strv_push_dup(&lines, "") < 0)
                return NULL;
        return strv_join(lines, "\n");
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

static int peer_fail(struct peer_report *p, const char *fmt, ...) _printf_(2, 3);
static int peer_fail(struct peer_report *p, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        return result_list_add(&p->results, "peer.reach", STATUS_ERROR, msg ? msg : "peer failed",
                               "check the peer by hand: ssh root@PEER hostprep check", NULL);
}

static char *first_line(const char *s)
{
        s = strempty(s);
        while (*s == '\n')
                s++;
        return strndup(s, strcspn(s, "\n"));
}

/* Turns one peer's ssh run into its report. */
static int peer_parse(struct peer_report *p, const struct exec_job *j, usec_t timeout)
{
        _cleanup_free_ char *err = first_line(j->err);
        enum ssh_failure f = ssh_classify(j->exit_status, j->timed_out, j->err);
        json_tokener *tok;
        json_object *o, *v, *host;
        char *error = NULL;
        int r;

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

        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, strempty(j->out), (int)j->out_len);
        if (!o || json_tokener_get_error(tok) != json_tokener_success) {
                r = peer_fail(p, "%s answered with malformed JSON (%s at byte %zu)", p->host,
                              json_tokener_error_desc(json_tokener_get_error(tok)),
                              json_tokener_get_parse_end(tok));
                json_object_put(o);
                json_tokener_free(tok);
                return r;
        }
        json_tokener_free(tok);

        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "results", &v) ||
            results_from_json(v, &p->results, &error) < 0) {
                result_list_done(&p->results);
                r = peer_fail(p, "%s answered with a report hostprep cannot read: %s", p->host,
                              error ? error : "no results");
                free(error);
                json_object_put(o);
                return r;
        }
        if (json_object_object_get_ex(o, "host", &host) && json_object_is_type(host, json_type_object)) {
                json_object *name, *roles;
                if (json_object_object_get_ex(host, "name", &name) &&
                    json_object_is_type(name, json_type_string))
                        p->hostname = strdup(json_object_get_string(name));
                if (json_object_object_get_ex(host, "roles", &roles) &&
                    json_object_is_type(roles, json_type_array))
                        for (size_t i = 0; i < json_object_array_length(roles); i++) {
                                enum role role = role_from_string(
                                        json_object_get_string(json_object_array_get_idx(roles, i)));
                                if (role >= 0)
                                        p->roles |= ROLE_BIT(role);
                        }
        }
        if (json_object_object_get_ex(o, "facts", &v) && json_object_is_type(v, json_type_object))
                p->facts = json_object_get(v);
        p->reached = true;
        json_object_put(o);
        return 0;
}

static usec_t realtime_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (usec_t)ts.tv_sec * USEC_PER_SEC + (usec_t)ts.tv_nsec / 1000;
}

/* The peer's clock against ours: `date +%s%N` over the already open connection, midpoint estimate. */
static void peers_clock(const struct ssh_options *o, struct peer_report *p, size_t n, usec_t deadline)
{
        char *date[] = {(char *)"date", (char *)"+%s%N", NULL};

        for (size_t i = 0; i < n; i++) {
                _cleanup_(strv_freep) char **argv = NULL;
                struct exec_job j = {0};
                usec_t t0, t1;
                unsigned long long ns;

                if (!p[i].reached || ssh_argv(o, p[i].host, date, &argv) < 0)
                        continue;
                j.argv = argv;
                t0 = realtime_usec();
                exec_run(&j, deadline);
                t1 = realtime_usec();
                if (j.exit_status == 0 && j.out && sscanf(j.out, "%llu", &ns) == 1) {
                        p[i].clock_offset = ((double)ns / 1e9) - (double)(t0 + t1) / 2 / USEC_PER_SEC;
                        p[i].clock_error = (double)(t1 - t0) / 2 / USEC_PER_SEC;
                        p[i].clock_known = true;
                }
                exec_job_done(&j);
        }
}

int peers_run(const struct conf *profile, const char *verb, char *const *peers, char *const *extra_args,
              usec_t timeout, usec_t deadline, struct peer_report **ret, size_t *ret_n)
{
        size_t n = strv_length(peers);
        _cleanup_free_ struct exec_job *jobs = calloc(n ? n : 1, sizeof(*jobs));
        _cleanup_free_ char *text = profile_to_text(profile), *control = NULL, *secs = NULL;
        char ***argvs = calloc(n ? n : 1, sizeof(char **));
        struct peer_report *p = calloc(n ? n : 1, sizeof(*p));
        _cleanup_(strv_freep) char **remote = NULL;
        struct ssh_options o;
        const char *hostprep = conf_get(profile, "ssh", "hostprep");
        int r;

        if (!jobs || !text || !argvs || !p) {
                free(argvs);
                free(p);
                return -ENOMEM;
        }
        r = peers_ssh_options(profile, &o);
        if (r >= 0)
                r = make_control_dir(&control);
        if (r < 0) {
                free(argvs);
                free(p);
                return r;
        }
        o.control_dir = control;

        /* the peer's own deadline ends well before ours (SSH set-up, facts, the report's way back) */
        secs = strdup_printf("%.1f", (double)(timeout >= 3 * USEC_PER_SEC ? timeout - 3 * USEC_PER_SEC / 2
                                                                          : timeout / 2) /
                                             USEC_PER_SEC);
        r = strv_push_dup(&remote, hostprep ? hostprep : "hostprep");
        /* check: with the facts the comparisons need; apply: the same report after the changes */
        bool check = streq(verb, "check");
        const char *fixed[] = {check ? "check" : "apply",
                               "--profile",
                               "-",
                               "--format",
                               "json",
                               "--no-color",
                               check                          ? "--facts"
                               : streq(verb, "apply-dry-run") ? "--dry-run"
                                                              : NULL};
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(fixed); i++)
                if (fixed[i])
                        r = strv_push_dup(&remote, fixed[i]);
        if (r >= 0)
                r = strv_push_dup(&remote, "--timeout");
        if (r >= 0)
                r = secs ? strv_push_dup(&remote, secs) : -ENOMEM;
        STRV_FOREACH (a, extra_args)
                if (r >= 0)
                        r = strv_push_dup(&remote, *a);

        for (size_t i = 0; r >= 0 && i < n; i++) {
                p[i].host = strdup(peers[i]);
                if (!p[i].host)
                        r = -ENOMEM;
                else
                        r = ssh_argv(&o, peers[i], remote, &argvs[i]);
                jobs[i] = (struct exec_job){.argv = argvs[i], .input = text, .input_len = strlen(text)};
        }
        if (r >= 0)
                r = exec_run_many(jobs, n, deadline);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = peer_parse(&p[i], &jobs[i], timeout);
        if (r >= 0 && check)
                peers_clock(&o, p, n, now_usec() + USEC_PER_SEC);

        /* close the masters and the directory: nothing of this run stays behind */
        for (size_t i = 0; i < n; i++) {
                _cleanup_(strv_freep) char **argv = NULL;
                struct exec_job j = {0};

                exec_job_done(&jobs[i]);
                strv_free(argvs[i]);
                if (ssh_exit_argv(&o, peers[i], &argv) < 0)
                        continue;
                j.argv = argv;
                exec_run(&j, now_usec() + 2 * USEC_PER_SEC);
                exec_job_done(&j);
        }
        free(argvs);
        (void)rmdir(control);

        if (r < 0) {
                peer_reports_free(p, n);
                return r;
        }
        *ret = p;
        *ret_n = n;
        return 0;
}

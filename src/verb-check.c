/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostprep check: this host's units, and with --peer/--all-hosts the peers' over SSH and the comparisons
 * across the hosts. Changes nothing. */

#include "cross.h"
#include "facts.h"
#include "strv.h"
#include "verbs.h"

static struct scope_args arg_scope = {0};
static bool arg_facts = false; /* embed this host's facts in the JSON report (peers are asked for it) */

enum {
        ARG_FACTS = 0x100,
};

const struct verb_option check_options[] = {
        SCOPE_OPTIONS("check HOST too, over SSH, and compare the hosts (repeatable)",
                      "check every host of the profile's [hosts] (over SSH) and compare"),
        {"facts", no_argument, ARG_FACTS, NULL,
         "JSON: add this host's facts (what peers compare) to the report"},
        {},
};

void check_done(void)
{
        scope_args_done(&arg_scope);
}

int check_parse(int id, const char *arg)
{
        if (id == ARG_FACTS) {
                arg_facts = true;
                return 0;
        }
        return scope_parse(&arg_scope, id, arg);
}

/* The cross.* comparisons over every host's facts, as far as --only/--skip select them. */
static int run_comparisons(const struct session *s, const struct selection *sel, json_object *self_facts,
                           const struct peer_report *peers, size_t n_peers, struct result_list *out)
{
        _cleanup_free_ struct host_facts *hosts = calloc(n_peers + 1, sizeof(*hosts));
        struct result_list all = {0};
        struct cross_ctx ctx = {
                .profile = &s->profile,
                .hosts = hosts,
                .n_hosts = n_peers + 1,
                .results = &all,
                /* what the comparisons ask of this host's libvirtd (cross.cpu) has a deadline of its own */
                .deadline = now_usec() + s->timeout,
                .live = hostfs_is_live(s->fs),
        };
        int r = 0;

        if (!hosts)
                return -ENOMEM;
        hosts[0] = (struct host_facts){.name = s->id.hostname, .roles = s->roles, .facts = self_facts};
        for (size_t i = 0; i < n_peers; i++)
                hosts[i + 1] = (struct host_facts){
                        .name = peers[i].host,
                        .roles = peers[i].roles,
                        .facts = peers[i].facts,
                        .clock_known = peers[i].clock_known,
                        .clock_offset = peers[i].clock_offset,
                        .clock_error = peers[i].clock_error,
                };
        for (size_t i = 0; r >= 0 && i < cross_registry_size; i++)
                if (selection_id(sel, cross_registry[i]->id, cross_registry[i]->id))
                        r = cross_registry[i]->compare(&ctx);
        for (size_t i = 0; r >= 0 && i < all.n; i++)
                if (selection_id(sel, all.items[i].id, all.items[i].id))
                        r = result_list_add_copy(out, &all.items[i]);
        result_list_done(&all);
        return r;
}

/* What one check run gathers: this host's results and facts, the peers' reports, the comparisons. */
struct check_run {
        struct result_list results, comparisons;
        json_object *facts;
        struct peer_report *peers;
        size_t n_peers;
        char **peer_hosts;
        char **peer_args; /* --only, --skip for the peers */
};

static void check_run_done(struct check_run *c)
{
        result_list_done(&c->results);
        result_list_done(&c->comparisons);
        json_object_put(c->facts);
        peer_reports_free(c->peers, c->n_peers);
        strv_free(c->peer_hosts);
        strv_free(c->peer_args);
}

/* The live progress line on stderr: on a terminal only, so logs, pipes and the golden tests never see it. */
static void progress_peers(void *userdata, size_t answered, size_t n, const char *waiting, usec_t deadline)
{
        usec_t now = now_usec();

        fprintf(stderr, "\r\033[K%s checked; %zu of %zu peer%s answered%s%s (%.0f s left)",
                (const char *)userdata, answered, n, n == 1 ? "" : "s", waiting ? ", waiting for " : "",
                strempty(waiting), deadline > now ? (double)(deadline - now) / USEC_PER_SEC : 0.0);
        fflush(stderr);
}

static void progress_start(const struct session *s, const struct check_run *c)
{
        size_t n = strv_length(c->peer_hosts);

        if (n)
                fprintf(stderr, "\r\033[Kchecking %s while %zu peer%s answer%s...", s->id.hostname, n,
                        n == 1 ? "" : "s", n == 1 ? "s" : "");
        else
                fprintf(stderr, "\r\033[Kchecking %s...", s->id.hostname);
        fflush(stderr);
}

static void progress_end(void)
{
        fputs("\r\033[K", stderr);
        fflush(stderr);
}

/* This host's units while the peers work (a dead peer costs the deadline once), then this host's facts. */
static int check_hosts(const struct session *s, const struct selection *sel, usec_t start,
                       struct check_run *c)
{
        struct check_ctx ctx = session_check_ctx(s, start + s->timeout, &c->results);
        struct peers_run *prun = NULL;
        bool progress = isatty(STDERR_FILENO);
        usec_t facts_deadline;
        int r, pr = 0;

        /* the peers' SSH jobs run while this host checks itself, and no thread exists when the runner
         * forks its units' children */
        if (c->peer_hosts)
                pr = peers_start(&s->profile, "check", c->peer_hosts, c->peer_args, s->timeout,
                                 start + s->timeout + 9 * USEC_PER_SEC / 10, &prun);
        if (progress)
                progress_start(s, c);
        if (prun && progress)
                peers_set_progress(prun, progress_peers, s->id.hostname);
        r = runner_run(&ctx, unit_registry, unit_registry_size, sel);
        /* a report without facts is still a report: the comparisons say what they miss */
        facts_deadline = ctx.deadline + USEC_PER_SEC / 2;
        if (r >= 0 && (arg_facts || c->peer_hosts) &&
            facts_collect(s->fs, &s->id, s->roles, &s->profile, facts_deadline, &c->facts) < 0)
                c->facts = NULL;
        if (prun)
                pr = peers_finish(prun, &c->peers, &c->n_peers);
        if (progress)
                progress_end();
        if (r >= 0 && pr < 0) {
                fprintf(stderr, "hostprep: checking the peers failed: %s\n", strerror(-pr));
                return pr;
        }
        if (r < 0)
                fprintf(stderr, "hostprep: running checks failed: %s\n", strerror(-r));
        return r;
}

/* Every host's results, then the comparisons; the exit code of the report. */
static int check_report(const struct session *s, struct check_run *c, usec_t start)
{
        _cleanup_free_ struct host_report *hosts = calloc(c->n_peers + 1, sizeof(*hosts));
        struct report rep;
        int r;

        if (!hosts)
                return log_oom();
        hosts[0] = (struct host_report){
                .name = s->id.hostname,
                .roles = s->roles,
                .role_why = s->host_roles.why,
                .roles_detected = s->host_roles.detected,
                .results = &c->results,
                .facts = arg_facts ? c->facts : NULL,
        };
        for (size_t i = 0; i < c->n_peers; i++)
                hosts[i + 1] = (struct host_report){
                        .name = c->peers[i].host,
                        .roles = c->peers[i].roles,
                        .role_why = c->peers[i].role_why,
                        .roles_detected = c->peers[i].roles_detected,
                        .results = &c->peers[i].results,
                        .facts = c->peers[i].facts,
                };
        rep = session_report(s, hosts, c->n_peers + 1, start);
        rep.comparisons = c->peer_hosts ? &c->comparisons : NULL;
        r = write_report(&rep);
        if (r < 0 || fflush(stdout) != 0) {
                fprintf(stderr, "hostprep: writing the report failed: %s\n", strerror(r < 0 ? -r : errno));
                return EXIT_UNDECIDED;
        }
        return report_exit_code(&rep);
}

/* Nothing names this host's role and nothing on it shows one: a configuration error (exit 2), since
 * hostprep cannot say whether a host is ready without knowing what it should be ready for. */
static int no_role(const struct session *s)
{
        _cleanup_free_ char *line = roles_none_message(&s->host_roles, s->id.hostname, s->profile.name);

        if (!line)
                return log_oom();
        fprintf(stderr, "hostprep: %s\n", line);
        return EXIT_USAGE;
}

int verb_check(char **args)
{
        _cleanup_(session_done) struct session s = {0};
        _cleanup_(check_run_done) struct check_run c = {0};
        _cleanup_(strv_freep) char **cross_ids = NULL;
        struct selection sel = {.only = arg_scope.only, .skip = arg_scope.skip};
        usec_t start;
        int r;

        for (size_t i = 0; i < cross_registry_size; i++)
                if (strv_push_dup(&cross_ids, cross_registry[i]->id) < 0)
                        return log_oom();
        if (check_selection(&sel, cross_ids) < 0)
                return EXIT_USAGE;
        r = session_open(&s, arg_scope.peers);
        if (r < 0)
                return -r;
        if (peers_to_check(&s, &arg_scope, &c.peer_hosts) < 0 ||
            selection_args(&arg_scope, &c.peer_args) < 0)
                return log_oom();
        /* a host with no role to check gets one line saying so, not a SKIP for every unit */
        if (!s.roles && !c.peer_hosts)
                return no_role(&s);

        start = now_usec();
        r = check_hosts(&s, &sel, start, &c);
        if (r < 0)
                return EXIT_UNDECIDED;
        if (c.peer_hosts && run_comparisons(&s, &sel, c.facts, c.peers, c.n_peers, &c.comparisons) < 0)
                return log_oom();
        return check_report(&s, &c, start);
}

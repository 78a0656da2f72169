/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostprep apply: the flow (provision/flow.c) on this host, and with --peer/--all-hosts hostprep apply on
 * every peer over SSH, after the hosts' root keys were handed around. */
#include "provision/flow.h"
#include "strv.h"
#include "verbs.h"

static struct scope_args arg_scope = {0};
static bool arg_dry_run = false;
static bool arg_force = false;

enum {
        ARG_DRY_RUN = 0x100,
        ARG_FORCE,
};

const struct verb_option apply_options[] = {
        SCOPE_OPTIONS("apply on HOST too, over SSH (repeatable)",
                      "apply on every host of the profile's [hosts] (over SSH)"),
        {"dry-run", no_argument, ARG_DRY_RUN, NULL, "show the changes (unified diffs) and change nothing"},
        {"force", no_argument, ARG_FORCE, NULL, "also make changes that disrupt running guests or clients"},
        {},
};

int apply_parse(int id, const char *arg)
{
        switch (id) {
        case ARG_DRY_RUN:
                arg_dry_run = true;
                return 0;
        case ARG_FORCE:
                arg_force = true;
                return 0;
        default:
                return scope_parse(&arg_scope, id, arg);
        }
}

void apply_done(void)
{
        scope_args_done(&arg_scope);
}

/* One round: the flow on this host, then hostprep apply on every peer. */
struct apply_round {
        struct result_list here;
        bool here_failed; /* the changes here could not be made */
        struct peer_report *peers;
        size_t n_peers;
};

static void apply_round_done(struct apply_round *a)
{
        result_list_done(&a->here);
        peer_reports_free(a->peers, a->n_peers);
}

static int apply_round(const struct session *s, const struct selection *sel, char *const *peer_hosts,
                       char *const *peer_args, bool show, struct apply_round *ret)
{
        struct flow_options o = {
                .ctx = session_check_ctx(s, 0, NULL),
                .sel = sel,
                .timeout = s->timeout,
                .dry_run = arg_dry_run,
                .force = arg_force,
                .show = show ? stdout : NULL,
                .log = stderr,
        };
        int r;

        r = flow_apply(&o, &ret->here, &ret->here_failed);
        if (r >= 0 && peer_hosts)
                r = peers_run(&s->profile, arg_dry_run ? "apply-dry-run" : "apply", peer_hosts, peer_args,
                              s->timeout, now_usec() + 300 * USEC_PER_SEC, &ret->peers, &ret->n_peers);
        return r;
}

/* Round 1 of a controller that reaches every host: each host's root key goes to every other host (ssh.root's
 * fix, through each host's own journal) before the rest is applied, so that the hosts' logins to each other
 * pass. */
static int apply_keys_round(struct session *s, char *const *peer_hosts, char **ret_keys_path,
                            struct apply_round *ret)
{
        char *only[] = {(char *)"ssh.root", NULL};
        char *only_args[] = {(char *)"--only", (char *)"ssh.root", NULL};
        struct selection ssh_only = {.only = only};
        int r;

        r = peers_keys_share(&s->profile, s->fs, peer_hosts, s->timeout, ret_keys_path);
        if (r < 0) {
                fprintf(stderr, "hostprep: cannot hand the hosts' keys around: %s\n", strerror(-r));
                return r;
        }
        r = apply_round(s, &ssh_only, peer_hosts, only_args, false, ret);
        if (r < 0)
                fprintf(stderr, "hostprep: handing the keys around failed: %s\n", strerror(-r));
        return r;
}

/* What the first round fixed stays FIXED in the final report. */
static int keep_fixed(const struct result_list *first, struct result_list *final)
{
        for (size_t i = 0; i < first->n; i++) {
                const struct result *f = &first->items[i];
                bool found = false;

                if (f->status != STATUS_FIXED)
                        continue;
                for (size_t k = 0; k < final->n; k++)
                        if (final->items[k].status == STATUS_PASS && result_same(&final->items[k], f)) {
                                final->items[k].status = STATUS_FIXED;
                                found = true;
                        }
                if (!found && result_list_add_copy(final, f) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Every host's results of the last round, with what the first fixed; the exit code. */
static int apply_report(const struct session *s, const struct apply_round *first, struct apply_round *final,
                        usec_t start)
{
        _cleanup_free_ struct host_report *hosts = calloc(final->n_peers + 1, sizeof(*hosts));
        struct report rep;

        if (!hosts || keep_fixed(&first->here, &final->here) < 0)
                return log_oom();
        for (size_t i = 0; i < final->n_peers && i < first->n_peers; i++)
                if (keep_fixed(&first->peers[i].results, &final->peers[i].results) < 0)
                        return log_oom();
        hosts[0] = (struct host_report){.name = s->id.hostname,
                                        .roles = s->roles,
                                        .role_why = s->host_roles.why,
                                        .roles_detected = s->host_roles.detected,
                                        .results = &final->here};
        for (size_t i = 0; i < final->n_peers; i++)
                hosts[i + 1] = (struct host_report){.name = final->peers[i].host,
                                                    .roles = final->peers[i].roles,
                                                    .results = &final->peers[i].results};
        rep = session_report(s, hosts, final->n_peers + 1, start);
        /* the changes here could not be made: undecided, whatever the results say (the report says so) */
        if (first->here_failed || final->here_failed)
                rep.exit_code = EXIT_UNDECIDED;
        (void)write_report(&rep);
        return report_exit_code(&rep);
}

int verb_apply(char **args)
{
        _cleanup_(session_done) struct session s = {0};
        _cleanup_(strv_freep) char **peer_hosts = NULL, **peer_args = NULL;
        _cleanup_(apply_round_done) struct apply_round first = {0}, final = {0};
        _cleanup_free_ char *keys_path = NULL;
        struct selection sel = {.only = arg_scope.only, .skip = arg_scope.skip};
        usec_t start = now_usec();
        int r, rc = EXIT_UNDECIDED;

        if (check_selection(&sel, NULL) < 0)
                return EXIT_USAGE;
        r = session_open(&s, arg_scope.peers);
        if (r < 0)
                return -r;
        if (peers_to_check(&s, &arg_scope, &peer_hosts) < 0 || selection_args(&arg_scope, &peer_args) < 0)
                return log_oom();

        if (peer_hosts && !arg_dry_run && apply_keys_round(&s, peer_hosts, &keys_path, &first) < 0)
                goto finish;

        /* this host, then (with --peer / --all-hosts) every peer */
        r = apply_round(&s, &sel, peer_hosts, peer_args, arg_format == FORMAT_HUMAN, &final);
        if (r < 0) {
                fprintf(stderr, "hostprep: apply failed: %s\n", strerror(-r));
                goto finish;
        }
        rc = apply_report(&s, &first, &final, start);

finish:
        if (keys_path)
                peers_keys_remove(&s.profile, peer_hosts, keys_path, s.timeout);
        return rc;
}

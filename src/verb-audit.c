/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostprep audit: can this host be drained now? Every guest here against every peer hypervisor that could
 * take it. The peers' facts come over SSH (`hostprep facts --json` there, all at once) while this host
 * reads its guests from libvirtd and has libvirt measure the running ones' dirty rates; then each peer's
 * libvirtd is asked about the guests' CPUs on its own connection. Everything ends by the deadline
 * (--timeout, else the profile's [check] timeout).
 */
#include "audit-libvirt.h"
#include "audit.h"
#include "facts.h"
#include "strv.h"
#include "verbs.h"

static char **arg_peers = NULL;
static const char *arg_guest = NULL;

enum {
        ARG_PEER = 0x100,
        ARG_GUEST,
};

const struct verb_option audit_options[] = {
        {"peer", required_argument, ARG_PEER, "HOST",
         "a hypervisor that could take the guests (repeatable; default: the profile's hypervisors)"},
        {"guest", required_argument, ARG_GUEST, "NAME", "only this guest"},
        {},
};

int audit_parse(int id, const char *arg)
{
        switch (id) {
        case ARG_PEER:
                /* a name starting with '-' could be taken for an ssh option */
                if (!*arg || arg[0] == '-' || strpbrk(arg, " \t\n'\"\\;$`/"))
                        return usage_error("--peer %s: expected a host name or address", arg);
                return strv_push_dup(&arg_peers, arg);
        case ARG_GUEST:
                if (!*arg)
                        return usage_error("--guest needs a name");
                arg_guest = arg;
                return 0;
        default:
                return -EINVAL;
        }
}

void audit_done(void)
{
        arg_peers = strv_free(arg_peers);
}

struct audit_run {
        struct session s;
        char **peer_names;
        struct audit_guest *guests;
        size_t n_guests;
        struct audit_peer *peers;
        struct audit_cell *cells;
        json_object *mounts;
        char *profile_text;
        struct ssh_options ssh;
        struct peers_exec exec;
        usec_t start, deadline;
};

static void audit_run_done(struct audit_run *a)
{
        size_t n_peers = strv_length(a->peer_names);

        peers_exec_done(&a->exec);
        for (size_t i = 0; a->cells && i < a->n_guests * n_peers; i++)
                audit_cell_done(&a->cells[i]);
        free(a->cells);
        audit_peers_free(a->peers, n_peers, a->n_guests);
        audit_guests_free(a->guests, a->n_guests);
        json_object_put(a->mounts);
        free(a->profile_text);
        strv_free(a->peer_names);
        session_done(&a->s);
}

static unsigned profile_uint(const struct conf *c, const char *section, const char *key)
{
        unsigned u = 0;

        (void)safe_atou(conf_get(c, section, key), &u);
        return u;
}

/* --peer, else every other hypervisor of the profile. */
static int choose_peers(struct audit_run *a)
{
        struct check_ctx ctx = session_check_ctx(&a->s, a->deadline, NULL);
        _cleanup_(strv_freep) char **hv = NULL;
        int r;

        STRV_FOREACH (h, arg_peers)
                if (!strv_contains(a->peer_names, *h) && strv_push_dup(&a->peer_names, *h) < 0)
                        return -ENOMEM;
        if (arg_peers)
                return 0;
        r = check_hosts_with_role(&ctx, ROLE_HYPERVISOR, &hv);
        STRV_FOREACH (h, hv)
                if (r >= 0 && !identity_matches(&a->s.id, *h))
                        r = strv_push_dup(&a->peer_names, *h);
        return r;
}

/* `hostprep facts --json` on every peer, started now, with the profile on its standard input. */
static int peers_facts_start(struct audit_run *a)
{
        const char *hostprep = conf_get(&a->s.profile, "ssh", "hostprep");
        usec_t t = a->s.timeout;
        /* the peer's own deadline ends before ours: SSH set-up and the way back */
        _cleanup_free_ char *secs = strdup_printf(
                "%.1f", (double)(t >= 3 * USEC_PER_SEC ? t - 3 * USEC_PER_SEC / 2 : t / 2) / USEC_PER_SEC);
        char *remote[] = {(char *)(hostprep ? hostprep : "hostprep"),
                          (char *)"facts",
                          (char *)"--json",
                          (char *)"--profile",
                          (char *)"-",
                          (char *)"--timeout",
                          secs,
                          NULL};
        int r;

        if (!secs)
                return -ENOMEM;
        a->profile_text = profile_to_text(&a->s.profile);
        if (!a->profile_text)
                return -ENOMEM;
        r = peers_ssh_options(&a->s.profile, &a->ssh);
        if (r < 0)
                return r;
        return peers_exec_start(&a->ssh, a->peer_names, remote, a->profile_text, &a->exec);
}

/* One peer's answer: its facts, or why there are none. */
static int peer_facts(struct audit_peer *p, const struct spawn_job *j)
{
        enum ssh_failure f = ssh_classify(j->exit_status, j->timed_out, j->err);
        _cleanup_free_ char *err = strndup(strempty(j->err), strcspn(strempty(j->err), "\n"));
        json_object *o = NULL;

        if (!err)
                return -ENOMEM;
        if (f == SSH_OK && j->exit_status == 0 && (o = json_tokener_parse(strempty(j->out))) &&
            json_object_is_type(o, json_type_object)) {
                p->facts = o;
                return 0;
        }
        json_object_put(o);
        p->error =
                f == SSH_TIMEOUT  ? strdup_printf("no facts within the deadline (%s)", err)
                : j->spawn_failed ? strdup("ssh is not installed")
                : f != SSH_OK && f != SSH_REMOTE_FAILED
                        ? strdup_printf("cannot reach it over SSH: %s [%s]", ssh_failure_to_string(f), err)
                : j->exit_status != 0
                        ? strdup_printf("hostprep facts failed there (exit %d): %s", j->exit_status, err)
                        : strdup("its facts are not a JSON object");
        return p->error ? 0 : -ENOMEM;
}

static int peers_facts_finish(struct audit_run *a)
{
        size_t n = strv_length(a->peer_names);
        int r;

        r = peers_exec_wait(&a->exec, a->deadline);
        a->peers = r >= 0 ? calloc(n + 1, sizeof(*a->peers)) : NULL;
        if (r >= 0 && !a->peers)
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                a->peers[i].name = strdup(a->peer_names[i]);
                a->peers[i].uri = audit_peer_uri(&a->s.profile, a->peer_names[i]);
                r = a->peers[i].name && a->peers[i].uri ? peer_facts(&a->peers[i], &a->exec.jobs[i])
                                                        : -ENOMEM;
        }
        return r;
}

/* This host's guests, each judged by libvirt.domains, and the running ones' dirty rates. 0, or the exit
 * code after saying why. */
static int load_guests(struct audit_run *a)
{
        struct check_ctx ctx = session_check_ctx(&a->s, a->deadline, NULL);
        unsigned secs = profile_uint(&a->s.profile, "audit", "dirty_rate_seconds");
        _cleanup_free_ char *error = NULL;
        usec_t until;
        int r;

        ctx.roles |= ROLE_BIT(ROLE_HYPERVISOR); /* draining it makes it one */
        r = audit_guests_load(&ctx, arg_guest, &a->guests, &a->n_guests, &error);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0) {
                fprintf(stderr, "hostprep: cannot list this host's guests: %s\n",
                        r == -ETIMEDOUT    ? "libvirtd did not answer before the deadline"
                        : r == -EOPNOTSUPP ? "hostprep is built without libvirt"
                        : error            ? error
                                           : strerror(-r));
                return EXIT_UNDECIDED;
        }
        if (arg_guest && a->n_guests == 0) {
                fprintf(stderr, "hostprep: --guest %s: no such guest on %s\n", arg_guest, a->s.id.hostname);
                return EXIT_USAGE;
        }
        /* the calculation takes secs; what is left of the deadline bounds the wait for it */
        until = now_usec() + (secs + 3) * USEC_PER_SEC;
        r = audit_dirty_rates(a->guests, a->n_guests, secs, until < a->deadline ? until : a->deadline);
        return r < 0 ? log_oom() : 0;
}

static int decide_all(struct audit_run *a)
{
        size_t n_peers = strv_length(a->peer_names);
        struct audit_params p = {
                .mountpoint = conf_get(&a->s.profile, "nfs", "mountpoint"),
                .link_mib_s = profile_uint(&a->s.profile, "audit", "link_bandwidth"),
                .cap_mib_s = profile_uint(&a->s.profile, "migrate", "bandwidth"),
                .downtime_ms = profile_uint(&a->s.profile, "migrate", "downtime_ms"),
        };
        int r;

        r = facts_mounts(a->s.fs, p.mountpoint, &a->mounts);
        p.mounts = a->mounts;
        a->cells = r >= 0 ? calloc(a->n_guests * n_peers + 1, sizeof(*a->cells)) : NULL;
        if (r >= 0 && !a->cells)
                r = -ENOMEM;
        for (size_t g = 0; r >= 0 && g < a->n_guests; g++)
                for (size_t i = 0; r >= 0 && i < n_peers; i++)
                        r = audit_decide(&p, &a->guests[g], g, &a->peers[i], &a->cells[g * n_peers + i]);
        return r;
}

static int write_table(const struct audit_run *a)
{
        size_t n_peers = strv_length(a->peer_names);
        struct audit_table t = {
                .host = a->s.id.hostname,
                .profile = a->s.profile.name,
                .guests = a->guests,
                .n_guests = a->n_guests,
                .peers = a->peers,
                .n_peers = n_peers,
                .cells = a->cells,
                .duration = now_usec() - a->start,
                .exit_code = audit_exit_code(a->cells, a->n_guests, n_peers),
        };
        int r = arg_format == FORMAT_JSON    ? audit_write_json(stdout, &t)
                : arg_format == FORMAT_JUNIT ? audit_write_junit(stdout, &t)
                                             : audit_write_human(stdout, &t, arg_quiet);

        if (r < 0) {
                fprintf(stderr, "hostprep: writing the report failed: %s\n", strerror(-r));
                return EXIT_UNDECIDED;
        }
        return t.exit_code;
}

int verb_audit(char **args)
{
        _cleanup_(audit_run_done) struct audit_run a = {.start = now_usec()};
        int r;

        r = session_open(&a.s, arg_peers);
        if (r < 0)
                return -r;
        a.deadline = a.start + a.s.timeout;
        if (choose_peers(&a) < 0)
                return log_oom();
        if (!a.peer_names) {
                usage_error("no peer hypervisor to move the guests to: name one with --peer HOST, or give "
                            "hosts the hypervisor role in the profile's [hosts]");
                return EXIT_USAGE;
        }
        r = peers_facts_start(&a);
        if (r < 0) {
                fprintf(stderr, "hostprep: cannot start ssh to the peers: %s\n", strerror(-r));
                return EXIT_UNDECIDED;
        }
        r = load_guests(&a);
        if (r != 0)
                return r;
        r = peers_facts_finish(&a);
        if (r >= 0)
                r = audit_ask_cpus(a.peers, strv_length(a.peer_names), a.guests, a.n_guests, a.deadline);
        if (r >= 0)
                r = decide_all(&a);
        if (r < 0) {
                fprintf(stderr, "hostprep: audit failed: %s\n", strerror(-r));
                return EXIT_UNDECIDED;
        }
        return write_table(&a);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostprep: checks (and later prepares) hosts for VM live migration. The CLI layer: options, verbs,
 * and the one place that reports errors to the user. */
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "config.h"
#include "facts.h"
#include "cross.h"
#include "identity.h"
#include "exec.h"
#include "peers.h"
#include "migrate/driver.h"
#include "provision/apply.h"
#include "provision/plan.h"
#include "provision/systemd.h"
#include "common.h"
#include "profile.h"
#include "report.h"
#include "runner.h"
#include "strv.h"
#include "unit-doc.h"
#include "unit.h"
#include "util.h"

enum format {
        FORMAT_HUMAN,
        FORMAT_JSON,
        FORMAT_JUNIT,
        _FORMAT_MAX,
};

static const char *const format_names[] = {
        [FORMAT_HUMAN] = "human",
        [FORMAT_JSON] = "json",
        [FORMAT_JUNIT] = "junit",
};
_Static_assert(ELEMENTSOF(format_names) == _FORMAT_MAX, "format_names out of step");

static const char *arg_profile = PROFILE_DEFAULT;
static const char *arg_profile_path = NULL;
static char **arg_set = NULL;
static char **arg_only = NULL;
static char **arg_skip = NULL;
static char **arg_roles = NULL;
static enum format arg_format = FORMAT_HUMAN;
static const char *arg_root = "/";
static const char *arg_host = NULL;
static usec_t arg_timeout = 0; /* 0: the profile's [check] timeout */
static bool arg_quiet = false;
static int arg_color = -1; /* -1: when stdout is a terminal and NO_COLOR is unset */
static bool arg_help = false;
static char **arg_peers = NULL;
static bool arg_dry_run = false;
static bool arg_force = false;
static bool arg_list = false;
static const char *arg_run = NULL; /* rollback RUN */
static const char *arg_to = NULL;
static const char *arg_driver = NULL;
static const char *arg_guest = NULL;
static const char *arg_disk = NULL;
static bool arg_round_trip = false;
static bool arg_all_hosts = false;
static bool arg_facts = false; /* embed this host's facts in the JSON report (peers are asked for it) */

struct verb {
        const char *name;
        int (*run)(void);
        const char *usage;
        const char *summary;
};

static int verb_check(void);
static int verb_apply(void);
static int verb_rollback(void);
static int verb_migrate(void);
static int verb_list(void);
static int verb_facts(void);
static int verb_version(void);
static int verb_help(void);

static const struct verb verbs[] = {
        {"check", verb_check, "check [OPTIONS]", "check this host against a profile (changes nothing)"},
        {"apply", verb_apply, "apply [--dry-run] [--force] [OPTIONS]",
         "fix what check finds, then check again"},
        {"migrate", verb_migrate, "migrate --to HOST [--driver libvirt|qemu] [--round-trip] [--guest NAME]",
         "live-migrate a canary guest (or NAME) to HOST to prove the pair"},
        {"rollback", verb_rollback, "rollback [RUN] [--list]", "undo the last apply (or RUN)"},
        {"list", verb_list, "list [OPTIONS]", "list the units and the ids of their checks"},
        {"facts", verb_facts, "facts [--json] [OPTIONS]", "print what peers compare about this host"},
        {"version", verb_version, "version", "print the version"},
        {"help", verb_help, "help [VERB]", "show help"},
};

static const struct verb *arg_verb = NULL;

static void help_options(void)
{
        printf("\nOptions:\n"
               "  --profile NAME|FILE   profile to check against (default: %s)\n"
               "  --profile-path DIRS   colon-separated directories searched before the built-in ones\n"
               "  --set SECTION.KEY=V   override a profile key (repeatable)\n"
               "  --role ROLE           give this host ROLE, whatever the profile's [hosts] says "
               "(repeatable)\n"
               "  --host NAME           check as host NAME (default: the root's /etc/hostname)\n"
               "  --peer HOST           check HOST too, over SSH, and compare the hosts (repeatable)\n"
               "  --all-hosts           check every host of the profile's [hosts] (over SSH) and compare\n"
               "  --facts               JSON: add this host's facts (what peers compare) to the report\n"
               "  --dry-run             apply: show the changes (unified diffs) and change nothing\n"
               "  --force               apply: also make changes that disrupt running guests or clients;\n"
               "                        migrate: migrate although the preflight checks fail\n"
               "  --to HOST             migrate: the destination hypervisor\n"
               "  --driver NAME         migrate: libvirt or qemu\n"
               "  --guest canary|NAME   migrate: the canary (default) or an existing guest (left running)\n"
               "  --round-trip          migrate: and back again\n"
               "  --disk PATH|URI       migrate: the canary's disk (default: a file on the shared "
               "mountpoint)\n"
               "  --only ID[,ID..]      run only these units or check ids (globs allowed)\n"
               "  --skip ID[,ID..]      skip these units or check ids (globs allowed)\n"
               "  --format FMT          human, json or junit (default: human)\n"
               "  --json                same as --format json\n"
               "  --root DIR            read the host's files below DIR (a chroot, an image, a fixture)\n"
               "  --timeout SECONDS     deadline for the checks (default: the profile's [check] timeout)\n"
               "  -q, --quiet           show only what did not pass\n"
               "      --no-color        no colour, even on a terminal\n"
               "  -h, --help            show help for the verb\n",
               PROFILE_DEFAULT);
}

static void help_exit_codes(void)
{
        printf("\nExit codes:\n"
               "  0  nothing failed (warnings allowed)\n"
               "  1  something failed\n"
               "  2  usage or configuration error; nothing was changed\n"
               "  3  a check could not decide (ERROR), and nothing failed\n");
}

static int verb_help(void)
{
        if (arg_verb && arg_verb->run != verb_help) {
                printf("Usage: hostprep %s\n%s.\n", arg_verb->usage, arg_verb->summary);
                if (arg_verb->run == verb_check || arg_verb->run == verb_list ||
                    arg_verb->run == verb_facts || arg_verb->run == verb_apply)
                        help_options();
                if (arg_verb->run == verb_check)
                        help_exit_codes();
                return 0;
        }
        printf("Usage: hostprep VERB [OPTIONS]\n"
               "Check that hosts are ready for VM live migration.\n\nVerbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-9s %s\n", verbs[i].name, verbs[i].summary);
        help_options();
        help_exit_codes();
        printf("\nSee hostprep(8) and hostprep.profile(5).\n");
        return 0;
}

static int verb_version(void)
{
        printf("hostprep %s\n", HOSTPREP_VERSION);
        return 0;
}

/* The profile with --set applied, this host's identity and roles: what check, list and facts share. */
struct session {
        struct conf profile;
        struct identity id;
        struct hostfs *fs;
        unsigned roles;
        char **others;  /* every other host: the profile's [hosts] and --peer, not this one */
        usec_t timeout; /* --timeout, else the profile's [check] timeout */
};

static void session_done(struct session *s)
{
        conf_done(&s->profile);
        identity_done(&s->id);
        hostfs_free(s->fs);
        strv_free(s->others);
}

static int session_open(struct session *s)
{
        _cleanup_(strv_freep) char **dirs = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = profile_search_dirs(arg_profile_path, &dirs);
        if (r < 0)
                return fprintf(stderr, "hostprep: %s\n", strerror(-r)), -EXIT_USAGE;
        r = profile_load(arg_profile, dirs, &s->profile, &error);
        if (r < 0)
                return fprintf(stderr, "hostprep: %s\n", strna(error)), -EXIT_USAGE;
        STRV_FOREACH (a, arg_set) {
                r = profile_set(&s->profile, *a, &error);
                if (r < 0)
                        return fprintf(stderr, "hostprep: %s\n", error ? error : strerror(-r)), -EXIT_USAGE;
        }

        r = hostfs_new(arg_root, &s->fs);
        if (r < 0)
                return fprintf(stderr, "hostprep: --root %s: %s\n", arg_root, strerror(-r)), -EXIT_USAGE;
        r = identity_load(s->fs, arg_host, &s->id);
        if (r < 0)
                return fprintf(stderr, "hostprep: cannot tell who this host is: %s\n", strerror(-r)),
                       -EXIT_USAGE;

        /* a --peer the profile does not name is a migration peer: a hypervisor */
        STRV_FOREACH (p, arg_peers)
                if (!conf_find(&s->profile, "hosts", *p) &&
                    conf_set(&s->profile, "hosts", *p, "hypervisor", "--peer") < 0)
                        return -EXIT_UNDECIDED;
        s->timeout = arg_timeout;
        if (!s->timeout)
                (void)parse_seconds(conf_get(&s->profile, "check", "timeout"), &s->timeout);
        s->roles = identity_roles(&s->id, &s->profile);
        STRV_FOREACH (role, arg_roles)
                s->roles |= ROLE_BIT(role_from_string(*role));
        for (size_t i = 0; i < s->profile.n_entries; i++) {
                const struct conf_entry *e = &s->profile.entries[i];
                if (streq(e->section, "hosts") && !identity_matches(&s->id, e->key) &&
                    strv_push_dup(&s->others, e->key) < 0)
                        return -EXIT_UNDECIDED;
        }
        return 0;
}

/* What a unit sees of this session, with a deadline and where its results go. */
static struct check_ctx session_check_ctx(const struct session *s, usec_t deadline,
                                          struct result_list *results)
{
        return (struct check_ctx){
                .fs = s->fs,
                .profile = &s->profile,
                .hostname = s->id.hostname,
                .roles = s->roles,
                .peers = s->others,
                .deadline = deadline,
                .results = results,
        };
}

/* --only/--skip must name something: a typo must not select nothing. */
static int check_selection(const struct selection *sel, char *const *extra_ids)
{
        const char *bad = NULL;

        if (selection_validate(sel, unit_registry, unit_registry_size, extra_ids, &bad) < 0) {
                fprintf(stderr, "hostprep: '%s' matches no unit or check id (see 'hostprep list')\n", bad);
                return -EINVAL;
        }
        return 0;
}

/* The report in the format asked for, colour only on a terminal. */
static int write_report(const struct report *rep)
{
        if (arg_color < 0)
                arg_color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
        switch (arg_format) {
        case FORMAT_JSON:
                return report_json(stdout, rep);
        case FORMAT_JUNIT:
                return report_junit(stdout, rep);
        default:
                return report_human(stdout, rep, arg_color, arg_quiet);
        }
}

/* Which hosts to check over SSH: --peer, or with --all-hosts every other host of the profile. */
static int peers_to_check(const struct session *s, char ***ret)
{
        _cleanup_(strv_freep) char **v = NULL;

        STRV_FOREACH (p, arg_all_hosts ? s->others : NULL)
                if (strv_push_dup(&v, *p) < 0)
                        return -ENOMEM;
        STRV_FOREACH (p, arg_peers)
                if (!strv_contains(v, *p) && !identity_matches(&s->id, *p) && strv_push_dup(&v, *p) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(v);
        return 0;
}

/* --only/--skip as peers get them */
static int selection_args(char ***ret)
{
        _cleanup_(strv_freep) char **v = NULL;

        STRV_FOREACH (p, arg_only)
                if (strv_push_dup(&v, "--only") < 0 || strv_push_dup(&v, *p) < 0)
                        return -ENOMEM;
        STRV_FOREACH (p, arg_skip)
                if (strv_push_dup(&v, "--skip") < 0 || strv_push_dup(&v, *p) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(v);
        return 0;
}

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

struct peers_job {
        const struct conf *profile;
        char *const *peers;
        char *const *extra;
        usec_t timeout, deadline;
        struct peer_report *reports;
        size_t n_reports;
        int r;
};

static void *peers_thread(void *userdata)
{
        struct peers_job *j = userdata;

        j->r = peers_run(j->profile, "check", j->peers, j->extra, j->timeout, j->deadline, &j->reports,
                         &j->n_reports);
        return NULL;
}

static int log_oom(void)
{
        fprintf(stderr, "hostprep: out of memory\n");
        return EXIT_UNDECIDED;
}

static int verb_check(void)
{
        _cleanup_(session_done) struct session s = {0};
        _cleanup_(strv_freep) char **peer_hosts = NULL, **extra = NULL, **cross_ids = NULL;
        struct result_list results = {0}, comparisons = {0};
        struct selection sel = {.only = arg_only, .skip = arg_skip};
        _cleanup_free_ struct host_report *hosts = NULL;
        struct peer_report *peers = NULL;
        json_object *facts = NULL;
        size_t n_peers = 0;
        usec_t start, timeout;
        struct check_ctx ctx;
        struct report rep;
        int r, rc;

        for (size_t i = 0; i < cross_registry_size; i++)
                if (strv_push_dup(&cross_ids, cross_registry[i]->id) < 0)
                        return log_oom();
        if (check_selection(&sel, cross_ids) < 0)
                return EXIT_USAGE;
        r = session_open(&s);
        if (r < 0)
                return -r;
        timeout = s.timeout;
        if (peers_to_check(&s, &peer_hosts) < 0 || selection_args(&extra) < 0)
                return log_oom();

        start = now_usec();
        ctx = session_check_ctx(&s, start + timeout, &results);
        /* the peers work while this host checks itself: a dead peer costs the deadline once */
        struct peers_job pj = {
                .profile = &s.profile,
                .peers = peer_hosts,
                .extra = extra,
                .timeout = timeout,
                .deadline = start + timeout + 9 * USEC_PER_SEC / 10,
        };
        pthread_t thread;
        bool threaded = peer_hosts && pthread_create(&thread, NULL, peers_thread, &pj) == 0;

        if (peer_hosts && !threaded)
                peers_thread(&pj);
        r = runner_run(&ctx, unit_registry, unit_registry_size, &sel);
        /* a report without facts is still a report: the comparisons say what they miss */
        if (r >= 0 && (arg_facts || peer_hosts) &&
            facts_collect(s.fs, &s.id, s.roles, &s.profile, ctx.deadline + USEC_PER_SEC / 2, &facts) < 0)
                facts = NULL;
        if (threaded)
                pthread_join(thread, NULL);
        peers = pj.reports;
        n_peers = pj.n_reports;
        if (r >= 0 && pj.r < 0) {
                fprintf(stderr, "hostprep: checking the peers failed: %s\n", strerror(-pj.r));
                r = pj.r;
        }
        if (r < 0) {
                if (r != pj.r)
                        fprintf(stderr, "hostprep: running checks failed: %s\n", strerror(-r));
                result_list_done(&results);
                peer_reports_free(peers, n_peers);
                json_object_put(facts);
                return EXIT_UNDECIDED;
        }
        if (peer_hosts && run_comparisons(&s, &sel, facts, peers, n_peers, &comparisons) < 0)
                return log_oom();

        hosts = calloc(n_peers + 1, sizeof(*hosts));
        if (!hosts)
                return log_oom();
        hosts[0] = (struct host_report){
                .name = s.id.hostname,
                .roles = s.roles,
                .results = &results,
                .facts = arg_facts ? facts : NULL,
        };
        for (size_t i = 0; i < n_peers; i++)
                hosts[i + 1] = (struct host_report){
                        .name = peers[i].host,
                        .roles = peers[i].roles,
                        .results = &peers[i].results,
                        .facts = peers[i].facts,
                };
        rep = (struct report){
                .profile_name = s.profile.name,
                .profile_file = s.profile.file,
                .root = hostfs_root(s.fs),
                .hosts = hosts,
                .n_hosts = n_peers + 1,
                .comparisons = peer_hosts ? &comparisons : NULL,
                .duration = now_usec() - start,
        };
        r = write_report(&rep);
        rc = report_exit_code(&rep);
        result_list_done(&results);
        result_list_done(&comparisons);
        peer_reports_free(peers, n_peers);
        json_object_put(facts);
        if (r < 0 || fflush(stdout) != 0) {
                fprintf(stderr, "hostprep: writing the report failed: %s\n", strerror(r < 0 ? -r : errno));
                return EXIT_UNDECIDED;
        }
        return rc;
}

/* --- apply and rollback ----------------------------------------------------------------------------- */

static int open_bus(const struct session *s, usec_t deadline, sd_bus **ret)
{
        struct check_ctx probe = {.fs = s->fs};
        _cleanup_free_ char *address = NULL;

        *ret = NULL;
        /* services are managed only where systemd runs the checked host (live, or a booted container) */
        if (!check_systemd_running(&probe))
                return 0;
        address = check_bus_address(&probe);
        return systemd_bus_open(address, deadline, ret, NULL);
}

static int apply_options_init(const struct session *s, usec_t deadline, sd_bus *bus, struct apply_options *o)
{
        *o = (struct apply_options){
                .fs = s->fs,
                .bus = bus,
                .deadline = deadline,
                .dry_run = arg_dry_run,
                .force = arg_force,
                .log = stderr,
        };
        return 0;
}

/* The results of one unit (ids below unit->id), copied. */
static int unit_results(const struct result_list *all, const struct unit *u, struct result_list *ret)
{
        size_t n = strlen(u->id);

        for (size_t i = 0; i < all->n; i++) {
                const struct result *r = &all->items[i];
                if (strneq(r->id, u->id, n) && (r->id[n] == '.' || r->id[n] == '\0') &&
                    result_list_add_copy(ret, r) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static bool failing(enum status s)
{
        return s == STATUS_FAIL || s == STATUS_WARN || s == STATUS_ERROR;
}

/* Before/after: what failed and passes now is FIXED; in a unit that was fixed, what still fails is ERROR
 * with the reason. Fix notes (what a unit could not fix) come last. */
static int merge_recheck(const struct result_list *before, const struct result_list *after,
                         char *const *fixed_units, const char *apply_error, const struct result_list *notes,
                         struct result_list *out)
{
        int r = 0;

        for (size_t i = 0; r >= 0 && i < after->n; i++) {
                const struct result *a = &after->items[i];
                bool was_failing = false, attempted = false;

                for (size_t j = 0; j < before->n; j++)
                        if (streq(before->items[j].id, a->id) && failing(before->items[j].status))
                                was_failing = true;
                STRV_FOREACH (u, fixed_units)
                        if (startswith(a->id, *u))
                                attempted = true;
                if (attempted && was_failing && a->status == STATUS_PASS)
                        r = result_list_add_restated(out, a, STATUS_FIXED, a->message, NULL);
                else if (attempted && a->status == STATUS_FAIL) {
                        _cleanup_free_ char *msg =
                                apply_error ? strdup_printf("not fixed: the changes were undone (%s): %s",
                                                            apply_error, a->message)
                                            : strdup_printf("still failing after the fix: %s", a->message);
                        r = msg ? result_list_add_restated(out, a, STATUS_ERROR, msg, a->hint) : -ENOMEM;
                } else
                        r = result_list_add_copy(out, a);
        }
        for (size_t i = 0; r >= 0 && notes && i < notes->n; i++)
                r = result_list_add_copy(out, &notes->items[i]);
        return r;
}

/* apply on this host: check, plan what the units' fixes can do, make it (or show it with --dry-run), check
 * again. merged gets the results as reported (FIXED, ERROR with the reason); *ret_rc the exit code when the
 * changes could not be made. show: print the plan and what was done (human output). */
static int apply_here(struct session *s, const struct selection *sel, bool show, struct result_list *merged,
                      int *ret_rc)
{
        _cleanup_(strv_freep) char **fixed_units = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        struct result_list before = {0}, after = {0}, notes = {0};
        struct apply_report areport = {0};
        struct plan plan = {0};
        struct apply_options ao;
        struct check_ctx ctx;
        int r, rc = EXIT_READY;

        /* 1. check */
        ctx = session_check_ctx(s, now_usec() + s->timeout, &before);
        r = runner_run(&ctx, unit_registry, unit_registry_size, sel);
        if (r < 0)
                goto finish;

        /* 2. plan: each unit with a fix and something to fix */
        for (size_t i = 0; i < unit_registry_size; i++) {
                const struct unit *u = unit_registry[i];
                struct result_list mine = {0};
                struct check_ctx fctx = ctx;
                size_t n_checked;

                if (!u->fix || !selection_unit(sel, u) || !(u->roles & s->roles))
                        continue;
                r = unit_results(&before, u, &mine);
                n_checked = mine.n;
                if (r >= 0 && check_failed(&(struct check_ctx){.results = &mine}, NULL)) {
                        fctx.results = &mine;
                        r = u->fix(&fctx, &plan);
                        if (r >= 0)
                                r = strv_push_dup(&fixed_units, u->id);
                        /* what the fix could not do, it said after the check's results */
                        for (size_t k = n_checked; r >= 0 && k < mine.n; k++)
                                r = result_list_add_copy(&notes, &mine.items[k]);
                }
                result_list_done(&mine);
                if (r < 0)
                        goto finish;
        }

        if (show) {
                if (plan.n_actions == 0)
                        printf("Nothing to change.\n");
                else {
                        printf("%s:\n", arg_dry_run ? "Would change (--dry-run)" : "Changes");
                        plan_print(stdout, &plan, arg_force);
                }
        }

        /* 3. apply (a dry run shows what it would do and changes nothing) */
        if (plan.n_actions > 0) {
                r = open_bus(s, now_usec() + 10 * USEC_PER_SEC, &bus);
                if (r < 0)
                        fprintf(stderr, "hostprep: cannot reach systemd: %s; service actions will fail\n",
                                strerror(-r));
                apply_options_init(s, now_usec() + 300 * USEC_PER_SEC, bus, &ao);
                r = apply_plan(&plan, &ao, &areport);
                if (show)
                        apply_report_print(stdout, &areport, arg_dry_run);
                if (r < 0) {
                        fprintf(stderr, "hostprep: apply: %s\n",
                                areport.error ? areport.error : strerror(-r));
                        rc = EXIT_UNDECIDED;
                }
        }

        /* 4. check again: FIXED, or ERROR with the reason */
        if (!arg_dry_run && plan.n_actions > 0) {
                ctx.results = &after;
                ctx.deadline = now_usec() + s->timeout;
                r = runner_run(&ctx, unit_registry, unit_registry_size, sel);
                if (r >= 0)
                        r = merge_recheck(&before, &after, fixed_units,
                                          rc == EXIT_READY ? NULL : strna(areport.error), &notes, merged);
        } else
                r = merge_recheck(&before, &before, NULL, NULL, &notes, merged);
        if (show)
                printf("\n%s:\n", arg_dry_run || plan.n_actions == 0 ? "Now" : "After");

finish:
        result_list_done(&before);
        result_list_done(&after);
        result_list_done(&notes);
        apply_report_done(&areport);
        plan_done(&plan);
        *ret_rc = rc;
        return r;
}

#define KEYS_FILE_PREFIX "/run/hostprep/authorized-keys"

/* Root's public key on every host (this one through the root, the peers over SSH), one per line. */
static int gather_root_keys(const struct session *s, char *const *peers, char **ret)
{
        static const char *const names[] = {"/root/.ssh/id_ed25519.pub", "/root/.ssh/id_ecdsa.pub",
                                            "/root/.ssh/id_rsa.pub"};
        char *remote[] = {(char *)"sh", (char *)"-c",
                          (char *)"cat /root/.ssh/id_ed25519.pub 2>/dev/null || cat /root/.ssh/id_ecdsa.pub "
                                  "2>/dev/null || cat /root/.ssh/id_rsa.pub",
                          NULL};
        _cleanup_(strv_freep) char **keys = NULL;
        size_t n = strv_length(peers);
        _cleanup_free_ struct exec_job *jobs = calloc(n ? n : 1, sizeof(*jobs));
        char ***argvs = calloc(n ? n : 1, sizeof(char **));
        struct ssh_options o;
        int r = 0;

        if (!jobs || !argvs) {
                free(argvs);
                return -ENOMEM;
        }
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_free_ char *k = NULL;
                if (hostfs_read_file(s->fs, names[i], &k, NULL) >= 0) {
                        r = strv_push(&keys, strndup(strip(k), strcspn(strip(k), "\n")));
                        break;
                }
        }
        if (r >= 0)
                r = peers_ssh_options(&s->profile, &o);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = ssh_argv(&o, peers[i], remote, &argvs[i]);
                jobs[i].argv = argvs[i];
        }
        if (r >= 0)
                r = exec_run_many(jobs, n, now_usec() + s->timeout);
        for (size_t i = 0; i < n; i++) {
                if (r >= 0 && jobs[i].exit_status == 0 && jobs[i].out) {
                        _cleanup_free_ char *k =
                                strndup(strip(jobs[i].out), strcspn(strip(jobs[i].out), "\n"));
                        if (k && *k && !strv_contains(keys, k))
                                r = strv_push(&keys, TAKE_PTR(k));
                }
                exec_job_done(&jobs[i]);
                strv_free(argvs[i]);
        }
        free(argvs);
        if (r < 0)
                return r;
        if (strv_push_dup(&keys, "") < 0)
                return -ENOMEM;
        *ret = strv_join(keys, "\n");
        return *ret ? 0 : -ENOMEM;
}

/* Puts text at path on every peer (a private file under /run/hostprep), or removes it (text NULL). */
static int ship_file(const struct session *s, char *const *peers, const char *path, const char *text)
{
        _cleanup_free_ char *cmd =
                text ? strdup_printf("umask 077 && mkdir -p /run/hostprep && cat > %s", path)
                     : strdup_printf("rm -f %s", path);
        char *remote[] = {(char *)"sh", (char *)"-c", cmd, NULL};
        size_t n = strv_length(peers);
        _cleanup_free_ struct exec_job *jobs = calloc(n ? n : 1, sizeof(*jobs));
        char ***argvs = calloc(n ? n : 1, sizeof(char **));
        struct ssh_options o;
        int r;

        if (!cmd || !jobs || !argvs) {
                free(argvs);
                return -ENOMEM;
        }
        r = peers_ssh_options(&s->profile, &o);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = ssh_argv(&o, peers[i], remote, &argvs[i]);
                jobs[i] = (struct exec_job){
                        .argv = argvs[i], .input = text, .input_len = text ? strlen(text) : 0};
        }
        if (r >= 0)
                r = exec_run_many(jobs, n, now_usec() + s->timeout);
        for (size_t i = 0; i < n; i++) {
                exec_job_done(&jobs[i]);
                strv_free(argvs[i]);
        }
        free(argvs);
        return r;
}

/* What the first round fixed stays FIXED in the final report. */
static int keep_fixed(const struct result_list *first, struct result_list *final)
{
        for (size_t i = 0; i < first->n; i++) {
                bool found = false;

                if (first->items[i].status != STATUS_FIXED)
                        continue;
                for (size_t k = 0; k < final->n; k++)
                        if (streq(final->items[k].id, first->items[i].id) &&
                            streq(final->items[k].message, first->items[i].message) &&
                            final->items[k].status == STATUS_PASS) {
                                final->items[k].status = STATUS_FIXED;
                                found = true;
                        }
                if (!found && result_list_add_restated(final, &first->items[i], STATUS_FIXED,
                                                       first->items[i].message, NULL) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int verb_apply(void)
{
        _cleanup_(session_done) struct session s = {0};
        _cleanup_(strv_freep) char **peer_hosts = NULL, **extra = NULL, **keys_only = NULL;
        _cleanup_free_ char *keys = NULL, *keys_path = NULL, *keys_set = NULL;
        _cleanup_free_ struct host_report *hosts = NULL;
        struct result_list merged = {0}, first = {0};
        struct selection sel = {.only = arg_only, .skip = arg_skip};
        struct peer_report *peers = NULL, *peers_first = NULL;
        size_t n_peers = 0, n_first = 0;
        struct report rep;
        usec_t start = now_usec();
        int r, rc = EXIT_READY, rc_first = EXIT_READY;

        if (check_selection(&sel, NULL) < 0)
                return EXIT_USAGE;
        r = session_open(&s);
        if (r < 0)
                return -r;
        if (peers_to_check(&s, &peer_hosts) < 0 || selection_args(&extra) < 0)
                return log_oom();

        if (peer_hosts && !arg_dry_run) {
                /* A controller that reaches every host: each host's root key goes to every other host
                 * (ssh.root's fix, through each host's own journal), before the rest is applied, so that
                 * the hosts' logins to each other pass. */
                struct selection ssh_only = {.only = keys_only};

                if (strv_push_dup(&keys_only, "ssh.root") < 0)
                        return log_oom();
                ssh_only.only = keys_only;
                keys_path = strdup_printf("%s.%d", KEYS_FILE_PREFIX, (int)getpid());
                keys_set = strdup_printf("ssh.authorized_keys=%s", strna(keys_path));
                if (!keys_path || !keys_set || gather_root_keys(&s, peer_hosts, &keys) < 0)
                        return log_oom();
                r = ship_file(&s, peer_hosts, keys_path, keys);
                if (r >= 0) {
                        int fd;

                        (void)mkdir("/run/hostprep", 0700);
                        fd = open(keys_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                        if (fd < 0 || write(fd, keys, strlen(keys)) != (ssize_t)strlen(keys))
                                r = -EIO;
                        if (fd >= 0)
                                close(fd);
                }
                if (r >= 0) {
                        _cleanup_free_ char *error = NULL;
                        r = profile_set(&s.profile, keys_set, &error);
                }
                if (r < 0) {
                        fprintf(stderr, "hostprep: cannot hand the hosts' keys around: %s\n", strerror(-r));
                        rc = EXIT_UNDECIDED;
                        goto finish;
                }
                /* round 1: the keys, everywhere */
                char *only_args[] = {(char *)"--only", (char *)"ssh.root", NULL};
                r = apply_here(&s, &ssh_only, false, &first, &rc_first);
                if (r >= 0)
                        r = peers_run(&s.profile, "apply", peer_hosts, only_args, s.timeout,
                                      now_usec() + 300 * USEC_PER_SEC, &peers_first, &n_first);
                if (r < 0) {
                        fprintf(stderr, "hostprep: handing the keys around failed: %s\n", strerror(-r));
                        rc = EXIT_UNDECIDED;
                        goto finish;
                }
        }

        /* this host, then (with --peer / --all-hosts) every peer */
        r = apply_here(&s, &sel, arg_format == FORMAT_HUMAN, &merged, &rc);
        if (r >= 0 && peer_hosts)
                r = peers_run(&s.profile, arg_dry_run ? "apply-dry-run" : "apply", peer_hosts, extra,
                              s.timeout, now_usec() + 300 * USEC_PER_SEC, &peers, &n_peers);
        if (r < 0) {
                fprintf(stderr, "hostprep: apply failed: %s\n", strerror(-r));
                rc = EXIT_UNDECIDED;
                goto finish;
        }
        if (keep_fixed(&first, &merged) < 0)
                return log_oom();
        for (size_t i = 0; i < n_peers && i < n_first; i++)
                if (keep_fixed(&peers_first[i].results, &peers[i].results) < 0)
                        return log_oom();

        hosts = calloc(n_peers + 1, sizeof(*hosts));
        if (!hosts)
                return log_oom();
        hosts[0] = (struct host_report){.name = s.id.hostname, .roles = s.roles, .results = &merged};
        for (size_t i = 0; i < n_peers; i++)
                hosts[i + 1] = (struct host_report){
                        .name = peers[i].host, .roles = peers[i].roles, .results = &peers[i].results};
        rep = (struct report){
                .profile_name = s.profile.name,
                .profile_file = s.profile.file,
                .root = hostfs_root(s.fs),
                .hosts = hosts,
                .n_hosts = n_peers + 1,
                .duration = now_usec() - start,
        };
        (void)write_report(&rep);
        if (rc == EXIT_READY)
                rc = rc_first != EXIT_READY ? rc_first : report_exit_code(&rep);

finish:
        if (keys_path) {
                (void)unlink(keys_path);
                (void)ship_file(&s, peer_hosts, keys_path, NULL);
        }
        result_list_done(&merged);
        result_list_done(&first);
        peer_reports_free(peers, n_peers);
        peer_reports_free(peers_first, n_first);
        return rc;
}

static int verb_rollback(void)
{
        _cleanup_(session_done) struct session s = {0};
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        struct apply_report areport = {0};
        struct apply_options ao;
        int r;

        r = hostfs_new(arg_root, &s.fs);
        if (r < 0) {
                fprintf(stderr, "hostprep: --root %s: %s\n", arg_root, strerror(-r));
                return EXIT_USAGE;
        }
        if (arg_list) {
                struct apply_run_info *runs = NULL;
                size_t n = 0;

                apply_options_init(&s, now_usec() + 10 * USEC_PER_SEC, NULL, &ao);
                r = apply_list_runs(&ao, &runs, &n);
                if (r < 0) {
                        fprintf(stderr, "hostprep: cannot list the runs: %s\n", strerror(-r));
                        return EXIT_UNDECIDED;
                }
                if (n == 0)
                        printf("No runs recorded.\n");
                for (size_t i = 0; i < n; i++)
                        printf("%-22s %-16s %s  %zu change%s  %s\n", runs[i].id, strna(runs[i].state),
                               strna(runs[i].started), runs[i].n_entries, runs[i].n_entries == 1 ? "" : "s",
                               strempty(runs[i].units));
                apply_run_info_free_many(runs, n);
                return 0;
        }
        (void)open_bus(&s, now_usec() + 10 * USEC_PER_SEC, &bus);
        apply_options_init(&s, now_usec() + 300 * USEC_PER_SEC, bus, &ao);
        r = apply_rollback(&ao, arg_run, &areport);
        apply_report_print(stdout, &areport, false);
        if (r < 0) {
                fprintf(stderr, "hostprep: rollback: %s\n", areport.error ? areport.error : strerror(-r));
                apply_report_done(&areport);
                return EXIT_UNDECIDED;
        }
        if (r == 1)
                printf("Run %s was already rolled back; nothing to do.\n", areport.run_id);
        apply_report_done(&areport);
        return 0;
}

/* --- migrate ---------------------------------------------------------------------------------------- */

static struct migrate_session *volatile migrating = NULL;

static void on_interrupt(int sig)
{
        struct migrate_session *s = migrating;

        if (s)
                migrate_session_interrupt(s); /* async-signal-safe: the running step stops and cleans up */
}

static bool profile_bool(const struct conf *c, const char *section, const char *key)
{
        return parse_boolean(conf_get(c, section, key)) > 0;
}

static unsigned profile_uint(const struct conf *c, const char *section, const char *key)
{
        unsigned u = 0;

        (void)safe_atou(conf_get(c, section, key), &u);
        return u;
}

/* The canary: the profile's, else the one built with hostprep (in the build tree, else installed). */
static const char *canary_path(const struct conf *profile)
{
        const char *p = conf_get(profile, "migrate", "canary");

        if (p)
                return p;
        return access(HOSTPREP_CANARY_BUILD, R_OK) == 0 ? HOSTPREP_CANARY_BUILD : HOSTPREP_CANARY_INSTALLED;
}

/* The units a migration depends on: refuse with their failures unless --force. */
static int migrate_preflight(struct session *s, const char *transport, struct result_list *out)
{
        char *needed[] = {(char *)"nfs.mount", (char *)"nfs.access",
                          streq(transport, "ssh") ? (char *)"ssh.root" : NULL, NULL};
        struct selection sel = {.only = needed};
        struct check_ctx ctx = session_check_ctx(s, now_usec() + s->timeout, out);

        ctx.roles |= ROLE_BIT(ROLE_HYPERVISOR); /* migrating from here makes it one */
        return runner_run(&ctx, unit_registry, unit_registry_size, &sel);
}

static void print_stats(FILE *f, const struct migrate_stats *st)
{
        fprintf(f, "  total time     %llu ms (wall %llu ms)\n", (unsigned long long)st->total_time_ms,
                (unsigned long long)st->wall_time_ms);
        fprintf(f, "  downtime       %llu ms\n", (unsigned long long)st->downtime_ms);
        fprintf(f, "  transferred    %.1f MiB in %llu passes\n", (double)st->bytes_transferred / (1 << 20),
                (unsigned long long)st->iterations);
        fprintf(f, "  throughput     %.1f MiB/s\n", (double)st->throughput_bps / (1 << 20));
        fprintf(f, "  dirty rate     %.1f MiB/s\n", (double)st->dirty_rate_bps / (1 << 20));
        fprintf(f, "  heartbeat      %u -> %u (%s)\n", st->heartbeat_before, st->heartbeat_after,
                st->heartbeat_advanced ? "advanced" : "did not advance");
        fprintf(f, "  magic          %s\n", st->magic_ok ? "intact" : "LOST");
}

static json_object *stats_json(const struct migrate_stats *st)
{
        json_object *o = json_object_new_object();

        json_object_object_add(o, "total_time_ms", json_object_new_int64((int64_t)st->total_time_ms));
        json_object_object_add(o, "wall_time_ms", json_object_new_int64((int64_t)st->wall_time_ms));
        json_object_object_add(o, "downtime_ms", json_object_new_int64((int64_t)st->downtime_ms));
        json_object_object_add(o, "bytes_transferred",
                               json_object_new_int64((int64_t)st->bytes_transferred));
        json_object_object_add(o, "throughput_bps", json_object_new_int64((int64_t)st->throughput_bps));
        json_object_object_add(o, "dirty_rate_bps", json_object_new_int64((int64_t)st->dirty_rate_bps));
        json_object_object_add(o, "iterations", json_object_new_int64((int64_t)st->iterations));
        json_object_object_add(o, "heartbeat_before", json_object_new_int64(st->heartbeat_before));
        json_object_object_add(o, "heartbeat_after", json_object_new_int64(st->heartbeat_after));
        json_object_object_add(o, "magic_ok", json_object_new_boolean(st->magic_ok));
        json_object_object_add(o, "postcopy_used", json_object_new_boolean(st->postcopy_used));
        json_object_object_add(o, "migrations", json_object_new_int((int)st->migrations));
        return o;
}

static int verb_migrate(void)
{
        _cleanup_(session_done) struct session s = {0};
        _cleanup_(migrate_session_freep) struct migrate_session *ms = NULL;
        _cleanup_free_ char *disk = NULL, *cmdline = NULL;
        struct result_list pre = {0}, results = {0};
        const char *driver_name, *transport = NULL;
        const struct migrate_driver *driver;
        struct migrate_params params;
        bool created_disk = false;
        struct sigaction sa = {.sa_handler = on_interrupt}, old_int, old_term;
        struct host_report host;
        struct report rep;
        usec_t start = now_usec();
        int r, t, rc;

        if (!arg_to) {
                fprintf(stderr, "hostprep: migrate needs --to HOST\nTry 'hostprep migrate --help'.\n");
                return EXIT_USAGE;
        }
        r = session_open(&s);
        if (r < 0)
                return -r;
        driver_name = arg_driver ? arg_driver : conf_get(&s.profile, "migrate", "driver");
        if (!driver_name)
                driver_name = HAVE_LIBVIRT ? "libvirt" : "qemu";
        driver = migrate_driver_find(driver_name);
        if (!driver) {
                fprintf(stderr, "hostprep: --driver %s: unknown driver (this hostprep has: %s)\n",
                        driver_name, HAVE_LIBVIRT ? "libvirt, qemu" : "qemu");
                return EXIT_USAGE;
        }
        transport = conf_get(&s.profile, "migrate", "transport");
        t = migrate_transport_from_string(transport);
        if (t < 0) {
                fprintf(stderr, "hostprep: [migrate] transport = %s: expected tcp, tls or ssh\n", transport);
                return EXIT_USAGE;
        }

        /* 1. preflight */
        r = migrate_preflight(&s, transport, &pre);
        if (r < 0) {
                fprintf(stderr, "hostprep: preflight failed: %s\n", strerror(-r));
                return EXIT_UNDECIDED;
        }
        /* what does not pass is shown; with --force a failure is only a warning: the migration decides */
        for (size_t i = 0; i < pre.n; i++)
                if (pre.items[i].status != STATUS_PASS && pre.items[i].status != STATUS_SKIP) {
                        _cleanup_free_ char *msg = strdup_printf("%s%s", pre.items[i].message,
                                                                 arg_force ? " (ignored: --force)" : "");
                        result_list_add_restated(&results, &pre.items[i],
                                                 arg_force && pre.items[i].status == STATUS_FAIL
                                                         ? STATUS_WARN
                                                         : pre.items[i].status,
                                                 msg ? msg : pre.items[i].message, pre.items[i].hint);
                }
        if (results_exit_code(&pre) == EXIT_NOT_READY && !arg_force) {
                result_list_add(&results, "migrate.preflight", STATUS_FAIL,
                                "not migrating: the checks above fail (a migration would fail or lose data)",
                                "fix them (hostprep apply), or try anyway with --force", NULL);
                goto report;
        }

        /* 2. migrate: the canary's disk on the shared mount, with cache='none' */
        if (!arg_guest) {
                disk = arg_disk ? strdup(arg_disk)
                                : strdup_printf("%s/hostprep-canary-%s-%d.img",
                                                conf_get(&s.profile, "nfs", "mountpoint"), s.id.hostname,
                                                (int)getpid());
                cmdline = strdup_printf("dirty=%s", conf_get(&s.profile, "migrate", "canary_dirty"));
                if (!disk || !cmdline)
                        return log_oom();
        }
        params = (struct migrate_params){
                .dest_host = arg_to,
                .transport = (enum migrate_transport)t,
                .live = true,
                .peer2peer = profile_bool(&s.profile, "migrate", "peer2peer"),
                .downtime_limit_ms = profile_uint(&s.profile, "migrate", "downtime_ms"),
                .bandwidth_mib = profile_uint(&s.profile, "migrate", "bandwidth"),
                .completion_timeout_ms = profile_uint(&s.profile, "migrate", "timeout") * 1000,
                .auto_converge = profile_bool(&s.profile, "migrate", "auto_converge"),
                .postcopy = profile_bool(&s.profile, "migrate", "post_copy"),
                .round_trip = arg_round_trip,
                .guest_name = arg_guest,
                .canary_kernel = canary_path(&s.profile),
                .canary_cmdline = cmdline,
                .disk = disk,
        };
        /* a disk file of the canary's own on the shared storage: made here, removed afterwards */
        if (disk && !startswith(disk, "nbd://")) {
                int fd = open(disk, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

                if (fd < 0) {
                        _cleanup_free_ char *msg = strdup_printf("cannot create the canary's disk %s: %s",
                                                                 disk, strerror(errno));
                        result_list_add(&results, "migrate.run", STATUS_ERROR,
                                        msg ? msg : "cannot create the disk",
                                        "check the profile's [nfs] mountpoint", NULL);
                        goto report;
                }
                created_disk = true;
                if (ftruncate(fd, 1 << 20) < 0) /* a sparse MiB: the canary only needs a disk to exist */
                        fprintf(stderr, "hostprep: sizing %s failed: %m\n", disk);
                close(fd);
        }
        /* a progress line on a terminal (stderr, so a JSON report on stdout stays clean) */
        if (isatty(STDERR_FILENO) && !arg_quiet) {
                params.progress = migrate_progress_bar_cb;
                params.progress_userdata = stderr;
        }
        r = migrate_session_new(driver, &params, &ms);
        if (r < 0) {
                fprintf(stderr, "hostprep: cannot start the migration: %s\n", strerror(-r));
                return EXIT_UNDECIDED;
        }
        migrating = ms;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        r = migrate_session_run(ms);
        migrating = NULL;
        if (params.progress)
                migrate_progress_bar_end(stderr);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);

        if (r < 0) {
                /* for storage refusals, what this side's mount looks like (the peer's: check --peer DEST) */
                const char *mount_seen = NULL;

                for (size_t i = 0; i < pre.n; i++)
                        if (streq(pre.items[i].id, "nfs.mount.mounted"))
                                mount_seen = pre.items[i].evidence;
                result_list_add(&results, "migrate.run", STATUS_FAIL, migrate_session_error(ms),
                                "hostprep check --peer DEST compares the hosts",
                                strstr(migrate_session_error(ms), "shared") ? mount_seen : NULL);
        } else {
                const struct migrate_stats *st = migrate_session_stats(ms);
                _cleanup_free_ char *msg = strdup_printf(
                        "%s%s %s%s: live, %llu ms, downtime %llu ms, %.1f MiB; the guest kept running "
                        "there",
                        arg_guest ? arg_guest : "the canary", arg_round_trip ? " went to" : " moved to",
                        arg_to, arg_round_trip ? " and back" : "", (unsigned long long)st->total_time_ms,
                        (unsigned long long)st->downtime_ms, (double)st->bytes_transferred / (1 << 20));
                result_list_add(&results, "migrate.run", STATUS_PASS, msg ? msg : "migrated", NULL, NULL);
        }

report:
        host = (struct host_report){.name = s.id.hostname, .roles = s.roles, .results = &results};
        rep = (struct report){
                .profile_name = s.profile.name,
                .profile_file = s.profile.file,
                .root = hostfs_root(s.fs),
                .hosts = &host,
                .n_hosts = 1,
                .duration = now_usec() - start,
        };
        /* the migration's numbers beside the results */
        if (ms && arg_format == FORMAT_JSON) {
                rep.extra_key = "migration";
                rep.extra = stats_json(migrate_session_stats(ms));
        }
        (void)write_report(&rep);
        json_object_put(rep.extra);
        if (arg_format == FORMAT_HUMAN && ms && migrate_session_stats(ms)->migrations > 0)
                print_stats(stdout, migrate_session_stats(ms));
        rc = report_exit_code(&rep);
        result_list_done(&pre);
        result_list_done(&results);
        if (created_disk) {
                ms = migrate_session_free(ms); /* its cleanup first: the guest may still hold the disk */
                (void)unlink(disk);
        }
        return rc;
}

static int verb_list(void)
{
        int r = arg_format == FORMAT_JSON ? units_list_json(stdout) : units_list_human(stdout, arg_quiet);

        if (r < 0) {
                fprintf(stderr, "hostprep: listing the units failed: %s\n", strerror(-r));
                return EXIT_UNDECIDED;
        }
        return 0;
}

static int verb_facts(void)
{
        _cleanup_(session_done) struct session s = {0};
        usec_t timeout;
        int r;

        r = session_open(&s);
        if (r < 0)
                return -r;
        timeout = s.timeout;
        r = facts_print(stdout, s.fs, &s.id, s.roles, &s.profile, now_usec() + timeout,
                        arg_format == FORMAT_JSON);
        if (r < 0) {
                fprintf(stderr, "hostprep: gathering facts failed: %s\n", strerror(-r));
                return EXIT_UNDECIDED;
        }
        return 0;
}

static int push_list(char ***v, const char *arg)
{
        _cleanup_(strv_freep) char **parts = NULL;
        int r = strv_split(arg, ",", &parts);

        STRV_FOREACH (p, parts)
                if (r >= 0)
                        r = strv_push_dup(v, *p);
        return r;
}

static int usage_error(const char *fmt, ...) _printf_(1, 2);
static int usage_error(const char *fmt, ...)
{
        va_list ap;

        fputs("hostprep: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\nTry 'hostprep --help'.\n", stderr);
        return -EINVAL;
}

/* <0 error (usage), 0 exit successfully, >0 go on. */
static int parse_argv(int argc, char *argv[])
{
        enum {
                ARG_PROFILE = 0x100,
                ARG_PROFILE_PATH,
                ARG_SET,
                ARG_ONLY,
                ARG_SKIP,
                ARG_ROLE,
                ARG_HOST,
                ARG_FORMAT,
                ARG_JSON,
                ARG_ROOT,
                ARG_TIMEOUT,
                ARG_NO_COLOR,
                ARG_VERSION,
                ARG_PEER,
                ARG_ALL_HOSTS,
                ARG_FACTS,
                ARG_DRY_RUN,
                ARG_FORCE,
                ARG_LIST,
                ARG_TO,
                ARG_DRIVER,
                ARG_GUEST,
                ARG_DISK,
                ARG_ROUND_TRIP,
        };
        static const struct option options[] = {
                {"profile", required_argument, NULL, ARG_PROFILE},
                {"profile-path", required_argument, NULL, ARG_PROFILE_PATH},
                {"set", required_argument, NULL, ARG_SET},
                {"only", required_argument, NULL, ARG_ONLY},
                {"skip", required_argument, NULL, ARG_SKIP},
                {"role", required_argument, NULL, ARG_ROLE},
                {"host", required_argument, NULL, ARG_HOST},
                {"format", required_argument, NULL, ARG_FORMAT},
                {"json", no_argument, NULL, ARG_JSON},
                {"root", required_argument, NULL, ARG_ROOT},
                {"timeout", required_argument, NULL, ARG_TIMEOUT},
                {"quiet", no_argument, NULL, 'q'},
                {"no-color", no_argument, NULL, ARG_NO_COLOR},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, ARG_VERSION},
                {"peer", required_argument, NULL, ARG_PEER},
                {"all-hosts", no_argument, NULL, ARG_ALL_HOSTS},
                {"facts", no_argument, NULL, ARG_FACTS},
                {"dry-run", no_argument, NULL, ARG_DRY_RUN},
                {"force", no_argument, NULL, ARG_FORCE},
                {"list", no_argument, NULL, ARG_LIST},
                {"to", required_argument, NULL, ARG_TO},
                {"driver", required_argument, NULL, ARG_DRIVER},
                {"guest", required_argument, NULL, ARG_GUEST},
                {"disk", required_argument, NULL, ARG_DISK},
                {"round-trip", no_argument, NULL, ARG_ROUND_TRIP},
                {},
        };
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":qh", options, NULL)) >= 0) {
                switch (c) {
                case ARG_PROFILE:
                        arg_profile = optarg;
                        break;
                case ARG_PROFILE_PATH:
                        arg_profile_path = optarg;
                        break;
                case ARG_SET:
                        if (strv_push_dup(&arg_set, optarg) < 0)
                                return -ENOMEM;
                        break;
                case ARG_ONLY:
                case ARG_SKIP:
                        r = push_list(c == ARG_ONLY ? &arg_only : &arg_skip, optarg);
                        if (r < 0)
                                return r;
                        break;
                case ARG_ROLE:
                        if (role_from_string(optarg) < 0)
                                return usage_error("--role %s: unknown role (known: nfs-server, hypervisor)",
                                                   optarg);
                        if (strv_push_dup(&arg_roles, optarg) < 0)
                                return -ENOMEM;
                        break;
                case ARG_HOST:
                        if (!*optarg)
                                return usage_error("--host needs a name");
                        arg_host = optarg;
                        break;
                case ARG_FORMAT: {
                        int f = -1;
                        for (int i = 0; i < _FORMAT_MAX; i++)
                                if (streq(optarg, format_names[i]))
                                        f = i;
                        if (f < 0)
                                return usage_error("--format %s: expected human, json or junit", optarg);
                        arg_format = (enum format)f;
                        break;
                }
                case ARG_JSON:
                        arg_format = FORMAT_JSON;
                        break;
                case ARG_ROOT:
                        arg_root = optarg;
                        break;
                case ARG_TIMEOUT:
                        if (parse_seconds(optarg, &arg_timeout) < 0)
                                return usage_error("--timeout %s: expected seconds, more than 0", optarg);
                        break;
                case 'q':
                        arg_quiet = true;
                        break;
                case ARG_PEER:
                        /* a name starting with '-' could be taken for an ssh option */
                        if (!*optarg || optarg[0] == '-' || strpbrk(optarg, " \t\n'\"\\;$`"))
                                return usage_error("--peer %s: expected a host name or address", optarg);
                        if (strv_push_dup(&arg_peers, optarg) < 0)
                                return -ENOMEM;
                        break;
                case ARG_ALL_HOSTS:
                        arg_all_hosts = true;
                        break;
                case ARG_FACTS:
                        arg_facts = true;
                        break;
                case ARG_DRY_RUN:
                        arg_dry_run = true;
                        break;
                case ARG_FORCE:
                        arg_force = true;
                        break;
                case ARG_LIST:
                        arg_list = true;
                        break;
                case ARG_TO:
                        if (!*optarg || optarg[0] == '-' || strpbrk(optarg, " \t\n'\"\\;$`/"))
                                return usage_error("--to %s: expected a host name or address", optarg);
                        arg_to = optarg;
                        break;
                case ARG_DRIVER:
                        arg_driver = optarg;
                        break;
                case ARG_GUEST:
                        /* "canary" is the default guest, any other name an existing one */
                        arg_guest = streq(optarg, "canary") ? NULL : optarg;
                        break;
                case ARG_DISK:
                        arg_disk = optarg;
                        break;
                case ARG_ROUND_TRIP:
                        arg_round_trip = true;
                        break;
                case ARG_NO_COLOR:
                        arg_color = 0;
                        break;
                case 'h':
                        arg_help = true;
                        break;
                case ARG_VERSION:
                        verb_version();
                        return 0;
                case ':':
                        return usage_error("option '%s' needs an argument", argv[optind - 1]);
                default:
                        return usage_error("unknown option '%s'", argv[optind - 1]);
                }
        }

        if (optind < argc) {
                for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                        if (streq(argv[optind], verbs[i].name))
                                arg_verb = &verbs[i];
                if (!arg_verb)
                        return usage_error("unknown verb '%s'", argv[optind]);
                optind++;
        }
        if (arg_verb && arg_verb->run == verb_help && optind < argc) {
                const struct verb *help = arg_verb;
                for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                        if (streq(argv[optind], verbs[i].name))
                                arg_verb = &verbs[i];
                if (arg_verb == help)
                        return usage_error("help: unknown verb '%s'", argv[optind]);
                arg_help = true;
                optind++;
        }
        if (arg_verb && arg_verb->run == verb_rollback && optind < argc)
                arg_run = argv[optind++];
        if (optind < argc)
                return usage_error("unexpected argument '%s'", argv[optind]);
        return 1;
}

int main(int argc, char *argv[])
{
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0) {
                r = r < 0 ? EXIT_USAGE : 0;
                goto finish;
        }
        if (!arg_verb && !arg_help) {
                usage_error("a verb is needed (check, list, facts, version, help)");
                r = EXIT_USAGE;
                goto finish;
        }
        r = arg_help ? verb_help() : arg_verb->run();

finish:
        strv_free(arg_set);
        strv_free(arg_only);
        strv_free(arg_skip);
        strv_free(arg_roles);
        strv_free(arg_peers);
        return r;
}

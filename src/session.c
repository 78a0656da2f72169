/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the verbs share: the session (profile, identity, host, roles, peers), the scope options of check and
 * apply, and the report writer. */
#include <stdio.h>
#include <time.h>

#include "atomicfile.h"
#include "common.h"
#include "profile.h"
#include "report-sinks.h"
#include "strv.h"
#include "util.h"
#include "verbs.h"

static int push_list(char ***v, const char *arg)
{
        _cleanup_(strv_freep) char **parts = NULL;
        int r = strv_split(arg, ",", &parts);

        STRV_FOREACH (p, parts)
                if (r >= 0)
                        r = strv_push_dup(v, *p);
        return r;
}

int scope_parse(struct scope_args *a, int id, const char *arg)
{
        switch (id) {
        case SCOPE_ONLY:
                return push_list(&a->only, arg);
        case SCOPE_SKIP:
                return push_list(&a->skip, arg);
        case SCOPE_PEER:
                /* a name starting with '-' could be taken for an ssh option */
                if (!*arg || arg[0] == '-' || strpbrk(arg, " \t\n'\"\\;$`"))
                        return usage_error("--peer %s: expected a host name or address", arg);
                return strv_push_dup(&a->peers, arg);
        case SCOPE_ALL_HOSTS:
                a->all_hosts = true;
                return 0;
        default:
                return -EINVAL;
        }
}

void scope_args_done(struct scope_args *a)
{
        strv_free(a->only);
        strv_free(a->skip);
        strv_free(a->peers);
        *a = (struct scope_args){0};
}

void session_done(struct session *s)
{
        conf_done(&s->profile);
        identity_done(&s->id);
        host_roles_done(&s->host_roles);
        hostfs_free(s->fs);
        strv_free(s->others);
}

/* The profile, with --set applied. */
static int session_load_profile(struct session *s)
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
        return 0;
}

int session_open(struct session *s, char *const *peers)
{
        int r;

        r = session_load_profile(s);
        if (r < 0)
                return r;
        r = hostfs_new(arg_root, &s->fs);
        if (r < 0)
                return fprintf(stderr, "hostprep: --root %s: %s\n", arg_root, strerror(-r)), -EXIT_USAGE;
        r = identity_load(s->fs, arg_host, &s->id);
        if (r < 0)
                return fprintf(stderr, "hostprep: cannot tell who this host is: %s\n", strerror(-r)),
                       -EXIT_USAGE;

        /* a --peer the profile does not name is a migration peer: a hypervisor */
        STRV_FOREACH (p, peers)
                if (!conf_find(&s->profile, "hosts", *p) &&
                    conf_set(&s->profile, "hosts", *p, "hypervisor", "--peer") < 0)
                        return -EXIT_UNDECIDED;
        s->timeout = arg_timeout;
        if (!s->timeout)
                (void)parse_seconds(conf_get(&s->profile, "check", "timeout"), &s->timeout);
        /* named in [hosts] or by --role, else found on the host (what runs and is set up there) */
        r = host_roles_find(s->fs, &s->id, &s->profile, arg_roles, now_usec() + s->timeout, &s->host_roles);
        if (r < 0)
                return fprintf(stderr, "hostprep: cannot tell this host's roles: %s\n", strerror(-r)),
                       -EXIT_UNDECIDED;
        s->roles = s->host_roles.roles;
        for (size_t i = 0; i < s->profile.n_entries; i++) {
                const struct conf_entry *e = &s->profile.entries[i];
                if (streq(e->section, "hosts") && !identity_matches(&s->id, e->key) &&
                    strv_push_dup(&s->others, e->key) < 0)
                        return -EXIT_UNDECIDED;
        }
        return 0;
}

struct check_ctx session_check_ctx(const struct session *s, usec_t deadline, struct result_list *results)
{
        return (struct check_ctx){
                .fs = s->fs,
                .profile = &s->profile,
                .hostname = s->id.hostname,
                .roles = s->roles,
                .roles_detected = s->host_roles.detected,
                .peers = s->others,
                .deadline = deadline,
                .results = results,
        };
}

int check_selection(const struct selection *sel, char *const *extra_ids)
{
        const char *bad = NULL;

        if (selection_validate(sel, unit_registry, unit_registry_size, extra_ids, &bad) < 0) {
                fprintf(stderr, "hostprep: '%s' matches no unit or check id (see 'hostprep list')\n", bad);
                return -EINVAL;
        }
        return 0;
}

struct report session_report(const struct session *s, const struct host_report *hosts, size_t n_hosts,
                             usec_t start)
{
        return (struct report){
                .profile_name = s->profile.name,
                .profile_file = s->profile.file,
                .root = hostfs_root(s->fs),
                .hosts = hosts,
                .n_hosts = n_hosts,
                .duration = now_usec() - start,
        };
}

static double now_realtime_seconds(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int render_report(FILE *f, const struct report *rep)
{
        switch (arg_format) {
        case FORMAT_JSON:
                return report_json(f, rep);
        case FORMAT_JUNIT:
                return report_junit(f, rep);
        case FORMAT_PROMETHEUS:
                return report_prometheus(f, rep, now_realtime_seconds());
        default:
                return report_human(f, rep, arg_color, arg_quiet);
        }
}

/* --output: rendered in memory, then put in place at once, so a reader (node_exporter's textfile
 * collector) sees the last report or the new one, whole. Says what went wrong. */
static int write_report_file(const struct report *rep, const char *path)
{
        _cleanup_(hostfs_freep) struct hostfs *fs = NULL;
        _cleanup_free_ char *data = NULL, *cwd = NULL, *abs = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&data, &len);
        int r;

        if (!f)
                return -ENOMEM;
        r = render_report(f, rep);
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        if (path[0] != '/') {
                cwd = get_current_dir_name();
                abs = cwd ? strdup_printf("%s/%s", cwd, path) : NULL;
                if (!abs)
                        return -errno;
        }
        r = hostfs_new("/", &fs);
        if (r >= 0)
                r = atomic_write_file(fs, abs ? abs : path, data, len, 0644);
        if (r < 0)
                fprintf(stderr, "hostprep: --output %s: %s\n", path, strerror(-r));
        return r;
}

int write_report(const struct report *rep)
{
        int r = 0, k;

        if (arg_journal) {
                r = report_journal(rep);
                if (r < 0)
                        fprintf(stderr, "hostprep: --journal: the journal did not take the results: %s\n",
                                strerror(-r));
        }
        if (arg_color < 0)
                arg_color = !arg_output && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
        k = arg_output ? write_report_file(rep, arg_output) : render_report(stdout, rep);
        return r < 0 ? r : k;
}

int peers_to_check(const struct session *s, const struct scope_args *a, char ***ret)
{
        _cleanup_(strv_freep) char **v = NULL;

        STRV_FOREACH (p, a->all_hosts ? s->others : NULL)
                if (strv_push_dup(&v, *p) < 0)
                        return -ENOMEM;
        STRV_FOREACH (p, a->peers)
                if (!strv_contains(v, *p) && !identity_matches(&s->id, *p) && strv_push_dup(&v, *p) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(v);
        return 0;
}

int selection_args(const struct scope_args *a, char ***ret)
{
        _cleanup_(strv_freep) char **v = NULL;

        STRV_FOREACH (p, a->only)
                if (strv_push_dup(&v, "--only") < 0 || strv_push_dup(&v, *p) < 0)
                        return -ENOMEM;
        STRV_FOREACH (p, a->skip)
                if (strv_push_dup(&v, "--skip") < 0 || strv_push_dup(&v, *p) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(v);
        return 0;
}

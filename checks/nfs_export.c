/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nfs.export: the NFS server exports the profile's directory to every hypervisor, read-write, without
 * squashing root (qemu runs as root on the hypervisors and must own its disk images), synchronously,
 * without subtree checking, and to no more hosts than needed. Reads /etc/exports and
 * the exports.d files as exportfs does.
 */
#include <arpa/inet.h>
#include <sys/stat.h>

#include "common.h"
#include "etchosts.h"
#include "exports.h"
#include "nfsprobe.h"
#include "pathnames.h"
#include "provision/plan.h"
#include "provision/systemd.h"
#include "strv.h"
#include "template.h"
#include "unit.h"

/* Which of several matching client specs mountd uses: the most specific kind first. */
static int client_kind_rank(enum export_client_kind k)
{
        switch (k) {
        case EXPORT_CLIENT_HOSTNAME:
        case EXPORT_CLIENT_IPV4:
        case EXPORT_CLIENT_IPV6:
                return 0;
        case EXPORT_CLIENT_SUBNET_V4:
        case EXPORT_CLIENT_SUBNET_V6:
                return 1;
        case EXPORT_CLIENT_WILDCARD:
                return 2;
        case EXPORT_CLIENT_NETGROUP:
                return 3;
        default:
                return 4;
        }
}

static bool client_counts(const struct export_client *c)
{
        return !c->after_error && !c->duplicate;
}

/* The flags that apply to AUTH_SYS clients, which is how libvirt/qemu hosts mount. */
static const struct export_sec_flags *client_sys_flags(const struct export_client *c)
{
        for (size_t i = 0; i < c->options.n_sec; i++)
                if (c->options.sec[i].flavor == EXPORT_SEC_SYS)
                        return &c->options.sec[i].flags;
        return &c->options.flags;
}

enum {
        FILES_UNREADABLE,
        FILES_PARSE_ERROR,
        FILES_PARSED,
        PRESENT_NO_FILES,
        PRESENT_STOPPED,
        PRESENT_MISSING,
        PRESENT_EXPORTED,
        CLIENT_NO_HYPERVISORS,
        CLIENT_EXPORTED,
        CLIENT_NETGROUP,
        CLIENT_MISSING,
        RW_PRESENT,
        RW_MISSING,
        SYNC_PRESENT,
        SYNC_MISSING,
        ROOT_SQUASH_PRESENT,
        ROOT_SQUASH_ROOT,
        ROOT_SQUASH_ALL,
        SUBTREE_CHECK_PRESENT,
        SUBTREE_CHECK_ON,
        OPTIONS_PRESENT,
        OPTIONS_UNKNOWN,
        OPTIONS_RO,
        OPTIONS_ASYNC,
        OPTIONS_INSECURE,
        OPTIONS_SECURE,
        OPTIONS_CROSSMNT,
        OPTIONS_NOHIDE,
        OPTIONS_FSID,
        WIDE_CLIENT,
        WIDE_NAMED_ONLY,
        SPACE_BEFORE_PAREN,
        SPACE_NONE,
        DIRECTORY_MISSING,
        DIRECTORY_UNREADABLE,
        DIRECTORY_NOT_DIRECTORY,
        DIRECTORY_PRESENT,
        SERVICE_BUS_FAILED,
        SERVICE_NOT_ENABLED,
        SERVICE_RUNNING,
        SERVICE_NOT_RUNNING,
        SERVICE_PORT_UNKNOWN,
        SERVICE_NOT_LISTENING,
        SERVICE_LISTENING,
        SERVED_LIST_FAILED,
        SERVED_LISTED,
        SERVED_NOT_OWN_CLIENT,
        SERVED_NOT_LISTED,
        FIX_NO_HYPERVISORS,
        FIX_UNREADABLE,
        FIX_OPERATOR_LINE,
        FIX_TEMPLATE_BROKEN,
};

/* For an option the profile requires: @CLIENTS@ are those whose spec lacks it. */
#define OPTION_HINT(option)                                                                                 \
        "put " option " in the options of @CLIENTS@ in the exports file, then run 'exportfs -r'"
#define HOSTPREP_EXPORTS PATH_HOSTPREP_EXPORTS

static const struct result_def nfs_export_results[] = {
        [FILES_UNREADABLE] = {"nfs.export.files", STATUS_ERROR, "unreadable",
                              "check the file's permissions"},
        [FILES_PARSE_ERROR] = {"nfs.export.files", STATUS_FAIL, "parse_error",
                               "fix the line; 'exportfs -ra' shows the same error"},
        [FILES_PARSED] = {"nfs.export.files", STATUS_PASS, "parsed"},
        [PRESENT_NO_FILES] = {"nfs.export.present", STATUS_FAIL, "no_exports_files",
                              "create " HOSTPREP_EXPORTS
                              " with a line for @EXPORT@, then run 'exportfs -r'"},
        [PRESENT_STOPPED] = {"nfs.export.present", STATUS_FAIL, "stopped_by_error",
                             "fix the error in the exports file (see nfs.export.files)"},
        [PRESENT_MISSING] = {"nfs.export.present", STATUS_FAIL, "export_missing",
                             "add a line for @EXPORT@ with the hypervisors as clients to " HOSTPREP_EXPORTS
                             ", then run 'exportfs -r'"},
        [PRESENT_EXPORTED] = {"nfs.export.present", STATUS_PASS, "exported"},
        [CLIENT_NO_HYPERVISORS] = {"nfs.export.client", STATUS_SKIP, "no_hypervisors"},
        [CLIENT_EXPORTED] = {"nfs.export.client", STATUS_PASS, "client_exported"},
        [CLIENT_NETGROUP] = {"nfs.export.client", STATUS_WARN, "netgroup_undecided",
                             "check with 'getent netgroup', or name the host in the export"},
        [CLIENT_MISSING] = {"nfs.export.client", STATUS_FAIL, "client_missing",
                            "add @CLIENT@(@OPTIONS@) to the line for @EXPORT@, then run 'exportfs -r'"},
        [RW_PRESENT] = {"nfs.export.rw", STATUS_PASS, "option_present"},
        [RW_MISSING] = {"nfs.export.rw", STATUS_FAIL, "read_only", OPTION_HINT("rw")},
        [SYNC_PRESENT] = {"nfs.export.sync", STATUS_PASS, "option_present"},
        [SYNC_MISSING] = {"nfs.export.sync", STATUS_WARN, "async_export", OPTION_HINT("sync")},
        [ROOT_SQUASH_PRESENT] = {"nfs.export.root_squash", STATUS_PASS, "option_present"},
        [ROOT_SQUASH_ROOT] = {"nfs.export.root_squash", STATUS_FAIL, "root_squashed",
                              OPTION_HINT("no_root_squash")},
        [ROOT_SQUASH_ALL] = {"nfs.export.root_squash", STATUS_FAIL, "all_squashed",
                             OPTION_HINT("no_all_squash")},
        [SUBTREE_CHECK_PRESENT] = {"nfs.export.subtree_check", STATUS_PASS, "option_present"},
        [SUBTREE_CHECK_ON] = {"nfs.export.subtree_check", STATUS_WARN, "subtree_checking",
                              OPTION_HINT("no_subtree_check")},
        [OPTIONS_PRESENT] = {"nfs.export.options", STATUS_PASS, "option_present"},
        [OPTIONS_UNKNOWN] =
                {"nfs.export.options", STATUS_ERROR, "option_unknown",
                 "use options hostprep knows: rw, sync, no_root_squash, no_all_squash, no_subtree_check, insecure, secure, crossmnt, nohide, fsid"},
        [OPTIONS_RO] = {"nfs.export.options", STATUS_FAIL, "ro_missing", OPTION_HINT("ro")},
        [OPTIONS_ASYNC] = {"nfs.export.options", STATUS_WARN, "async_missing", OPTION_HINT("async")},
        [OPTIONS_INSECURE] = {"nfs.export.options", STATUS_FAIL, "insecure_missing",
                              OPTION_HINT("insecure")},
        [OPTIONS_SECURE] = {"nfs.export.options", STATUS_WARN, "secure_missing", OPTION_HINT("secure")},
        [OPTIONS_CROSSMNT] = {"nfs.export.options", STATUS_FAIL, "crossmnt_missing",
                              OPTION_HINT("crossmnt")},
        [OPTIONS_NOHIDE] = {"nfs.export.options", STATUS_FAIL, "nohide_missing", OPTION_HINT("nohide")},
        [OPTIONS_FSID] = {"nfs.export.options", STATUS_FAIL, "fsid_missing", OPTION_HINT("fsid")},
        [WIDE_CLIENT] = {"nfs.export.wide", STATUS_WARN, "wide_client",
                         "export to the hypervisors' names or addresses only"},
        [WIDE_NAMED_ONLY] = {"nfs.export.wide", STATUS_PASS, "named_clients"},
        [SPACE_BEFORE_PAREN] = {"nfs.export.space", STATUS_WARN, "space_before_paren",
                                "remove the space between the host name and '(': 'host(options)'"},
        [SPACE_NONE] = {"nfs.export.space", STATUS_PASS, "no_stray_space"},
        [DIRECTORY_MISSING] = {"nfs.export.directory", STATUS_FAIL, "directory_missing",
                               "create it: mkdir -p @EXPORT@"},
        [DIRECTORY_UNREADABLE] = {"nfs.export.directory", STATUS_ERROR, "stat_failed"},
        [DIRECTORY_NOT_DIRECTORY] = {"nfs.export.directory", STATUS_FAIL, "not_directory",
                                     "export a directory"},
        [DIRECTORY_PRESENT] = {"nfs.export.directory", STATUS_PASS, "directory_present"},
        [SERVICE_BUS_FAILED] = {"nfs.export.service", STATUS_ERROR, "bus_unavailable"},
        [SERVICE_NOT_ENABLED] = {"nfs.export.service", STATUS_WARN, "not_enabled",
                                 "systemctl enable it, so it is back after a reboot"},
        [SERVICE_RUNNING] = {"nfs.export.service", STATUS_PASS, "running"},
        [SERVICE_NOT_RUNNING] = {"nfs.export.service", STATUS_FAIL, "not_running",
                                 "systemctl enable --now nfs-server (or nfs-ganesha)"},
        [SERVICE_PORT_UNKNOWN] = {"nfs.export.service", STATUS_ERROR, "listening_unknown"},
        [SERVICE_NOT_LISTENING] = {"nfs.export.service", STATUS_FAIL, "not_listening",
                                   "start the NFS server"},
        [SERVICE_LISTENING] = {"nfs.export.service", STATUS_PASS, "listening"},
        [SERVED_LIST_FAILED] = {"nfs.export.served", STATUS_ERROR, "export_list_failed",
                                "check that rpcbind and the NFS server run"},
        [SERVED_LISTED] = {"nfs.export.served", STATUS_PASS, "export_listed"},
        [SERVED_NOT_OWN_CLIENT] = {"nfs.export.served", STATUS_SKIP, "not_own_client"},
        [SERVED_NOT_LISTED] = {"nfs.export.served", STATUS_FAIL, "export_not_listed",
                               "run 'exportfs -r' (kernel server) or reload the NFS server"},
        [FIX_NO_HYPERVISORS] = {"nfs.export.fix", STATUS_ERROR, "no_hypervisors",
                                "name the hypervisors in the profile ([hosts] or [nfs] clients)"},
        [FIX_UNREADABLE] = {"nfs.export.fix", STATUS_ERROR, "unreadable"},
        [FIX_OPERATOR_LINE] =
                {"nfs.export.fix", STATUS_ERROR, "operator_line",
                 "change that line by hand, or remove it and let hostprep write " HOSTPREP_EXPORTS},
        [FIX_TEMPLATE_BROKEN] = {"nfs.export.fix", STATUS_ERROR, "template_broken",
                                 "reinstall hostprep, or fix the template it names"},
};

/* One option the profile requires, checked on a client's effective options. */
struct requirement {
        const char *option; /* as written in [nfs] options */
        const struct result_def *pass, *fail;
        bool (*holds)(const struct export_client *c);
        const char *why; /* what goes wrong without it */
};

static bool has_rw(const struct export_client *c)
{
        return !client_sys_flags(c)->read_only;
}
static bool has_ro(const struct export_client *c)
{
        return client_sys_flags(c)->read_only;
}
static bool has_sync(const struct export_client *c)
{
        return !c->options.async;
}
static bool has_async(const struct export_client *c)
{
        return c->options.async;
}
static bool has_no_root_squash(const struct export_client *c)
{
        return !client_sys_flags(c)->root_squash && !client_sys_flags(c)->all_squash;
}
static bool has_no_all_squash(const struct export_client *c)
{
        return !client_sys_flags(c)->all_squash;
}
static bool has_no_subtree_check(const struct export_client *c)
{
        return !c->options.subtree_check;
}
static bool has_insecure(const struct export_client *c)
{
        return client_sys_flags(c)->insecure;
}
static bool has_secure(const struct export_client *c)
{
        return !client_sys_flags(c)->insecure;
}
static bool has_crossmnt(const struct export_client *c)
{
        return c->options.crossmnt;
}
static bool has_nohide(const struct export_client *c)
{
        return c->options.nohide;
}
static bool has_fsid(const struct export_client *c)
{
        return c->options.fsid_set || c->options.fsid_uuid;
}

#define R(entry) (&nfs_export_results[entry])

static const struct requirement requirements[] = {
        {"rw", R(RW_PRESENT), R(RW_MISSING), has_rw, "guests cannot write their disks (ro is the default)"},
        {"ro", R(OPTIONS_PRESENT), R(OPTIONS_RO), has_ro, "the profile asks for a read-only export"},
        {"sync", R(SYNC_PRESENT), R(SYNC_MISSING), has_sync,
         "with async the server acknowledges writes before they are on disk: a server crash loses guest data"},
        {"async", R(OPTIONS_PRESENT), R(OPTIONS_ASYNC), has_async, "the profile asks for async"},
        {"no_root_squash", R(ROOT_SQUASH_PRESENT), R(ROOT_SQUASH_ROOT), has_no_root_squash,
         "root on the hypervisor becomes nobody on the export: libvirt and qemu running as root cannot create or chown their disk images"},
        {"no_all_squash", R(ROOT_SQUASH_PRESENT), R(ROOT_SQUASH_ALL), has_no_all_squash,
         "every user, root included, becomes nobody on the export"},
        {"no_subtree_check", R(SUBTREE_CHECK_PRESENT), R(SUBTREE_CHECK_ON), has_no_subtree_check,
         "subtree checking makes file handles go stale when an open disk image is renamed"},
        {"insecure", R(OPTIONS_PRESENT), R(OPTIONS_INSECURE), has_insecure,
         "clients connecting from ports above 1023 (NAT, userspace clients) are refused"},
        {"secure", R(OPTIONS_PRESENT), R(OPTIONS_SECURE), has_secure, "the profile asks for secure"},
        {"crossmnt", R(OPTIONS_PRESENT), R(OPTIONS_CROSSMNT), has_crossmnt,
         "filesystems below the export stay hidden"},
        {"nohide", R(OPTIONS_PRESENT), R(OPTIONS_NOHIDE), has_nohide,
         "filesystems below the export stay hidden"},
        {"fsid", R(OPTIONS_PRESENT), R(OPTIONS_FSID), has_fsid,
         "without a fixed fsid the file handles change when the device number does"},
};
#undef R

static const struct requirement *requirement_find(const char *option)
{
        _cleanup_free_ char *key = strndup(option, strcspn(option, "="));

        for (size_t i = 0; key && i < ELEMENTSOF(requirements); i++)
                if (streq(requirements[i].option, key))
                        return &requirements[i];
        return NULL;
}

struct peer {
        char *name;
        char **addresses;
        const struct export_client *client; /* the spec mountd would use for it, NULL if none */
        bool unknown;                       /* only netgroups could match: undecidable offline */
};

static void peers_free(struct peer *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(p[i].name);
                strv_free(p[i].addresses);
        }
        free(p);
}

static int resolve_peer(struct check_ctx *ctx, const char *hosts_text, const char *name, struct peer *p)
{
        unsigned char buf[sizeof(struct in6_addr)];
        int r;

        p->name = strdup(name);
        if (!p->name)
                return -ENOMEM;
        if (inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1)
                return strv_push_dup(&p->addresses, name);
        if (!hosts_text)
                return 0;
        r = etchosts_addresses(hosts_text, name, &p->addresses);
        return r;
}

static void match_peer(const struct exports_table *t, const char *export, struct peer *p)
{
        int best = 99;

        for (size_t e = 0; e < t->n_entries; e++) {
                if (!check_same_path(t->entries[e].path, export))
                        continue;
                for (size_t i = 0; i < t->entries[e].n_clients; i++) {
                        const struct export_client *c = &t->entries[e].clients[i];
                        int m;

                        if (!client_counts(c))
                                continue;
                        m = export_client_matches(c, p->name, (const char *const *)p->addresses,
                                                  strv_length(p->addresses));
                        if (m == EXPORT_MATCH_UNKNOWN)
                                p->unknown = true;
                        if (m == EXPORT_MATCH_YES && client_kind_rank(c->kind) < best) {
                                best = client_kind_rank(c->kind);
                                p->client = c;
                        }
                }
        }
}

static const char *client_label(const struct export_client *c)
{
        return *c->name ? c->name : "(anonymous: the world)";
}

/* "clients: hv1 (/etc/exports:3), ..." for telling an operator what the export does reach. */
static char *export_client_names(const struct exports_table *t, const char *export)
{
        _cleanup_(strv_freep) char **v = NULL;

        for (size_t e = 0; e < t->n_entries; e++) {
                if (!check_same_path(t->entries[e].path, export))
                        continue;
                for (size_t i = 0; i < t->entries[e].n_clients; i++) {
                        const struct export_client *c = &t->entries[e].clients[i];
                        if (client_counts(c) && strv_push(&v, strdup_printf("%s (%s:%u)", client_label(c),
                                                                            c->file, c->line)) < 0)
                                return NULL;
                }
        }
        _cleanup_free_ char *list = strv_join(v, ", ");
        return list ? strdup_printf("exported to: %s", list) : NULL;
}

static char *client_evidence(const struct export_client *c)
{
        return strdup_printf("%s:%u client '%s'", c->file, c->line, c->name);
}

/* One result per required option: PASS when every peer's spec has it, else the first offender. */
static int check_requirement(struct check_ctx *ctx, const struct requirement *req, const char *export,
                             const struct export_client *const *specs, char *const *labels, size_t n)
{
        _cleanup_(strv_freep) char **bad = NULL;
        _cleanup_free_ char *evidence = NULL, *list = NULL;

        for (size_t i = 0; i < n; i++)
                if (!req->holds(specs[i])) {
                        if (strv_push_dup(&bad, labels[i]) < 0)
                                return -ENOMEM;
                        if (!evidence)
                                evidence = client_evidence(specs[i]);
                }
        if (!bad)
                return check_emit(ctx, req->pass, NULL, "%s has %s for %zu client%s", export, req->option, n,
                                  n == 1 ? "" : "s");

        list = strv_join(bad, ", ");
        return check_emit_hint(ctx, req->fail, HINT_VALUES("CLIENTS", strna(list)), evidence,
                               "%s lacks %s for %s: %s", export, req->option, strna(list), req->why);
}

static int check_options(struct check_ctx *ctx, const char *export, const struct export_client *const *specs,
                         char *const *labels, size_t n)
{
        _cleanup_(strv_freep) char **required = NULL;
        const char *opts = conf_get(ctx->profile, "nfs", "options");
        int r;

        r = strv_split(opts, ",", &required);
        if (r < 0)
                return r;
        STRV_FOREACH (o, required) {
                const struct requirement *req = requirement_find(*o);

                if (!req) {
                        r = check_emit(ctx, &nfs_export_results[OPTIONS_UNKNOWN], "[nfs] options",
                                       "cannot check the profile's export option '%s'", *o);
                } else
                        r = check_requirement(ctx, req, export, specs, labels, n);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* One hypervisor: the spec mountd would use for it (kept in specs and labels for the option checks), or
 * why there is none. */
static int check_client(struct check_ctx *ctx, const struct exports_table *t, const char *export,
                        const struct peer *p, const struct export_client **specs, size_t *n_specs,
                        char ***labels)
{
        _cleanup_free_ char *ev = NULL, *have = NULL;
        int r;

        if (p->client) {
                ev = client_evidence(p->client);
                specs[(*n_specs)++] = p->client;
                r = strv_push_dup(labels, p->name);
                if (r < 0)
                        return r;
                return check_emit(ctx, &nfs_export_results[CLIENT_EXPORTED], ev,
                                  "%s is exported to %s (as '%s')", export, p->name,
                                  client_label(p->client));
        }
        if (p->unknown)
                return check_emit(ctx, &nfs_export_results[CLIENT_NETGROUP], NULL,
                                  "%s: whether %s may mount it depends on a netgroup", export, p->name);
        have = export_client_names(t, export);
        return check_emit_hint(ctx, &nfs_export_results[CLIENT_MISSING],
                               HINT_VALUES("CLIENT", p->name, "OPTIONS",
                                           conf_get(ctx->profile, "nfs", "options"), "EXPORT", export),
                               have, "%s is not exported to %s%s", export, p->name,
                               p->addresses ? "" : " (and /etc/hosts has no address for it)");
}

static int check_clients(struct check_ctx *ctx, const struct exports_table *t, const char *export)
{
        _cleanup_(strv_freep) char **clients = NULL, **labels = NULL;
        _cleanup_free_ const struct export_client **specs = NULL;
        _cleanup_free_ char *hosts_text = NULL;
        struct peer *peers = NULL;
        const char *configured = conf_get(ctx->profile, "nfs", "clients");
        size_t n_peers = 0, n_specs = 0, n_specs_max = 0;
        int r = 0;

        r = configured ? strv_split(configured, ", \t", &clients)
                       : check_hosts_with_role(ctx, ROLE_HYPERVISOR, &clients);
        if (r < 0)
                return r;
        (void)hostfs_read_file(ctx->fs, PATH_ETC_HOSTS, &hosts_text, NULL);

        for (size_t e = 0; e < t->n_entries; e++)
                if (check_same_path(t->entries[e].path, export))
                        n_specs_max += t->entries[e].n_clients;
        n_specs_max += strv_length(clients);
        specs = calloc(n_specs_max + 1, sizeof(*specs));
        peers = calloc(strv_length(clients) + 1, sizeof(*peers));
        if (!specs || !peers) {
                free(peers);
                return -ENOMEM;
        }

        if (!clients[0]) {
                /* Nobody to match: judge every client spec the export has. */
                r = check_emit(
                        ctx, &nfs_export_results[CLIENT_NO_HYPERVISORS], NULL,
                        "the profile names no hypervisors ([hosts] or [nfs] clients): cannot tell whom %s must reach",
                        export);
                for (size_t e = 0; r >= 0 && e < t->n_entries; e++) {
                        if (!check_same_path(t->entries[e].path, export))
                                continue;
                        for (size_t i = 0; r >= 0 && i < t->entries[e].n_clients; i++) {
                                const struct export_client *c = &t->entries[e].clients[i];
                                if (!client_counts(c))
                                        continue;
                                specs[n_specs++] = c;
                                r = strv_push_dup(&labels, client_label(c));
                        }
                }
        } else {
                STRV_FOREACH (name, clients) {
                        struct peer *p = &peers[n_peers++];

                        r = resolve_peer(ctx, hosts_text, *name, p);
                        if (r >= 0) {
                                match_peer(t, export, p);
                                r = check_client(ctx, t, export, p, specs, &n_specs, &labels);
                        }
                        if (r < 0)
                                break;
                }
        }

        if (r >= 0 && n_specs > 0)
                r = check_options(ctx, export, specs, labels, n_specs);
        peers_free(peers, n_peers);
        return r;
}

static int check_wide(struct check_ctx *ctx, const struct exports_table *t, const char *export)
{
        for (size_t e = 0; e < t->n_entries; e++) {
                if (!check_same_path(t->entries[e].path, export))
                        continue;
                for (size_t i = 0; i < t->entries[e].n_clients; i++) {
                        const struct export_client *c = &t->entries[e].clients[i];
                        _cleanup_free_ char *ev = NULL;

                        if (!client_counts(c) || !export_client_is_wide(c) || c->space_before_paren)
                                continue;
                        ev = client_evidence(c);
                        return check_emit(ctx, &nfs_export_results[WIDE_CLIENT], ev,
                                          "%s is exported to %s: any host there can mount the guests' disks",
                                          export, client_label(c));
                }
        }
        return check_emit(ctx, &nfs_export_results[WIDE_NAMED_ONLY], NULL,
                          "%s is exported to named hosts or addresses only", export);
}

/* "host (rw)": nfs-utils exports to host with the defaults and to the whole world with rw. */
static int check_space(struct check_ctx *ctx, const struct exports_table *t)
{
        bool found = false;

        for (size_t e = 0; e < t->n_entries; e++)
                for (size_t i = 0; i < t->entries[e].n_clients; i++) {
                        const struct export_client *c = &t->entries[e].clients[i];
                        _cleanup_free_ char *ev = NULL;
                        int r;

                        if (!c->space_before_paren || !client_counts(c))
                                continue;
                        found = true;
                        ev = strdup_printf("%s:%u", c->file, c->line);
                        r = check_emit(
                                ctx, &nfs_export_results[SPACE_BEFORE_PAREN], ev,
                                "%s: a space before '(' exports it to the world with those options, and to the host before it with the defaults (ro, root_squash)",
                                t->entries[e].path);
                        if (r < 0)
                                return r;
                }
        if (found)
                return 0;
        return check_emit(ctx, &nfs_export_results[SPACE_NONE], NULL,
                          "no client is followed by a stray space before its options");
}

static int check_directory(struct check_ctx *ctx, const char *export)
{
        struct stat st;
        int r;

        r = hostfs_stat(ctx->fs, export, &st);
        if (r == -ENOENT)
                return check_emit_hint(ctx, &nfs_export_results[DIRECTORY_MISSING],
                                       HINT_VALUES("EXPORT", export), export,
                                       "%s does not exist: exportfs cannot export it", export);
        if (r < 0)
                return check_emit(ctx, &nfs_export_results[DIRECTORY_UNREADABLE], export,
                                  "cannot stat %s: %s", export, strerror(-r));
        if (!S_ISDIR(st.st_mode))
                return check_emit(ctx, &nfs_export_results[DIRECTORY_NOT_DIRECTORY], export,
                                  "%s is not a directory", export);
        return check_emit(ctx, &nfs_export_results[DIRECTORY_PRESENT], NULL, "%s exists", export);
}

/* The NFS services a server may run: the kernel's (two names across distributions) or ganesha. */
static const char *const nfs_services[] = {"nfs-server.service", "nfs-kernel-server.service",
                                           "nfs-ganesha.service"};

static int check_service(struct check_ctx *ctx)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *seen = NULL;
        bool listening = false;
        int r;

        if (check_systemd_running(ctx)) {
                _cleanup_free_ char *address = check_bus_address(ctx);

                r = systemd_bus_open(address, ctx->deadline, &bus, &error);
                if (r < 0)
                        return check_emit(ctx, &nfs_export_results[SERVICE_BUS_FAILED], "system bus",
                                          "cannot ask systemd whether the NFS server runs: %s",
                                          error.message ?: strerror(-r));
                for (size_t i = 0; i < ELEMENTSOF(nfs_services); i++) {
                        struct service_state st = {};
                        _cleanup_free_ char *prev = TAKE_PTR(seen);

                        if (systemd_service_get_state(bus, nfs_services[i], ctx->deadline, &st, NULL) < 0)
                                continue;
                        seen = strdup_printf("%s%s%s %s/%s (%s)", strempty(prev), prev ? ", " : "",
                                             nfs_services[i], st.active_state, st.sub_state,
                                             st.unit_file_state);
                        if (!streq(st.active_state, "active"))
                                continue;
                        if (!streq(st.unit_file_state, "enabled"))
                                return check_emit(
                                        ctx, &nfs_export_results[SERVICE_NOT_ENABLED], seen,
                                        "%s runs but is not enabled: after a reboot the disks are gone",
                                        nfs_services[i]);
                        return check_emit(ctx, &nfs_export_results[SERVICE_RUNNING], seen, "%s runs",
                                          nfs_services[i]);
                }
                return check_emit(ctx, &nfs_export_results[SERVICE_NOT_RUNNING], seen,
                                  "no NFS server runs: hypervisors cannot reach their disks");
        }
        /* no systemd (a container, a test bed): something must at least listen on the NFS port */
        r = check_tcp_listening(2049, &listening);
        if (r < 0)
                return check_emit(ctx, &nfs_export_results[SERVICE_PORT_UNKNOWN], PATH_PROC_NET_TCP,
                                  "cannot tell whether an NFS server listens: %s", strerror(-r));
        if (!listening)
                return check_emit(ctx, &nfs_export_results[SERVICE_NOT_LISTENING],
                                  PATH_PROC_NET_TCP ", " PATH_PROC_NET_TCP6,
                                  "nothing listens on TCP port 2049: no NFS server runs");
        return check_emit(ctx, &nfs_export_results[SERVICE_LISTENING], PATH_PROC_NET_TCP,
                          "an NFS server listens on TCP port 2049");
}

/* What clients are told: the export list the server hands out (showmount -e), asked at the address the
 * hypervisors use (ganesha, for one, lists only what the asking address may mount). */
static int check_served(struct check_ctx *ctx, const struct exports_table *t, const char *export)
{
        _cleanup_free_ char *error = NULL, *server = NULL, *evidence = NULL;
        _cleanup_(strv_freep) char **addresses = NULL;
        struct nfs_export_list list = {0};
        const char *address = "127.0.0.1";
        int r;

        r = check_nfs_server(ctx, &server);
        if (r < 0 && r != -ENOENT)
                return r;
        if (server) {
                r = check_host_addresses(ctx, server, &addresses);
                if (r < 0)
                        return r;
                if (addresses[0])
                        address = addresses[0];
        }
        evidence = strdup_printf("showmount -e %s", address);
        if (!evidence)
                return -ENOMEM;
        r = nfsprobe_exports(address, ctx->deadline, &list, &error);
        if (r < 0)
                return check_emit(ctx, &nfs_export_results[SERVED_LIST_FAILED], evidence,
                                  "cannot list this server's exports: %s", strna(error));
        for (size_t i = 0; i < list.n; i++)
                if (check_same_path(list.items[i].path, export)) {
                        nfs_export_list_done(&list);
                        return check_emit(ctx, &nfs_export_results[SERVED_LISTED], evidence,
                                          "the server hands out %s", export);
                }
        nfs_export_list_done(&list);

        /* Servers may list only what the asker may mount: if this host is no client, that proves nothing. */
        bool self_is_client = false;
        for (size_t e = 0; e < t->n_entries && !self_is_client; e++)
                for (size_t i = 0;
                     check_same_path(t->entries[e].path, export) && i < t->entries[e].n_clients; i++)
                        if (export_client_matches(&t->entries[e].clients[i], server,
                                                  (const char *const *)addresses,
                                                  strv_length(addresses)) == EXPORT_MATCH_YES)
                                self_is_client = true;
        if (!self_is_client)
                return check_emit(
                        ctx, &nfs_export_results[SERVED_NOT_OWN_CLIENT], evidence,
                        "the server does not list %s to itself, which is not one of its clients: the hypervisors check it (nfs.access.exports)",
                        export);
        return check_emit(ctx, &nfs_export_results[SERVED_NOT_LISTED], evidence,
                          "%s is configured but the server does not hand it out", export);
}

/* Every line parses, or a FAIL for each error, as exportfs would complain. */
static int check_files(struct check_ctx *ctx, const struct exports_table *t, char *const *files,
                       const char *file_list)
{
        int r;

        for (size_t i = 0; i < t->n_errors; i++) {
                const struct exports_error *e = &t->errors[i];
                _cleanup_free_ char *ev = strdup_printf("%s:%u", e->file, e->line);

                r = check_emit(ctx, &nfs_export_results[FILES_PARSE_ERROR], ev, "%s:%u: %s (exportfs %s)",
                               e->file, e->line, e->message,
                               e->stops_file ? "ignores the rest of this file" : "skips this client");
                if (r < 0)
                        return r;
        }
        if (t->n_errors == 0) {
                r = check_emit(ctx, &nfs_export_results[FILES_PARSED], file_list, "%s parse%s cleanly",
                               file_list, strv_length(files) == 1 ? "s" : "");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The profile's export has a line that counts; then whom it reaches. *ret_present: it does. */
static int check_present(struct check_ctx *ctx, const struct exports_table *t, const char *export,
                         const char *file_list, bool *ret_present)
{
        bool present = false;
        int r;

        for (size_t e = 0; e < t->n_entries && !present; e++)
                for (size_t i = 0; i < t->entries[e].n_clients && !present; i++)
                        present = check_same_path(t->entries[e].path, export) &&
                                  client_counts(&t->entries[e].clients[i]);
        if (!present) {
                const struct exports_error *stop = NULL;

                for (size_t i = 0; i < t->n_errors && !stop; i++)
                        if (t->errors[i].stops_file)
                                stop = &t->errors[i];
                if (stop) {
                        _cleanup_free_ char *ev = strdup_printf("%s:%u", stop->file, stop->line);
                        r = check_emit(
                                ctx, &nfs_export_results[PRESENT_STOPPED], ev,
                                "%s is not exported: exportfs stops reading %s at the error on line %u",
                                export, stop->file, stop->line);
                } else
                        r = check_emit_hint(ctx, &nfs_export_results[PRESENT_MISSING],
                                            HINT_VALUES("EXPORT", export), file_list,
                                            "%s is not exported (the profile's [nfs] export)", export);
        } else {
                r = check_emit(ctx, &nfs_export_results[PRESENT_EXPORTED], file_list, "%s is exported",
                               export);
                if (r >= 0)
                        r = check_clients(ctx, t, export);
                if (r >= 0)
                        r = check_wide(ctx, t, export);
        }
        *ret_present = present;
        return r;
}

static int nfs_export_check(struct check_ctx *ctx)
{
        _cleanup_(exports_table_freep) struct exports_table *t = NULL;
        _cleanup_(strv_freep) char **files = NULL;
        const char *export = conf_get(ctx->profile, "nfs", "export");
        _cleanup_free_ char *file_list = NULL, *unreadable = NULL;
        bool present = false;
        int r;

        r = exports_table_new(&t);
        if (r < 0)
                return r;
        r = check_exports_load(ctx, t, &files, &unreadable);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return check_emit(ctx, &nfs_export_results[FILES_UNREADABLE], unreadable,
                                  "cannot read %s: %s", strna(unreadable), strerror(-r));
        file_list = strv_join(files, ", ");
        if (!file_list)
                return -ENOMEM;

        if (!files) {
                r = check_emit_hint(ctx, &nfs_export_results[PRESENT_NO_FILES],
                                    HINT_VALUES("EXPORT", export), EXPORTS_FILE,
                                    "nothing is exported: there is no %s and no %s/*.exports", EXPORTS_FILE,
                                    EXPORTS_DIR);
                return r < 0 ? r : check_directory(ctx, export);
        }

        r = check_files(ctx, t, files, file_list);
        if (r >= 0)
                r = check_present(ctx, t, export, file_list, &present);
        if (r >= 0)
                r = check_space(ctx, t);
        if (r >= 0)
                r = check_directory(ctx, export);
        /* the server's state: on the running host, or a booted container under --root /proc/PID/root */
        if (r >= 0 && (hostfs_is_live(ctx->fs) || check_systemd_running(ctx))) {
                size_t before = ctx->results->n;

                r = check_service(ctx);
                /* with no server running, asking it for its exports tells nothing new; and only the live
                 * host is on the network the hypervisors use */
                if (r >= 0 && present && hostfs_is_live(ctx->fs) &&
                    ctx->results->items[before].status == STATUS_PASS)
                        r = check_served(ctx, t, export);
        }
        return r;
}

/* --- fix ------------------------------------------------------------------------------------------ */

/* The export as hostprep writes it (templates/nfs-exports.conf): one line, every client with the
 * profile's options. */
static int exports_dropin(const struct check_ctx *ctx, char *const *clients, const char *export, char **ret,
                          char **ret_error)
{
        _cleanup_(strv_freep) char **parts = NULL;
        _cleanup_free_ char *line = NULL;
        const char *options = conf_get(ctx->profile, "nfs", "options");

        STRV_FOREACH (c, clients)
                if (strv_push(&parts, strdup_printf("%s(%s)", *c, options)) < 0)
                        return -ENOMEM;
        line = strv_join(parts, " ");
        if (!line)
                return -ENOMEM;
        const struct template_value v[] = {
                {"PROFILE", ctx->profile->name}, {"EXPORT", export}, {"CLIENTS", line}};
        return template_render_file(template_default_dirs(), "nfs-exports.conf", v, ELEMENTSOF(v), ret,
                                    ret_error);
}

static bool path_exists(const struct check_ctx *ctx, const char *path)
{
        struct stat st;

        return hostfs_stat(ctx->fs, path, &st) == 0;
}

/* hostprep's drop-in (want) where exportfs reads it: 1 when that is a change. */
static int plan_dropin(struct check_ctx *ctx, struct plan *plan, char *const *clients, const char *export,
                       const char *want)
{
        _cleanup_free_ char *have = NULL, *why = NULL;
        int r;

        r = hostfs_read_file(ctx->fs, HOSTPREP_EXPORTS, &have, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        if (!path_exists(ctx, EXPORTS_DIR)) {
                r = plan_mkdir(plan, "nfs.export", EXPORTS_DIR, 0755, "exportfs reads drop-ins from here");
                if (r < 0)
                        return r;
        }
        if (!have || !streq(have, want)) {
                _cleanup_free_ char *list = strv_join(clients, ", ");
                why = strdup_printf("export %s to %s with %s", export, strna(list),
                                    conf_get(ctx->profile, "nfs", "options"));
                r = plan_write_file(plan, "nfs.export", HOSTPREP_EXPORTS, have, want, 0644, why);
                return r < 0 ? r : 1;
        }
        return 0;
}

static int nfs_export_fix(struct check_ctx *ctx, struct plan *plan)
{
        _cleanup_(exports_table_freep) struct exports_table *t = NULL;
        _cleanup_(strv_freep) char **files = NULL, **clients = NULL;
        _cleanup_free_ char *unreadable = NULL, *want = NULL, *error = NULL;
        const char *export = conf_get(ctx->profile, "nfs", "export");
        const char *configured = conf_get(ctx->profile, "nfs", "clients");
        bool file_changes;
        int r;

        r = configured ? strv_split(configured, ", \t", &clients)
                       : check_hosts_with_role(ctx, ROLE_HYPERVISOR, &clients);
        if (r < 0)
                return r;
        if (!clients[0])
                return check_emit(
                        ctx, &nfs_export_results[FIX_NO_HYPERVISORS], NULL,
                        "cannot write the export: the profile names no hypervisors to export %s to", export);

        r = exports_table_new(&t);
        if (r < 0)
                return r;
        r = check_exports_load(ctx, t, &files, &unreadable);
        if (r < 0)
                return check_emit(ctx, &nfs_export_results[FIX_UNREADABLE], unreadable, "cannot read %s: %s",
                                  strna(unreadable), strerror(-r));
        /* an operator's own line for the path wins over hostprep's drop-in: leave it to them */
        for (size_t e = 0; e < t->n_entries; e++)
                if (check_same_path(t->entries[e].path, export) &&
                    !streq(t->entries[e].file, HOSTPREP_EXPORTS)) {
                        _cleanup_free_ char *ev =
                                strdup_printf("%s:%u", t->entries[e].file, t->entries[e].line);
                        return check_emit(ctx, &nfs_export_results[FIX_OPERATOR_LINE], ev,
                                          "not changing the export: %s already exports %s", strna(ev),
                                          export);
                }

        r = exports_dropin(ctx, clients, export, &want, &error);
        if (r < 0 && error)
                return check_emit(ctx, &nfs_export_results[FIX_TEMPLATE_BROKEN], NULL,
                                  "cannot write the export: %s", error);
        if (r >= 0)
                r = plan_dropin(ctx, plan, clients, export, want);
        if (r < 0)
                return r;
        file_changes = r > 0;
        if (!path_exists(ctx, export)) {
                r = plan_mkdir(plan, "nfs.export", export, 0755,
                               "the directory the hypervisors' disks live in");
                if (r < 0)
                        return r;
        }

        /* make it live: start the server (which exports everything), or re-export on a running one */
        if (check_failed(ctx, "nfs.export.service") && check_systemd_running(ctx)) {
                r = plan_service(plan, "nfs.export", "nfs-server.service", SERVICE_ENABLE,
                                 "start it at boot");
                if (r >= 0)
                        r = plan_service(plan, "nfs.export", "nfs-server.service", SERVICE_START,
                                         "serve the exports now");
                return r;
        }
        if (file_changes && path_exists(ctx, PATH_EXPORTFS)) {
                char *argv[] = {(char *)"exportfs", (char *)"-r", NULL};
                r = plan_command(plan, "nfs.export", argv, "make the kernel NFS server export the new list");
        }
        return r < 0 ? r : 0;
}

const struct unit unit_nfs_export = {
        .id = "nfs.export",
        .title = "the NFS server exports the shared storage to the hypervisors",
        .roles = ROLE_BIT(ROLE_NFS_SERVER),
        .results = nfs_export_results,
        .n_results = ELEMENTSOF(nfs_export_results),
        .check = nfs_export_check,
        .fix = nfs_export_fix,
};

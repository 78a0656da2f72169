/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nfs.export: the NFS server exports the profile's directory to every hypervisor, read-write, without
 * squashing root (qemu runs as root on the hypervisors and must own its disk images), synchronously,
 * without subtree checking, and to no more hosts than needed. Reads /etc/exports and
 * the exports.d files as exportfs does.
 */
#include <arpa/inet.h>
#include <sys/stat.h>

#include "etchosts.h"
#include "common.h"
#include "exports.h"
#include "nfsprobe.h"
#include "provision/plan.h"
#include "provision/systemd.h"
#include "strv.h"
#include "template.h"
#include "unit.h"

/* Which of several matching client specs mountd uses: the most specific kind first. */
static int client_kind_rank(ExportClientKind k)
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

static bool client_counts(const ExportClient *c)
{
        return !c->after_error && !c->duplicate;
}

/* The flags that apply to AUTH_SYS clients, which is how libvirt/qemu hosts mount. */
static const ExportSecFlags *client_sys_flags(const ExportClient *c)
{
        for (size_t i = 0; i < c->options.n_sec; i++)
                if (c->options.sec[i].flavor == EXPORT_SEC_SYS)
                        return &c->options.sec[i].flags;
        return &c->options.flags;
}

/* One option the profile requires, checked on a client's effective options. */
struct requirement {
        const char *option; /* as written in [nfs] options */
        const char *id;
        enum status severity;
        bool (*holds)(const ExportClient *c);
        const char *why; /* what goes wrong without it */
};

static bool has_rw(const ExportClient *c)
{
        return !client_sys_flags(c)->read_only;
}
static bool has_ro(const ExportClient *c)
{
        return client_sys_flags(c)->read_only;
}
static bool has_sync(const ExportClient *c)
{
        return !c->options.async;
}
static bool has_async(const ExportClient *c)
{
        return c->options.async;
}
static bool has_no_root_squash(const ExportClient *c)
{
        return !client_sys_flags(c)->root_squash && !client_sys_flags(c)->all_squash;
}
static bool has_no_all_squash(const ExportClient *c)
{
        return !client_sys_flags(c)->all_squash;
}
static bool has_no_subtree_check(const ExportClient *c)
{
        return !c->options.subtree_check;
}
static bool has_insecure(const ExportClient *c)
{
        return client_sys_flags(c)->insecure;
}
static bool has_secure(const ExportClient *c)
{
        return !client_sys_flags(c)->insecure;
}
static bool has_crossmnt(const ExportClient *c)
{
        return c->options.crossmnt;
}
static bool has_nohide(const ExportClient *c)
{
        return c->options.nohide;
}
static bool has_fsid(const ExportClient *c)
{
        return c->options.fsid_set || c->options.fsid_uuid;
}

static const struct requirement requirements[] = {
        {"rw", "nfs.export.rw", STATUS_FAIL, has_rw, "guests cannot write their disks (ro is the default)"},
        {"ro", "nfs.export.options", STATUS_FAIL, has_ro, "the profile asks for a read-only export"},
        {"sync", "nfs.export.sync", STATUS_WARN, has_sync,
         "with async the server acknowledges writes before they are on disk: a server crash loses guest "
         "data"},
        {"async", "nfs.export.options", STATUS_WARN, has_async, "the profile asks for async"},
        {"no_root_squash", "nfs.export.root_squash", STATUS_FAIL, has_no_root_squash,
         "root on the hypervisor becomes nobody on the export: libvirt and qemu running as root cannot "
         "create or chown their disk images"},
        {"no_all_squash", "nfs.export.root_squash", STATUS_FAIL, has_no_all_squash,
         "every user, root included, becomes nobody on the export"},
        {"no_subtree_check", "nfs.export.subtree_check", STATUS_WARN, has_no_subtree_check,
         "subtree checking makes file handles go stale when an open disk image is renamed"},
        {"insecure", "nfs.export.options", STATUS_FAIL, has_insecure,
         "clients connecting from ports above 1023 (NAT, userspace clients) are refused"},
        {"secure", "nfs.export.options", STATUS_WARN, has_secure, "the profile asks for secure"},
        {"crossmnt", "nfs.export.options", STATUS_FAIL, has_crossmnt,
         "filesystems below the export stay hidden"},
        {"nohide", "nfs.export.options", STATUS_FAIL, has_nohide,
         "filesystems below the export stay hidden"},
        {"fsid", "nfs.export.options", STATUS_FAIL, has_fsid,
         "without a fixed fsid the file handles change when the device number does"},
};

static const struct requirement *requirement_find(const char *option)
{
        _cleanup_free_ char *key = strndup(option, strcspn(option, "="));

        for (size_t i = 0; key && i < ELEMENTSOF(requirements); i++)
                if (streq(requirements[i].option, key))
                        return &requirements[i];
        return NULL;
}

static const char *const nfs_export_ids[] = {
        "nfs.export.files",
        "nfs.export.present",
        "nfs.export.client",
        "nfs.export.rw",
        "nfs.export.sync",
        "nfs.export.root_squash",
        "nfs.export.subtree_check",
        "nfs.export.options",
        "nfs.export.wide",
        "nfs.export.space",
        "nfs.export.directory",
        "nfs.export.service",
        "nfs.export.served",
        "nfs.export.fix",
        NULL,
};

struct peer {
        char *name;
        char **addresses;
        const ExportClient *client; /* the spec mountd would use for it, NULL if none */
        bool unknown;               /* only netgroups could match: undecidable offline */
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

static void match_peer(const ExportsTable *t, const char *export, struct peer *p)
{
        int best = 99;

        for (size_t e = 0; e < t->n_entries; e++) {
                if (!check_same_path(t->entries[e].path, export))
                        continue;
                for (size_t i = 0; i < t->entries[e].n_clients; i++) {
                        const ExportClient *c = &t->entries[e].clients[i];
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

static const char *client_label(const ExportClient *c)
{
        return *c->name ? c->name : "(anonymous: the world)";
}

/* "clients: hv1 (/etc/exports:3), ..." for telling an operator what the export does reach. */
static char *export_client_names(const ExportsTable *t, const char *export)
{
        _cleanup_(strv_freep) char **v = NULL;

        for (size_t e = 0; e < t->n_entries; e++) {
                if (!check_same_path(t->entries[e].path, export))
                        continue;
                for (size_t i = 0; i < t->entries[e].n_clients; i++) {
                        const ExportClient *c = &t->entries[e].clients[i];
                        if (client_counts(c) && strv_push(&v, strdup_printf("%s (%s:%u)", client_label(c),
                                                                            c->file, c->line)) < 0)
                                return NULL;
                }
        }
        _cleanup_free_ char *list = strv_join(v, ", ");
        return list ? strdup_printf("exported to: %s", list) : NULL;
}

static char *client_evidence(const ExportClient *c)
{
        return strdup_printf("%s:%u client '%s'", c->file, c->line, c->name);
}

/* One result per required option: PASS when every peer's spec has it, else the first offender. */
static int check_requirement(struct check_ctx *ctx, const struct requirement *req, const char *export,
                             const ExportClient *const *specs, char *const *labels, size_t n)
{
        _cleanup_(strv_freep) char **bad = NULL;
        _cleanup_free_ char *evidence = NULL, *list = NULL, *hint = NULL;

        for (size_t i = 0; i < n; i++)
                if (!req->holds(specs[i])) {
                        if (strv_push_dup(&bad, labels[i]) < 0)
                                return -ENOMEM;
                        if (!evidence)
                                evidence = client_evidence(specs[i]);
                }
        if (!bad)
                return check_emit(ctx, STATUS_PASS, req->id, NULL, NULL, "%s has %s for %zu client%s",
                                  export, req->option, n, n == 1 ? "" : "s");

        list = strv_join(bad, ", ");
        hint = strdup_printf("put %s in the options of %s in the exports file, then run 'exportfs -r'",
                             req->option, strna(list));
        return check_emit(ctx, req->severity, req->id, hint, evidence, "%s lacks %s for %s: %s", export,
                          req->option, strna(list), req->why);
}

static int check_options(struct check_ctx *ctx, const char *export, const ExportClient *const *specs,
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
                        r = check_emit(
                                ctx, STATUS_ERROR, "nfs.export.options",
                                "use options hostprep knows: rw, sync, no_root_squash, no_all_squash, "
                                "no_subtree_check, insecure, secure, crossmnt, nohide, fsid",
                                "[nfs] options", "cannot check the profile's export option '%s'", *o);
                } else
                        r = check_requirement(ctx, req, export, specs, labels, n);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_clients(struct check_ctx *ctx, const ExportsTable *t, const char *export)
{
        _cleanup_(strv_freep) char **clients = NULL, **labels = NULL;
        _cleanup_free_ const ExportClient **specs = NULL;
        _cleanup_free_ char *hosts_text = NULL;
        struct peer *peers = NULL;
        const char *configured = conf_get(ctx->profile, "nfs", "clients");
        size_t n_peers = 0, n_specs = 0, n_specs_max = 0;
        int r = 0;

        r = configured ? strv_split(configured, ", \t", &clients)
                       : check_hosts_with_role(ctx, ROLE_HYPERVISOR, &clients);
        if (r < 0)
                return r;
        (void)hostfs_read_file(ctx->fs, "/etc/hosts", &hosts_text, NULL);

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
                        ctx, STATUS_SKIP, "nfs.export.client", NULL, NULL,
                        "the profile names no hypervisors ([hosts] or [nfs] clients): cannot tell whom "
                        "%s must reach",
                        export);
                for (size_t e = 0; r >= 0 && e < t->n_entries; e++) {
                        if (!check_same_path(t->entries[e].path, export))
                                continue;
                        for (size_t i = 0; r >= 0 && i < t->entries[e].n_clients; i++) {
                                const ExportClient *c = &t->entries[e].clients[i];
                                if (!client_counts(c))
                                        continue;
                                specs[n_specs++] = c;
                                r = strv_push_dup(&labels, client_label(c));
                        }
                }
        } else {
                STRV_FOREACH (name, clients) {
                        struct peer *p = &peers[n_peers++];
                        _cleanup_free_ char *hint = NULL;

                        r = resolve_peer(ctx, hosts_text, *name, p);
                        if (r < 0)
                                break;
                        match_peer(t, export, p);
                        if (p->client) {
                                _cleanup_free_ char *ev = client_evidence(p->client);
                                specs[n_specs++] = p->client;
                                r = strv_push_dup(&labels, p->name);
                                if (r >= 0)
                                        r = check_emit(ctx, STATUS_PASS, "nfs.export.client", NULL, ev,
                                                       "%s is exported to %s (as '%s')", export, p->name,
                                                       client_label(p->client));
                        } else if (p->unknown) {
                                r = check_emit(
                                        ctx, STATUS_WARN, "nfs.export.client",
                                        "check with 'getent netgroup', or name the host in the export", NULL,
                                        "%s: whether %s may mount it depends on a netgroup", export,
                                        p->name);
                        } else {
                                hint = strdup_printf("add %s(%s) to the line for %s, then run 'exportfs -r'",
                                                     p->name, conf_get(ctx->profile, "nfs", "options"),
                                                     export);
                                _cleanup_free_ char *have = export_client_names(t, export);
                                r = check_emit(ctx, STATUS_FAIL, "nfs.export.client", hint, have,
                                               "%s is not exported to %s%s", export, p->name,
                                               p->addresses ? ""
                                                            : " (and /etc/hosts has no address for it)");
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

static int check_wide(struct check_ctx *ctx, const ExportsTable *t, const char *export)
{
        for (size_t e = 0; e < t->n_entries; e++) {
                if (!check_same_path(t->entries[e].path, export))
                        continue;
                for (size_t i = 0; i < t->entries[e].n_clients; i++) {
                        const ExportClient *c = &t->entries[e].clients[i];
                        _cleanup_free_ char *ev = NULL;

                        if (!client_counts(c) || !export_client_is_wide(c) || c->space_before_paren)
                                continue;
                        ev = client_evidence(c);
                        return check_emit(ctx, STATUS_WARN, "nfs.export.wide",
                                          "export to the hypervisors' names or addresses only", ev,
                                          "%s is exported to %s: any host there can mount the guests' disks",
                                          export, client_label(c));
                }
        }
        return check_emit(ctx, STATUS_PASS, "nfs.export.wide", NULL, NULL,
                          "%s is exported to named hosts or addresses only", export);
}

/* "host (rw)": nfs-utils exports to host with the defaults and to the whole world with rw. */
static int check_space(struct check_ctx *ctx, const ExportsTable *t)
{
        bool found = false;

        for (size_t e = 0; e < t->n_entries; e++)
                for (size_t i = 0; i < t->entries[e].n_clients; i++) {
                        const ExportClient *c = &t->entries[e].clients[i];
                        _cleanup_free_ char *ev = NULL;
                        int r;

                        if (!c->space_before_paren || !client_counts(c))
                                continue;
                        found = true;
                        ev = strdup_printf("%s:%u", c->file, c->line);
                        r = check_emit(ctx, STATUS_WARN, "nfs.export.space",
                                       "remove the space between the host name and '(': 'host(options)'", ev,
                                       "%s: a space before '(' exports it to the world with those options, "
                                       "and to the host before it with the defaults (ro, root_squash)",
                                       t->entries[e].path);
                        if (r < 0)
                                return r;
                }
        if (found)
                return 0;
        return check_emit(ctx, STATUS_PASS, "nfs.export.space", NULL, NULL,
                          "no client is followed by a stray space before its options");
}

static int check_directory(struct check_ctx *ctx, const char *export)
{
        struct stat st;
        int r;

        r = hostfs_stat(ctx->fs, export, &st);
        if (r == -ENOENT) {
                _cleanup_free_ char *hint = strdup_printf("create it: mkdir -p %s", export);
                return check_emit(ctx, STATUS_FAIL, "nfs.export.directory", hint, export,
                                  "%s does not exist: exportfs cannot export it", export);
        }
        if (r < 0)
                return check_emit(ctx, STATUS_ERROR, "nfs.export.directory", NULL, export,
                                  "cannot stat %s: %s", export, strerror(-r));
        if (!S_ISDIR(st.st_mode))
                return check_emit(ctx, STATUS_FAIL, "nfs.export.directory", "export a directory", export,
                                  "%s is not a directory", export);
        return check_emit(ctx, STATUS_PASS, "nfs.export.directory", NULL, NULL, "%s exists", export);
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
                        return check_emit(ctx, STATUS_ERROR, "nfs.export.service", NULL, "system bus",
                                          "cannot ask systemd whether the NFS server runs: %s",
                                          error.message ?: strerror(-r));
                for (size_t i = 0; i < ELEMENTSOF(nfs_services); i++) {
                        SystemdUnitState st = {};
                        _cleanup_free_ char *prev = TAKE_PTR(seen);

                        if (systemd_unit_get_state(bus, nfs_services[i], ctx->deadline, &st, NULL) < 0)
                                continue;
                        seen = strdup_printf("%s%s%s %s/%s (%s)", strempty(prev), prev ? ", " : "",
                                             nfs_services[i], st.active_state, st.sub_state,
                                             st.unit_file_state);
                        if (!streq(st.active_state, "active"))
                                continue;
                        if (!streq(st.unit_file_state, "enabled"))
                                return check_emit(
                                        ctx, STATUS_WARN, "nfs.export.service",
                                        "systemctl enable it, so it is back after a reboot", seen,
                                        "%s runs but is not enabled: after a reboot the disks are gone",
                                        nfs_services[i]);
                        return check_emit(ctx, STATUS_PASS, "nfs.export.service", NULL, seen, "%s runs",
                                          nfs_services[i]);
                }
                return check_emit(ctx, STATUS_FAIL, "nfs.export.service",
                                  "systemctl enable --now nfs-server (or nfs-ganesha)", seen,
                                  "no NFS server runs: hypervisors cannot reach their disks");
        }
        /* no systemd (a container, a test bed): something must at least listen on the NFS port */
        r = check_tcp_listening(2049, &listening);
        if (r < 0)
                return check_emit(ctx, STATUS_ERROR, "nfs.export.service", NULL, "/proc/net/tcp",
                                  "cannot tell whether an NFS server listens: %s", strerror(-r));
        if (!listening)
                return check_emit(ctx, STATUS_FAIL, "nfs.export.service", "start the NFS server",
                                  "/proc/net/tcp, /proc/net/tcp6",
                                  "nothing listens on TCP port 2049: no NFS server runs");
        return check_emit(ctx, STATUS_PASS, "nfs.export.service", NULL, "/proc/net/tcp",
                          "an NFS server listens on TCP port 2049");
}

/* What clients are told: the export list the server hands out (showmount -e), asked at the address the
 * hypervisors use (ganesha, for one, lists only what the asking address may mount). */
static int check_served(struct check_ctx *ctx, const ExportsTable *t, const char *export)
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
                return check_emit(ctx, STATUS_ERROR, "nfs.export.served",
                                  "check that rpcbind and the NFS server run", evidence,
                                  "cannot list this server's exports: %s", strna(error));
        for (size_t i = 0; i < list.n; i++)
                if (check_same_path(list.items[i].path, export)) {
                        nfs_export_list_done(&list);
                        return check_emit(ctx, STATUS_PASS, "nfs.export.served", NULL, evidence,
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
                        ctx, STATUS_SKIP, "nfs.export.served", NULL, evidence,
                        "the server does not list %s to itself, which is not one of its clients: the "
                        "hypervisors check it (nfs.access.exports)",
                        export);
        return check_emit(ctx, STATUS_FAIL, "nfs.export.served",
                          "run 'exportfs -r' (kernel server) or reload the NFS server", evidence,
                          "%s is configured but the server does not hand it out", export);
}

static int nfs_export_check(struct check_ctx *ctx)
{
        _cleanup_(exports_table_freep) ExportsTable *t = NULL;
        _cleanup_(strv_freep) char **files = NULL;
        const char *export = conf_get(ctx->profile, "nfs", "export");
        _cleanup_free_ char *file_list = NULL, *hint = NULL, *unreadable = NULL;
        bool present = false;
        int r;

        r = exports_table_new(&t);
        if (r < 0)
                return r;
        r = check_exports_load(ctx, t, &files, &unreadable);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return check_emit(ctx, STATUS_ERROR, "nfs.export.files", "check the file's permissions",
                                  unreadable, "cannot read %s: %s", strna(unreadable), strerror(-r));
        file_list = strv_join(files, ", ");
        if (!file_list)
                return -ENOMEM;

        if (!files) {
                hint = strdup_printf("create %s/hostprep.exports with a line for %s, then run 'exportfs -r'",
                                     EXPORTS_DIR, export);
                r = check_emit(ctx, STATUS_FAIL, "nfs.export.present", hint, EXPORTS_FILE,
                               "nothing is exported: there is no %s and no %s/*.exports", EXPORTS_FILE,
                               EXPORTS_DIR);
                return r < 0 ? r : check_directory(ctx, export);
        }

        for (size_t i = 0; i < t->n_errors; i++) {
                const ExportsError *e = &t->errors[i];
                _cleanup_free_ char *ev = strdup_printf("%s:%u", e->file, e->line);

                r = check_emit(ctx, STATUS_FAIL, "nfs.export.files",
                               "fix the line; 'exportfs -ra' shows the same error", ev,
                               "%s:%u: %s (exportfs %s)", e->file, e->line, e->message,
                               e->stops_file ? "ignores the rest of this file" : "skips this client");
                if (r < 0)
                        return r;
        }
        if (t->n_errors == 0) {
                r = check_emit(ctx, STATUS_PASS, "nfs.export.files", NULL, file_list, "%s parse%s cleanly",
                               file_list, strv_length(files) == 1 ? "s" : "");
                if (r < 0)
                        return r;
        }

        for (size_t e = 0; e < t->n_entries && !present; e++)
                for (size_t i = 0; i < t->entries[e].n_clients && !present; i++)
                        present = check_same_path(t->entries[e].path, export) &&
                                  client_counts(&t->entries[e].clients[i]);
        if (!present) {
                const ExportsError *stop = NULL;

                for (size_t i = 0; i < t->n_errors && !stop; i++)
                        if (t->errors[i].stops_file)
                                stop = &t->errors[i];
                if (stop) {
                        _cleanup_free_ char *ev = strdup_printf("%s:%u", stop->file, stop->line);
                        r = check_emit(
                                ctx, STATUS_FAIL, "nfs.export.present",
                                "fix the error in the exports file (see nfs.export.files)", ev,
                                "%s is not exported: exportfs stops reading %s at the error on line %u",
                                export, stop->file, stop->line);
                } else {
                        hint = strdup_printf(
                                "add a line for %s with the hypervisors as clients to %s/hostprep.exports, "
                                "then run 'exportfs -r'",
                                export, EXPORTS_DIR);
                        r = check_emit(ctx, STATUS_FAIL, "nfs.export.present", hint, file_list,
                                       "%s is not exported (the profile's [nfs] export)", export);
                }
        } else {
                r = check_emit(ctx, STATUS_PASS, "nfs.export.present", NULL, file_list, "%s is exported",
                               export);
                if (r >= 0)
                        r = check_clients(ctx, t, export);
                if (r >= 0)
                        r = check_wide(ctx, t, export);
        }
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

#define HOSTPREP_EXPORTS EXPORTS_DIR "/hostprep.exports"

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
        _cleanup_(exports_table_freep) ExportsTable *t = NULL;
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
                        ctx, STATUS_ERROR, "nfs.export.fix",
                        "name the hypervisors in the profile ([hosts] or [nfs] clients)", NULL,
                        "cannot write the export: the profile names no hypervisors to export %s to", export);

        r = exports_table_new(&t);
        if (r < 0)
                return r;
        r = check_exports_load(ctx, t, &files, &unreadable);
        if (r < 0)
                return check_emit(ctx, STATUS_ERROR, "nfs.export.fix", NULL, unreadable,
                                  "cannot read %s: %s", strna(unreadable), strerror(-r));
        /* an operator's own line for the path wins over hostprep's drop-in: leave it to them */
        for (size_t e = 0; e < t->n_entries; e++)
                if (check_same_path(t->entries[e].path, export) &&
                    !streq(t->entries[e].file, HOSTPREP_EXPORTS)) {
                        _cleanup_free_ char *ev =
                                strdup_printf("%s:%u", t->entries[e].file, t->entries[e].line);
                        return check_emit(
                                ctx, STATUS_ERROR, "nfs.export.fix",
                                "change that line by hand, or remove it and let hostprep write " EXPORTS_DIR
                                "/hostprep.exports",
                                ev, "not changing the export: %s already exports %s", strna(ev), export);
                }

        r = exports_dropin(ctx, clients, export, &want, &error);
        if (r < 0 && error)
                return check_emit(ctx, STATUS_ERROR, "nfs.export.fix",
                                  "reinstall hostprep or fix the template", NULL,
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
        if (file_changes && path_exists(ctx, "/usr/sbin/exportfs")) {
                char *argv[] = {(char *)"exportfs", (char *)"-r", NULL};
                r = plan_command(plan, "nfs.export", argv, "make the kernel NFS server export the new list");
        }
        return r < 0 ? r : 0;
}

const struct unit unit_nfs_export = {
        .id = "nfs.export",
        .title = "the NFS server exports the shared storage to the hypervisors",
        .roles = ROLE_BIT(ROLE_NFS_SERVER),
        .result_ids = nfs_export_ids,
        .check = nfs_export_check,
        .fix = nfs_export_fix,
};

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nfs.access: from this hypervisor, the NFS server answers within the deadline, lists the profile's
 * export, and treats root and the qemu user as libvirt needs: root creates a file on the export and it is
 * owned by root (no root squash, proven, not read from a config file), and a chown to the qemu user sticks.
 * Everything goes through libnfs in userspace, so a dead server costs the deadline, never a hang.
 */
#include <unistd.h>

#include "common.h"
#include "nfsprobe.h"
#include "pathnames.h"
#include "strv.h"

enum {
        EXPORTS_SERVER_TIMEOUT,
        EXPORTS_LIST_FAILED,
        EXPORTS_LISTED,
        EXPORTS_MISSING,
        EXPORTS_NOT_LIVE,
        EXPORTS_NO_SERVER,
        ROOT_SERVER_TIMEOUT,
        ROOT_PROBE_FAILED,
        ROOT_SQUASHED,
        ROOT_KEPT,
        QEMU_USER_MISSING,
        QEMU_USER_ROOT_SQUASHED,
        QEMU_USER_OWNER_LOST,
        QEMU_USER_OWNER_KEPT,
};

static const struct result_def nfs_access_results[] = {
        [EXPORTS_SERVER_TIMEOUT] =
                {"nfs.access.exports", STATUS_ERROR, "server_timeout",
                 "check that the server runs (rpcbind and the NFS server) and that the firewall lets this host through"},
        [EXPORTS_LIST_FAILED] = {"nfs.access.exports", STATUS_ERROR, "export_list_failed",
                                 "check that rpcbind and the NFS server run on the server"},
        [EXPORTS_LISTED] = {"nfs.access.exports", STATUS_PASS, "export_listed"},
        [EXPORTS_MISSING] =
                {"nfs.access.exports", STATUS_FAIL, "export_missing",
                 "on the server: export it to this host and run 'exportfs -r' (or reload the server)"},
        [EXPORTS_NOT_LIVE] = {"nfs.access.exports", STATUS_SKIP, "not_live"},
        [EXPORTS_NO_SERVER] = {"nfs.access.exports", STATUS_ERROR, "no_server",
                               "name the server: [nfs] server = HOST, or a host with the nfs-server role"},
        [ROOT_SERVER_TIMEOUT] = {"nfs.access.root", STATUS_ERROR, "server_timeout",
                                 "check that the server answers"},
        [ROOT_PROBE_FAILED] = {"nfs.access.root", STATUS_ERROR, "probe_failed",
                               "check the export's options"},
        [ROOT_SQUASHED] =
                {"nfs.access.root", STATUS_FAIL, "root_squashed",
                 "on the server: export with no_root_squash (and without all_squash), then exportfs -r"},
        [ROOT_KEPT] = {"nfs.access.root", STATUS_PASS, "root_kept"},
        [QEMU_USER_MISSING] = {"nfs.access.qemu_user", STATUS_SKIP, "no_qemu_user"},
        [QEMU_USER_ROOT_SQUASHED] = {"nfs.access.qemu_user", STATUS_SKIP, "root_squashed"},
        [QEMU_USER_OWNER_LOST] =
                {"nfs.access.qemu_user", STATUS_FAIL, "owner_not_kept",
                 "give the qemu user the same uid and gid on every host and the server, or fix NFSv4 id mapping (the Domain in /etc/idmapd.conf)"},
        [QEMU_USER_OWNER_KEPT] = {"nfs.access.qemu_user", STATUS_PASS, "owner_kept"},
};

/* Debian/Ubuntu run QEMU as libvirt-qemu, RHEL-like systems as qemu. */
static const char *const qemu_users[] = {"libvirt-qemu", "qemu", NULL};

/* Some time is kept back from each step, so a dead server still leaves time to report. */
#define REPORT_RESERVE_USEC (150 * USEC_PER_MSEC)

static usec_t step_deadline(const struct check_ctx *ctx)
{
        usec_t now = now_usec();

        return ctx->deadline > now + 2 * REPORT_RESERVE_USEC ? ctx->deadline - REPORT_RESERVE_USEC
                                                             : ctx->deadline;
}

static int check_exports_listed(struct check_ctx *ctx, const char *server, const char *address,
                                const char *export)
{
        struct nfs_export_list list = {0};
        _cleanup_free_ char *error = NULL, *evidence = NULL;
        usec_t start = now_usec();
        int r;

        r = nfsprobe_exports(address, step_deadline(ctx), &list, &error);
        if (r == -ETIMEDOUT) {
                r = check_emit(ctx, &nfs_access_results[EXPORTS_SERVER_TIMEOUT], address,
                               "%s (%s) did not answer within %.1f s", server, address,
                               (double)(now_usec() - start) / USEC_PER_SEC);
                return r < 0 ? r : 0;
        }
        if (r < 0) {
                r = check_emit(ctx, &nfs_access_results[EXPORTS_LIST_FAILED], address,
                               "cannot list the exports of %s: %s", server, strna(error));
                return r < 0 ? r : 0;
        }

        for (size_t i = 0; i < list.n; i++) {
                _cleanup_free_ char *groups = NULL;

                if (!check_same_path(list.items[i].path, export))
                        continue;
                groups = strv_join(list.items[i].groups, ", ");
                evidence = strdup_printf("showmount -e %s: %s %s", address, list.items[i].path,
                                         groups && *groups ? groups : "(everyone)");
                nfs_export_list_done(&list);
                r = check_emit(ctx, &nfs_access_results[EXPORTS_LISTED], evidence,
                               "%s lists %s for its clients", server, export);
                return r < 0 ? r : 1;
        }
        {
                _cleanup_(strv_freep) char **paths = NULL;
                for (size_t i = 0; i < list.n; i++)
                        if (strv_push_dup(&paths, list.items[i].path) < 0)
                                break;
                _cleanup_free_ char *all = strv_join(paths, ", ");
                evidence = strdup_printf("showmount -e %s: %s", address, all && *all ? all : "(nothing)");
        }
        nfs_export_list_done(&list);
        r = check_emit(ctx, &nfs_access_results[EXPORTS_MISSING], evidence,
                       "%s does not list %s among its exports", server, export);
        return r < 0 ? r : 0;
}

static int check_owners(struct check_ctx *ctx, const char *server, const char *address, const char *export,
                        int version)
{
        _cleanup_free_ char *error = NULL, *probe = NULL, *qemu = NULL, *evidence = NULL;
        struct nfs_owner_probe p = {0};
        uid_t quid = 0;
        gid_t qgid = 0;
        bool have_qemu;
        int r;

        have_qemu = check_passwd_lookup(ctx, qemu_users, &qemu, &quid, &qgid) >= 0;
        probe = strdup_printf(".hostprep-probe.%s.%d", ctx->hostname, (int)getpid());
        if (!probe)
                return -ENOMEM;

        /* without a qemu user, chown to an id nobody uses: root squash still shows */
        r = nfsprobe_owner(address, export, version, probe, have_qemu ? quid : 4242, have_qemu ? qgid : 4242,
                           step_deadline(ctx), &p, &error);
        if (r < 0) {
                r = check_emit(
                        ctx, &nfs_access_results[r == -ETIMEDOUT ? ROOT_SERVER_TIMEOUT : ROOT_PROBE_FAILED],
                        address, "%s:%s: %s", server, export, strna(error));
                return r < 0 ? r : 0;
        }

        evidence = strdup_printf("created %s:%s/%s as root: owner %llu:%llu", server, export, probe,
                                 (unsigned long long)p.created_uid, (unsigned long long)p.created_gid);
        if (p.created_uid != 0)
                r = check_emit(
                        ctx, &nfs_access_results[ROOT_SQUASHED], evidence,
                        "root is squashed on %s:%s (a file root creates belongs to uid %llu): libvirt and qemu running as root cannot own their disk images",
                        server, export, (unsigned long long)p.created_uid);
        else
                r = check_emit(ctx, &nfs_access_results[ROOT_KEPT], evidence,
                               "root stays root on %s:%s (no root squash, proven by a probe file)", server,
                               export);
        if (r < 0)
                return r;

        if (!have_qemu)
                return check_emit(ctx, &nfs_access_results[QEMU_USER_MISSING], PATH_ETC_PASSWD,
                                  "no libvirt-qemu or qemu user on this host (is libvirt installed?)");
        if (p.created_uid != 0)
                return check_emit(ctx, &nfs_access_results[QEMU_USER_ROOT_SQUASHED], NULL,
                                  "cannot test the %s user's ids while root is squashed", qemu);
        free(evidence);
        evidence = strdup_printf("chown %u:%u on the probe: %s, read back %llu:%llu", (unsigned)quid,
                                 (unsigned)qgid, p.chown_ok ? "accepted" : "refused",
                                 (unsigned long long)p.chowned_uid, (unsigned long long)p.chowned_gid);
        if (!p.chown_ok || p.chowned_uid != quid || p.chowned_gid != qgid)
                return check_emit(
                        ctx, &nfs_access_results[QEMU_USER_OWNER_LOST], evidence,
                        "files chowned to %s (%u:%u) on %s:%s do not keep that owner: guests started by libvirt may not open their disks",
                        qemu, (unsigned)quid, (unsigned)qgid, server, export);
        return check_emit(ctx, &nfs_access_results[QEMU_USER_OWNER_KEPT], evidence,
                          "files chowned to %s (%u:%u) keep that owner on %s:%s", qemu, (unsigned)quid,
                          (unsigned)qgid, server, export);
}

static int nfs_access_check(struct check_ctx *ctx)
{
        _cleanup_free_ char *server = NULL;
        _cleanup_(strv_freep) char **addresses = NULL;
        const char *export = conf_get(ctx->profile, "nfs", "export");
        const char *version = conf_get(ctx->profile, "nfs", "version");
        const char *address;
        int r;

        if (!hostfs_is_live(ctx->fs))
                return check_emit(ctx, &nfs_access_results[EXPORTS_NOT_LIVE], NULL,
                                  "talking to the NFS server needs the running host, not --root");
        r = check_nfs_server(ctx, &server);
        if (r == -ENOENT)
                return check_emit(ctx, &nfs_access_results[EXPORTS_NO_SERVER], NULL,
                                  "the profile names no NFS server");
        if (r < 0)
                return r;
        /* the root's /etc/hosts first: a name that only DNS knows is resolved by libnfs (getaddrinfo) */
        r = check_host_addresses(ctx, server, &addresses);
        if (r < 0)
                return r;
        address = addresses[0] ? addresses[0] : server;

        r = check_exports_listed(ctx, server, address, export);
        if (r <= 0)
                return r; /* no answer or no export: the probe would only repeat it */
        return check_owners(ctx, server, address, export, version[0] == '3' ? 3 : 4);
}

const struct unit unit_nfs_access = {
        .id = "nfs.access",
        .title = "the NFS server answers this hypervisor and keeps root and the qemu user as they are",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = nfs_access_results,
        .n_results = ELEMENTSOF(nfs_access_results),
        .check = nfs_access_check,
};

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nfsprobe.h"

#include <fcntl.h>
#include <poll.h>

/* libnfs.h defines what the raw headers use: it comes first, in a block of its own */
#include <nfsc/libnfs.h>

#include <nfsc/libnfs-raw-mount.h>
#include <nfsc/libnfs-raw.h>

#include "strv.h"

/* SYN retries: libnfs' own timeout does not cover connect(); 2 retries end within about 7 s. */
#define NFSPROBE_TCP_SYNCNT 2

DEFINE_TRIVIAL_CLEANUP_FUNC(struct rpc_context *, rpc_destroy_context)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nfs_context *, nfs_destroy_context)

void nfs_export_list_done(struct nfs_export_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].path);
                strv_free(l->items[i].groups);
        }
        free(l->items);
        *l = (struct nfs_export_list){0};
}

struct exports_wait {
        bool done;
        int status;
        int r;
        struct nfs_export_list list;
        char *error;
};

static void exports_cb(struct rpc_context *rpc, int status, void *data, void *private_data)
{
        struct exports_wait *w = private_data;

        w->done = true;
        w->status = status;
        if (status != RPC_STATUS_SUCCESS) {
                w->error = strdup_printf("%s", data ? (const char *)data : "no answer");
                return;
        }
        /* data is owned by libnfs and freed after this callback: copy it */
        for (struct exportnode *e = *(exports *)data; e && w->r >= 0; e = e->ex_next) {
                struct nfs_export_item *items = realloc(w->list.items, (w->list.n + 1) * sizeof(*items));
                struct nfs_export_item it = {.path = strdup(e->ex_dir)};

                if (!items || !it.path) {
                        free(it.path);
                        if (items)
                                w->list.items = items;
                        w->r = -ENOMEM;
                        return;
                }
                w->list.items = items;
                for (struct groupnode *g = e->ex_groups; g && w->r >= 0; g = g->gr_next)
                        w->r = strv_push_dup(&it.groups, g->gr_name);
                w->list.items[w->list.n++] = it;
        }
}

int nfsprobe_exports(const char *server, usec_t deadline, struct nfs_export_list *ret, char **ret_error)
{
        _cleanup_(rpc_destroy_contextp) struct rpc_context *rpc = rpc_init_context();
        struct exports_wait w = {0};

        if (!rpc)
                return -ENOMEM;
        if (mount_getexports_async(rpc, server, exports_cb, &w) != 0) {
                *ret_error = strdup_printf("cannot ask %s for its exports: %s", server, rpc_get_error(rpc));
                return -EHOSTUNREACH;
        }
        while (!w.done) {
                usec_t now = now_usec();
                struct pollfd pfd;
                int k;

                if (now >= deadline) {
                        nfs_export_list_done(&w.list);
                        *ret_error =
                                strdup_printf("%s did not list its exports within the deadline", server);
                        return -ETIMEDOUT;
                }
                pfd = (struct pollfd){.fd = rpc_get_fd(rpc), .events = (short)rpc_which_events(rpc)};
                k = poll(&pfd, 1, (int)((deadline - now + 999) / 1000));
                if (k < 0 && errno != EINTR)
                        return -errno;
                if (rpc_service(rpc, k > 0 ? pfd.revents : 0) < 0) {
                        nfs_export_list_done(&w.list);
                        free(w.error);
                        *ret_error = strdup_printf("%s: %s", server, rpc_get_error(rpc));
                        return -ECONNREFUSED;
                }
        }
        if (w.status != RPC_STATUS_SUCCESS || w.r < 0) {
                nfs_export_list_done(&w.list);
                *ret_error = w.error ? w.error : strdup_printf("%s: export listing failed", server);
                return w.r < 0 ? w.r : -ECONNREFUSED;
        }
        free(w.error);
        *ret = w.list;
        return 0;
}

static int ms_left(usec_t deadline)
{
        usec_t now = now_usec();

        if (now >= deadline)
                return 0;
        return (int)((deadline - now + 999) / 1000);
}

int nfsprobe_owner(const char *server, const char *export, int version, const char *name, uint32_t uid,
                   uint32_t gid, usec_t deadline, struct nfs_owner_probe *ret, char **ret_error)
{
        _cleanup_(nfs_destroy_contextp) struct nfs_context *nfs = nfs_init_context();
        _cleanup_free_ char *path = NULL;
        struct nfs_owner_probe p = {0};
        struct nfs_stat_64 st;
        struct nfsfh *fh = NULL;
        int r = 0;

        if (!nfs)
                return -ENOMEM;
        if (ms_left(deadline) <= 0)
                return -ETIMEDOUT;
        path = strdup_printf("/%s", name);
        if (!path)
                return -ENOMEM;

        nfs_set_timeout(nfs, ms_left(deadline));
        nfs_set_tcp_syncnt(nfs, NFSPROBE_TCP_SYNCNT);
        nfs_set_autoreconnect(nfs, 0);
        /* libnfs takes the protocol version number itself: 3 or 4 */
        if (nfs_set_version(nfs, version >= 4 ? 4 : 3) != 0) {
                *ret_error = strdup_printf("libnfs cannot speak NFS version %d", version);
                return -EOPNOTSUPP;
        }
        if (nfs_mount(nfs, server, export) != 0) {
                *ret_error = strdup_printf("mounting %s:%s failed: %s", server, export, nfs_get_error(nfs));
                return ms_left(deadline) <= 0 ? -ETIMEDOUT : -EACCES;
        }

        /* v4 needs nfs_create with O_RDWR (nfs_creat is v3 only) */
        nfs_set_timeout(nfs, ms_left(deadline) ?: 1);
        if (nfs_create(nfs, path, O_RDWR | O_CREAT | O_EXCL, 0600, &fh) != 0) {
                *ret_error = strdup_printf("creating %s:%s%s as root failed: %s", server, export, path,
                                           nfs_get_error(nfs));
                r = ms_left(deadline) <= 0 ? -ETIMEDOUT : -EACCES;
                goto finish;
        }
        if (nfs_fstat64(nfs, fh, &st) != 0) {
                *ret_error = strdup_printf("reading the owner of %s failed: %s", path, nfs_get_error(nfs));
                r = -EIO;
                goto finish;
        }
        p.created_uid = st.nfs_uid;
        p.created_gid = st.nfs_gid;
        nfs_set_timeout(nfs, ms_left(deadline) ?: 1);
        p.chown_ok = nfs_fchown(nfs, fh, (int)uid, (int)gid) == 0;
        if (p.chown_ok && nfs_fstat64(nfs, fh, &st) == 0) {
                p.chowned_uid = st.nfs_uid;
                p.chowned_gid = st.nfs_gid;
        }

finish:
        if (fh) {
                nfs_set_timeout(nfs, ms_left(deadline) ?: 1);
                nfs_close(nfs, fh);
                /* the probe must not stay behind, also when a step above failed */
                if (nfs_unlink(nfs, path) != 0 && r == 0) {
                        *ret_error = strdup_printf("removing the probe %s:%s%s failed: %s", server, export,
                                                   path, nfs_get_error(nfs));
                        r = -EIO;
                }
        }
        nfs_umount(nfs);
        if (r < 0)
                return r;
        *ret = p;
        return 0;
}

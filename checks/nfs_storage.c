/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nfs.storage: the filesystem under the export, identified with libblkid. NFS file handles carry the
 * filesystem's identity: without a stable UUID (tmpfs, some overlays, a device number that changes) the
 * export needs fsid=, or clients get "stale file handle" after a server reboot. And guests' disks use
 * cache='none', i.e. O_DIRECT, which the filesystem must support.
 */
#include <fcntl.h>
#include <libmount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common.h"
#include "fsprobe.h"
#include "pathnames.h"
#include "strv.h"

enum {
        FILESYSTEM_NOT_LIVE,
        FILESYSTEM_EXPORT_MISSING,
        FILESYSTEM_UNIDENTIFIED,
        FILESYSTEM_IDENTIFIED,
        FSID_UUID,
        FSID_SET,
        FSID_UUID_UNREADABLE,
        FSID_MISSING,
        DIRECT_IO_UNTESTED,
        DIRECT_IO_REFUSED,
        DIRECT_IO_SUPPORTED,
};

static const struct result_def nfs_storage_results[] = {
        [FILESYSTEM_NOT_LIVE] = {"nfs.storage.filesystem", STATUS_SKIP, "not_live"},
        [FILESYSTEM_EXPORT_MISSING] = {"nfs.storage.filesystem", STATUS_SKIP, "export_missing"},
        [FILESYSTEM_UNIDENTIFIED] = {"nfs.storage.filesystem", STATUS_ERROR, "filesystem_unknown"},
        [FILESYSTEM_IDENTIFIED] = {"nfs.storage.filesystem", STATUS_PASS, "filesystem_known"},
        [FSID_UUID] = {"nfs.storage.fsid", STATUS_PASS, "uuid"},
        [FSID_SET] = {"nfs.storage.fsid", STATUS_PASS, "fsid_set"},
        [FSID_UUID_UNREADABLE] = {"nfs.storage.fsid", STATUS_WARN, "uuid_unreadable",
                                  "check with 'blkid DEVICE', or set fsid=N in the export's options"},
        [FSID_MISSING] = {"nfs.storage.fsid", STATUS_WARN, "no_uuid",
                          "add fsid=N (a number unique on this server) to the export's options"},
        [DIRECT_IO_UNTESTED] = {"nfs.storage.direct_io", STATUS_ERROR, "probe_failed"},
        [DIRECT_IO_REFUSED] = {"nfs.storage.direct_io", STATUS_FAIL, "direct_io_refused",
                               "put the export on a filesystem that supports O_DIRECT (ext4, xfs, btrfs)"},
        [DIRECT_IO_SUPPORTED] = {"nfs.storage.direct_io", STATUS_PASS, "direct_io_supported"},
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table)

struct fs_identity {
        char *source;
        char *fstype;
        char *uuid;      /* NULL when the filesystem has none (or could not be probed) */
        int probe_error; /* why the device could not be probed, 0 if it was (or is no device) */
};

static void fs_identity_done(struct fs_identity *id)
{
        free(id->source);
        free(id->fstype);
        free(id->uuid);
}

static int probe_uuid(const struct check_ctx *ctx, const char *device, char **ret_type, char **ret_uuid)
{
        _cleanup_close_ int fd = hostfs_open(ctx->fs, device, O_RDONLY | O_NONBLOCK);

        if (fd < 0)
                return fd;
        return fsprobe_fd(fd, ret_type, ret_uuid);
}

/* Which mounted filesystem holds path: the mountinfo entry with its device number. */
static int identify(const struct check_ctx *ctx, const char *path, struct fs_identity *ret)
{
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = mnt_new_table();
        _cleanup_fclose_ FILE *f = NULL;
        struct libmnt_fs *fs;
        struct stat st;
        int r;

        if (!tb)
                return -ENOMEM;
        r = hostfs_stat(ctx->fs, path, &st);
        if (r < 0)
                return r;
        r = hostfs_fopen(ctx->fs, PATH_PROC_MOUNTINFO, &f);
        if (r < 0)
                return r;
        r = mnt_table_parse_stream(tb, f, PATH_PROC_MOUNTINFO);
        if (r < 0)
                return r;
        fs = mnt_table_find_devno(tb, st.st_dev, MNT_ITER_BACKWARD);
        if (!fs)
                return -ENXIO;
        ret->source = strdup(strempty(mnt_fs_get_source(fs)));
        ret->fstype = strdup(strempty(mnt_fs_get_fstype(fs)));
        if (!ret->source || !ret->fstype)
                return -ENOMEM;
        if (startswith(ret->source, "/dev/")) {
                _cleanup_free_ char *type = NULL;
                r = probe_uuid(ctx, ret->source, &type, &ret->uuid);
                if (r < 0)
                        ret->probe_error = r;
                else if (type) {
                        free(ret->fstype);
                        ret->fstype = TAKE_PTR(type);
                }
        }
        return 0;
}

/* Whether an exports line for path sets fsid= for its clients. */
static int export_has_fsid(const struct check_ctx *ctx, const char *export, bool *ret)
{
        _cleanup_(exports_table_freep) struct exports_table *t = NULL;
        _cleanup_(strv_freep) char **files = NULL;
        _cleanup_free_ char *unreadable = NULL;
        int r;

        r = exports_table_new(&t);
        if (r < 0)
                return r;
        /* an unreadable exports file is nfs.export's to report */
        r = check_exports_load(ctx, t, &files, &unreadable);
        if (r < 0)
                return r;
        *ret = false;
        for (size_t e = 0; e < t->n_entries; e++)
                for (size_t i = 0; i < t->entries[e].n_clients; i++)
                        if (check_same_path(t->entries[e].path, export) &&
                            (t->entries[e].clients[i].options.fsid_set ||
                             t->entries[e].clients[i].options.fsid_uuid))
                                *ret = true;
        return 0;
}

/* O_DIRECT on an existing file of the export, else on an unnamed O_TMPFILE that never appears in the
 * directory and is gone at close. */
static int direct_io_works(const struct check_ctx *ctx, const char *dir, char **ret_how)
{
        _cleanup_(strv_freep) char **names = NULL;
        int r, fd;

        r = hostfs_list_dir(ctx->fs, dir, &names);
        if (r < 0)
                return r;
        STRV_FOREACH (n, names) {
                _cleanup_free_ char *p = strdup_printf("%s/%s", dir, *n);
                struct stat st;

                if (!p)
                        return -ENOMEM;
                if (hostfs_stat(ctx->fs, p, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                fd = hostfs_open(ctx->fs, p, O_RDONLY | O_DIRECT | O_NONBLOCK);
                if (fd >= 0)
                        close(fd);
                *ret_how = strdup_printf("open(%s, O_DIRECT)", p);
                return fd >= 0 ? 1 : (fd == -EINVAL ? 0 : fd);
        }
        fd = hostfs_open(ctx->fs, dir, O_TMPFILE | O_RDWR | O_DIRECT);
        if (fd >= 0)
                close(fd);
        *ret_how = strdup_printf("open(%s, O_TMPFILE|O_DIRECT)", dir);
        return fd >= 0 ? 1 : (fd == -EINVAL ? 0 : fd);
}

static int nfs_storage_check(struct check_ctx *ctx)
{
        _cleanup_(fs_identity_done) struct fs_identity id = {0};
        _cleanup_free_ char *evidence = NULL, *how = NULL;
        const char *export = conf_get(ctx->profile, "nfs", "export");
        bool fsid = false;
        int r;

        if (!hostfs_is_live(ctx->fs))
                return check_emit(
                        ctx, &nfs_storage_results[FILESYSTEM_NOT_LIVE], NULL,
                        "the filesystem under the export is probed on the running host, not under --root");
        r = identify(ctx, export, &id);
        if (r == -ENOENT)
                return check_emit(ctx, &nfs_storage_results[FILESYSTEM_EXPORT_MISSING], export,
                                  "%s does not exist (see nfs.export.directory)", export);
        if (r < 0)
                return check_emit(ctx, &nfs_storage_results[FILESYSTEM_UNIDENTIFIED], export,
                                  "cannot tell which filesystem holds %s: %s", export, strerror(-r));

        evidence = strdup_printf("%s on %s (%s)%s%s", export, id.source, id.fstype, id.uuid ? " UUID=" : "",
                                 strempty(id.uuid));
        if (!evidence)
                return -ENOMEM;
        r = check_emit(ctx, &nfs_storage_results[FILESYSTEM_IDENTIFIED], evidence, "%s is on %s %s", export,
                       id.fstype, id.source);
        if (r < 0)
                return r;

        if (export_has_fsid(ctx, export, &fsid) < 0)
                fsid = false;
        if (id.uuid)
                r = check_emit(ctx, &nfs_storage_results[FSID_UUID], evidence,
                               "the filesystem has a stable UUID (%s): file handles survive a server reboot",
                               id.uuid);
        else if (fsid)
                r = check_emit(ctx, &nfs_storage_results[FSID_SET], evidence,
                               "%s has no UUID, and the export sets fsid=", id.fstype);
        else if (id.probe_error)
                r = check_emit(
                        ctx, &nfs_storage_results[FSID_UUID_UNREADABLE], evidence,
                        "cannot read the UUID of %s (%s): without it or fsid= in the export, clients may get stale file handles after a server reboot",
                        id.source, strerror(-id.probe_error));
        else
                r = check_emit(
                        ctx, &nfs_storage_results[FSID_MISSING], evidence,
                        "%s on %s has no stable UUID: without fsid= in the export, clients may get stale file handles after a server reboot",
                        export, id.fstype);
        if (r < 0)
                return r;

        r = direct_io_works(ctx, export, &how);
        if (r < 0)
                return check_emit(ctx, &nfs_storage_results[DIRECT_IO_UNTESTED], how,
                                  "cannot test O_DIRECT on %s: %s", export, strerror(-r));
        if (r == 0)
                return check_emit(
                        ctx, &nfs_storage_results[DIRECT_IO_REFUSED], how,
                        "%s (%s) refuses O_DIRECT: guests with cache='none' cannot open their disks", export,
                        id.fstype);
        return check_emit(ctx, &nfs_storage_results[DIRECT_IO_SUPPORTED], how,
                          "%s supports O_DIRECT (cache='none')", export);
}

const struct unit unit_nfs_storage = {
        .id = "nfs.storage",
        .title = "the exported filesystem has a stable identity and supports O_DIRECT",
        .roles = ROLE_BIT(ROLE_NFS_SERVER),
        .results = nfs_storage_results,
        .n_results = ELEMENTSOF(nfs_storage_results),
        .check = nfs_storage_check,
};

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt.domains: every domain defined on this hypervisor can move, by libvirt's own rules
 * (qemuMigrationSrcIsSafe, qemuMigrationSrcIsAllowed in libvirt 9.0): each writable disk on shared
 * storage, a cache mode that keeps the destination from reading stale pages, and no device that ties the
 * guest to this host. The domains are the persistent definitions in /etc/libvirt/qemu (read through the
 * root, so --root and fixtures work) and, on the running host, the live XML of the running domains from
 * libvirtd (what a migration would move now).
 *
 * Shared storage is libvirt's virFileIsSharedFS(): the statfs magic of the path (or of the nearest
 * directory above it that exists), FUSE only for glusterfs and quobyte, told by the mount's type in the
 * mount table. statfs runs in a child abandoned at the deadline (a dead NFS server hangs it). Under
 * --root there is no live filesystem to ask: the profile's [nfs] mountpoint decides, and the evidence
 * says which way was used.
 *
 * The fix changes the one thing that is the definition's alone, the cache: the definitions libvirtd keeps
 * are read, cache='none' is set on the flagged disks' <driver> in place (the rest of the XML as libvirt
 * gave it), and each is planned to be defined again (a libvirt-define action: diffed, journalled, rolled
 * back). A running guest keeps the cache its QEMU was started with until its next cold boot: its live
 * XML differing from a safe definition is a WARN of its own (FAIL where libvirt would refuse now).
 */
#include <fcntl.h>
#include <libmount.h>
#include <sys/utsname.h>
#include <sys/vfs.h>

#include "common.h"
#include "deadline.h"
#include "domainxml.h"
#include "libvirt-domains.h"
#include "pathlookup.h"
#include "pathnames.h"
#include "provision/libvirt-domain.h"
#include "provision/plan.h"
#include "spawn.h"
#include "strv.h"

#define DOMAINS_DIR PATH_LIBVIRT_QEMU_DIR
#define LIVE_URI    "qemu:///system"
/* QEMU 7.2 has migration-file-drop-cache: the destination drops its page cache of the image */
#define DROP_CACHE_MAJOR 7
#define DROP_CACHE_MINOR 2
#define SAFE_CACHE_ERROR                                                                                    \
        "Migration may lead to data corruption if disks use cache other than none or directsync"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table)

enum {
        DEFINED_NONE,
        DEFINED_MALFORMED,
        DEFINED_UNREADABLE,
        DEFINED_LIVE_UNREACHABLE,
        DEFINED_LIVE_TIMEOUT,
        DEFINED_LIVE_NO_API,
        STORAGE_SHARED,
        STORAGE_LOCAL,
        STORAGE_BLOCK,
        STORAGE_VOLUME,
        STORAGE_UNDECIDED,
        CACHE_SAFE,
        CACHE_DROPPED,
        CACHE_QEMU_UNKNOWN,
        CACHE_UNSAFE,
        CACHE_PENDING,
        CACHE_PENDING_UNSAFE,
        BLOCKERS_NONE,
        BLOCKERS_HOSTDEV,
        BLOCKERS_USB,
        BLOCKERS_CHARDEV,
        BLOCKERS_MEDIA,
        BLOCKERS_VHOSTUSER,
        BLOCKERS_UNSUPPORTED,
        FIX_NOT_LIVE,
        FIX_NO_API,
        FIX_UNREACHABLE,
        FIX_TRANSIENT,
        FIX_UNEDITABLE,
};

#define EDIT_HINT "virsh edit @DOMAIN@"
#define CACHE_HINT                                                                                          \
        "set cache='none' on the disk's <driver> (" EDIT_HINT                                               \
        "); a running guest gets it at its next cold boot"
#define COLD_BOOT_HINT                                                                                      \
        "shut the guest down and start it again (virsh shutdown @DOMAIN@, then virsh start @DOMAIN@): a "   \
        "reboot inside the guest keeps the running QEMU and its cache"

static const struct result_def libvirt_domains_results[] = {
        [DEFINED_NONE] = {"libvirt.domains.defined", STATUS_SKIP, "no_domains"},
        [DEFINED_MALFORMED] = {"libvirt.domains.defined", STATUS_ERROR, "malformed_xml",
                               "fix the file's XML, or redefine the domain: virsh define FILE"},
        [DEFINED_UNREADABLE] = {"libvirt.domains.defined", STATUS_ERROR, "unreadable"},
        [DEFINED_LIVE_UNREACHABLE] = {"libvirt.domains.defined", STATUS_SKIP, "libvirtd_unreachable"},
        [DEFINED_LIVE_TIMEOUT] = {"libvirt.domains.defined", STATUS_ERROR, "libvirtd_timeout",
                                  "check that libvirtd runs and answers: virsh -c qemu:///system list"},
        [DEFINED_LIVE_NO_API] = {"libvirt.domains.defined", STATUS_SKIP, "built_without_libvirt"},
        [STORAGE_SHARED] = {"libvirt.domains.storage", STATUS_PASS, "shared_storage"},
        [STORAGE_LOCAL] =
                {"libvirt.domains.storage", STATUS_FAIL, "not_shared",
                 "move the disk to the shared storage (@MOUNTPOINT@) and point the domain at it: " EDIT_HINT},
        [STORAGE_BLOCK] = {"libvirt.domains.storage", STATUS_WARN, "block_device",
                           "make sure the device is the same shared LUN at the same path on every peer"},
        [STORAGE_VOLUME] =
                {"libvirt.domains.storage", STATUS_WARN, "pool_volume",
                 "check that the volume lies on shared storage: virsh vol-path --pool POOL VOLUME"},
        [STORAGE_UNDECIDED] = {"libvirt.domains.storage", STATUS_ERROR, "statfs_failed",
                               "check that the storage answers (a hung NFS server?): stat PATH"},
        [CACHE_SAFE] = {"libvirt.domains.cache", STATUS_PASS, "cache_none"},
        [CACHE_DROPPED] = {"libvirt.domains.cache", STATUS_WARN, "cache_dropped_by_qemu", CACHE_HINT},
        [CACHE_QEMU_UNKNOWN] = {"libvirt.domains.cache", STATUS_WARN, "cache_qemu_unknown", CACHE_HINT},
        [CACHE_UNSAFE] = {"libvirt.domains.cache", STATUS_FAIL, "cache_unsafe", CACHE_HINT},
        [CACHE_PENDING] = {"libvirt.domains.cache", STATUS_WARN, "cache_pending_cold_boot", COLD_BOOT_HINT},
        [CACHE_PENDING_UNSAFE] = {"libvirt.domains.cache", STATUS_FAIL, "cache_pending_cold_boot_unsafe",
                                  COLD_BOOT_HINT},
        [BLOCKERS_NONE] = {"libvirt.domains.blockers", STATUS_PASS, "no_local_devices"},
        [BLOCKERS_HOSTDEV] =
                {"libvirt.domains.blockers", STATUS_FAIL, "hostdev",
                 "detach the device before migrating (virsh detach-device @DOMAIN@ FILE --live), "
                 "and attach the destination's own after"},
        [BLOCKERS_USB] = {"libvirt.domains.blockers", STATUS_WARN, "usb_hostdev",
                          "plug the same device into the destination, or detach it before migrating"},
        [BLOCKERS_CHARDEV] = {"libvirt.domains.blockers", STATUS_FAIL, "local_chardev",
                              "put the file or socket on the shared storage, or use a pty: " EDIT_HINT},
        [BLOCKERS_MEDIA] =
                {"libvirt.domains.blockers", STATUS_FAIL, "local_media",
                 "eject it (virsh change-media @DOMAIN@ TARGET --eject), or put the image on the shared storage"},
        [BLOCKERS_VHOSTUSER] =
                {"libvirt.domains.blockers", STATUS_FAIL, "vhostuser_local_socket",
                 "run the same vhost-user backend at the same socket path on every peer, or use "
                 "another interface type: " EDIT_HINT},
        [BLOCKERS_UNSUPPORTED] = {"libvirt.domains.blockers", STATUS_FAIL, "unsupported_device",
                                  "remove the device before migrating: " EDIT_HINT},
        [FIX_NOT_LIVE] =
                {"libvirt.domains.fix", STATUS_ERROR, "not_live",
                 "run hostprep apply on the running host (it redefines the domain through libvirtd), or set "
                 "cache='none' in the domain's file below /etc/libvirt/qemu while libvirtd is not running"},
        [FIX_NO_API] = {"libvirt.domains.fix", STATUS_ERROR, "built_without_libvirt",
                        "set cache='none' by hand: virsh edit DOMAIN"},
        [FIX_UNREACHABLE] = {"libvirt.domains.fix", STATUS_ERROR, "libvirtd_unreachable",
                             "check that libvirtd runs and answers: virsh -c qemu:///system list --all"},
        [FIX_TRANSIENT] =
                {"libvirt.domains.fix", STATUS_ERROR, "transient_domain",
                 "a transient domain has no definition to change: virsh dumpxml @DOMAIN@ > FILE, set "
                 "cache='none' in FILE, virsh define FILE, then shut the guest down and start it"},
        [FIX_UNEDITABLE] = {"libvirt.domains.fix", STATUS_ERROR, "xml_not_editable", EDIT_HINT},
};

/* One domain being checked: its definition and how messages name it. */
struct domain_check {
        struct check_ctx *ctx;
        const struct domain_def *def;
        const char *label;      /* "web1" or "web1 (running)" */
        const char *mountpoint; /* the profile's [nfs] mountpoint */
        const struct domain_def
                *persistent;        /* of a running domain: its definition; NULL: none (transient) */
        int qemu_major, qemu_minor; /* -1: not read yet, -2: unknown */
};

/* The values of the table's hints (a compound literal: it lives in the caller's block) */
#define DOMAIN_HINT(dc) HINT_VALUES("DOMAIN", (dc)->def->name, "MOUNTPOINT", strempty((dc)->mountpoint))

/* --- shared storage, as libvirt decides it --------------------------------------------------------- */

enum sharing {
        SHARING_LOCAL,
        SHARING_SHARED,
        SHARING_CLUSTER, /* coherent: libvirt does not ask for cache='none' there */
        SHARING_TIMEOUT,
        SHARING_FAILED,
};

struct fs_magic {
        unsigned long magic;
        const char *name;
        enum sharing sharing;
};

/* virFileIsSharedFS() and virFileIsClusterFS() of libvirt 9.0, and a few local ones to name them */
static const struct fs_magic fs_magics[] = {
        {0x6969, "nfs", SHARING_SHARED},        {0x01161970, "gfs2", SHARING_CLUSTER},
        {0x7461636f, "ocfs2", SHARING_CLUSTER}, {0x6b414653, "afs", SHARING_SHARED},
        {0x517b, "smb", SHARING_SHARED},        {0xff534d42, "cifs", SHARING_SHARED},
        {0xfe534d42, "smb2", SHARING_SHARED},   {0x00c36400, "ceph", SHARING_CLUSTER},
        {0x47504653, "gpfs", SHARING_SHARED},   {0x61636673, "acfs", SHARING_SHARED},
        {0xef53, "ext2/3/4", SHARING_LOCAL},    {0x58465342, "xfs", SHARING_LOCAL},
        {0x9123683e, "btrfs", SHARING_LOCAL},   {0x01021994, "tmpfs", SHARING_LOCAL},
        {0x794c7630, "overlay", SHARING_LOCAL}, {0x2fc12fc1, "zfs", SHARING_LOCAL},
};
#define FUSE_SUPER_MAGIC 0x65735546UL

struct statfs_job {
        const struct hostfs *fs;
        const char *path;
};

struct statfs_answer {
        long f_type;
        size_t used; /* how much of the path was statfs'ed: the nearest existing ancestor */
};

/* In a child: statfs of path, or of the nearest directory above it that exists, as libvirt does. */
static int statfs_child(void *userdata, void *out)
{
        const struct statfs_job *job = userdata;
        struct statfs_answer *a = out;
        _cleanup_free_ char *p = strdup(job->path);
        struct statfs sb;

        if (!p)
                return -ENOMEM;
        for (;;) {
                _cleanup_close_ int fd = hostfs_open(job->fs, p, O_PATH | O_CLOEXEC);
                char *slash;

                if (fd >= 0 && fstatfs(fd, &sb) == 0) {
                        a->f_type = (long)sb.f_type;
                        a->used = strlen(p);
                        return 0;
                }
                slash = strrchr(p, '/');
                if (!slash || (slash == p && !p[1]))
                        return fd < 0 ? fd : -errno;
                slash[slash == p ? 1 : 0] = '\0';
        }
}

/* The type of the mount path lies on (the longest matching target), from the mount table. */
static char *mount_fstype(const struct check_ctx *ctx, const char *path)
{
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = mnt_new_table();
        _cleanup_fclose_ FILE *f = NULL;
        struct libmnt_iter *itr;
        struct libmnt_fs *m;
        const char *type = NULL;
        size_t best = 0;

        if (!tb || hostfs_fopen(ctx->fs, PATH_PROC_MOUNTINFO, &f) < 0 ||
            mnt_table_parse_stream(tb, f, PATH_PROC_MOUNTINFO) < 0)
                return NULL;
        itr = mnt_new_iter(MNT_ITER_FORWARD);
        while (itr && mnt_table_next_fs(tb, itr, &m) == 0) {
                const char *t = strempty(mnt_fs_get_target(m));
                size_t n = streq(t, "/") ? 0 : strlen(t);

                /* a later mount on the same target hides the earlier: >= */
                if (strneq(path, t, n) && (path[n] == '/' || path[n] == '\0') && n >= best) {
                        best = n;
                        type = mnt_fs_get_fstype(m);
                }
        }
        mnt_free_iter(itr);
        return type ? strdup(type) : NULL;
}

static enum sharing sharing_of_fuse(const struct check_ctx *ctx, const char *path, char **ret_name)
{
        _cleanup_free_ char *type = mount_fstype(ctx, path);
        bool shared = type && (streq(type, "fuse.glusterfs") || streq(type, "fuse.quobyte"));

        *ret_name = strdup_printf("%s (FUSE)", type ? type : "fuse");
        return shared ? (streq(type, "fuse.glusterfs") ? SHARING_CLUSTER : SHARING_SHARED) : SHARING_LOCAL;
}

/* A child's deadline: a little before ctx's, so the unit can still say what the child did not. */
static usec_t child_deadline(const struct check_ctx *ctx)
{
        return deadline_leave_margin(ctx->deadline, 100 * USEC_PER_MSEC);
}

/* Whether path is on shared storage, by statfs on the running host: *ret_evidence says what was seen. */
static int sharing_statfs(const struct check_ctx *ctx, const char *path, enum sharing *ret,
                          char **ret_evidence)
{
        struct statfs_job job = {.fs = ctx->fs, .path = path};
        struct statfs_answer a = {};
        _cleanup_free_ char *name = NULL;
        enum sharing s = SHARING_LOCAL;
        int r;

        r = run_with_deadline(child_deadline(ctx), statfs_child, &job, &a, sizeof(a));
        if (r == -ETIMEDOUT || r < 0) {
                *ret = r == -ETIMEDOUT ? SHARING_TIMEOUT : SHARING_FAILED;
                *ret_evidence =
                        strdup_printf("statfs %s: %s", path,
                                      r == -ETIMEDOUT ? "no answer before the deadline" : strerror(-r));
                return *ret_evidence ? 0 : -ENOMEM;
        }
        if ((unsigned long)a.f_type == FUSE_SUPER_MAGIC)
                s = sharing_of_fuse(ctx, path, &name);
        for (size_t i = 0; !name && i < ELEMENTSOF(fs_magics); i++)
                if ((unsigned long)a.f_type == fs_magics[i].magic) {
                        s = fs_magics[i].sharing;
                        name = strdup(fs_magics[i].name);
                }
        if (!name)
                name = strdup_printf("0x%lx", (unsigned long)a.f_type);
        *ret = s;
        *ret_evidence = strdup_printf("statfs: %.*s is on %s", (int)a.used, path, strna(name));
        return *ret_evidence ? 0 : -ENOMEM;
}

static bool path_below(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        while (n > 1 && dir[n - 1] == '/')
                n--;
        return strneq(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/* Under --root: the profile's [nfs] mountpoint is the shared storage. */
static int sharing_of(const struct domain_check *dc, const char *path, enum sharing *ret,
                      char **ret_evidence)
{
        if (hostfs_is_live(dc->ctx->fs))
                return sharing_statfs(dc->ctx, path, ret, ret_evidence);
        *ret = dc->mountpoint && path_below(path, dc->mountpoint) ? SHARING_SHARED : SHARING_LOCAL;
        *ret_evidence =
                strdup_printf("profile: %s the [nfs] mountpoint %s (under --root the profile decides)",
                              *ret == SHARING_SHARED ? "below" : "not below", strna(dc->mountpoint));
        return *ret_evidence ? 0 : -ENOMEM;
}

/* "FILE:LINE; WHY" */
static char *evidence_at(const struct domain_check *dc, unsigned line, const char *why)
{
        _cleanup_free_ char *at = domain_origin(dc->def, line);

        if (!at)
                return NULL;
        return why ? strdup_printf("%s; %s", at, why) : TAKE_PTR(at);
}

/* --- disks ------------------------------------------------------------------------------------------ */

static bool disk_writable(const struct domain_disk *k)
{
        /* libvirt: a disk without media, or a read-only one, is safe; CD-ROMs and floppies are read-only */
        return k->source && !k->readonly && !streq(k->device, "cdrom") && !streq(k->device, "floppy");
}

/* One writable disk's storage: a FAIL, WARN or ERROR when it is not shared; *ret_cluster when it is on a
 * coherent cluster filesystem (no cache rule then). */
static int check_disk_storage(struct domain_check *dc, const struct domain_disk *k, bool *ret_bad,
                              bool *ret_cluster)
{
        struct check_ctx *ctx = dc->ctx;
        const struct result_def *defs = libvirt_domains_results;
        _cleanup_free_ char *why = NULL, *evidence = NULL;
        enum sharing s;
        int r;

        *ret_cluster = false;
        if (streq(k->type, "network"))
                return 0; /* libvirt: network disks are safe */
        *ret_bad = true;
        if (streq(k->type, "block") || streq(k->type, "volume")) {
                evidence = evidence_at(dc, k->line, NULL);
                if (!evidence)
                        return -ENOMEM;
                if (streq(k->type, "block"))
                        return check_emit_hint(ctx, &defs[STORAGE_BLOCK], DOMAIN_HINT(dc), evidence,
                                               "%s: disk %s is the block device %s: libvirt lets it migrate "
                                               "unchecked; it must be the same shared device on the peers",
                                               dc->label, strna(k->target), k->source);
                return check_emit_hint(ctx, &defs[STORAGE_VOLUME], DOMAIN_HINT(dc), evidence,
                                       "%s: disk %s is the pool volume %s: hostprep does not resolve pools",
                                       dc->label, strna(k->target), k->source);
        }
        r = sharing_of(dc, k->source, &s, &why);
        if (r < 0)
                return r;
        evidence = evidence_at(dc, k->line, why);
        if (!evidence)
                return -ENOMEM;
        if (s == SHARING_TIMEOUT || s == SHARING_FAILED)
                return check_emit_hint(ctx, &defs[STORAGE_UNDECIDED], DOMAIN_HINT(dc), evidence,
                                       "%s: cannot tell where disk %s (%s) lies", dc->label,
                                       strna(k->target), k->source);
        if (s == SHARING_LOCAL)
                return check_emit_hint(ctx, &defs[STORAGE_LOCAL], DOMAIN_HINT(dc), evidence,
                                       "%s: disk %s (%s) is not on shared storage: libvirt refuses with "
                                       "\"Migration without shared storage is unsafe\"",
                                       dc->label, strna(k->target), k->source);
        *ret_bad = false;
        *ret_cluster = s == SHARING_CLUSTER;
        return 0;
}

/* The version of this host's QEMU (qemu-system-ARCH --version), once; -2 when it cannot be told. */
static void read_qemu_version(struct domain_check *dc)
{
        _cleanup_free_ char *name = NULL, *bin = NULL;
        struct spawn_job job = {};
        struct utsname u;
        char *argv[3] = {};
        int major = -2, minor = -2;

        dc->qemu_major = dc->qemu_minor = -2;
        if (!hostfs_is_live(dc->ctx->fs) || uname(&u) < 0)
                return; /* a program of the machine hostprep runs on says nothing about an image */
        name = strdup_printf("qemu-system-%s", u.machine);
        if (!name ||
            path_find_executable(dc->ctx->fs, PATH_COMMAND_SEARCH ":" PATH_DAEMON_SEARCH, name, &bin) < 0)
                return;
        argv[0] = bin;
        argv[1] = (char *)"--version";
        job.argv = argv;
        if (spawn_run(&job, dc->ctx->deadline) >= 0 && job.exited && job.exit_status == 0 && job.out &&
            sscanf(job.out, "QEMU emulator version %d.%d", &major, &minor) == 2) {
                dc->qemu_major = major;
                dc->qemu_minor = minor;
        }
        spawn_job_done(&job);
}

static bool cache_safe(const struct domain_disk *k)
{
        return k->shareable || (k->cache && (streq(k->cache, "none") || streq(k->cache, "directsync")));
}

/* Whether libvirt asks cache='none' or 'directsync' of disk k: not of read-only or network disks, nor on
 * a coherent cluster filesystem (cluster). */
static bool cache_needs_none(const struct domain_disk *k, bool cluster)
{
        return disk_writable(k) && !streq(k->type, "network") && !cluster && !cache_safe(k);
}

/* Of a running domain's disk k: the same disk (target) in its definition, when that has a safe cache
 * already. The running QEMU keeps its cache until the guest's next cold boot. */
static const struct domain_disk *cache_pending(const struct domain_check *dc, const struct domain_disk *k)
{
        for (size_t i = 0; dc->persistent && k->target && i < dc->persistent->n_disks; i++) {
                const struct domain_disk *p = &dc->persistent->disks[i];

                if (streq_ptr(p->target, k->target))
                        return cache_safe(p) ? p : NULL;
        }
        return NULL;
}

/* What this host's QEMU does to the page cache of an image a guest migrates with. */
enum qemu_cache {
        QEMU_CACHE_UNKNOWN, /* its version cannot be told */
        QEMU_CACHE_DROPPED, /* >= 7.2: migration-file-drop-cache */
        QEMU_CACHE_KEPT,
};

static int check_disk_cache_pending(struct domain_check *dc, const struct domain_disk *k,
                                    const struct domain_disk *p, const char *mode, const char *qemu,
                                    enum qemu_cache q, const char *evidence)
{
        _cleanup_free_ char *has = p->cache ? strdup_printf("cache='%s'", p->cache) : strdup("<shareable/>");
        _cleanup_free_ char *until =
                q == QEMU_CACHE_KEPT ? strdup_printf("libvirt refuses to migrate it (\"" SAFE_CACHE_ERROR
                                                     "\"): QEMU %s lacks migration-file-drop-cache",
                                                     qemu)
                : q == QEMU_CACHE_DROPPED
                        ? strdup_printf("it is safe only because QEMU %s drops the page cache", qemu)
                        : strdup("it is safe only with QEMU >= 7.2, and this host's QEMU version is unknown");

        if (!has || !until)
                return -ENOMEM;
        return check_emit_hint(
                dc->ctx,
                &libvirt_domains_results[q == QEMU_CACHE_KEPT ? CACHE_PENDING_UNSAFE : CACHE_PENDING],
                DOMAIN_HINT(dc), evidence,
                "%s: disk %s still runs with %s; its definition has %s, which takes effect at its "
                "next cold boot (shut down, then start: a reboot is not enough); until then %s",
                dc->label, strna(k->target), mode, has, until);
}

static int check_disk_cache(struct domain_check *dc, const struct domain_disk *k)
{
        const struct result_def *defs = libvirt_domains_results;
        _cleanup_free_ char *evidence = evidence_at(dc, k->line, NULL), *mode = NULL, *qemu = NULL;
        const struct domain_disk *pending = cache_pending(dc, k);
        enum qemu_cache q = QEMU_CACHE_UNKNOWN;

        if (!evidence)
                return -ENOMEM;
        if (dc->qemu_major == -1)
                read_qemu_version(dc);
        mode = k->cache ? strdup_printf("cache='%s'", k->cache) : strdup("the default cache (writeback)");
        qemu = dc->qemu_major >= 0 ? strdup_printf("%d.%d", dc->qemu_major, dc->qemu_minor) : NULL;
        if (!mode || (dc->qemu_major >= 0 && !qemu))
                return -ENOMEM;
        if (qemu)
                q = dc->qemu_major > DROP_CACHE_MAJOR || (dc->qemu_major == DROP_CACHE_MAJOR &&
                                                          dc->qemu_minor >= DROP_CACHE_MINOR)
                            ? QEMU_CACHE_DROPPED
                            : QEMU_CACHE_KEPT;
        if (pending)
                return check_disk_cache_pending(dc, k, pending, mode, qemu, q, evidence);
        if (q == QEMU_CACHE_UNKNOWN)
                return check_emit_hint(
                        dc->ctx, &defs[CACHE_QEMU_UNKNOWN], DOMAIN_HINT(dc), evidence,
                        "%s: disk %s uses %s: safe only with QEMU >= 7.2, which drops the page "
                        "cache (migration-file-drop-cache); this host's QEMU version is unknown",
                        dc->label, strna(k->target), mode);
        if (q == QEMU_CACHE_DROPPED)
                return check_emit_hint(
                        dc->ctx, &defs[CACHE_DROPPED], DOMAIN_HINT(dc), evidence,
                        "%s: disk %s uses %s: safe only because QEMU %s (>= 7.2) drops the page "
                        "cache (migration-file-drop-cache)",
                        dc->label, strna(k->target), mode, qemu);
        return check_emit_hint(
                dc->ctx, &defs[CACHE_UNSAFE], DOMAIN_HINT(dc), evidence,
                "%s: disk %s uses %s and QEMU %s lacks migration-file-drop-cache: libvirt refuses "
                "with \"" SAFE_CACHE_ERROR "\"",
                dc->label, strna(k->target), mode, qemu);
}

/* Storage of every writable disk: one PASS when all are shared, else a result per disk. cluster[i] says
 * which lie on a coherent cluster filesystem. */
static int check_disks_storage(struct domain_check *dc, bool *cluster)
{
        bool storage_bad = false;
        size_t n = 0;
        int r;

        for (size_t i = 0; i < dc->def->n_disks; i++) {
                bool bad = false;

                if (!disk_writable(&dc->def->disks[i]))
                        continue;
                n++;
                r = check_disk_storage(dc, &dc->def->disks[i], &bad, &cluster[i]);
                if (r < 0)
                        return r;
                storage_bad = storage_bad || bad;
        }
        if (storage_bad)
                return 0;
        if (n == 0)
                return check_emit(dc->ctx, &libvirt_domains_results[STORAGE_SHARED], NULL,
                                  "%s: no writable disks", dc->label);
        return check_emit(dc->ctx, &libvirt_domains_results[STORAGE_SHARED], NULL,
                          "%s: %zu writable disk%s, all on shared storage", dc->label, n, n == 1 ? "" : "s");
}

static int check_disks(struct domain_check *dc)
{
        _cleanup_free_ bool *cluster = calloc(dc->def->n_disks + 1, sizeof(bool));
        bool cache_bad = false;
        int r;

        if (!cluster)
                return -ENOMEM;
        r = check_disks_storage(dc, cluster);
        for (size_t i = 0; i < dc->def->n_disks && r >= 0; i++) {
                const struct domain_disk *k = &dc->def->disks[i];

                if (!cache_needs_none(k, cluster[i]))
                        continue;
                cache_bad = true;
                r = check_disk_cache(dc, k);
        }
        if (r < 0 || cache_bad)
                return r;
        return check_emit(dc->ctx, &libvirt_domains_results[CACHE_SAFE], NULL,
                          "%s: every writable disk uses cache='none' or 'directsync' (or needs none)",
                          dc->label);
}

/* --- devices that tie the guest to this host ---------------------------------------------------------- */

static int check_hostdev(struct domain_check *dc, const struct domain_hostdev *h, bool *found)
{
        const struct result_def *defs = libvirt_domains_results;
        _cleanup_free_ char *evidence = NULL, *refusal = NULL;
        const char *what = h->what ? h->what : "";

        if (h->teaming_transient)
                return 0; /* QEMU unplugs it for the migration (a failover pair with a virtio NIC) */
        *found = true;
        evidence = evidence_at(dc, h->line, NULL);
        if (!evidence)
                return -ENOMEM;
        if (streq(h->mode, "subsystem") && streq(h->type, "usb"))
                return check_emit_hint(
                        dc->ctx, &defs[BLOCKERS_USB], DOMAIN_HINT(dc), evidence,
                        "%s: USB host device %s: libvirt migrates it only if the destination has "
                        "the same device",
                        dc->label, what);
        /* libvirt's words, so the operator recognizes them */
        if (h->interface)
                refusal = strdup("cannot migrate a domain with <interface type='hostdev'>");
        else if (streq(h->mode, "capabilities"))
                refusal = strdup("cannot migrate a domain with <hostdev mode='capabilities'>");
        else
                refusal = strdup_printf("cannot migrate a domain with <hostdev mode='subsystem' type='%s'>",
                                        h->type);
        if (!refusal)
                return -ENOMEM;
        return check_emit_hint(dc->ctx, &defs[BLOCKERS_HOSTDEV], DOMAIN_HINT(dc), evidence,
                               "%s: host device %s%s%s is passed through: libvirt refuses with \"%s\"",
                               dc->label, h->type, *what ? " " : "", what, refusal);
}

/* Paths libvirt makes itself for a domain's channels (guest agent): made again on the destination. */
static bool libvirt_made_socket(const struct domain_chardev *c)
{
        return !c->path || path_below(c->path, PATH_LIBVIRT_CHANNEL_DIR);
}

/* A file or a socket a character device uses, on this host's own storage. */
static int check_chardev(struct domain_check *dc, const struct domain_chardev *c, size_t index, bool *found)
{
        _cleanup_free_ char *why = NULL, *evidence = NULL;
        bool is_file = streq(c->type, "file") || c->log;
        enum sharing s;
        int r;

        if (!(is_file || streq(c->type, "unix")) || !c->path || (!is_file && libvirt_made_socket(c)))
                return 0;
        /* libvirt writes the first serial port again as the console: one finding */
        for (size_t i = 0; i < index; i++)
                if (streq_ptr(dc->def->chardevs[i].path, c->path))
                        return 0;
        r = sharing_of(dc, c->path, &s, &why);
        if (r < 0)
                return r;
        if (s == SHARING_SHARED || s == SHARING_CLUSTER)
                return 0;
        *found = true;
        evidence = evidence_at(dc, c->line, why);
        if (!evidence)
                return -ENOMEM;
        return check_emit_hint(dc->ctx, &libvirt_domains_results[BLOCKERS_CHARDEV], DOMAIN_HINT(dc),
                               evidence,
                               "%s: <%s type='%s'> %s %s on this host's own storage: the destination's QEMU "
                               "opens the same path there",
                               dc->label, c->element, c->type, c->log ? "logs to" : "uses", c->path);
}

/* Read-only media (a CD-ROM's image, a host drive) the destination must have at the same path. */
static int check_media(struct domain_check *dc, const struct domain_disk *k, bool *found)
{
        _cleanup_free_ char *why = NULL, *evidence = NULL;
        enum sharing s = SHARING_LOCAL;
        int r;

        if (!k->source || disk_writable(k) || streq(k->type, "network"))
                return 0;
        if (streq(k->type, "file")) {
                r = sharing_of(dc, k->source, &s, &why);
                if (r < 0)
                        return r;
        } else if (!streq(k->type, "block") || !(streq(k->device, "cdrom") || streq(k->device, "floppy")))
                return 0; /* a host drive is local media; a read-only block disk may be a shared LUN */
        if (s == SHARING_SHARED || s == SHARING_CLUSTER)
                return 0;
        *found = true;
        evidence = evidence_at(dc, k->line, why);
        if (!evidence)
                return -ENOMEM;
        return check_emit_hint(dc->ctx, &libvirt_domains_results[BLOCKERS_MEDIA], DOMAIN_HINT(dc), evidence,
                               "%s: %s %s has local media %s: the destination opens the same path",
                               dc->label, k->device, strna(k->target), k->source);
}

static int check_interface(struct domain_check *dc, const struct domain_interface *i, bool *found)
{
        const struct result_def *defs = libvirt_domains_results;
        _cleanup_free_ char *evidence = NULL;

        if (!streq(i->type, "vhostuser") && !streq(i->type, "vdpa"))
                return 0;
        *found = true;
        evidence = evidence_at(dc, i->line, NULL);
        if (!evidence)
                return -ENOMEM;
        if (streq(i->type, "vdpa"))
                return check_emit_hint(dc->ctx, &defs[BLOCKERS_UNSUPPORTED], DOMAIN_HINT(dc), evidence,
                                       "%s: a vDPA interface: libvirt refuses with \"vDPA devices cannot be "
                                       "migrated\"",
                                       dc->label);
        return check_emit_hint(
                dc->ctx, &defs[BLOCKERS_VHOSTUSER], DOMAIN_HINT(dc), evidence,
                "%s: vhost-user interface on the local socket %s: the destination needs the same "
                "backend there",
                dc->label, strna(i->socket));
}

static int check_blockers(struct domain_check *dc)
{
        const struct domain_def *d = dc->def;
        bool found = false;
        int r = 0;

        for (size_t i = 0; i < d->n_hostdevs && r >= 0; i++)
                r = check_hostdev(dc, &d->hostdevs[i], &found);
        for (size_t i = 0; i < d->n_chardevs && r >= 0; i++)
                r = check_chardev(dc, &d->chardevs[i], i, &found);
        for (size_t i = 0; i < d->n_disks && r >= 0; i++)
                r = check_media(dc, &d->disks[i], &found);
        for (size_t i = 0; i < d->n_interfaces && r >= 0; i++)
                r = check_interface(dc, &d->interfaces[i], &found);
        for (size_t i = 0; i < d->n_filesystems && r >= 0; i++) {
                _cleanup_free_ char *evidence = NULL;

                if (!streq_ptr(d->filesystems[i].driver, "virtiofs"))
                        continue;
                found = true;
                evidence = evidence_at(dc, d->filesystems[i].line, NULL);
                r = evidence
                            ? check_emit_hint(dc->ctx, &libvirt_domains_results[BLOCKERS_UNSUPPORTED],
                                              DOMAIN_HINT(dc), evidence,
                                              "%s: virtiofs share %s: libvirt refuses with \"migration with "
                                              "virtiofs device is not supported\"",
                                              dc->label, strna(d->filesystems[i].target))
                            : -ENOMEM;
        }
        if (r < 0 || found)
                return r;
        return check_emit(dc->ctx, &libvirt_domains_results[BLOCKERS_NONE], NULL,
                          "%s: no host devices, local files or sockets that tie it to this host", dc->label);
}

/* def, and when it is a running domain's live XML, its definition persistent (NULL: transient). */
static int check_domain(struct check_ctx *ctx, const struct domain_def *def, bool running,
                        const struct domain_def *persistent, int *qemu)
{
        _cleanup_free_ char *label = running ? strdup_printf("%s (running)", def->name) : strdup(def->name);
        struct domain_check dc = {
                .ctx = ctx,
                .def = def,
                .label = label,
                .persistent = persistent,
                .mountpoint = conf_get(ctx->profile, "nfs", "mountpoint"),
                .qemu_major = qemu[0],
                .qemu_minor = qemu[1],
        };
        int r;

        if (!label)
                return -ENOMEM;
        r = check_disks(&dc);
        qemu[0] = dc.qemu_major, qemu[1] = dc.qemu_minor; /* read once for all domains */
        if (r >= 0)
                r = check_blockers(&dc);
        return r;
}

int libvirt_domains_check_one(struct check_ctx *ctx, const struct domain_def *def, bool running,
                              const struct domain_def *persistent)
{
        int qemu[2] = {-1, -1};

        return check_domain(ctx, def, running, persistent, qemu);
}

/* --- the domains: definitions on disk, and the running ones from libvirtd ------------------------------ */

struct domain_list {
        struct domain_def **defs;
        bool *running;
        size_t n;
        bool errors; /* a definition could not be read */
};

static void domain_list_done(struct domain_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                domain_def_free(l->defs[i]);
        free(l->defs);
        free(l->running);
}

static int domain_list_add(struct domain_list *l, struct domain_def *d, bool running)
{
        struct domain_def **defs = reallocarray(l->defs, l->n + 1, sizeof(*defs));
        bool *run;

        if (!defs) {
                domain_def_free(d);
                return -ENOMEM;
        }
        l->defs = defs;
        run = reallocarray(l->running, l->n + 1, sizeof(*run));
        if (!run) {
                domain_def_free(d);
                return -ENOMEM;
        }
        l->running = run;
        l->defs[l->n] = d;
        l->running[l->n++] = running;
        return 0;
}

/* The definition (from /etc/libvirt/qemu) of the domain called name; NULL when it has none. */
static const struct domain_def *definition_of(const struct domain_list *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (!l->running[i] && streq(l->defs[i]->name, name))
                        return l->defs[i];
        return NULL;
}

/* A parse error "FILE:LINE: what" as evidence FILE:LINE and message. */
static int emit_malformed(struct check_ctx *ctx, const char *what, const char *error)
{
        _cleanup_free_ char *at = NULL;
        const char *colon = strstr(error, ": ");

        at = colon ? strndup(error, colon - error) : strdup(what);
        if (!at)
                return -ENOMEM;
        return check_emit(ctx, &libvirt_domains_results[DEFINED_MALFORMED], at,
                          "%s is not valid domain XML (its domain is not checked): %s", what,
                          colon ? colon + 2 : error);
}

static int load_definitions(struct check_ctx *ctx, struct domain_list *l)
{
        _cleanup_(strv_freep) char **names = NULL;
        int r;

        r = hostfs_list_dir(ctx->fs, DOMAINS_DIR, &names);
        if (r == -ENOENT || r == -ENOTDIR)
                return 0;
        if (r < 0)
                return check_emit(ctx, &libvirt_domains_results[DEFINED_UNREADABLE], DOMAINS_DIR,
                                  "cannot list %s: %s", DOMAINS_DIR, strerror(-r));
        STRV_FOREACH (name, names) {
                _cleanup_free_ char *path = NULL, *error = NULL;
                struct domain_def *d = NULL;

                if (!endswith(*name, ".xml"))
                        continue;
                path = strdup_printf("%s/%s", DOMAINS_DIR, *name);
                if (!path)
                        return -ENOMEM;
                r = domain_xml_read(ctx->fs, path, &d, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        l->errors = true;
                        r = r == -EBADMSG && error
                                    ? emit_malformed(ctx, path, error)
                                    : check_emit(ctx, &libvirt_domains_results[DEFINED_UNREADABLE], path,
                                                 "cannot read %s: %s", path, strerror(-r));
                } else
                        r = domain_list_add(l, d, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_live(struct check_ctx *ctx, struct domain_list *l, const struct libvirt_domain_xml *x)
{
        _cleanup_free_ char *what = strdup_printf("live XML of %s", x->name), *error = NULL;
        struct domain_def *d = NULL;
        int r;

        if (!what)
                return -ENOMEM;
        r = domain_xml_parse(what, x->xml, strlen(x->xml), &d, &error);
        if (r == -EBADMSG)
                return emit_malformed(ctx, what, strna(error));
        return r < 0 ? r : domain_list_add(l, d, true);
}

/* The running domains' live XML from libvirtd, in a child abandoned at the deadline (a hung libvirtd cannot
 * hold the run). A read-only connection is all this needs. */
static int load_live(struct check_ctx *ctx, struct domain_list *l)
{
        const struct libvirt_listing running = {.uri = LIVE_URI, .running_only = true, .read_only = true};
        struct libvirt_domain_xml *doms = NULL;
        _cleanup_free_ char *error = NULL;
        usec_t now = now_usec();
        size_t n = 0;
        int r;

        /* half of what is left: a hung libvirtd must leave time for the definitions on disk */
        r = libvirt_domains_read(&running, now + (ctx->deadline > now ? (ctx->deadline - now) / 2 : 0),
                                 &doms, &n, &error);
        if (r == -ETIMEDOUT)
                return check_emit(ctx, &libvirt_domains_results[DEFINED_LIVE_TIMEOUT], LIVE_URI,
                                  "libvirtd did not list its running domains within %.1f s: only the "
                                  "definitions in %s are checked",
                                  (double)(now_usec() - now) / USEC_PER_SEC, DOMAINS_DIR);
        if (r == -EOPNOTSUPP)
                return check_emit(
                        ctx, &libvirt_domains_results[DEFINED_LIVE_NO_API], NULL,
                        "hostprep is built without libvirt: running domains' live XML is not checked, "
                        "only the definitions in %s",
                        DOMAINS_DIR);
        if (r == -EIO)
                return check_emit(
                        ctx, &libvirt_domains_results[DEFINED_LIVE_UNREACHABLE], LIVE_URI,
                        "libvirtd is not reachable (%s): running domains' live XML is not checked, "
                        "only the definitions in %s",
                        error ? error : "no answer", DOMAINS_DIR);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = add_live(ctx, l, &doms[i]);
        libvirt_domain_xml_free_many(doms, n);
        return r;
}

static int libvirt_domains_check(struct check_ctx *ctx)
{
        _cleanup_(domain_list_done) struct domain_list l = {};
        int qemu[2] = {-1, -1};
        int r;

        r = load_definitions(ctx, &l);
        /* the running domains exist only on the running host */
        if (r >= 0 && hostfs_is_live(ctx->fs))
                r = load_live(ctx, &l);
        if (r < 0)
                return r;
        if (l.n == 0 && !l.errors)
                return check_emit(ctx, &libvirt_domains_results[DEFINED_NONE], NULL,
                                  "no domains are defined on %s (%s holds no definitions)", ctx->hostname,
                                  DOMAINS_DIR);
        for (size_t i = 0; i < l.n && r >= 0; i++)
                r = check_domain(ctx, l.defs[i], l.running[i],
                                 l.running[i] ? definition_of(&l, l.defs[i]->name) : NULL, qemu);
        return r;
}

/* --- fix: cache='none' in the definition, through libvirtd ------------------------------------------------
 */

/* Whether disk k lies on a coherent cluster filesystem, as check_disk_storage() tells it. */
static int disk_on_cluster(struct domain_check *dc, const struct domain_disk *k, bool *ret)
{
        _cleanup_free_ char *why = NULL;
        enum sharing s = SHARING_LOCAL;
        int r = 0;

        if (!streq(k->type, "block") && !streq(k->type, "volume"))
                r = sharing_of(dc, k->source, &s, &why);
        *ret = s == SHARING_CLUSTER;
        return r;
}

/* The targets of the disks of dc's domain that need cache='none' (as check_disks() decides), and each
 * with the cache it has, for the plan's why. */
static int disks_to_fix(struct domain_check *dc, char ***ret_targets, char ***ret_was)
{
        for (size_t i = 0; i < dc->def->n_disks; i++) {
                const struct domain_disk *k = &dc->def->disks[i];
                bool cluster = false;
                int r;

                if (!cache_needs_none(k, false) || !k->target)
                        continue;
                r = disk_on_cluster(dc, k, &cluster);
                if (r < 0)
                        return r;
                if (cluster || strv_contains(*ret_targets, k->target))
                        continue;
                if (strv_push_dup(ret_targets, k->target) < 0 ||
                    strv_push(ret_was,
                              k->cache ? strdup_printf("%s (was cache='%s')", k->target, k->cache)
                                       : strdup_printf("%s (was the default, writeback)", k->target)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int plan_domain(struct check_ctx *ctx, struct plan *plan, const struct libvirt_domain_xml *x,
                       const char *what, char *const *targets, char *const *was)
{
        const struct result_def *defs = libvirt_domains_results;
        _cleanup_free_ char *after = NULL, *error = NULL, *list = strv_join(was, ", "), *why = NULL;
        int r;

        if (!list)
                return -ENOMEM;
        if (!x->persistent)
                return check_emit_hint(ctx, &defs[FIX_TRANSIENT], HINT_VALUES("DOMAIN", x->name), LIVE_URI,
                                       "%s: cannot set cache='none' on disk %s: a transient domain has no "
                                       "definition to change, and defining one is not hostprep's call",
                                       x->name, list);
        r = domain_xml_set_disk_cache(what, x->xml, targets, "none", &after, &error);
        if (r == -EBADMSG)
                return check_emit_hint(ctx, &defs[FIX_UNEDITABLE], HINT_VALUES("DOMAIN", x->name), error,
                                       "%s: cannot set cache='none' on disk %s: %s", x->name, list,
                                       strna(error));
        if (r < 0)
                return r;
        why = x->active ? strdup_printf(
                                  "%s: cache='none' on disk %s; it runs, and keeps its old cache until its "
                                  "next cold boot (shut it down, then start it: a reboot is not enough)",
                                  x->name, list)
                        : strdup_printf("%s: cache='none' on disk %s, from its next start", x->name, list);
        if (!why)
                return -ENOMEM;
        return plan_libvirt_define(plan, "libvirt.domains", LIVE_URI, x->name, x->uuid, x->xml, after, why);
}

/* One domain as libvirtd keeps it: planned to be defined with cache='none' where check_disks() wants it. */
static int fix_domain(struct check_ctx *ctx, struct plan *plan, const struct libvirt_domain_xml *x)
{
        _cleanup_(domain_def_freep) struct domain_def *def = NULL;
        _cleanup_(strv_freep) char **targets = NULL, **was = NULL;
        _cleanup_free_ char *what = strdup_printf("the definition of %s from libvirtd", x->name),
                            *error = NULL;
        struct domain_check dc;
        int r;

        if (!what)
                return -ENOMEM;
        r = domain_xml_parse(what, x->xml, strlen(x->xml), &def, &error);
        if (r == -EBADMSG)
                return check_emit_hint(ctx, &libvirt_domains_results[FIX_UNEDITABLE],
                                       HINT_VALUES("DOMAIN", x->name), error,
                                       "%s: cannot set cache='none': %s", x->name, strna(error));
        if (r < 0)
                return r;
        dc = (struct domain_check){.ctx = ctx,
                                   .def = def,
                                   .label = x->name,
                                   .mountpoint = conf_get(ctx->profile, "nfs", "mountpoint")};
        r = disks_to_fix(&dc, &targets, &was);
        if (r < 0 || !targets)
                return r;
        return plan_domain(ctx, plan, x, what, targets, was);
}

static int libvirt_domains_fix(struct check_ctx *ctx, struct plan *plan)
{
        const struct result_def *defs = libvirt_domains_results;
        _cleanup_free_ char *error = NULL;
        struct libvirt_domain_xml *doms = NULL;
        size_t n = 0;
        int r;

        /* the cache is the one finding a fix can change; a guest waiting for its cold boot needs none */
        if (!check_gave(ctx, &defs[CACHE_DROPPED]) && !check_gave(ctx, &defs[CACHE_QEMU_UNKNOWN]) &&
            !check_gave(ctx, &defs[CACHE_UNSAFE]))
                return 0;
        if (!hostfs_is_live(ctx->fs))
                return check_emit(
                        ctx, &defs[FIX_NOT_LIVE], NULL,
                        "cannot set cache='none': a domain is redefined through the running host's "
                        "libvirtd, and under --root there is none to ask");
        r = libvirt_domains_read(&(const struct libvirt_listing){.uri = LIVE_URI}, child_deadline(ctx),
                                 &doms, &n, &error);
        if (r == -EOPNOTSUPP)
                return check_emit(ctx, &defs[FIX_NO_API], NULL,
                                  "cannot set cache='none': hostprep is built without libvirt");
        if (r == -ETIMEDOUT || r == -EIO)
                return check_emit(ctx, &defs[FIX_UNREACHABLE], LIVE_URI,
                                  "cannot set cache='none': libvirtd gave no definitions (%s)",
                                  r == -ETIMEDOUT ? "no answer before the deadline"
                                  : error         ? error
                                                  : "no answer");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = fix_domain(ctx, plan, &doms[i]);
        libvirt_domain_xml_free_many(doms, n);
        return r;
}

const struct unit unit_libvirt_domains = {
        .id = "libvirt.domains",
        .title =
                "every guest defined here can migrate: disks on shared storage, a safe cache, no local devices",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = libvirt_domains_results,
        .n_results = ELEMENTSOF(libvirt_domains_results),
        .check = libvirt_domains_check,
        .fix = libvirt_domains_fix,
};

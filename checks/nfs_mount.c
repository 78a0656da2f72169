/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nfs.mount: every hypervisor mounts the profile's export at the profile's mountpoint, from the right
 * server, with options that keep guests' disks safe (hard, the NFS version asked for, locking shared with
 * the other hosts, not read-only), persisted across reboots, and the mount answers. The mount table is
 * read with libmount from /proc/self/mountinfo, fstab likewise; the mountpoint is only ever touched from a
 * child process abandoned at the deadline, so a hung NFS server cannot freeze hostprep.
 */
#include <ctype.h>
#include <fcntl.h>
#include <libmount.h>
#include <strings.h>
#include <sys/statvfs.h>

#include "common.h"
#include "deadline.h"
#include "hostkernel.h"
#include "lineiter.h"
#include "pathnames.h"
#include "provision/plan.h"
#include "strv.h"
#include "template.h"

#define MOUNTINFO PATH_PROC_MOUNTINFO
#define FSTAB     PATH_FSTAB
#define UNIT_DIR  PATH_SYSTEMD_UNIT_DIR

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter)

enum {
        MOUNTED_NO_MOUNTINFO,
        MOUNTED_MOUNTINFO_UNREADABLE,
        MOUNTED_NOT_MOUNTED,
        MOUNTED_HIDDEN,
        MOUNTED_NOT_NFS,
        MOUNTED_NFS,
        MOUNTED_NO_SERVER,
        SOURCE_WRONG,
        SOURCE_RIGHT,
        RW_READ_ONLY,
        RW_READ_WRITE,
        HARD_SOFT,
        HARD_HARD,
        VERSION_UNKNOWN,
        VERSION_MISMATCH,
        VERSION_MATCHES,
        LOCK_LOCAL,
        LOCK_SHARED,
        SYNC_SYNC,
        SYNC_NOT_SYNC,
        PERSISTENT_FSTAB_UNREADABLE,
        PERSISTENT_FSTAB_OTHER,
        PERSISTENT_NOAUTO,
        PERSISTENT_FSTAB,
        PERSISTENT_MOUNT_UNIT,
        PERSISTENT_MISSING,
        RESPONSIVE_TIMEOUT,
        RESPONSIVE_STATFS_FAILED,
        RESPONSIVE_ANSWERS,
        FIX_NO_SERVER,
        FIX_FSTAB_INVALID,
        FIX_MOUNTED_OVER,
        FIX_TEMPLATE_BROKEN,
};

/* The placeholders are filled from struct expected (want_values()). */
#define MOUNT_HINT "mount -t nfs -o vers=@VERSION@,hard @SERVER@:@EXPORT@ @MOUNTPOINT@, and add it to " FSTAB
#define FSTAB_HINT "add to " FSTAB ": @SERVER@:@EXPORT@ @MOUNTPOINT@ nfs vers=@VERSION@,hard,_netdev 0 0"

static const struct result_def nfs_mount_results[] = {
        [MOUNTED_NO_MOUNTINFO] = {"nfs.mount.mounted", STATUS_SKIP, "no_mountinfo"},
        [MOUNTED_MOUNTINFO_UNREADABLE] = {"nfs.mount.mounted", STATUS_ERROR, "mountinfo_unreadable"},
        [MOUNTED_NOT_MOUNTED] = {"nfs.mount.mounted", STATUS_FAIL, "not_mounted", MOUNT_HINT},
        [MOUNTED_HIDDEN] = {"nfs.mount.mounted", STATUS_FAIL, "mount_hidden",
                            "unmount what is mounted over it: umount @MOUNTPOINT@ (once)"},
        [MOUNTED_NOT_NFS] = {"nfs.mount.mounted", STATUS_FAIL, "not_nfs", MOUNT_HINT},
        [MOUNTED_NFS] = {"nfs.mount.mounted", STATUS_PASS, "nfs_mounted"},
        [MOUNTED_NO_SERVER] = {"nfs.mount.mounted", STATUS_ERROR, "no_server",
                               "name the server: [nfs] server = HOST, or a host with the nfs-server role"},
        [SOURCE_WRONG] = {"nfs.mount.source", STATUS_FAIL, "wrong_source", MOUNT_HINT},
        [SOURCE_RIGHT] = {"nfs.mount.source", STATUS_PASS, "profile_source"},
        [RW_READ_ONLY] = {"nfs.mount.rw", STATUS_FAIL, "read_only",
                          "remount it read-write: mount -o remount,rw"},
        [RW_READ_WRITE] = {"nfs.mount.rw", STATUS_PASS, "read_write"},
        [HARD_SOFT] = {"nfs.mount.hard", STATUS_WARN, "soft_mount",
                       "mount with 'hard' (the default): remove 'soft'"},
        [HARD_HARD] = {"nfs.mount.hard", STATUS_PASS, "hard_mount"},
        [VERSION_UNKNOWN] = {"nfs.mount.version", STATUS_WARN, "version_unknown"},
        [VERSION_MISMATCH] = {"nfs.mount.version", STATUS_WARN, "version_mismatch",
                              "mount with vers=@VERSION@"},
        [VERSION_MATCHES] = {"nfs.mount.version", STATUS_PASS, "version_matches"},
        [LOCK_LOCAL] = {"nfs.mount.lock", STATUS_WARN, "local_locks",
                        "mount without 'nolock' / 'local_lock'"},
        [LOCK_SHARED] = {"nfs.mount.lock", STATUS_PASS, "shared_locks"},
        [SYNC_SYNC] = {"nfs.mount.sync", STATUS_WARN, "sync_mount", "mount without 'sync'"},
        [SYNC_NOT_SYNC] = {"nfs.mount.sync", STATUS_PASS, "not_sync"},
        [PERSISTENT_FSTAB_UNREADABLE] = {"nfs.mount.persistent", STATUS_ERROR, "fstab_unreadable"},
        [PERSISTENT_FSTAB_OTHER] = {"nfs.mount.persistent", STATUS_FAIL, "fstab_other_source", FSTAB_HINT},
        [PERSISTENT_NOAUTO] = {"nfs.mount.persistent", STATUS_WARN, "noauto", "remove 'noauto'"},
        [PERSISTENT_FSTAB] = {"nfs.mount.persistent", STATUS_PASS, "in_fstab"},
        [PERSISTENT_MOUNT_UNIT] = {"nfs.mount.persistent", STATUS_PASS, "mount_unit"},
        [PERSISTENT_MISSING] = {"nfs.mount.persistent", STATUS_FAIL, "not_persistent", FSTAB_HINT},
        [RESPONSIVE_TIMEOUT] = {"nfs.mount.responsive", STATUS_ERROR, "server_timeout",
                                "check that the server runs and answers: rpcinfo -p SERVER"},
        [RESPONSIVE_STATFS_FAILED] = {"nfs.mount.responsive", STATUS_ERROR, "statfs_failed"},
        [RESPONSIVE_ANSWERS] = {"nfs.mount.responsive", STATUS_PASS, "responsive"},
        [FIX_NO_SERVER] = {"nfs.mount.fix", STATUS_ERROR, "no_server", "name the server in the profile"},
        [FIX_FSTAB_INVALID] = {"nfs.mount.fix", STATUS_ERROR, "fstab_entry_invalid"},
        [FIX_MOUNTED_OVER] = {"nfs.mount.fix", STATUS_ERROR, "other_mount",
                              "unmount it by hand once you have moved what is there"},
        [FIX_TEMPLATE_BROKEN] = {"nfs.mount.fix", STATUS_ERROR, "template_broken",
                                 "reinstall hostprep, or fix the template it names"},
};

static bool fstype_is_nfs(const char *t)
{
        return t && (streq(t, "nfs") || streq(t, "nfs4"));
}

/* Splits "server:/path" or "[v6addr]:/path". */
static int split_source(const char *source, char **ret_server, char **ret_path)
{
        const char *colon;
        char *server;

        if (!source)
                return -EINVAL;
        if (source[0] == '[') {
                const char *end = strchr(source, ']');
                if (!end || end[1] != ':')
                        return -EINVAL;
                server = strndup(source + 1, (size_t)(end - source - 1));
                colon = end + 1;
        } else {
                colon = strchr(source, ':');
                if (!colon)
                        return -EINVAL;
                server = strndup(source, (size_t)(colon - source));
        }
        if (!server)
                return -ENOMEM;
        *ret_path = strdup(colon + 1);
        if (!*ret_path) {
                free(server);
                return -ENOMEM;
        }
        *ret_server = server;
        return 0;
}

struct expected {
        char *server;
        char **server_addresses;
        const char *export;
        const char *mountpoint;
        const char *version;
};

static void expected_done(struct expected *e)
{
        free(e->server);
        strv_free(e->server_addresses);
}

/* Whether source (and addr= of the options, which the kernel fills in) name the expected server:export. */
static bool source_matches(const struct expected *want, const char *source, const char *options)
{
        _cleanup_free_ char *server = NULL, *path = NULL, *addr = NULL;
        char *value = NULL;
        size_t len = 0;
        bool server_ok;

        if (split_source(source, &server, &path) < 0)
                return false;
        server_ok = strcasecmp(server, want->server) == 0 || strv_contains(want->server_addresses, server);
        if (!server_ok && options && mnt_optstr_get_option(options, "addr", &value, &len) == 0) {
                addr = strndup(value, len);
                server_ok = addr && strv_contains(want->server_addresses, addr);
        }
        return server_ok && check_same_path(path, want->export);
}

static char *option_value(const char *options, const char *name)
{
        char *value = NULL;
        size_t len = 0;

        if (!options || mnt_optstr_get_option(options, name, &value, &len) != 0)
                return NULL;
        return strndup(value ? value : "", value ? len : 0);
}

static bool has_option(const char *options, const char *name)
{
        char *value = NULL;
        size_t len = 0;

        return options && mnt_optstr_get_option(options, name, &value, &len) == 0;
}

#define want_values(w)                                                                                      \
        HINT_VALUES("VERSION", (w)->version, "SERVER", (w)->server, "EXPORT", (w)->export, "MOUNTPOINT",    \
                    (w)->mountpoint)

/* The NFS version a mount uses: vers= (or nfsvers=) from the kernel's options, "4" for nfs4 without it. */
static char *mount_version(struct libmnt_fs *fs)
{
        const char *opts = mnt_fs_get_options(fs);
        char *v = option_value(opts, "vers");

        if (!v)
                v = option_value(opts, "nfsvers");
        if (!v && streq(strempty(mnt_fs_get_fstype(fs)), "nfs4"))
                v = strdup("4");
        return v;
}

static bool version_matches(const char *want, const char *have)
{
        /* "4" in the profile accepts any 4.x; "4.0" is what the kernel shows for plain v4.0 */
        if (streq(want, "4"))
                return startswith(have, "4");
        if (streq(want, "4.0"))
                return streq(have, "4") || streq(have, "4.0");
        return streq(want, have);
}

static int check_options(struct check_ctx *ctx, const struct expected *want, struct libmnt_fs *fs,
                         const char *evidence)
{
        const char *opts = mnt_fs_get_options(fs);
        _cleanup_free_ char *version = mount_version(fs), *local_lock = option_value(opts, "local_lock");
        int r;

        if (has_option(opts, "ro"))
                r = check_emit(ctx, &nfs_mount_results[RW_READ_ONLY], evidence,
                               "%s is mounted read-only: guests cannot write their disks", want->mountpoint);
        else
                r = check_emit(ctx, &nfs_mount_results[RW_READ_WRITE], NULL, "%s is mounted read-write",
                               want->mountpoint);
        if (r < 0)
                return r;

        if (has_option(opts, "soft"))
                r = check_emit(
                        ctx, &nfs_mount_results[HARD_SOFT], evidence,
                        "%s is a soft mount: when the server is slow, guests get I/O errors and may corrupt their disks",
                        want->mountpoint);
        else
                r = check_emit(ctx, &nfs_mount_results[HARD_HARD], NULL, "%s is a hard mount",
                               want->mountpoint);
        if (r < 0)
                return r;

        if (!version)
                r = check_emit(ctx, &nfs_mount_results[VERSION_UNKNOWN], evidence,
                               "%s: the mount options do not say which NFS version is in use",
                               want->mountpoint);
        else if (!version_matches(want->version, version))
                r = check_emit_hint(ctx, &nfs_mount_results[VERSION_MISMATCH], want_values(want), evidence,
                                    "%s uses NFS %s, the profile asks for %s", want->mountpoint, version,
                                    want->version);
        else
                r = check_emit(ctx, &nfs_mount_results[VERSION_MATCHES], NULL, "%s uses NFS %s",
                               want->mountpoint, version);
        if (r < 0)
                return r;

        /* QEMU locks its images with fcntl: with locks kept local, two hosts can both run the same disk. */
        if (has_option(opts, "nolock") ||
            (local_lock && (streq(local_lock, "all") || streq(local_lock, "posix"))))
                r = check_emit(
                        ctx, &nfs_mount_results[LOCK_LOCAL], evidence,
                        "%s keeps file locks local (%s): QEMU's image locks do not reach other hosts, so two hosts could run the same disk",
                        want->mountpoint, has_option(opts, "nolock") ? "nolock" : "local_lock");
        else
                r = check_emit(ctx, &nfs_mount_results[LOCK_SHARED], NULL,
                               "%s shares file locks with the server", want->mountpoint);
        if (r < 0)
                return r;

        if (has_option(mnt_fs_get_vfs_options(fs), "sync") || has_option(opts, "sync"))
                r = check_emit(
                        ctx, &nfs_mount_results[SYNC_SYNC], evidence,
                        "%s is mounted with 'sync': every guest write waits for the server (cache='none' already makes guests' flushes reach it)",
                        want->mountpoint);
        else
                r = check_emit(ctx, &nfs_mount_results[SYNC_NOT_SYNC], NULL, "%s is not mounted 'sync'",
                               want->mountpoint);
        return r;
}

static int check_responsive(struct check_ctx *ctx, const struct expected *want)
{
        struct statvfs sv;
        usec_t start = now_usec();
        int r;

        /* leave a little of the run's deadline for reporting */
        r = hostfs_statvfs_within(ctx->fs, want->mountpoint,
                                  deadline_leave_margin(ctx->deadline, 100 * USEC_PER_MSEC), &sv);
        if (r == -ETIMEDOUT)
                return check_emit(
                        ctx, &nfs_mount_results[RESPONSIVE_TIMEOUT], want->mountpoint,
                        "%s: no answer from %s within %.1f s (the NFS server is down or unreachable)",
                        want->mountpoint, want->server, (double)(now_usec() - start) / USEC_PER_SEC);
        if (r < 0)
                return check_emit(ctx, &nfs_mount_results[RESPONSIVE_STATFS_FAILED], want->mountpoint,
                                  "%s: statfs failed: %s", want->mountpoint, strerror(-r));
        return check_emit(ctx, &nfs_mount_results[RESPONSIVE_ANSWERS], NULL, "%s answers statfs",
                          want->mountpoint);
}

static int check_mounted(struct check_ctx *ctx, const struct expected *want)
{
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *itr = mnt_new_iter(MNT_ITER_FORWARD);
        _cleanup_free_ char *evidence = NULL;
        struct libmnt_fs *fs, *top = NULL, *nfs = NULL;
        unsigned bad_line = 0;
        int r;

        if (!itr)
                return -ENOMEM;
        r = check_mount_table_read(ctx, MOUNTINFO, &tb, &bad_line);
        if (r == -ENOENT)
                return check_emit(ctx, &nfs_mount_results[MOUNTED_NO_MOUNTINFO], NULL,
                                  "no %s under the root (the host is not running): only fstab is checked",
                                  MOUNTINFO);
        if (r < 0)
                return check_emit(ctx, &nfs_mount_results[MOUNTED_MOUNTINFO_UNREADABLE], MOUNTINFO,
                                  "cannot read %s: %s", MOUNTINFO, strerror(-r));

        /* The last mount on a target is the one paths resolve to: an NFS mount can be hidden by another. */
        while (mnt_table_next_fs(tb, itr, &fs) == 0) {
                if (!check_same_path(strempty(mnt_fs_get_target(fs)), want->mountpoint))
                        continue;
                top = fs;
                if (fstype_is_nfs(mnt_fs_get_fstype(fs)))
                        nfs = fs;
        }
        if (!top)
                return check_emit_hint(
                        ctx, &nfs_mount_results[MOUNTED_NOT_MOUNTED], want_values(want), MOUNTINFO,
                        "%s is not mounted: guests' disks are not on the shared storage", want->mountpoint);
        evidence = strdup_printf("%s: %s on %s type %s (%s)", MOUNTINFO, strna(mnt_fs_get_source(top)),
                                 want->mountpoint, strna(mnt_fs_get_fstype(top)),
                                 strna(mnt_fs_get_options(top)));
        if (!evidence)
                return -ENOMEM;
        if (top != nfs && nfs)
                return check_emit_hint(ctx, &nfs_mount_results[MOUNTED_HIDDEN], want_values(want), evidence,
                                       "%s: the NFS mount of %s is hidden by a later %s mount of %s over it",
                                       want->mountpoint, strna(mnt_fs_get_source(nfs)),
                                       strna(mnt_fs_get_fstype(top)), strna(mnt_fs_get_source(top)));
        if (!nfs)
                return check_emit_hint(
                        ctx, &nfs_mount_results[MOUNTED_NOT_NFS], want_values(want), evidence,
                        "%s is mounted from %s (%s), not over NFS: other hosts cannot see these disks",
                        want->mountpoint, strna(mnt_fs_get_source(top)), strna(mnt_fs_get_fstype(top)));
        r = check_emit(ctx, &nfs_mount_results[MOUNTED_NFS], evidence, "%s is an NFS mount of %s",
                       want->mountpoint, strna(mnt_fs_get_source(nfs)));
        if (r < 0)
                return r;

        if (!source_matches(want, mnt_fs_get_source(nfs), mnt_fs_get_options(nfs)))
                r = check_emit_hint(ctx, &nfs_mount_results[SOURCE_WRONG], want_values(want), evidence,
                                    "%s is mounted from %s; the profile says %s:%s", want->mountpoint,
                                    strna(mnt_fs_get_source(nfs)), want->server, want->export);
        else
                r = check_emit(ctx, &nfs_mount_results[SOURCE_RIGHT], NULL, "%s comes from %s:%s",
                               want->mountpoint, want->server, want->export);
        if (r < 0)
                return r;
        r = check_options(ctx, want, nfs, evidence);
        if (r < 0)
                return r;
        return check_responsive(ctx, want);
}

/* The line of fstab whose second field is target (for evidence: libmount does not keep line
 * numbers); 0 when none is. */
static unsigned fstab_line_of(const char *text, const char *target)
{
        LINE_FOREACH(l, text)
        {
                _cleanup_free_ char *line = line_iter_dup(&l), *src = NULL, *tgt = NULL, *unescaped = NULL;

                if (!line)
                        return 0;
                if (sscanf(line, " %ms %ms", &src, &tgt) != 2 || src[0] == '#')
                        continue;
                /* fstab writes a space as \040: libmount's own decoding */
                unescaped = mnt_unmangle(tgt);
                if (!unescaped)
                        return 0;
                if (check_same_path(unescaped, target))
                        return l.number;
        }
        return 0;
}

/* systemd's name for the .mount unit of a path: "/var/lib/x" -> "var-lib-x.mount". */
static char *mount_unit_name(const char *path)
{
        _cleanup_free_ char *out = malloc(strlen(path) * 4 + sizeof(".mount"));
        char *o = out;

        if (!out)
                return NULL;
        while (*path == '/')
                path++;
        for (const char *c = path; *c; c++) {
                if (*c == '/') {
                        while (c[1] == '/')
                                c++;
                        if (c[1])
                                *o++ = '-';
                } else if (isalnum((unsigned char)*c) || *c == '_' || (*c == '.' && c != path))
                        *o++ = *c;
                else
                        o += sprintf(o, "\\x%02x", (unsigned char)*c);
        }
        strcpy(o, ".mount");
        return TAKE_PTR(out);
}

static int check_persistent(struct check_ctx *ctx, const struct expected *want)
{
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_free_ char *unit = mount_unit_name(want->mountpoint), *unit_path = NULL, *text = NULL,
                            *evidence = NULL;
        struct libmnt_fs *fs;
        unsigned bad_line = 0, line;
        struct stat st;
        int r;

        if (!unit)
                return -ENOMEM;
        unit_path = strdup_printf("%s/%s", UNIT_DIR, unit);
        if (!unit_path)
                return -ENOMEM;

        r = check_mount_table_read(ctx, FSTAB, &tb, &bad_line);
        if (r < 0 && r != -ENOENT)
                return check_emit(ctx, &nfs_mount_results[PERSISTENT_FSTAB_UNREADABLE], FSTAB,
                                  "cannot read %s: %s", FSTAB, strerror(-r));
        fs = r >= 0 ? mnt_table_find_target(tb, want->mountpoint, MNT_ITER_BACKWARD) : NULL;
        if (fs) {
                (void)hostfs_read_file(ctx->fs, FSTAB, &text, NULL);
                line = text ? fstab_line_of(text, want->mountpoint) : 0;
                evidence = line ? strdup_printf("%s:%u", FSTAB, line) : strdup(FSTAB);
                if (!evidence)
                        return -ENOMEM;
                if (!fstype_is_nfs(mnt_fs_get_fstype(fs)) ||
                    !source_matches(want, mnt_fs_get_source(fs), NULL))
                        return check_emit_hint(
                                ctx, &nfs_mount_results[PERSISTENT_FSTAB_OTHER], want_values(want), evidence,
                                "%s in %s mounts %s (%s), not %s:%s: after a reboot the disks are elsewhere",
                                want->mountpoint, FSTAB, strna(mnt_fs_get_source(fs)),
                                strna(mnt_fs_get_fstype(fs)), want->server, want->export);
                if (has_option(mnt_fs_get_options(fs), "noauto"))
                        return check_emit(ctx, &nfs_mount_results[PERSISTENT_NOAUTO], evidence,
                                          "%s is in %s with noauto: it is not mounted at boot",
                                          want->mountpoint, FSTAB);
                return check_emit(ctx, &nfs_mount_results[PERSISTENT_FSTAB], evidence,
                                  "%s is in %s (mounted at boot)", want->mountpoint, FSTAB);
        }
        if (hostfs_stat(ctx->fs, unit_path, &st) == 0)
                return check_emit(ctx, &nfs_mount_results[PERSISTENT_MOUNT_UNIT], unit_path,
                                  "%s is mounted at boot by %s", want->mountpoint, unit);
        return check_emit_hint(ctx, &nfs_mount_results[PERSISTENT_MISSING], want_values(want), FSTAB,
                               "%s is neither in %s nor a %s unit: it is gone after a reboot",
                               want->mountpoint, FSTAB, unit);
}

static int nfs_mount_check(struct check_ctx *ctx)
{
        _cleanup_(expected_done) struct expected want = {
                .export = conf_get(ctx->profile, "nfs", "export"),
                .mountpoint = conf_get(ctx->profile, "nfs", "mountpoint"),
                .version = conf_get(ctx->profile, "nfs", "version"),
        };
        int r;

        r = check_nfs_server(ctx, &want.server);
        if (r == -ENOENT)
                return check_emit(ctx, &nfs_mount_results[MOUNTED_NO_SERVER], NULL,
                                  "the profile names no NFS server: cannot tell what %s should mount",
                                  want.mountpoint);
        if (r < 0)
                return r;
        r = check_host_addresses(ctx, want.server, &want.server_addresses);
        if (r < 0)
                return r;

        /* the same source on every hypervisor is compared across hosts (cross.mount) */
        r = check_mounted(ctx, &want);
        if (r >= 0)
                r = check_persistent(ctx, &want);
        return r;
}

/* --- fix ------------------------------------------------------------------------------------------ */

/* fstab(5) writes white space in fields as octal escapes. */
static char *fstab_escape(const char *s)
{
        _cleanup_free_ char *out = malloc(strlen(s) * 4 + 1);
        char *o = out;

        if (!out)
                return NULL;
        for (; *s; s++)
                if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
                        o += sprintf(o, "\\%03o", (unsigned char)*s);
                else
                        *o++ = *s;
        *o = '\0';
        return TAKE_PTR(out);
}

/* An operator's fstab lines, each one for our mountpoint commented out (templates/fstab-replaced.conf). */
static int fstab_replace_lines(FILE *out, const char *before, const char *tgt_esc, char **ret_error)
{
        _cleanup_(template_freep) struct template *replaced = NULL;
        int r;

        r = template_load(template_default_dirs(), "fstab-replaced.conf", &replaced, ret_error);
        if (r < 0)
                return r;
        LINE_FOREACH(l, before)
        {
                _cleanup_free_ char *line = line_iter_dup(&l), *comment = NULL, *spec = NULL, *file = NULL;

                if (!line)
                        return -ENOMEM;
                /* %ms: the fields as long as they are (a spec holds a host name) */
                if (sscanf(line, " %ms %ms", &spec, &file) != 2 || spec[0] == '#' || !streq(file, tgt_esc)) {
                        fprintf(out, "%s\n", line);
                        continue;
                }
                const struct template_value v[] = {{"LINE", line}};
                r = template_render(replaced, v, ELEMENTSOF(v), &comment, ret_error);
                if (r < 0)
                        return r;
                fputs(comment, out);
        }
        return 0;
}

/* fstab with the NFS entry (templates/fstab-entry.conf): an operator's other line for the mountpoint is
 * commented out (kept, so rollback and the operator see it), ours appended; then parsed back with libmount
 * to prove it reads as meant. A bad template: -EINVAL and *ret_error. */
static int fstab_with_entry(const struct expected *want, const char *profile, const char *before, char **ret,
                            char **ret_error)
{
        _cleanup_free_ char *source = NULL, *src_esc = NULL, *tgt_esc = NULL, *text = NULL, *entry = NULL;
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        struct libmnt_fs *fs;
        size_t size = 0;
        FILE *out;
        int r;

        source = strdup_printf("%s:%s", want->server, want->export);
        if (!source)
                return -ENOMEM;
        src_esc = fstab_escape(source);
        tgt_esc = fstab_escape(want->mountpoint);
        if (!src_esc || !tgt_esc)
                return -ENOMEM;
        const struct template_value v[] = {{"PROFILE", profile},
                                           {"SOURCE", src_esc},
                                           {"MOUNTPOINT", tgt_esc},
                                           {"VERSION", want->version}};
        r = template_render_file(template_default_dirs(), "fstab-entry.conf", v, ELEMENTSOF(v), &entry,
                                 ret_error);
        if (r < 0)
                return r;
        out = open_memstream(&text, &size);
        if (!out)
                return -ENOMEM;
        r = fstab_replace_lines(out, before, tgt_esc, ret_error);
        fputs(entry, out);
        if (fclose(out) != 0)
                return -errno;
        if (r < 0)
                return r;

        tb = mnt_new_table();
        f = fmemopen(text, size, "r");
        if (!tb || !f)
                return -ENOMEM;
        if (mnt_table_parse_stream(tb, f, FSTAB) < 0)
                return -EINVAL;
        fs = mnt_table_find_target(tb, want->mountpoint, MNT_ITER_BACKWARD);
        if (!fs || !streq(strempty(mnt_fs_get_source(fs)), source) || !fstype_is_nfs(mnt_fs_get_fstype(fs)))
                return -EINVAL;
        *ret = TAKE_PTR(text);
        return 0;
}

static int nfs_mount_fix(struct check_ctx *ctx, struct plan *plan)
{
        _cleanup_(expected_done) struct expected want = {
                .export = conf_get(ctx->profile, "nfs", "export"),
                .mountpoint = conf_get(ctx->profile, "nfs", "mountpoint"),
                .version = conf_get(ctx->profile, "nfs", "version"),
        };
        _cleanup_free_ char *before = NULL, *after = NULL, *why = NULL, *error = NULL;
        struct stat st;
        int r;

        r = check_nfs_server(ctx, &want.server);
        if (r == -ENOENT)
                return check_emit(ctx, &nfs_mount_results[FIX_NO_SERVER], NULL,
                                  "cannot write the mount: the profile names no NFS server");
        if (r < 0)
                return r;

        if (hostfs_stat(ctx->fs, want.mountpoint, &st) < 0) {
                r = plan_mkdir(plan, "nfs.mount", want.mountpoint, 0755, "where the export is mounted");
                if (r < 0)
                        return r;
        }
        if (check_failed(ctx, "nfs.mount.persistent")) {
                r = hostfs_read_file(ctx->fs, FSTAB, &before, NULL);
                if (r < 0 && r != -ENOENT)
                        return r;
                r = fstab_with_entry(&want, ctx->profile->name, before, &after, &error);
                if (r < 0 && error)
                        return check_emit(ctx, &nfs_mount_results[FIX_TEMPLATE_BROKEN], NULL,
                                          "cannot write the mount: %s", error);
                if (r < 0)
                        return check_emit(ctx, &nfs_mount_results[FIX_FSTAB_INVALID], FSTAB,
                                          "cannot write a valid %s entry for %s: %s", FSTAB, want.mountpoint,
                                          strerror(-r));
                why = strdup_printf("mount %s:%s at %s at every boot", want.server, want.export,
                                    want.mountpoint);
                r = plan_write_file(plan, "nfs.mount", FSTAB, before, after, 0644, why);
                if (r < 0)
                        return r;
        }
        /* mount it now, unless something else is mounted there (that is the operator's to undo) */
        if (check_failed(ctx, "nfs.mount.mounted") && hostfs_is_live(ctx->fs)) {
                if (!check_gave(ctx, &nfs_mount_results[MOUNTED_NOT_MOUNTED]))
                        return check_emit(ctx, &nfs_mount_results[FIX_MOUNTED_OVER], NULL,
                                          "not mounting over %s: something else is mounted there",
                                          want.mountpoint);
                char *argv[] = {(char *)"mount", (char *)want.mountpoint, NULL};
                r = plan_command(plan, "nfs.mount", argv, "mount it now, as fstab says");
        }
        return r < 0 ? r : 0;
}

const struct unit unit_nfs_mount = {
        .id = "nfs.mount",
        .title = "the hypervisor mounts the shared storage at the profile's path",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = nfs_mount_results,
        .n_results = ELEMENTSOF(nfs_mount_results),
        .check = nfs_mount_check,
        .fix = nfs_mount_fix,
};

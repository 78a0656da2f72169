/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * security.selinux: SELinux kept enforcing, and allowing what migration over shared storage needs. Guests
 * run confined as svirt_t; files on NFS are nfs_t (CIFS cifs_t, FUSE fusefs_t), which svirt_t may use
 * only with the refpolicy boolean virt_use_nfs (virt_use_samba, virt_use_fusefs) on. Operators who meet
 * "avc: denied ... nfs_t" turn SELinux off; the fix is that one boolean, set persistently (what
 * setsebool -P does, through libsemanage). The kernel's own denials are the evidence.
 *
 * Under --root the kernel's state is read from the files below the root (sys/fs/selinux/enforce,
 * sys/fs/selinux/booleans/NAME), the config and the policy store's booleans.local as files; on the running
 * host through libselinux.
 */
#include <libmount.h>
#include <selinux/selinux.h>

#include "common.h"
#include "envfile.h"
#include "lsmstate.h"
#include "provision/plan.h"
#include "security_log.h"
#include "spawn.h"
#include "strv.h"

#define LABEL_TIMEOUT (5 * USEC_PER_SEC)

enum {
        MODE_NOT_INSTALLED,
        MODE_ENFORCING,
        MODE_PERMISSIVE,
        MODE_PERMISSIVE_AT_BOOT,
        MODE_DISABLED_AT_BOOT,
        MODE_NOT_RUNNING,
        BOOLEAN_SELINUX_OFF,
        BOOLEAN_LOCAL_STORAGE,
        BOOLEAN_ON_,
        BOOLEAN_OFF_,
        BOOLEAN_TRANSIENT,
        BOOLEAN_UNKNOWN,
        LABEL_SELINUX_OFF,
        LABEL_NOT_LIVE,
        LABEL_SEEN,
        LABEL_UNLABELED,
        LABEL_UNREADABLE,
        DENIALS_SELINUX_OFF,
        DENIALS_NO_LOG,
        DENIALS_NONE,
        DENIALS_COVERED,
        DENIALS_FOUND,
        DENIALS_PERMISSIVE,
        FIX_NOT_RUNNING,
};

#define NEVER_OFF "; hostprep never turns SELinux off or permissive"
#define SETSEBOOL "hostprep apply sets it (by hand: setsebool -P @BOOLEAN@ on)"

static const struct result_def security_selinux_results[] = {
        [MODE_NOT_INSTALLED] = {"security.selinux.mode", STATUS_SKIP, "not_installed"},
        [MODE_ENFORCING] = {"security.selinux.mode", STATUS_PASS, "enforcing"},
        [MODE_PERMISSIVE] = {"security.selinux.mode", STATUS_WARN, "permissive",
                             "set the booleans below, then setenforce 1 and SELINUX=enforcing in @FILE@"},
        [MODE_PERMISSIVE_AT_BOOT] = {"security.selinux.mode", STATUS_WARN, "permissive_at_boot",
                                     "set SELINUX=enforcing in @FILE@"},
        [MODE_DISABLED_AT_BOOT] =
                {"security.selinux.mode", STATUS_WARN, "disabled_at_boot",
                 "set SELINUX=enforcing in @FILE@ and relabel (touch /.autorelabel) before the next boot; migration over shared storage needs only a boolean" NEVER_OFF},
        [MODE_NOT_RUNNING] = {"security.selinux.mode", STATUS_WARN, "not_running",
                              "boot with SELinux (security=selinux, without selinux=0) and relabel"},
        [BOOLEAN_SELINUX_OFF] = {"security.selinux.boolean", STATUS_SKIP, "selinux_off"},
        [BOOLEAN_LOCAL_STORAGE] = {"security.selinux.boolean", STATUS_SKIP, "local_storage"},
        [BOOLEAN_ON_] = {"security.selinux.boolean", STATUS_PASS, "boolean_on"},
        [BOOLEAN_OFF_] = {"security.selinux.boolean", STATUS_FAIL, "boolean_off", SETSEBOOL NEVER_OFF},
        [BOOLEAN_TRANSIENT] = {"security.selinux.boolean", STATUS_WARN, "not_persistent", SETSEBOOL},
        [BOOLEAN_UNKNOWN] =
                {"security.selinux.boolean", STATUS_ERROR, "no_such_boolean",
                 "install the distribution's policy with the virt module (selinux-policy-default)"},
        [LABEL_SELINUX_OFF] = {"security.selinux.label", STATUS_SKIP, "selinux_off"},
        [LABEL_NOT_LIVE] = {"security.selinux.label", STATUS_SKIP, "not_live"},
        [LABEL_SEEN] = {"security.selinux.label", STATUS_PASS, "labelled"},
        [LABEL_UNLABELED] = {"security.selinux.label", STATUS_WARN, "unlabeled",
                             "restorecon -Rv @PATH@ (a local image directory is virt_image_t)"},
        [LABEL_UNREADABLE] = {"security.selinux.label", STATUS_ERROR, "label_unreadable"},
        [DENIALS_SELINUX_OFF] = {"security.selinux.denials", STATUS_SKIP, "selinux_off"},
        [DENIALS_NO_LOG] = {"security.selinux.denials", STATUS_SKIP, "no_log"},
        [DENIALS_NONE] = {"security.selinux.denials", STATUS_PASS, "no_denials"},
        [DENIALS_COVERED] = {"security.selinux.denials", STATUS_PASS, "denials_covered"},
        [DENIALS_FOUND] =
                {"security.selinux.denials", STATUS_FAIL, "denied",
                 "see why with audit2why < the lines shown; allow it with a boolean or a label, not by turning SELinux off"},
        [DENIALS_PERMISSIVE] = {"security.selinux.denials", STATUS_WARN, "denied_permissive",
                                "fix what they show before SELinux enforces (audit2why)"},
        [FIX_NOT_RUNNING] = {"security.selinux.fix", STATUS_ERROR, "selinux_not_running"},
};

#define emit(ctx, e, ...) check_emit(ctx, &security_selinux_results[e], __VA_ARGS__)
#define emit_hint(ctx, e, values, ...)                                                                      \
        check_emit_hint(ctx, &security_selinux_results[e], values, __VA_ARGS__)

/* What the checks below share. */
struct selinux_host {
        enum selinux_mode running, config;
        char *type;          /* SELINUXTYPE=, the policy store's name */
        char *shared;        /* the profile's mountpoint: where guests' disks are */
        char *fstype;        /* its filesystem's type, NULL when not mounted */
        const char *boolean; /* what the storage needs, NULL when nothing */
};

static void selinux_host_done(struct selinux_host *h)
{
        free(h->type);
        free(h->shared);
        free(h->fstype);
}

static bool selinux_on(const struct selinux_host *h)
{
        return h->running == SELINUX_MODE_ENFORCING || h->running == SELINUX_MODE_PERMISSIVE;
}

static enum selinux_mode running_mode(const struct check_ctx *ctx)
{
        _cleanup_free_ char *text = NULL;
        int r;

        if (hostfs_is_live(ctx->fs)) {
                if (is_selinux_enabled() <= 0)
                        return SELINUX_MODE_ABSENT;
                r = security_getenforce();
                return r == 1   ? SELINUX_MODE_ENFORCING
                       : r == 0 ? SELINUX_MODE_PERMISSIVE
                                : SELINUX_MODE_ABSENT;
        }
        if (hostfs_read_file(ctx->fs, PATH_SELINUXFS_ENFORCE, &text, NULL) < 0)
                return SELINUX_MODE_ABSENT;
        return streq(strip(text), "1") ? SELINUX_MODE_ENFORCING
               : streq(text, "0")      ? SELINUX_MODE_PERMISSIVE
                                       : SELINUX_MODE_ABSENT;
}

/* The config for the next boot: libselinux's reading on the running host, the file below a root. */
static int config_mode(const struct check_ctx *ctx, struct selinux_host *h)
{
        _cleanup_free_ char *text = NULL, *mode = NULL;
        unsigned line;
        int r, enforce;

        r = hostfs_read_file(ctx->fs, PATH_SELINUX_CONFIG, &text, NULL);
        if (r == -ENOENT) {
                h->config = SELINUX_MODE_ABSENT;
                return 0;
        }
        if (r < 0)
                return r;
        r = env_file_value(text, "SELINUX", &mode, &line);
        if (r < 0 && r != -ENOENT)
                return r;
        h->config = selinux_mode_from_config(mode);
        if (hostfs_is_live(ctx->fs) && selinux_getenforcemode(&enforce) == 0)
                h->config = enforce > 0    ? SELINUX_MODE_ENFORCING
                            : enforce == 0 ? SELINUX_MODE_PERMISSIVE
                                           : SELINUX_MODE_DISABLED;
        r = env_file_value(text, "SELINUXTYPE", &h->type, &line);
        return r == -ENOENT ? 0 : r;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table)

/* The type of the filesystem mounted at or above path in the root's mountinfo (the longest target). */
static int mount_type(const struct check_ctx *ctx, const char *path, char **ret)
{
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = mnt_new_table();
        _cleanup_fclose_ FILE *f = NULL;
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs, *best = NULL;
        int r;

        if (!tb || !it) {
                mnt_free_iter(it);
                return -ENOMEM;
        }
        r = hostfs_fopen(ctx->fs, PATH_PROC_MOUNTINFO, &f);
        if (r >= 0)
                r = mnt_table_parse_stream(tb, f, PATH_PROC_MOUNTINFO);
        while (r >= 0 && mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *t = mnt_fs_get_target(fs);
                if (t && path_below(path, t) && (!best || strlen(t) >= strlen(mnt_fs_get_target(best))))
                        best = fs;
        }
        mnt_free_iter(it);
        if (r < 0)
                return r;
        *ret = best ? strdup(strempty(mnt_fs_get_fstype(best))) : NULL;
        return best && !*ret ? -ENOMEM : 0;
}

static int selinux_host_read(const struct check_ctx *ctx, struct selinux_host *h)
{
        int r;

        h->running = running_mode(ctx);
        r = config_mode(ctx, h);
        if (r < 0)
                return r;
        h->shared = strdup(conf_get(ctx->profile, "nfs", "mountpoint") ?: PATH_LIBVIRT_IMAGES);
        if (!h->shared)
                return -ENOMEM;
        r = mount_type(ctx, h->shared, &h->fstype);
        if (r == -ENOMEM)
                return r;
        /* not mounted (yet: nfs.mount says so): the profile's storage is NFS */
        h->boolean = h->fstype && !streq(h->fstype, "rootfs") ? selinux_boolean_for_fstype(h->fstype)
                                                              : "virt_use_nfs";
        return 0;
}

static int check_mode(struct check_ctx *ctx, const struct selinux_host *h)
{
        const char *now = selinux_mode_to_string(h->running), *boot = selinux_mode_to_string(h->config);
        _cleanup_free_ char *evidence =
                strdup_printf("kernel: %s; %s: SELINUX=%s", now, PATH_SELINUX_CONFIG, boot);
        const char *const *file = HINT_VALUES("FILE", PATH_SELINUX_CONFIG);

        if (!evidence)
                return -ENOMEM;
        switch (selinux_mode_decide(h->running, h->config)) {
        case SELINUX_NOT_INSTALLED:
                return emit(ctx, MODE_NOT_INSTALLED, evidence,
                            "SELinux is not in this kernel and not configured (no %s)", PATH_SELINUX_CONFIG);
        case SELINUX_ENFORCING:
                return emit(ctx, MODE_ENFORCING, evidence,
                            "SELinux is enforcing, and stays so at the next boot");
        case SELINUX_PERMISSIVE:
                return emit_hint(
                        ctx, MODE_PERMISSIVE, file, evidence,
                        "SELinux is permissive: denials are logged, not enforced, so guests are not "
                        "kept apart");
        case SELINUX_PERMISSIVE_AT_BOOT:
                return emit_hint(ctx, MODE_PERMISSIVE_AT_BOOT, file, evidence,
                                 "SELinux is enforcing now, but %s makes it permissive at the next boot",
                                 PATH_SELINUX_CONFIG);
        case SELINUX_DISABLED_AT_BOOT:
                return emit_hint(
                        ctx, MODE_DISABLED_AT_BOOT, file, evidence,
                        "SELinux is disabled in %s: guests run without sVirt's separation after the "
                        "next boot, and turning it on again needs a full relabel",
                        PATH_SELINUX_CONFIG);
        default:
                return emit(ctx, MODE_NOT_RUNNING, evidence,
                            "%s says SELINUX=%s but the kernel does not run SELinux", PATH_SELINUX_CONFIG,
                            boot);
        }
}

/* A boolean's runtime value now and pending: -ENOENT when the policy has no such boolean. */
static int boolean_runtime(const struct check_ctx *ctx, const char *name, bool *ret_active,
                           bool *ret_pending)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        int active, pending;

        if (hostfs_is_live(ctx->fs)) {
                errno = 0;
                active = security_get_boolean_active(name);
                pending = active < 0 ? -1 : security_get_boolean_pending(name);
                if (active < 0 || pending < 0)
                        return errno > 0 ? -errno : -ENOENT;
        } else {
                path = strdup_printf("%s/%s", PATH_SELINUXFS_BOOLEANS, name);
                if (!path)
                        return -ENOMEM;
                if (hostfs_read_file(ctx->fs, path, &text, NULL) < 0 ||
                    sscanf(text, "%d %d", &active, &pending) != 2)
                        return -ENOENT;
        }
        *ret_active = active > 0;
        *ret_pending = pending > 0;
        return 0;
}

/* Whether the policy store keeps the boolean on: booleans.local, what setsebool -P and semanage write
 * (refpolicy's virt_use_* default to off, so without a local value it is off). */
static int boolean_persistent(const struct check_ctx *ctx, const struct selinux_host *h, const char *name,
                              bool *ret, char **ret_origin)
{
        _cleanup_free_ char *path = NULL, *text = NULL, *value = NULL;
        unsigned line = 0;
        int r;

        path = strdup_printf("%s/%s/active/booleans.local", PATH_SELINUX_STORE, strempty(h->type));
        if (!path)
                return -ENOMEM;
        r = hostfs_read_file(ctx->fs, path, &text, NULL);
        if (r >= 0)
                r = env_file_value(text, name, &value, &line);
        if (r == -ENOMEM)
                return r;
        *ret = r >= 0 && streq(strip(value), "1");
        *ret_origin = r >= 0 ? strdup_printf("%s:%u", path, line) : strdup_printf("%s: not set", path);
        return *ret_origin ? 0 : -ENOMEM;
}

static int check_boolean(struct check_ctx *ctx, const struct selinux_host *h)
{
        _cleanup_free_ char *store = NULL, *evidence = NULL;
        bool active, pending, persistent;
        int r;

        if (!selinux_on(h))
                return emit(ctx, BOOLEAN_SELINUX_OFF, NULL, "SELinux does not run: no boolean applies");
        if (!h->boolean)
                return emit(ctx, BOOLEAN_LOCAL_STORAGE, NULL,
                            "%s is on %s, a local filesystem: guests need no virt_use_* boolean", h->shared,
                            h->fstype);
        r = boolean_runtime(ctx, h->boolean, &active, &pending);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return emit(ctx, BOOLEAN_UNKNOWN, NULL, "the loaded policy has no boolean %s", h->boolean);
        r = boolean_persistent(ctx, h, h->boolean, &persistent, &store);
        if (r < 0)
                return r;
        evidence = strdup_printf("%s: active %d, pending %d; %s", h->boolean, active, pending, store);
        if (!evidence)
                return -ENOMEM;
        switch (selinux_boolean_decide(active, pending, persistent)) {
        case BOOLEAN_ON:
                return emit(ctx, BOOLEAN_ON_, evidence, "%s is on, and persistent: guests may use %s (%s)",
                            h->boolean, h->shared, strna(h->fstype));
        case BOOLEAN_OFF:
                return emit_hint(ctx, BOOLEAN_OFF_, HINT_VALUES("BOOLEAN", h->boolean), evidence,
                                 "%s is off: confined guests (svirt_t) cannot open their disks on %s (%s)",
                                 h->boolean, h->shared, h->fstype ? h->fstype : "nfs, from the profile");
        default:
                return emit_hint(ctx, BOOLEAN_TRANSIENT, HINT_VALUES("BOOLEAN", h->boolean), evidence,
                                 "%s is on but not persistent: the next boot or policy load turns it off",
                                 h->boolean);
        }
}

static int label_child(void *userdata, int fd)
{
        char *con = NULL;
        int r;

        if (getfilecon(userdata, &con) < 0)
                return spawn_reply(fd, "", 0) < 0 ? 1 : 2;
        r = spawn_reply(fd, con, strlen(con));
        freecon(con);
        return r < 0 ? 1 : 0;
}

/* The label the shared directory has as this host sees it, read in a child: a dead NFS server must not
 * hold the check in the kernel. */
static int check_label(struct check_ctx *ctx, const struct selinux_host *h)
{
        _cleanup_free_ char *con = NULL, *type = NULL, *evidence = NULL;
        usec_t deadline = now_usec() + LABEL_TIMEOUT;
        int r, status = 0;

        if (!selinux_on(h))
                return emit(ctx, LABEL_SELINUX_OFF, NULL, "SELinux does not run: files have no labels");
        if (deadline > ctx->deadline)
                deadline = ctx->deadline;
        if (!hostfs_is_live(ctx->fs))
                return emit(ctx, LABEL_NOT_LIVE, NULL, "labels are read on the running host only");
        r = spawn_call(deadline, label_child, h->shared, 0, &con, NULL, &status);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || status != 0 || !con || !con[0])
                return emit(ctx, LABEL_UNREADABLE, NULL, "cannot read the label of %s: %s", h->shared,
                            r == -ETIMEDOUT ? "no answer before the deadline" : "getfilecon failed");
        type = selinux_context_type(con);
        evidence = strdup_printf("getfilecon %s: %s", h->shared, con);
        if (!evidence)
                return -ENOMEM;
        if (!type || streq(type, "unlabeled_t") || streq(type, "default_t") || streq(type, "file_t"))
                return emit_hint(ctx, LABEL_UNLABELED, HINT_VALUES("PATH", h->shared), evidence,
                                 "%s has no usable label (%s): confined guests cannot use it", h->shared,
                                 con);
        return emit(ctx, LABEL_SEEN, evidence, "%s is labelled %s as this host sees it%s", h->shared, type,
                    selinux_boolean_for_label(type) ? " (a network filesystem's label: see the boolean)"
                                                    : "");
}

/* What the logs say about guests and the shared storage. */
struct avc_scan {
        const struct check_ctx *ctx;
        const struct selinux_host *h;
        struct security_log_found found;
        unsigned enforced, permissive, covered;
};

/* A denial the boolean it needs (now on) allows from now on. */
static bool avc_covered(const struct avc_scan *s, const struct avc_record *a)
{
        _cleanup_free_ char *type = selinux_context_type(a->tcontext);
        const char *name = selinux_boolean_for_label(type);
        bool active = false, pending = false;

        return name && boolean_runtime(s->ctx, name, &active, &pending) >= 0 && active;
}

static int avc_line(const char *line, const char *origin, void *userdata)
{
        _cleanup_(avc_record_done) struct avc_record a = {};
        struct avc_scan *s = userdata;
        int r;

        r = avc_record_parse(line, &a);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !security_log_recent(&s->found, a.seconds) || !avc_record_relevant(&a, s->h->shared))
                return 0;
        if (avc_covered(s, &a))
                s->covered++;
        else if (a.permissive == 1)
                s->permissive++;
        else
                s->enforced++;
        return security_log_keep(&s->found, origin, line);
}

static int check_denials(struct check_ctx *ctx, const struct selinux_host *h)
{
        _cleanup_free_ char *sources = NULL, *evidence = NULL;
        struct avc_scan s = {.ctx = ctx, .h = h};
        bool truncated;
        int r;

        if (!selinux_on(h))
                return emit(ctx, DENIALS_SELINUX_OFF, NULL, "SELinux does not run: nothing is denied");
        r = security_log_collect(ctx, avc_line, &s, &s.found, &sources, &evidence, &truncated);
        if (r == -ENOENT)
                return emit(ctx, DENIALS_NO_LOG, NULL, "neither %s nor the journal can be read",
                            PATH_AUDIT_LOG);
        if (r < 0)
                return r;
        if (s.enforced)
                return emit(ctx, DENIALS_FOUND, evidence,
                            "%u AVC denial%s of guests or libvirt on %s in %s%s", s.enforced,
                            s.enforced == 1 ? "" : "s", h->shared, sources,
                            truncated ? " (read up to the deadline)" : "");
        if (s.permissive)
                return emit(ctx, DENIALS_PERMISSIVE, evidence,
                            "%u AVC denial%s on %s in %s, logged only (permissive)", s.permissive,
                            s.permissive == 1 ? "" : "s", h->shared, sources);
        if (s.covered)
                return emit(ctx, DENIALS_COVERED, evidence,
                            "%u earlier AVC denial%s on %s in %s, of what the boolean now on allows",
                            s.covered, s.covered == 1 ? "" : "s", h->shared, sources);
        return emit(ctx, DENIALS_NONE, NULL, "no AVC denials of guests or libvirt on %s in %s%s", h->shared,
                    sources, truncated ? " (read up to the deadline)" : "");
}

static int security_selinux_check(struct check_ctx *ctx)
{
        _cleanup_(selinux_host_done) struct selinux_host h = {};
        int r;

        r = selinux_host_read(ctx, &h);
        if (r < 0)
                return r;
        r = check_mode(ctx, &h);
        /* no SELinux at all: one line says so, the boolean, label and denials have nothing to say */
        if (r < 0 || selinux_mode_decide(h.running, h.config) == SELINUX_NOT_INSTALLED)
                return r;
        r = check_boolean(ctx, &h);
        if (r >= 0)
                r = check_label(ctx, &h);
        if (r >= 0)
                r = check_denials(ctx, &h);
        return r;
}

/* The boolean the storage needs, on and persistent through libsemanage (ACTION_SELINUX_BOOLEAN): never the
 * mode. A permissive or disabled SELinux stays the operator's decision (the mode's hint says how). */
static int security_selinux_fix(struct check_ctx *ctx, struct plan *plan)
{
        _cleanup_(selinux_host_done) struct selinux_host h = {};
        _cleanup_free_ char *why = NULL;
        int r;

        if (!check_gave(ctx, &security_selinux_results[BOOLEAN_OFF_]) &&
            !check_gave(ctx, &security_selinux_results[BOOLEAN_TRANSIENT]))
                return 0;
        r = selinux_host_read(ctx, &h);
        if (r < 0)
                return r;
        if (!selinux_on(&h))
                return emit(ctx, FIX_NOT_RUNNING, NULL, "SELinux stopped running since the check");
        why = strdup_printf("guests on %s (%s) need %s, kept across reboots", h.shared, strna(h.fstype),
                            h.boolean);
        if (!why)
                return -ENOMEM;
        return plan_selinux_boolean(plan, "security.selinux", h.boolean, true, why);
}

const struct unit unit_security_selinux = {
        .id = "security.selinux",
        .title = "SELinux enforcing, with the boolean guests on shared storage need",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = security_selinux_results,
        .n_results = ELEMENTSOF(security_selinux_results),
        .check = security_selinux_check,
        .fix = security_selinux_fix,
};

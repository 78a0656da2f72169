/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * security.apparmor: AppArmor kept on, and letting guests use their disks on the shared storage. Debian
 * enforces AppArmor; libvirt confines each guest in a profile libvirt-UUID (virt-aa-helper writes its
 * disks into libvirt-UUID.files) when it picks the apparmor driver, which it does only when libvirtd is
 * confined itself and /etc/apparmor.d/libvirt/TEMPLATE.qemu exists (libvirt-9.0.0
 * security_apparmor.c). What the helper does not list (a backing file, a path a symlink hides, a disk
 * hot-plugged through another path) is denied: apparmor="DENIED" profile="libvirt-UUID". Operators then
 * write security_driver = "none"; hostprep instead adds the shared path to the site's local abstraction
 * (PATH_APPARMOR_QEMU_LOCAL, included by every guest's profile) and reloads the running guests' profiles.
 */
#include <sys/apparmor.h>

#include "common.h"
#include "domainxml.h"
#include "libvirt-conf.h"
#include "lsmstate.h"
#include "provision/libvirt-domain.h"
#include "provision/plan.h"
#include "security_log.h"
#include "strv.h"
#include "template.h"

#define TEMPLATE_NAME "apparmor-libvirt-qemu.local"
#define LIVE_URI      "qemu:///system"

enum {
        ENABLED_ABSENT,
        ENABLED_SELINUX,
        ENABLED_OFF,
        ENABLED_ON,
        DRIVER_UNREADABLE,
        DRIVER_NONE_CONFIGURED,
        DRIVER_UNAVAILABLE,
        DRIVER_NONE_PICKED,
        DRIVER_SELINUX,
        DRIVER_NO_APPARMOR,
        DRIVER_APPARMOR,
        GUESTS_NOT_APPARMOR,
        GUESTS_NOT_LIVE,
        GUESTS_UNREADABLE,
        GUESTS_NONE,
        GUESTS_PROFILE_MISSING,
        GUESTS_DENIED,
        GUESTS_ALLOWED,
        DENIALS_NOT_APPARMOR,
        DENIALS_NO_LOG,
        DENIALS_NONE,
        DENIALS_COVERED,
        DENIALS_FOUND,
        FIX_TEMPLATE_BROKEN,
};

#define NOT_NONE                                                                                                   \
        "; hostprep never writes security_driver = \"none\": it adds the shared path to " PATH_APPARMOR_QEMU_LOCAL \
        " instead (hostprep apply)"

static const struct result_def security_apparmor_results[] = {
        [ENABLED_ABSENT] = {"security.apparmor.enabled", STATUS_SKIP, "not_in_kernel"},
        [ENABLED_SELINUX] = {"security.apparmor.enabled", STATUS_SKIP, "selinux_instead"},
        [ENABLED_OFF] = {"security.apparmor.enabled", STATUS_WARN, "disabled",
                         "boot without apparmor=0 (Debian enables AppArmor by default)"},
        [ENABLED_ON] = {"security.apparmor.enabled", STATUS_PASS, "enabled"},
        [DRIVER_UNREADABLE] = {"security.apparmor.driver", STATUS_ERROR, "qemu_conf_unreadable"},
        [DRIVER_NONE_CONFIGURED] =
                {"security.apparmor.driver", STATUS_FAIL, "security_driver_none",
                 "remove security_driver = \"none\" from @FILE@ and restart libvirtd: guests then run in their own profiles" NOT_NONE},
        [DRIVER_UNAVAILABLE] =
                {"security.apparmor.driver", STATUS_FAIL, "driver_unavailable",
                 "load libvirtd's profile (apparmor_parser -r /etc/apparmor.d/usr.sbin.libvirtd) "
                 "and reinstall libvirt-daemon-system for " PATH_APPARMOR_TEMPLATE},
        [DRIVER_NONE_PICKED] =
                {"security.apparmor.driver", STATUS_WARN, "unconfined_guests",
                 "load libvirtd's profile (apparmor_parser -r /etc/apparmor.d/usr.sbin.libvirtd), "
                 "restart libvirtd" NOT_NONE},
        [DRIVER_SELINUX] = {"security.apparmor.driver", STATUS_SKIP, "selinux_driver"},
        [DRIVER_NO_APPARMOR] = {"security.apparmor.driver", STATUS_SKIP, "no_apparmor"},
        [DRIVER_APPARMOR] = {"security.apparmor.driver", STATUS_PASS, "apparmor_driver"},
        [GUESTS_NOT_APPARMOR] = {"security.apparmor.guests", STATUS_SKIP, "not_apparmor"},
        [GUESTS_NOT_LIVE] = {"security.apparmor.guests", STATUS_SKIP, "not_live"},
        [GUESTS_UNREADABLE] = {"security.apparmor.guests", STATUS_ERROR, "libvirt_unreachable"},
        [GUESTS_NONE] = {"security.apparmor.guests", STATUS_PASS, "no_guests_on_share"},
        [GUESTS_PROFILE_MISSING] = {"security.apparmor.guests", STATUS_FAIL, "profile_not_loaded",
                                    "restart the guest, so libvirt loads its profile again"},
        [GUESTS_DENIED] = {"security.apparmor.guests", STATUS_FAIL, "disk_not_allowed",
                           "hostprep apply adds @SHARED@ to " PATH_APPARMOR_QEMU_LOCAL " and reloads"},
        [GUESTS_ALLOWED] = {"security.apparmor.guests", STATUS_PASS, "disks_allowed"},
        [DENIALS_NOT_APPARMOR] = {"security.apparmor.denials", STATUS_SKIP, "not_apparmor"},
        [DENIALS_NO_LOG] = {"security.apparmor.denials", STATUS_SKIP, "no_log"},
        [DENIALS_NONE] = {"security.apparmor.denials", STATUS_PASS, "no_denials"},
        [DENIALS_COVERED] = {"security.apparmor.denials", STATUS_PASS, "denials_covered"},
        [DENIALS_FOUND] = {"security.apparmor.denials", STATUS_FAIL, "denied",
                           "hostprep apply adds @SHARED@ to " PATH_APPARMOR_QEMU_LOCAL
                           " and reloads the guests' profiles (never security_driver = \"none\")"},
        [FIX_TEMPLATE_BROKEN] = {"security.apparmor.fix", STATUS_ERROR, "template_broken",
                                 "reinstall hostprep, or fix the template it names"},
};

#define emit(ctx, e, ...) check_emit(ctx, &security_apparmor_results[e], __VA_ARGS__)
#define emit_hint(ctx, e, values, ...)                                                                      \
        check_emit_hint(ctx, &security_apparmor_results[e], values, __VA_ARGS__)

struct aa_host {
        int enabled; /* -1: no AppArmor in the kernel, 0: off, 1: on */
        bool selinux;
        char *configured, *conf_origin; /* qemu.conf's security_driver (its first), where it is set */
        bool libvirtd_confined;
        char *libvirtd_label; /* evidence */
        bool template;
        char **profiles; /* loaded */
        char *shared;
        char *rules;    /* the override's text for shared, from templates/ */
        char *override; /* PATH_APPARMOR_QEMU_LOCAL now, NULL when absent */
        char *template_error;
};

static void aa_host_done(struct aa_host *h)
{
        free(h->configured);
        free(h->conf_origin);
        free(h->libvirtd_label);
        strv_free(h->profiles);
        free(h->shared);
        free(h->rules);
        free(h->override);
        free(h->template_error);
}

static bool path_exists(const struct check_ctx *ctx, const char *path)
{
        struct stat st;

        return hostfs_stat(ctx->fs, path, &st) >= 0;
}

/* The loaded profiles' names: lines "NAME (MODE)" of the kernel's list. */
static int read_profiles(const struct check_ctx *ctx, char ***ret)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_(strv_freep) char **names = NULL;
        int r;

        r = hostfs_read_file(ctx->fs, PATH_APPARMOR_PROFILES, &text, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                char *mode = strrchr(line, ' ');
                if (mode)
                        *mode = '\0';
                if (strv_push_dup(&names, line) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(names);
        return 0;
}

static bool is_libvirtd_profile(const char *name)
{
        return streq(name, "libvirtd") || streq(name, "/usr/sbin/libvirtd");
}

/* libvirtd's label, as libvirt's probe sees its own (/proc/self/attr/current); without a running
 * libvirtd (socket activation), whether its profile is loaded. */
static int libvirtd_confinement(const struct check_ctx *ctx, struct aa_host *h)
{
        _cleanup_free_ char *pid = NULL, *path = NULL, *label = NULL;

        if (hostfs_read_file(ctx->fs, PATH_LIBVIRTD_PID, &pid, NULL) >= 0) {
                const char *const attrs[] = {"attr/apparmor/current", "attr/current", NULL};
                for (size_t i = 0; !label && attrs[i]; i++) {
                        free(path);
                        path = strdup_printf("/proc/%s/%s", strip(pid), attrs[i]);
                        if (!path)
                                return -ENOMEM;
                        (void)hostfs_read_file(ctx->fs, path, &label, NULL);
                }
        }
        if (label) {
                h->libvirtd_label = strdup_printf("libvirtd: %s", strip(label));
                h->libvirtd_confined = !streq(strip(label), "unconfined");
        } else {
                STRV_FOREACH (p, h->profiles)
                        if (is_libvirtd_profile(*p))
                                h->libvirtd_confined = true;
                h->libvirtd_label = strdup_printf("libvirtd not running; its profile %s",
                                                  h->libvirtd_confined ? "is loaded" : "is not loaded");
        }
        return h->libvirtd_label ? 0 : -ENOMEM;
}

static int read_driver(const struct check_ctx *ctx, struct aa_host *h, char **ret_error)
{
        _cleanup_(libvirt_conf_freep) struct libvirt_conf *c = NULL;
        _cleanup_(strv_freep) char **drivers = NULL;
        int r;

        r = libvirt_conf_read(ctx->fs, PATH_QEMU_CONF, &c, ret_error);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = libvirt_conf_get_string_list(c, "security_driver", true, &drivers);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        h->conf_origin = libvirt_conf_origin(c, "security_driver");
        h->configured = drivers && drivers[0] ? strdup(drivers[0]) : NULL;
        return 0;
}

static int aa_host_read(const struct check_ctx *ctx, struct aa_host *h, char **ret_conf_error)
{
        _cleanup_free_ char *enabled = NULL;
        const char *profile = ctx->profile->name;
        int r;

        if (hostfs_is_live(ctx->fs))
                h->enabled = aa_is_enabled() ? 1 : path_exists(ctx, PATH_APPARMOR_ENABLED) ? 0 : -1;
        else if (hostfs_read_file(ctx->fs, PATH_APPARMOR_ENABLED, &enabled, NULL) >= 0)
                h->enabled = streq(strip(enabled), "Y");
        else
                h->enabled = -1;
        h->selinux = path_exists(ctx, PATH_SELINUXFS_ENFORCE);
        h->template = path_exists(ctx, PATH_APPARMOR_TEMPLATE);
        h->shared = strdup(conf_get(ctx->profile, "nfs", "mountpoint") ?: PATH_LIBVIRT_IMAGES);
        if (!h->shared)
                return -ENOMEM;
        r = read_profiles(ctx, &h->profiles);
        if (r >= 0)
                r = libvirtd_confinement(ctx, h);
        if (r >= 0) {
                r = hostfs_read_file(ctx->fs, PATH_APPARMOR_QEMU_LOCAL, &h->override, NULL);
                r = r == -ENOENT ? 0 : r;
        }
        if (r >= 0) {
                const struct template_value v[] = {{"PROFILE", profile}, {"SHARED", h->shared}};
                r = template_render_file(template_default_dirs(), TEMPLATE_NAME, v, ELEMENTSOF(v), &h->rules,
                                         &h->template_error);
                r = r == -ENOMEM ? r : 0;
        }
        if (r < 0)
                return r;
        return read_driver(ctx, h, ret_conf_error);
}

/* The driver libvirt picks, as its probes would decide. */
static enum security_driver driver_picked(const struct aa_host *h, int *ret_error)
{
        bool apparmor = h->enabled > 0 && h->profiles && h->libvirtd_confined && h->template;
        enum security_driver d = SECURITY_DRIVER_NONE;

        *ret_error = security_driver_pick(h->configured, h->selinux, apparmor, &d);
        return d;
}

/* The shared path is in the site's abstraction: every guest profile includes it. */
static bool override_present(const struct aa_host *h)
{
        return h->override && h->rules && strstr(h->override, h->rules);
}

static int check_enabled(struct check_ctx *ctx, const struct aa_host *h)
{
        if (h->enabled < 0)
                return emit(ctx, ENABLED_ABSENT, NULL, "AppArmor is not in this kernel (no %s)",
                            PATH_APPARMOR_ENABLED);
        if (h->enabled == 0 && h->selinux)
                return emit(ctx, ENABLED_SELINUX, NULL, "AppArmor is off; SELinux confines guests here");
        if (h->enabled == 0)
                return emit(ctx, ENABLED_OFF, PATH_APPARMOR_ENABLED ": N",
                            "AppArmor is in the kernel but disabled: guests run unconfined");
        return emit(ctx, ENABLED_ON, PATH_APPARMOR_ENABLED ": Y", "AppArmor is enabled");
}

static int check_driver(struct check_ctx *ctx, const struct aa_host *h)
{
        _cleanup_free_ char *evidence = NULL;
        int error;
        enum security_driver d = driver_picked(h, &error);
        const char *file = h->conf_origin ? h->conf_origin : PATH_QEMU_CONF;

        evidence = strdup_printf("%s: security_driver %s; %s; %s %s", file,
                                 h->configured ? h->configured : "unset", h->libvirtd_label,
                                 PATH_APPARMOR_TEMPLATE, h->template ? "present" : "missing");
        if (!evidence)
                return -ENOMEM;
        if (h->configured && streq(h->configured, "none") && (h->enabled > 0 || h->selinux))
                return emit_hint(ctx, DRIVER_NONE_CONFIGURED, HINT_VALUES("FILE", PATH_QEMU_CONF), evidence,
                                 "security_driver = \"none\" in %s: libvirt confines no guest", file);
        if (error < 0)
                return emit(
                        ctx, DRIVER_UNAVAILABLE, evidence,
                        "security_driver = \"%s\" in %s, but libvirt cannot use it: libvirtd refuses to start",
                        h->configured, file);
        if (d == SECURITY_DRIVER_SELINUX)
                return emit(ctx, DRIVER_SELINUX, evidence,
                            "libvirt picks the selinux driver (see security.selinux)");
        if (d == SECURITY_DRIVER_NONE && h->enabled > 0)
                return emit(ctx, DRIVER_NONE_PICKED, evidence,
                            "libvirt runs guests unconfined: AppArmor is on, but %s",
                            !h->libvirtd_confined ? "libvirtd is not confined"
                                                  : "its templates are missing");
        if (d == SECURITY_DRIVER_NONE)
                return emit(ctx, DRIVER_NO_APPARMOR, evidence,
                            "AppArmor is not on: libvirt has no AppArmor driver to use");
        return emit(ctx, DRIVER_APPARMOR, evidence,
                    "libvirt picks the apparmor driver: each guest runs in its own profile libvirt-UUID");
}

/* One running guest's disks on the share, asked of the kernel with the guest's own profile. */
static int guest_disks(struct check_ctx *ctx, const struct aa_host *h, const struct libvirt_domain_xml *d,
                       unsigned *ret_disks)
{
        _cleanup_(domain_def_freep) struct domain_def *def = NULL;
        _cleanup_free_ char *label = strdup_printf("libvirt-%s", d->uuid);
        int r;

        if (!label)
                return -ENOMEM;
        r = domain_xml_parse(d->name, d->xml, strlen(d->xml), &def, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (size_t i = 0; i < def->n_disks; i++) {
                const struct domain_disk *k = &def->disks[i];
                uint32_t mask = AA_MAY_READ | (k->readonly ? 0 : AA_MAY_WRITE);
                int allowed = 0, audited = 0;

                if (!k->source || !path_below(k->source, h->shared))
                        continue;
                (*ret_disks)++;
                if (!strv_contains(h->profiles, label))
                        return emit(ctx, GUESTS_PROFILE_MISSING, PATH_APPARMOR_PROFILES,
                                    "guest %s runs with disks on %s, but its profile %s is not loaded",
                                    d->name, h->shared, label);
                r = aa_query_file_path(mask, label, k->source, &allowed, &audited);
                if (r < 0 || !allowed) {
                        _cleanup_free_ char *ev = strdup_printf("aa_query_file_path(%s, %s, %s): %s", label,
                                                                k->readonly ? "r" : "rw", k->source,
                                                                r < 0 ? strerror(errno) : "denied");
                        return emit_hint(ctx, GUESTS_DENIED, HINT_VALUES("SHARED", h->shared), ev,
                                         "profile %s of guest %s does not allow its disk %s", label, d->name,
                                         k->source);
                }
        }
        return 0;
}

static int check_guests(struct check_ctx *ctx, const struct aa_host *h)
{
        const struct libvirt_listing l = {.uri = LIVE_URI, .running_only = true, .read_only = true};
        struct libvirt_domain_xml *doms = NULL;
        _cleanup_free_ char *error = NULL;
        size_t n = 0, before = ctx->results->n;
        unsigned disks = 0;
        int r, e;

        if (driver_picked(h, &e) != SECURITY_DRIVER_APPARMOR || e < 0)
                return emit(ctx, GUESTS_NOT_APPARMOR, NULL, "libvirt does not use AppArmor here");
        if (!hostfs_is_live(ctx->fs))
                return emit(ctx, GUESTS_NOT_LIVE, NULL,
                            "the kernel is asked about running guests only, not under --root");
        r = libvirt_domains_read(&l, ctx->deadline, &doms, &n, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return emit(ctx, GUESTS_UNREADABLE, NULL, "cannot list the running guests: %s",
                            error ? error : strerror(-r));
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = guest_disks(ctx, h, &doms[i], &disks);
        libvirt_domain_xml_free_many(doms, n);
        if (r < 0 || ctx->results->n > before)
                return r;
        if (disks == 0)
                return emit(ctx, GUESTS_NONE, NULL, "no running guest has a disk on %s", h->shared);
        return emit(ctx, GUESTS_ALLOWED, NULL,
                    "the %u disk%s of running guests on %s are allowed by their profiles", disks,
                    disks == 1 ? "" : "s", h->shared);
}

struct aa_scan {
        const struct aa_host *h;
        struct security_log_found found;
        unsigned denied;
};

static int aa_line(const char *line, const char *origin, void *userdata)
{
        _cleanup_(apparmor_record_done) struct apparmor_record a = {};
        struct aa_scan *s = userdata;
        int r;

        r = apparmor_record_parse(line, &a);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !security_log_recent(&s->found, a.seconds) ||
            !apparmor_record_relevant(&a, s->h->shared))
                return 0;
        s->denied++;
        return security_log_keep(&s->found, origin, line);
}

static int check_denials(struct check_ctx *ctx, const struct aa_host *h)
{
        _cleanup_free_ char *sources = NULL, *evidence = NULL;
        struct aa_scan s = {.h = h};
        bool truncated;
        int r;

        if (h->enabled <= 0)
                return emit(ctx, DENIALS_NOT_APPARMOR, NULL, "AppArmor is not on: it denies nothing");
        r = security_log_collect(ctx, aa_line, &s, &s.found, &sources, &evidence, &truncated);
        if (r == -ENOENT)
                return emit(ctx, DENIALS_NO_LOG, NULL, "neither %s nor the journal can be read",
                            PATH_AUDIT_LOG);
        if (r < 0)
                return r;
        if (s.denied && override_present(h))
                return emit(ctx, DENIALS_COVERED, evidence,
                            "%u earlier AppArmor denial%s on %s in %s, of what %s now allows", s.denied,
                            s.denied == 1 ? "" : "s", h->shared, sources, PATH_APPARMOR_QEMU_LOCAL);
        if (s.denied)
                return emit_hint(ctx, DENIALS_FOUND, HINT_VALUES("SHARED", h->shared), evidence,
                                 "%u AppArmor denial%s of guests on %s in %s%s", s.denied,
                                 s.denied == 1 ? "" : "s", h->shared, sources,
                                 truncated ? " (read up to the deadline)" : "");
        return emit(ctx, DENIALS_NONE, NULL, "no AppArmor denials of guests on %s in %s%s", h->shared,
                    sources, truncated ? " (read up to the deadline)" : "");
}

static int security_apparmor_check(struct check_ctx *ctx)
{
        _cleanup_(aa_host_done) struct aa_host h = {};
        _cleanup_free_ char *conf_error = NULL;
        int r;

        r = aa_host_read(ctx, &h, &conf_error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return emit(ctx, DRIVER_UNREADABLE, NULL, "cannot read %s: %s", PATH_QEMU_CONF,
                            conf_error ? conf_error : strerror(-r));
        r = check_enabled(ctx, &h);
        /* no AppArmor in the kernel: one line says so, the driver, guests and denials follow from it */
        if (r < 0 || h.enabled < 0)
                return r;
        r = check_driver(ctx, &h);
        if (r >= 0)
                r = check_guests(ctx, &h);
        if (r >= 0)
                r = check_denials(ctx, &h);
        return r;
}

/* The running guests' profiles, as files libvirt wrote: what apparmor_parser -r loads again so the
 * abstraction's new rules reach guests that run now (new guests get them when they start). */
static int loaded_guest_profiles(const struct check_ctx *ctx, const struct aa_host *h, char ***ret)
{
        _cleanup_(strv_freep) char **files = NULL;

        STRV_FOREACH (p, h->profiles) {
                _cleanup_free_ char *f = NULL;

                if (!startswith(*p, "libvirt-") || strchr(*p, '/'))
                        continue;
                f = strdup_printf("%s/%s", PATH_APPARMOR_LIBVIRT_DIR, *p);
                if (!f)
                        return -ENOMEM;
                if (path_exists(ctx, f) && strv_push(&files, TAKE_PTR(f)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(files);
        return 0;
}

/* One reload per running guest, redone on rollback only while the guest runs: libvirt removes the profile's
 * include (libvirt-UUID.files) when the guest stops, and the profile no longer parses without it. */
static int plan_reload(struct check_ctx *ctx, const struct aa_host *h, struct plan *plan)
{
        _cleanup_(strv_freep) char **files = NULL;
        int r;

        r = loaded_guest_profiles(ctx, h, &files);
        STRV_FOREACH (f, files) {
                _cleanup_free_ char *include = strdup_printf("%s.files", *f);
                char *argv[] = {(char *)"apparmor_parser", (char *)"--replace", *f, NULL};

                if (r < 0 || !include)
                        return r < 0 ? r : -ENOMEM;
                r = plan_command_redone_while(
                        plan, "security.apparmor", argv, include,
                        "the running guest's profile reads the new rules (apparmor_parser)");
        }
        return r;
}

/* The site's local abstraction with the shared path in it (kept as it is, the rules appended), then the
 * running guests' profiles reloaded. Never security_driver = "none", never AppArmor off. */
static int security_apparmor_fix(struct check_ctx *ctx, struct plan *plan)
{
        _cleanup_(aa_host_done) struct aa_host h = {};
        _cleanup_free_ char *after = NULL, *conf_error = NULL;
        int r;

        if (!check_gave(ctx, &security_apparmor_results[DENIALS_FOUND]) &&
            !check_gave(ctx, &security_apparmor_results[GUESTS_DENIED]))
                return 0;
        r = aa_host_read(ctx, &h, &conf_error);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        if (!h.rules)
                return emit(ctx, FIX_TEMPLATE_BROKEN, NULL, "cannot write the AppArmor rules: %s",
                            strna(h.template_error));
        if (override_present(&h))
                return plan_reload(ctx, &h, plan);
        after = strdup_printf("%s%s%s", strempty(h.override),
                              h.override && *h.override && !endswith(h.override, "\n") ? "\n" : "", h.rules);
        if (!after)
                return -ENOMEM;
        r = plan_write_file(
                plan, "security.apparmor", PATH_APPARMOR_QEMU_LOCAL, h.override, after, 0644,
                "every guest's profile includes it: guests may use their disks on the shared storage");
        return r < 0 ? r : plan_reload(ctx, &h, plan);
}

const struct unit unit_security_apparmor = {
        .id = "security.apparmor",
        .title = "AppArmor on, confining guests and allowing their disks on shared storage",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = security_apparmor_results,
        .n_results = ELEMENTSOF(security_apparmor_results),
        .check = security_apparmor_check,
        .fix = security_apparmor_fix,
};

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The executor of plans: lock, check every action, journal, change, log. Each change is one journalled
 * step (journalled_step()): its journal entry is durable before the change starts and marked done or
 * failed after, so a crash anywhere leaves what rollback.c needs. The state directory and the journal
 * are journal.c's; undoing is rollback.c's; commands run through command.c.
 */
#include "apply.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sys/wait.h>

#include "apply-internal.h"
#include "fw-actions.h"
#include "journal.h"
#include "json-util.h"
#include "libvirt-domain.h"
#include "pathlookup.h"
#include "rollback.h"
#include "selinux-boolean.h"
#include "strv.h"

#define JOURNAL_OUTPUT_MAX 4096 /* bytes of a command's output kept in the journal */

int apply_write_file(const struct hostfs *fs, const char *path, const void *data, size_t len, mode_t mode)
{
        return atomic_write_file(fs, path, data, len, mode);
}

/* ---- services, for apply and rollback ---- */

const char *no_bus_reason(const struct apply_options *o)
{
        return hostfs_is_live(o->fs) ? "no system bus: systemd is not running on this host"
                                     : "no system bus for the host below --root: its systemd is not running";
}

bool active_like(const char *s)
{
        return streq(s, "active") || streq(s, "reloading") || streq(s, "activating");
}

int service_do(sd_bus *bus, const char *service, enum service_op op, usec_t deadline, sd_bus_error *e)
{
        char *units[] = {(char *)service, NULL};
        static const enum service_job acts[] = {
                [SERVICE_START] = SERVICE_JOB_START,
                [SERVICE_STOP] = SERVICE_JOB_STOP,
                [SERVICE_RESTART] = SERVICE_JOB_RESTART,
                [SERVICE_RELOAD] = SERVICE_JOB_RELOAD,
        };
        int r;

        if (op == SERVICE_ENABLE || op == SERVICE_DISABLE) {
                r = op == SERVICE_ENABLE ? systemd_service_files_enable(bus, units, deadline, e)
                                         : systemd_service_files_disable(bus, units, deadline, e);
                return r < 0 ? r : 0;
        }
        return systemd_service_run_job(bus, service, acts[op], deadline, e);
}

/* ---- checking a plan before anything changes ---- */

/* What preflight learnt about one action, for executing it. */
struct pre {
        bool todo;
        bool after_same_unit; /* an earlier action changes its unit: its state is read again then */
        struct service_state unit;
};

/* Whether op still has something to do to a unit in state u. */
static bool service_todo(enum service_op op, const struct service_state *u)
{
        switch (op) {
        case SERVICE_ENABLE:
                return !streq(u->unit_file_state, "enabled");
        case SERVICE_DISABLE:
                return !streq(u->unit_file_state, "disabled");
        case SERVICE_START:
                return !active_like(u->active_state);
        case SERVICE_STOP:
                return !streq(u->active_state, "inactive") && !streq(u->active_state, "failed");
        default:
                return true;
        }
}

static int preflight_service(struct run *run, const struct action *a, struct apply_result *res,
                             struct pre *pre)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        const struct service_state *u = &pre->unit;
        int r;

        if (!run->o->bus) {
                result_set(res, APPLY_FAILED, "%s", no_bus_reason(run->o));
                return -ENOTCONN;
        }
        r = systemd_service_get_state(run->o->bus, a->service, run->deadline, &pre->unit, &e);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot read the state of %s: %s", a->service,
                           e.message ? e.message : strerror(-r));
                return r;
        }
        if (!streq(u->load_state, "loaded")) {
                result_set(res, APPLY_FAILED, "%s is %s", a->service, u->load_state);
                return -ENOENT;
        }
        pre->todo = service_todo(a->op, u);
        return 0;
}

static int preflight_write_file(struct run *run, const struct action *a, struct apply_result *res,
                                struct pre *pre)
{
        _cleanup_(file_state_done) struct file_state cur = {};
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = -1;
        int r;

        dfd = hostfs_open_parent(run->o->fs, a->path, &name);
        if (dfd == -ENOENT && !a->before) {
                pre->todo = true; /* its directory comes from an earlier mkdir, or the write fails */
                return 0;
        }
        r = dfd < 0 ? dfd : file_state_read_at(dfd, name, &cur);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot read %s: %s", a->path,
                           r == -ELOOP ? "it is a symlink; not replacing it" : strerror(-r));
                return r;
        }
        if (file_state_has_str(&cur, a->after))
                return 0;
        if (!file_state_has_str(&cur, a->before)) {
                result_set(res, APPLY_FAILED, "%s changed since the plan read it%s; not overwriting it",
                           a->path, a->before ? "" : " (it did not exist then)");
                return -ESTALE;
        }
        pre->todo = true;
        return 0;
}

static int preflight_mkdir(struct run *run, const struct action *a, struct apply_result *res,
                           struct pre *pre)
{
        struct stat st;
        int r;

        r = hostfs_stat(run->o->fs, a->path, &st);
        if (r >= 0 && !S_ISDIR(st.st_mode)) {
                result_set(res, APPLY_FAILED, "%s exists and is not a directory", a->path);
                return -ENOTDIR;
        }
        if (r < 0 && r != -ENOENT) {
                result_set(res, APPLY_FAILED, "cannot look at %s: %s", a->path, strerror(-r));
                return r;
        }
        pre->todo = r == -ENOENT;
        return 0;
}

static int preflight_command(struct run *run, const struct action *a, struct apply_result *res,
                             struct pre *pre)
{
        _cleanup_free_ char *exe = NULL;
        int r;

        r = path_find_executable(run->o->fs, NULL, a->argv[0], &exe);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot run %s: %s", a->argv[0],
                           r == -ENOENT ? "not found" : strerror(-r));
                return r;
        }
        pre->todo = true;
        return 0;
}

/* res FAILED with why libvirt did not do it; returns r. */
static int libvirt_failed(struct apply_result *res, const struct action *a, int r, const char *error)
{
        _cleanup_free_ char *why = libvirt_define_strerror(a->domain, a->uri, r, error);

        result_set(res, APPLY_FAILED, "%s", why ? why : strerror(-r));
        return r;
}

/* The domain's definition now; 1 when it is the plan's after already, -ESTALE (said in res, with stage:
 * "since the plan read it", "while applying") when it is not its before either. */
static int domain_as_planned(struct run *run, const struct action *a, struct apply_result *res,
                             const char *stage)
{
        _cleanup_free_ char *cur = NULL, *error = NULL;
        const struct libvirt_define read = {.uri = a->uri, .uuid = a->uuid};
        int r;

        if (!hostfs_is_live(run->o->fs)) {
                result_set(res, APPLY_FAILED,
                           "redefining domain %s needs the running host's libvirtd, not --root", a->domain);
                return -EOPNOTSUPP;
        }
        r = libvirt_domain_define(&read, libvirt_call_deadline(run->deadline), &cur, &error);
        if (r < 0)
                return libvirt_failed(res, a, r, error);
        if (streq(cur, a->after))
                return 1;
        if (!streq(cur, a->before)) {
                result_set(res, APPLY_FAILED, "domain %s changed %s; not redefining it", a->domain, stage);
                return -ESTALE;
        }
        return 0;
}

static int preflight_libvirt_define(struct run *run, const struct action *a, struct apply_result *res,
                                    struct pre *pre)
{
        int r = domain_as_planned(run, a, res, "since the plan read it");

        pre->todo = r == 0;
        return r < 0 ? r : 0;
}

/* res FAILED with why libsemanage did not read or set boolean name; returns r. */
static int sebool_failed(struct apply_result *res, const char *name, int r, const char *error)
{
        if (r == -ENOENT)
                result_set(res, APPLY_FAILED, "the SELinux policy has no boolean %s", name);
        else if (r == -ETIMEDOUT)
                result_set(res, APPLY_FAILED, "libsemanage gave no answer before the deadline");
        else
                result_set(res, APPLY_FAILED, "%s", error ? error : strerror(-r));
        return r;
}

/* The boolean's state now; 1 when it is what the action wants already. */
static int sebool_as_planned(struct run *run, const struct action *a, struct apply_result *res,
                             struct selinux_boolean_state *ret)
{
        _cleanup_free_ char *error = NULL;
        int r;

        r = selinux_boolean_read(hostfs_root(run->o->fs), a->boolean, run->deadline, ret, &error);
        if (r < 0)
                return sebool_failed(res, a->boolean, r, error);
        return ret->local && ret->local_value == a->boolean_value &&
               (!ret->running || ret->active == a->boolean_value);
}

static int preflight_selinux_boolean(struct run *run, const struct action *a, struct apply_result *res,
                                     struct pre *pre)
{
        struct selinux_boolean_state st;
        int r = sebool_as_planned(run, a, res, &st);

        pre->todo = r == 0;
        return r < 0 ? r : 0;
}

static int preflight(struct run *run, const struct action *a, struct apply_result *res, struct pre *pre)
{
        *pre = (struct pre){};
        switch (a->kind) {
        case ACTION_WRITE_FILE:
                return preflight_write_file(run, a, res, pre);
        case ACTION_MKDIR:
                return preflight_mkdir(run, a, res, pre);
        case ACTION_SERVICE:
                return preflight_service(run, a, res, pre);
        case ACTION_COMMAND:
                return preflight_command(run, a, res, pre);
        case ACTION_LIBVIRT_DEFINE:
                return preflight_libvirt_define(run, a, res, pre);
        case ACTION_SELINUX_BOOLEAN:
                return preflight_selinux_boolean(run, a, res, pre);
        case ACTION_NFT_LOAD:
        case ACTION_FIREWALLD:
                return fw_action_preflight(run, a, res, &pre->todo);
        default:
                return -EINVAL;
        }
}

static char *action_what(const struct action *a)
{
        _cleanup_free_ char *cmd = NULL;
        const char *unit = a->unit_id ? a->unit_id : "-";

        switch (a->kind) {
        case ACTION_WRITE_FILE:
                return strdup_printf("[%s] %s %s", unit, a->before ? "edit" : "create", a->path);
        case ACTION_MKDIR:
                return strdup_printf("[%s] mkdir %s", unit, a->path);
        case ACTION_SERVICE:
                return strdup_printf("[%s] %s %s", unit, service_op_to_string(a->op), a->service);
        case ACTION_COMMAND:
                cmd = plan_quote_argv(a->argv);
                return cmd ? strdup_printf("[%s] run %s", unit, cmd) : NULL;
        case ACTION_LIBVIRT_DEFINE:
                return strdup_printf("[%s] redefine domain %s", unit, a->domain);
        case ACTION_SELINUX_BOOLEAN:
                return strdup_printf("[%s] setsebool -P %s %s", unit, a->boolean,
                                     a->boolean_value ? "on" : "off");
        case ACTION_NFT_LOAD:
        case ACTION_FIREWALLD:
                return fw_action_what(a);
        default:
                return NULL;
        }
}

/* ---- carrying out one action: journal entry first, change, entry done ---- */

/* Makes the change an entry announces. On failure it says why in res (and may add what it learnt, a
 * command's output, to the entry, which is saved with the entry's "failed"). */
typedef int (*change_fn)(struct run *run, const struct action *a, json_object *entry, void *userdata,
                         struct apply_result *res);

/* One journalled step, the same for every action kind: entry (taken; NULL: -ENOMEM) is recorded as
 * pending and made durable, change is made, the entry is marked done or failed, and the change is logged
 * with done_message. */
static int journalled_step(struct run *run, const struct action *a, json_object *entry, change_fn change,
                           void *userdata, const struct log_fields *lf, const char *done_message,
                           struct apply_result *res)
{
        int r;

        if (!entry)
                return -ENOMEM;
        r = run_journal_add(run, entry);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot write the run journal: %s", strerror(-r));
                return r;
        }
        crash_point(run->o, "journal");
        r = change(run, a, entry, userdata, res);
        if (r < 0) {
                (void)entry_set_status(run, entry, "failed");
                return r;
        }
        r = entry_set_status(run, entry, "done");
        if (r < 0)
                return r;
        crash_point(run->o, "done");
        if (done_message)
                log_change(run->o, lf, "%s", done_message);
        result_set(res, APPLY_DONE, NULL);
        return 0;
}

/* An entry of kind for a with the string fields of keys_values (pairs, NULL-terminated; a NULL value
 * leaves its key out), or NULL on -ENOMEM. */
static json_object *entry_with(struct run *run, const char *kind, const struct action *a,
                               const char *const *keys_values)
{
        _cleanup_(json_object_putp) json_object *e = entry_new(run, kind, a);

        if (!e)
                return NULL;
        for (const char *const *kv = keys_values; kv[0]; kv += 2)
                if (json_add_string_opt(e, kv[0], kv[1]) < 0)
                        return NULL;
        return TAKE_PTR(e);
}

/* write-file: the directory, the names and what the new file keeps */
struct write_change {
        int dfd;
        const char *name, *tmp;
        struct file_meta meta;
};

static int change_write_file(struct run *run, const struct action *a, json_object *entry, void *userdata,
                             struct apply_result *res)
{
        const struct write_change *w = userdata;
        const struct atomic_hook hook = {run->o->crash_point, run->o->userdata};
        int r;

        r = atomic_write_at(w->dfd, w->name, w->tmp, a->after, strlen(a->after), &w->meta, &hook);
        if (r < 0)
                result_set(res, APPLY_FAILED, "cannot write %s: %s", a->path, strerror(-r));
        return r;
}

/* files/NAME of the run: a private copy of text. */
static int keep_text(struct run *run, const char *name, const char *data, size_t len)
{
        return atomic_write_at(run->files_fd, name, ".tmp", data, len, &run_private_meta, NULL);
}

/* Copies in the run's files/ of the file as it was (when it existed) and as it will be: rollback restores
 * the one and tells by the other whether someone edited the file since. */
static int keep_copies(struct run *run, const struct action *a, const struct file_state *cur,
                       const char *old_name, const char *new_name, struct apply_result *res)
{
        int r;

        if (cur->exists) {
                r = keep_text(run, old_name, cur->data, cur->len);
                if (r < 0) {
                        result_set(res, APPLY_FAILED, "cannot back up %s: %s", a->path, strerror(-r));
                        return r;
                }
        }
        r = keep_text(run, new_name, a->after, strlen(a->after));
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot keep a copy of the new %s: %s", a->path, strerror(-r));
                return r;
        }
        crash_point(run->o, "backup");
        return 0;
}

static json_object *write_file_entry(struct run *run, const struct action *a, const struct file_state *cur,
                                     const struct write_change *w, const char *old_name,
                                     const char *new_name)
{
        _cleanup_(json_object_putp) json_object *e =
                entry_with(run, "write-file", a,
                           (const char *const[]){"path", a->path, "temp", w->tmp, "new", new_name, NULL});

        if (!e || json_add_bool(e, "existed", cur->exists) < 0)
                return NULL;
        if (cur->exists &&
            (json_add_string_opt(e, "backup", old_name) < 0 || json_add_mode(e, w->meta.mode) < 0 ||
             json_add_int(e, "uid", w->meta.uid) < 0 || json_add_int(e, "gid", w->meta.gid) < 0 ||
             json_add_string_opt(e, "label", w->meta.label) < 0))
                return NULL;
        return TAKE_PTR(e);
}

static int exec_write_file(struct run *run, const struct action *a, struct apply_result *res)
{
        _cleanup_(file_state_done) struct file_state cur = {};
        _cleanup_free_ char *name = NULL, *tmp = NULL, *old_name = NULL, *new_name = NULL, *msg = NULL;
        _cleanup_close_ int dfd = -1;
        size_t seq = json_object_array_length(run->entries) + 1;
        struct write_change w;
        int r;

        dfd = hostfs_open_parent_for_write(run->o->fs, a->path, &name);
        if (dfd < 0) {
                result_set(res, APPLY_FAILED, "cannot open the directory of %s: %s", a->path,
                           strerror(-dfd));
                return dfd;
        }
        r = file_state_read_at(dfd, name, &cur);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot read %s: %s", a->path, strerror(-r));
                return r;
        }
        /* under the lock, but someone outside hostprep may still have edited it since preflight */
        if (file_state_has_str(&cur, a->after)) {
                result_set(res, APPLY_UNCHANGED, NULL);
                return 0;
        }
        if (!file_state_has_str(&cur, a->before)) {
                result_set(res, APPLY_FAILED, "%s changed while applying; not overwriting it", a->path);
                return -ESTALE;
        }
        tmp = atomic_temp_name(name);
        old_name = strdup_printf("%zu.old", seq);
        new_name = strdup_printf("%zu.new", seq);
        msg = strdup_printf("%s %s", cur.exists ? "edited" : "created", a->path);
        if (!tmp || !old_name || !new_name || !msg)
                return -ENOMEM;
        r = keep_copies(run, a, &cur, old_name, new_name, res);
        if (r < 0)
                return r;
        w = (struct write_change){.dfd = dfd, .name = name, .tmp = tmp, .meta = {.mode = a->mode}};
        if (cur.exists)
                w.meta = file_meta_of(&cur);
        w.meta.label_path = hostfs_is_live(run->o->fs) ? a->path : NULL;
        return journalled_step(
                run, a, write_file_entry(run, a, &cur, &w, old_name, new_name), change_write_file, &w,
                &(struct log_fields){run->id, a->unit_id, cur.exists ? "edit" : "create", a->path, NULL},
                msg, res);
}

/* The directories of path that do not exist yet, parents first: the ones rollback may remove. */
static json_object *missing_dirs(const struct hostfs *fs, const char *path)
{
        _cleanup_(json_object_putp) json_object *created = json_object_new_array();
        _cleanup_free_ char *p = strdup(path);
        struct stat st;

        if (!created || !p)
                return NULL;
        for (char *s = p + 1;; s++) {
                bool last = !*s;

                if (*s != '/' && !last)
                        continue;
                *s = '\0';
                if (hostfs_stat(fs, p, &st) == -ENOENT && json_append_string(created, p) < 0)
                        return NULL;
                if (last)
                        break;
                *s = '/';
        }
        return TAKE_PTR(created);
}

static int change_mkdir(struct run *run, const struct action *a, json_object *entry, void *userdata,
                        struct apply_result *res)
{
        json_object *created = json_get(entry, "created");
        size_t n = json_object_array_length(created);

        for (size_t i = 0; i < n; i++) {
                const char *d = json_object_get_string(json_object_array_get_idx(created, i));
                int r = hostfs_mkdir(run->o->fs, d, i + 1 == n ? a->mode : 0755);

                if (r < 0 && r != -EEXIST) {
                        result_set(res, APPLY_FAILED, "cannot create %s: %s", d, strerror(-r));
                        return r;
                }
        }
        return 0;
}

static int exec_mkdir(struct run *run, const struct action *a, struct apply_result *res)
{
        _cleanup_(json_object_putp) json_object *e =
                entry_with(run, "mkdir", a, (const char *const[]){"path", a->path, NULL});
        _cleanup_free_ char *msg = strdup_printf("created %s", a->path);
        json_object *created = e ? missing_dirs(run->o->fs, a->path) : NULL;

        if (!msg || !created || json_add(e, "created", created) < 0)
                return -ENOMEM;
        return journalled_step(run, a, TAKE_PTR(e), change_mkdir, NULL,
                               &(struct log_fields){run->id, a->unit_id, "mkdir", a->path, NULL}, msg, res);
}

static int change_service(struct run *run, const struct action *a, json_object *entry, void *userdata,
                          struct apply_result *res)
{
        _cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
        int r;

        r = service_do(run->o->bus, a->service, a->op, run->deadline, &err);
        if (r < 0)
                result_set(res, APPLY_FAILED, "%s %s: %s", service_op_to_string(a->op), a->service,
                           err.message ? err.message : strerror(-r));
        return r;
}

static int exec_service(struct run *run, const struct action *a, const struct pre *pre,
                        struct apply_result *res)
{
        _cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
        const char *op = service_op_to_string(a->op);
        _cleanup_free_ char *msg = strdup_printf("%s %s", op, a->service);
        struct service_state u = pre->unit;
        json_object *e;

        /* a start after a stop of the same unit: what it changes, and so what a rollback puts back, is
         * the state the earlier action left, not the one preflight saw */
        if (pre->after_same_unit) {
                int r = systemd_service_get_state(run->o->bus, a->service, run->deadline, &u, &err);

                if (r < 0) {
                        result_set(res, APPLY_FAILED, "cannot read the state of %s: %s", a->service,
                                   err.message ? err.message : strerror(-r));
                        return r;
                }
                if (!service_todo(a->op, &u)) {
                        result_set(res, APPLY_UNCHANGED, NULL);
                        return 0;
                }
        }
        e = entry_with(run, "service", a,
                       (const char *const[]){"service", a->service, "op", op, "previous_unit_file_state",
                                             u.unit_file_state, "previous_active_state", u.active_state,
                                             NULL});
        if (!msg) {
                json_object_put(e);
                return -ENOMEM;
        }
        return journalled_step(run, a, e, change_service, NULL,
                               &(struct log_fields){run->id, a->unit_id, op, NULL, a->service}, msg, res);
}

static int change_command(struct run *run, const struct action *a, json_object *entry, void *userdata,
                          struct apply_result *res)
{
        int r, status = 0;

        r = apply_run_command(run->o->fs, a->argv, run->deadline, &status, &res->output);
        if (res->output) {
                _cleanup_free_ char *tail = strndup(res->output, JOURNAL_OUTPUT_MAX);
                (void)json_add_string_opt(entry, "output", tail);
        }
        if (r >= 0)
                (void)json_add_int(entry, "wait_status", status);
        if (r >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (r == -ETIMEDOUT)
                result_set(res, APPLY_FAILED, "killed at the deadline");
        else if (r < 0)
                result_set(res, APPLY_FAILED, "cannot run it: %s", strerror(-r));
        else if (WIFEXITED(status))
                result_set(res, APPLY_FAILED, "exited with status %d", WEXITSTATUS(status));
        else
                result_set(res, APPLY_FAILED, "killed by signal %d", WTERMSIG(status));
        return r < 0 ? r : -EIO;
}

static int exec_command(struct run *run, const struct action *a, struct apply_result *res)
{
        _cleanup_(json_object_putp) json_object *e = entry_new(run, "command", a), *argv = NULL;
        _cleanup_free_ char *cmd = plan_quote_argv(a->argv), *msg = NULL;

        msg = cmd ? strdup_printf("ran %s", cmd) : NULL;
        if (!msg || !e || json_strv_to_array(a->argv, &argv) < 0 || json_add(e, "argv", TAKE_PTR(argv)) < 0)
                return -ENOMEM;
        if (a->redo_on_rollback && json_add_bool(e, "redo_on_rollback", true) < 0)
                return -ENOMEM;
        if (a->path && json_add_string_opt(e, "while", a->path) < 0)
                return -ENOMEM;
        return journalled_step(run, a, TAKE_PTR(e), change_command, NULL,
                               &(struct log_fields){run->id, a->unit_id, "run", NULL, NULL}, msg, res);
}

static int change_libvirt_define(struct run *run, const struct action *a, json_object *entry, void *userdata,
                                 struct apply_result *res)
{
        const char *const expect[] = {a->before, NULL};
        const struct libvirt_define d = {.uri = a->uri, .uuid = a->uuid, .expect = expect, .want = a->after};
        _cleanup_free_ char *now = NULL, *error = NULL, *name = NULL;
        int r;

        r = libvirt_domain_define(&d, libvirt_call_deadline(run->deadline), &now, &error);
        if (r == -ESTALE) {
                result_set(res, APPLY_FAILED, "domain %s changed while applying; not redefining it",
                           a->domain);
                return r;
        }
        if (r < 0)
                return libvirt_failed(res, a, r, error);
        /* libvirt may keep it formatted its own way: rollback knows it by this copy too (without it, when
         * the copy cannot be written, rollback asks for --force) */
        if (r == 0 && !streq(now, a->after)) {
                name = strdup_printf("%" PRIi64 ".defined", json_get_int(entry, "seq", 0));
                if (name && keep_text(run, name, now, strlen(now)) >= 0)
                        (void)json_add_string(entry, "defined", name);
        }
        return 0;
}

static int exec_libvirt_define(struct run *run, const struct action *a, struct apply_result *res)
{
        size_t seq = json_object_array_length(run->entries) + 1;
        _cleanup_free_ char *old_name = strdup_printf("%zu.old", seq),
                            *new_name = strdup_printf("%zu.new", seq);
        _cleanup_free_ char *msg = strdup_printf("redefined domain %s (%s)", a->domain, a->uri);
        int r;

        if (!old_name || !new_name || !msg)
                return -ENOMEM;
        /* under the lock, but virsh may still have changed it since preflight */
        r = domain_as_planned(run, a, res, "while applying");
        if (r != 0) {
                if (r > 0)
                        result_set(res, APPLY_UNCHANGED, NULL);
                return r < 0 ? r : 0;
        }
        r = keep_text(run, old_name, a->before, strlen(a->before));
        if (r >= 0)
                r = keep_text(run, new_name, a->after, strlen(a->after));
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot keep copies of domain %s's XML: %s", a->domain,
                           strerror(-r));
                return r;
        }
        crash_point(run->o, "backup");
        return journalled_step(
                run, a,
                entry_with(run, "libvirt-define", a,
                           (const char *const[]){"uri", a->uri, "domain", a->domain, "uuid", a->uuid,
                                                 "backup", old_name, "new", new_name, NULL}),
                change_libvirt_define, NULL, &(struct log_fields){run->id, a->unit_id, "define", NULL, NULL},
                msg, res);
}

static int change_selinux_boolean(struct run *run, const struct action *a, json_object *entry,
                                  void *userdata, struct apply_result *res)
{
        _cleanup_free_ char *error = NULL;
        int r;

        r = selinux_boolean_write(hostfs_root(run->o->fs), a->boolean, true, a->boolean_value,
                                  a->boolean_value, run->deadline, &error);
        return r < 0 ? sebool_failed(res, a->boolean, r, error) : 0;
}

/* Journalled with the store's and the kernel's values before, which rollback puts back. */
static int exec_selinux_boolean(struct run *run, const struct action *a, struct apply_result *res)
{
        _cleanup_(json_object_putp) json_object *e = NULL;
        _cleanup_free_ char *msg = NULL;
        struct selinux_boolean_state st;
        int r;

        r = sebool_as_planned(run, a, res, &st);
        if (r != 0) {
                if (r > 0)
                        result_set(res, APPLY_UNCHANGED, NULL);
                return r < 0 ? r : 0;
        }
        e = entry_with(run, "selinux-boolean", a, (const char *const[]){"boolean", a->boolean, NULL});
        msg = strdup_printf("set SELinux boolean %s %s (persistent)", a->boolean,
                            a->boolean_value ? "on" : "off");
        if (!e || !msg || json_add_bool(e, "value", a->boolean_value) < 0 ||
            json_add_bool(e, "previous_local", st.local) < 0 ||
            json_add_bool(e, "previous_local_value", st.local_value) < 0 ||
            json_add_bool(e, "previous_running", st.running) < 0 ||
            json_add_bool(e, "previous_active", st.active) < 0)
                return -ENOMEM;
        return journalled_step(run, a, TAKE_PTR(e), change_selinux_boolean, NULL,
                               &(struct log_fields){run->id, a->unit_id, "setsebool", NULL, NULL}, msg, res);
}

static int change_fw(struct run *run, const struct action *a, json_object *entry, void *userdata,
                     struct apply_result *res)
{
        return fw_action_change(run, a, entry, res);
}

/* nft-load and firewalld (provision/fw-actions.c), journalled as every action is. */
static int exec_fw(struct run *run, const struct action *a, struct apply_result *res)
{
        _cleanup_free_ char *msg = fw_action_what(a);
        json_object *e = entry_with(run, action_kind_to_string(a->kind), a,
                                    (const char *const[]){"zone", a->zone, "item", a->item, "value",
                                                          a->value, "after", a->after, NULL});

        if (!msg) {
                json_object_put(e);
                return -ENOMEM;
        }
        return journalled_step(
                run, a, e, change_fw, NULL,
                &(struct log_fields){run->id, a->unit_id, action_kind_to_string(a->kind), NULL, NULL}, msg,
                res);
}

static int exec_action(struct run *run, const struct action *a, const struct pre *pre,
                       struct apply_result *res)
{
        switch (a->kind) {
        case ACTION_WRITE_FILE:
                return exec_write_file(run, a, res);
        case ACTION_MKDIR:
                return exec_mkdir(run, a, res);
        case ACTION_SERVICE:
                return exec_service(run, a, pre, res);
        case ACTION_COMMAND:
                return exec_command(run, a, res);
        case ACTION_LIBVIRT_DEFINE:
                return exec_libvirt_define(run, a, res);
        case ACTION_SELINUX_BOOLEAN:
                return exec_selinux_boolean(run, a, res);
        case ACTION_NFT_LOAD:
        case ACTION_FIREWALLD:
                return exec_fw(run, a, res);
        default:
                return -EINVAL;
        }
}

/* ---- a whole plan ---- */

/* Whether an earlier action of the plan that is to be done acts on the same unit as action i. */
static bool after_same_unit(const struct plan *plan, const struct pre *pres, size_t i)
{
        const struct action *a = &plan->actions[i];

        for (size_t k = 0; k < i; k++)
                if (pres[k].todo && plan->actions[k].kind == ACTION_SERVICE &&
                    streq(plan->actions[k].service, a->service))
                        return true;
        return false;
}

/* Checks every action before the first change: what is to do goes to pres[], what is refused to the
 * report. Returns the first refusal (then nothing was changed, and the report says so). A service
 * action after another on its unit is to do: its state then is what the earlier one leaves. */
static int apply_preflight(struct run *run, const struct plan *plan, struct pre *pres,
                           struct apply_report *report, size_t *ret_n_todo)
{
        const struct apply_options *o = run->o;
        size_t n_todo = 0;
        int r, first = 0;

        for (size_t i = 0; i < plan->n_actions; i++) {
                const struct action *a = &plan->actions[i];
                struct apply_result *res = &report->results[i];

                if (a->disruption && !o->force) {
                        result_set(res, APPLY_SKIPPED, "disruptive (%s): needs --force", a->disruption);
                        continue;
                }
                r = preflight(run, a, res, &pres[i]);
                if (r < 0) {
                        if (!first)
                                first = r;
                        continue;
                }
                if (a->kind == ACTION_SERVICE && after_same_unit(plan, pres, i)) {
                        pres[i].after_same_unit = true;
                        pres[i].todo = true;
                }
                if (pres[i].todo) {
                        n_todo++;
                        result_set(res, o->dry_run ? APPLY_PLANNED : APPLY_NOT_RUN, NULL);
                } else
                        result_set(res, APPLY_UNCHANGED, NULL);
        }
        if (first < 0) {
                for (size_t i = 0; i < plan->n_actions; i++)
                        if (pres[i].todo && !o->dry_run)
                                result_set(&report->results[i], APPLY_NOT_RUN, "nothing was changed");
                report_error(report, "%s; nothing was changed",
                             first == -ESTALE ? "a file changed since the plan was made"
                                              : "an action cannot be carried out");
                return first;
        }
        *ret_n_todo = n_todo;
        return 0;
}

/* Carries out what preflight found to do, in order, stopping at the first failure (*ret_failed_at;
 * SIZE_MAX when none failed). */
static int apply_execute(struct run *run, const struct plan *plan, const struct pre *pres,
                         struct apply_report *report, size_t *ret_failed_at)
{
        int first = 0;

        *ret_failed_at = SIZE_MAX;
        for (size_t i = 0; i < plan->n_actions; i++) {
                struct apply_result *res = &report->results[i];
                int r;

                if (!pres[i].todo)
                        continue;
                if (*ret_failed_at != SIZE_MAX) {
                        result_set(res, APPLY_NOT_RUN, "an earlier action failed");
                        continue;
                }
                if (run->o->interrupted && *run->o->interrupted) {
                        result_set(res, APPLY_NOT_RUN, "interrupted");
                        report_error(report, "interrupted before %s; what was done is undone", res->what);
                        *ret_failed_at = i;
                        first = -EINTR;
                        continue;
                }
                r = exec_action(run, &plan->actions[i], &pres[i], res);
                if (r < 0) {
                        if (res->status != APPLY_FAILED)
                                result_set(res, APPLY_FAILED, "%s", strerror(-r));
                        *ret_failed_at = i;
                        first = r;
                }
        }
        return first;
}

/* After action failed_at failed with error: the run is marked failed and, unless keep_on_failure, rolled
 * back at once. Returns error. */
static int apply_failed(struct run *run, struct apply_report *report, size_t failed_at, int error)
{
        int r;

        (void)run_set_state(run, "failed");
        report_error(report, "%s: %s", report->results[failed_at].what,
                     strna(report->results[failed_at].reason));
        if (run->o->keep_on_failure)
                return error;
        r = rollback_run(run, false, report);
        if (r < 0) {
                char *s = strdup_printf("%s; undoing the run failed too (hostprep rollback %s)",
                                        report->error, run->id);
                if (s) {
                        free(report->error);
                        report->error = s;
                }
        }
        return error;
}

static int apply_succeeded(struct run *run, struct apply_report *report)
{
        int r;

        r = run_set_state(run, "applied");
        if (r < 0) {
                report_error(report, "the changes are made, but the journal could not be closed: %s",
                             strerror(-r));
                return r;
        }
        log_change(run->o, &(struct log_fields){.run = run->id}, "run %s applied", run->id);
        return 0;
}

int apply_plan(const struct plan *plan, const struct apply_options *o, struct apply_report *report)
{
        _cleanup_(run_done) struct run run;
        _cleanup_free_ struct pre *pres = NULL;
        size_t n_todo = 0, failed_at;
        int r;

        run_init(&run, o);
        for (size_t i = 0; i < plan->n_actions; i++)
                if (!report_add(report, APPLY_NOT_RUN, action_what(&plan->actions[i])))
                        return -ENOMEM;
        pres = calloc(plan->n_actions + 1, sizeof(*pres));
        if (!pres)
                return -ENOMEM;
        if (!o->dry_run) {
                r = run_open_state(&run, true, report);
                if (r >= 0)
                        r = run_lock(&run, report);
                if (r < 0)
                        return r;
        }
        r = apply_preflight(&run, plan, pres, report, &n_todo);
        if (r < 0 || o->dry_run || n_todo == 0)
                return r;
        if (o->interrupted && *o->interrupted) {
                report_error(report, "interrupted; nothing was changed");
                return -EINTR;
        }

        r = run_create(&run, report);
        if (r < 0) {
                report_error(report, "cannot record the run in %s/runs: %s; nothing was changed",
                             state_dir(o), strerror(-r));
                return r;
        }
        r = apply_execute(&run, plan, pres, report, &failed_at);
        r = failed_at != SIZE_MAX ? apply_failed(&run, report, failed_at, r) : apply_succeeded(&run, report);
        /* still under the lock; a failure to prune is logged, the run's result stays what it was */
        (void)run_prune(&run, time(NULL), NULL);
        return r;
}

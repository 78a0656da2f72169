/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Undoing a run from its journal, newest entry first: files restored with their mode, owner and label,
 * created files and directories removed, services put back. */
#include <fcntl.h>
#include <sys/wait.h>

#include "command.h"
#include "fw-actions.h"
#include "journal.h"
#include "json-util.h"
#include "libvirt-domain.h"
#include "rollback.h"
#include "selinux-boolean.h"
#include "strv.h"

/* The contents of files/NAME of the run, as a file_state. */
static int run_file(struct run *run, const char *name, struct file_state *ret)
{
        if (!name || strchr(name, '/'))
                return -EBADMSG;
        return file_state_read_at(run->files_fd, name, ret);
}

/* Whether a write-file entry can be undone without losing someone's later edit. */
static int check_undo_file(struct run *run, json_object *e, char **ret_reason)
{
        _cleanup_(file_state_done) struct file_state cur = {}, old = {}, new = {};
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = -1;
        const char *path = json_get_string(e, "path");
        bool existed = json_get_bool(e, "existed");
        int r;

        if (!path)
                return -EBADMSG;
        dfd = hostfs_open_parent(run->o->fs, path, &name);
        if (dfd == -ENOENT)
                return 0; /* nothing there: nothing to lose */
        r = dfd < 0 ? dfd : file_state_read_at(dfd, name, &cur);
        if (r < 0) {
                *ret_reason = strdup_printf("cannot read %s: %s", path, strerror(-r));
                return r;
        }
        r = run_file(run, json_get_string(e, "new"), &new);
        if (r >= 0 && existed)
                r = run_file(run, json_get_string(e, "backup"), &old);
        if (r < 0 || (existed && !old.exists)) {
                *ret_reason = strdup_printf("the run's copies of %s are missing", path);
                return r < 0 ? r : -ENOENT;
        }
        if (!cur.exists || (new.exists &&file_state_has(&cur, new.data, new.len)) ||
            (existed && file_state_has(&cur, old.data, old.len)))
                return 0;
        *ret_reason = strdup_printf(
                "%s was changed after the run; not overwriting it (--force to restore it anyway)", path);
        return -ESTALE;
}

static int undo_file(struct run *run, json_object *e, struct apply_result *res)
{
        _cleanup_(file_state_done) struct file_state cur = {}, old = {};
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = -1;
        const char *path = json_get_string(e, "path"), *temp = json_get_string(e, "temp");
        struct file_meta m;
        int r;

        dfd = hostfs_open_parent_for_write(run->o->fs, path, &name);
        if (dfd == -ENOENT && !json_get_bool(e, "existed")) {
                result_set(res, APPLY_UNCHANGED, NULL);
                return 0;
        }
        if (dfd < 0) {
                result_set(res, APPLY_FAILED, "cannot open the directory of %s: %s", path, strerror(-dfd));
                return dfd;
        }
        /* a run killed while writing leaves its temporary file */
        if (temp && !strchr(temp, '/') && unlinkat(dfd, temp, 0) >= 0)
                (void)fsync(dfd);
        r = file_state_read_at(dfd, name, &cur);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot read %s: %s", path, strerror(-r));
                return r;
        }
        if (!json_get_bool(e, "existed")) {
                if (!cur.exists) {
                        result_set(res, APPLY_UNCHANGED, NULL);
                        return 0;
                }
                if (unlinkat(dfd, name, 0) < 0 || fsync(dfd) < 0) {
                        r = -errno;
                        result_set(res, APPLY_FAILED, "cannot remove %s: %s", path, strerror(-r));
                        return r;
                }
                result_set(res, APPLY_DONE, NULL);
                return 0;
        }
        r = run_file(run, json_get_string(e, "backup"), &old);
        if (r < 0 || !old.exists) {
                result_set(res, APPLY_FAILED, "the backup of %s is missing", path);
                return r < 0 ? r : -ENOENT;
        }
        m = (struct file_meta){
                .keep_owner = true,
                .mode = json_mode(e),
                .uid = (uid_t)json_get_int(e, "uid", 0),
                .gid = (gid_t)json_get_int(e, "gid", 0),
                .label = json_get_string(e, "label"),
                .label_path = hostfs_is_live(run->o->fs) ? path : NULL,
        };
        if (file_state_has(&cur, old.data, old.len) && (cur.st.st_mode & 07777) == m.mode &&
            cur.st.st_uid == m.uid && cur.st.st_gid == m.gid) {
                result_set(res, APPLY_UNCHANGED, NULL);
                return 0;
        }
        r = atomic_write_at(dfd, name, temp ? temp : ".#hostprep.restore", old.data, old.len, &m, NULL);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot restore %s: %s", path, strerror(-r));
                return r;
        }
        result_set(res, APPLY_DONE, NULL);
        return 0;
}

/* A libvirt-define entry's copies (files/ of the run): the definition before, the XML defined, and (when
 * libvirt formatted it its own way) the definition it kept; the first two are required. */
struct domain_copies {
        struct file_state old, new, defined;
};

static void domain_copies_done(struct domain_copies *c)
{
        file_state_done(&c->old);
        file_state_done(&c->new);
        file_state_done(&c->defined);
}

static int domain_copies_read(struct run *run, json_object *e, struct domain_copies *c)
{
        const char *defined = json_get_string(e, "defined");
        int r;

        r = run_file(run, json_get_string(e, "backup"), &c->old);
        if (r >= 0)
                r = run_file(run, json_get_string(e, "new"), &c->new);
        if (r >= 0 && defined)
                r = run_file(run, defined, &c->defined);
        if (r >= 0 && (!c->old.exists || !c->new.exists))
                r = -ENOENT;
        return r;
}

/* Whether a libvirt-define entry can be undone without losing someone's later change of the domain: its
 * definition is still what the run defined (or already the one before). */
static int check_undo_domain(struct run *run, json_object *e, char **ret_reason)
{
        _cleanup_(domain_copies_done) struct domain_copies c = {};
        _cleanup_free_ char *cur = NULL, *error = NULL;
        const char *domain = strna(json_get_string(e, "domain")), *uri = strna(json_get_string(e, "uri"));
        const struct libvirt_define read = {.uri = uri, .uuid = json_get_string(e, "uuid")};
        int r;

        if (!read.uuid)
                return -EBADMSG;
        r = domain_copies_read(run, e, &c);
        if (r < 0) {
                *ret_reason = strdup_printf("the run's copies of domain %s's XML are missing", domain);
                return r;
        }
        r = libvirt_domain_define(&read, libvirt_call_deadline(run->deadline), &cur, &error);
        if (r < 0) {
                *ret_reason = libvirt_define_strerror(domain, uri, r, error);
                return r;
        }
        if (file_state_has_str(&c.new, cur) || file_state_has_str(&c.old, cur) ||
            (c.defined.exists && file_state_has_str(&c.defined, cur)))
                return 0;
        *ret_reason = strdup_printf(
                "domain %s was changed after the run; not redefining it (--force to restore it anyway)",
                domain);
        return -ESTALE;
}

static int undo_domain(struct run *run, json_object *e, struct apply_result *res)
{
        _cleanup_(domain_copies_done) struct domain_copies c = {};
        _cleanup_free_ char *error = NULL, *why = NULL;
        const char *domain = strna(json_get_string(e, "domain")), *uri = strna(json_get_string(e, "uri"));
        struct libvirt_define d = {.uri = uri, .uuid = json_get_string(e, "uuid")};
        int r;

        r = d.uuid ? domain_copies_read(run, e, &c) : -EBADMSG;
        if (r < 0) {
                result_set(res, APPLY_FAILED, "the run's copies of domain %s's XML are missing", domain);
                return r;
        }
        /* checked before the first undo (rollback_check_files), or --force */
        d.want = c.old.data;
        r = libvirt_domain_define(&d, libvirt_call_deadline(run->deadline), NULL, &error);
        if (r < 0) {
                why = libvirt_define_strerror(domain, uri, r, error);
                result_set(res, APPLY_FAILED, "%s", why ? why : strerror(-r));
                return r;
        }
        result_set(res, r == 1 ? APPLY_UNCHANGED : APPLY_DONE, NULL);
        return 0;
}

static int undo_mkdir(struct run *run, json_object *e, struct apply_result *res)
{
        json_object *created;
        size_t kept = 0, removed = 0;

        if (!json_object_object_get_ex(e, "created", &created) ||
            !json_object_is_type(created, json_type_array))
                return -EBADMSG;
        for (size_t i = json_object_array_length(created); i-- > 0;) {
                const char *d = json_object_get_string(json_object_array_get_idx(created, i));
                int r = d && d[0] == '/' ? hostfs_unlink(run->o->fs, d, AT_REMOVEDIR) : -EBADMSG;

                if (r >= 0)
                        removed++;
                else if (r == -ENOTEMPTY || r == -EEXIST)
                        kept++;
                else if (r != -ENOENT) {
                        result_set(res, APPLY_FAILED, "cannot remove %s: %s", d, strerror(-r));
                        return r;
                }
        }
        if (kept)
                result_set(res, removed ? APPLY_DONE : APPLY_SKIPPED, "kept %zu director%s not empty", kept,
                           kept == 1 ? "y:" : "ies:");
        else
                result_set(res, removed ? APPLY_DONE : APPLY_UNCHANGED, NULL);
        return 0;
}

/* A restart (reload) cannot be taken back, but what it made the service read can: rollback does it again
 * once every file is back (rollback_entries() leaves them for last), so the service runs with the old
 * files. A service that does not run now reads them when it starts. */
static int redo_service(struct run *run, const char *service, enum service_op op, struct apply_result *res)
{
        _cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
        struct service_state now;
        int r;

        if (!run->o->bus) {
                result_set(res, APPLY_FAILED, "%s", no_bus_reason(run->o));
                return -ENOTCONN;
        }
        r = systemd_service_get_state(run->o->bus, service, run->deadline, &now, &err);
        if (r >= 0 && !active_like(now.active_state)) {
                result_set(res, APPLY_UNCHANGED, NULL);
                return 0;
        }
        if (r >= 0)
                r = service_do(run->o->bus, service, op, run->deadline, &err);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "%s %s: %s", service_op_to_string(op), service,
                           err.message ? err.message : strerror(-r));
                return r;
        }
        result_set(res, APPLY_DONE, NULL);
        return 0;
}

static int undo_service(struct run *run, json_object *e, struct apply_result *res)
{
        _cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
        const char *service = json_get_string(e, "service"), *op = strempty(json_get_string(e, "op"));
        const char *file = strempty(json_get_string(e, "previous_unit_file_state"));
        const char *active = strempty(json_get_string(e, "previous_active_state"));
        struct service_state now;
        enum service_op undo;
        int r;

        if (!service)
                return -EBADMSG;
        if (streq(op, "enable") && streq(file, "disabled"))
                undo = SERVICE_DISABLE;
        else if (streq(op, "disable") && streq(file, "enabled"))
                undo = SERVICE_ENABLE;
        else if (streq(op, "start") && !active_like(active))
                undo = SERVICE_STOP;
        else if (streq(op, "stop") && active_like(active))
                undo = SERVICE_START;
        else if (streq(op, "restart") || streq(op, "reload"))
                return redo_service(run, service, streq(op, "restart") ? SERVICE_RESTART : SERVICE_RELOAD,
                                    res);
        else {
                result_set(res, APPLY_SKIPPED, "%s was %s/%s before: nothing to put back", service, file,
                           active);
                return 0;
        }
        if (!run->o->bus) {
                result_set(res, APPLY_FAILED, "%s", no_bus_reason(run->o));
                return -ENOTCONN;
        }
        r = systemd_service_get_state(run->o->bus, service, run->deadline, &now, &err);
        if (r >= 0) {
                bool already = undo == SERVICE_DISABLE  ? streq(now.unit_file_state, "disabled")
                               : undo == SERVICE_ENABLE ? streq(now.unit_file_state, "enabled")
                               : undo == SERVICE_STOP   ? !active_like(now.active_state)
                                                        : active_like(now.active_state);
                if (already) {
                        result_set(res, APPLY_UNCHANGED, NULL);
                        return 0;
                }
                r = service_do(run->o->bus, service, undo, run->deadline, &err);
        }
        if (r < 0) {
                result_set(res, APPLY_FAILED, "%s %s: %s", service_op_to_string(undo), service,
                           err.message ? err.message : strerror(-r));
                return r;
        }
        result_set(res, APPLY_DONE, NULL);
        return 0;
}

/* The boolean's local value in the store as it was (or none), and its runtime value when SELinux ran. */
static int undo_selinux_boolean(struct run *run, json_object *e, struct apply_result *res)
{
        _cleanup_free_ char *error = NULL;
        const char *name = json_get_string(e, "boolean");
        int r;

        if (!name)
                return -EBADMSG;
        r = selinux_boolean_write(hostfs_root(run->o->fs), name, json_get_bool(e, "previous_local"),
                                  json_get_bool(e, "previous_local_value"),
                                  json_get_bool(e, "previous_active"), run->deadline, &error);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot set SELinux boolean %s back: %s", name,
                           error ? error : strerror(-r));
                return r;
        }
        result_set(res, APPLY_DONE, NULL);
        return 0;
}

/* A reload a fix ran (apparmor_parser -r): run again once the files are back, so it loads those. Skipped
 * when what it was about is gone (its "while" path, a stopped guest's profile include); the files it names
 * that are gone since are left out, and with none left it is skipped too. */
static int redo_command(struct run *run, json_object *e, struct apply_result *res)
{
        _cleanup_(strv_freep) char **recorded = NULL, **argv = NULL, **gone = NULL;
        _cleanup_free_ char *output = NULL, *names = NULL;
        json_object *arr;
        struct stat st;
        int r, status = 0;

        if (!json_object_object_get_ex(e, "argv", &arr) || !json_object_is_type(arr, json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(arr); i++)
                if (strv_push_dup(&recorded, json_object_get_string(json_object_array_get_idx(arr, i))) < 0)
                        return -ENOMEM;
        if (!recorded)
                return -EBADMSG;
        if (json_get_string(e, "while") &&
            hostfs_stat(run->o->fs, json_get_string(e, "while"), &st) == -ENOENT) {
                result_set(res, APPLY_SKIPPED, "%s is gone", json_get_string(e, "while"));
                return 0;
        }
        if (command_argv_present(run->o->fs, recorded, &argv, &gone) < 0 ||
            (gone && !(names = strv_join(gone, ", "))))
                return -ENOMEM;
        if (!argv) {
                result_set(res, APPLY_SKIPPED, "the files it read are gone: %s", names);
                return 0;
        }
        r = apply_run_command(run->o->fs, argv, run->deadline, &status, &output);
        if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                result_set(res, APPLY_FAILED, "%s: %s", argv[0],
                           r < 0               ? strerror(-r)
                           : output && *output ? output
                                               : "failed");
                return r < 0 ? r : -EIO;
        }
        if (names)
                result_set(res, APPLY_DONE, "without the files gone since: %s", names);
        else
                result_set(res, APPLY_DONE, NULL);
        return 0;
}

static bool entry_is_restart(json_object *e)
{
        const char *op = strempty(json_get_string(e, "op"));
        const char *kind = strempty(json_get_string(e, "kind"));

        if (streq(kind, "command"))
                return json_get_bool(e, "redo_on_rollback");
        return streq(kind, "service") && (streq(op, "restart") || streq(op, "reload"));
}

static char *undo_what(json_object *e)
{
        const char *kind = strempty(json_get_string(e, "kind")), *unit = json_get_string(e, "unit");
        const char *path = json_get_string(e, "path"), *op = strempty(json_get_string(e, "op"));

        unit = unit ? unit : "-";
        if (streq(kind, "write-file"))
                return strdup_printf("[%s] %s %s", unit, json_get_bool(e, "existed") ? "restore" : "remove",
                                     strna(path));
        if (streq(kind, "mkdir"))
                return strdup_printf("[%s] rmdir %s", unit, strna(path));
        if (streq(kind, "service") && entry_is_restart(e))
                return strdup_printf("[%s] %s %s again, with the restored files", unit, op,
                                     strna(json_get_string(e, "service")));
        if (streq(kind, "service"))
                return strdup_printf("[%s] undo %s %s", unit, op, strna(json_get_string(e, "service")));
        if (streq(kind, "command") && json_get_bool(e, "redo_on_rollback"))
                return strdup_printf("[%s] run %s again, with the restored files", unit,
                                     strna(json_object_get_string(json_object_array_get_idx(
                                             json_object_object_get(e, "argv"), 0))));
        if (streq(kind, "command"))
                return strdup_printf("[%s] undo a command", unit);
        if (streq(kind, "selinux-boolean"))
                return strdup_printf("[%s] set SELinux boolean %s back", unit,
                                     strna(json_get_string(e, "boolean")));
        if (streq(kind, "libvirt-define"))
                return strdup_printf("[%s] redefine domain %s as before", unit,
                                     strna(json_get_string(e, "domain")));
        if (streq(kind, "nft-load") || streq(kind, "firewalld"))
                return fw_undo_what(e);
        return strdup_printf("[%s] undo %s", unit, kind);
}

/* Every file the run wrote and every domain it defined, checked before the first undo, as apply does: a
 * later edit by someone else stops the rollback (unless force) before anything is undone. */
static int rollback_check_files(struct run *run, bool force, struct apply_report *report)
{
        for (size_t i = json_object_array_length(run->entries); i-- > 0;) {
                json_object *e = json_object_array_get_idx(run->entries, i);
                _cleanup_free_ char *reason = NULL;
                int r;

                const char *kind = strempty(json_get_string(e, "kind"));

                if (json_get_bool(e, "undone") ||
                    (!streq(kind, "write-file") && !streq(kind, "libvirt-define")))
                        continue;
                r = streq(kind, "write-file") ? check_undo_file(run, e, &reason)
                                              : check_undo_domain(run, e, &reason);
                if (r == -ESTALE && force)
                        continue;
                if (r < 0) {
                        report_error(report, "%s; nothing was rolled back", reason ? reason : strerror(-r));
                        return r;
                }
        }
        return 0;
}

static int undo_entry(struct run *run, json_object *e, struct apply_result *res)
{
        const char *kind = strempty(json_get_string(e, "kind"));

        if (streq(kind, "write-file"))
                return undo_file(run, e, res);
        if (streq(kind, "mkdir"))
                return undo_mkdir(run, e, res);
        if (streq(kind, "service"))
                return undo_service(run, e, res);
        if (streq(kind, "libvirt-define"))
                return undo_domain(run, e, res);
        if (streq(kind, "selinux-boolean"))
                return undo_selinux_boolean(run, e, res);
        if (streq(kind, "command") && json_get_bool(e, "redo_on_rollback"))
                return redo_command(run, e, res);
        if (streq(kind, "nft-load") || streq(kind, "firewalld"))
                return fw_action_undo(run, e, res);
        if (streq(kind, "command")) {
                result_set(res, APPLY_SKIPPED, "a command cannot be undone");
                return 0;
        }
        return -EBADMSG;
}

/* Undoes every entry not undone yet, newest first, marking each in the journal. Returns the first
 * error of an undo (the others are still tried: a second rollback retries what is left), or -ENOMEM. */
static int rollback_entries(struct run *run, struct apply_report *report, int *ret_first)
{
        /* two rounds over the entries, newest first: k >= len undoes all but the restarts and reloads, k <
         * len does those again, so that they read the restored files */
        for (size_t k = 2 * json_object_array_length(run->entries); k-- > 0;) {
                size_t len = json_object_array_length(run->entries);
                json_object *e = json_object_array_get_idx(run->entries, k % len);
                struct apply_result *res;
                int r;

                if (json_get_bool(e, "undone") || entry_is_restart(e) != (k < len))
                        continue;
                res = report_add(report, APPLY_NOT_RUN, undo_what(e));
                if (!res)
                        return -ENOMEM;
                r = undo_entry(run, e, res);
                if (r < 0) {
                        if (res->status != APPLY_FAILED)
                                result_set(res, APPLY_FAILED, "%s", strerror(-r));
                        if (!*ret_first)
                                *ret_first = r;
                        continue;
                }
                if (res->status == APPLY_DONE)
                        log_change(run->o,
                                   &(struct log_fields){run->id, json_get_string(e, "unit"), "rollback",
                                                        json_get_string(e, "path"),
                                                        json_get_string(e, "service")},
                                   "rolled back: %s", res->what);
                if (json_add_bool(e, "undone", true) < 0 || run_save(run) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int rollback_run(struct run *run, bool force, struct apply_report *report)
{
        size_t first_result = report->n_results;
        int r, first = 0;

        r = rollback_check_files(run, force, report);
        if (r < 0)
                return r;
        r = run_set_state(run, "rolling-back");
        if (r < 0) {
                report_error(report, "cannot write the journal of run %s: %s", run->id, strerror(-r));
                return r;
        }
        r = rollback_entries(run, report, &first);
        if (r < 0)
                return r;
        for (size_t i = first_result; i < report->n_results; i++)
                if (report->results[i].status == APPLY_DONE)
                        report->rolled_back = true;
        r = run_set_state(run, first < 0 ? "rollback-failed" : "rolled-back");
        if (first < 0) {
                report_error(report, "run %s was only partly rolled back; rollback can be run again",
                             run->id);
                return first;
        }
        if (r < 0)
                return r;
        report->rolled_back = true;
        log_change(run->o, &(struct log_fields){.run = run->id}, "run %s rolled back", run->id);
        return 0;
}

int apply_rollback(const struct apply_options *o, const char *run_id, struct apply_report *report)
{
        _cleanup_(run_done) struct run run;
        char id[APPLY_RUN_ID_MAX];
        const char *state;
        int r;

        run_init(&run, o);
        r = run_open_state(&run, false, report);
        if (r == -ENOENT) {
                free(report->error);
                report->error = NULL;
                report_error(report, "no runs recorded in %s: nothing to roll back", state_dir(o));
        }
        if (r < 0)
                return r;
        r = run_lock(&run, report);
        if (r < 0)
                return r;
        if (!run_id) {
                r = run_latest_id(o, id, report);
                if (r < 0)
                        return r;
                run_id = id;
        }
        r = run_load(&run, run_id, report);
        if (r < 0)
                return r;
        state = strempty(json_get_string(run.journal, "state"));
        if (streq(state, "rolled-back"))
                return 1;
        return rollback_run(&run, o->force, report);
}

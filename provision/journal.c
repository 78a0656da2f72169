/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The executor's state directory, its lock, and the journal of each run; and the list of runs. */
#include "journal.h"

#include <fcntl.h>
#include <time.h>

#include "json-util.h"
#include "strv.h"

#define JOURNAL_VERSION 1
#define JOURNAL_NAME    "journal.json"

const struct file_meta run_private_meta = {.mode = 0600};

void run_init(struct run *run, const struct apply_options *o)
{
        *run = (struct run){.o = o, .state_fd = -1, .lock_fd = -1, .run_fd = -1, .files_fd = -1};
        run->deadline = o->deadline ? o->deadline : now_usec() + APPLY_TIMEOUT_DEFAULT;
}

void run_done(struct run *run)
{
        if (run->files_fd >= 0)
                close(run->files_fd);
        if (run->run_fd >= 0)
                close(run->run_fd);
        run_unlock(run);
        if (run->state_fd >= 0)
                close(run->state_fd);
        json_object_put(run->journal);
}

const char *state_dir(const struct apply_options *o)
{
        return o->state_dir ? o->state_dir : APPLY_STATE_DIR_DEFAULT;
}

/* Creates the directories of path that do not exist, parents first. */
static int mkdir_parents(const struct hostfs *fs, const char *path, mode_t mode)
{
        _cleanup_free_ char *p = strdup(path);
        int r;

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1;; s++) {
                bool last = !*s;

                if (*s != '/' && !last)
                        continue;
                *s = '\0';
                r = hostfs_mkdir(fs, p, last ? mode : 0755);
                if (r < 0 && r != -EEXIST)
                        return r;
                if (last)
                        return 0;
                *s = '/';
        }
}

int run_open_state(struct run *run, bool create, struct apply_report *report)
{
        _cleanup_free_ char *why = NULL;
        const char *dir = state_dir(run->o);
        int r;

        /* said before anything else: no run can change this host */
        r = hostfs_writable(run->o->fs, &why);
        if (r < 0) {
                report_error(report, "%s; nothing was changed", why ? why : strerror(-r));
                return r;
        }
        if (create) {
                r = mkdir_parents(run->o->fs, dir, 0700);
                if (r < 0) {
                        report_error(report, "cannot create the state directory %s: %s", dir, strerror(-r));
                        return r;
                }
        }
        /* the lock and the journal are written below it */
        r = hostfs_open_dir_for_write(run->o->fs, dir);
        if (r < 0) {
                report_error(report, "cannot open the state directory %s: %s", dir, strerror(-r));
                return r;
        }
        run->state_fd = r;
        return 0;
}

int run_save(struct run *run)
{
        const char *text;

        text = json_object_to_json_string_ext(run->journal,
                                              JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
                return -ENOMEM;
        return atomic_write_at(run->run_fd, JOURNAL_NAME, JOURNAL_NAME ".tmp", text, strlen(text),
                               &run_private_meta, NULL);
}

static char *utc_now(void)
{
        char buf[32];
        struct tm tm;
        time_t t = time(NULL);

        if (!gmtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return NULL;
        return strdup(buf);
}

int json_add_mode(json_object *o, mode_t mode)
{
        char buf[8];

        snprintf(buf, sizeof(buf), "%04o", (unsigned)(mode & 07777));
        return json_add_string(o, "mode", buf);
}

mode_t json_mode(json_object *o)
{
        const char *s = json_get_string(o, "mode");
        char *end;
        unsigned long m;

        if (!s)
                return 0600;
        m = strtoul(s, &end, 8);
        return *end || m > 07777 ? 0600 : (mode_t)m;
}

static int run_create_journal(struct run *run)
{
        _cleanup_(json_object_putp) json_object *entries = NULL;
        _cleanup_free_ char *started = NULL;

        if (mkdirat(run->run_fd, "files", 0700) < 0)
                return -errno;
        run->files_fd = openat(run->run_fd, "files", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (run->files_fd < 0)
                return -errno;

        started = utc_now();
        run->journal = json_object_new_object();
        entries = json_object_new_array();
        if (!started || !run->journal || !entries)
                return -ENOMEM;
        if (json_add_int(run->journal, "version", JOURNAL_VERSION) < 0 ||
            json_add_string_opt(run->journal, "run", run->id) < 0 ||
            json_add_string_opt(run->journal, "root", hostfs_root(run->o->fs)) < 0 ||
            json_add_string_opt(run->journal, "started", started) < 0 ||
            json_add_string_opt(run->journal, "state", "applying") < 0)
                return -ENOMEM;
        run->entries = entries;
        if (json_add(run->journal, "entries", TAKE_PTR(entries)) < 0) {
                run->entries = NULL;
                return -ENOMEM;
        }
        return run_save(run);
}

/* Makes runs/ID for the first free counter: under a dot name, renamed into place with its journal, so a
 * run directory always has one. */
static int run_create_dir(struct run *run, int runs_fd, const char *stamp)
{
        for (unsigned i = 1; i <= 999; i++) {
                char tmp[APPLY_RUN_ID_MAX + 2];
                int r;

                snprintf(run->id, sizeof(run->id), "%s-%03u", stamp, i);
                if (faccessat(runs_fd, run->id, F_OK, AT_SYMLINK_NOFOLLOW) >= 0)
                        continue;
                snprintf(tmp, sizeof(tmp), ".%s", run->id);
                r = mkdirat(runs_fd, tmp, 0700) < 0 ? -errno : 0;
                if (r == -EEXIST)
                        continue; /* left by a run killed while being created: nothing was changed by it */
                if (r < 0)
                        return r;
                run->run_fd = openat(runs_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (run->run_fd < 0)
                        return -errno;
                r = run_create_journal(run);
                if (r < 0)
                        return r;
                if (renameat2(runs_fd, tmp, runs_fd, run->id, RENAME_NOREPLACE) < 0)
                        return -errno;
                return 0;
        }
        return -EEXIST;
}

int run_create(struct run *run, struct apply_report *report)
{
        _cleanup_close_ int runs_fd = -1;
        char stamp[20];
        struct tm tm;
        time_t t = time(NULL);
        int r;

        if (mkdirat(run->state_fd, "runs", 0700) < 0 && errno != EEXIST)
                return -errno;
        runs_fd = openat(run->state_fd, "runs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (runs_fd < 0)
                return -errno;
        if (!gmtime_r(&t, &tm) || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
                return -EINVAL;
        r = run_create_dir(run, runs_fd, stamp);
        if (r < 0)
                return r;
        if (fsync(runs_fd) < 0)
                return -errno;
        memcpy(report->run_id, run->id, sizeof(report->run_id));
        log_change(run->o, &(struct log_fields){.run = run->id}, "run %s started", run->id);
        return 0;
}

int run_set_state(struct run *run, const char *state)
{
        int r = json_add_string_opt(run->journal, "state", state);

        return r < 0 ? r : run_save(run);
}

static bool valid_run_id(const char *id)
{
        size_t n = strlen(id);

        if (n < 18 || n >= APPLY_RUN_ID_MAX || id[0] == '.')
                return false;
        for (const char *c = id; *c; c++)
                if (!strchr("0123456789TZ-", *c))
                        return false;
        return true;
}

/* The ids of the recorded runs, sorted (oldest first); an empty vector when there are none. */
static int run_ids(const struct apply_options *o, char ***ret)
{
        _cleanup_(strv_freep) char **names = NULL, **ids = NULL;
        _cleanup_free_ char *dir = strdup_printf("%s/runs", state_dir(o));
        int r;

        if (!dir)
                return -ENOMEM;
        r = hostfs_list_dir(o->fs, dir, &names);
        if (r < 0 && r != -ENOENT)
                return r;
        STRV_FOREACH (n, names)
                if (valid_run_id(*n) && strv_push_dup(&ids, *n) < 0)
                        return -ENOMEM;
        if (!ids) {
                ids = calloc(1, sizeof(char *));
                if (!ids)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(ids);
        return 0;
}

int run_latest_id(const struct apply_options *o, char *ret, struct apply_report *report)
{
        _cleanup_(strv_freep) char **ids = NULL;
        size_t n;
        int r;

        r = run_ids(o, &ids);
        if (r < 0) {
                report_error(report, "cannot list the runs in %s/runs: %s", state_dir(o), strerror(-r));
                return r;
        }
        n = strv_length(ids);
        if (n == 0) {
                report_error(report, "no runs recorded in %s/runs: nothing to roll back", state_dir(o));
                return -ENOENT;
        }
        snprintf(ret, APPLY_RUN_ID_MAX, "%s", ids[n - 1]);
        return 0;
}

static int read_journal_at(int run_fd, json_object **ret)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -1;
        json_object *j;
        int r;

        fd = openat(run_fd, JOURNAL_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = read_fd_full(fd, HOSTFS_READ_MAX, &text, NULL);
        if (r < 0)
                return r;
        j = json_tokener_parse(text);
        if (!j || !json_object_is_type(j, json_type_object)) {
                json_object_put(j);
                return -EBADMSG;
        }
        *ret = j;
        return 0;
}

/* Opens runs/ID (the state directory is open). */
static int run_open_dir(struct run *run, const char *id, struct apply_report *report)
{
        _cleanup_close_ int runs_fd = -1;
        int r;

        runs_fd = openat(run->state_fd, "runs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (runs_fd >= 0)
                run->run_fd = openat(runs_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (runs_fd < 0 || run->run_fd < 0) {
                r = -errno;
                report_error(report, "no run %s in %s/runs", id, state_dir(run->o));
                return r;
        }
        return 0;
}

int run_load(struct run *run, const char *id, struct apply_report *report)
{
        json_object *entries;
        int r;

        if (!valid_run_id(id)) {
                report_error(report, "'%s' is not a run id (see hostprep rollback --list)", id);
                return -EINVAL;
        }
        r = run_open_dir(run, id, report);
        if (r < 0)
                return r;
        r = read_journal_at(run->run_fd, &run->journal);
        if (r < 0) {
                report_error(report, "cannot read the journal of run %s: %s", id, strerror(-r));
                return r;
        }
        entries = json_get(run->journal, "entries");
        if (json_get_int(run->journal, "version", 0) != JOURNAL_VERSION || !entries ||
            !json_object_is_type(entries, json_type_array)) {
                report_error(report, "the journal of run %s is not one this version reads", id);
                return -EBADMSG;
        }
        run->files_fd = openat(run->run_fd, "files", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (run->files_fd < 0) {
                r = -errno;
                report_error(report, "run %s has no files directory: %s", id, strerror(-r));
                return r;
        }
        run->entries = entries;
        snprintf(run->id, sizeof(run->id), "%s", id);
        memcpy(report->run_id, run->id, sizeof(report->run_id));
        return 0;
}

int run_journal_add(struct run *run, json_object *entry)
{
        if (json_object_array_add(run->entries, entry) < 0) {
                json_object_put(entry);
                return -ENOMEM;
        }
        return run_save(run);
}

int entry_set_status(struct run *run, json_object *entry, const char *status)
{
        int r = json_add_string_opt(entry, "status", status);

        return r < 0 ? r : run_save(run);
}

json_object *entry_new(struct run *run, const char *kind, const struct action *a)
{
        json_object *e = json_object_new_object();

        if (!e)
                return NULL;
        if (json_add_int(e, "seq", (int64_t)json_object_array_length(run->entries) + 1) < 0 ||
            json_add_string_opt(e, "kind", kind) < 0 ||
            json_add_string_opt(e, "unit", a ? a->unit_id : NULL) < 0 ||
            json_add_string_opt(e, "status", "pending") < 0) {
                json_object_put(e);
                return NULL;
        }
        return e;
}

/* ---- listing runs ---- */

void apply_run_info_free_many(struct apply_run_info *runs, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(runs[i].state);
                free(runs[i].started);
                free(runs[i].units);
        }
        free(runs);
}

static int run_info_fill(int runs_fd, const char *id, struct apply_run_info *info)
{
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_(strv_freep) char **units = NULL;
        _cleanup_close_ int fd = -1;
        json_object *entries;
        int r;

        snprintf(info->id, sizeof(info->id), "%s", id);
        fd = openat(runs_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        r = fd < 0 ? -errno : read_journal_at(fd, &j);
        if (r < 0) {
                info->state = strdup_printf("unreadable (%s)", strerror(-r));
                return info->state ? 0 : -ENOMEM;
        }
        info->state = strdup(json_get_string(j, "state") ? json_get_string(j, "state") : "?");
        info->started = strdup(json_get_string(j, "started") ? json_get_string(j, "started") : "?");
        entries = json_get(j, "entries");
        if (entries && json_object_is_type(entries, json_type_array)) {
                info->n_entries = json_object_array_length(entries);
                for (size_t i = 0; i < info->n_entries; i++) {
                        const char *u = json_get_string(json_object_array_get_idx(entries, i), "unit");

                        if (u && !strv_contains(units, u) && strv_push_dup(&units, u) < 0)
                                return -ENOMEM;
                }
        }
        info->units = strv_join(units, ",");
        if (!info->state || !info->started || !info->units)
                return -ENOMEM;
        return 0;
}

int apply_list_runs(const struct apply_options *o, struct apply_run_info **ret, size_t *ret_n)
{
        _cleanup_(strv_freep) char **ids = NULL;
        _cleanup_free_ char *dir = strdup_printf("%s/runs", state_dir(o));
        _cleanup_close_ int runs_fd = -1;
        struct apply_run_info *runs;
        size_t n;
        int r;

        if (!dir)
                return -ENOMEM;
        r = run_ids(o, &ids);
        if (r < 0)
                return r;
        n = strv_length(ids);
        runs = calloc(n + 1, sizeof(*runs));
        if (!runs)
                return -ENOMEM;
        if (n > 0) {
                runs_fd = hostfs_open(o->fs, dir, O_RDONLY | O_DIRECTORY);
                if (runs_fd < 0) {
                        free(runs);
                        return runs_fd;
                }
        }
        for (size_t i = 0; i < n; i++) {
                r = run_info_fill(runs_fd, ids[i], &runs[i]);
                if (r < 0) {
                        apply_run_info_free_many(runs, n);
                        return r;
                }
        }
        *ret = runs;
        *ret_n = n;
        return 0;
}

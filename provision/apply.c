/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The executor of plans: lock, check everything, journal, change, log; and rollback from the journal. */
#include "apply.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <selinux/label.h>
#include <selinux/selinux.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "spawn.h"
#include "strv.h"
#include "systemd.h"

#define JOURNAL_VERSION    1
#define JOURNAL_NAME       "journal.json"
#define JOURNALD_SOCKET    "/run/systemd/journal/socket"
#define COMMAND_PATH       "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define JOURNAL_OUTPUT_MAX 4096 /* bytes of a command's output kept in the journal */

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)
static inline void freeconp(char **p)
{
        if (*p)
                freecon(*p);
}

static const char *const apply_status_names[] = {
        [APPLY_NOT_RUN] = "not run",     [APPLY_PLANNED] = "would change", [APPLY_DONE] = "done",
        [APPLY_UNCHANGED] = "unchanged", [APPLY_SKIPPED] = "skipped",      [APPLY_FAILED] = "failed",
};
_Static_assert(ELEMENTSOF(apply_status_names) == _APPLY_STATUS_MAX, "apply_status_names out of step");

const char *apply_status_to_string(enum apply_status s)
{
        return s < _APPLY_STATUS_MAX ? apply_status_names[s] : NULL;
}

void apply_report_done(struct apply_report *r)
{
        for (size_t i = 0; i < r->n_results; i++) {
                free(r->results[i].what);
                free(r->results[i].reason);
                free(r->results[i].output);
        }
        free(r->results);
        free(r->error);
        *r = (struct apply_report){};
}

static struct apply_result *report_add(struct apply_report *r, enum apply_status status, char *what)
{
        struct apply_result *n;

        if (!what)
                return NULL;
        n = reallocarray(r->results, r->n_results + 1, sizeof(*n));
        if (!n) {
                free(what);
                return NULL;
        }
        r->results = n;
        n = &r->results[r->n_results++];
        *n = (struct apply_result){.status = status, .what = what};
        return n;
}

static void _printf_(3, 4)
        result_set(struct apply_result *res, enum apply_status status, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;

        res->status = status;
        if (fmt) {
                va_start(ap, fmt);
                if (vasprintf(&s, fmt, ap) < 0)
                        s = NULL;
                va_end(ap);
        }
        free(res->reason);
        res->reason = s;
}

static void _printf_(2, 3) report_error(struct apply_report *r, const char *fmt, ...)
{
        va_list ap;
        char *s;

        if (r->error)
                return; /* the first reason is the one that stopped the run */
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        r->error = s;
}

static void crash_point(const struct apply_options *o, const char *where)
{
        if (o->crash_point)
                o->crash_point(where, o->userdata);
}

/* ---- the change log: journald when it runs, else one line to the caller's stream ---- */

struct log_fields {
        const char *run, *unit, *action, *path, *service;
};

static void _printf_(3, 4)
        log_change(const struct apply_options *o, const struct log_fields *lf, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        const char *names[] = {"HOSTPREP_RUN=", "HOSTPREP_UNIT=", "HOSTPREP_ACTION=", "HOSTPREP_PATH=",
                               "HOSTPREP_SERVICE="};
        const char *values[] = {lf->run, lf->unit, lf->action, lf->path, lf->service};
        char *fields[ELEMENTSOF(names) + 3] = {};
        struct iovec iov[ELEMENTSOF(fields)];
        size_t n = 0;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg)
                return;

        if (o->no_journald || access(JOURNALD_SOCKET, F_OK) < 0) {
                if (o->log)
                        fprintf(o->log, "hostprep[%s]: %s%s%s\n", strempty(lf->run),
                                lf->unit ? lf->unit : "", lf->unit ? ": " : "", msg);
                return;
        }
        fields[n++] = strdup_printf("MESSAGE=%s", msg);
        fields[n++] = strdup("SYSLOG_IDENTIFIER=hostprep");
        fields[n++] = strdup("PRIORITY=5");
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (values[i])
                        fields[n++] = strdup_printf("%s%s", names[i], values[i]);
        for (size_t i = 0; i < n; i++) {
                if (!fields[i])
                        goto out;
                iov[i] = (struct iovec){fields[i], strlen(fields[i])};
        }
        (void)sd_journal_sendv(iov, (int)n);
out:
        for (size_t i = 0; i < n; i++)
                free(fields[i]);
}

/* ---- files through the root ---- */

struct file_state {
        bool exists;
        char *data;
        size_t len;
        struct stat st;
        char *label; /* SELinux context, when the file has one */
};

static void file_state_done(struct file_state *f)
{
        free(f->data);
        free(f->label);
        *f = (struct file_state){};
}

static char *fd_label(int fd)
{
        char *con = NULL, *copy;

        if (fgetfilecon(fd, &con) < 0)
                return NULL; /* no label or no SELinux on this file system: nothing to keep */
        copy = strdup(con);
        freecon(con);
        return copy;
}

/* The file name in dfd as it is now: absent, or its bytes, stat and label. */
static int file_state_read(int dfd, const char *name, struct file_state *ret)
{
        struct file_state f = {};
        _cleanup_close_ int fd = -1;
        int r;

        fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
                if (errno != ENOENT)
                        return errno == ELOOP ? -ELOOP : -errno;
                *ret = f;
                return 0;
        }
        if (fstat(fd, &f.st) < 0)
                return -errno;
        if (S_ISDIR(f.st.st_mode))
                return -EISDIR;
        if (!S_ISREG(f.st.st_mode))
                return -EBADF;
        r = read_fd_full(fd, HOSTFS_READ_MAX, &f.data, &f.len);
        if (r < 0)
                return r;
        f.exists = true;
        f.label = fd_label(fd);
        *ret = f;
        return 0;
}

static bool file_has(const struct file_state *f, const char *text, size_t len)
{
        if (!text)
                return !f->exists;
        return f->exists && f->len == len && memcmp(f->data, text, len) == 0;
}

static bool file_has_str(const struct file_state *f, const char *text)
{
        return file_has(f, text, text ? strlen(text) : 0);
}

/* What a replaced file keeps. */
struct file_meta {
        bool keep_owner;
        mode_t mode;
        uid_t uid;
        gid_t gid;
        const char *label; /* NULL: the policy default for path, when SELinux is enabled and path is live */
};

static int set_label(int fd, const struct file_meta *m, const char *live_path)
{
        _cleanup_(freeconp) char *def = NULL;
        bool enabled = is_selinux_enabled() > 0;
        const char *con = m->label;

        if (!con && enabled && live_path) {
                struct selabel_handle *h = selabel_open(SELABEL_CTX_FILE, NULL, 0);

                if (h) {
                        if (selabel_lookup(h, &def, live_path, S_IFREG | m->mode) < 0)
                                def = NULL;
                        selabel_close(h);
                }
                con = def;
        }
        if (!con)
                return 0;
        if (fsetfilecon(fd, con) < 0 && enabled)
                return -errno; /* a mislabelled file under an enforcing policy breaks the service */
        return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Replaces dfd/name by data: dfd/tmp written, synced and given m, then renamed over name, then dfd synced.
 * At every instant name is the old file or the new one, whole. */
static int write_atomic_at(int dfd, const char *name, const char *tmp, const void *data, size_t len,
                           const struct file_meta *m, const char *live_path, const struct apply_options *o)
{
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT)
                return -errno; /* a crashed run's leftover */
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        r = write_all(fd, data, len);
        if (r >= 0 && fstat(fd, &st) < 0)
                r = -errno;
        if (r >= 0 && m->keep_owner && (st.st_uid != m->uid || st.st_gid != m->gid) &&
            fchown(fd, m->uid, m->gid) < 0)
                r = -errno;
        /* after fchown, which drops set-id bits */
        if (r >= 0 && fchmod(fd, m->mode & 07777) < 0)
                r = -errno;
        if (r >= 0)
                r = set_label(fd, m, live_path);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && o)
                crash_point(o, "temp");
        if (r >= 0 && renameat(dfd, tmp, dfd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void)unlinkat(dfd, tmp, 0);
                return r;
        }
        if (o)
                crash_point(o, "renamed");
        if (fsync(dfd) < 0)
                return -errno;
        return 0;
}

static char *temp_name(const char *name)
{
        return strdup_printf(".#%s.hostprep", name);
}

int apply_write_file(const struct hostfs *fs, const char *path, const void *data, size_t len, mode_t mode)
{
        _cleanup_free_ char *name = NULL, *tmp = NULL;
        _cleanup_(file_state_done) struct file_state cur = {};
        _cleanup_close_ int dfd = -1;
        struct file_meta m = {.mode = mode};
        int r;

        dfd = hostfs_open_parent(fs, path, &name);
        if (dfd < 0)
                return dfd;
        r = file_state_read(dfd, name, &cur);
        if (r < 0)
                return r;
        if (cur.exists)
                m = (struct file_meta){true, cur.st.st_mode, cur.st.st_uid, cur.st.st_gid, cur.label};
        tmp = temp_name(name);
        if (!tmp)
                return -ENOMEM;
        return write_atomic_at(dfd, name, tmp, data, len, &m, hostfs_is_live(fs) ? path : NULL, NULL);
}

/* ---- commands ---- */

static int find_executable(const struct hostfs *fs, const char *name, char **ret)
{
        _cleanup_(strv_freep) char **dirs = NULL;
        int r;

        if (strchr(name, '/')) {
                struct stat st;

                if (name[0] != '/')
                        return -EINVAL;
                r = hostfs_stat(fs, name, &st);
                if (r < 0)
                        return r;
                if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
                        return -EACCES;
                *ret = strdup(name);
                return *ret ? 0 : -ENOMEM;
        }
        r = strv_split(COMMAND_PATH, ":", &dirs);
        if (r < 0)
                return r;
        STRV_FOREACH (d, dirs) {
                _cleanup_free_ char *p = strdup_printf("%s/%s", *d, name);
                struct stat st;

                if (!p)
                        return -ENOMEM;
                if (hostfs_stat(fs, p, &st) >= 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
        }
        return -ENOENT;
}

int apply_run_command(const struct hostfs *fs, char *const *argv, usec_t deadline, int *ret_status,
                      char **ret_output)
{
        char *const envp[] = {(char *)"PATH=" COMMAND_PATH, (char *)"LC_ALL=C", NULL};
        _cleanup_free_ char *exe = NULL;
        struct spawn_job job = {
                .argv = argv,
                .envp = envp,
                .root = hostfs_is_live(fs) ? NULL : hostfs_root(fs),
                .kill_group_at_exit = true,
                .output = SPAWN_OUTPUT_MERGED,
                .output_max = APPLY_OUTPUT_MAX,
        };
        int r;

        if (!argv || !argv[0])
                return -EINVAL;
        r = find_executable(fs, argv[0], &exe);
        if (r < 0)
                return r;
        job.path = exe;
        r = spawn_run(&job, deadline);
        if (r >= 0 && job.timed_out)
                r = -ETIMEDOUT;
        if (r >= 0 && !job.out && !(job.out = strdup("")))
                r = -ENOMEM;
        if (r >= 0) {
                *ret_status = job.wait_status;
                if (ret_output)
                        *ret_output = TAKE_PTR(job.out);
        }
        spawn_job_done(&job);
        return r;
}

/* ---- the state directory, the lock and the run journal ---- */

struct run {
        const struct apply_options *o;
        usec_t deadline;
        int state_fd;
        int lock_fd;
        int run_fd;
        int files_fd;
        char id[APPLY_RUN_ID_MAX];
        json_object *journal;
        json_object *entries; /* borrowed from journal */
};

static void run_done(struct run *run)
{
        if (run->files_fd >= 0)
                close(run->files_fd);
        if (run->run_fd >= 0)
                close(run->run_fd);
        if (run->lock_fd >= 0)
                close(run->lock_fd); /* releases the lock */
        if (run->state_fd >= 0)
                close(run->state_fd);
        json_object_put(run->journal);
}

static void run_init(struct run *run, const struct apply_options *o)
{
        *run = (struct run){.o = o, .state_fd = -1, .lock_fd = -1, .run_fd = -1, .files_fd = -1};
        run->deadline = o->deadline ? o->deadline : now_usec() + APPLY_TIMEOUT_DEFAULT;
}

static const char *state_dir(const struct apply_options *o)
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

static int run_open_state(struct run *run, bool create, struct apply_report *report)
{
        const char *dir = state_dir(run->o);
        int r;

        if (create) {
                r = mkdir_parents(run->o->fs, dir, 0700);
                if (r < 0) {
                        report_error(report, "cannot create the state directory %s: %s", dir, strerror(-r));
                        return r;
                }
        }
        r = hostfs_open(run->o->fs, dir, O_RDONLY | O_DIRECTORY);
        if (r < 0) {
                report_error(report, "cannot open the state directory %s: %s", dir, strerror(-r));
                return r;
        }
        run->state_fd = r;
        return 0;
}

static int run_lock(struct run *run, struct apply_report *report)
{
        const char *dir = state_dir(run->o);
        int fd;

        fd = openat(run->state_fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                int r = -errno;
                report_error(report, "cannot open the lock %s/lock: %s", dir, strerror(-r));
                return r;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                int r = errno == EWOULDBLOCK ? -EBUSY : -errno;
                close(fd);
                report_error(report,
                             r == -EBUSY ? "another hostprep apply or rollback is running (it holds %s/lock)"
                                         : "cannot lock %s/lock",
                             dir);
                return r;
        }
        run->lock_fd = fd;
        return 0;
}

static int run_save(struct run *run)
{
        const char *text;
        struct file_meta m = {.mode = 0600};

        text = json_object_to_json_string_ext(run->journal,
                                              JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
                return -ENOMEM;
        return write_atomic_at(run->run_fd, JOURNAL_NAME, JOURNAL_NAME ".tmp", text, strlen(text), &m, NULL,
                               NULL);
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

static int json_add_str(json_object *o, const char *key, const char *value)
{
        json_object *v;

        if (!value)
                return 0;
        v = json_object_new_string(value);
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int json_add_int(json_object *o, const char *key, int64_t value)
{
        json_object *v = json_object_new_int64(value);

        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static const char *json_str(json_object *o, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static int64_t json_int(json_object *o, const char *key, int64_t def)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return def;
        return json_object_get_int64(v);
}

/* modes as operators write them: "0640" */
static int json_add_mode(json_object *o, mode_t mode)
{
        char buf[8];

        snprintf(buf, sizeof(buf), "%04o", (unsigned)(mode & 07777));
        return json_add_str(o, "mode", buf);
}

static mode_t json_mode(json_object *o)
{
        const char *s = json_str(o, "mode");
        char *end;
        unsigned long m;

        if (!s)
                return 0600;
        m = strtoul(s, &end, 8);
        return *end || m > 07777 ? 0600 : (mode_t)m;
}

static bool json_flag(json_object *o, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static int run_create_journal(struct run *run)
{
        _cleanup_free_ char *started = NULL;

        if (mkdirat(run->run_fd, "files", 0700) < 0)
                return -errno;
        run->files_fd = openat(run->run_fd, "files", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (run->files_fd < 0)
                return -errno;

        started = utc_now();
        run->journal = json_object_new_object();
        run->entries = json_object_new_array();
        if (!started || !run->journal || !run->entries) {
                json_object_put(run->entries);
                run->entries = NULL;
                return -ENOMEM;
        }
        if (json_add_int(run->journal, "version", JOURNAL_VERSION) < 0 ||
            json_add_str(run->journal, "run", run->id) < 0 ||
            json_add_str(run->journal, "root", hostfs_root(run->o->fs)) < 0 ||
            json_add_str(run->journal, "started", started) < 0 ||
            json_add_str(run->journal, "state", "applying") < 0) {
                json_object_put(run->entries);
                run->entries = NULL;
                return -ENOMEM;
        }
        if (json_object_object_add(run->journal, "entries", run->entries) < 0) {
                json_object_put(run->entries);
                run->entries = NULL;
                return -ENOMEM;
        }
        return run_save(run);
}

/* A new run: STATE/runs/RUNID with its journal, RUNID the UTC time and a counter, so names sort in the
 * order runs began. */
static int run_create(struct run *run, struct apply_report *report)
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
        /* made under a dot name and renamed into place with its journal: a run directory always has one */
        for (unsigned i = 1;; i++) {
                char tmp[APPLY_RUN_ID_MAX + 2];

                if (i > 999)
                        return -EEXIST;
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
                break;
        }
        if (fsync(runs_fd) < 0)
                return -errno;
        memcpy(report->run_id, run->id, sizeof(report->run_id));
        log_change(run->o, &(struct log_fields){.run = run->id}, "run %s started", run->id);
        return 0;
}

static int run_set_state(struct run *run, const char *state)
{
        int r = json_add_str(run->journal, "state", state);

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

static int run_ids(const struct apply_options *o, char ***ret)
{
        _cleanup_(strv_freep) char **names = NULL, **ids = NULL;
        _cleanup_free_ char *dir = strdup_printf("%s/runs", state_dir(o));
        int r;

        if (!dir)
                return -ENOMEM;
        r = hostfs_list_dir(o->fs, dir, &names);
        if (r == -ENOENT) {
                *ret = calloc(1, sizeof(char *));
                return *ret ? 0 : -ENOMEM;
        }
        if (r < 0)
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

/* Opens an existing run (the state directory already open) and reads its journal. */
static int run_load(struct run *run, const char *id, struct apply_report *report)
{
        _cleanup_close_ int runs_fd = -1;
        json_object *entries;
        int r;

        if (!valid_run_id(id)) {
                report_error(report, "'%s' is not a run id (see hostprep rollback --list)", id);
                return -EINVAL;
        }
        runs_fd = openat(run->state_fd, "runs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (runs_fd >= 0)
                run->run_fd = openat(runs_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (runs_fd < 0 || run->run_fd < 0) {
                r = -errno;
                report_error(report, "no run %s in %s/runs", id, state_dir(run->o));
                return r;
        }
        run->files_fd = openat(run->run_fd, "files", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        r = read_journal_at(run->run_fd, &run->journal);
        if (r < 0) {
                report_error(report, "cannot read the journal of run %s: %s", id, strerror(-r));
                return r;
        }
        if (json_int(run->journal, "version", 0) != JOURNAL_VERSION ||
            !json_object_object_get_ex(run->journal, "entries", &entries) ||
            !json_object_is_type(entries, json_type_array)) {
                report_error(report, "the journal of run %s is not one this version reads", id);
                return -EBADMSG;
        }
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

/* Appends entry to the journal (taking it) and makes that durable: the change it announces may start. */
static int run_journal_add(struct run *run, json_object *entry)
{
        if (json_object_array_add(run->entries, entry) < 0) {
                json_object_put(entry);
                return -ENOMEM;
        }
        return run_save(run);
}

static int entry_set_status(struct run *run, json_object *entry, const char *status)
{
        int r = json_add_str(entry, "status", status);

        return r < 0 ? r : run_save(run);
}

static json_object *entry_new(struct run *run, const char *kind, const struct action *a)
{
        json_object *e = json_object_new_object();

        if (!e)
                return NULL;
        if (json_add_int(e, "seq", (int64_t)json_object_array_length(run->entries) + 1) < 0 ||
            json_add_str(e, "kind", kind) < 0 || json_add_str(e, "unit", a ? a->unit_id : NULL) < 0 ||
            json_add_str(e, "status", "pending") < 0) {
                json_object_put(e);
                return NULL;
        }
        return e;
}

/* ---- checking a plan before anything changes ---- */

/* What preflight learnt about one action, for executing it. */
struct pre {
        bool todo;
        SystemdUnitState unit;
};

static const char *no_bus_reason(const struct apply_options *o)
{
        return hostfs_is_live(o->fs) ? "no system bus: systemd is not running on this host"
                                     : "no system bus for the host below --root: its systemd is not running";
}

static bool active_like(const char *s)
{
        return streq(s, "active") || streq(s, "reloading") || streq(s, "activating");
}

static int preflight_service(struct run *run, const struct action *a, struct apply_result *res,
                             struct pre *pre)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        const SystemdUnitState *u = &pre->unit;
        int r;

        if (!run->o->bus) {
                result_set(res, APPLY_FAILED, "%s", no_bus_reason(run->o));
                return -ENOTCONN;
        }
        r = systemd_unit_get_state(run->o->bus, a->service, run->deadline, &pre->unit, &e);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot read the state of %s: %s", a->service,
                           e.message ? e.message : strerror(-r));
                return r;
        }
        if (!streq(u->load_state, "loaded")) {
                result_set(res, APPLY_FAILED, "%s is %s", a->service, u->load_state);
                return -ENOENT;
        }
        switch (a->op) {
        case SERVICE_ENABLE:
                pre->todo = !streq(u->unit_file_state, "enabled");
                break;
        case SERVICE_DISABLE:
                pre->todo = !streq(u->unit_file_state, "disabled");
                break;
        case SERVICE_START:
                pre->todo = !active_like(u->active_state);
                break;
        case SERVICE_STOP:
                pre->todo = !streq(u->active_state, "inactive") && !streq(u->active_state, "failed");
                break;
        default:
                pre->todo = true;
        }
        return 0;
}

static int preflight(struct run *run, const struct action *a, struct apply_result *res, struct pre *pre)
{
        _cleanup_(file_state_done) struct file_state cur = {};
        _cleanup_free_ char *name = NULL, *exe = NULL;
        _cleanup_close_ int dfd = -1;
        struct stat st;
        int r;

        *pre = (struct pre){};
        switch (a->kind) {
        case ACTION_WRITE_FILE:
                dfd = hostfs_open_parent(run->o->fs, a->path, &name);
                if (dfd == -ENOENT && !a->before) {
                        pre->todo = true; /* its directory comes from an earlier mkdir, or the write fails */
                        return 0;
                }
                r = dfd < 0 ? dfd : file_state_read(dfd, name, &cur);
                if (r < 0) {
                        result_set(res, APPLY_FAILED, "cannot read %s: %s", a->path,
                                   r == -ELOOP ? "it is a symlink; not replacing it" : strerror(-r));
                        return r;
                }
                if (file_has_str(&cur, a->after))
                        return 0;
                if (!file_has_str(&cur, a->before)) {
                        result_set(res, APPLY_FAILED,
                                   "%s changed since the plan read it%s; not overwriting it", a->path,
                                   a->before ? "" : " (it did not exist then)");
                        return -ESTALE;
                }
                pre->todo = true;
                return 0;
        case ACTION_MKDIR:
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
        case ACTION_SERVICE:
                return preflight_service(run, a, res, pre);
        case ACTION_COMMAND:
                r = find_executable(run->o->fs, a->argv[0], &exe);
                if (r < 0) {
                        result_set(res, APPLY_FAILED, "cannot run %s: %s", a->argv[0],
                                   r == -ENOENT ? "not found" : strerror(-r));
                        return r;
                }
                pre->todo = true;
                return 0;
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
        default:
                return NULL;
        }
}

/* ---- carrying out one action: journal entry first, change, entry done ---- */

static int exec_write_file(struct run *run, const struct action *a, struct apply_result *res)
{
        _cleanup_(file_state_done) struct file_state cur = {};
        _cleanup_free_ char *name = NULL, *tmp = NULL, *old_name = NULL, *new_name = NULL;
        _cleanup_close_ int dfd = -1;
        const struct apply_options *o = run->o;
        struct file_meta backup_meta = {.mode = 0600}, m = {.mode = a->mode};
        size_t seq = json_object_array_length(run->entries) + 1;
        json_object *e;
        int r;

        dfd = hostfs_open_parent(o->fs, a->path, &name);
        if (dfd < 0) {
                result_set(res, APPLY_FAILED, "cannot open the directory of %s: %s", a->path,
                           strerror(-dfd));
                return dfd;
        }
        r = file_state_read(dfd, name, &cur);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot read %s: %s", a->path, strerror(-r));
                return r;
        }
        /* under the lock, but someone outside hostprep may still have edited it since preflight */
        if (file_has_str(&cur, a->after)) {
                result_set(res, APPLY_UNCHANGED, NULL);
                return 0;
        }
        if (!file_has_str(&cur, a->before)) {
                result_set(res, APPLY_FAILED, "%s changed while applying; not overwriting it", a->path);
                return -ESTALE;
        }
        tmp = temp_name(name);
        old_name = strdup_printf("%zu.old", seq);
        new_name = strdup_printf("%zu.new", seq);
        if (!tmp || !old_name || !new_name)
                return -ENOMEM;

        /* the backup, and the new text so rollback can tell whether someone edited the file since */
        if (cur.exists) {
                r = write_atomic_at(run->files_fd, old_name, ".tmp", cur.data, cur.len, &backup_meta, NULL,
                                    NULL);
                if (r < 0) {
                        result_set(res, APPLY_FAILED, "cannot back up %s: %s", a->path, strerror(-r));
                        return r;
                }
                m = (struct file_meta){true, cur.st.st_mode, cur.st.st_uid, cur.st.st_gid, cur.label};
        }
        r = write_atomic_at(run->files_fd, new_name, ".tmp", a->after, strlen(a->after), &backup_meta, NULL,
                            NULL);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot keep a copy of the new %s: %s", a->path, strerror(-r));
                return r;
        }
        crash_point(o, "backup");

        e = entry_new(run, "write-file", a);
        if (!e || json_add_str(e, "path", a->path) < 0 || json_add_str(e, "temp", tmp) < 0 ||
            json_add_str(e, "new", new_name) < 0 ||
            json_object_object_add(e, "existed", json_object_new_boolean(cur.exists)) < 0 ||
            (cur.exists && (json_add_str(e, "backup", old_name) < 0 || json_add_mode(e, m.mode) < 0 ||
                            json_add_int(e, "uid", m.uid) < 0 || json_add_int(e, "gid", m.gid) < 0 ||
                            json_add_str(e, "label", m.label) < 0))) {
                json_object_put(e);
                return -ENOMEM;
        }
        r = run_journal_add(run, e);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot write the run journal: %s", strerror(-r));
                return r;
        }
        crash_point(o, "journal");

        r = write_atomic_at(dfd, name, tmp, a->after, strlen(a->after), &m,
                            hostfs_is_live(o->fs) ? a->path : NULL, o);
        if (r < 0) {
                (void)entry_set_status(run, e, "failed");
                result_set(res, APPLY_FAILED, "cannot write %s: %s", a->path, strerror(-r));
                return r;
        }
        r = entry_set_status(run, e, "done");
        if (r < 0)
                return r;
        crash_point(o, "done");
        log_change(o,
                   &(struct log_fields){run->id, a->unit_id, cur.exists ? "edit" : "create", a->path, NULL},
                   "%s %s", cur.exists ? "edited" : "created", a->path);
        result_set(res, APPLY_DONE, NULL);
        return 0;
}

static int exec_mkdir(struct run *run, const struct action *a, struct apply_result *res)
{
        _cleanup_free_ char *p = strdup(a->path);
        json_object *e, *created;
        struct stat st;
        int r;

        if (!p)
                return -ENOMEM;
        e = entry_new(run, "mkdir", a);
        created = json_object_new_array();
        if (!e || !created || json_add_str(e, "path", a->path) < 0 ||
            json_object_object_add(e, "created", created) < 0) {
                json_object_put(e);
                json_object_put(created);
                return -ENOMEM;
        }
        /* the directories that do not exist yet, parents first: the ones rollback may remove */
        for (char *s = p + 1;; s++) {
                bool last = !*s;

                if (*s != '/' && !last)
                        continue;
                *s = '\0';
                if (hostfs_stat(run->o->fs, p, &st) == -ENOENT &&
                    json_object_array_add(created, json_object_new_string(p)) < 0) {
                        json_object_put(e);
                        return -ENOMEM;
                }
                if (last)
                        break;
                *s = '/';
        }
        r = run_journal_add(run, e);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot write the run journal: %s", strerror(-r));
                return r;
        }
        crash_point(run->o, "journal");
        for (size_t i = 0; i < json_object_array_length(created); i++) {
                const char *d = json_object_get_string(json_object_array_get_idx(created, i));
                bool last = i + 1 == json_object_array_length(created);

                r = hostfs_mkdir(run->o->fs, d, last ? a->mode : 0755);
                if (r < 0 && r != -EEXIST) {
                        (void)entry_set_status(run, e, "failed");
                        result_set(res, APPLY_FAILED, "cannot create %s: %s", d, strerror(-r));
                        return r;
                }
        }
        r = entry_set_status(run, e, "done");
        if (r < 0)
                return r;
        crash_point(run->o, "done");
        log_change(run->o, &(struct log_fields){run->id, a->unit_id, "mkdir", a->path, NULL}, "created %s",
                   a->path);
        result_set(res, APPLY_DONE, NULL);
        return 0;
}

static int service_do(sd_bus *bus, const char *service, enum service_op op, usec_t deadline, sd_bus_error *e)
{
        char *units[] = {(char *)service, NULL};
        static const SystemdUnitAction acts[] = {
                [SERVICE_START] = SYSTEMD_UNIT_START,
                [SERVICE_STOP] = SYSTEMD_UNIT_STOP,
                [SERVICE_RESTART] = SYSTEMD_UNIT_RESTART,
                [SERVICE_RELOAD] = SYSTEMD_UNIT_RELOAD,
        };
        int r;

        if (op == SERVICE_ENABLE || op == SERVICE_DISABLE) {
                r = op == SERVICE_ENABLE ? systemd_unit_files_enable(bus, units, deadline, e)
                                         : systemd_unit_files_disable(bus, units, deadline, e);
                return r < 0 ? r : 0;
        }
        return systemd_unit_act(bus, service, acts[op], deadline, e);
}

static int exec_service(struct run *run, const struct action *a, const struct pre *pre,
                        struct apply_result *res)
{
        _cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
        const char *op = service_op_to_string(a->op);
        json_object *e;
        int r;

        e = entry_new(run, "service", a);
        if (!e || json_add_str(e, "service", a->service) < 0 || json_add_str(e, "op", op) < 0 ||
            json_add_str(e, "previous_unit_file_state", pre->unit.unit_file_state) < 0 ||
            json_add_str(e, "previous_active_state", pre->unit.active_state) < 0) {
                json_object_put(e);
                return -ENOMEM;
        }
        r = run_journal_add(run, e);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot write the run journal: %s", strerror(-r));
                return r;
        }
        crash_point(run->o, "journal");
        r = service_do(run->o->bus, a->service, a->op, run->deadline, &err);
        if (r < 0) {
                (void)entry_set_status(run, e, "failed");
                result_set(res, APPLY_FAILED, "%s %s: %s", op, a->service,
                           err.message ? err.message : strerror(-r));
                return r;
        }
        r = entry_set_status(run, e, "done");
        if (r < 0)
                return r;
        crash_point(run->o, "done");
        log_change(run->o, &(struct log_fields){run->id, a->unit_id, op, NULL, a->service}, "%s %s", op,
                   a->service);
        result_set(res, APPLY_DONE, NULL);
        return 0;
}

static int exec_command(struct run *run, const struct action *a, struct apply_result *res)
{
        _cleanup_free_ char *cmd = plan_quote_argv(a->argv);
        json_object *e, *argv;
        int r, status = 0;

        if (!cmd)
                return -ENOMEM;
        e = entry_new(run, "command", a);
        argv = json_object_new_array();
        if (!e || !argv || json_object_object_add(e, "argv", argv) < 0) {
                json_object_put(e);
                json_object_put(argv);
                return -ENOMEM;
        }
        STRV_FOREACH (s, a->argv)
                if (json_object_array_add(argv, json_object_new_string(*s)) < 0) {
                        json_object_put(e);
                        return -ENOMEM;
                }
        r = run_journal_add(run, e);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot write the run journal: %s", strerror(-r));
                return r;
        }
        crash_point(run->o, "journal");
        r = apply_run_command(run->o->fs, a->argv, run->deadline, &status, &res->output);
        if (res->output) {
                _cleanup_free_ char *tail = strndup(res->output, JOURNAL_OUTPUT_MAX);
                (void)json_add_str(e, "output", tail);
        }
        if (r >= 0)
                (void)json_add_int(e, "wait_status", status);
        if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                (void)entry_set_status(run, e, "failed");
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
        r = entry_set_status(run, e, "done");
        if (r < 0)
                return r;
        crash_point(run->o, "done");
        log_change(run->o, &(struct log_fields){run->id, a->unit_id, "run", NULL, NULL}, "ran %s", cmd);
        result_set(res, APPLY_DONE, NULL);
        return 0;
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
        default:
                return -EINVAL;
        }
}

static int rollback_run(struct run *run, bool force, struct apply_report *report);

int apply_plan(const struct plan *plan, const struct apply_options *o, struct apply_report *report)
{
        _cleanup_(run_done) struct run run;
        _cleanup_free_ struct pre *pres = NULL;
        size_t n_todo = 0, failed_at = SIZE_MAX;
        int r, first = 0;

        run_init(&run, o);
        for (size_t i = 0; i < plan->n_actions; i++)
                if (!report_add(report, APPLY_NOT_RUN, action_what(&plan->actions[i])))
                        return -ENOMEM;
        pres = calloc(plan->n_actions + 1, sizeof(*pres));
        if (!pres)
                return -ENOMEM;

        if (!o->dry_run) {
                r = run_open_state(&run, true, report);
                if (r < 0)
                        return r;
                r = run_lock(&run, report);
                if (r < 0)
                        return r;
        }

        /* every action checked before the first change */
        for (size_t i = 0; i < plan->n_actions; i++) {
                const struct action *a = &plan->actions[i];
                struct apply_result *res = &report->results[i];

                if (a->disruption && !o->force) {
                        result_set(res, APPLY_SKIPPED, "disruptive (%s): needs --force", a->disruption);
                        continue;
                }
                r = preflight(&run, a, res, &pres[i]);
                if (r < 0) {
                        if (!first)
                                first = r;
                        continue;
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
        if (o->dry_run || n_todo == 0)
                return 0;

        r = run_create(&run, report);
        if (r < 0) {
                report_error(report, "cannot record the run in %s/runs: %s; nothing was changed",
                             state_dir(o), strerror(-r));
                return r;
        }
        for (size_t i = 0; i < plan->n_actions; i++) {
                if (!pres[i].todo)
                        continue;
                if (failed_at != SIZE_MAX) {
                        result_set(&report->results[i], APPLY_NOT_RUN, "an earlier action failed");
                        continue;
                }
                r = exec_action(&run, &plan->actions[i], &pres[i], &report->results[i]);
                if (r < 0) {
                        if (report->results[i].status != APPLY_FAILED)
                                result_set(&report->results[i], APPLY_FAILED, "%s", strerror(-r));
                        failed_at = i;
                        first = r;
                }
        }
        if (failed_at == SIZE_MAX) {
                r = run_set_state(&run, "applied");
                if (r < 0) {
                        report_error(report, "the changes are made, but the journal could not be closed: %s",
                                     strerror(-r));
                        return r;
                }
                log_change(o, &(struct log_fields){.run = run.id}, "run %s applied", run.id);
                return 0;
        }

        (void)run_set_state(&run, "failed");
        report_error(report, "%s: %s", report->results[failed_at].what,
                     strna(report->results[failed_at].reason));
        if (o->keep_on_failure)
                return first;
        r = rollback_run(&run, false, report);
        if (r < 0) {
                char *s = strdup_printf("%s; undoing the run failed too (hostprep rollback %s)",
                                        report->error, run.id);
                if (s) {
                        free(report->error);
                        report->error = s;
                }
        }
        return first;
}

/* ---- rollback ---- */

/* The contents of files/NAME of the run, as a file_state. */
static int run_file(struct run *run, const char *name, struct file_state *ret)
{
        if (!name || strchr(name, '/'))
                return -EBADMSG;
        return file_state_read(run->files_fd, name, ret);
}

/* Whether a write-file entry can be undone without losing someone's later edit. */
static int check_undo_file(struct run *run, json_object *e, char **ret_reason)
{
        _cleanup_(file_state_done) struct file_state cur = {}, old = {}, new = {};
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = -1;
        const char *path = json_str(e, "path");
        bool existed = json_flag(e, "existed");
        int r;

        if (!path)
                return -EBADMSG;
        dfd = hostfs_open_parent(run->o->fs, path, &name);
        if (dfd == -ENOENT)
                return 0; /* nothing there: nothing to lose */
        r = dfd < 0 ? dfd : file_state_read(dfd, name, &cur);
        if (r < 0) {
                *ret_reason = strdup_printf("cannot read %s: %s", path, strerror(-r));
                return r;
        }
        r = run_file(run, json_str(e, "new"), &new);
        if (r >= 0 && existed)
                r = run_file(run, json_str(e, "backup"), &old);
        if (r < 0 || (existed && !old.exists)) {
                *ret_reason = strdup_printf("the run's copies of %s are missing", path);
                return r < 0 ? r : -ENOENT;
        }
        if (!cur.exists || (new.exists &&file_has(&cur, new.data, new.len)) ||
            (existed && file_has(&cur, old.data, old.len)))
                return 0;
        *ret_reason =
                strdup_printf("%s was changed after the run; not overwriting it (--force to restore it "
                              "anyway)",
                              path);
        return -ESTALE;
}

static int undo_file(struct run *run, json_object *e, struct apply_result *res)
{
        _cleanup_(file_state_done) struct file_state cur = {}, old = {};
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = -1;
        const char *path = json_str(e, "path"), *temp = json_str(e, "temp");
        struct file_meta m;
        int r;

        dfd = hostfs_open_parent(run->o->fs, path, &name);
        if (dfd == -ENOENT && !json_flag(e, "existed")) {
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
        r = file_state_read(dfd, name, &cur);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot read %s: %s", path, strerror(-r));
                return r;
        }
        if (!json_flag(e, "existed")) {
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
        r = run_file(run, json_str(e, "backup"), &old);
        if (r < 0 || !old.exists) {
                result_set(res, APPLY_FAILED, "the backup of %s is missing", path);
                return r < 0 ? r : -ENOENT;
        }
        m = (struct file_meta){true, json_mode(e), (uid_t)json_int(e, "uid", 0),
                               (gid_t)json_int(e, "gid", 0), json_str(e, "label")};
        if (file_has(&cur, old.data, old.len) && (cur.st.st_mode & 07777) == m.mode &&
            cur.st.st_uid == m.uid && cur.st.st_gid == m.gid) {
                result_set(res, APPLY_UNCHANGED, NULL);
                return 0;
        }
        r = write_atomic_at(dfd, name, temp ? temp : ".#hostprep.restore", old.data, old.len, &m,
                            hostfs_is_live(run->o->fs) ? path : NULL, NULL);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "cannot restore %s: %s", path, strerror(-r));
                return r;
        }
        result_set(res, APPLY_DONE, NULL);
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

static int undo_service(struct run *run, json_object *e, struct apply_result *res)
{
        _cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
        const char *service = json_str(e, "service"), *op = strempty(json_str(e, "op"));
        const char *file = strempty(json_str(e, "previous_unit_file_state"));
        const char *active = strempty(json_str(e, "previous_active_state"));
        SystemdUnitState now;
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
        else if (streq(op, "restart") || streq(op, "reload")) {
                result_set(res, APPLY_SKIPPED, "a %s cannot be undone", op);
                return 0;
        } else {
                result_set(res, APPLY_SKIPPED, "%s was %s/%s before: nothing to put back", service, file,
                           active);
                return 0;
        }
        if (!run->o->bus) {
                result_set(res, APPLY_FAILED, "%s", no_bus_reason(run->o));
                return -ENOTCONN;
        }
        r = systemd_unit_get_state(run->o->bus, service, run->deadline, &now, &err);
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

static char *undo_what(json_object *e)
{
        const char *kind = strempty(json_str(e, "kind")), *unit = json_str(e, "unit");
        const char *path = json_str(e, "path"), *op = strempty(json_str(e, "op"));

        unit = unit ? unit : "-";
        if (streq(kind, "write-file"))
                return strdup_printf("[%s] %s %s", unit, json_flag(e, "existed") ? "restore" : "remove",
                                     strna(path));
        if (streq(kind, "mkdir"))
                return strdup_printf("[%s] rmdir %s", unit, strna(path));
        if (streq(kind, "service"))
                return strdup_printf("[%s] undo %s %s", unit, op, strna(json_str(e, "service")));
        if (streq(kind, "command"))
                return strdup_printf("[%s] undo a command", unit);
        return strdup_printf("[%s] undo %s", unit, kind);
}

static int rollback_run(struct run *run, bool force, struct apply_report *report)
{
        size_t n = json_object_array_length(run->entries), first_result = report->n_results;
        int r, first = 0;

        /* every file checked before the first undo, as apply does */
        for (size_t i = n; i-- > 0;) {
                json_object *e = json_object_array_get_idx(run->entries, i);
                _cleanup_free_ char *reason = NULL;

                if (json_flag(e, "undone") || !streq(strempty(json_str(e, "kind")), "write-file"))
                        continue;
                r = check_undo_file(run, e, &reason);
                if (r == -ESTALE && force)
                        continue;
                if (r < 0) {
                        report_error(report, "%s; nothing was rolled back", reason ? reason : strerror(-r));
                        return r;
                }
        }
        r = run_set_state(run, "rolling-back");
        if (r < 0) {
                report_error(report, "cannot write the journal of run %s: %s", run->id, strerror(-r));
                return r;
        }

        for (size_t i = n; i-- > 0;) {
                json_object *e = json_object_array_get_idx(run->entries, i);
                const char *kind = strempty(json_str(e, "kind"));
                struct apply_result *res;

                if (json_flag(e, "undone"))
                        continue;
                res = report_add(report, APPLY_NOT_RUN, undo_what(e));
                if (!res)
                        return -ENOMEM;
                if (streq(kind, "write-file"))
                        r = undo_file(run, e, res);
                else if (streq(kind, "mkdir"))
                        r = undo_mkdir(run, e, res);
                else if (streq(kind, "service"))
                        r = undo_service(run, e, res);
                else if (streq(kind, "command")) {
                        result_set(res, APPLY_SKIPPED, "a command cannot be undone");
                        r = 0;
                } else
                        r = -EBADMSG;
                if (r < 0) {
                        if (res->status != APPLY_FAILED)
                                result_set(res, APPLY_FAILED, "%s", strerror(-r));
                        if (!first)
                                first = r;
                        continue; /* undo what can be undone; a second rollback retries the rest */
                }
                if (res->status == APPLY_DONE)
                        log_change(run->o,
                                   &(struct log_fields){run->id, json_str(e, "unit"), "rollback",
                                                        json_str(e, "path"), json_str(e, "service")},
                                   "rolled back: %s", res->what);
                r = json_object_object_add(e, "undone", json_object_new_boolean(true));
                if (r < 0 || run_save(run) < 0)
                        return -ENOMEM;
        }
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

static int latest_run(const struct apply_options *o, char *ret, struct apply_report *report)
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
                r = latest_run(o, id, report);
                if (r < 0)
                        return r;
                run_id = id;
        }
        r = run_load(&run, run_id, report);
        if (r < 0)
                return r;
        state = strempty(json_str(run.journal, "state"));
        if (streq(state, "rolled-back"))
                return 1;
        return rollback_run(&run, o->force, report);
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
        info->state = strdup(json_str(j, "state") ? json_str(j, "state") : "?");
        info->started = strdup(json_str(j, "started") ? json_str(j, "started") : "?");
        if (json_object_object_get_ex(j, "entries", &entries) &&
            json_object_is_type(entries, json_type_array)) {
                info->n_entries = json_object_array_length(entries);
                for (size_t i = 0; i < info->n_entries; i++) {
                        const char *u = json_str(json_object_array_get_idx(entries, i), "unit");

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

/* ---- the report, for the CLI ---- */

void apply_report_print(FILE *f, const struct apply_report *r, bool dry_run)
{
        size_t counts[_APPLY_STATUS_MAX] = {};

        for (size_t i = 0; i < r->n_results; i++) {
                const struct apply_result *res = &r->results[i];

                counts[res->status]++;
                fprintf(f, "%-12s %s", apply_status_to_string(res->status), res->what);
                if (res->reason)
                        fprintf(f, ": %s", res->reason);
                fputc('\n', f);
                if (res->output && *res->output && res->status == APPLY_FAILED) {
                        const char *s = res->output;

                        while (*s) {
                                size_t len = strcspn(s, "\n");

                                fprintf(f, "    | %.*s\n", (int)len, s);
                                s += len + (s[len] == '\n');
                        }
                }
        }
        if (dry_run)
                fprintf(f,
                        "dry run: %zu would change, %zu unchanged, %zu skipped, %zu failed; nothing was "
                        "changed\n",
                        counts[APPLY_PLANNED], counts[APPLY_UNCHANGED], counts[APPLY_SKIPPED],
                        counts[APPLY_FAILED]);
        else
                fprintf(f, "%zu done, %zu unchanged, %zu skipped, %zu failed, %zu not run\n",
                        counts[APPLY_DONE], counts[APPLY_UNCHANGED], counts[APPLY_SKIPPED],
                        counts[APPLY_FAILED], counts[APPLY_NOT_RUN]);
        if (r->error)
                fprintf(f, "%s\n", r->error);
        if (r->run_id[0] && !dry_run)
                fprintf(f, "run %s%s\n", r->run_id,
                        r->rolled_back ? " (rolled back)" : "; undo it with: hostprep rollback");
}

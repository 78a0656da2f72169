/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision/plan.c and provision/apply.c against a throw-away root: diffs, atomic writes, the refusal of
 * stale plans, the lock, rollback, and crashes at every point of an apply. */
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "provision/apply.h"
#include "provision/command.h"
#include "provision/plan.h"
#include "strv.h"
#include "util.h"

static unsigned failures;

#define CHECK(expr)                                                                                         \
        do {                                                                                                \
                if (!(expr)) {                                                                              \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr);            \
                        failures++;                                                                         \
                        return;                                                                             \
                }                                                                                           \
        } while (0)

/* ---- a throw-away root ---- */

static char root[] = "/tmp/test-plan-XXXXXX";
static struct hostfs *fs;
static const char *const state = "/var/lib/hostprep";

static char *rpath(const char *path)
{
        return strdup_printf("%s%s", root, path);
}

static void put(const char *path, const char *text, mode_t mode)
{
        _cleanup_free_ char *p = rpath(path);
        FILE *f = fopen(p, "we");

        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
        chmod(p, mode);
}

/* The file's text, or NULL when absent. */
static char *get(const char *path)
{
        char *s = NULL;

        if (hostfs_read_file(fs, path, &s, NULL) < 0)
                return NULL;
        return s;
}

static bool has(const char *path, const char *text)
{
        _cleanup_free_ char *s = get(path);

        return text ? s && streq(s, text) : !s;
}

static bool exists(const char *path)
{
        struct stat st;

        return hostfs_stat(fs, path, &st) >= 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(p);
}

static void rm_rf(const char *p)
{
        nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void reset_root(void)
{
        _cleanup_free_ char *etc = rpath("/etc"), *srv = rpath("/srv"), *var = rpath("/var");

        rm_rf(etc);
        rm_rf(srv);
        rm_rf(var);
        mkdir(etc, 0755);
}

/* no temporary file of ours left in dir */
static bool no_temp_in(const char *dir)
{
        _cleanup_(strv_freep) char **names = NULL;

        if (hostfs_list_dir(fs, dir, &names) < 0)
                return true;
        STRV_FOREACH (n, names)
                if (strstr(*n, ".hostprep"))
                        return false;
        return true;
}

static struct apply_options options(void)
{
        return (struct apply_options){.fs = fs,
                                      .state_dir = state,
                                      .no_journald = true,
                                      .deadline = now_usec() + 10 * USEC_PER_SEC};
}

/* ---- diffs ---- */

static char *diff_of(const char *before, const char *after, int *ret_hunks)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        *ret_hunks = plan_diff(f, "/etc/x", before, after);
        fclose(f);
        return buf;
}

static void check_diff(const char *before, const char *after, int hunks, const char *want)
{
        int got_hunks;
        _cleanup_free_ char *got = diff_of(before, after, &got_hunks);

        if (got_hunks != hunks || !streq(got, want)) {
                fprintf(stderr, "diff: got %d hunks:\n%s--- want %d hunks:\n%s---\n", got_hunks, got, hunks,
                        want);
                failures++;
        }
}

static void test_diff_cases(void)
{
        check_diff("a\nb\n", "a\nb\n", 0, "");
        check_diff(NULL, "a\nb\n", 1, "--- /dev/null\n+++ b/etc/x\n@@ -0,0 +1,2 @@\n+a\n+b\n");
        check_diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\n2\n3\n4\n6\n7\n8\n9\n10\n", 1,
                   "--- a/etc/x\n+++ b/etc/x\n@@ -2,7 +2,6 @@\n 2\n 3\n 4\n-5\n 6\n 7\n 8\n");
        check_diff("a\nb", "a\nb\n", 1,
                   "--- a/etc/x\n+++ b/etc/x\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
        check_diff("a\nb\n", "a\nc", 1,
                   "--- a/etc/x\n+++ b/etc/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n");
        check_diff("a\n", "", 1, "--- a/etc/x\n+++ b/etc/x\n@@ -1 +0,0 @@\n-a\n");
        check_diff("", "", 0, "");
        /* changes 9 lines apart: two hunks; 6 apart: one */
        check_diff(
                "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\nX\n3\n4\n5\n6\n7\n8\n9\n10\nY\n12\n", 2,
                "--- a/etc/x\n+++ b/etc/x\n@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n@@ -8,5 +8,5 @@\n 8\n 9\n 10\n-11\n+Y\n 12\n");
        check_diff(
                "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\nX\n3\n4\n5\n6\n7\n8\nY\n", 1,
                "--- a/etc/x\n+++ b/etc/x\n@@ -1,9 +1,9 @@\n 1\n-2\n+X\n 3\n 4\n 5\n 6\n 7\n 8\n-9\n+Y\n");
}

/* Applies a unified diff (as plan_diff writes it) to before; NULL when it does not apply. */
static char *patch(const char *before, const char *diff)
{
        _cleanup_(strv_freep) char **lines = NULL;
        char *out = NULL;
        size_t len = 0, pos = 0;
        const char *src = before ? before : "";
        FILE *f = open_memstream(&out, &len);
        char **l;

        /* split keeping empty lines */
        for (const char *s = diff; *s;) {
                size_t n = strcspn(s, "\n");
                strv_push(&lines, strndup(s, n));
                s += n + (s[n] == '\n');
        }
        for (l = lines + 2; l && *l;) {
                unsigned a, b = 1, c, d = 1;

                /* "@@ -A[,B] +C[,D] @@": an empty range names the line before it */
                if (sscanf(*l, "@@ -%u,%u +%u", &a, &b, &c) != 3 && sscanf(*l, "@@ -%u +%u", &a, &c) != 2)
                        goto fail;
                (void)d;
                b = b == 0 ? a : a - 1; /* lines to copy before the hunk */
                /* copy untouched lines up to the hunk */
                while (pos < b) {
                        size_t n = strcspn(src, "\n");
                        fwrite(src, 1, n + (src[n] == '\n'), f);
                        src += n + (src[n] == '\n');
                        pos++;
                }
                for (l++; *l && (*l)[0] != '@'; l++) {
                        char kind = (*l)[0];
                        bool nonl = l[1] && l[1][0] == '\\';
                        size_t n = strcspn(src, "\n");

                        if (kind == '\\')
                                continue;
                        if (kind == ' ' || kind == '-') {
                                if (strncmp(src, *l + 1, n) != 0 || strlen(*l + 1) != n ||
                                    (src[n] == '\n') == nonl)
                                        goto fail;
                                if (kind == ' ')
                                        fwrite(src, 1, n + (src[n] == '\n'), f);
                                src += n + (src[n] == '\n');
                                pos++;
                        } else if (kind == '+') {
                                fputs(*l + 1, f);
                                if (!nonl)
                                        fputc('\n', f);
                        } else
                                goto fail;
                }
        }
        fputs(src, f);
        fclose(f);
        return out;
fail:
        fclose(f);
        free(out);
        return NULL;
}

static char *random_text(unsigned *seed)
{
        static const char *const words[] = {"a", "b", "c", "d", "# comment", ""};
        unsigned n = (unsigned)rand_r(seed) % 25;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        for (unsigned i = 0; i < n; i++)
                fprintf(f, "%s%s", words[rand_r(seed) % ELEMENTSOF(words)],
                        i + 1 < n || rand_r(seed) % 4 ? "\n" : "");
        fclose(f);
        return buf;
}

/* Random texts: the diff, applied, gives the new text back, and never carries more than 3 lines of
 * context at a hunk's edges. */
static void test_diff_roundtrip(void)
{
        unsigned seed = 42, trials = 2000;

        for (unsigned i = 0; i < trials; i++) {
                _cleanup_free_ char *a = random_text(&seed), *b = random_text(&seed), *d = NULL, *p = NULL;
                int hunks;

                d = diff_of(i % 10 == 0 ? NULL : a, b, &hunks);
                CHECK(hunks >= 0);
                if (hunks == 0) {
                        CHECK(i % 10 != 0 ? streq(a, b) : !*b);
                        continue;
                }
                p = patch(i % 10 == 0 ? NULL : a, d);
                if (!p || !streq(p, b)) {
                        fprintf(stderr, "round trip %u failed:\n[%s]\n[%s]\n%s", i, a, b, d);
                        failures++;
                        return;
                }
        }
        printf("  %u random diffs patched back exactly\n", trials);
}

static void test_print(void)
{
        _cleanup_(plan_done) struct plan p = {};
        char *argv[] = {(char *)"exportfs", (char *)"-r", (char *)"a b", (char *)"it's", (char *)"", NULL};
        _cleanup_free_ char *q = plan_quote_argv(argv), *out = NULL;
        size_t len = 0;
        FILE *f;

        CHECK(q && streq(q, "exportfs -r 'a b' 'it'\\''s' ''"));
        CHECK(plan_write_file(&p, "nfs.export", "/etc/exports", "a\n", "a\nb\n", 0644, "export /srv") == 0);
        CHECK(plan_mkdir(&p, "nfs.export", "/srv/nfs", 0755, NULL) == 0);
        CHECK(plan_service(&p, "nfs.export", "nfs-server.service", SERVICE_RESTART, "pick up exports") == 0);
        CHECK(plan_mark_disruptive(&p, "NFS clients stall for a moment") == 0);
        CHECK(plan_command(&p, "nfs.export", argv, NULL) == 0);
        CHECK(plan_command(&p, "x", (char *[]){NULL}, NULL) == -EINVAL);
        f = open_memstream(&out, &len);
        CHECK(plan_print(f, &p, false) == 0);
        fclose(f);
        CHECK(streq(
                out,
                "Plan: 4 actions\n[nfs.export] edit /etc/exports: export /srv\n--- a/etc/exports\n+++ b/etc/exports\n@@ -1 +1,2 @@\n a\n+b\n[nfs.export] mkdir /srv/nfs (mode 0755)\n[nfs.export] systemctl restart nfs-server.service: pick up exports\n    disruptive: NFS clients stall for a moment; skipped unless --force is given\n[nfs.export] run exportfs -r 'a b' 'it'\\''s' ''\n"));
}

/* A domain redefined: a line naming it, then the diff of its XML; under --root it cannot be done (no
 * libvirtd to ask), which refuses the whole plan before anything changes. */
static void test_libvirt_define(void)
{
        _cleanup_(plan_done) struct plan p = {};
        _cleanup_free_ char *out = NULL;
        struct apply_options o = options();
        struct apply_report r = {};
        size_t len = 0;
        FILE *f;

        CHECK(plan_write_file(&p, "t.file", "/etc/untouched", NULL, "x\n", 0644, NULL) == 0);
        CHECK(plan_libvirt_define(
                      &p, "libvirt.domains", NULL, "web1", "3e3fce45-4f53-4fa7-bb32-11f34168b82b",
                      "<domain>\n  <name>web1</name>\n  <driver cache='writeback'/>\n</domain>\n",
                      "<domain>\n  <name>web1</name>\n  <driver cache='none'/>\n</domain>\n",
                      "cache none") == 0);
        f = open_memstream(&out, &len);
        CHECK(f && plan_print(f, &p, false) == 0);
        fclose(f);
        CHECK(strstr(out,
                     "[libvirt.domains] redefine domain web1 (qemu:///system): cache none\n--- a/web1.xml\n"
                     "+++ b/web1.xml\n@@ -1,4 +1,4 @@\n <domain>\n   <name>web1</name>\n"
                     "-  <driver cache='writeback'/>\n+  <driver cache='none'/>\n </domain>\n"));

        reset_root();
        CHECK(apply_plan(&p, &o, &r) == -EOPNOTSUPP);
        CHECK(r.n_results == 2 && r.results[1].status == APPLY_FAILED &&
              strstr(r.results[1].reason, "needs the running host's libvirtd"));
        CHECK(r.error && strstr(r.error, "nothing was changed") && !r.run_id[0]);
        CHECK(!exists("/etc/untouched"));
        apply_report_done(&r);
}

/* ---- writing ---- */

static void test_atomic_write_keeps_mode_owner(void)
{
        _cleanup_free_ char *p = rpath("/etc/f");
        bool as_root = geteuid() == 0;
        struct stat st;

        reset_root();
        put("/etc/f", "old\n", 0640);
        if (as_root)
                CHECK(chown(p, 1234, 5678) == 0);
        CHECK(apply_write_file(fs, "/etc/f", "new\n", 4, 0600) == 0);
        CHECK(has("/etc/f", "new\n"));
        CHECK(stat(p, &st) == 0);
        CHECK((st.st_mode & 07777) == 0640);
        if (as_root)
                CHECK(st.st_uid == 1234 && st.st_gid == 5678);
        CHECK(no_temp_in("/etc"));
        /* a new file gets the mode asked for, whatever the umask */
        CHECK(apply_write_file(fs, "/etc/g", "x", 1, 0604) == 0);
        CHECK(hostfs_stat(fs, "/etc/g", &st) == 0 && (st.st_mode & 07777) == 0604);
        /* a symlink is not replaced */
        CHECK(symlinkat("f", hostfs_open(fs, "/etc", O_RDONLY | O_DIRECTORY), "link") == 0);
        CHECK(apply_write_file(fs, "/etc/link", "y", 1, 0644) == -ELOOP);
        CHECK(has("/etc/f", "new\n"));
        if (!as_root)
                printf("  (not root: owner not checked)\n");
}

/* The plan most tests use: edit a file, create one, create directories and a file in them. */
static void make_plan(struct plan *p)
{
        *p = (struct plan){};
        plan_write_file(p, "t.edit", "/etc/a.conf", "keep\nold\n", "keep\nnew\n", 0644, "edit");
        plan_write_file(p, "t.create", "/etc/new.conf", NULL, "created\n", 0600, "create");
        plan_mkdir(p, "t.dir", "/srv/x/y", 0750, "dir");
        plan_write_file(p, "t.dir", "/srv/x/y/z", NULL, "z\n", 0644, "in dir");
}

static void setup_files(void)
{
        reset_root();
        put("/etc/a.conf", "keep\nold\n", 0640);
        put("/etc/other", "other\n", 0644);
}

static bool files_as_before(void)
{
        _cleanup_free_ char *p = rpath("/etc/a.conf");
        struct stat st;

        return has("/etc/a.conf", "keep\nold\n") && stat(p, &st) == 0 && (st.st_mode & 07777) == 0640 &&
               !exists("/etc/new.conf") && !exists("/srv") && has("/etc/other", "other\n") &&
               no_temp_in("/etc");
}

static void test_apply_and_rollback(void)
{
        _cleanup_(plan_done) struct plan p;
        struct apply_options o = options();
        struct apply_report r1 = {}, r2 = {}, r3 = {}, r4 = {};
        struct apply_run_info *runs = NULL;
        size_t n_runs = 0;
        struct stat st;

        _cleanup_free_ char *log = NULL, *line = NULL, *jpath = NULL;
        size_t log_len = 0;

        setup_files();
        make_plan(&p);
        o.log = open_memstream(&log, &log_len);
        CHECK(apply_plan(&p, &o, &r1) == 0);
        fclose(o.log);
        o.log = NULL;
        for (size_t i = 0; i < r1.n_results; i++)
                CHECK(r1.results[i].status == APPLY_DONE);
        CHECK(r1.run_id[0]);
        /* without journald, one line per change to the caller's stream */
        line = strdup_printf("hostprep[%s]: t.edit: edited /etc/a.conf\n", r1.run_id);
        CHECK(strstr(log, line) && strstr(log, "t.dir: created /srv/x/y\n"));
        jpath = strdup_printf("/var/lib/hostprep/runs/%s/journal.json", r1.run_id);
        if (getenv("TEST_PLAN_SHOW_JOURNAL")) {
                _cleanup_free_ char *j = get(jpath);
                printf("%s\n%s\n", jpath, strna(j));
        }
        CHECK(has("/etc/a.conf", "keep\nnew\n") && has("/etc/new.conf", "created\n") &&
              has("/srv/x/y/z", "z\n"));
        CHECK(hostfs_stat(fs, "/srv/x/y", &st) == 0 && (st.st_mode & 07777) == 0750);
        CHECK(hostfs_stat(fs, "/etc/new.conf", &st) == 0 && (st.st_mode & 07777) == 0600);

        /* a second apply changes nothing and records no run */
        CHECK(apply_plan(&p, &o, &r2) == 0);
        for (size_t i = 0; i < r2.n_results; i++)
                CHECK(r2.results[i].status == APPLY_UNCHANGED);
        CHECK(!r2.run_id[0]);
        CHECK(apply_list_runs(&o, &runs, &n_runs) == 0);
        CHECK(n_runs == 1 && streq(runs[0].id, r1.run_id) && streq(runs[0].state, "applied") &&
              runs[0].n_entries == 4 && streq(runs[0].units, "t.edit,t.create,t.dir"));
        apply_run_info_free_many(runs, n_runs);

        CHECK(apply_rollback(&o, NULL, &r3) == 0);
        CHECK(r3.rolled_back && streq(r3.run_id, r1.run_id));
        CHECK(files_as_before());
        /* the second time: nothing to do, said so */
        CHECK(apply_rollback(&o, r1.run_id, &r4) == 1);
        CHECK(r4.n_results == 0);
        apply_report_done(&r1);
        apply_report_done(&r2);
        apply_report_done(&r3);
        apply_report_done(&r4);
}

static void test_stale_refused(void)
{
        _cleanup_(plan_done) struct plan p;
        struct apply_options o = options();
        struct apply_report r = {};

        setup_files();
        make_plan(&p);
        plan_write_file(&p, "t.stale", "/etc/other", "what the plan read\n", "changed\n", 0644, NULL);
        CHECK(apply_plan(&p, &o, &r) == -ESTALE);
        CHECK(r.results[4].status == APPLY_FAILED && strstr(r.results[4].reason, "changed since"));
        CHECK(r.results[0].status == APPLY_NOT_RUN);
        CHECK(r.error && strstr(r.error, "nothing was changed"));
        CHECK(!r.run_id[0]);
        CHECK(files_as_before());
        CHECK(!exists("/var/lib/hostprep/runs"));
        apply_report_done(&r);

        /* a file that appeared where the plan saw none */
        setup_files();
        put("/etc/new.conf", "someone else's\n", 0644);
        CHECK(apply_plan(&p, &o, &r) == -ESTALE);
        CHECK(has("/etc/a.conf", "keep\nold\n") && has("/etc/new.conf", "someone else's\n"));
        apply_report_done(&r);
}

/* A kernel without openat2 RESOLVE_IN_ROOT (forced): a dry run still reads the root, an apply or a rollback
 * is refused before anything is written, and says why. */
static void test_no_openat2_refused(void)
{
        _cleanup_(plan_done) struct plan p;
        _cleanup_(hostfs_freep) struct hostfs *prefixed = NULL;
        struct apply_options o = options();
        struct apply_report r = {};

        setup_files();
        make_plan(&p);
        CHECK(hostfs_new_with_flags(root, HOSTFS_NO_OPENAT2, &prefixed) == 0);
        o.fs = prefixed;
        o.dry_run = true;
        CHECK(apply_plan(&p, &o, &r) == 0);
        CHECK(r.results[0].status == APPLY_PLANNED);
        apply_report_done(&r);

        o.dry_run = false;
        CHECK(apply_plan(&p, &o, &r) == -EOPNOTSUPP);
        CHECK(r.error &&
              startswith(r.error,
                         "the kernel lacks openat2 RESOLVE_IN_ROOT: refusing to write below --root ") &&
              strstr(r.error, root) && strstr(r.error, "nothing was changed"));
        CHECK(!r.run_id[0]);
        CHECK(files_as_before());
        CHECK(!exists("/var/lib/hostprep"));
        apply_report_done(&r);

        CHECK(apply_rollback(&o, NULL, &r) == -EOPNOTSUPP);
        CHECK(r.error && strstr(r.error, "RESOLVE_IN_ROOT"));
        apply_report_done(&r);
        CHECK(apply_write_file(prefixed, "/etc/a.conf", "x", 1, 0644) == -EOPNOTSUPP);
        CHECK(has("/etc/a.conf", "keep\nold\n"));
}

static void test_failure_rolls_back(void)
{
        _cleanup_(plan_done) struct plan p;
        struct apply_options o = options();
        struct apply_report r = {};

        setup_files();
        make_plan(&p);
        /* passes the check (a new file whose directory may come from a mkdir), fails when written */
        plan_write_file(&p, "t.fail", "/nowhere/f", NULL, "x\n", 0644, NULL);
        CHECK(apply_plan(&p, &o, &r) == -ENOENT);
        CHECK(r.results[4].status == APPLY_FAILED);
        CHECK(r.rolled_back);
        CHECK(files_as_before());
        apply_report_done(&r);
}

static void test_lock_refused(void)
{
        _cleanup_(plan_done) struct plan p;
        _cleanup_close_ int fd = -1;
        struct apply_options o = options();
        struct apply_report r = {}, r2 = {};

        setup_files();
        make_plan(&p);
        CHECK(hostfs_mkdir(fs, "/var", 0755) == 0 && hostfs_mkdir(fs, "/var/lib", 0755) == 0 &&
              hostfs_mkdir(fs, "/var/lib/hostprep", 0700) == 0);
        fd = hostfs_open(fs, "/var/lib/hostprep/lock", O_RDWR | O_CREAT);
        CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);
        CHECK(apply_plan(&p, &o, &r) == -EBUSY);
        CHECK(r.error && strstr(r.error, "another hostprep"));
        CHECK(files_as_before());
        CHECK(apply_rollback(&o, NULL, &r2) == -EBUSY);
        apply_report_done(&r);
        apply_report_done(&r2);
}

static void test_dry_run_and_disruptive(void)
{
        _cleanup_(plan_done) struct plan p;
        struct apply_options o = options();
        struct apply_report r = {};

        setup_files();
        make_plan(&p);
        plan_service(&p, "t.svc", "x.service", SERVICE_RESTART, NULL);
        plan_mark_disruptive(&p, "clients stall");
        o.dry_run = true;
        CHECK(apply_plan(&p, &o, &r) == 0);
        CHECK(r.results[0].status == APPLY_PLANNED && r.results[3].status == APPLY_PLANNED);
        CHECK(r.results[4].status == APPLY_SKIPPED && strstr(r.results[4].reason, "--force"));
        CHECK(files_as_before() && !exists("/var"));
        apply_report_done(&r);

        /* with force, the service action needs a bus: refused before anything changes */
        o.dry_run = false;
        o.force = true;
        CHECK(apply_plan(&p, &o, &r) == -ENOTCONN);
        CHECK(strstr(r.results[4].reason, "no system bus"));
        CHECK(files_as_before());
        apply_report_done(&r);
}

/* ---- crashes ---- */

static unsigned crash_at, crash_seen;
static char crash_where[32];

static void crash_hook(const char *where, void *userdata)
{
        if (++crash_seen == crash_at) {
                if (userdata)
                        _exit(0); /* as if killed: nothing more written */
        }
        snprintf(crash_where, sizeof(crash_where), "%s", where);
}

/* Every touched file is whole: its old or its new content. */
static bool files_whole(void)
{
        return (has("/etc/a.conf", "keep\nold\n") || has("/etc/a.conf", "keep\nnew\n")) &&
               (has("/etc/new.conf", NULL) || has("/etc/new.conf", "created\n")) &&
               (has("/srv/x/y/z", NULL) || has("/srv/x/y/z", "z\n"));
}

static void test_crash_then_rollback_or_apply(void)
{
        _cleanup_(plan_done) struct plan p;
        struct apply_options o = options();
        struct apply_report r = {};
        unsigned points;

        /* how many crash points one apply passes */
        setup_files();
        make_plan(&p);
        o.crash_point = crash_hook;
        crash_at = 0, crash_seen = 0;
        CHECK(apply_plan(&p, &o, &r) == 0);
        apply_report_done(&r);
        points = crash_seen;
        CHECK(points >= 15);

        for (unsigned i = 1; i <= points; i++)
                for (unsigned then_apply = 0; then_apply < 2; then_apply++) {
                        struct apply_report r2 = {};
                        int status;
                        pid_t pid;

                        setup_files();
                        crash_at = i, crash_seen = 0;
                        o.userdata = (void *)1;
                        pid = fork();
                        if (pid == 0) {
                                struct apply_report rc = {};
                                _exit(apply_plan(&p, &o, &rc) == 0 ? 3 : 4);
                        }
                        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                              WEXITSTATUS(status) == 0);
                        CHECK(files_whole());
                        o.userdata = NULL;
                        crash_at = 0;
                        if (then_apply) {
                                /* the next apply converges, and its rollback still restores */
                                CHECK(apply_plan(&p, &o, &r2) == 0);
                                CHECK(has("/etc/a.conf", "keep\nnew\n") && has("/srv/x/y/z", "z\n"));
                                apply_report_done(&r2);
                                CHECK(apply_rollback(&o, NULL, &r2) == 0);
                                apply_report_done(&r2);
                        }
                        /* the crashed run itself rolls back from its journal */
                        {
                                struct apply_run_info *runs = NULL;
                                size_t n = 0;

                                CHECK(apply_list_runs(&o, &runs, &n) == 0 && n >= 1);
                                /* 1: already rolled back, when the apply after the crash had nothing left
                                 * to do and so the rollback above took the crashed run */
                                CHECK(apply_rollback(&o, runs[0].id, &r2) >= 0);
                                apply_run_info_free_many(runs, n);
                        }
                        apply_report_done(&r2);
                        if (!files_as_before()) {
                                fprintf(stderr, "crash at point %u (then %s): not restored\n", i,
                                        then_apply ? "apply" : "rollback");
                                failures++;
                                return;
                        }
                }
        printf("  killed at each of %u crash points, then rollback or apply+rollback: %u trials\n", points,
               2 * points);
}

/* ---- the plan as JSON (a fix runs in the unit's child and hands its plan back this way) ---- */

static bool same_str(const char *a, const char *b)
{
        return streq_ptr(a, b);
}

static bool same_action(const struct action *a, const struct action *b)
{
        char *const *x = a->argv, *const *y = b->argv;

        for (; x && y && *x && *y; x++, y++)
                if (!streq(*x, *y))
                        return false;
        return a->kind == b->kind && same_str(a->unit_id, b->unit_id) && same_str(a->why, b->why) &&
               same_str(a->disruption, b->disruption) && same_str(a->path, b->path) &&
               same_str(a->before, b->before) && same_str(a->after, b->after) && a->mode == b->mode &&
               same_str(a->service, b->service) && a->op == b->op && (!x || !*x) && (!y || !*y) &&
               !a->argv == !b->argv && same_str(a->uri, b->uri) && same_str(a->domain, b->domain) &&
               same_str(a->uuid, b->uuid);
}

static void test_plan_json_roundtrip(void)
{
        char *argv[] = {(char *)"exportfs", (char *)"-r", (char *)"it's \"quoted\"", NULL};
        struct plan p = {0}, back = {0};
        json_object *j;
        const char *text;

        CHECK(plan_write_file(&p, "t.file", "/etc/new", NULL, "new\n", 0600, "a new file") == 0);
        CHECK(plan_write_file(&p, "t.file", "/etc/old", "old\n", "old\nmore\n", 0644, NULL) == 0);
        CHECK(plan_mkdir(&p, "t.dir", "/srv/x", 0755, "where it goes") == 0);
        for (enum service_op op = 0; op < _SERVICE_OP_MAX; op++)
                CHECK(plan_service(&p, "t.svc", "nfs-server.service", op, "restart it") == 0);
        CHECK(plan_mark_disruptive(&p, "clients lose their locks") == 0);
        CHECK(plan_command(&p, NULL, argv, "reload the exports") == 0);
        /* a reload redone on rollback only while its guest's include exists */
        CHECK(plan_command_redone_while(&p, "t.aa", argv, "/etc/apparmor.d/libvirt/x.files", NULL) == 0);
        CHECK(plan_command_redone_while(&p, "t.aa", argv, "relative.files", NULL) == -EINVAL);
        CHECK(plan_libvirt_define(&p, "t.domain", NULL, "web1", "3E3FCE45-4F53-4FA7-BB32-11F34168B82B",
                                  "<domain>\n  <driver cache='writeback'/>\n</domain>\n",
                                  "<domain>\n  <driver cache='none'/>\n</domain>\n", "cache none") == 0);
        CHECK(plan_libvirt_define(&p, "t.domain", "qemu+ssh://h2/system", "web2",
                                  "3e3fce45-4f53-4fa7-bb32-11f34168b82c", "<domain/>", "<domain></domain>",
                                  NULL) == 0);
        /* the default connection is written out, the UUID as libvirt formats it */
        CHECK(streq(p.actions[p.n_actions - 2].uri, PLAN_LIBVIRT_URI_DEFAULT) &&
              streq(p.actions[p.n_actions - 2].uuid, "3e3fce45-4f53-4fa7-bb32-11f34168b82b"));
        CHECK(plan_libvirt_define(&p, "t", NULL, "web1", "not-a-uuid", "a", "b", NULL) == -EINVAL);
        CHECK(plan_libvirt_define(&p, "t", NULL, "", "3e3fce45-4f53-4fa7-bb32-11f34168b82c", "a", "b",
                                  NULL) == -EINVAL);
        CHECK(plan_libvirt_define(&p, "t", NULL, "web1", "3e3fce45-4f53-4fa7-bb32-11f34168b82c", NULL, "b",
                                  NULL) == -EINVAL);

        j = plan_to_json(&p);
        CHECK(j);
        /* through text, as it crosses the pipe */
        text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
        json_object *parsed = json_tokener_parse(text);
        json_object_put(j);
        CHECK(parsed);
        CHECK(plan_write_file(&back, "t.first", "/etc/first", NULL, "x", 0644, NULL) == 0);
        CHECK(plan_from_json(parsed, &back, NULL) == 0);
        json_object_put(parsed);
        /* appended after what was there */
        CHECK(back.n_actions == p.n_actions + 1 && streq(back.actions[0].path, "/etc/first"));
        for (size_t i = 0; i < p.n_actions; i++)
                CHECK(same_action(&p.actions[i], &back.actions[i + 1]));
        CHECK(back.actions[4 + _SERVICE_OP_MAX + 1].redo_on_rollback &&
              streq(back.actions[4 + _SERVICE_OP_MAX + 1].path, "/etc/apparmor.d/libvirt/x.files"));
        plan_done(&p);
        plan_done(&back);
}

static void test_plan_json_malformed(void)
{
        static const char *const bad[] = {
                "{}",
                "[{\"kind\": \"reboot\"}]",
                "[{\"kind\": \"write-file\", \"path\": \"/etc/x\", \"after\": \"x\"}]",
                "[{\"kind\": \"write-file\", \"path\": \"etc/x\", \"after\": \"x\", \"mode\": 420}]",
                "[{\"kind\": \"mkdir\", \"mode\": 493}]",
                "[{\"kind\": \"service\", \"service\": \"x.service\", \"op\": \"explode\"}]",
                "[{\"kind\": \"command\", \"argv\": []}]",
                "[{\"kind\": \"command\", \"argv\": [\"ls\", 3]}]",
                "[{\"kind\": \"mkdir\", \"path\": \"/a\", \"mode\": 493}, 7]",
                "[{\"kind\": \"libvirt-define\", \"domain\": \"d\", \"before\": \"a\", \"after\": \"b\"}]",
                "[{\"kind\": \"libvirt-define\", \"domain\": \"d\", \"uuid\": \"x\", \"before\": \"a\", "
                "\"after\": \"b\"}]",
                "[{\"kind\": \"libvirt-define\", \"uuid\": \"3e3fce45-4f53-4fa7-bb32-11f34168b82c\", "
                "\"before\": \"a\", \"after\": \"b\"}]",
                "[{\"kind\": \"libvirt-define\", \"domain\": \"d\", \"uuid\": "
                "\"3e3fce45-4f53-4fa7-bb32-11f34168b82c\", \"after\": \"b\"}]",
                "[{\"kind\": \"libvirt-define\", \"domain\": \"d\", \"uri\": \"\", \"uuid\": "
                "\"3e3fce45-4f53-4fa7-bb32-11f34168b82c\", \"before\": \"a\", \"after\": \"b\"}]",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                json_object *j = json_tokener_parse(bad[i]);
                _cleanup_free_ char *error = NULL;
                struct plan p = {0};
                int r;

                CHECK(j);
                CHECK(plan_mkdir(&p, "t", "/kept", 0700, NULL) == 0);
                r = plan_from_json(j, &p, &error);
                json_object_put(j);
                if (r != -EBADMSG || !error || p.n_actions != 1)
                        fprintf(stderr, "accepted or half-applied: %s\n", bad[i]);
                CHECK(r == -EBADMSG && error && p.n_actions == 1);
                plan_done(&p);
        }
}

/* ---- commands ---- */

static void test_command(void)
{
        _cleanup_(hostfs_freep) struct hostfs *live = NULL;
        char *echo[] = {(char *)"sh", (char *)"-c", (char *)"echo out; echo err >&2", NULL};
        char *env[] = {(char *)"env", NULL};
        char *hang[] = {(char *)"sleep", (char *)"10", NULL};
        char *fail[] = {(char *)"false", NULL};
        char *none[] = {(char *)"hostprep-no-such-command", NULL};
        _cleanup_free_ char *out = NULL;
        usec_t t0;
        int status;

        CHECK(hostfs_new("/", &live) == 0);
        CHECK(apply_run_command(live, echo, now_usec() + 5 * USEC_PER_SEC, &status, &out) == 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(streq(out, "out\nerr\n"));
        out = mfree(out);
        /* the environment is ours alone */
        CHECK(apply_run_command(live, env, now_usec() + 5 * USEC_PER_SEC, &status, &out) == 0);
        CHECK(streq(out, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nLC_ALL=C\n"));
        CHECK(apply_run_command(live, fail, now_usec() + 5 * USEC_PER_SEC, &status, NULL) == 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
        CHECK(apply_run_command(live, none, now_usec() + 5 * USEC_PER_SEC, &status, NULL) == -ENOENT);
        t0 = now_usec();
        CHECK(apply_run_command(live, hang, t0 + 300 * USEC_PER_MSEC, &status, NULL) == -ETIMEDOUT);
        CHECK(now_usec() - t0 < 2 * USEC_PER_SEC);
}

/* What rollback runs again of a reload: the files that are gone left out, nothing when all are gone */
static void test_command_argv_present(void)
{
        char *reload[] = {(char *)"apparmor_parser", (char *)"--replace", (char *)"/etc/aa-one",
                          (char *)"/etc/aa-gone", NULL};
        char *all_gone[] = {(char *)"apparmor_parser", (char *)"--replace", (char *)"/etc/aa-gone", NULL};
        char *no_files[] = {(char *)"exportfs", (char *)"-r", NULL};
        _cleanup_(strv_freep) char **argv = NULL, **gone = NULL, **argv2 = NULL, **gone2 = NULL,
                                   **argv3 = NULL, **gone3 = NULL;
        _cleanup_free_ char *kept = NULL;

        reset_root();
        put("/etc/aa-one", "profile one {}\n", 0644);
        CHECK(command_argv_present(fs, reload, &argv, &gone) == 0);
        kept = strv_join(argv, " ");
        CHECK(streq(kept, "apparmor_parser --replace /etc/aa-one"));
        CHECK(strv_length(gone) == 1 && streq(gone[0], "/etc/aa-gone"));
        CHECK(command_argv_present(fs, all_gone, &argv2, &gone2) == 0);
        CHECK(!argv2 && strv_length(gone2) == 1);
        CHECK(command_argv_present(fs, no_files, &argv3, &gone3) == 0);
        CHECK(strv_length(argv3) == 2 && !gone3);
}

static void test_command_output_bounded(void)
{
        _cleanup_(hostfs_freep) struct hostfs *live = NULL;
        char *big[] = {(char *)"sh", (char *)"-c", (char *)"yes | head -c 1000000", NULL};
        _cleanup_free_ char *out = NULL;
        int status;

        CHECK(hostfs_new("/", &live) == 0);
        CHECK(apply_run_command(live, big, now_usec() + 5 * USEC_PER_SEC, &status, &out) == 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(strlen(out) == APPLY_OUTPUT_MAX && startswith(out, "y\ny\n"));
}

static const struct {
        const char *name;
        void (*run)(void);
} tests[] = {
        {"diff_cases", test_diff_cases},
        {"diff_roundtrip", test_diff_roundtrip},
        {"print", test_print},
        {"libvirt_define", test_libvirt_define},
        {"atomic_write_keeps_mode_owner", test_atomic_write_keeps_mode_owner},
        {"apply_and_rollback", test_apply_and_rollback},
        {"stale_refused", test_stale_refused},
        {"no_openat2_refused", test_no_openat2_refused},
        {"failure_rolls_back", test_failure_rolls_back},
        {"lock_refused", test_lock_refused},
        {"dry_run_and_disruptive", test_dry_run_and_disruptive},
        {"crash_then_rollback_or_apply", test_crash_then_rollback_or_apply},
        {"plan_json_roundtrip", test_plan_json_roundtrip},
        {"plan_json_malformed", test_plan_json_malformed},
        {"command", test_command},
        {"command_output_bounded", test_command_output_bounded},
        {"command_argv_present", test_command_argv_present},
};

int main(void)
{
        unsigned failed = 0;

        if (!mkdtemp(root) || hostfs_new(root, &fs) < 0) {
                perror("mkdtemp");
                return EXIT_FAILURE;
        }
        for (size_t i = 0; i < ELEMENTSOF(tests); i++) {
                unsigned before = failures;
                usec_t t0 = now_usec();

                tests[i].run();
                printf("%s %s (%.3f s)\n", failures == before ? "ok  " : "FAIL", tests[i].name,
                       (double)(now_usec() - t0) / USEC_PER_SEC);
                failed += failures != before;
        }
        hostfs_free(fs);
        rm_rf(root);
        printf("%zu passed, %u failed\n", ELEMENTSOF(tests) - failed, failed);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision/prune.c through apply_plan(): after a run, old runs go by the policy (keep the last N and
 * those younger than D days), never the latest, nor one that is not closed; a prune cut short by a crash
 * is finished; rollback still undoes the latest run afterwards. Against a throw-away root. */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "provision/apply.h"
#include "provision/plan.h"
#include "strv.h"
#include "test-util.h"
#include "util.h"

static char root[] = "/tmp/test-prune-XXXXXX";
static struct hostfs *fs;

static void put(const char *rel, const char *text)
{
        _cleanup_free_ char *path = strdup_printf("%s%s", root, rel);
        _cleanup_free_ char *cmd = strdup_printf("mkdir -p \"$(dirname '%s')\"", path);
        FILE *f;

        CHECK(system(cmd) == 0, "mkdir for %s", rel);
        f = fopen(path, "we");
        CHECK(f, "create %s", rel);
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

/* A recorded run as apply leaves it: runs/ID/journal.json, a backup in files/. */
static void fake_run(const char *id, const char *state)
{
        _cleanup_free_ char *journal = strdup_printf("/state/runs/%s/journal.json", id),
                            *backup = strdup_printf("/state/runs/%s/files/1.old", id),
                            *text = strdup_printf("{\"state\": \"%s\", \"started\": \"x\", \"entries\": []}",
                                                  state);

        put(journal, text);
        put(backup, "old text\n");
}

static char *id_at(time_t t)
{
        struct tm tm;
        char stamp[20];

        gmtime_r(&t, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
        return strdup_printf("%s-001", stamp);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The runs there are now, sorted, as one string "ID ID ...". */
static char *runs_now(void)
{
        _cleanup_(strv_freep) char **names = NULL;

        if (hostfs_list_dir(fs, "/state/runs", &names) < 0)
                return strdup("(none)");
        qsort(names, strv_length(names), sizeof(char *), cmp_str);
        return strv_join(names, " ");
}

static int apply_once(const struct apply_prune_policy *p, const char *text, char *ret_id)
{
        _cleanup_(plan_done) struct plan plan = {0};
        _cleanup_free_ char *before = NULL;
        struct apply_report report = {0};
        struct apply_options o = {.fs = fs,
                                  .state_dir = "/state",
                                  .no_journald = true,
                                  .deadline = now_usec() + 10 * USEC_PER_SEC,
                                  .prune = p};
        int r;

        (void)hostfs_read_file(fs, "/etc/app.conf", &before, NULL);
        CHECK(plan_write_file(&plan, "t.prune", "/etc/app.conf", before, text, 0644, "test") == 0, "plan");
        r = apply_plan(&plan, &o, &report);
        CHECK(r == 0, "apply: %d %s", r, strna(report.error));
        memcpy(ret_id, report.run_id, APPLY_RUN_ID_MAX);
        apply_report_done(&report);
        return r;
}

int main(void)
{
        time_t now = time(NULL);
        _cleanup_free_ char *recent = id_at(now - 86400), *got = NULL, *want = NULL;
        const struct apply_prune_policy keep3 = {.keep_runs = 3, .keep_days = 30}, none = {0};
        char id1[APPLY_RUN_ID_MAX], id2[APPLY_RUN_ID_MAX];
        struct apply_report report = {0};
        struct apply_options o = {.fs = fs, .state_dir = "/state", .no_journald = true};

        if (!mkdtemp(root) || hostfs_new(root, &fs) < 0) {
                perror("mkdtemp");
                return EXIT_FAILURE;
        }
        o.fs = fs;
        for (unsigned i = 1; i <= 5; i++) {
                _cleanup_free_ char *id = strdup_printf("20200101T00000%uZ-001", i);
                fake_run(id, "applied");
        }
        fake_run("20200102T000000Z-001", "failed");
        fake_run("20200103T000000Z-001", "applying");
        fake_run("20200104T000000Z-001", "rolled-back");
        fake_run(recent, "applied");
        put("/state/runs/.pruned-20190101T000000Z-001/files/1.old", "left by a prune cut short\n");
        put("/etc/app.conf", "first\n");

        /* no policy: every run stays */
        apply_once(NULL, "second\n", id1);
        got = runs_now();
        CHECK(strstr(got, "20200101T000001Z-001") && strstr(got, ".pruned-"), "no policy keeps all: %s",
              got);
        got = mfree(got);

        /* the last 3 (the young one and both new runs) stay, and what is not closed; the old closed ones go,
         * and what a prune cut short left */
        apply_once(&keep3, "third\n", id2);
        got = runs_now();
        want = strdup_printf("20200102T000000Z-001 20200103T000000Z-001 %s %s %s", recent, id1, id2);
        CHECK(streq(got, want), "keep 3 / 30 days:\n  got  %s\n  want %s", got, want);
        got = mfree(got);
        want = mfree(want);

        /* nothing kept by count or age: still the latest, and the failed and applying ones */
        apply_once(&none, "fourth\n", id1);
        got = runs_now();
        want = strdup_printf("20200102T000000Z-001 20200103T000000Z-001 %s", id1);
        CHECK(streq(got, want), "keep 0 / 0 days:\n  got  %s\n  want %s", got, want);

        /* rollback undoes the latest run, whose backup is still there */
        CHECK(apply_rollback(&o, NULL, &report) == 0, "rollback: %s", strna(report.error));
        {
                _cleanup_free_ char *text = NULL;
                CHECK(hostfs_read_file(fs, "/etc/app.conf", &text, NULL) == 0 && streq(text, "third\n"),
                      "rolled back to \"third\": %s", strna(text));
        }
        apply_report_done(&report);

        hostfs_free(fs);
        {
                _cleanup_free_ char *cmd = strdup_printf("rm -rf '%s'", root);
                CHECK(system(cmd) == 0, "cleanup");
        }
        return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

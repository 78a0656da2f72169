/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * provision/selinux-boolean.c and the selinux-boolean plan action against a real policy store: Debian's
 * selinux-policy-default, copied from this machine's /etc/selinux and /var/lib/selinux into a scratch
 * root (semanage_set_root), so the machine's own store is never changed. A commit rebuilds the policy
 * (seconds). Exits 77 without the policy installed or without root.
 *   test-selinux-boolean
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "hostfs.h"
#include "provision/apply.h"
#include "provision/plan.h"
#include "provision/selinux-boolean.h"
#include "spawn.h"
#include "test-util.h"

#define BOOLEAN  "virt_use_nfs"
#define DEADLINE (now_usec() + 120 * USEC_PER_SEC)

static int run(char *const *argv)
{
        struct spawn_job j = {.argv = argv};
        int r = spawn_run(&j, DEADLINE);

        r = r < 0 ? r : j.exited && j.exit_status == 0 ? 0 : -EIO;
        spawn_job_done(&j);
        return r;
}

static bool is_local(const char *root, bool *ret_value)
{
        struct selinux_boolean_state st = {};
        char *error = NULL;
        int r = selinux_boolean_read(root, BOOLEAN, DEADLINE, &st, &error);

        CHECK(r == 0, "read %s: %d %s", BOOLEAN, r, error ? error : "");
        free(error);
        *ret_value = st.local_value;
        return st.local;
}

/* setsebool -P and back, by the effector itself */
static void test_effector(const char *root)
{
        char *error = NULL;
        struct selinux_boolean_state st;
        bool value;
        usec_t t0 = now_usec();

        CHECK(!is_local(root, &value), "no local value in a fresh store");
        CHECK(selinux_boolean_write(root, BOOLEAN, true, true, true, DEADLINE, &error) == 0, "set: %s",
              error ? error : "");
        free(error);
        error = NULL;
        fprintf(stderr, "commit (policy rebuilt) took %.1f s\n", (double)(now_usec() - t0) / USEC_PER_SEC);
        CHECK(is_local(root, &value) && value, "local value on");
        /* what security.selinux reads for "persistent" */
        _cleanup_free_ char *path = strdup_printf("%s/var/lib/selinux/default/active/booleans.local", root);
        _cleanup_free_ char *text = read_text(path);
        CHECK(text && strstr(text, BOOLEAN "=1\n"), "booleans.local: %s", strna(text));
        CHECK(selinux_boolean_write(root, BOOLEAN, false, false, false, DEADLINE, &error) == 0, "unset: %s",
              error ? error : "");
        free(error);
        CHECK(!is_local(root, &value), "local value gone again");
        CHECK(selinux_boolean_read(root, "no_such_boolean_here", DEADLINE, &st, NULL) == -ENOENT, "unknown");
}

/* the plan action: apply, apply again (unchanged), rollback */
static void test_action(const char *root)
{
        _cleanup_free_ char *state = strdup_printf("%s/state", root);
        struct hostfs *fs = NULL;
        struct plan p = {};
        struct apply_report r1 = {}, r2 = {}, r3 = {};
        bool value;

        CHECK(hostfs_new(root, &fs) == 0, "hostfs");
        CHECK(plan_selinux_boolean(&p, "security.selinux", BOOLEAN, true, "test") == 0, "plan");
        CHECK(plan_selinux_boolean(&p, "t", "bad name", true, NULL) == -EINVAL, "name checked");
        struct apply_options o = {
                .fs = fs, .state_dir = "/state", .no_journald = true, .deadline = DEADLINE};
        CHECK(apply_plan(&p, &o, &r1) == 0 && r1.results[0].status == APPLY_DONE, "apply: %s",
              strna(r1.error));
        CHECK(is_local(root, &value) && value, "on after apply");
        o.deadline = DEADLINE;
        CHECK(apply_plan(&p, &o, &r2) == 0 && r2.results[0].status == APPLY_UNCHANGED, "second apply");
        o.deadline = DEADLINE;
        CHECK(apply_rollback(&o, NULL, &r3) == 0, "rollback: %s", strna(r3.error));
        CHECK(!is_local(root, &value), "rollback removed the local value");
        apply_report_done(&r1);
        apply_report_done(&r2);
        apply_report_done(&r3);
        plan_done(&p);
        hostfs_free(fs);
}

int main(void)
{
        char root[] = "/var/tmp/hostprep-sebool.XXXXXX";

        if (geteuid() != 0) {
                printf("SKIP: needs root (the policy store is root's)\n");
                return 77;
        }
        if (access("/var/lib/selinux/default/active/policy.kern", R_OK) < 0 ||
            access("/etc/selinux/default", R_OK) < 0) {
                printf("SKIP: no SELinux policy store here (apt-get install selinux-policy-default)\n");
                return 77;
        }
        if (!mkdtemp(root))
                return EXIT_FAILURE;
        _cleanup_free_ char *var = strdup_printf("%s/var/lib", root), *etc = strdup_printf("%s/etc", root);
        CHECK(run((char *[]){"mkdir", "-p", var, etc, NULL}) == 0, "mkdir");
        CHECK(run((char *[]){"cp", "-a", "/var/lib/selinux", var, NULL}) == 0 &&
                      run((char *[]){"cp", "-a", "/etc/selinux", etc, NULL}) == 0,
              "copy the store");
        if (!failures) {
                test_effector(root);
                test_action(root);
        }
        run((char *[]){"rm", "-rf", root, NULL});
        return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/exec with real programs: input and output, exit codes, no shell, a deadline that kills, parallel
 * jobs that cost one deadline together, a program that does not exist. */
#include "test-util.h"
#include "exec.h"

int main(void)
{
        char *cat[] = {(char *)"cat", NULL};
        char *echo[] = {(char *)"echo", (char *)"$(id) `id` ; true", NULL};
        char *fail[] = {(char *)"sh", (char *)"-c", (char *)"echo oops >&2; exit 7", NULL};
        char *sleep10[] = {(char *)"sleep", (char *)"10", NULL};
        char *sleep03[] = {(char *)"sleep", (char *)"0.3", NULL};
        char *missing[] = {(char *)"/nonexistent/program", NULL};
        struct exec_job j = {.argv = cat, .input = "hello\n", .input_len = 6};
        usec_t t;

        CHECK(exec_run(&j, now_usec() + 5 * USEC_PER_SEC) == 0, "cat");
        CHECK(j.exit_status == 0 && j.out && streq(j.out, "hello\n"), "cat echoes stdin: %s", strna(j.out));
        exec_job_done(&j);

        j = (struct exec_job){.argv = echo};
        exec_run(&j, now_usec() + 5 * USEC_PER_SEC);
        CHECK(j.out && streq(j.out, "$(id) `id` ; true\n"), "no shell: %s", strna(j.out));
        exec_job_done(&j);

        j = (struct exec_job){.argv = fail};
        exec_run(&j, now_usec() + 5 * USEC_PER_SEC);
        CHECK(j.exit_status == 7 && j.err && streq(j.err, "oops\n"), "exit 7, stderr: %d %s", j.exit_status,
              strna(j.err));
        exec_job_done(&j);

        t = now_usec();
        j = (struct exec_job){.argv = sleep10};
        exec_run(&j, now_usec() + 300 * USEC_PER_MSEC);
        t = now_usec() - t;
        CHECK(j.timed_out && t < 800 * USEC_PER_MSEC, "deadline kills: timed_out=%d after %llu us",
              j.timed_out, (unsigned long long)t);
        exec_job_done(&j);

        {
                struct exec_job many[3] = {{.argv = sleep03}, {.argv = sleep03}, {.argv = sleep03}};
                t = now_usec();
                CHECK(exec_run_many(many, 3, now_usec() + 5 * USEC_PER_SEC) == 0, "many");
                t = now_usec() - t;
                CHECK(t < 800 * USEC_PER_MSEC, "three 0.3 s jobs run in parallel: %llu us",
                      (unsigned long long)t);
                for (int i = 0; i < 3; i++) {
                        CHECK(many[i].exit_status == 0 && !many[i].timed_out, "job %d", i);
                        exec_job_done(&many[i]);
                }
        }

        j = (struct exec_job){.argv = missing};
        exec_run(&j, now_usec() + 5 * USEC_PER_SEC);
        CHECK(j.spawn_failed && j.spawn_errno == ENOENT && j.exit_status == 127, "missing program: %d %d",
              j.spawn_failed, j.spawn_errno);
        exec_job_done(&j);

        return failures ? 1 : 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/spawn with real programs: exit codes and signals, split and merged output, stdin from a buffer
 * larger than a pipe, the environment, a deadline that kills a whole process group, a child that closes
 * its output and goes on, a child that exits while a grandchild holds its pipe, many jobs at once, fork
 * and call (and its abandonment at the deadline), long-lived children, chroot (argument "chroot", as
 * root only). Time bounds are generous: they must hold on a busy 2-core machine. */
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "deadline.h"
#include "spawn.h"
#include "strv.h"
#include "test-util.h"

static usec_t in_s(double s)
{
        return now_usec() + (usec_t)(s * USEC_PER_SEC);
}

static double since(usec_t t0)
{
        return (double)(now_usec() - t0) / USEC_PER_SEC;
}

/* Whether pid is gone (or a zombie nobody reaped yet), waiting up to 3 s for it. */
static bool gone(pid_t pid)
{
        for (usec_t until = in_s(3); now_usec() < until; usleep(20 * 1000)) {
                _cleanup_free_ char *path = strdup_printf("/proc/%d/stat", (int)pid), *stat = NULL;
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                const char *close_paren;

                if (fd < 0 || read_fd_full(fd, 4096, &stat, NULL) < 0)
                        return true;
                close_paren = strrchr(stat, ')');
                if (close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z')
                        return true;
        }
        return false;
}

static void test_exit_and_signal(void)
{
        char *fail[] = {(char *)"sh", (char *)"-c", (char *)"echo oops >&2; exit 7", NULL};
        char *sig[] = {(char *)"sh", (char *)"-c", (char *)"kill -TERM $$", NULL};
        char *missing[] = {(char *)"/nonexistent/program", NULL};
        char *echo[] = {(char *)"echo", (char *)"$(id) `id` ; true", NULL};
        struct spawn_job j = {.argv = fail};

        CHECK(spawn_run(&j, in_s(10)) == 0, "run");
        CHECK(j.exited && j.exit_status == 7 && !j.timed_out && j.err && streq(j.err, "oops\n"),
              "exit 7 and stderr: %d %s", j.exit_status, strna(j.err));
        spawn_job_done(&j);

        j = (struct spawn_job){.argv = sig};
        CHECK(spawn_run(&j, in_s(10)) == 0, "run");
        CHECK(j.exit_status == 128 + SIGTERM && WIFSIGNALED(j.wait_status), "signal: %d", j.exit_status);
        spawn_job_done(&j);

        j = (struct spawn_job){.argv = missing};
        CHECK(spawn_run(&j, in_s(10)) == 0, "run");
        CHECK(j.spawn_failed && j.spawn_errno == ENOENT && j.exit_status == 127, "missing program: %d %d",
              j.spawn_failed, j.spawn_errno);
        spawn_job_done(&j);

        j = (struct spawn_job){.argv = echo};
        CHECK(spawn_run(&j, in_s(10)) == 0, "run");
        CHECK(j.out && streq(j.out, "$(id) `id` ; true\n"), "no shell: %s", strna(j.out));
        spawn_job_done(&j);
}

static void test_output(void)
{
        char *both[] = {(char *)"sh", (char *)"-c", (char *)"echo a; echo b >&2; echo c", NULL};
        char *big[] = {(char *)"sh", (char *)"-c", (char *)"yes | head -c 1000000", NULL};
        struct spawn_job j = {.argv = both};

        CHECK(spawn_run(&j, in_s(10)) == 0, "split");
        CHECK(streq(strempty(j.out), "a\nc\n") && streq(strempty(j.err), "b\n"), "split: %s / %s",
              strna(j.out), strna(j.err));
        spawn_job_done(&j);

        j = (struct spawn_job){.argv = both, .output = SPAWN_OUTPUT_MERGED};
        CHECK(spawn_run(&j, in_s(10)) == 0, "merged");
        CHECK(streq(strempty(j.out), "a\nb\nc\n") && !j.err, "merged in order: %s", strna(j.out));
        spawn_job_done(&j);

        j = (struct spawn_job){.argv = big, .output_max = 1000};
        CHECK(spawn_run(&j, in_s(10)) == 0, "bounded");
        CHECK(j.exit_status == 0 && j.out_len == 1000 && startswith(j.out, "y\ny\n"), "bounded: %zu",
              j.out_len);
        spawn_job_done(&j);
}

static void test_input(void)
{
        char *cat[] = {(char *)"cat", NULL};
        size_t len = 1024 * 1024;
        _cleanup_free_ char *text = malloc(len);
        struct spawn_job j = {.argv = cat};

        CHECK(text, "malloc");
        if (!text)
                return;
        for (size_t i = 0; i < len; i++)
                text[i] = (char)('a' + i % 26);
        /* more than a pipe takes: the rest goes in the poll loop while cat's output is read */
        j.input = text;
        j.input_len = len;
        CHECK(spawn_run(&j, in_s(20)) == 0, "cat");
        CHECK(j.exit_status == 0 && j.out_len == len && memcmp(j.out, text, len) == 0,
              "1 MiB through cat: %zu", j.out_len);
        spawn_job_done(&j);

        j = (struct spawn_job){.argv = cat};
        CHECK(spawn_run(&j, in_s(10)) == 0 && j.exit_status == 0 && !j.out, "no input: /dev/null");
        spawn_job_done(&j);
}

static void test_environment(void)
{
        char *env[] = {(char *)"env", NULL};
        char *show[] = {(char *)"sh", (char *)"-c", (char *)"echo \"$HOSTPREP_TEST_VAR\"", NULL};
        char *const envp[] = {(char *)"FOO=bar", (char *)"LC_ALL=C", NULL};
        struct spawn_job j = {.argv = env, .path = "/usr/bin/env", .envp = envp};

        CHECK(spawn_run(&j, in_s(10)) == 0, "env");
        CHECK(streq(strempty(j.out), "FOO=bar\nLC_ALL=C\n"), "given environment only: %s", strna(j.out));
        spawn_job_done(&j);

        setenv("HOSTPREP_TEST_VAR", "inherited", 1);
        j = (struct spawn_job){.argv = show};
        CHECK(spawn_run(&j, in_s(10)) == 0, "sh");
        CHECK(streq(strempty(j.out), "inherited\n"), "inherited environment: %s", strna(j.out));
        spawn_job_done(&j);
}

static void test_deadline_kills_group(void)
{
        /* the grandchild sleeps in the child's process group; both must die at the deadline */
        char *tree[] = {(char *)"sh", (char *)"-c", (char *)"sleep 30 & echo $!; sleep 30", NULL};
        struct spawn_job j = {.argv = tree};
        usec_t t0 = now_usec();
        int grandchild = 0;

        CHECK(spawn_run(&j, in_s(0.5)) == 0, "run");
        CHECK(j.timed_out && j.exit_status == 128 + SIGKILL, "timed out: %d", j.timed_out);
        CHECK(since(t0) < 3, "ends at the deadline: %.3f s", since(t0));
        CHECK(j.out && sscanf(j.out, "%d", &grandchild) == 1, "grandchild pid: %s", strna(j.out));
        CHECK(grandchild > 0 && gone(j.pid) && gone(grandchild), "child and grandchild killed");
        spawn_job_done(&j);
}

static void test_closes_output_and_goes_on(void)
{
        char *quiet[] = {(char *)"sh", (char *)"-c", (char *)"echo bye; exec >&- 2>&-; sleep 0.5; exit 3",
                         NULL};
        char *forever[] = {(char *)"sh", (char *)"-c", (char *)"exec >&- 2>&-; sleep 30", NULL};
        struct spawn_job j = {.argv = quiet};
        usec_t t0 = now_usec();

        CHECK(spawn_run(&j, in_s(10)) == 0, "run");
        CHECK(!j.timed_out && j.exit_status == 3 && streq(strempty(j.out), "bye\n"),
              "waited for its exit: %d", j.exit_status);
        CHECK(since(t0) >= 0.45, "not done at EOF: %.3f s", since(t0));
        spawn_job_done(&j);

        j = (struct spawn_job){.argv = forever};
        t0 = now_usec();
        CHECK(spawn_run(&j, in_s(0.5)) == 0, "run");
        CHECK(j.timed_out && since(t0) < 3, "killed at the deadline: %.3f s", since(t0));
        spawn_job_done(&j);
}

static void test_exited_while_grandchild_holds_pipe(void)
{
        char *bg[] = {(char *)"sh", (char *)"-c", (char *)"sleep 30 & echo $!", NULL};
        struct spawn_job j = {.argv = bg};
        usec_t t0 = now_usec();
        int grandchild = 0;

        CHECK(spawn_run(&j, in_s(20)) == 0, "run");
        CHECK(!j.timed_out && j.exit_status == 0 && since(t0) < 5, "done when it exited: %.3f s", since(t0));
        CHECK(j.out && sscanf(j.out, "%d", &grandchild) == 1, "its output is read: %s", strna(j.out));
        if (grandchild > 0)
                kill(grandchild, SIGKILL);
        spawn_job_done(&j);
}

static void test_many_in_parallel(void)
{
        char *sleep1[] = {(char *)"sleep", (char *)"1", NULL};
        struct spawn_job jobs[10];
        usec_t t0 = now_usec();
        double took;

        for (size_t i = 0; i < ELEMENTSOF(jobs); i++)
                jobs[i] = (struct spawn_job){.argv = sleep1};
        CHECK(spawn_run_many(jobs, ELEMENTSOF(jobs), in_s(30)) == 0, "run");
        took = since(t0);
        /* one after the other they would take 10 s */
        CHECK(took >= 0.95 && took < 5, "10 jobs of sleep 1 at once: %.3f s", took);
        for (size_t i = 0; i < ELEMENTSOF(jobs); i++) {
                CHECK(jobs[i].exit_status == 0 && !jobs[i].timed_out, "job %zu", i);
                spawn_job_done(&jobs[i]);
        }
}

static int say_hello(void *userdata, int fd)
{
        const char *what = userdata;

        return spawn_reply(fd, what, strlen(what)) < 0 ? 1 : 42;
}

static int block_forever(void *userdata, int fd)
{
        (void)!write(fd, "started", 7);
        for (;;)
                pause();
        return 0;
}

/* Like a statfs stuck on a dead mount in a grandchild: the grandchild keeps the pipe, the child goes. */
static int leave_grandchild(void *userdata, int fd)
{
        pid_t g = fork();

        if (g == 0) {
                for (;;)
                        pause();
        }
        (void)!write(fd, &g, sizeof(g));
        return 0;
}

static void test_call(void)
{
        _cleanup_free_ char *out = NULL, *out2 = NULL;
        usec_t t0 = now_usec();
        size_t len = 0;
        int status = 0;
        pid_t g = 0;

        CHECK(spawn_call(in_s(10), say_hello, (void *)"hello", 0, &out, &len, &status) == 0, "call");
        CHECK(streq(strempty(out), "hello") && len == 5 && WIFEXITED(status) && WEXITSTATUS(status) == 42,
              "output and exit status: %s %d", strna(out), status);

        t0 = now_usec();
        CHECK(spawn_call(in_s(0.5), block_forever, NULL, 0, &out2, NULL, NULL) == -ETIMEDOUT, "blocked");
        CHECK(since(t0) < 0.5 + 1.0, "a blocked child is given up at the deadline: %.3f s", since(t0));
        out2 = mfree(out2);

        t0 = now_usec();
        CHECK(spawn_call(in_s(20), leave_grandchild, NULL, 0, &out2, &len, NULL) == 0, "grandchild");
        CHECK(since(t0) < 5, "done when the child exited: %.3f s", since(t0));
        if (out2 && len == sizeof(g)) {
                memcpy(&g, out2, sizeof(g));
                kill(g, SIGKILL);
        }
}

static int fill_answer(void *userdata, void *out)
{
        *(int *)out = 4711;
        return -EROFS;
}

static int block_answer(void *userdata, void *out)
{
        for (;;)
                pause();
        return 0;
}

static void test_run_with_deadline(void)
{
        usec_t t0 = now_usec();
        int answer = 0;

        CHECK(run_with_deadline(in_s(10), fill_answer, NULL, &answer, sizeof(answer)) == -EROFS &&
                      answer == 4711,
              "return value and out come back: %d", answer);
        CHECK(run_with_deadline(in_s(0.3), block_answer, NULL, &answer, sizeof(answer)) == -ETIMEDOUT,
              "blocked");
        CHECK(since(t0) < 2, "given up at the deadline: %.3f s", since(t0));
}

static void test_background(void)
{
        char tmpl[] = "/tmp/test-spawn-XXXXXX";
        char *cat[] = {(char *)"cat", NULL};
        char *sleeper[] = {(char *)"sleep", (char *)"30", NULL};
        _cleanup_close_ int log = mkstemp(tmpl);
        _cleanup_free_ char *text = NULL;
        int p[2], status = 0;
        pid_t pid = 0;
        usec_t t0;

        CHECK(log >= 0 && pipe2(p, O_CLOEXEC) == 0, "log and pipe");
        struct spawn_job j = {.argv = cat,
                              .input_kind = SPAWN_INPUT_FD,
                              .input_fd = p[0],
                              .output = SPAWN_OUTPUT_FD,
                              .output_fd = log};
        CHECK(spawn_background(&j, &pid) == 0 && pid > 0, "started");
        close(p[0]);
        CHECK(spawn_wait_pid(pid, in_s(0.2), NULL) == -ETIMEDOUT, "runs on until its stdin ends");
        CHECK(write(p[1], "logged\n", 7) == 7, "write");
        close(p[1]);
        CHECK(spawn_wait_pid(pid, in_s(10), &status) == 0 && WIFEXITED(status), "ends at EOF");
        CHECK(lseek(log, 0, SEEK_SET) == 0 && read_fd_full(log, 4096, &text, NULL) == 0 &&
                      streq(text, "logged\n"),
              "its output in the log: %s", strna(text));
        unlink(tmpl);

        j = (struct spawn_job){.argv = sleeper, .output = SPAWN_OUTPUT_NULL};
        CHECK(spawn_background(&j, &pid) == 0, "sleeper");
        t0 = now_usec();
        CHECK(spawn_stop_pid(pid, 200 * USEC_PER_MSEC, &status) == 0 && WIFSIGNALED(status) &&
                      WTERMSIG(status) == SIGTERM,
              "stopped with SIGTERM after the grace: %d", status);
        CHECK(since(t0) < 3, "stopped in time: %.3f s", since(t0));

        j = (struct spawn_job){.argv = sleeper, .output = SPAWN_OUTPUT_SPLIT};
        CHECK(spawn_background(&j, &pid) == -EINVAL, "nothing to capture in the background");
        char *missing[] = {(char *)"/nonexistent/program", NULL};
        j = (struct spawn_job){.argv = missing, .output = SPAWN_OUTPUT_NULL};
        CHECK(spawn_background(&j, &pid) == -ENOENT, "a program that does not exist");
}

/* A root with cat and the libraries it needs, where cat reads /marker: the root's, not ours. */
static int test_chroot(void)
{
        char root[] = "/tmp/test-spawn-root-XXXXXX";
        char *ldd[] = {(char *)"ldd", (char *)"/bin/cat", NULL};
        char *cat[] = {(char *)"cat", (char *)"/marker", NULL};
        _cleanup_(strv_freep) char **words = NULL, **files = NULL;
        struct spawn_job j = {.argv = ldd};
        char *rm[] = {(char *)"rm", (char *)"-rf", root, NULL};

        if (geteuid() != 0) {
                printf("SKIP: chroot needs root\n");
                return 77;
        }
        CHECK(mkdtemp(root) && spawn_run(&j, in_s(10)) == 0 && j.exit_status == 0, "ldd");
        CHECK(strv_split(strempty(j.out), " \t\n", &words) == 0, "split");
        spawn_job_done(&j);
        strv_push_dup(&files, "/bin/cat");
        STRV_FOREACH (w, words)
                if ((*w)[0] == '/')
                        strv_push_dup(&files, *w);
        STRV_FOREACH (f, files) {
                _cleanup_free_ char *dst = strdup_printf("%s%s", root, *f), *dir = strdup_printf("%s", dst);
                char *mkdir_p[] = {(char *)"mkdir", (char *)"-p", dirname(dir), NULL};
                char *cp[] = {(char *)"cp", (char *)"-L", *f, dst, NULL};
                struct spawn_job a = {.argv = mkdir_p}, b = {.argv = cp};

                CHECK(spawn_run(&a, in_s(10)) == 0 && a.exit_status == 0 && spawn_run(&b, in_s(10)) == 0 &&
                              b.exit_status == 0,
                      "copy %s", *f);
                spawn_job_done(&a);
                spawn_job_done(&b);
        }
        _cleanup_free_ char *marker = strdup_printf("%s/marker", root);
        _cleanup_close_ int fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        CHECK(fd >= 0 && write(fd, "inside\n", 7) == 7, "marker");

        j = (struct spawn_job){.argv = cat, .path = "/bin/cat", .root = root};
        CHECK(spawn_run(&j, in_s(10)) == 0, "chrooted cat");
        CHECK(j.exit_status == 0 && streq(strempty(j.out), "inside\n"), "reads the root's /marker: %d %s %s",
              j.exit_status, strna(j.out), strna(j.err));
        spawn_job_done(&j);

        j = (struct spawn_job){.argv = rm};
        spawn_run(&j, in_s(10));
        spawn_job_done(&j);
        return failures ? 1 : 0;
}

int main(int argc, char *argv[])
{
        static const struct {
                const char *name;
                void (*run)(void);
        } tests[] = {
                {"exit_and_signal", test_exit_and_signal},
                {"output", test_output},
                {"input", test_input},
                {"environment", test_environment},
                {"deadline_kills_group", test_deadline_kills_group},
                {"closes_output_and_goes_on", test_closes_output_and_goes_on},
                {"exited_while_grandchild_holds_pipe", test_exited_while_grandchild_holds_pipe},
                {"many_in_parallel", test_many_in_parallel},
                {"call", test_call},
                {"run_with_deadline", test_run_with_deadline},
                {"background", test_background},
        };

        if (argc > 1 && streq(argv[1], "chroot"))
                return test_chroot();
        for (size_t i = 0; i < ELEMENTSOF(tests); i++) {
                int before = failures;
                usec_t t0 = now_usec();

                tests[i].run();
                printf("%s %s (%.3f s)\n", failures == before ? "ok  " : "FAIL", tests[i].name, since(t0));
        }
        return failures ? 1 : 0;
}

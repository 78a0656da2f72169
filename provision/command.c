/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running a fix's command: no shell, a fixed PATH and environment, chrooted below --root, bounded output,
 * killed with its process group at the deadline. */
#include "command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "pathlookup.h"
#include "pathnames.h"

#define COMMAND_PATH PATH_COMMAND_SEARCH

static void kill_group(pid_t pid)
{
        (void)kill(-pid, SIGKILL);
        (void)kill(pid, SIGKILL);
}

int apply_run_command(const struct hostfs *fs, char *const *argv, usec_t deadline, int *ret_status,
                      char **ret_output)
{
        char *const envp[] = {(char *)"PATH=" COMMAND_PATH, (char *)"LC_ALL=C", NULL};
        _cleanup_free_ char *exe = NULL, *out = NULL;
        _cleanup_close_ int rfd = -1, pidfd = -1;
        const char *root = hostfs_root(fs);
        bool live = hostfs_is_live(fs), exited = false, drain_last = false;
        size_t len = 0;
        int fds[2], status = 0, r;
        pid_t pid;

        if (!argv || !argv[0])
                return -EINVAL;
        r = path_find_executable(fs, COMMAND_PATH, argv[0], &exe);
        if (r < 0)
                return r;
        out = malloc(APPLY_OUTPUT_MAX + 1);
        if (!out)
                return -ENOMEM;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;

        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(fds[0]);
                close(fds[1]);
                return r;
        }
        if (pid == 0) {
                /* only async-signal-safe calls from here on */
                sigset_t all;
                int null;

                (void)setpgid(0, 0);
                sigemptyset(&all);
                (void)sigprocmask(SIG_SETMASK, &all, NULL);
                (void)signal(SIGPIPE, SIG_DFL);
                if (!live && (chroot(root) < 0))
                        _exit(126);
                if (chdir("/") < 0)
                        _exit(126);
                null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(fds[1], STDOUT_FILENO) < 0 ||
                    dup2(fds[1], STDERR_FILENO) < 0)
                        _exit(126);
                execve(exe, argv, envp);
                _exit(127);
        }
        (void)setpgid(pid, pid); /* whichever of the two runs first */
        close(fds[1]);
        rfd = fds[0];
        (void)fcntl(rfd, F_SETFL, O_NONBLOCK);
        /* a pidfd tells when the child exits even if something it started keeps the pipe open */
        pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

        for (bool eof = false; !eof || !exited;) {
                struct pollfd p[2] = {{.fd = eof ? -1 : rfd, .events = POLLIN},
                                      {.fd = pidfd, .events = POLLIN}};
                usec_t now = now_usec();
                int timeout;

                if (now >= deadline) {
                        kill_group(pid);
                        (void)waitpid(pid, NULL, 0);
                        return -ETIMEDOUT;
                }
                timeout = (int)((deadline - now + 999) / 1000);
                if (pidfd < 0 && timeout > 20)
                        timeout = 20; /* no pidfd: look at the child now and then */
                if (drain_last)
                        timeout = 0;
                if (poll(p, 2, timeout) < 0 && errno != EINTR) {
                        r = -errno;
                        kill_group(pid);
                        (void)waitpid(pid, NULL, 0);
                        return r;
                }
                for (;;) {
                        char buf[4096];
                        ssize_t n = read(rfd, buf, sizeof(buf));

                        if (n > 0) {
                                size_t keep = APPLY_OUTPUT_MAX - len < (size_t)n ? APPLY_OUTPUT_MAX - len
                                                                                 : (size_t)n;
                                memcpy(out + len, buf, keep);
                                len += keep;
                                continue;
                        }
                        if (n == 0)
                                eof = true;
                        break;
                }
                if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
                        exited = true;
                        /* what the child wrote is in the pipe by now, and is read on the next round; its
                         * children may keep the pipe open, so do not wait for EOF after that */
                        if (!eof) {
                                drain_last = true;
                                continue;
                        }
                }
                if (drain_last)
                        eof = true;
        }
        /* whatever the command left running in its group goes with it */
        (void)kill(-pid, SIGKILL);
        out[len] = '\0';
        *ret_status = status;
        if (ret_output)
                *ret_output = TAKE_PTR(out);
        return 0;
}

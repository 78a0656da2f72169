/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "deadline.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

/* The standard streams on /dev/null, so nothing the child keeps open holds the caller's output. */
static void devnull_stdio(void)
{
        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (fd < 0)
                return;
        for (int i = 0; i < 3; i++)
                (void)dup2(fd, i);
        close(fd);
}

int run_with_deadline(usec_t deadline, int (*fn)(void *userdata, void *out), void *userdata, void *out,
                      size_t out_size)
{
        _cleanup_free_ char *buf = malloc(sizeof(int) + out_size);
        size_t want = sizeof(int) + out_size, got = 0;
        int p[2], r = 0;
        pid_t pid;

        if (!buf)
                return -ENOMEM;
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(p[0]);
                close(p[1]);
                return r;
        }
        if (pid == 0) {
                /* nothing it keeps open (stuck in the kernel) may hold the caller's output */
                close(p[0]);
                devnull_stdio();
                memset(buf, 0, want);
                r = fn(userdata, buf + sizeof(int));
                memcpy(buf, &r, sizeof(int));
                _exit(write(p[1], buf, want) == (ssize_t)want ? 0 : 1);
        }
        close(p[1]);

        while (got < want) {
                usec_t now = now_usec();
                struct pollfd pfd = {.fd = p[0], .events = POLLIN};
                ssize_t n;
                int k;

                if (now >= deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                k = poll(&pfd, 1, (int)((deadline - now + 999) / 1000));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        continue;
                n = read(p[0], buf + got, want - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = -EPIPE; /* the child died without answering */
                        break;
                }
                got += (size_t)n;
        }
        close(p[0]);

        if (r == -ETIMEDOUT) {
                kill(pid, SIGKILL);
                (void)waitpid(pid, NULL, WNOHANG);
                return r;
        }
        (void)waitpid(pid, NULL, 0);
        if (r < 0)
                return r;
        memcpy(&r, buf, sizeof(int));
        memcpy(out, buf + sizeof(int), out_size);
        return r;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

void exec_job_done(struct exec_job *j)
{
        free(j->out);
        free(j->err);
        j->out = j->err = NULL;
        j->out_len = j->err_len = 0;
}

struct running {
        pid_t pid;
        int in_fd, out_fd, err_fd, status_fd;
        size_t in_off;
        usec_t start;
        bool reaped;
};

static int append(char **buf, size_t *len, const char *data, size_t n)
{
        char *nb;

        if (*len + n > EXEC_OUTPUT_MAX)
                n = EXEC_OUTPUT_MAX - *len; /* keep the start, drop the rest */
        nb = realloc(*buf, *len + n + 1);
        if (!nb)
                return -ENOMEM;
        memcpy(nb + *len, data, n);
        *len += n;
        nb[*len] = '\0';
        *buf = nb;
        return 0;
}

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static void close_pair(int p[2])
{
        for (int i = 0; i < 2; i++)
                if (p[i] >= 0)
                        close(p[i]);
}

static int spawn(struct exec_job *j, struct running *r)
{
        int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, st[2] = {-1, -1};
        pid_t pid = -1;

        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(st, O_CLOEXEC) < 0 ||
            (j->input && pipe2(in, O_CLOEXEC) < 0) || (pid = fork()) < 0) {
                int e = -errno;
                close_pair(in), close_pair(out), close_pair(err), close_pair(st);
                return e;
        }
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
                int e;

                /* own process group, so a deadline kills what the program started too */
                setpgid(0, 0);
                signal(SIGPIPE, SIG_DFL);
                if (dup2(j->input ? in[0] : devnull, STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
                    dup2(err[1], STDERR_FILENO) < 0)
                        _exit(127);
                execvp(j->argv[0], j->argv);
                e = errno;
                (void)!write(st[1], &e, sizeof(e));
                _exit(127);
        }
        setpgid(pid, pid);
        close(out[1]);
        close(err[1]);
        close(st[1]);
        if (j->input) {
                close(in[0]);
                r->in_fd = in[1];
                fcntl(r->in_fd, F_SETFL, O_NONBLOCK);
        } else
                r->in_fd = -1;
        r->pid = pid;
        r->out_fd = out[0];
        r->err_fd = err[0];
        r->status_fd = st[0];
        r->start = now_usec();
        return 0;
}

int exec_run_many(struct exec_job *jobs, size_t n, usec_t deadline)
{
        _cleanup_free_ struct running *run = calloc(n ? n : 1, sizeof(*run));
        _cleanup_free_ struct pollfd *pfd = calloc(n ? 4 * n : 1, sizeof(*pfd));
        int r = 0;

        if (!run || !pfd)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                run[i] = (struct running){
                        .pid = -1, .in_fd = -1, .out_fd = -1, .err_fd = -1, .status_fd = -1};
                jobs[i].out = jobs[i].err = NULL;
                jobs[i].out_len = jobs[i].err_len = 0;
                jobs[i].timed_out = jobs[i].spawn_failed = false;
                r = spawn(&jobs[i], &run[i]);
                if (r < 0)
                        break;
        }

        for (;;) {
                size_t k = 0;
                usec_t now = now_usec();
                int ready;

                for (size_t i = 0; i < n; i++) {
                        if (run[i].in_fd >= 0)
                                pfd[k++] = (struct pollfd){.fd = run[i].in_fd, .events = POLLOUT};
                        if (run[i].out_fd >= 0)
                                pfd[k++] = (struct pollfd){.fd = run[i].out_fd, .events = POLLIN};
                        if (run[i].err_fd >= 0)
                                pfd[k++] = (struct pollfd){.fd = run[i].err_fd, .events = POLLIN};
                }
                if (k == 0 || r < 0)
                        break;
                if (now >= deadline) {
                        for (size_t i = 0; i < n; i++)
                                if (run[i].out_fd >= 0 || run[i].err_fd >= 0) {
                                        jobs[i].timed_out = true;
                                        kill(-run[i].pid, SIGKILL);
                                        close_fd(&run[i].in_fd), close_fd(&run[i].out_fd),
                                                close_fd(&run[i].err_fd);
                                }
                        break;
                }
                ready = poll(pfd, k, (int)((deadline - now + 999) / 1000));
                if (ready < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                for (size_t m = 0; ready > 0 && m < k; m++) {
                        if (!pfd[m].revents)
                                continue;
                        for (size_t i = 0; i < n; i++) {
                                char buf[16384];
                                ssize_t got;

                                if (pfd[m].fd == run[i].in_fd) {
                                        got = write(run[i].in_fd, jobs[i].input + run[i].in_off,
                                                    jobs[i].input_len - run[i].in_off);
                                        if (got > 0)
                                                run[i].in_off += (size_t)got;
                                        if ((got < 0 && errno != EAGAIN) ||
                                            run[i].in_off >= jobs[i].input_len)
                                                close_fd(&run[i].in_fd);
                                } else if (pfd[m].fd == run[i].out_fd || pfd[m].fd == run[i].err_fd) {
                                        bool is_out = pfd[m].fd == run[i].out_fd;
                                        got = read(pfd[m].fd, buf, sizeof(buf));
                                        if (got < 0 && errno == EINTR)
                                                continue;
                                        if (got <= 0)
                                                close_fd(is_out ? &run[i].out_fd : &run[i].err_fd);
                                        else if (append(is_out ? &jobs[i].out : &jobs[i].err,
                                                        is_out ? &jobs[i].out_len : &jobs[i].err_len, buf,
                                                        (size_t)got) < 0)
                                                r = -ENOMEM;
                                }
                        }
                }
        }

        for (size_t i = 0; i < n; i++) {
                int status = 0, e = 0;

                close_fd(&run[i].in_fd), close_fd(&run[i].out_fd), close_fd(&run[i].err_fd);
                if (run[i].pid <= 0)
                        continue;
                if (jobs[i].timed_out) {
                        /* killed: reap if it went, never wait on one stuck in the kernel */
                        (void)waitpid(run[i].pid, &status, WNOHANG);
                        jobs[i].exit_status = 128 + SIGKILL;
                } else {
                        /* both pipes closed: the program is gone or about to be; one that closed them and
                         * goes on is killed at the deadline all the same */
                        pid_t w;
                        while ((w = waitpid(run[i].pid, &status, WNOHANG)) == 0 && now_usec() < deadline)
                                usleep(5000);
                        if (w == 0) {
                                usec_t until = now_usec() + 100 * USEC_PER_MSEC;

                                kill(-run[i].pid, SIGKILL);
                                jobs[i].timed_out = true;
                                /* one stuck in the kernel cannot be reaped: leave it rather than hang */
                                while ((w = waitpid(run[i].pid, &status, WNOHANG)) == 0 &&
                                       now_usec() < until)
                                        usleep(5000);
                        }
                        if (w < 0)
                                status = 0;
                        jobs[i].exit_status = WIFEXITED(status)
                                                      ? WEXITSTATUS(status)
                                                      : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
                }
                if (run[i].status_fd >= 0 && read(run[i].status_fd, &e, sizeof(e)) == (ssize_t)sizeof(e)) {
                        jobs[i].spawn_failed = true;
                        jobs[i].spawn_errno = e;
                }
                close_fd(&run[i].status_fd);
                jobs[i].duration = now_usec() - run[i].start;
        }
        return r;
}

int exec_run(struct exec_job *job, usec_t deadline)
{
        return exec_run_many(job, 1, deadline);
}

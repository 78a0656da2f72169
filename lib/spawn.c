/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "spawn.h"

#include "pathnames.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

struct spawn_running {
        int pidfd;
        int in_fd, out_fd, err_fd; /* our ends of the child's stdin, stdout and stderr pipes; -1: none */
        int status_fd;             /* the errno of a failed exec comes through it */
        size_t in_off;
        usec_t start;
};

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static void close_pair(int p[2])
{
        close_fd(&p[0]);
        close_fd(&p[1]);
}

static void running_free(struct spawn_running *run)
{
        if (!run)
                return;
        close_fd(&run->pidfd);
        close_fd(&run->in_fd);
        close_fd(&run->out_fd);
        close_fd(&run->err_fd);
        close_fd(&run->status_fd);
        free(run);
}

/* Kills the job's process group (and the child itself, should it have left the group). */
static void job_kill(const struct spawn_job *j)
{
        (void)kill(-j->pid, SIGKILL);
        if (j->running && j->running->pidfd >= 0)
                (void)pidfd_send_signal(j->running->pidfd, SIGKILL, NULL, 0);
}

void spawn_job_done(struct spawn_job *j)
{
        if (j->running) {
                /* still running: it goes, and is reaped only if that is quick */
                job_kill(j);
                (void)waitpid(j->pid, NULL, WNOHANG);
                running_free(j->running);
                j->running = NULL;
        }
        j->out = mfree(j->out);
        j->err = mfree(j->err);
        j->out_len = j->err_len = 0;
}

void spawn_jobs_free(struct spawn_job *jobs, size_t n)
{
        for (size_t i = 0; jobs && i < n; i++)
                spawn_job_done(&jobs[i]);
        free(jobs);
}

/* ---- the child ---- */

/* The fds the child's standard streams come from (each may be the same, or /dev/null's). */
struct child_fds {
        int in, out, err, status, call;
};

static _Noreturn void child_fail(int status_fd, int code)
{
        int e = errno;

        if (status_fd >= 0)
                (void)!write(status_fd, &e, sizeof(e));
        _exit(code);
}

/* In the child: only async-signal-safe calls, the parent may have threads. */
static _Noreturn void child_run(const struct spawn_job *j, const struct child_fds *c)
{
        extern char **environ;
        sigset_t none;

        /* its own process group, so a deadline kills what it started too */
        (void)setpgid(0, 0);
        if (j->die_with_parent)
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        sigemptyset(&none);
        (void)sigprocmask(SIG_SETMASK, &none, NULL);
        (void)signal(SIGPIPE, SIG_DFL);
        if (dup2(c->in, STDIN_FILENO) < 0 || dup2(c->out, STDOUT_FILENO) < 0 ||
            dup2(c->err, STDERR_FILENO) < 0)
                child_fail(c->status, 126);
        if (j->call)
                _exit(j->call(j->userdata, c->call));
        if (j->root && !streq(j->root, "/") && (chroot(j->root) < 0 || chdir("/") < 0))
                child_fail(c->status, 126);
        if (j->path)
                execve(j->path, j->argv, j->envp ? j->envp : environ);
        else
                execvpe(j->argv[0], j->argv, j->envp ? j->envp : environ);
        child_fail(c->status, 127);
}

/* ---- starting ---- */

/* Our ends, non-blocking: the one poll loop never blocks on one job. */
static void set_nonblock(int fd)
{
        if (fd >= 0)
                (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Writes what the stdin pipe takes now; closes it once all is written (or the reader is gone). */
static void feed_input(const struct spawn_job *j, struct spawn_running *run)
{
        while (run->in_fd >= 0 && run->in_off < j->input_len) {
                ssize_t n = write(run->in_fd, j->input + run->in_off, j->input_len - run->in_off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0)
                        break;
                run->in_off += (size_t)n;
        }
        close_fd(&run->in_fd);
}

/* The pipes of a job: p[0] stdin, p[1] stdout (or the call's), p[2] stderr, p[3] exec status. */
static int make_pipes(const struct spawn_job *j, int p[4][2])
{
        bool in = !j->call && j->input_kind == SPAWN_INPUT_BUFFER && j->input,
             out = j->call || j->output == SPAWN_OUTPUT_SPLIT || j->output == SPAWN_OUTPUT_MERGED,
             err = !j->call && j->output == SPAWN_OUTPUT_SPLIT, status = !j->call;

        if ((in && pipe2(p[0], O_CLOEXEC) < 0) || (out && pipe2(p[1], O_CLOEXEC) < 0) ||
            (err && pipe2(p[2], O_CLOEXEC) < 0) || (status && pipe2(p[3], O_CLOEXEC) < 0))
                return -errno;
        return 0;
}

static struct child_fds child_fds(const struct spawn_job *j, int p[4][2], int null_fd)
{
        struct child_fds c = {.in = null_fd, .out = null_fd, .err = null_fd, .status = p[3][1]};

        if (j->call) {
                c.call = p[1][1];
                return c;
        }
        if (j->input_kind == SPAWN_INPUT_FD)
                c.in = j->input_fd;
        else if (p[0][0] >= 0)
                c.in = p[0][0];
        if (j->output == SPAWN_OUTPUT_FD)
                c.out = c.err = j->output_fd;
        else if (j->output != SPAWN_OUTPUT_NULL)
                c.out = c.err = p[1][1];
        if (j->output == SPAWN_OUTPUT_SPLIT)
                c.err = p[2][1];
        return c;
}

static int fork_child(const struct spawn_job *j, int p[4][2], pid_t *ret_pid, int *ret_pidfd)
{
        _cleanup_close_ int null_fd = open(PATH_DEV_NULL, O_RDWR | O_CLOEXEC);
        struct child_fds c;
        pid_t pid;
        int pidfd;

        if (null_fd < 0)
                return -errno;
        c = child_fds(j, p, null_fd);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                child_run(j, &c);
        (void)setpgid(pid, pid); /* whichever of the two runs first */
        pidfd = pidfd_open(pid, 0);
        if (pidfd < 0) {
                int r = -errno;
                (void)kill(-pid, SIGKILL);
                (void)kill(pid, SIGKILL);
                (void)waitpid(pid, NULL, 0);
                return r;
        }
        *ret_pid = pid;
        *ret_pidfd = pidfd;
        return 0;
}

static bool job_valid(const struct spawn_job *j)
{
        if (!!j->call == !!j->argv || (j->argv && !j->argv[0]) || j->output >= _SPAWN_OUTPUT_MAX ||
            j->input_kind >= _SPAWN_INPUT_MAX)
                return false;
        return !(j->input_kind == SPAWN_INPUT_FD && j->input_fd < 0) &&
               !(j->output == SPAWN_OUTPUT_FD && j->output_fd < 0);
}

int spawn_start(struct spawn_job *j)
{
        int p[4][2] = {{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}};
        struct spawn_running *run;
        int r;

        if (!job_valid(j) || j->running)
                return -EINVAL;
        j->out = j->err = NULL;
        j->out_len = j->err_len = 0;
        j->exited = j->timed_out = j->spawn_failed = false;
        j->exit_status = j->wait_status = j->spawn_errno = 0;
        run = malloc(sizeof(*run));
        if (!run)
                return -ENOMEM;
        *run = (struct spawn_running){.pidfd = -1, .start = now_usec()};
        r = make_pipes(j, p);
        if (r >= 0)
                r = fork_child(j, p, &j->pid, &run->pidfd);
        run->in_fd = TAKE_FD(p[0][1]);
        run->out_fd = TAKE_FD(p[1][0]);
        run->err_fd = TAKE_FD(p[2][0]);
        run->status_fd = TAKE_FD(p[3][0]);
        for (size_t i = 0; i < ELEMENTSOF(p); i++)
                close_pair(p[i]);
        if (r < 0) {
                running_free(run);
                return r;
        }
        set_nonblock(run->in_fd);
        set_nonblock(run->out_fd);
        set_nonblock(run->err_fd);
        j->running = run;
        feed_input(j, run);
        return 0;
}

/* ---- waiting ---- */

static size_t output_max(const struct spawn_job *j)
{
        return j->output_max ? j->output_max : SPAWN_OUTPUT_MAX;
}

static int append(struct spawn_job *j, bool is_err, const char *data, size_t n)
{
        char **buf = is_err ? &j->err : &j->out;
        size_t *len = is_err ? &j->err_len : &j->out_len;
        char *nb;

        if (*len + n > output_max(j))
                n = output_max(j) - *len; /* keep the start, drop the rest */
        if (n == 0 && *buf)
                return 0;
        nb = realloc(*buf, *len + n + 1);
        if (!nb)
                return -ENOMEM;
        memcpy(nb + *len, data, n);
        *len += n;
        nb[*len] = '\0';
        *buf = nb;
        return 0;
}

/* Reads what the pipe holds now; closes it at EOF. Bounded, so one chatty job cannot starve the rest. */
static int read_pipe(struct spawn_job *j, bool is_err)
{
        int *fd = is_err ? &j->running->err_fd : &j->running->out_fd;
        char buf[16384];

        for (size_t total = 0; *fd >= 0 && total <= output_max(j) + sizeof(buf);) {
                ssize_t n = read(*fd, buf, sizeof(buf));
                int r;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n <= 0) {
                        close_fd(fd);
                        return 0;
                }
                r = append(j, is_err, buf, (size_t)n);
                if (r < 0)
                        return r;
                total += (size_t)n;
        }
        return 0;
}

static void job_release(struct spawn_job *j)
{
        j->duration = now_usec() - j->running->start;
        running_free(j->running);
        j->running = NULL;
}

/* The child exited (its pidfd says so): reap it, take what its pipes hold now and let them go (a process
 * it started may keep them open). */
static int job_finish(struct spawn_job *j)
{
        struct spawn_running *run = j->running;
        int st = 0, e, r = 0;

        if (waitpid(j->pid, &st, WNOHANG) == 0)
                return 0;
        j->exited = true;
        j->wait_status = st;
        if (!j->timed_out)
                j->exit_status =
                        WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
        if (run->out_fd >= 0)
                r = read_pipe(j, false);
        if (r >= 0 && run->err_fd >= 0)
                r = read_pipe(j, true);
        if (run->status_fd >= 0 && read(run->status_fd, &e, sizeof(e)) == (ssize_t)sizeof(e)) {
                j->spawn_failed = true;
                j->spawn_errno = e;
        }
        if (j->kill_group_at_exit)
                (void)kill(-j->pid, SIGKILL);
        job_release(j);
        return r;
}

/* Killed at the deadline (or poll failed) and still there: it is stuck in the kernel; leave it. */
static void job_abandon(struct spawn_job *j)
{
        if (!j->timed_out) {
                job_kill(j);
                j->timed_out = true;
                j->exit_status = 128 + SIGKILL;
        }
        if (waitpid(j->pid, &j->wait_status, WNOHANG) == j->pid)
                j->exited = true;
        job_release(j);
}

static void job_timeout(struct spawn_job *j)
{
        job_kill(j);
        j->timed_out = true;
        j->exit_status = 128 + SIGKILL;
        /* what it wrote so far is kept; nothing more is read */
        close_fd(&j->running->in_fd);
        close_fd(&j->running->out_fd);
        close_fd(&j->running->err_fd);
}

static size_t poll_set(struct spawn_job *jobs, size_t n, struct pollfd *pfd, size_t *owner)
{
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                const struct spawn_running *run = jobs[i].running;

                if (!run)
                        continue;
                /* the pidfd first: once it fired, the job's other fds are gone */
                const int fds[] = {run->pidfd, run->in_fd, run->out_fd, run->err_fd};
                const short events[] = {POLLIN, POLLOUT, POLLIN, POLLIN};
                for (size_t f = 0; f < ELEMENTSOF(fds); f++)
                        if (fds[f] >= 0) {
                                pfd[k] = (struct pollfd){.fd = fds[f], .events = events[f]};
                                owner[k++] = i;
                        }
        }
        return k;
}

static int handle(struct spawn_job *j, const struct pollfd *p)
{
        struct spawn_running *run = j->running;

        if (!run || !p->revents)
                return 0;
        if (p->fd == run->pidfd)
                return job_finish(j);
        if (p->fd == run->in_fd)
                feed_input(j, run);
        else if (p->fd == run->out_fd)
                return read_pipe(j, false);
        else if (p->fd == run->err_fd)
                return read_pipe(j, true);
        return 0;
}

static int poll_timeout(usec_t now, usec_t until)
{
        usec_t ms = (until - now + 999) / 1000;

        return ms > 24 * 3600 * 1000 ? 24 * 3600 * 1000 : (int)ms;
}

int spawn_wait_until(struct spawn_job *jobs, size_t n, usec_t until, size_t *ret_running)
{
        _cleanup_free_ struct pollfd *pfd = calloc(4 * n + 1, sizeof(*pfd));
        _cleanup_free_ size_t *owner = calloc(4 * n + 1, sizeof(*owner));
        int r = pfd && owner ? 0 : -ENOMEM;

        while (r >= 0) {
                size_t k = poll_set(jobs, n, pfd, owner), running = 0;
                usec_t now = now_usec();
                int ready;

                for (size_t i = 0; i < n; i++)
                        running += jobs[i].running != NULL;
                *ret_running = running;
                if (k == 0 || now >= until)
                        return 0;
                ready = poll(pfd, k, poll_timeout(now, until));
                if (ready < 0 && errno != EINTR)
                        r = -errno;
                for (size_t m = 0; ready > 0 && r >= 0 && m < k; m++)
                        r = handle(&jobs[owner[m]], &pfd[m]);
        }
        return r;
}

int spawn_wait_many(struct spawn_job *jobs, size_t n, usec_t deadline)
{
        size_t running = 0;
        int r = spawn_wait_until(jobs, n, deadline, &running);

        /* what still runs at the deadline is killed, and abandoned when it does not go in the grace */
        if (r >= 0 && running > 0) {
                for (size_t i = 0; i < n; i++)
                        if (jobs[i].running)
                                job_timeout(&jobs[i]);
                r = spawn_wait_until(jobs, n, now_usec() + SPAWN_KILL_GRACE_USEC, &running);
        }
        for (size_t i = 0; i < n; i++)
                if (jobs[i].running)
                        job_abandon(&jobs[i]);
        return r;
}

int spawn_run_many(struct spawn_job *jobs, size_t n, usec_t deadline)
{
        for (size_t i = 0; i < n; i++) {
                int r = spawn_start(&jobs[i]);

                if (r < 0) {
                        for (size_t k = 0; k < i; k++)
                                spawn_job_done(&jobs[k]);
                        return r;
                }
        }
        return spawn_wait_many(jobs, n, deadline);
}

int spawn_run(struct spawn_job *j, usec_t deadline)
{
        return spawn_run_many(j, 1, deadline);
}

int spawn_call(usec_t deadline, int (*fn)(void *userdata, int fd), void *userdata, size_t max,
               char **ret_out, size_t *ret_len, int *ret_status)
{
        struct spawn_job j = {.call = fn, .userdata = userdata, .output_max = max};
        int r;

        r = spawn_run(&j, deadline);
        if (r >= 0 && j.timed_out)
                r = -ETIMEDOUT;
        if (r >= 0 && !j.out && !(j.out = strdup("")))
                r = -ENOMEM;
        if (r < 0) {
                spawn_job_done(&j);
                return r;
        }
        if (ret_len)
                *ret_len = j.out_len;
        if (ret_status)
                *ret_status = j.wait_status;
        *ret_out = TAKE_PTR(j.out);
        return 0;
}

int spawn_reply(int fd, const void *data, size_t len)
{
        for (const char *p = data; len > 0;) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

/* ---- long-lived children ---- */

int spawn_background(const struct spawn_job *j, pid_t *ret_pid)
{
        struct spawn_job copy = *j;
        int r;

        if (j->call || (j->output != SPAWN_OUTPUT_FD && j->output != SPAWN_OUTPUT_NULL) ||
            (j->input_kind == SPAWN_INPUT_BUFFER && j->input))
                return -EINVAL;
        copy.running = NULL;
        r = spawn_start(&copy);
        if (r < 0)
                return r;
        /* the exec happened (the status pipe closed with it) or failed (its errno came through) */
        int e = 0;
        if (read(copy.running->status_fd, &e, sizeof(e)) == (ssize_t)sizeof(e)) {
                (void)spawn_wait_pid(copy.pid, now_usec() + SPAWN_KILL_GRACE_USEC, NULL);
                running_free(copy.running);
                return -e;
        }
        running_free(copy.running);
        *ret_pid = copy.pid;
        return 0;
}

int spawn_wait_pid(pid_t pid, usec_t deadline, int *ret_status)
{
        _cleanup_close_ int pidfd = pidfd_open(pid, 0);
        int st;

        if (pidfd < 0)
                return -errno;
        for (;;) {
                struct pollfd p = {.fd = pidfd, .events = POLLIN};
                usec_t now = now_usec();
                pid_t w = waitpid(pid, &st, WNOHANG);

                if (w == pid) {
                        if (ret_status)
                                *ret_status = st;
                        return 0;
                }
                if (w < 0)
                        return -errno;
                if (now >= deadline)
                        return -ETIMEDOUT;
                if (poll(&p, 1, poll_timeout(now, deadline)) < 0 && errno != EINTR)
                        return -errno;
        }
}

int spawn_stop_pid(pid_t pid, usec_t grace, int *ret_status)
{
        int r = spawn_wait_pid(pid, now_usec() + grace, ret_status);

        if (r != -ETIMEDOUT)
                return r;
        (void)kill(pid, SIGTERM);
        r = spawn_wait_pid(pid, now_usec() + grace, ret_status);
        if (r != -ETIMEDOUT)
                return r;
        (void)kill(-pid, SIGKILL);
        (void)kill(pid, SIGKILL);
        return spawn_wait_pid(pid,
                              now_usec() + (grace > SPAWN_KILL_GRACE_USEC ? grace : SPAWN_KILL_GRACE_USEC),
                              ret_status);
}

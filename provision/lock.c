/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * STATE/lock: one apply or rollback at a time. The lock is flock(2) on the file; the file says who holds
 * it ("PID pid:[NS]", the holder's PID namespace) and is emptied when the holder ends cleanly. So:
 * - free and empty: taken;
 * - free and naming a process: that one ended without releasing it (kill -9, a crash): taken, said so;
 * - held by a live process: waited for up to APPLY_LOCK_WAIT, then -EBUSY naming it;
 * - held, but the process it names is dead or a zombie: a process it forked without exec still has the
 *   descriptor (a child abandoned in the kernel on a hung NFS mount, say). The file is replaced by a new,
 *   locked one; said so. Only for a holder of our PID namespace: another's pids mean nothing here.
 * A taker checks that the file it locked is still the one named STATE/lock (a replacement may have come
 * in between), and replacements are made under STATE/lock.takeover, so the lock never has two holders.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "journal.h"

#define LOCK_NAME     "lock"
#define TAKEOVER_NAME "lock.takeover"
#define LOCK_POLL     (100 * USEC_PER_MSEC)

struct holder {
        pid_t pid; /* 0: the file names none */
        char ns[64];
};

static void own_pid_ns(char ns[64])
{
        ssize_t n = readlink("/proc/self/ns/pid", ns, 63);

        ns[n > 0 ? n : 0] = '\0';
}

static void holder_read(int fd, struct holder *h)
{
        char buf[128];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        int pid = 0;

        *h = (struct holder){0};
        if (n <= 0)
                return;
        buf[n] = '\0';
        if (sscanf(buf, "%d %63s", &pid, h->ns) >= 1 && pid > 0)
                h->pid = pid;
}

/* The holder's process no longer runs: no such process, or a zombie (it holds no descriptor any more). */
static bool holder_gone(const struct holder *h)
{
        _cleanup_free_ char *path = NULL, *stat = NULL;
        char ns[64];
        const char *paren;
        int fd;

        own_pid_ns(ns);
        if (h->pid <= 0 || !streq(h->ns, ns))
                return false;
        if (kill(h->pid, 0) < 0 && errno == ESRCH)
                return true;
        path = strdup_printf("/proc/%d/stat", (int)h->pid);
        fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        if (fd < 0)
                return path && errno == ENOENT;
        if (read_fd_full(fd, 4096, &stat, NULL) < 0)
                stat = NULL;
        close(fd);
        /* "PID (COMM) STATE ...": COMM may hold anything, the state follows its last ')' */
        paren = stat ? strrchr(stat, ')') : NULL;
        return paren && (paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

static int holder_write(int fd)
{
        char ns[64], buf[128];
        int n;

        own_pid_ns(ns);
        n = snprintf(buf, sizeof(buf), "%d %s\n", (int)getpid(), ns);
        if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
                return -errno;
        return 0;
}

/* Whether fd is the file STATE/lock names now. */
static bool is_current(int state_fd, int fd)
{
        struct stat a, b;

        return fstat(fd, &a) >= 0 && fstatat(state_fd, LOCK_NAME, &b, AT_SYMLINK_NOFOLLOW) >= 0 &&
               a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Replaces STATE/lock, still the file fd, by a new file locked by us (under TAKEOVER_NAME). The new file's
 * descriptor, -EAGAIN when something changed meanwhile (try again), or an error. */
static int replace_lock(int state_fd, int fd)
{
        _cleanup_close_ int guard = -1, nfd = -1;
        _cleanup_free_ char *name = strdup_printf(LOCK_NAME ".%d", (int)getpid());
        struct holder h;
        int r;

        if (!name)
                return -ENOMEM;
        guard = openat(state_fd, TAKEOVER_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (guard < 0)
                return -errno;
        if (flock(guard, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        /* another taker may have replaced it before we got the guard */
        holder_read(fd, &h);
        if (!is_current(state_fd, fd) || !holder_gone(&h))
                return -EAGAIN;
        (void)unlinkat(state_fd, name, 0);
        nfd = openat(state_fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (nfd < 0)
                return -errno;
        if (flock(nfd, LOCK_EX | LOCK_NB) < 0 || holder_write(nfd) < 0 ||
            renameat(state_fd, name, state_fd, LOCK_NAME) < 0) {
                r = -errno;
                (void)unlinkat(state_fd, name, 0);
                return r;
        }
        r = nfd;
        nfd = -1;
        return r;
}

enum attempt { TAKEN, HELD, RETRY };

/* One try: TAKEN (*fd is ours), HELD (*h says by whom), RETRY, or a negative errno. */
static int lock_try(struct run *run, struct holder *h, int *ret_fd)
{
        const char *dir = state_dir(run->o);
        _cleanup_close_ int fd = -1;
        int r;

        fd = openat(run->state_fd, LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return -errno;
                holder_read(fd, h);
                if (!holder_gone(h))
                        return HELD;
                r = replace_lock(run->state_fd, fd);
                if (r == -EAGAIN)
                        return RETRY;
                if (r < 0)
                        return r;
                if (run->o->log)
                        fprintf(run->o->log,
                                "hostprep: process %d, which holds %s/lock, has ended, but a process it started "
                                "still has the lock open; the lock is taken over\n",
                                (int)h->pid, dir);
                *ret_fd = r;
                return TAKEN;
        }
        if (!is_current(run->state_fd, fd))
                return RETRY; /* replaced after we opened it */
        holder_read(fd, h);
        if (h->pid > 0 && h->pid != getpid() && run->o->log)
                fprintf(run->o->log,
                        "hostprep: process %d ended without releasing %s/lock (killed?); the lock is taken over\n",
                        (int)h->pid, dir);
        r = holder_write(fd);
        if (r < 0)
                return r;
        *ret_fd = fd;
        fd = -1;
        return TAKEN;
}

int run_lock(struct run *run, struct apply_report *report)
{
        const char *dir = state_dir(run->o);
        usec_t start = now_usec(), until = start + APPLY_LOCK_WAIT;
        bool said = false;
        struct holder h = {0};
        int r;

        if (run->deadline < until)
                until = run->deadline;
        for (;;) {
                r = lock_try(run, &h, &run->lock_fd);
                if (r == TAKEN)
                        return 0;
                if (r < 0) {
                        report_error(report, "cannot lock %s/lock: %s", dir, strerror(-r));
                        return r;
                }
                if (now_usec() >= until)
                        break;
                if (r == HELD && !said && run->o->log) {
                        fprintf(run->o->log,
                                "hostprep: waiting for process %d (another apply or rollback) to release "
                                "%s/lock, at most %u s\n",
                                (int)h.pid, dir, (unsigned)((until - start) / USEC_PER_SEC));
                        said = true;
                }
                (void)usleep(LOCK_POLL);
        }
        if (h.pid > 0)
                report_error(report,
                             "another hostprep apply or rollback is running: process %d holds %s/lock "
                             "(waited %.0f s); nothing was changed",
                             (int)h.pid, dir, (double)(now_usec() - start) / USEC_PER_SEC);
        else
                report_error(
                        report,
                        "another hostprep apply or rollback is running: it holds %s/lock (waited %.0f s); "
                        "nothing was changed",
                        dir, (double)(now_usec() - start) / USEC_PER_SEC);
        return -EBUSY;
}

void run_unlock(struct run *run)
{
        if (run->lock_fd < 0)
                return;
        /* a clean end: the file names no holder */
        (void)ftruncate(run->lock_fd, 0);
        close(run->lock_fd); /* releases the lock */
        run->lock_fd = -1;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * STATE/lock: one apply or rollback at a time. The lock is flock(2) on the file; the file says who holds
 * it ("PID pid:[NS]", the holder's PID namespace) and is emptied when the holder ends cleanly. So:
 * - free and empty: taken;
 * - free and naming a process: that one ended without releasing it (kill -9, a crash): taken, said so;
 * - held by a live process: waited for up to APPLY_LOCK_WAIT, then -EBUSY naming it;
 * - held, but the process that took it (/proc/locks says which) is dead or a zombie: a process it forked
 *   without exec still has the descriptor (a child abandoned in the kernel on a hung NFS mount, say). The
 *   file is replaced by a new, locked one; said so. The file's own word is never enough for that: a new
 *   holder may not have written its pid yet.
 * A taker checks that the file it locked is still the one named STATE/lock (a replacement may have come
 * in between), and replacements are made under STATE/lock.takeover, so the lock never has two holders.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "journal.h"

#define LOCK_NAME     "lock"
#define TAKEOVER_NAME "lock.takeover"
#define LOCK_POLL     (100 * USEC_PER_MSEC)

static void own_pid_ns(char ns[64])
{
        ssize_t n = readlink("/proc/self/ns/pid", ns, 63);

        ns[n > 0 ? n : 0] = '\0';
}

/* The pid the file names; 0 when none. */
static pid_t holder_read(int fd)
{
        char buf[128];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        int pid = 0;

        if (n <= 0)
                return 0;
        buf[n] = '\0';
        return sscanf(buf, "%d", &pid) == 1 && pid > 0 ? pid : 0;
}

/* The process that took the flock on fd's file, in our PID namespace (/proc/locks); 0 when none is
 * listed (released meanwhile, or no /proc). */
static pid_t flock_owner(int fd)
{
        _cleanup_free_ char *text = NULL;
        struct stat st;
        int pfd;

        if (fstat(fd, &st) < 0)
                return 0;
        pfd = open("/proc/locks", O_RDONLY | O_CLOEXEC);
        if (pfd < 0)
                return 0;
        if (read_fd_full(pfd, 16 << 20, &text, NULL) < 0)
                text = NULL;
        close(pfd);
        /* "1: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF"; a waiter's line has "->" before FLOCK */
        for (char *line = text, *next; line && *line; line = next) {
                char type[16];
                unsigned maj, min;
                unsigned long ino;
                int pid;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%lu", type, &pid, &maj, &min, &ino) == 5 &&
                    streq(type, "FLOCK") && maj == major(st.st_dev) && min == minor(st.st_dev) &&
                    ino == (unsigned long)st.st_ino)
                        return pid > 0 ? pid : 0;
        }
        return 0;
}

/* Process pid no longer runs: no such process, or a zombie (it holds no descriptor any more). */
static bool pid_gone(pid_t pid)
{
        _cleanup_free_ char *path = NULL, *stat = NULL;
        const char *paren;
        int fd;

        if (pid <= 0)
                return false;
        if (kill(pid, 0) < 0 && errno == ESRCH)
                return true;
        path = strdup_printf("/proc/%d/stat", (int)pid);
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
        int r;

        if (!name)
                return -ENOMEM;
        guard = openat(state_fd, TAKEOVER_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (guard < 0)
                return -errno;
        if (flock(guard, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        /* another taker may have replaced it before we got the guard */
        if (!is_current(state_fd, fd) || !pid_gone(flock_owner(fd)))
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

/* fd's file is locked by another: HELD (*holder says by whom), or, when the process that took it has ended,
 * TAKEN over (*ret_fd), RETRY, or a negative errno. */
static int lock_busy(struct run *run, int fd, pid_t *holder, int *ret_fd)
{
        int r;

        *holder = flock_owner(fd);
        if (*holder <= 0) {
                *holder = holder_read(fd); /* no /proc/locks: the file's word, for the message only */
                return HELD;
        }
        if (!pid_gone(*holder))
                return HELD;
        r = replace_lock(run->state_fd, fd);
        if (r == -EAGAIN)
                return RETRY;
        if (r < 0)
                return r;
        if (run->o->log)
                fprintf(run->o->log,
                        "hostprep: process %d, which holds %s/lock, has ended, but a process it started still "
                        "has the lock open; the lock is taken over\n",
                        (int)*holder, state_dir(run->o));
        *ret_fd = r;
        return TAKEN;
}

/* One try: TAKEN (*fd is ours), HELD (*holder says by whom), RETRY, or a negative errno. */
static int lock_try(struct run *run, pid_t *holder, int *ret_fd)
{
        const char *dir = state_dir(run->o);
        _cleanup_close_ int fd = -1;
        int r;

        fd = openat(run->state_fd, LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? lock_busy(run, fd, holder, ret_fd) : -errno;
        if (!is_current(run->state_fd, fd))
                return RETRY; /* replaced after we opened it */
        *holder = holder_read(fd);
        if (*holder > 0 && *holder != getpid() && run->o->log)
                fprintf(run->o->log,
                        "hostprep: process %d ended without releasing %s/lock (killed?); the lock is taken over\n",
                        (int)*holder, dir);
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
        pid_t holder = 0;
        int r;

        if (run->deadline < until)
                until = run->deadline;
        for (;;) {
                r = lock_try(run, &holder, &run->lock_fd);
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
                                (int)holder, dir, (unsigned)((until - start) / USEC_PER_SEC));
                        said = true;
                }
                (void)usleep(LOCK_POLL);
        }
        if (holder > 0)
                report_error(report,
                             "another hostprep apply or rollback is running: process %d holds %s/lock "
                             "(waited %.0f s); nothing was changed",
                             (int)holder, dir, (double)(now_usec() - start) / USEC_PER_SEC);
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

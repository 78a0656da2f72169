/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The canary boots under raw QEMU (TCG) and its heartbeat advances: two reads over QMP.
 * usage: test-canary CANARY_ELF */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "canary.h"
#include "migrate-test.h"
#include "qmp.h"
#include "util.h"

static pid_t qemu_pid;

static void stop_qemu(void)
{
        if (qemu_pid > 0) {
                kill(qemu_pid, SIGKILL);
                waitpid(qemu_pid, NULL, 0);
                qemu_pid = 0;
        }
}

static int fail(const char *what, const char *detail)
{
        fprintf(stderr, "FAIL: %s%s\n", what, detail);
        stop_qemu();
        return 1;
}

/* The canary's block, read from the guest's memory over QMP. */
static int read_block(struct qmp *q, struct canary_block *ret)
{
        uint32_t w[CANARY_BLOCK_SIZE / 4];
        int r = qmp_read_phys_u32(q, CANARY_BLOCK_ADDR, ELEMENTSOF(w), w, now_usec() + 5 * USEC_PER_SEC);

        if (r >= 0)
                memcpy(ret, w, sizeof(w));
        return r;
}

/* The serial port shows the ticks; removes the test's files. */
static int check_serial(const char *dir, const char *log, const char *sock)
{
        char path[160], buf[4096] = "";
        FILE *f;

        snprintf(path, sizeof(path), "%s/serial", dir);
        f = fopen(path, "re");
        if (f) {
                size_t n = fread(buf, 1, sizeof(buf) - 1, f);
                buf[n] = 0;
                fclose(f);
        }
        printf("serial: %s", buf);
        if (!strstr(buf, "canary up"))
                return fail("no start-up line on the serial port", "");
        unlink(path);
        unlink(log);
        unlink(sock);
        rmdir(dir);
        return 0;
}

int main(int argc, char **argv)
{
        char dir[] = "/tmp/test-canary-XXXXXX", sock[128], qmparg[160], serial[160], log[128];
        struct qmp *q = NULL;
        struct canary_block b1, b2;
        _cleanup_free_ char *err = NULL;
        int r;

        if (argc != 2)
                return fail("usage: test-canary CANARY_ELF", "");
        if (!have_program("qemu-system-x86_64")) {
                printf("SKIP: qemu-system-x86_64 not installed\n");
                return 77;
        }
        if (!mkdtemp(dir))
                return fail("mkdtemp: ", strerror(errno));
        snprintf(sock, sizeof(sock), "%s/qmp", dir);
        snprintf(qmparg, sizeof(qmparg), "unix:%s,server=on,wait=off", sock);
        snprintf(serial, sizeof(serial), "file:%s/serial", dir);
        snprintf(log, sizeof(log), "%s/log", dir);

        qemu_pid = fork();
        if (qemu_pid == 0) {
                int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                dup2(fd, 1);
                dup2(fd, 2);
                execlp("qemu-system-x86_64", "qemu-system-x86_64", "-accel", "tcg", "-machine", "pc", "-cpu",
                       "qemu64", "-m", "16", "-nodefaults", "-no-user-config", "-display", "none", "-kernel",
                       argv[1], "-append", "dirty=1M span=1", "-serial", serial, "-qmp", qmparg,
                       (char *)NULL);
                _exit(127);
        }
        usec_t t0 = now_usec();
        r = qmp_open(sock, now_usec() + 10 * USEC_PER_SEC, &q, &err);
        if (r < 0)
                return fail("QMP: ", strempty(err));
        printf("QEMU %s, QMP up after %" PRIu64 " ms\n", qmp_version(q), (now_usec() - t0) / 1000);

        /* boot: the magic appears within milliseconds */
        for (;;) {
                if (read_block(q, &b1) < 0)
                        return fail("xp: ", qmp_last_error(q));
                if (canary_magic_ok(&b1))
                        break;
                if (now_usec() - t0 > 10 * USEC_PER_SEC)
                        return fail("no canary magic after 10 s", "");
                usleep(5000);
        }
        printf("canary up %" PRIu64 " ms after QEMU start: heartbeat %" PRIu32 " ms, mem %" PRIu32
               " KiB, rate %" PRIu32 " pages/s, span %" PRIu32 " pages\n",
               (now_usec() - t0) / 1000, b1.heartbeat, b1.mem_kib, b1.rate_pages, b1.span_pages);
        if (b1.rate_pages != 256 || b1.span_pages != 256)
                return fail("command line not parsed (dirty=1M span=1 means 256 pages/s over 256 pages)",
                            "");
        usleep(500 * 1000);
        if (read_block(q, &b2) < 0)
                return fail("xp: ", qmp_last_error(q));
        printf("0.5 s later: heartbeat %" PRIu32 ", dirtied %" PRIu32 " pages, loops %" PRIu32 "\n",
               b2.heartbeat, b2.dirtied, b2.loops);
        if (!canary_magic_ok(&b2) || (int32_t)(b2.heartbeat - b1.heartbeat) < 200)
                return fail("heartbeat does not advance (expected ~500 ms of guest time)", "");
        if (b2.dirtied == b1.dirtied)
                return fail("no pages dirtied", "");
        qmp_execute(q, "quit", NULL, now_usec() + USEC_PER_SEC, NULL);
        qmp_close(q);
        waitpid(qemu_pid, NULL, 0);
        qemu_pid = 0;

        if (check_serial(dir, log, sock) != 0)
                return 1;
        printf("PASS\n");
        return 0;
}

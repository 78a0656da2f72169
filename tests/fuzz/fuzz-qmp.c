/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What QEMU (a peer's, through an SSH-forwarded socket) sends on QMP (migrate/qmp.c): the input is its
 * side of the conversation, read by the client through the greeting, a command, an event wait and the
 * HMP memory read the canary check makes. The input ends with the connection, so nothing waits. */
#include <signal.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "json-util.h"
#include "qmp.h"

/* More than a socket pair's buffer would block the writer: the input is written whole before reading. */
#define QMP_FUZZ_MAX (128u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(qmp_closep) struct qmp *q = NULL;
        _cleanup_(json_object_putp) json_object *rv = NULL, *ev = NULL;
        _cleanup_free_ char *error = NULL;
        uint32_t words[4];
        int sv[2], sndbuf = 2 * QMP_FUZZ_MAX;
        usec_t deadline;

        if (size > QMP_FUZZ_MAX || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return 0;
        signal(SIGPIPE, SIG_IGN);
        (void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
        if (size > 0 && send(sv[1], data, size, MSG_DONTWAIT) != (ssize_t)size) {
                close(sv[0]);
                close(sv[1]);
                return 0;
        }
        /* what the client writes is never read: shutting the read side keeps its sends from blocking */
        shutdown(sv[1], SHUT_WR);
        deadline = now_usec() + 2 * USEC_PER_SEC;
        if (qmp_open_fd(sv[0], "hv2", deadline, &q, &error) >= 0) {
                (void)qmp_version(q);
                (void)qmp_execute(q, "query-migrate", NULL, deadline, &rv);
                (void)qmp_wait_event(q, "RESUME", deadline, &ev);
                (void)qmp_read_phys_u32(q, 0x100000, 4, words, deadline);
                (void)qmp_last_error(q);
        }
        close(sv[1]);
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A minimal QMP client (QEMU Machine Protocol, JSON lines over a unix socket). Every read waits at most
 * until the deadline the caller gives (CLOCK_MONOTONIC, usec_t from lib/util.h), so a stuck or dead QEMU
 * costs a timeout, never a hang. Events that arrive while waiting for a command's answer are kept and can
 * be waited for later.
 *
 * Errors are negative errno; QEMU's own error ("class: desc") or the reason for a local failure is kept
 * in the handle and returned by qmp_last_error().
 */

#include <json-c/json.h>
#include <stdbool.h>

#include "util.h"

struct qmp;

/* What is read of QEMU at most: one message's bytes (a line), its JSON's nesting (QEMU's answers hostprep
 * asks for are 3 deep). More is refused (-EMSGSIZE) with an error naming who sent it. */
#define QMP_MAX_LINE  (1024u * 1024u)
#define QMP_MAX_DEPTH 32

/* Connects to the socket (retrying while it does not exist yet or refuses, until the deadline), reads
 * the greeting and negotiates capabilities. On failure *ret_error (when ret_error is not NULL) gets the
 * reason, to be freed, or NULL when there is none to give (out of memory). */
int qmp_open(const char *socket_path, usec_t deadline, struct qmp **ret, char **ret_error);
/* The same for a socket of QEMU on host (NULL: this host), which its errors about what QEMU sent name. */
int qmp_open_host(const char *socket_path, const char *host, usec_t deadline, struct qmp **ret,
                  char **ret_error);
/* The same on a connected socket fd (taken, closed on failure too): for tests and the fuzz target. */
int qmp_open_fd(int fd, const char *host, usec_t deadline, struct qmp **ret, char **ret_error);
struct qmp *qmp_close(struct qmp *q);
static inline void qmp_closep(struct qmp **q)
{
        qmp_close(*q);
}

/* Runs a command; args (may be NULL) is consumed. On success *ret_return (optional) gets a reference to
 * the "return" member. A QEMU error gives -EREMOTEIO with its description in qmp_last_error(). */
int qmp_execute(struct qmp *q, const char *command, json_object *args, usec_t deadline,
                json_object **ret_return);

/* Waits for an event by name (one that already arrived counts, and is consumed); *ret_data optional. */
int qmp_wait_event(struct qmp *q, const char *event, usec_t deadline, json_object **ret_data);

/* Runs an HMP command through human-monitor-command; *ret gets the output text. */
int qmp_hmp(struct qmp *q, const char *command_line, usec_t deadline, char **ret);

/* Reads n 32-bit words of guest-physical memory (HMP "xp /Nwx ADDR"). */
int qmp_read_phys_u32(struct qmp *q, uint64_t addr, unsigned n, uint32_t *ret, usec_t deadline);

/* "" when nothing failed yet. */
const char *qmp_last_error(const struct qmp *q);
/* The QEMU version from the greeting ("7.2.22"); "" when it named none. */
const char *qmp_version(const struct qmp *q);

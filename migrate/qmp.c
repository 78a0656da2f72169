/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lineiter.h"
#include "macro.h"
#include "qmp.h"

#define QMP_MAX_EVENTS 256

struct qmp {
        int fd;
        char *buf; /* received, not yet consumed bytes */
        size_t len, size;
        unsigned next_id;
        json_object *events[QMP_MAX_EVENTS];
        unsigned n_events;
        char *peer;    /* who answers, for the errors about what it sent: "QEMU on HOST" */
        char *version; /* from the greeting; NULL: it did not say */
        char *error;   /* of the last failure; NULL: none */
};

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

static int set_error(struct qmp *q, int err, const char *fmt, ...) _printf_(3, 4);
static int set_error(struct qmp *q, int err, const char *fmt, ...)
{
        char *text;
        va_list ap;

        /* formatted before the old message goes: it may be one of the arguments */
        va_start(ap, fmt);
        text = strdup_vprintf(fmt, ap);
        va_end(ap);
        free(q->error);
        q->error = text;
        return err > 0 ? -err : err;
}

static int remaining_ms(usec_t deadline)
{
        usec_t now = now_usec();

        if (now >= deadline)
                return 0;
        return (int)((deadline - now + 999) / 1000);
}

/* A failure of connect_unix() goes to q's error, as every other failure. */
static int connect_unix(struct qmp *q, const char *path, usec_t deadline)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};

        if (strlen(path) >= sizeof(sa.sun_path))
                return set_error(q, ENAMETOOLONG, "QMP socket path too long: %s", path);
        strcpy(sa.sun_path, path);
        for (;;) {
                _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                int e;

                if (fd < 0)
                        return -errno;
                /* a local connect never blocks for long: the listener accepts from the kernel's backlog */
                if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
                        q->fd = TAKE_FD(fd);
                        return 0;
                }
                e = errno;
                if ((e != ENOENT && e != ECONNREFUSED) || now_usec() >= deadline)
                        return set_error(q, e, "cannot connect to QMP socket %s: %s", path, strerror(e));
                usleep(20 * 1000);
        }
}

/* The first n bytes of the buffer (one line) as a message, consumed. */
static int take_message(struct qmp *q, size_t n, json_object **ret)
{
        json_tokener *tok = json_tokener_new_ex(QMP_MAX_DEPTH);
        json_object *o;
        enum json_tokener_error jerr;

        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, q->buf, (int)n);
        jerr = json_tokener_get_error(tok);
        json_tokener_free(tok);
        memmove(q->buf, q->buf + n, q->len - n);
        q->len -= n;
        if (!o || jerr != json_tokener_success) {
                json_object_put(o);
                if (jerr == json_tokener_error_depth)
                        return set_error(q, EMSGSIZE, "QMP: %s sent a message nested deeper than %d levels",
                                         q->peer, QMP_MAX_DEPTH);
                return set_error(q, EBADMSG, "QMP: malformed message: %s", json_tokener_error_desc(jerr));
        }
        if (!json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return set_error(q, EBADMSG, "QMP: message is not an object");
        }
        *ret = o;
        return 0;
}

/* Reads one JSON message (one line) into *ret. */
static int read_message(struct qmp *q, usec_t deadline, json_object **ret)
{
        for (;;) {
                char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;

                if (nl)
                        return take_message(q, (size_t)(nl - q->buf) + 1, ret);
                /* QEMU's messages are lines: a longer one is never buffered whole */
                if (q->len >= QMP_MAX_LINE)
                        return set_error(q, EMSGSIZE, "QMP: %s sent a message longer than %u bytes", q->peer,
                                         QMP_MAX_LINE);
                if (q->size - q->len < 4096) {
                        /* doubling up to the cap and a read's worth past it: never more */
                        size_t size = q->size ? q->size * 2 : 16384;
                        char *b;

                        if (size > QMP_MAX_LINE + 16384)
                                size = QMP_MAX_LINE + 16384;
                        b = realloc(q->buf, size);
                        if (!b)
                                return -ENOMEM;
                        q->buf = b;
                        q->size = size;
                }

                struct pollfd p = {.fd = q->fd, .events = POLLIN};
                int t = remaining_ms(deadline), r;
                ssize_t k;

                if (t == 0)
                        return set_error(q, ETIMEDOUT, "QMP: no answer from QEMU before the deadline");
                r = poll(&p, 1, t);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        continue; /* deadline check above */
                k = read(q->fd, q->buf + q->len, q->size - q->len);
                if (k < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return set_error(q, errno, "QMP: read: %s", strerror(errno));
                }
                if (k == 0)
                        return set_error(q, ECONNRESET, "QMP: QEMU closed the connection (it exited?)");
                q->len += (size_t)k;
        }
}

static int write_all(struct qmp *q, const char *s, size_t n, usec_t deadline)
{
        while (n > 0) {
                struct pollfd p = {.fd = q->fd, .events = POLLOUT};
                int t = remaining_ms(deadline);
                ssize_t k;

                if (t == 0)
                        return set_error(q, ETIMEDOUT, "QMP: QEMU does not read its socket");
                if (poll(&p, 1, t) <= 0)
                        continue;
                k = send(q->fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (k < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return set_error(q, errno, "QMP: write: %s", strerror(errno));
                }
                s += k;
                n -= (size_t)k;
        }
        return 0;
}

static void keep_event(struct qmp *q, json_object *o)
{
        if (q->n_events == QMP_MAX_EVENTS) {
                /* nobody waits for the oldest: drop it */
                json_object_put(q->events[0]);
                memmove(q->events, q->events + 1, (QMP_MAX_EVENTS - 1) * sizeof(q->events[0]));
                q->n_events--;
        }
        q->events[q->n_events++] = o;
}

int qmp_execute(struct qmp *q, const char *command, json_object *args, usec_t deadline,
                json_object **ret_return)
{
        _cleanup_(json_object_putp) json_object *msg = json_object_new_object();
        unsigned id = ++q->next_id;
        const char *text;
        int r;

        if (!msg) {
                json_object_put(args);
                return -ENOMEM;
        }
        json_object_object_add(msg, "execute", json_object_new_string(command));
        if (args)
                json_object_object_add(msg, "arguments", args);
        json_object_object_add(msg, "id", json_object_new_int64(id));
        text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
        r = write_all(q, text, strlen(text), deadline);
        if (r >= 0)
                r = write_all(q, "\n", 1, deadline);
        if (r < 0)
                return r;

        for (;;) {
                _cleanup_(json_object_putp) json_object *o = NULL;
                json_object *v;

                r = read_message(q, deadline, &o);
                if (r < 0)
                        return r;
                if (json_object_object_get_ex(o, "event", NULL)) {
                        keep_event(q, TAKE_PTR(o));
                        continue;
                }
                if (!json_object_object_get_ex(o, "id", &v) || (unsigned)json_object_get_int64(v) != id)
                        continue; /* an answer to an earlier command that timed out */
                if (json_object_object_get_ex(o, "error", &v)) {
                        json_object *cls = NULL, *desc = NULL;

                        json_object_object_get_ex(v, "class", &cls);
                        json_object_object_get_ex(v, "desc", &desc);
                        return set_error(q, EREMOTEIO, "%s: %s: %s", command,
                                         cls ? json_object_get_string(cls) : "error",
                                         desc ? json_object_get_string(desc) : "(no description)");
                }
                if (!json_object_object_get_ex(o, "return", &v))
                        return set_error(q, EBADMSG, "%s: answer without \"return\"", command);
                if (ret_return)
                        *ret_return = json_object_get(v);
                return 0;
        }
}

int qmp_wait_event(struct qmp *q, const char *event, usec_t deadline, json_object **ret_data)
{
        for (;;) {
                for (unsigned i = 0; i < q->n_events; i++) {
                        json_object *name, *data = NULL;

                        if (!json_object_object_get_ex(q->events[i], "event", &name) ||
                            !streq(json_object_get_string(name), event))
                                continue;
                        if (ret_data) {
                                json_object_object_get_ex(q->events[i], "data", &data);
                                *ret_data = json_object_get(data);
                        }
                        json_object_put(q->events[i]);
                        memmove(q->events + i, q->events + i + 1,
                                (q->n_events - i - 1) * sizeof(q->events[0]));
                        q->n_events--;
                        return 0;
                }

                json_object *o = NULL;
                int r = read_message(q, deadline, &o);

                if (r == -ETIMEDOUT)
                        return set_error(q, ETIMEDOUT, "QMP: no %s event before the deadline", event);
                if (r < 0)
                        return r;
                if (json_object_object_get_ex(o, "event", NULL))
                        keep_event(q, o);
                else
                        json_object_put(o); /* a late answer */
        }
}

/* "7.2.22" from the greeting's "QMP" member; NULL when it names no version. */
static char *greeting_version(json_object *qmp)
{
        json_object *v, *a, *b, *c;

        if (!json_object_object_get_ex(qmp, "version", &v) || !json_object_object_get_ex(v, "qemu", &v) ||
            !json_object_object_get_ex(v, "major", &a) || !json_object_object_get_ex(v, "minor", &b) ||
            !json_object_object_get_ex(v, "micro", &c))
                return NULL;
        return strdup_printf("%d.%d.%d", json_object_get_int(a), json_object_get_int(b),
                             json_object_get_int(c));
}

static struct qmp *qmp_new(const char *host)
{
        struct qmp *q = calloc(1, sizeof(*q));

        if (!q)
                return NULL;
        q->fd = -1;
        q->peer = host ? strdup_printf("QEMU on %s", host) : strdup("QEMU");
        if (!q->peer)
                return mfree(q);
        return q;
}

/* The greeting and the capabilities negotiation on a connected q (what names it: where in errors). */
static int qmp_handshake(struct qmp *q, const char *where, usec_t deadline)
{
        _cleanup_(json_object_putp) json_object *greeting = NULL;
        json_object *v;
        int r;

        r = read_message(q, deadline, &greeting);
        if (r >= 0 && !json_object_object_get_ex(greeting, "QMP", &v))
                r = set_error(q, EPROTO, "QMP: no greeting on %s", where);
        if (r >= 0) {
                q->version = greeting_version(v);
                r = qmp_execute(q, "qmp_capabilities", NULL, deadline, NULL);
        }
        return r;
}

/* q's error to the caller of a failed open. */
static int open_failed(struct qmp *q, int r, char **ret_error)
{
        if (ret_error)
                *ret_error = TAKE_PTR(q->error);
        return r;
}

int qmp_open_host(const char *socket_path, const char *host, usec_t deadline, struct qmp **ret,
                  char **ret_error)
{
        _cleanup_(qmp_closep) struct qmp *q = qmp_new(host);
        int r;

        if (!q)
                return -ENOMEM;
        r = connect_unix(q, socket_path, deadline);
        if (r >= 0)
                r = qmp_handshake(q, socket_path, deadline);
        if (r < 0)
                return open_failed(q, r, ret_error);
        *ret = TAKE_PTR(q);
        return 0;
}

int qmp_open(const char *socket_path, usec_t deadline, struct qmp **ret, char **ret_error)
{
        return qmp_open_host(socket_path, NULL, deadline, ret, ret_error);
}

int qmp_open_fd(int fd, const char *host, usec_t deadline, struct qmp **ret, char **ret_error)
{
        _cleanup_(qmp_closep) struct qmp *q = qmp_new(host);
        int r;

        if (!q) {
                close(fd);
                return -ENOMEM;
        }
        q->fd = fd;
        r = qmp_handshake(q, q->peer, deadline);
        if (r < 0)
                return open_failed(q, r, ret_error);
        *ret = TAKE_PTR(q);
        return 0;
}

struct qmp *qmp_close(struct qmp *q)
{
        if (!q)
                return NULL;
        if (q->fd >= 0)
                close(q->fd);
        for (unsigned i = 0; i < q->n_events; i++)
                json_object_put(q->events[i]);
        free(q->buf);
        free(q->peer);
        free(q->version);
        free(q->error);
        free(q);
        return NULL;
}

int qmp_hmp(struct qmp *q, const char *command_line, usec_t deadline, char **ret)
{
        _cleanup_(json_object_putp) json_object *rv = NULL;
        json_object *args = json_object_new_object();
        char *s;
        int r;

        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "command-line", json_object_new_string(command_line));
        r = qmp_execute(q, "human-monitor-command", args, deadline, &rv);
        if (r < 0)
                return r;
        s = strdup(json_object_get_string(rv) ?: "");
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* One line of xp's output, "ADDRESS: 0xWORD 0xWORD ...": its words go to ret from *got on, up to n. */
static int parse_xp_line(struct qmp *q, const char *line, uint32_t *ret, unsigned n, unsigned *got)
{
        const char *p = strchr(line, ':');

        if (!p)
                return set_error(q, EBADMSG, "xp: unexpected output: %s", line);
        for (p++; *got < n;) {
                char *end;
                unsigned long v;

                while (*p == ' ' || *p == '\r')
                        p++;
                if (!*p)
                        break;
                errno = 0;
                v = strtoul(p, &end, 16);
                if (errno || end == p || v > UINT32_MAX)
                        return set_error(q, EBADMSG, "xp: unexpected output: %s", line);
                ret[(*got)++] = (uint32_t)v;
                p = end;
        }
        return 0;
}

int qmp_read_phys_u32(struct qmp *q, uint64_t addr, unsigned n, uint32_t *ret, usec_t deadline)
{
        _cleanup_free_ char *cmd = strdup_printf("xp /%uwx 0x%" PRIx64, n, addr), *out = NULL;
        unsigned got = 0;
        int r;

        if (!cmd)
                return -ENOMEM;
        r = qmp_hmp(q, cmd, deadline, &out);
        if (r < 0)
                return r;
        LINE_FOREACH(l, out)
        {
                _cleanup_free_ char *line = NULL;

                if (got >= n)
                        break;
                line = line_iter_dup(&l);
                if (!line)
                        return -ENOMEM;
                r = parse_xp_line(q, line, ret, n, &got);
                if (r < 0)
                        return r;
        }
        if (got != n)
                return set_error(q, EBADMSG, "xp: %u of %u words read (%.*s)", got, n,
                                 (int)strcspn(out, "\n"), out);
        return 0;
}

const char *qmp_last_error(const struct qmp *q)
{
        return strempty(q->error);
}

const char *qmp_version(const struct qmp *q)
{
        return strempty(q->version);
}

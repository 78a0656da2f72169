/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The QMP client against a scripted QMP server on a unix socket (a thread of this test, no QEMU): the
 * reasons qmp_open() hands back, QEMU's error and version, and the parse of HMP xp output line by line. */
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "qmp.h"
#include "test-util.h"

/* What the server says: its greeting, then the answer to each command after qmp_capabilities, as the
 * text of "return" for human-monitor-command, or an error for any other command. */
struct script {
        int listen_fd;
        const char *greeting;
        const char *const *hmp_outputs; /* NULL-terminated */
};

static void send_line(int fd, const char *text)
{
        size_t n = strlen(text);

        if (write(fd, text, n) != (ssize_t)n || write(fd, "\n", 1) != 1)
                fprintf(stderr, "server: short write\n");
}

static void answer(int fd, json_object *cmd, const char *const **hmp)
{
        json_object *exec = NULL, *id = NULL, *reply = json_object_new_object();
        const char *name;

        json_object_object_get_ex(cmd, "execute", &exec);
        json_object_object_get_ex(cmd, "id", &id);
        name = exec ? json_object_get_string(exec) : "";
        json_object_object_add(reply, "id", json_object_get(id));
        if (streq(name, "qmp_capabilities"))
                json_object_object_add(reply, "return", json_object_new_object());
        else if (streq(name, "human-monitor-command") && **hmp)
                json_object_object_add(reply, "return", json_object_new_string(*(*hmp)++));
        else {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "class", json_object_new_string("GenericError"));
                json_object_object_add(e, "desc", json_object_new_string("not scripted"));
                json_object_object_add(reply, "error", e);
        }
        send_line(fd, json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
        json_object_put(reply);
}

static void *serve(void *userdata)
{
        const struct script *sc = userdata;
        const char *const *hmp = sc->hmp_outputs;
        int fd = accept(sc->listen_fd, NULL, NULL);
        FILE *in;
        char *line = NULL;
        size_t size = 0;

        if (fd < 0)
                return NULL;
        send_line(fd, sc->greeting);
        in = fdopen(dup(fd), "r");
        while (in && getline(&line, &size, in) > 0) {
                json_object *cmd = json_tokener_parse(line);
                if (cmd)
                        answer(fd, cmd, &hmp);
                json_object_put(cmd);
        }
        free(line);
        if (in)
                fclose(in);
        close(fd);
        return NULL;
}

static int listen_unix(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
                perror("listen_unix");
                exit(1);
        }
        return fd;
}

#define GREETING                                                                                            \
        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}}, \"capabilities\": []}}"

/* Opens a client on a fresh server running the script; the thread ends when the client closes. */
static struct qmp *open_scripted(const char *dir, struct script *sc, pthread_t *ret_thread, char **ret_error,
                                 int *ret_r)
{
        _cleanup_free_ char *path = strdup_printf("%s/qmp", dir);
        struct qmp *q = NULL;

        unlink(path);
        sc->listen_fd = listen_unix(path);
        pthread_create(ret_thread, NULL, serve, sc);
        *ret_r = qmp_open(path, now_usec() + 5 * USEC_PER_SEC, &q, ret_error);
        return q;
}

static void finish(struct qmp *q, struct script *sc, pthread_t t)
{
        qmp_close(q);
        shutdown(sc->listen_fd, SHUT_RDWR); /* a server still in accept() returns */
        pthread_join(t, NULL);
        close(sc->listen_fd);
}

static void test_open_errors(const char *dir)
{
        _cleanup_free_ char *missing = strdup_printf("%s/none", dir), *want = NULL, *error = NULL,
                            *long_path = NULL;
        struct qmp *q = NULL;
        int r;

        r = qmp_open(missing, now_usec(), &q, &error);
        want = strdup_printf("cannot connect to QMP socket %s: %s", missing, strerror(ENOENT));
        CHECK(r == -ENOENT && !q, "missing socket: %d", r);
        CHECK(error && streq(error, want), "missing socket: \"%s\"", strempty(error));
        error = mfree(error);
        r = qmp_open(missing, now_usec(), &q, NULL);
        CHECK(r == -ENOENT, "without ret_error: %d", r);

        long_path = malloc(300);
        memset(long_path, 'a', 299);
        long_path[0] = '/';
        long_path[299] = '\0';
        want = mfree(want);
        want = strdup_printf("QMP socket path too long: %s", long_path);
        r = qmp_open(long_path, now_usec(), &q, &error);
        CHECK(r == -ENAMETOOLONG && error && streq(error, want), "long path: %d \"%.40s\"", r,
              strempty(error));
}

static void test_no_greeting(const char *dir)
{
        struct script sc = {.greeting = "{\"hello\": 1}", .hmp_outputs = (const char *const[]){NULL}};
        _cleanup_free_ char *error = NULL, *want = strdup_printf("QMP: no greeting on %s/qmp", dir);
        pthread_t t;
        int r;
        struct qmp *q = open_scripted(dir, &sc, &t, &error, &r);

        CHECK(r == -EPROTO && !q, "no greeting: %d", r);
        CHECK(error && streq(error, want), "no greeting: \"%s\"", strempty(error));
        finish(q, &sc, t);
}

static void test_xp(const char *dir)
{
        const char *const outputs[] = {
                "0000000000100000: 0x11111111 0x22222222\r\n0000000000100008: 0x33333333 0x44444444\r\n",
                "0000000000100000: 0x00000001\r\n0000000000100004: 0x00000002\r\n",
                "0000000000100000: 0x00000001\n\n0000000000100008: 0x00000003\n",
                "0000000000100000: 0x1 0x2 0x3 0x4\ngarbage after the words\n",
                NULL,
        };
        struct script sc = {.greeting = GREETING, .hmp_outputs = outputs};
        _cleanup_free_ char *error = NULL;
        uint32_t w[4] = {0};
        pthread_t t;
        int r;
        struct qmp *q = open_scripted(dir, &sc, &t, &error, &r);

        CHECK(r == 0 && q, "open: %d %s", r, strempty(error));
        if (!q) {
                finish(q, &sc, t);
                return;
        }
        CHECK(streq(qmp_version(q), "7.2.22"), "version \"%s\"", qmp_version(q));
        CHECK(streq(qmp_last_error(q), ""), "no error yet: \"%s\"", qmp_last_error(q));

        r = qmp_read_phys_u32(q, 0x100000, 4, w, now_usec() + 5 * USEC_PER_SEC);
        CHECK(r == 0 && w[0] == 0x11111111 && w[1] == 0x22222222 && w[2] == 0x33333333 && w[3] == 0x44444444,
              "two lines of two words: %d %s", r, qmp_last_error(q));
        /* too few words: the message quotes the first line */
        r = qmp_read_phys_u32(q, 0x100000, 4, w, now_usec() + 5 * USEC_PER_SEC);
        CHECK(r == -EBADMSG &&
                      streq(qmp_last_error(q), "xp: 2 of 4 words read (0000000000100000: 0x00000001\r)"),
              "too few words: %d \"%s\"", r, qmp_last_error(q));
        /* an empty line is not xp output (the ':' of the next line is not its) */
        r = qmp_read_phys_u32(q, 0x100000, 4, w, now_usec() + 5 * USEC_PER_SEC);
        CHECK(r == -EBADMSG && streq(qmp_last_error(q), "xp: unexpected output: "), "empty line: %d \"%s\"",
              r, qmp_last_error(q));
        /* once all words are read, what follows is not looked at */
        r = qmp_read_phys_u32(q, 0x100000, 4, w, now_usec() + 5 * USEC_PER_SEC);
        CHECK(r == 0 && w[3] == 4, "words, then other text: %d \"%s\"", r, qmp_last_error(q));
        /* QEMU's own error, named by the command */
        r = qmp_execute(q, "query-status", NULL, now_usec() + 5 * USEC_PER_SEC, NULL);
        CHECK(r == -EREMOTEIO && streq(qmp_last_error(q), "query-status: GenericError: not scripted"),
              "QEMU error: %d \"%s\"", r, qmp_last_error(q));
        finish(q, &sc, t);
}

/* A QEMU that sends text and goes: a child writing to one end of a socket pair, the client on the other. */
static int open_on_text(const char *text, size_t len, const char *host, struct qmp **ret, char **ret_error)
{
        int sv[2];
        pid_t pid;
        int r, st;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        pid = fork();
        if (pid == 0) {
                close(sv[0]);
                while (len > 0) {
                        ssize_t n = write(sv[1], text, len);
                        if (n <= 0)
                                _exit(0); /* the client stopped reading: what it read is the test */
                        text += n;
                        len -= (size_t)n;
                }
                /* stays until the client is done: what it writes (qmp_capabilities) must not fail */
                for (char b[256]; read(sv[1], b, sizeof(b)) > 0;)
                        ;
                _exit(0);
        }
        close(sv[1]);
        r = qmp_open_fd(sv[0], host, now_usec() + 5 * USEC_PER_SEC, ret, ret_error);
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        return r;
}

/* What QEMU (here: a peer's, through SSH) sends is bounded: one message's length and its nesting. */
static void test_bounds(void)
{
        size_t big = QMP_MAX_LINE + 10;
        _cleanup_free_ char *long_line = malloc(big + 1), *deep = NULL, *ok = NULL, *error = NULL;
        struct qmp *q = NULL;
        int r;

        memset(long_line, ' ', big);
        long_line[0] = '{';
        long_line[big - 2] = '}';
        long_line[big - 1] = '\n';
        long_line[big] = '\0';
        r = open_on_text(long_line, big, "hv2", &q, &error);
        CHECK(r == -EMSGSIZE && !q, "long line: %d", r);
        CHECK(error && strstr(error, "QEMU on hv2 sent a message longer than 1048576 bytes"),
              "long line: \"%s\"", strempty(error));
        error = mfree(error);

        /* {"QMP": [[[...]]]} one level deeper than allowed, then as deep as allowed (the object is one) */
        for (int depth = QMP_MAX_DEPTH; depth >= QMP_MAX_DEPTH - 1; depth--) {
                _cleanup_free_ char *open = malloc(depth + 1), *close = malloc(depth + 1), *msg = NULL;

                memset(open, '[', depth);
                memset(close, ']', depth);
                open[depth] = close[depth] = '\0';
                msg = strdup_printf("{\"QMP\": %s%s}\n{\"return\": {}, \"id\": 1}\n", open, close);
                r = open_on_text(msg, strlen(msg), NULL, &q, &error);
                if (depth == QMP_MAX_DEPTH) {
                        CHECK(r == -EMSGSIZE && !q, "too deep: %d", r);
                        CHECK(error && streq(error, "QMP: QEMU sent a message nested deeper than 32 levels"),
                              "too deep: \"%s\"", strempty(error));
                } else
                        CHECK(r == 0 && q, "as deep as allowed: %d %s", r, strempty(error));
                q = qmp_close(q);
                error = mfree(error);
        }
}

int main(void)
{
        char dir[] = "/tmp/test-qmp-XXXXXX";

        signal(SIGPIPE, SIG_IGN); /* a client that went away is the test's failure to report, not a kill */
        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return 1;
        }
        test_open_errors(dir);
        test_no_greeting(dir);
        test_xp(dir);
        test_bounds();
        _cleanup_free_ char *sock = strdup_printf("%s/qmp", dir);
        unlink(sock);
        rmdir(dir);
        return failures ? 1 : 0;
}

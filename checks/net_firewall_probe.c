/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net.firewall's proof: every peer connects to every port to prove, over SSH (`hostprep probe connect
 * THIS-HOST PORT..` there, all ports at once). A port nothing listens on here gets a listener for the
 * probe: a TCP socket in listen state (the kernel completes the handshake without accept()), or a UDP
 * socket whose echo runs in a child; both go when the probe is done. A UDP port a service holds cannot
 * be proven (it does not echo) and says so.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "lineiter.h"
#include "net-firewall.h"
#include "sockets.h"
#include "spawn.h"
#include "sshcmd.h"
#include "strv.h"

/* how long the peer waits for each answer, at most */
#define PROBE_TIMEOUT_SEC 2
/* distinct ports one probe run proves, at most (a port range is proven by a port of each part) */
#define PROBE_MAX_LISTENERS 64

struct listener {
        unsigned port;
        uint8_t proto;
        int fd; /* ours, or -1: something else listens */
        bool in_use;
};

/* Whether a UDP socket is bound to port (/proc/net/udp, udp6: "sl local_address:PORT ..." in hex). */
static bool udp_bound(unsigned port)
{
        const char *files[] = {"/proc/net/udp", "/proc/net/udp6"};

        for (size_t f = 0; f < ELEMENTSOF(files); f++) {
                _cleanup_free_ char *text = NULL;
                int fd = open(files[f], O_RDONLY | O_CLOEXEC);

                if (fd < 0 || read_fd_full(fd, 4u << 20, &text, NULL) < 0) {
                        if (fd >= 0)
                                close(fd);
                        continue;
                }
                close(fd);
                LINE_FOREACH(it, text)
                {
                        _cleanup_free_ char *line = line_iter_dup(&it);
                        char *colon = line ? strchr(line, ':') : NULL;
                        unsigned p;

                        colon = colon ? strchr(colon + 1, ':') : NULL;
                        if (colon && sscanf(colon + 1, "%x", &p) == 1 && p == port)
                                return true;
                }
        }
        return false;
}

static int listener_open(const struct check_ctx *ctx, struct listener *l)
{
        struct sockaddr_in6 sa = {
                .sin6_family = AF_INET6, .sin6_port = htons(l->port), .sin6_addr = in6addr_any};
        int off = 0, on = 1;
        bool taken = false;

        l->fd = -1;
        if (l->proto == IPPROTO_TCP) {
                (void)sockets_tcp_listening(ctx->fs, l->port, l->port, &taken);
        } else
                taken = l->in_use = udp_bound(l->port);
        if (taken)
                return 0;
        l->fd = socket(AF_INET6, (l->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        if (l->fd < 0)
                return -errno;
        /* both families on one socket; reusable at once after the probe */
        (void)setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
        (void)setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        if (bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            (l->proto == IPPROTO_TCP && listen(l->fd, 64) < 0)) {
                int r = -errno;
                close(l->fd);
                l->fd = -1;
                return r;
        }
        return 0;
}

/* In a child until killed: sends every datagram back where it came from. */
__attribute__((noreturn)) static void echo_loop(const struct listener *ls, size_t n)
{
        struct pollfd fds[PROBE_MAX_LISTENERS];
        size_t k = 0;

        for (size_t i = 0; i < n && k < ELEMENTSOF(fds); i++)
                if (ls[i].fd >= 0 && ls[i].proto == IPPROTO_UDP)
                        fds[k++] = (struct pollfd){.fd = ls[i].fd, .events = POLLIN};
        for (;;) {
                if (poll(fds, k, -1) < 0 && errno != EINTR)
                        _exit(1);
                for (size_t j = 0; j < k; j++) {
                        struct sockaddr_storage from;
                        socklen_t len = sizeof(from);
                        char buf[512];
                        ssize_t got;

                        if (!(fds[j].revents & POLLIN))
                                continue;
                        got = recvfrom(fds[j].fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
                                       &len);
                        if (got >= 0)
                                (void)sendto(fds[j].fd, buf, got, 0, (struct sockaddr *)&from, len);
                }
        }
}

/* The echo for our UDP listeners, in a child that dies with us; 0 when none is needed. */
static pid_t echo_start(const struct listener *ls, size_t n)
{
        bool any = false;
        pid_t pid;

        for (size_t i = 0; i < n; i++)
                any = any || (ls[i].fd >= 0 && ls[i].proto == IPPROTO_UDP);
        if (!any)
                return 0;
        pid = fork();
        if (pid == 0) {
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                echo_loop(ls, n);
        }
        return pid < 0 ? 0 : pid;
}

static void echo_stop(pid_t pid)
{
        if (pid <= 0)
                return;
        (void)kill(pid, SIGKILL);
        (void)waitpid(pid, NULL, 0);
}

static struct listener *listener_find(struct listener *ls, size_t n, unsigned port, uint8_t proto)
{
        for (size_t i = 0; i < n; i++)
                if (ls[i].port == port && ls[i].proto == proto)
                        return &ls[i];
        return NULL;
}

static int ssh_options_of(const struct check_ctx *ctx, struct ssh_options *ret)
{
        const char *port = conf_get(ctx->profile, "ssh", "port");
        unsigned p = 0;

        if (port && safe_atou(port, &p) < 0)
                return -EINVAL;
        *ret = (struct ssh_options){
                .user = conf_get(ctx->profile, "ssh", "user"),
                .identity = conf_get(ctx->profile, "ssh", "identity"),
                .known_hosts = conf_get(ctx->profile, "ssh", "known_hosts"),
                .port = p,
                .connect_timeout = 3,
        };
        return 0;
}

/* `hostprep probe connect THIS-HOST PORT/PROTO.. --timeout S` for one peer. */
static int remote_argv(const struct check_ctx *ctx, const struct fw_probe *probes, size_t n,
                       const char *peer, char ***ret)
{
        _cleanup_(strv_freep) char **v = NULL;
        const char *hostprep = conf_get(ctx->profile, "ssh", "hostprep");
        int r = strv_push_dup(&v, hostprep ? hostprep : "hostprep");

        if (r >= 0)
                r = strv_push_dup(&v, "probe");
        if (r >= 0)
                r = strv_push_dup(&v, "connect");
        if (r >= 0)
                r = strv_push_dup(&v, ctx->hostname);
        for (size_t i = 0; r >= 0 && i < n; i++)
                if (streq(probes[i].peer, peer) && probes[i].result == FW_PROBE_UNTRIED)
                        r = strv_push(&v, fw_port_string(probes[i].port, probes[i].port, probes[i].proto));
        if (r >= 0)
                r = strv_push_dup(&v, "--timeout");
        if (r >= 0)
                r = strv_push(&v, strdup_printf("%u", PROBE_TIMEOUT_SEC));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        return 0;
}

static enum fw_probe_result result_from(const char *word)
{
        return streq(word, "connected") ? FW_PROBE_CONNECTED
               : streq(word, "refused") ? FW_PROBE_REFUSED
               : streq(word, "timeout") ? FW_PROBE_TIMEOUT
                                        : FW_PROBE_FAILED;
}

/* The peer's lines "PORT/PROTO RESULT DETAIL" into its probes; what it did not answer failed. */
static int take_answers(struct fw_probe *probes, size_t n, const char *peer, const struct spawn_job *j)
{
        LINE_FOREACH(it, j->out)
        {
                _cleanup_free_ char *line = line_iter_dup(&it);
                _cleanup_(strv_freep) char **w = NULL;
                unsigned lo, hi;
                uint8_t proto;

                if (!line || strv_split(line, " ", &w) < 0)
                        return -ENOMEM;
                if (strv_length(w) < 2 || fw_port_parse(w[0], &lo, &hi, &proto) < 0)
                        continue;
                for (size_t i = 0; i < n; i++)
                        if (streq(probes[i].peer, peer) && probes[i].port == lo &&
                            probes[i].proto == proto && probes[i].result == FW_PROBE_UNTRIED) {
                                probes[i].result = result_from(w[1]);
                                probes[i].detail = strdup(line);
                        }
        }
        for (size_t i = 0; i < n; i++) {
                enum ssh_failure f = ssh_classify(j->exit_status, j->timed_out, j->err);
                _cleanup_free_ char *err = strndup(strempty(j->err), strcspn(strempty(j->err), "\n"));

                if (!streq(probes[i].peer, peer) || probes[i].result != FW_PROBE_UNTRIED)
                        continue;
                probes[i].result = FW_PROBE_FAILED;
                probes[i].detail = strdup_printf("ssh %s: %s%s%s", peer, ssh_failure_to_string(f),
                                                 err && *err ? ": " : "", strempty(err));
        }
        return 0;
}

/* The distinct ports of the probes, each with its listener (ours when nothing listened). */
static int listeners_open(const struct check_ctx *ctx, struct fw_probe *probes, size_t n,
                          struct listener *ls, size_t *ret_n)
{
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                struct listener *l = listener_find(ls, k, probes[i].port, probes[i].proto);

                if (!l && k < PROBE_MAX_LISTENERS) {
                        l = &ls[k++];
                        *l = (struct listener){.port = probes[i].port, .proto = probes[i].proto};
                        if (listener_open(ctx, l) < 0)
                                l->fd = -1; /* then the peer finds it refused, which it is for guests too */
                }
                if (!l) {
                        probes[i].result = FW_PROBE_FAILED;
                        probes[i].detail = strdup("too many ports to prove in one run");
                } else if (l->in_use) {
                        probes[i].result = FW_PROBE_IN_USE;
                        probes[i].detail = strdup("a service holds it: no echo to prove it with");
                }
        }
        *ret_n = k;
        return 0;
}

static int peers_of(const struct fw_probe *probes, size_t n, char ***ret)
{
        _cleanup_(strv_freep) char **v = NULL;

        for (size_t i = 0; i < n; i++)
                if (probes[i].result == FW_PROBE_UNTRIED && !strv_contains(v, probes[i].peer) &&
                    strv_push_dup(&v, probes[i].peer) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(v);
        return 0;
}

static int ask_peers(const struct check_ctx *ctx, struct fw_probe *probes, size_t n, char *const *peers)
{
        size_t np = strv_length(peers);
        struct spawn_job *jobs = calloc(np ? np : 1, sizeof(*jobs));
        char ***argvs = calloc(np ? np : 1, sizeof(char **));
        struct ssh_options o;
        usec_t until = ctx->deadline > now_usec() + 300 * USEC_PER_MSEC ? ctx->deadline - 200 * USEC_PER_MSEC
                                                                        : ctx->deadline;
        int r = jobs && argvs ? ssh_options_of(ctx, &o) : -ENOMEM;

        for (size_t i = 0; r >= 0 && i < np; i++) {
                _cleanup_(strv_freep) char **remote = NULL;

                r = remote_argv(ctx, probes, n, peers[i], &remote);
                if (r >= 0)
                        r = ssh_argv(&o, peers[i], remote, &argvs[i]);
                if (r >= 0)
                        jobs[i] = (struct spawn_job){.argv = argvs[i], .die_with_parent = true};
        }
        if (r >= 0)
                r = spawn_run_many(jobs, np, until);
        for (size_t i = 0; r >= 0 && i < np; i++)
                r = take_answers(probes, n, peers[i], &jobs[i]);
        for (size_t i = 0; argvs && i < np; i++)
                strv_free(argvs[i]);
        free(argvs);
        spawn_jobs_free(jobs, jobs ? np : 0);
        return r;
}

int fw_probes_run(const struct check_ctx *ctx, struct fw_probe *probes, size_t n)
{
        struct listener ls[PROBE_MAX_LISTENERS];
        _cleanup_(strv_freep) char **peers = NULL;
        size_t nl = 0;
        pid_t echo;
        int r;

        r = listeners_open(ctx, probes, n, ls, &nl);
        if (r >= 0)
                r = peers_of(probes, n, &peers);
        echo = r >= 0 && peers ? echo_start(ls, nl) : 0;
        if (r >= 0 && peers)
                r = ask_peers(ctx, probes, n, peers);
        echo_stop(echo);
        for (size_t i = 0; i < nl; i++)
                if (ls[i].fd >= 0)
                        close(ls[i].fd);
        return r;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostprep probe connect HOST PORT[/udp].. (hidden): what net.firewall runs on each peer over SSH to
 * prove that the checked host's ports are reachable from here. Every port is tried at once, by the
 * --timeout (default 2 s): TCP connects; UDP sends a datagram that the checked host's short-lived
 * listener echoes. One line per port, "PORT/PROTO RESULT DETAIL", RESULT being connected, refused (a RST
 * or an ICMP unreachable came back: rejected, or nobody listens) or timeout (nothing came back: dropped).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net-firewall.h"
#include "strv.h"
#include "verbs.h"

#define PROBE_TOKEN "hostprep-probe\n"

struct
try {
        unsigned port;
        uint8_t proto;
        int fd;
        const char *result;
        char *detail;
};

static int try_start(struct try *t, const struct addrinfo *ai)
{
        struct sockaddr_storage sa;
        int type = t->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;

        memcpy(&sa, ai->ai_addr, ai->ai_addrlen);
        if (ai->ai_family == AF_INET)
                ((struct sockaddr_in *)&sa)->sin_port = htons(t->port);
        else
                ((struct sockaddr_in6 *)&sa)->sin6_port = htons(t->port);
        t->fd = socket(ai->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (t->fd < 0)
                return -errno;
        if (connect(t->fd, (struct sockaddr *)&sa, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
                return -errno;
        if (t->proto == IPPROTO_UDP && send(t->fd, PROBE_TOKEN, strlen(PROBE_TOKEN), 0) < 0)
                return -errno;
        return 0;
}

/* What a socket poll() woke for says. */
static void try_finish(struct try *t, short revents)
{
        char buf[64];
        int err = 0;
        socklen_t len = sizeof(err);

        if (t->proto == IPPROTO_UDP) {
                ssize_t n = recv(t->fd, buf, sizeof(buf), 0);

                err = n < 0 ? errno : 0;
                if (n >= 0 && (size_t)n == strlen(PROBE_TOKEN) && memcmp(buf, PROBE_TOKEN, n) == 0)
                        t->result = "connected";
                else if (n >= 0)
                        t->result = "connected", t->detail = strdup("an answer that is not the echo");
        } else if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
                t->result = "connected";
        if (!t->result) {
                t->result = err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH ||
                                            err == EACCES || err == EPERM
                                    ? "refused"
                                    : "error";
                t->detail = strdup(strerror(err ? err : EIO));
        }
        close(t->fd);
        t->fd = -1;
}

static void tries_wait(struct try *tries, size_t n, usec_t deadline)
{
        _cleanup_free_ struct pollfd *fds = calloc(n ? n : 1, sizeof(*fds));

        for (;;) {
                size_t k = 0;
                usec_t now = now_usec();
                int r;

                for (size_t i = 0; fds && i < n; i++)
                        if (tries[i].fd >= 0)
                                fds[k++] = (struct pollfd){
                                        .fd = tries[i].fd,
                                        .events = tries[i].proto == IPPROTO_UDP ? POLLIN : POLLOUT};
                if (k == 0 || now >= deadline)
                        return;
                r = poll(fds, k, (int)((deadline - now + 999) / 1000));
                if (r < 0 && errno != EINTR)
                        return;
                for (size_t j = 0; r > 0 && j < k; j++)
                        for (size_t i = 0; fds[j].revents && i < n; i++)
                                if (tries[i].fd == fds[j].fd)
                                        try_finish(&tries[i], fds[j].revents);
        }
}

static int probe_connect(const char *host, char **ports)
{
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
        size_t n = 0;
        struct try *tries;
        usec_t timeout = arg_timeout ? arg_timeout : 2 * USEC_PER_SEC;
        int r;

        r = getaddrinfo(host, NULL, &hints, &ai);
        if (r != 0) {
                fprintf(stderr, "Cannot resolve %s: %s\n", host, gai_strerror(r));
                return EXIT_FAILURE;
        }
        tries = calloc(strv_length(ports) + 1, sizeof(*tries));
        STRV_FOREACH (p, ports) {
                unsigned lo, hi;
                struct try *t = &tries[n];

                if (!tries || fw_port_parse(*p, &lo, &hi, &t->proto) < 0 || lo != hi) {
                        freeaddrinfo(ai);
                        free(tries);
                        (void)usage_error("not a port: %s", *p);
                        return EXIT_USAGE;
                }
                t->port = lo;
                r = try_start(t, ai);
                if (r < 0) {
                        t->result = r == -ECONNREFUSED ? "refused" : "error";
                        t->detail = strdup(strerror(-r));
                        if (t->fd >= 0)
                                close(t->fd);
                        t->fd = -1;
                }
                n++;
        }
        freeaddrinfo(ai);
        tries_wait(tries, n, now_usec() + timeout);
        for (size_t i = 0; i < n; i++) {
                if (tries[i].fd >= 0)
                        close(tries[i].fd);
                printf("%u/%s %s %s\n", tries[i].port, tries[i].proto == IPPROTO_UDP ? "udp" : "tcp",
                       tries[i].result ? tries[i].result : "timeout", strempty(tries[i].detail));
                free(tries[i].detail);
        }
        free(tries);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int verb_probe(char **args)
{
        if (!args[0] || !streq(args[0], "connect") || !args[1] || !args[2]) {
                (void)usage_error("usage: hostprep " PROBE_USAGE);
                return EXIT_USAGE;
        }
        return probe_connect(args[1], args + 2);
}

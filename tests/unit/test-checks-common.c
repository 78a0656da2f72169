/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers the units share, against this machine: check_tcp_listening() sees a socket this test listens
 * on, over IPv4 (/proc/net/tcp) and IPv6 (/proc/net/tcp6), and no longer sees it once closed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "checks/common.h"
#include "test-util.h"

/* A socket listening on an ephemeral port of the loopback address of family; its port in *ret_port. */
static int listen_loopback(int family, unsigned *ret_port)
{
        struct sockaddr_storage ss = {.ss_family = (sa_family_t)family};
        socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
        int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (family == AF_INET)
                ((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        else
                ((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
        if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1) < 0 ||
            getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        *ret_port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                            : ((struct sockaddr_in6 *)&ss)->sin6_port);
        return fd;
}

static void test_listening(int family, const char *name)
{
        unsigned port = 0;
        bool listening = false;
        int fd = listen_loopback(family, &port), r;

        if (fd < 0) {
                printf("no %s loopback here: %s not tested\n", name, name);
                return;
        }
        r = check_tcp_listening(port, &listening);
        CHECK(r == 0 && listening, "%s port %u: r=%d listening=%d", name, port, r, listening);
        close(fd);
        r = check_tcp_listening(port, &listening);
        CHECK(r == 0 && !listening, "%s port %u after close: r=%d listening=%d", name, port, r, listening);
}

int main(void)
{
        if (access("/proc/net/tcp", R_OK) < 0) {
                printf("SKIP: no /proc/net/tcp\n");
                return 77;
        }
        test_listening(AF_INET, "IPv4");
        test_listening(AF_INET6, "IPv6");
        return failures ? 1 : 0;
}

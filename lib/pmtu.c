/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "pmtu.h"

#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"

#define IP_ICMP_HEADERS 28u /* 20 of IPv4 without options, 8 of ICMP */
/* a lost packet must not look like a small MTU: a failing size is tried again once */
#define PMTU_TRIES 2

struct prober {
        int fd;
        bool raw; /* replies carry their IP header */
        uint16_t id, seq;
        struct sockaddr_in to;
        unsigned char *buf; /* the largest packet */
        size_t buf_size;
};

static uint16_t checksum(const void *data, size_t len)
{
        const uint8_t *p = data;
        uint32_t sum = 0;

        for (; len > 1; p += 2, len -= 2)
                sum += (uint32_t)p[0] << 8 | p[1];
        if (len)
                sum += (uint32_t)p[0] << 8;
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return htons((uint16_t)~sum);
}

static int prober_open(struct prober *p)
{
        int v = IP_PMTUDISC_PROBE;

        p->fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP);
        p->raw = p->fd >= 0;
        if (p->fd < 0)
                p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP);
        if (p->fd < 0)
                return errno == EACCES ? -EPERM : -errno;
        if (setsockopt(p->fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v)) < 0)
                return -errno;
        /* the ping socket sets its own id (the local port); the raw one is told apart by ours */
        p->id = (uint16_t)(getpid() ^ (uintptr_t)p);
        return 0;
}

/* Whether a datagram answers echo request seq: its echo reply (1), a router's "fragmentation needed"
 * about it (-EMSGSIZE), or something else (0). */
static int classify(const struct prober *p, const unsigned char *b, ssize_t n)
{
        const struct icmphdr *h;
        size_t off = 0;

        if (p->raw) {
                if (n < (ssize_t)sizeof(struct iphdr))
                        return 0;
                off = (size_t)(((const struct iphdr *)b)->ihl * 4);
        }
        if (n < (ssize_t)(off + sizeof(*h)))
                return 0;
        h = (const struct icmphdr *)(b + off);
        if (h->type == ICMP_ECHOREPLY && ntohs(h->un.echo.sequence) == p->seq &&
            (!p->raw || ntohs(h->un.echo.id) == p->id))
                return 1;
        if (h->type == ICMP_DEST_UNREACH && h->code == ICMP_FRAG_NEEDED)
                return -EMSGSIZE;
        return 0;
}

/* One echo request of size bytes (IP header included): 1 answered, 0 not, -EMSGSIZE refused on the way. */
static int probe_once(struct prober *p, unsigned size, usec_t until)
{
        struct icmphdr *h = (struct icmphdr *)p->buf;
        size_t len = size - (IP_ICMP_HEADERS - sizeof(*h));
        unsigned char reply[256];

        *h = (struct icmphdr){.type = ICMP_ECHO};
        h->un.echo.id = htons(p->id);
        h->un.echo.sequence = htons(++p->seq);
        h->checksum = checksum(p->buf, len);
        if (sendto(p->fd, p->buf, len, 0, (const struct sockaddr *)&p->to, sizeof(p->to)) < 0)
                return errno == EMSGSIZE ? -EMSGSIZE : -errno;
        for (usec_t now = now_usec(); now < until; now = now_usec()) {
                struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
                ssize_t n;
                int r = poll(&pfd, 1, (int)((until - now + 999) / 1000));

                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r <= 0)
                        continue;
                /* the reply's start is enough: what answers it is in the headers */
                n = recv(p->fd, reply, sizeof(reply), MSG_TRUNC);
                if (n < 0 && errno != EAGAIN)
                        return errno == EMSGSIZE ? -EMSGSIZE : -errno; /* a ping socket's ICMP error */
                r = n > 0 ? classify(p, reply, n < (ssize_t)sizeof(reply) ? n : (ssize_t)sizeof(reply)) : 0;
                if (r != 0)
                        return r;
        }
        return 0;
}

static int probe_size(struct prober *p, unsigned size, usec_t probe_usec, usec_t deadline,
                      struct pmtu_result *res)
{
        for (int t = 0; t < PMTU_TRIES; t++) {
                usec_t now = now_usec(), until = now + probe_usec < deadline ? now + probe_usec : deadline;
                int r;

                if (now >= deadline)
                        return -ETIMEDOUT;
                res->probes++;
                r = probe_once(p, size, until);
                if (r == 1 || r == -EMSGSIZE)
                        return r == 1;
                if (r < 0)
                        return r;
        }
        return 0;
}

int pmtu_probe(const char *addr, unsigned size, usec_t probe_usec, usec_t deadline, struct pmtu_result *ret)
{
        struct prober p = {.fd = -1, .to = {.sin_family = AF_INET}};
        _cleanup_close_ int fd = -1;
        _cleanup_free_ unsigned char *buf = NULL;
        unsigned lo = PMTU_MIN_SIZE + 16, hi = size; /* lo passes, hi fails, once known */
        int r;

        *ret = (struct pmtu_result){0};
        if (inet_pton(AF_INET, addr, &p.to.sin_addr) != 1 || size < lo)
                return -EINVAL;
        buf = calloc(1, size);
        if (!buf)
                return -ENOMEM;
        p.buf = buf;
        r = prober_open(&p);
        fd = p.fd;
        if (r < 0)
                return r;
        r = probe_size(&p, lo, probe_usec, deadline, ret);
        if (r <= 0)
                return r;
        ret->reachable = true;
        ret->largest = lo;
        r = probe_size(&p, hi, probe_usec, deadline, ret);
        if (r > 0)
                ret->largest = hi;
        while (r == 0 && hi - lo > 1) {
                unsigned mid = lo + (hi - lo) / 2;

                r = probe_size(&p, mid, probe_usec, deadline, ret);
                if (r > 0)
                        lo = ret->largest = mid;
                else if (r == 0)
                        hi = mid;
                r = r > 0 ? 0 : r;
        }
        return r < 0 ? r : 0;
}

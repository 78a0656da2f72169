/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Path MTU, measured: ICMP echo requests to an IPv4 address with Don't Fragment set
 * (IP_MTU_DISCOVER = IP_PMTUDISC_PROBE, so the kernel's cached path MTU neither shrinks nor refuses the
 * probes: only the device MTU and the path decide), their size bisected between a small packet that must
 * get through and the size wanted. A size counts as passing when its echo reply comes back; it fails when
 * the reply does not come within the probe's time, when a router answers "fragmentation needed", or when
 * the local device refuses it (EMSGSIZE). A raw ICMP socket is used (root), else a ping socket
 * (SOCK_DGRAM, IPPROTO_ICMP, allowed by net.ipv4.ping_group_range).
 */

#include "util.h"

#define PMTU_MIN_SIZE 68u /* the smallest IPv4 MTU (RFC 791): what must always get through */

struct pmtu_result {
        unsigned largest; /* the largest packet (IP header included) that got through */
        unsigned probes;  /* echo requests sent */
        bool reachable;   /* the smallest probe got an answer */
};

/* Measures what reaches addr (dotted IPv4) up to size (an MTU: IP header included), each probe waiting
 * at most probe_usec, all of it ending by deadline. -EINVAL: not an IPv4 address; -ETIMEDOUT: the
 * deadline came first (ret has what was learnt so far); -EPERM: no ICMP socket may be opened. */
int pmtu_probe(const char *addr, unsigned size, usec_t probe_usec, usec_t deadline, struct pmtu_result *ret);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the files of net.firewall share (net_firewall.c is the unit); not an interface for other units. */

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "nft-walk.h"
#include "unit.h"

/* One port range this host must let in from some peers. */
struct fw_need {
        char *what; /* "libvirtd (qemu+tcp)", "QEMU migration", "NFS", "mountd", ... */
        unsigned lo, hi;
        uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP */
        char *service; /* the firewalld service that opens exactly this, or NULL */
        char *origin;  /* where the port comes from: "qemu.conf:12", "default", "[firewall] ports" */
        char **from;   /* the peers (names) */
};

struct fw_needs {
        struct fw_need *items;
        size_t n;
        char **dynamic; /* NFSv3 helpers on dynamic ports ("mountd", "statd", "lockd"): not openable */
        char *dynamic_origin;
        bool nfs3; /* NFSv3 is served to clients: its helpers' ports matter */
};

void fw_needs_done(struct fw_needs *n);
/* What this host must let in, from the profile and its configuration. -EINVAL with *ret_error naming
 * the profile key when a key is malformed. */
int fw_needs_read(const struct check_ctx *ctx, struct fw_needs *ret, char **ret_error);
/* "16509/tcp", "49152-49215/tcp" */
char *fw_port_string(unsigned lo, unsigned hi, uint8_t proto);
/* Parses "N[-M][/tcp|/udp]" (tcp when no protocol). */
int fw_port_parse(const char *s, unsigned *ret_lo, unsigned *ret_hi, uint8_t *ret_proto);

/* A peer as this host sees it: its address and the interface its packets arrive on. */
struct fw_peer {
        char *name;
        char *address; /* NULL when it does not resolve */
        int family;
        char *iifname; /* NULL when not known (not live) */
};

void fw_peer_done(struct fw_peer *p);
/* The interface a packet to address (of family) leaves by, as the routing table says (live host only). */
int fw_route_interface(int family, const char *address, char **ret);
int fw_peer_resolve(const struct check_ctx *ctx, const char *name, struct fw_peer *ret);

/* The proof (net_firewall_probe.c): each peer connects to each port of this host over SSH, with a
 * short-lived listener here for a port nothing listens on. */
enum fw_probe_result {
        FW_PROBE_UNTRIED,
        FW_PROBE_CONNECTED,
        FW_PROBE_REFUSED, /* a RST or ICMP unreachable: a reject, or nobody listening */
        FW_PROBE_TIMEOUT, /* nothing came back: dropped */
        FW_PROBE_IN_USE,  /* UDP port held by a service: no echo to prove anything */
        FW_PROBE_FAILED,  /* the peer could not be asked */
};

struct fw_probe {
        const char *peer; /* a peer's name (not owned) */
        unsigned port;
        uint8_t proto;
        enum fw_probe_result result;
        char *detail; /* the peer's own line, or why it could not be asked */
};

/* Runs every probe (filled with peer, port, proto) by the deadline. */
int fw_probes_run(const struct check_ctx *ctx, struct fw_probe *probes, size_t n);

/* What decides for one need and one peer: parts of its port range with the same verdict and rule. */
struct fw_segment {
        unsigned lo, hi;
        enum nft_verdict verdict;
        char *where; /* the rule, the policy, or firewalld's zone and layer */
};

struct fw_eval {
        const struct fw_need *need;
        const struct fw_peer *peer;
        struct fw_segment *segs;
        size_t n_segs;
        char *zone;              /* firewalld: the zone the peer's packets fall in */
        bool runtime, permanent; /* firewalld: open in that layer */
};

enum fw_backend {
        FW_BACKEND_NONE,
        FW_BACKEND_NFTABLES,
        FW_BACKEND_FIREWALLD,
};

/* What check() found, for fix() (which runs after it in the same child). */
struct fw_state {
        struct fw_needs needs;
        struct fw_peer *peers;
        size_t n_peers;
        enum fw_backend backend;
        struct nft_ruleset *rs;
        char *ruleset_json;
        struct fw_eval *evals;
        size_t n_evals;
};

void fw_state_done(struct fw_state *s);
/* The ruleset as the walk reads it: the live kernel's, or under --root the capture (-ENOENT without). */
int fw_ruleset_text(const struct check_ctx *ctx, char **ret, char **ret_error);
/* The peers' addresses, as nftables and firewalld match them (those that resolve). */
int fw_peer_addresses(const struct fw_state *s, const struct fw_need *need, int family, char ***ret);

/* Reads what must get in, the peers, the backend (bus: firewalld's, when it runs; else NULL) and
 * evaluates every need for every peer. -ENOENT: no ruleset to read (--root without a capture), -EBADMSG
 * or a read's errno with *ret_why; the needs are read even then. */
int fw_state_read(struct check_ctx *ctx, struct fw_state *s, sd_bus **ret_bus, char **ret_why);

/* The fix's own results (net.firewall.fix), from the unit's table. */
enum fw_fix {
        FW_FIX_NOT_NFTABLES_CONF,
        FW_FIX_NOT_LIVE,
        FW_FIX_FAILED,
};
const struct result_def *fw_fix_result(enum fw_fix f);

/* net_firewall_fix.c */
int fw_plan(struct check_ctx *ctx, const struct fw_state *s, struct plan *plan);

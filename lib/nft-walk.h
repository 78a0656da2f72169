/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Would the kernel's nftables ruleset let a new connection from a peer in? No library evaluates a
 * ruleset for a packet, so this walks the ruleset's JSON (`nft -j list ruleset`, libnftables-json(5)) the
 * way netfilter runs it, as far as it understands it, and says UNKNOWN where it does not.
 *
 * A packet must pass every base chain of the prerouting (type filter) and input hooks of its family
 * (ip or ip6, and inet for both), prerouting first, each hook's chains in ascending priority: accept ends
 * one chain, drop and reject are final, a chain that ends without a verdict applies its policy. jump and
 * goto enter regular chains (return goes back). Matches are understood on meta l4proto/nfproto/iifname/
 * iif, ip/ip6 saddr (values, prefixes, ranges, anonymous and named sets), tcp/udp/th dport (values,
 * ranges, sets, comparisons) and ct state (the packet opens a new connection: established, related and
 * invalid never match it). A rule whose match is not understood (fib, marks, xt matches of iptables-nft,
 * ...) that would decide a verdict makes the answer UNKNOWN, naming that rule, unless every way it could
 * go ends the same: a later chain's certain drop, or the same verdict the rest of the chain gives.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

struct nft_packet {
        int family;          /* AF_INET or AF_INET6 */
        const char *saddr;   /* the peer's address, as text */
        const char *iifname; /* where it arrives; NULL when not known (a non-loopback interface) */
        uint8_t l4proto;     /* IPPROTO_TCP or IPPROTO_UDP */
        uint16_t dport;
        /* "FAMILY TABLE CHAIN" of chains that accept the packet at once, as if a rule at their top did (what
         * a fix is about to insert there), NULL-terminated; may be NULL */
        char *const *accepted_by;
};

enum nft_verdict {
        NFT_ACCEPT,
        NFT_DROP, /* drop or reject */
        NFT_UNKNOWN,
        _NFT_VERDICT_MAX,
};

const char *nft_verdict_to_string(enum nft_verdict v); /* "accept", "drop", "unknown" */

/* Where the walk decided: the rule (handle > 0) or the chain's policy (handle 0). */
struct nft_where {
        char *family, *table, *chain;
        int64_t handle;
        char *what; /* "drop", "reject", "policy drop", "fib daddr not understood", ... */
};

struct nft_decision {
        enum nft_verdict verdict;
        struct nft_where where; /* the deciding rule; for UNKNOWN the rule not understood */
        unsigned n_chains;      /* the base chains the packet went through */
};

void nft_decision_done(struct nft_decision *d);
/* "inet filter input handle 7 (drop)" or "inet filter input policy drop"; NULL on -ENOMEM or when the
 * walk saw no chain at all. */
char *nft_where_to_string(const struct nft_where *w);

struct nft_ruleset;

/* Parses text (`nft -j list ruleset`). -EBADMSG with *ret_error (may be NULL) when it is not such JSON. */
int nft_ruleset_parse(const char *text, struct nft_ruleset **ret, char **ret_error);
struct nft_ruleset *nft_ruleset_free(struct nft_ruleset *rs);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nft_ruleset *, nft_ruleset_free)

/* Whether the ruleset has a table of that family and name. */
bool nft_ruleset_has_table(const struct nft_ruleset *rs, const char *family, const char *name);
/* How many base chains filter input (or prerouting) for family: 0 means nothing filters there. */
unsigned nft_ruleset_input_chains(const struct nft_ruleset *rs, int family);

/* Walks the ruleset for p. 0 with *ret filled, -EINVAL for a bad packet, -ENOMEM. */
int nft_ruleset_eval(const struct nft_ruleset *rs, const struct nft_packet *p, struct nft_decision *ret);

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `nft -j list ruleset` JSON (lib/nft-walk.c, lib/nft.c): the walk of the packets net.firewall asks
 * about (TCP and UDP, IPv4 and IPv6, from loopback, with a chain a fix would open), the table and chain
 * lookups, and the rules found by their comment. */
#include <netinet/in.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "nft-walk.h"
#include "nft.h"
#include "strv.h"

static void walk(const struct nft_ruleset *rs, const struct nft_packet *p)
{
        struct nft_decision d = {};

        if (nft_ruleset_eval(rs, p, &d) >= 0) {
                free(nft_where_to_string(&d.where));
                (void)nft_verdict_to_string(d.verdict);
        }
        nft_decision_done(&d);
}

static void walks(const struct nft_ruleset *rs)
{
        char *accepted[] = {(char *)"inet filter input", NULL};
        const struct nft_packet packets[] = {
                {.family = AF_INET, .saddr = "192.0.2.10", .l4proto = IPPROTO_TCP, .dport = 16509},
                {.family = AF_INET6, .saddr = "2001:db8::10", .l4proto = IPPROTO_TCP, .dport = 2049},
                {.family = AF_INET,
                 .saddr = "10.1.2.3",
                 .iifname = "lo",
                 .l4proto = IPPROTO_UDP,
                 .dport = 111},
                {.family = AF_INET,
                 .saddr = "192.0.2.10",
                 .l4proto = IPPROTO_TCP,
                 .dport = 49152,
                 .accepted_by = accepted},
        };

        for (size_t i = 0; i < ELEMENTSOF(packets); i++)
                walk(rs, &packets[i]);
        (void)nft_ruleset_has_table(rs, "inet", "filter");
        (void)nft_ruleset_input_chains(rs, AF_INET);
        (void)nft_ruleset_input_chains(rs, AF_INET6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size), *error = NULL;
        _cleanup_(nft_ruleset_freep) struct nft_ruleset *rs = NULL;
        _cleanup_(strv_freep) char **rules = NULL;

        if (!text)
                return 0;
        if (nft_ruleset_parse(text, &rs, &error) >= 0)
                walks(rs);
        (void)nft_rules_with_comment(text, "hostprep", &rules);
        return 0;
}

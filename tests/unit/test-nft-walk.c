/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/nft-walk: packets walked through rulesets `nft -j list ruleset` printed (tests/unit/fixtures/nft:
 * mixed.json and prerouting-vmap.json as nftables 1.0.6 listed them; firewalld-like.json is firewalld
 * 1.3's chain layout with an iptables-nft xt match put in by hand, which nft cannot read back). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "nft-walk.h"
#include "test-util.h"
#include "util.h"

static const char *fixtures;

static struct nft_ruleset *load(const char *name)
{
        _cleanup_free_ char *path = strdup_printf("%s/%s", fixtures, name), *text = read_text(path);
        struct nft_ruleset *rs = NULL;

        CHECK(text && nft_ruleset_parse(text, &rs, NULL) == 0, "%s parses", name);
        return rs;
}

/* The walk for one packet: its verdict and where, "FAMILY TABLE CHAIN handle N (what)". */
static void expect(const struct nft_ruleset *rs, int af, const char *saddr, const char *iif, uint8_t proto,
                   unsigned port, enum nft_verdict v, const char *where)
{
        struct nft_packet p = {
                .family = af, .saddr = saddr, .iifname = iif, .l4proto = proto, .dport = port};
        struct nft_decision d = {};
        _cleanup_free_ char *w = NULL;

        CHECK(nft_ruleset_eval(rs, &p, &d) == 0, "eval %s %u", saddr, port);
        w = nft_where_to_string(&d.where);
        CHECK(d.verdict == v, "%s -> %u/%s: %s, not %s (%s)", saddr, port,
              proto == IPPROTO_UDP ? "udp" : "tcp", nft_verdict_to_string(d.verdict),
              nft_verdict_to_string(v), strna(w));
        CHECK(!where || (w && streq(w, where)), "%s -> %u: decided at '%s', not '%s'", saddr, port, strna(w),
              where);
        nft_decision_done(&d);
}

static void test_mixed(void)
{
        _cleanup_(nft_ruleset_freep) struct nft_ruleset *rs = load("mixed.json");
        const int T = IPPROTO_TCP, U = IPPROTO_UDP;

        if (!rs)
                return;
        CHECK(nft_ruleset_input_chains(rs, AF_INET) == 2, "inet input and ip prerouting");
        CHECK(nft_ruleset_has_table(rs, "ip", "raw") && !nft_ruleset_has_table(rs, "ip6", "raw"), "tables");
        /* a named set with a prefix, and an anonymous set with a range */
        expect(rs, AF_INET, "10.0.0.5", "eth0", T, 16509, NFT_ACCEPT, "inet filter input handle 9 (accept)");
        expect(rs, AF_INET, "192.168.1.5", "eth0", T, 49215, NFT_ACCEPT,
               "inet filter input handle 9 (accept)");
        expect(rs, AF_INET, "10.0.0.5", "eth0", T, 49216, NFT_DROP, "inet filter input handle 18 (drop)");
        expect(rs, AF_INET, "10.9.0.2", "eth0", T, 16509, NFT_DROP, "inet filter input handle 18 (drop)");
        /* jump into a regular chain that accepts, or returns */
        expect(rs, AF_INET, "10.1.2.3", "eth0", T, 2049, NFT_ACCEPT, "inet filter nfs handle 19 (accept)");
        /* udp 2049 from outside 10/8: the nfs chain returns, only tcp rules follow, policy drop */
        expect(rs, AF_INET, "192.168.9.9", "eth0", U, 2049, NFT_DROP, "inet filter input policy drop");
        expect(rs, AF_INET, "192.168.9.9", "eth0", T, 2049, NFT_DROP, "inet filter input handle 18 (drop)");
        /* reject is final too; a drop in an earlier hook (prerouting) ends it */
        expect(rs, AF_INET, "10.0.0.5", "eth0", T, 111, NFT_DROP, "inet filter input handle 13 (reject)");
        expect(rs, AF_INET, "10.0.0.5", "eth0", U, 4789, NFT_DROP, "ip raw pre handle 2 (drop)");
        /* a limit is not understood: its accept and the drop after it differ */
        expect(rs, AF_INET, "10.9.0.2", "eth0", T, 8000, NFT_UNKNOWN,
               "inet filter input handle 16 (a statement not understood)");
        /* fib daddr type local is this host's own address */
        expect(rs, AF_INET, "10.9.0.2", "eth0", T, 9000, NFT_ACCEPT, "inet filter input handle 17 (accept)");
        /* iifname "eth*": the interface decides; not known, it is UNKNOWN (but never lo) */
        expect(rs, AF_INET, "10.9.0.2", "eth1", T, 22, NFT_ACCEPT, "inet filter input handle 7 (accept)");
        expect(rs, AF_INET, "10.9.0.2", "br0", T, 22, NFT_DROP, "inet filter input policy drop");
        expect(rs, AF_INET, "10.9.0.2", NULL, T, 22, NFT_UNKNOWN,
               "inet filter input handle 7 (a match not understood)");
        /* ip6 saddr prefix; ip saddr rules do not match IPv6; the ip table is not walked for it */
        expect(rs, AF_INET6, "fe80::1", "eth0", U, 546, NFT_ACCEPT, "inet filter input handle 10 (accept)");
        expect(rs, AF_INET6, "2001:db8::1", "eth0", U, 4789, NFT_DROP, "inet filter input policy drop");
}

static void test_prerouting(void)
{
        _cleanup_(nft_ruleset_freep) struct nft_ruleset *rs = load("prerouting-vmap.json");

        if (!rs)
                return;
        /* meta mark is not understood: its drop against pkttype host's accept */
        expect(rs, AF_INET, "10.0.0.5", NULL, IPPROTO_TCP, 61000, NFT_UNKNOWN,
               "inet t pre handle 4 (a match not understood)");
}

static void test_firewalld_like(void)
{
        _cleanup_(nft_ruleset_freep) struct nft_ruleset *rs = load("firewalld-like.json");

        if (!rs)
                return;
        /* goto through the zones to the zone's allow chain; rpfilter's fib is the arrival interface */
        expect(rs, AF_INET, "10.0.0.2", "eth0", IPPROTO_TCP, 16509, NFT_ACCEPT,
               "inet firewalld filter_IN_public_allow handle 27 (accept)");
        expect(rs, AF_INET6, "2001:db8::2", "eth0", IPPROTO_TCP, 22, NFT_ACCEPT,
               "inet firewalld filter_IN_public_allow handle 23 (accept)");
        /* a goto that depends on an unknown interface cannot be followed */
        expect(rs, AF_INET, "10.0.0.2", NULL, IPPROTO_TCP, 16509, NFT_UNKNOWN,
               "inet firewalld filter_INPUT_ZONES handle 16 (a match not understood)");
        /* the xt match leaves ip filter undecided, but firewalld's reject later is certain */
        expect(rs, AF_INET, "10.0.0.2", "eth0", IPPROTO_TCP, 2049, NFT_DROP,
               "inet firewalld filter_IN_public handle 21 (reject)");
        /* a port nothing opens: the xt rule does not match, firewalld rejects */
        expect(rs, AF_INET, "10.0.0.2", "eth0", IPPROTO_TCP, 3000, NFT_DROP,
               "inet firewalld filter_IN_public handle 21 (reject)");
}

static void test_planned_accept(void)
{
        _cleanup_(nft_ruleset_freep) struct nft_ruleset *rs = load("mixed.json");
        char *accepted[] = {(char *)"ip raw pre", NULL};
        struct nft_packet p = {.family = AF_INET,
                               .saddr = "10.0.0.5",
                               .iifname = "eth0",
                               .l4proto = IPPROTO_UDP,
                               .dport = 4789,
                               .accepted_by = accepted};
        struct nft_decision d = {};
        _cleanup_free_ char *w = NULL;

        /* with an accept planned at the top of the prerouting chain, the next drop is the input policy */
        CHECK(rs && nft_ruleset_eval(rs, &p, &d) == 0 && d.verdict == NFT_DROP, "second chain drops");
        w = nft_where_to_string(&d.where);
        CHECK(w && streq(w, "inet filter input policy drop"), "at %s", strna(w));
        nft_decision_done(&d);
}

static void test_bad_input(void)
{
        struct nft_ruleset *rs = NULL;
        _cleanup_free_ char *error = NULL;
        const char *loop =
                "{\"nftables\":[{\"table\":{\"family\":\"inet\",\"name\":\"t\"}},"
                "{\"chain\":{\"family\":\"inet\",\"table\":\"t\",\"name\":\"in\",\"type\":\"filter\","
                "\"hook\":\"input\",\"prio\":0,\"policy\":\"accept\"}},"
                "{\"chain\":{\"family\":\"inet\",\"table\":\"t\",\"name\":\"a\"}},"
                "{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"in\",\"handle\":3,"
                "\"expr\":[{\"jump\":{\"target\":\"a\"}}]}},"
                "{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"a\",\"handle\":4,"
                "\"expr\":[{\"jump\":{\"target\":\"a\"}}]}}]}";
        struct nft_packet p = {.family = AF_INET, .saddr = "10.0.0.1", .l4proto = IPPROTO_TCP, .dport = 1};
        struct nft_decision d = {};

        CHECK(nft_ruleset_parse("not json", &rs, &error) == -EBADMSG && error, "not JSON");
        CHECK(nft_ruleset_parse(
                      "{\"nftables\":[{\"rule\":{\"family\":\"ip\",\"table\":\"x\",\"chain\":\"y\"}}]}", &rs,
                      NULL) == -EBADMSG,
              "a rule without its chain");
        CHECK(nft_ruleset_parse(loop, &rs, NULL) == 0, "loop parses");
        CHECK(rs && nft_ruleset_eval(rs, &p, &d) == 0 && d.verdict == NFT_UNKNOWN, "a jump loop is UNKNOWN");
        nft_decision_done(&d);
        p.family = AF_UNIX;
        CHECK(rs && nft_ruleset_eval(rs, &p, &d) == -EINVAL, "a packet of no IP family");
        nft_ruleset_free(rs);
}

int main(int argc, char **argv)
{
        if (argc != 2)
                return EXIT_FAILURE;
        fixtures = argv[1];
        test_mixed();
        test_prerouting();
        test_firewalld_like();
        test_planned_accept();
        test_bad_input();
        return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A peer's report as src/peers.c decodes it: what a good one gives, and that one too big, too deep or
 * malformed becomes one ERROR naming the peer (never a crash, never an allocation the peer sizes). */
#include <string.h>

#include "peers.h"
#include "test-util.h"

static const char *decode(const char *text, size_t len, struct peer_report *p)
{
        *p = (struct peer_report){.host = (char *)"hv2"};
        if (peer_report_from_json(p, text, len) < 0)
                return "(failed)";
        return p->reached ? "" : p->results.n ? p->results.items[0].message : "(no result)";
}

static void done(struct peer_report *p)
{
        free(p->hostname);
        result_list_done(&p->results);
        json_object_put(p->facts);
}

static void test_good(void)
{
        const char *text = "{\"host\": {\"name\": \"hv2.lab\", \"roles\": [\"hypervisor\", 7]},"
                           " \"results\": [], \"facts\": {\"hostname\": \"hv2\"}}";
        struct peer_report p;
        const char *msg = decode(text, strlen(text), &p);

        CHECK(p.reached && !*msg, "good report: \"%s\"", msg);
        CHECK(p.hostname && streq(p.hostname, "hv2.lab"), "name %s", strna(p.hostname));
        CHECK(p.roles == ROLE_BIT(ROLE_HYPERVISOR), "roles %x", p.roles);
        CHECK(p.facts && json_object_is_type(p.facts, json_type_object), "facts kept");
        done(&p);
}

static void test_refused(const char *what, const char *text, size_t len, const char *want)
{
        struct peer_report p;
        const char *msg = decode(text, len, &p);

        CHECK(!p.reached && p.results.n == 1 && streq(p.results.items[0].id, "peer.reach") &&
                      p.results.items[0].status == STATUS_ERROR,
              "%s: one ERROR peer.reach", what);
        CHECK(strstr(msg, want), "%s: \"%s\" lacks \"%s\"", what, msg, want);
        done(&p);
}

/* {"results": [], "facts": [[[...]]]}: depth levels in all, the object counted */
static char *nested(size_t depth)
{
        size_t arrays = depth - 1;
        char *s = malloc(2 * arrays + 40), *d = s;

        d += sprintf(d, "{\"results\": [], \"facts\": ");
        memset(d, '[', arrays);
        memset(d + arrays, ']', arrays);
        strcpy(d + 2 * arrays, "}");
        return s;
}

int main(void)
{
        size_t big = PEER_REPORT_MAX + 1;
        _cleanup_free_ char *huge = malloc(big + 1), *deep = nested(PEER_JSON_DEPTH + 1),
                            *fits = nested(PEER_JSON_DEPTH);
        struct peer_report p;
        const char *msg;

        test_good();
        memset(huge, ' ', big);
        huge[big] = '\0';
        test_refused("too big", huge, big, "hv2 answered with more than 4 MiB");
        test_refused("too deep", deep, strlen(deep), "hv2 answered with JSON nested deeper than 32 levels");
        msg = decode(fits, strlen(fits), &p);
        CHECK(p.reached, "as deep as allowed: \"%s\"", msg);
        done(&p);
        test_refused("malformed", "{\"results\": [", 13,
                     "hv2 answered with malformed JSON (it ends early at byte 13)");
        test_refused("not a report", "[1, 2]", 6, "hv2 answered with a report hostprep cannot read");
        test_refused("empty", "", 0, "hv2 answered with malformed JSON");
        return failures ? 1 : 0;
}

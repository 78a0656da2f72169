/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cross.xen on facts as hostprep facts writes them (xen: {version, virt_caps} from xl info): the same
 * release, N and N+1 (one way only), two releases apart, virt_caps that differ, a host without Xen. */
#include <json-c/json.h>

#include "cross.h"
#include "test-util.h"

/* Xen 4.17.5 (bookworm main) has shadow paging; the security build 4.17.7 has none. */
#define CAPS_MAIN     "pv hvm hap shadow gnttab-v1 gnttab-v2"
#define CAPS_SECURITY "pv hvm hap gnttab-v1 gnttab-v2"

static json_object *xen_facts(const char *version, const char *caps)
{
        json_object *facts = json_object_new_object(), *xen = json_object_new_object();

        json_object_object_add(xen, "version", json_object_new_string(version));
        json_object_object_add(xen, "virt_caps", json_object_new_string(caps));
        json_object_object_add(facts, "xen", xen);
        return facts;
}

/* cross.xen's and cross.xen_caps' results' reasons for hosts xa (facts a) and xb (facts b), joined by
 * spaces; both taken. */
static char *xen_reasons(json_object *a, json_object *b)
{
        struct conf profile = {0};
        struct host_facts hosts[] = {
                {.name = "xa", .roles = ROLE_BIT(ROLE_HYPERVISOR), .facts = a},
                {.name = "xb", .roles = ROLE_BIT(ROLE_HYPERVISOR), .facts = b},
        };
        struct result_list l = {0};
        struct cross_ctx ctx = {.profile = &profile, .hosts = hosts, .n_hosts = 2, .results = &l};
        char *reasons = strdup("");

        for (size_t c = 0; c < cross_registry_size; c++)
                if (startswith(cross_registry[c]->id, "cross.xen"))
                        CHECK(cross_registry[c]->compare(&ctx) == 0, "%s", cross_registry[c]->id);
        for (size_t i = 0; i < l.n && reasons; i++) {
                char *more = strdup_printf("%s%s%s", reasons, i ? " " : "", strempty(l.items[i].reason));

                free(reasons);
                reasons = more;
        }
        result_list_done(&l);
        json_object_put(a);
        json_object_put(b);
        return reasons;
}

static void expect(char *reasons, const char *want)
{
        CHECK(reasons && streq(reasons, want), "reasons %s, want %s", strna(reasons), want);
        free(reasons);
}

int main(void)
{
        expect(xen_reasons(xen_facts("4.17.5", CAPS_MAIN), xen_facts("4.17.5", CAPS_MAIN)),
               "same_version same_caps");
        /* 4.17.5 and 4.17.7: the same release, but the security build lacks shadow */
        expect(xen_reasons(xen_facts("4.17.5", CAPS_MAIN), xen_facts("4.17.7", CAPS_SECURITY)),
               "same_version caps_differ");
        expect(xen_reasons(xen_facts("4.17.5", CAPS_MAIN), xen_facts("4.18.2", CAPS_MAIN)),
               "one_release_apart same_caps");
        expect(xen_reasons(xen_facts("4.19.1", CAPS_MAIN), xen_facts("4.17.5", CAPS_MAIN)),
               "too_far_apart same_caps");
        expect(xen_reasons(xen_facts("4.17.5", CAPS_MAIN), xen_facts("5.0.0", CAPS_MAIN)),
               "too_far_apart same_caps");
        expect(xen_reasons(xen_facts("4.17.5", CAPS_MAIN), json_object_new_object()),
               "too_few_hosts too_few_hosts");
        return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

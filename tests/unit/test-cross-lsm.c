/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cross.lsm on facts as hostprep facts writes them: the same LSM and booleans, AppArmor -> SELinux, and
 * SELinux hosts whose booleans differ. */
#include <json-c/json.h>

#include "cross.h"
#include "test-util.h"

static json_object *security_facts(const char *selinux, const char *apparmor, const char *booleans)
{
        json_object *facts = json_object_new_object(), *sec = json_object_new_object();

        json_object_object_add(sec, "selinux", json_object_new_string(selinux));
        json_object_object_add(sec, "apparmor", json_object_new_string(apparmor));
        json_object_object_add(sec, "selinux_policy", json_object_new_string("default"));
        json_object_object_add(sec, "virt_booleans", booleans ? json_object_new_string(booleans) : NULL);
        json_object_object_add(facts, "security", sec);
        return facts;
}

/* cross.lsm's one result's reason for hosts h1 (facts a) and h2 (facts b); both facts are taken. */
static char *lsm_reason(json_object *a, json_object *b)
{
        struct conf profile = {0};
        struct host_facts hosts[] = {
                {.name = "h1", .roles = ROLE_BIT(ROLE_HYPERVISOR), .facts = a},
                {.name = "h2", .roles = ROLE_BIT(ROLE_HYPERVISOR), .facts = b},
        };
        struct result_list l = {0};
        struct cross_ctx ctx = {.profile = &profile, .hosts = hosts, .n_hosts = 2, .results = &l};
        char *reason = NULL;

        for (size_t c = 0; c < cross_registry_size; c++)
                if (streq(cross_registry[c]->id, "cross.lsm"))
                        CHECK(cross_registry[c]->compare(&ctx) == 0, "cross.lsm");
        CHECK(l.n == 1, "one result, got %zu", l.n);
        if (l.n > 0)
                reason = strdup(strempty(l.items[0].reason));
        result_list_done(&l);
        json_object_put(a);
        json_object_put(b);
        return reason;
}

static void expect(char *reason, const char *want)
{
        CHECK(reason && streq(reason, want), "reason %s, want %s", strna(reason), want);
        free(reason);
}

int main(void)
{
        const char *on = "virt_use_fusefs=0 virt_use_nfs=1 virt_use_samba=0";
        const char *off = "virt_use_fusefs=0 virt_use_nfs=0 virt_use_samba=0";

        expect(lsm_reason(security_facts("absent", "enabled", NULL),
                          security_facts("absent", "enabled", NULL)),
               "same_lsm");
        expect(lsm_reason(security_facts("absent", "enabled", NULL),
                          security_facts("enforcing", "absent", on)),
               "different_lsm");
        expect(lsm_reason(security_facts("enforcing", "absent", on),
                          security_facts("enforcing", "absent", off)),
               "different_policy");
        expect(lsm_reason(security_facts("enforcing", "absent", on),
                          security_facts("permissive", "absent", on)),
               "same_lsm");
        expect(lsm_reason(security_facts("absent", "enabled", NULL), json_object_new_object()),
               "too_few_hosts");
        return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cross.qemu_ids and cross.nova_ids on facts as hostprep facts writes them: the same ids on the compute
 * hosts and the NFS server, one host that differs, devstack's stack user, the profile's [nova] user, and
 * too few hosts to compare. */
#include <json-c/json.h>

#include "cross.h"
#include "test-util.h"

/* Facts with users NAME:UID:GID ("nova:64060:64060"), as many as given. */
static json_object *user_facts(const char *const *users)
{
        json_object *facts = json_object_new_object(), *u = json_object_new_object();

        for (; *users; users++) {
                char name[32];
                int uid, gid;
                json_object *ids = json_object_new_object();

                CHECK(sscanf(*users, "%31[^:]:%d:%d", name, &uid, &gid) == 3, "fixture %s", *users);
                json_object_object_add(ids, "uid", json_object_new_int(uid));
                json_object_object_add(ids, "gid", json_object_new_int(gid));
                json_object_object_add(u, name, ids);
        }
        json_object_object_add(facts, "users", u);
        return facts;
}

#define USERS(...) user_facts((const char *const[]){__VA_ARGS__, NULL})

/* The reason of check id's one result on hosts compute1, compute2 and nfs1 (facts a, b, c; c may be
 * NULL: nfs1 gave none); the facts are taken. */
static char *ids_reason(const char *id, const char *nova_user, json_object *a, json_object *b,
                        json_object *c)
{
        struct conf profile = {0};
        struct host_facts hosts[] = {
                {.name = "compute1", .roles = ROLE_BIT(ROLE_HYPERVISOR), .facts = a},
                {.name = "compute2", .roles = ROLE_BIT(ROLE_HYPERVISOR), .facts = b},
                {.name = "nfs1", .roles = ROLE_BIT(ROLE_NFS_SERVER), .facts = c},
        };
        struct result_list l = {0};
        struct cross_ctx ctx = {.profile = &profile, .hosts = hosts, .n_hosts = 3, .results = &l};
        char *reason = NULL;
        bool found = false;

        if (nova_user)
                CHECK(conf_set(&profile, "nova", "user", nova_user, "test") == 0, "profile");
        for (size_t i = 0; i < cross_registry_size; i++)
                if (streq(cross_registry[i]->id, id)) {
                        found = true;
                        CHECK(cross_registry[i]->compare(&ctx) == 0, "%s", id);
                }
        CHECK(found, "%s is registered", id);
        CHECK(l.n == 1, "%s: one result, got %zu", id, l.n);
        if (l.n > 0)
                reason = strdup(strempty(l.items[0].reason));
        result_list_done(&l);
        conf_done(&profile);
        json_object_put(a);
        json_object_put(b);
        json_object_put(c);
        return reason;
}

static void expect(char *reason, const char *want)
{
        CHECK(reason && streq(reason, want), "reason %s, want %s", strna(reason), want);
        free(reason);
}

int main(void)
{
        const char *nova = "nova:64060:64060", *qemu = "libvirt-qemu:64055:108";

        expect(ids_reason("cross.nova_ids", NULL, USERS(qemu, nova), USERS(qemu, nova), USERS(nova)),
               "same_ids");
        /* the NFS server's nova owns the instances by another number */
        expect(ids_reason("cross.nova_ids", NULL, USERS(qemu, nova), USERS(qemu, nova),
                          USERS("nova:115:120")),
               "different_ids");
        /* devstack: nova-compute runs as stack */
        expect(ids_reason("cross.nova_ids", NULL, USERS("stack:1000:1000"), USERS("stack:1000:1000"),
                          USERS("stack:1000:1000")),
               "same_ids");
        expect(ids_reason("cross.nova_ids", NULL, USERS("stack:1000:1000"), USERS("stack:1001:1001"), NULL),
               "different_ids");
        /* the profile names the user: only it counts */
        expect(ids_reason("cross.nova_ids", "openstack", USERS(nova, "openstack:900:900"),
                          USERS("nova:1:1", "openstack:900:900"), NULL),
               "same_ids");
        expect(ids_reason("cross.nova_ids", NULL, USERS(qemu), USERS(qemu, nova), NULL), "too_few_hosts");
        /* the qemu user's comparison is the same helper */
        expect(ids_reason("cross.qemu_ids", NULL, USERS(qemu), USERS(qemu), USERS(nova)), "same_ids");
        expect(ids_reason("cross.qemu_ids", NULL, USERS(qemu), USERS("qemu:107:107"), NULL),
               "different_ids");
        return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

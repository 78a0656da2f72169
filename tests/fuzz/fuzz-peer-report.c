/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a peer sends back over SSH (src/peers.c): its report decoded, then its facts compared with this
 * host's by every cross.* check (checks/cross.c), both ways round, as `hostprep check --peer` does. */
#include <json-c/json.h>

#include "cross.h"
#include "fuzz.h"
#include "json-util.h"
#include "peers.h"

/* This host's facts: one of everything the comparisons read (tests/unit/test-results.c's scenarios). */
static const char local_facts[] =
        "{\"hostname\": \"hv1\", \"names\": [\"hv1\", \"hv1.lab\"], \"addresses\": [\"10.0.0.11\"],"
        " \"versions\": {\"libvirt\": \"9.0.0\", \"qemu\": \"7.2.22\"},"
        " \"mounts\": [{\"target\": \"/var/lib/libvirt/images\", \"source\": \"nfs1:/srv\", \"fstype\": \"nfs4\"}],"
        " \"users\": {\"qemu\": {\"uid\": 107, \"gid\": 107}}, \"host_uuid\": {\"effective\": \"u1\"},"
        " \"resolve\": {\"hv2\": [\"10.0.0.12\"], \"hv1\": [\"127.0.1.1\"]},"
        " \"bridges\": [{\"name\": \"br0\", \"mtu\": 1500}],"
        " \"libvirt\": {\"error\": null, \"domain_type\": \"qemu\", \"arch\": \"x86_64\","
        " \"host_model\": {\"model\": \"EPYC\", \"vendor\": \"AMD\", \"cpu_xml\": \"<cpu>same</cpu>\"},"
        " \"machines\": {\"x86_64\": {\"emulator\": \"/usr/bin/qemu-system-x86_64\","
        " \"names\": [\"pc-i440fx-7.2\", \"pc-q35-7.2\"], \"aliases\": {\"pc\": \"pc-i440fx-7.2\"}}},"
        " \"guests\": {\"vm0\": {\"running\": true, \"arch\": \"x86_64\", \"machine\": \"pc\","
        " \"cpu_mode\": \"host-model\"}}}}";

/* This host's libvirtd, as the unit tests fake it: every CPU runs here. */
static int ask_cpu(const struct cross_ctx *ctx, struct cpu_question *q, size_t n, char **ret_error)
{
        for (size_t i = 0; i < n; i++)
                q[i].result = CPU_COMPARE_IDENTICAL;
        return 0;
}

static void compare(const struct conf *profile, json_object *local, const struct peer_report *p, bool swap)
{
        struct host_facts hosts[2] = {
                {.name = "hv1", .roles = ROLE_BIT(ROLE_HYPERVISOR), .facts = local},
                {.name = p->host,
                 .roles = p->roles | ROLE_BIT(ROLE_HYPERVISOR),
                 .facts = p->facts,
                 .clock_known = true,
                 .clock_offset = 0.5,
                 .clock_error = 0.01},
        };
        struct host_facts ordered[2] = {hosts[swap], hosts[!swap]};
        struct result_list l = {0};
        struct cross_ctx ctx = {.profile = profile,
                                .hosts = ordered,
                                .n_hosts = 2,
                                .results = &l,
                                .deadline = now_usec() + USEC_PER_SEC,
                                .live = true,
                                .ask_cpu = ask_cpu};

        for (size_t c = 0; c < cross_registry_size; c++)
                (void)cross_registry[c]->compare(&ctx);
        result_list_done(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(conf_done) struct conf profile = {.name = strdup("fuzz")};
        static json_object *local; /* parsed once: the comparisons only read it */
        struct peer_report p = {.host = (char *)"hv2"};

        if (!local)
                local = json_tokener_parse(local_facts);
        if (!local || conf_set(&profile, "nfs", "mountpoint", "/var/lib/libvirt/images", "fuzz") < 0 ||
            conf_set(&profile, "network", "bridges", "br0", "fuzz") < 0)
                abort();
        if (peer_report_from_json(&p, (const char *)data, size) >= 0 && p.reached && p.facts) {
                compare(&profile, local, &p, false);
                compare(&profile, local, &p, true);
        }
        free(p.hostname);
        result_list_done(&p.results);
        json_object_put(p.facts);
        return 0;
}

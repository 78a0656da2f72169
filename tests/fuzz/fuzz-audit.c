/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The audit (src/audit.c): a guest's domain XML read as the audit reads it (input starting with '<'),
 * or a peer's facts (JSON) that a running guest on the shared mount is decided on. */
#include <json-c/json.h>

#include "audit.h"
#include "fuzz.h"
#include "json-util.h"
#include "strv.h"

static void guest_fine(struct audit_guest *g)
{
        *g = (struct audit_guest){.running = true, .memory_kib = 512 * 1024, .dirty_known = true};
        g->name = strdup("web1");
        g->arch = strdup("x86_64");
        g->machine = strdup("pc");
        g->cpu_mode = strdup("custom");
        g->cpu_xml = strdup("<cpu mode='custom'><model>qemu64</model></cpu>");
        (void)strv_push_dup(&g->shared_paths, "/var/lib/libvirt/images/web1.qcow2");
}

static void decide(const char *text)
{
        struct audit_cpu_answer answer = {.asked = true, .result = 1};
        struct audit_peer peer = {
                .name = (char *)"h3", .uri = (char *)"qemu+tcp://h3/system", .cpu = &answer};
        struct audit_params p = {.mountpoint = "/var/lib/libvirt/images"};
        struct audit_guest g;
        struct audit_cell c = {};

        peer.facts = json_tokener_parse(text);
        if (!peer.facts)
                return;
        p.mounts = json_get(peer.facts, "mounts");
        guest_fine(&g);
        if (audit_decide(&p, &g, 0, &peer, &c) >= 0)
                (void)audit_guest_verdict(&c, 1);
        audit_cell_done(&c);
        audit_guest_done(&g);
        json_object_put(peer.facts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);
        struct audit_guest g = {};

        if (!text)
                return 0;
        if (text[0] != '<') {
                decide(text);
                return 0;
        }
        (void)audit_guest_from_xml(text, NULL, false, &g);
        audit_guest_done(&g);
        g = (struct audit_guest){};
        (void)audit_guest_from_xml(text, text, true, &g);
        audit_guest_done(&g);
        return 0;
}

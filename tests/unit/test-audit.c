/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostprep audit's decision (src/audit.c): one guest on one peer from fixture data (a peer's facts, what
 * libvirt.domains found, the peer's answer to the CPU question), the estimate and the exit code.
 *   test-audit FIXTURES_DIR (tests/unit/fixtures) */
#include <math.h>

#include "audit.h"
#include "checks/cross.h"
#include "json-util.h"
#include "strv.h"
#include "test-util.h"

static const char *fixtures;

static char *fixture(const char *name)
{
        _cleanup_free_ char *path = strdup_printf("%s/%s", fixtures, name);

        return path ? read_text(path) : NULL;
}

static json_object *peer_facts(void)
{
        _cleanup_free_ char *text = fixture("audit/peer-h3.json");

        return text ? json_tokener_parse(text) : NULL;
}

/* A running guest of 512 MiB on pc, custom CPU, a disk on the shared mount, measured idle. */
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

static struct audit_cpu_answer compatible = {.asked = true, .result = CPU_COMPARE_IDENTICAL};

static void peer_h3(struct audit_peer *p, struct audit_cpu_answer *answer)
{
        *p = (struct audit_peer){.name = (char *)"h3", .uri = (char *)"qemu+tcp://h3/system", .cpu = answer};
        p->facts = peer_facts();
}

static json_object *here_mounts(const char *source)
{
        json_object *a = json_object_new_array(), *m = json_object_new_object();

        json_add_string(m, "target", "/var/lib/libvirt/images");
        json_add_string(m, "source", source);
        json_object_array_add(a, m);
        return a;
}

/* The one decision; returns the verdict and whether a finding with reason was given. */
static enum audit_verdict decide(const struct audit_params *p, const struct audit_guest *g,
                                 const struct audit_peer *peer, const char *reason, bool *found)
{
        struct audit_cell c = {};
        enum audit_verdict v;

        CHECK(audit_decide(p, g, 0, peer, &c) == 0, "decide %s", g->name);
        v = c.verdict;
        *found = false;
        for (size_t i = 0; i < c.findings.n; i++)
                *found = *found || (reason && streq_ptr(c.findings.items[i].reason, reason));
        audit_cell_done(&c);
        return v;
}

#define EXPECT(p, g, peer, verdict, reason)                                                                 \
        do {                                                                                                \
                bool found_;                                                                                \
                enum audit_verdict v_ = decide(p, g, peer, reason, &found_);                                \
                CHECK(v_ == (verdict), "%s: verdict %s, expected %s", (g)->name, audit_verdict_to_json(v_), \
                      audit_verdict_to_json(verdict));                                                      \
                CHECK(!(reason) || found_, "%s: no finding %s", (g)->name, (const char *)(reason));         \
        } while (0)

static void test_peer_side(void)
{
        _cleanup_(json_object_putp) json_object *mounts = here_mounts("nfs1:/srv/nfs/images");
        struct audit_params p = {.mountpoint = "/var/lib/libvirt/images", .mounts = mounts};
        struct audit_cpu_answer incompatible = {.asked = true,
                                                .result = CPU_COMPARE_INCOMPATIBLE,
                                                .message = (char *)"Host CPU does not provide: avx512f"};
        struct audit_peer h3;
        struct audit_guest g;

        guest_fine(&g);
        peer_h3(&h3, &compatible);
        EXPECT(&p, &g, &h3, AUDIT_READY, NULL);

        /* memory: 512 MiB fits 2 GiB available, 4 GiB does not */
        g.memory_kib = 4ull << 20;
        EXPECT(&p, &g, &h3, AUDIT_BLOCKED, "not_enough_memory");
        g.memory_kib = 512 * 1024;

        /* machine types: by alias, by name, and one QEMU 7.2 does not have */
        free(g.machine), g.machine = strdup("pc-q35-7.2");
        EXPECT(&p, &g, &h3, AUDIT_READY, NULL);
        free(g.machine), g.machine = strdup("pc-q35-8.2");
        EXPECT(&p, &g, &h3, AUDIT_BLOCKED, "machine_unsupported");
        free(g.arch), g.arch = strdup("aarch64");
        EXPECT(&p, &g, &h3, AUDIT_BLOCKED, "arch_unsupported");
        free(g.arch), g.arch = strdup("x86_64");
        free(g.machine), g.machine = strdup("pc");

        /* the CPU, as the peer's libvirtd answered */
        h3.cpu = &incompatible;
        EXPECT(&p, &g, &h3, AUDIT_BLOCKED, "cpu_incompatible");
        h3.cpu = NULL;
        h3.cpu_errno = -ETIMEDOUT;
        EXPECT(&p, &g, &h3, AUDIT_UNDECIDED, "peer_libvirtd_timeout");
        h3.cpu_errno = -ENOTCONN;
        EXPECT(&p, &g, &h3, AUDIT_UNDECIDED, "peer_libvirtd_unreachable");
        /* host-passthrough cannot be compared: a warning while it runs, nothing when it does not */
        free(g.cpu_mode), g.cpu_mode = strdup("host-passthrough");
        EXPECT(&p, &g, &h3, AUDIT_WARN, "host_passthrough");
        g.running = false;
        EXPECT(&p, &g, &h3, AUDIT_READY, NULL);
        g.running = true;
        free(g.cpu_mode), g.cpu_mode = strdup("custom");
        h3.cpu = &compatible;
        h3.cpu_errno = 0;

        /* the shared mount: another export there, nothing there */
        json_object_put(mounts);
        p.mounts = mounts = here_mounts("nfs2:/export");
        EXPECT(&p, &g, &h3, AUDIT_BLOCKED, "other_storage_on_peer");
        json_object_object_add(h3.facts, "mounts", json_object_new_array());
        EXPECT(&p, &g, &h3, AUDIT_BLOCKED, "not_mounted_on_peer");
        /* a guest with nothing below the mountpoint (network disks) does not need it */
        g.shared_paths = strv_free(g.shared_paths);
        EXPECT(&p, &g, &h3, AUDIT_READY, NULL);

        /* no memory in the facts (an older hostprep there): a warning */
        json_object_object_del(h3.facts, "memory");
        EXPECT(&p, &g, &h3, AUDIT_WARN, "memory_unknown");
        /* facts without libvirt, or none at all: undecided */
        json_object_object_add(h3.facts, "libvirt", NULL);
        EXPECT(&p, &g, &h3, AUDIT_UNDECIDED, "no_libvirt_facts");
        json_object_put(h3.facts);
        h3.facts = NULL;
        h3.error = (char *)"cannot reach it over SSH";
        EXPECT(&p, &g, &h3, AUDIT_UNDECIDED, "no_facts");
        audit_guest_done(&g);
}

/* What libvirt.domains found of the guest holds on every peer. */
static void test_guest_side(void)
{
        static const struct result_def not_shared = {"libvirt.domains.storage", STATUS_FAIL, "not_shared",
                                                     "move the disk"},
                                       dropped = {"libvirt.domains.cache", STATUS_WARN,
                                                  "cache_dropped_by_qemu", "set cache='none'"},
                                       hostdev = {"libvirt.domains.blockers", STATUS_FAIL, "hostdev",
                                                  "detach it"},
                                       fine = {"libvirt.domains.blockers", STATUS_PASS, "no_local_devices",
                                               NULL};
        struct audit_params p = {.mountpoint = "/var/lib/libvirt/images"};
        struct audit_peer h3;
        struct audit_guest g;

        guest_fine(&g);
        peer_h3(&h3, &compatible);
        CHECK(result_list_add_def(&g.checks, &fine, NULL, NULL, NULL, "no devices") == 0, "add");
        EXPECT(&p, &g, &h3, AUDIT_READY, NULL);
        CHECK(result_list_add_def(&g.checks, &dropped, NULL, NULL, NULL, "writeback") == 0, "add");
        EXPECT(&p, &g, &h3, AUDIT_WARN, "cache_dropped_by_qemu");
        CHECK(result_list_add_def(&g.checks, &hostdev, NULL, NULL, NULL, "a PCI device") == 0, "add");
        EXPECT(&p, &g, &h3, AUDIT_BLOCKED, "hostdev");
        result_list_done(&g.checks);
        CHECK(result_list_add_def(&g.checks, &not_shared, NULL, NULL, NULL, "local disk") == 0, "add");
        EXPECT(&p, &g, &h3, AUDIT_BLOCKED, "not_shared");
        json_object_put(h3.facts);
        audit_guest_done(&g);
}

static void test_estimate(void)
{
        struct audit_estimate e;
        struct audit_guest g;
        struct audit_params p = {.link_mib_s = 100, .downtime_ms = 300};
        struct audit_peer h3;

        /* 1 GiB idle over 100 MiB/s: one pass of 10.24 s, then nothing left */
        audit_estimate(1024, 0, 100, 300, &e);
        CHECK(e.converges && e.passes == 2 && fabs(e.total_s - 10.24) < 0.01, "idle: %u passes %.2f s",
              e.passes, e.total_s);
        /* 10 MiB/s dirty: 102.4 MiB, then 10.24 MiB (102 ms) goes at switch-over */
        audit_estimate(1024, 10, 100, 300, &e);
        CHECK(e.converges && e.passes == 3 && fabs(e.downtime_ms - 102.4) < 0.1,
              "10 MiB/s: %u passes, last %.1f ms", e.passes, e.downtime_ms);
        /* dirtier than the link: never converges */
        audit_estimate(1024, 150, 100, 300, &e);
        CHECK(!e.converges, "150 MiB/s over 100 MiB/s converges?");
        /* a tiny guest fits the downtime at once */
        audit_estimate(16, 500, 100, 300, &e);
        CHECK(e.converges && e.passes == 1, "16 MiB: %u passes", e.passes);

        guest_fine(&g);
        peer_h3(&h3, &compatible);
        g.dirty_mib_s = 200;
        EXPECT(&p, &g, &h3, AUDIT_WARN, "will_not_converge");
        /* [migrate] bandwidth caps the link: 100 MiB/s link, 5 MiB/s cap, 10 MiB/s dirty */
        p.cap_mib_s = 5, g.dirty_mib_s = 10;
        EXPECT(&p, &g, &h3, AUDIT_WARN, "will_not_converge");
        p.cap_mib_s = 0;
        EXPECT(&p, &g, &h3, AUDIT_READY, NULL);
        json_object_put(h3.facts);
        audit_guest_done(&g);
}

static void test_exit_codes(void)
{
        /* 2 guests x 2 peers, guest-major */
        struct audit_cell c[4] = {};
        const enum audit_verdict table[][4] = {
                {AUDIT_READY, AUDIT_BLOCKED, AUDIT_BLOCKED, AUDIT_WARN},
                {AUDIT_READY, AUDIT_BLOCKED, AUDIT_BLOCKED, AUDIT_BLOCKED},
                {AUDIT_READY, AUDIT_BLOCKED, AUDIT_UNDECIDED, AUDIT_BLOCKED},
                {AUDIT_UNDECIDED, AUDIT_BLOCKED, AUDIT_BLOCKED, AUDIT_BLOCKED},
        };
        const int expected[] = {0, 1, 3, 1};

        for (size_t t = 0; t < ELEMENTSOF(table); t++) {
                for (size_t i = 0; i < 4; i++)
                        c[i].verdict = table[t][i];
                CHECK(audit_exit_code(c, 2, 2) == expected[t], "table %zu: exit %d, expected %d", t,
                      audit_exit_code(c, 2, 2), expected[t]);
        }
        CHECK(audit_guest_verdict(c, 2) == AUDIT_UNDECIDED, "undecided + blocked");
        CHECK(audit_exit_code(c, 0, 2) == 0, "no guests: 0");
}

/* A guest from libvirt's XML: the live CPU of a running host-model guest is what peers are asked. */
static void test_from_xml(void)
{
        _cleanup_free_ char *live = fixture("libvirt/guest1-live.xml"),
                            *inactive = fixture("libvirt/guest1-inactive.xml");
        struct audit_guest g = {}, off = {}, units = {}, bad = {};

        CHECK(live && inactive, "fixtures");
        if (!live || !inactive)
                return;
        CHECK(audit_guest_from_xml(live, inactive, true, &g) == 0, "running guest1");
        CHECK(streq_ptr(g.name, "hp-cpu1") && g.memory_kib == 32768 &&
                      streq_ptr(g.machine, "pc-i440fx-7.2") && streq_ptr(g.cpu_mode, "host-model") &&
                      g.cpu_xml && strstr(g.cpu_xml, "<model"),
              "running: %s %llu %s %s", strna(g.name), (unsigned long long)g.memory_kib, strna(g.machine),
              strna(g.cpu_xml));
        /* not running, host-model: it gets the destination's CPU when it starts, nothing to compare */
        CHECK(audit_guest_from_xml(inactive, inactive, false, &off) == 0, "defined guest1");
        CHECK(!off.cpu_xml && !off.running, "defined: cpu %s", strna(off.cpu_xml));
        CHECK(audit_guest_from_xml("<domain><name>x</name><memory unit='GiB'>2</memory></domain>", NULL,
                                   false, &units) == 0 &&
                      units.memory_kib == 2u << 20,
              "units: %llu KiB", (unsigned long long)units.memory_kib);
        CHECK(audit_guest_from_xml("<notadomain/>", NULL, false, &bad) == -EBADMSG, "bad");
        audit_guest_done(&g);
        audit_guest_done(&off);
        audit_guest_done(&units);
        audit_guest_done(&bad);
}

static void test_table(void)
{
        for (size_t i = 0; i < audit_results_size; i++)
                CHECK(audit_results[i].id && startswith(audit_results[i].id, "audit.") &&
                              audit_results[i].reason &&
                              (audit_results[i].status == STATUS_PASS || audit_results[i].hint),
                      "entry %zu", i);
}

int main(int argc, char *argv[])
{
        fixtures = argc > 1 ? argv[1] : "tests/unit/fixtures";
        test_peer_side();
        test_guest_side();
        test_estimate();
        test_exit_codes();
        test_from_xml();
        test_table();
        if (failures)
                fprintf(stderr, "%d failures\n", failures);
        return failures ? 1 : 0;
}

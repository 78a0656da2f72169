/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every unit's result table (and every comparison's) is well formed: ids below the unit's, snake_case
 * reasons, no entry twice, a hint on every WARN and FAIL (the few that have none are listed here, so a new
 * one is a decision), hint placeholders well formed and filled in when emitted; hostprep-units(7)
 * is generated from the tables. */
#include <ctype.h>

#include "common.h"
#include "cross.h"
#include "hostfs.h"
#include "provision/plan.h"
#include "runner.h"
#include "test-util.h"
#include "unit-doc.h"

/* WARN and FAIL entries that give no hint (what to do is in the message), so a new one is a decision made
 * here. ERROR entries need no hint: an ERROR says why the check could not decide (a file that cannot be
 * read, a probe that failed with errno), and the unit's own table may still give one. */
static const char *const hintless[][2] = {
        {"nfs.mount.version", "version_unknown"},
};

static bool is_hintless(const struct result_def *d)
{
        for (size_t i = 0; i < ELEMENTSOF(hintless); i++)
                if (streq(hintless[i][0], d->id) && streq(hintless[i][1], d->reason))
                        return true;
        return false;
}

static bool snake_case(const char *s)
{
        if (!s || !islower((unsigned char)s[0]))
                return false;
        for (const char *p = s; *p; p++)
                if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
                        return false;
        return true;
}

/* An '@' that starts a word and is followed by a capital must open a placeholder that is closed. */
static bool placeholders_closed(const char *hint)
{
        for (const char *p = hint; p && (p = strchr(p, '@')); p++)
                if ((p == hint || !isalnum((unsigned char)p[-1])) && isupper((unsigned char)p[1])) {
                        size_t len = hint_placeholder(p);
                        if (len == 0)
                                return false;
                        p += len + 1;
                }
        return true;
}

/* owner: the unit's id (results below it) or a comparison's (results with its id); NULL for the runner's
 * own table, whose ids are the unit's. */
static void check_table(const char *owner, bool below, const struct result_def *defs, size_t n)
{
        size_t len = owner ? strlen(owner) : 0;

        CHECK(!owner || n > 0, "%s: an empty result table", owner);
        for (size_t i = 0; i < n; i++) {
                const struct result_def *d = &defs[i];
                const char *what = d->id ? d->id : "(runner)";

                if (owner && below)
                        CHECK(d->id && strneq(d->id, owner, len) && d->id[len] == '.' &&
                                      snake_case(d->id + len + 1),
                              "%s: id %s is not below the unit's id", owner, what);
                else if (owner)
                        CHECK(d->id && streq(d->id, owner), "%s: id %s is not the comparison's", owner,
                              what);
                else
                        CHECK(!d->id, "the runner's results take the unit's id: %s", what);
                CHECK(d->status >= 0 && d->status < _STATUS_MAX && d->status != STATUS_FIXED,
                      "%s: status %d: FIXED comes from apply, never from a table", what, d->status);
                CHECK(snake_case(d->reason), "%s: reason '%s' is not snake_case", what, strna(d->reason));
                for (size_t k = 0; k < i; k++)
                        CHECK(!(streq_ptr(defs[k].id, d->id) && defs[k].status == d->status &&
                                streq_ptr(defs[k].reason, d->reason)),
                              "%s: (%s, %s) is declared twice", what, status_to_json(d->status), d->reason);
                if (d->status == STATUS_PASS || d->status == STATUS_SKIP)
                        CHECK(!d->hint, "%s/%s: a hint on %s", what, d->reason, status_to_string(d->status));
                else if (owner && d->status != STATUS_ERROR)
                        CHECK(!d->hint == is_hintless(d), "%s/%s: %s", what, d->reason,
                              d->hint ? "has a hint but is listed as hintless" : "has no hint");
                CHECK(placeholders_closed(d->hint), "%s/%s: a placeholder is not closed: %s", what,
                      d->reason, d->hint);
        }
}

static void test_tables(void)
{
        for (size_t i = 0; i < unit_registry_size; i++) {
                const struct unit *u = unit_registry[i];

                CHECK(unit_find(u->id) == u, "%s is in the registry twice", u->id);
                check_table(u->id, true, u->results, u->n_results);
        }
        for (size_t i = 0; i < cross_registry_size; i++)
                check_table(cross_registry[i]->id, false, cross_registry[i]->results,
                            cross_registry[i]->n_results);
        check_table(NULL, false, runner_results, runner_results_size);
        /* every hintless entry is still in a table */
        for (size_t h = 0; h < ELEMENTSOF(hintless); h++) {
                const struct unit *u = NULL;
                bool found = false;

                for (size_t i = 0; i < unit_registry_size && !u; i++)
                        if (startswith(hintless[h][0], unit_registry[i]->id))
                                u = unit_registry[i];
                for (size_t k = 0; u && k < u->n_results; k++)
                        found = found || (streq(u->results[k].id, hintless[h][0]) &&
                                          streq(u->results[k].reason, hintless[h][1]));
                CHECK(found, "hintless %s/%s is in no table", hintless[h][0], hintless[h][1]);
        }
}

/* A hint's placeholders are filled at emit; one without a value is refused, '@' in text stays. */
static void test_hints(void)
{
        static const struct result_def d = {"t.x.y", STATUS_FAIL, "broken",
                                            "add @NAME@ to @FILE@ (root@PEER)"};
        static const struct result_def plain = {"t.x.y", STATUS_FAIL, "broken", "mail root@HOST, not @ALL"};
        struct result_list l = {0};
        int r;

        r = result_list_add_def(&l, &d, NULL, HINT_VALUES("NAME", "hv1", "FILE", "/etc/hosts"), "ev", "m %d",
                                1);
        CHECK(r == 0 && l.n == 1, "added");
        CHECK(l.n == 1 && streq(l.items[0].hint, "add hv1 to /etc/hosts (root@PEER)") &&
                      streq(l.items[0].message, "m 1") && streq(l.items[0].reason, "broken") &&
                      streq(l.items[0].evidence, "ev") && l.items[0].status == STATUS_FAIL,
              "filled: %s", l.n ? l.items[0].hint : "");
        CHECK(result_list_add_def(&l, &d, NULL, HINT_VALUES("NAME", "hv1"), NULL, "m") == -EINVAL &&
                      l.n == 1,
              "a placeholder without a value");
        CHECK(result_list_add_def(&l, &plain, "t.other", NULL, NULL, "m") == 0 && l.n == 2 &&
                      streq(l.items[1].hint, "mail root@HOST, not @ALL") && streq(l.items[1].id, "t.other"),
              "'@' in text, and an id given instead of the entry's");
        CHECK(result_defs_contain(&d, 1, &l.items[0]) && !result_defs_contain(&d, 1, &l.items[1]),
              "declared: id, status and reason");
        result_list_done(&l);
}

/* Every comparison across hosts, on facts made to reach each entry of its table: what it gives is declared,
 * and every entry is reached by one of the scenarios. */
struct scenario {
        const char *bridges; /* the profile's [network] bridges, or NULL */
        struct {
                const char *name, *facts; /* facts NULL: the host gave none */
                double clock_offset;      /* 0: not known */
        } hosts[3];
};

#define FACTS(name, source, uid, uuid, resolve, mtu)                                                        \
        FACTS_V(name, source, uid, uuid, resolve, mtu, "9.0.0", "7.2.22")
#define FACTS_V(name, source, uid, uuid, resolve, mtu, libvirt, qemu)                                       \
        "{\"hostname\": \"" name "\", \"versions\": {\"libvirt\": \"" libvirt "\", \"qemu\": \"" qemu       \
        "\"}, "                                                                                             \
        "\"mounts\": [{\"source\": \"" source "\", \"fstype\": \"nfs4\"}], "                                \
        "\"users\": {\"qemu\": {\"uid\": " uid ", \"gid\": 107}}, \"host_uuid\": {\"effective\": \"" uuid   \
        "\"}, "                                                                                             \
        "\"resolve\": {" resolve "}, \"bridges\": [{\"name\": \"br0\", \"mtu\": " mtu "}]}"

#define SECURITY(selinux, apparmor, booleans)                                                               \
        "{\"security\": {\"selinux\": \"" selinux "\", \"apparmor\": \"" apparmor                           \
        "\", \"selinux_policy\": \"default\", \"virt_booleans\": " booleans "}}"

/* Xen's facts (xl info): bookworm main's 4.17.5 with shadow paging, the security build's 4.17.7 without */
#define XEN_FACTS(version, caps) "{\"xen\": {\"version\": \"" version "\", \"virt_caps\": \"" caps "\"}}"
#define XEN_CAPS_MAIN            "pv hvm hap shadow gnttab-v1 gnttab-v2"
#define XEN_CAPS_SECURITY        "pv hvm hap gnttab-v1 gnttab-v2"

static const struct scenario scenarios[] = {
        /* Xen: one release, two builds; N and N+1; two releases apart */
        {NULL,
         {{"h1", XEN_FACTS("4.17.5", XEN_CAPS_MAIN), 0}, {"h2", XEN_FACTS("4.17.7", XEN_CAPS_SECURITY), 0}}},
        {NULL,
         {{"h1", XEN_FACTS("4.17.5", XEN_CAPS_MAIN), 0},
          {"h2", XEN_FACTS("4.18.0", XEN_CAPS_MAIN), 0},
          {"h3", XEN_FACTS("4.17.5", XEN_CAPS_MAIN), 0}}},
        {NULL,
         {{"h1", XEN_FACTS("4.15.0", XEN_CAPS_MAIN), 0}, {"h2", XEN_FACTS("4.17.5", XEN_CAPS_MAIN), 0}}},
        /* all alike */
        {"br0",
         {{"h1", FACTS("h1", "nfs1:/srv", "107", "u1", "\"h2\": [\"10.0.0.2\"]", "1500"), 0.1},
          {"h2", FACTS_V("h2", "nfs1:/srv", "107", "u2", "\"h1\": [\"10.0.0.1\"]", "1500", "9.0.0", "7.2.5"),
           -0.1}}},
        /* everything differs */
        {"br0",
         {{"h1",
           FACTS("h1", "nfs1:/srv", "107", "u1", "\"h2\": [\"10.0.0.2\"], \"h3\": [\"10.0.0.3\"]", "1500"),
           10},
          {"h2",
           FACTS_V("h2", "nfs2:/srv", "108", "u1", "\"h1\": [\"10.0.0.1\"], \"h3\": [\"10.0.0.3\"]", "9000",
                   "9.0.0", "8.0.2"),
           0.1},
          {"h3",
           FACTS_V("h3", "nfs1:/srv", "107", "u3", "\"h1\": [\"10.0.0.1\"], \"h2\": [\"10.0.0.9\"]", "1500",
                   "8.0.0", "10.0.0"),
           0.1}}},
        /* half there: nothing mounted on one, a qemu user on one, a host called localhost, a bridge missing
         */
        {"br0",
         {{"h1", FACTS("localhost", "nfs1:/srv", "107", "u1", "", "1500"), 1},
          {"h2", "{\"mounts\": [], \"bridges\": []}", 0}}},
        /* one host answered, without resolving the other; no bridges in the profile */
        {NULL, {{"h1", FACTS("h1", "nfs1:/srv", "107", "u1", "", "1500"), 0}, {"h2", NULL, 0}}},
        /* h1 resolves h2 to Debian's own 127.0.1.1 line; h2's versions cannot be read */
        {NULL,
         {{"h1", FACTS("h1", "nfs1:/srv", "107", "u1", "\"h2\": [\"127.0.1.1\"]", "1500"), 0},
          {"h2",
           FACTS_V("h2", "nfs1:/srv", "107", "u2", "\"h1\": [\"10.0.0.1\"]", "1500", "9.0.0", "unknown"),
           0}}},
        /* cgroup v2 on two hosts, v1 on the third; then the same version everywhere */
        {NULL,
         {{"h1", "{\"cgroup\": {\"version\": \"v2\", \"controllers\": [\"cpu\"]}}", 0},
          {"h2", "{\"cgroup\": {\"version\": \"v2\"}}", 0},
          {"h3", "{\"cgroup\": {\"version\": \"v1\"}}", 0}}},
        {NULL,
         {{"h1", "{\"cgroup\": {\"version\": \"v1\"}}", 0},
          {"h2", "{\"cgroup\": {\"version\": \"v1\"}}", 0}}},
        /* cross.lsm: AppArmor on both; AppArmor -> SELinux; SELinux with different booleans */
        {NULL,
         {{"h1", SECURITY("absent", "enabled", "null"), 0},
          {"h2", SECURITY("absent", "enabled", "null"), 0}}},
        {NULL,
         {{"h1", SECURITY("absent", "enabled", "null"), 0},
          {"h2", SECURITY("enforcing", "absent", "\"virt_use_nfs=1\""), 0}}},
        {NULL,
         {{"h1", SECURITY("enforcing", "absent", "\"virt_use_nfs=0\""), 0},
          {"h2", SECURITY("enforcing", "absent", "\"virt_use_nfs=1\""), 0}}},
        /* cross.nova_ids: devstack's stack user alike on two hosts; nova with other ids on the NFS server */
        {NULL,
         {{"h1", "{\"users\": {\"stack\": {\"uid\": 1000, \"gid\": 1000}}}", 0},
          {"h2", "{\"users\": {\"stack\": {\"uid\": 1000, \"gid\": 1000}}}", 0}}},
        {NULL,
         {{"h1", "{\"users\": {\"nova\": {\"uid\": 64060, \"gid\": 64060}}}", 0},
          {"h2", "{\"users\": {\"nova\": {\"uid\": 64060, \"gid\": 64060}}}", 0},
          {"nfs1", "{\"users\": {\"nova\": {\"uid\": 115, \"gid\": 120}}}", 0}}},
        /* h1's /etc/hosts names h2's address h3; h1's clock is not synchronised; a guest on h1's 9000-byte
         * br0 would lose its large packets on h2's 1500-byte one */
        {"br0",
         {{"h1",
           "{\"hostname\": \"h1\", \"resolve\": {\"h2\": [\"10.0.0.2\"]}, \"reverse\": {\"10.0.0.2\": "
           "[\"h3\"]}, \"time\": {\"ntp_synchronized\": false, \"ntp_daemon\": null}, \"bridges\": "
           "[{\"name\": \"br0\", \"mtu\": 9000, \"guests\": [{\"name\": \"vm9\", \"mtu\": null}]}]}",
           0},
          {"h2",
           "{\"hostname\": \"h2\", \"resolve\": {\"h1\": [\"10.0.0.1\"]}, \"bridges\": [{\"name\": "
           "\"br0\", \"mtu\": 1500, \"guests\": []}]}",
           0}}},
        /* cross.vxlan: VNI 42 with MTU 8901 on both; then with 1450 on h2 and none on h3; h2 says nothing */
        {"br0",
         {{"h1", "{\"vxlans\": [{\"name\": \"vx0\", \"vni\": 42, \"port\": 4789, \"mtu\": 8901}]}", 0},
          {"h2", "{\"vxlans\": [{\"name\": \"vx1\", \"vni\": 42, \"port\": 4789, \"mtu\": 8901}]}", 0}}},
        {"br0",
         {{"h1", "{\"vxlans\": [{\"name\": \"vx0\", \"vni\": 42, \"port\": 4789, \"mtu\": 8901}]}", 0},
          {"h2", "{\"vxlans\": [{\"name\": \"vx0\", \"vni\": 42, \"port\": 4789, \"mtu\": 1450}]}", 0},
          {"h3", "{\"vxlans\": []}", 0}}},
        {"br0",
         {{"h1", "{\"vxlans\": [{\"name\": \"vx0\", \"vni\": 42, \"port\": 4789, \"mtu\": 8901}]}", 0},
          {"h2", "{}", 0}}},
};

/* A host with libvirt facts: its host-model CPU (what fake_ask_cpu decides on), its emulator's machine
 * types (x86_64, with the alias pc) and its guests. */
#define LV_FACTS(name, cpu_xml, machines, guests)                                                                  \
        "{\"hostname\": \"" name "\", \"libvirt\": {\"error\": null, \"domain_type\": \"qemu\", "                  \
        "\"arch\": \"x86_64\", \"host_model\": {\"model\": \"EPYC\", \"vendor\": \"AMD\", \"cpu_xml\": \"" cpu_xml \
        "\"}, \"machines\": {\"x86_64\": {\"emulator\": \"/usr/bin/qemu-system-x86_64\", \"names\": [" machines    \
        "], \"aliases\": {\"pc\": \"pc-i440fx-7.2\"}}}, \"guests\": {" guests "}}}"
#define LV_GUEST(name, machine, cpu_mode)                                                                   \
        "\"" name "\": {\"running\": true, \"arch\": \"x86_64\", \"machine\": \"" machine                   \
        "\", \"cpu_mode\": \"" cpu_mode "\"}"
#define LV_MACHINES "\"pc-i440fx-7.2\", \"pc-q35-7.2\""

/* The libvirt comparisons need more of this host than the facts. */
struct lv_scenario {
        bool live;           /* this host is the running machine: cross.cpu asks "libvirtd" (fake_ask_cpu) */
        int ask;             /* what fake_ask_cpu returns: 0 answers, or its error */
        bool not_hypervisor; /* this host (the first) is no hypervisor */
        struct scenario s;
};

static const struct lv_scenario lv_scenarios[] = {
        /* h2's host-model lacks a feature here, h3's is a subset of this host's; h2's guest has a newer
         * machine type than h1 and h3 know */
        {.live = true,
         .s.hosts = {{"h1",
                      LV_FACTS("h1", "<cpu>same</cpu>", LV_MACHINES, LV_GUEST("vm0", "pc", "host-model"))},
                     {"h2", LV_FACTS("h2", "<cpu>avx512f</cpu>", LV_MACHINES,
                                     LV_GUEST("vm1", "pc-i440fx-8.2", "host-model"))},
                     {"h3", LV_FACTS("h3", "<cpu>superset</cpu>", LV_MACHINES, "")}}},
        /* libvirt fails on h2's CPU; h3's libvirtd did not answer its facts */
        {.live = true,
         .s.hosts = {{"h1", LV_FACTS("h1", "<cpu>same</cpu>", LV_MACHINES, LV_GUEST("vm0", "pc", "custom"))},
                     {"h2", LV_FACTS("h2", "<cpu>broken</cpu>", LV_MACHINES, "")},
                     {"h3", "{\"libvirt\": {\"error\": \"Failed to connect socket\"}}"}}},
        /* this host's libvirtd hangs, is not there, or hostprep has no libvirt; no guests anywhere */
        {.live = true,
         .ask = -ETIMEDOUT,
         .s.hosts = {{"h1", LV_FACTS("h1", "<cpu>same</cpu>", LV_MACHINES, "")},
                     {"h2", LV_FACTS("h2", "<cpu>same</cpu>", LV_MACHINES, "")}}},
        {.live = true,
         .ask = -ENOTCONN,
         .s.hosts = {{"h1", LV_FACTS("h1", "<cpu>same</cpu>", LV_MACHINES, "")},
                     {"h2", LV_FACTS("h2", "<cpu>same</cpu>", LV_MACHINES, "")}}},
        {.live = true,
         .ask = -EOPNOTSUPP,
         .s.hosts = {{"h1", LV_FACTS("h1", "<cpu>same</cpu>", LV_MACHINES, "")},
                     {"h2", LV_FACTS("h2", "<cpu>same</cpu>", LV_MACHINES, "")}}},
        /* no peer answered; this host is no hypervisor */
        {.live = true,
         .s.hosts = {{"h1", LV_FACTS("h1", "<cpu>same</cpu>", LV_MACHINES, "")}, {"h2", NULL}}},
        {.live = true,
         .not_hypervisor = true,
         .s.hosts = {{"h1", LV_FACTS("h1", "<cpu>same</cpu>", LV_MACHINES, "")},
                     {"h2", LV_FACTS("h2", "<cpu>same</cpu>", LV_MACHINES, "")}}},
};

/* The test's stand-in for this host's libvirtd (its real answers are tested on the test bed,
 * tests/integration/cross-libvirt.sh): decides on a word in the CPU XML. */
static int fake_ask_result;

static int fake_ask_cpu(const struct cross_ctx *ctx, struct cpu_question *q, size_t n, char **ret_error)
{
        if (fake_ask_result == -ENOTCONN)
                *ret_error = strdup("Failed to connect socket to '/var/run/libvirt/libvirt-sock'");
        if (fake_ask_result < 0)
                return fake_ask_result;
        for (size_t i = 0; i < n; i++) {
                q[i].result = strstr(q[i].cpu_xml, "avx512f")    ? CPU_COMPARE_INCOMPATIBLE
                              : strstr(q[i].cpu_xml, "superset") ? CPU_COMPARE_SUPERSET
                              : strstr(q[i].cpu_xml, "broken")   ? CPU_COMPARE_ERROR
                                                                 : CPU_COMPARE_IDENTICAL;
                q[i].message = q[i].result == CPU_COMPARE_INCOMPATIBLE
                                       ? strdup("the CPU is incompatible with host CPU: Host CPU does not "
                                                "provide required features: avx512f")
                               : q[i].result == CPU_COMPARE_ERROR ? strdup("XML error: broken")
                                                                  : NULL;
        }
        return 0;
}

static void run_scenario(const struct scenario *sc, const struct lv_scenario *lv, bool *reached[])
{
        _cleanup_(conf_done) struct conf profile = {.name = strdup("test")};
        struct host_facts hosts[ELEMENTSOF(sc->hosts)] = {};
        struct result_list l = {0};
        struct cross_ctx ctx = {.profile = &profile,
                                .hosts = hosts,
                                .results = &l,
                                .live = lv && lv->live,
                                .ask_cpu = fake_ask_cpu};

        fake_ask_result = lv ? lv->ask : 0;
        CHECK(conf_set(&profile, "nfs", "mountpoint", "/var/lib/libvirt/images", "test") == 0, "conf");
        /* a profile with bridges has the VXLAN overlay of VNI 42 too, one without has no overlay */
        if (sc->bridges)
                CHECK(conf_set(&profile, "network", "bridges", sc->bridges, "test") == 0 &&
                              conf_set(&profile, "network", "vxlan_vni", "42", "test") == 0,
                      "conf");
        for (size_t i = 0; i < ELEMENTSOF(sc->hosts) && sc->hosts[i].name; i++, ctx.n_hosts++)
                hosts[i] = (struct host_facts){
                        .name = sc->hosts[i].name,
                        .roles = i == 0 && lv && lv->not_hypervisor ? 0 : ROLE_BIT(ROLE_HYPERVISOR),
                        .facts = sc->hosts[i].facts ? json_tokener_parse(sc->hosts[i].facts) : NULL,
                        .clock_known = sc->hosts[i].clock_offset != 0,
                        .clock_offset = sc->hosts[i].clock_offset,
                        .clock_error = 0.01,
                };
        for (size_t c = 0; c < cross_registry_size; c++) {
                const struct cross_check *cc = cross_registry[c];
                size_t before = l.n;

                CHECK(cc->compare(&ctx) >= 0, "%s", cc->id);
                for (size_t i = before; i < l.n; i++) {
                        bool declared = false;

                        for (size_t k = 0; k < cc->n_results; k++)
                                if (result_defs_contain(&cc->results[k], 1, &l.items[i]))
                                        declared = reached[c][k] = true;
                        CHECK(declared, "%s gave %s/%s, not in its table", cc->id, l.items[i].id,
                              strna(l.items[i].reason));
                }
        }
        for (size_t i = 0; i < ctx.n_hosts; i++)
                json_object_put(hosts[i].facts);
        result_list_done(&l);
}

static void test_cross(void)
{
        bool *reached[cross_registry_size];

        for (size_t c = 0; c < cross_registry_size; c++)
                reached[c] = calloc(cross_registry[c]->n_results, sizeof(bool));
        for (size_t i = 0; i < ELEMENTSOF(scenarios); i++)
                run_scenario(&scenarios[i], NULL, reached);
        for (size_t i = 0; i < ELEMENTSOF(lv_scenarios); i++)
                run_scenario(&lv_scenarios[i].s, &lv_scenarios[i], reached);
        for (size_t c = 0; c < cross_registry_size; c++) {
                for (size_t k = 0; reached[c] && k < cross_registry[c]->n_results; k++)
                        CHECK(reached[c][k], "no scenario reaches %s/%s", cross_registry[c]->id,
                              cross_registry[c]->results[k].reason);
                free(reached[c]);
        }
}

static const struct result_def *entry(const struct unit *u, const char *id, const char *reason)
{
        for (size_t i = 0; i < u->n_results; i++)
                if (streq(u->results[i].id, id) && streq(u->results[i].reason, reason))
                        return &u->results[i];
        return NULL;
}

/* nfs.mount's fix mounts only where check() found nothing mounted: it decides on the reason of
 * nfs.mount.mounted (never its message), and leaves what else is mounted there to the operator. */
static void mount_fix_case(const char *reason, bool mounts)
{
        const struct unit *u = unit_find("nfs.mount");
        char dir[] = "/tmp/test-results.XXXXXX";
        _cleanup_(conf_done) struct conf profile = {.name = strdup("test")};
        struct hostfs *fs = NULL;
        struct result_list l = {0};
        struct plan plan = {0};
        struct check_ctx ctx = {.profile = &profile, .hostname = "hv1", .results = &l};
        const struct result_def *found = entry(u, "nfs.mount.mounted", reason);
        bool refused;

        CHECK(found && mkdtemp(dir) && hostfs_new("/", &fs) >= 0 && hostfs_is_live(fs), "setup");
        if (!found || !fs)
                return;
        ctx.fs = fs;
        conf_set(&profile, "nfs", "server", "nfs1", "test");
        conf_set(&profile, "nfs", "export", "/srv/nfs/images", "test");
        conf_set(&profile, "nfs", "mountpoint", dir, "test");
        conf_set(&profile, "nfs", "version", "4.2", "test");
        CHECK(check_emit_hint(&ctx, found,
                              HINT_VALUES("VERSION", "4.2", "SERVER", "nfs1", "EXPORT", "/srv/nfs/images",
                                          "MOUNTPOINT", dir),
                              NULL, "as check() found it") == 0,
              "emit");
        CHECK(u->fix(&ctx, &plan) >= 0, "fix");
        refused = check_gave(&ctx, entry(u, "nfs.mount.fix", "other_mount"));
        CHECK(refused == !mounts && plan.n_actions == (mounts ? 1u : 0u), "%s: %s, %zu actions planned",
              reason, refused ? "refused" : "not refused", plan.n_actions);
        plan_done(&plan);
        result_list_done(&l);
        hostfs_free(fs);
        rmdir(dir);
}

static void test_mount_fix(void)
{
        mount_fix_case("not_mounted", true);
        mount_fix_case("mount_hidden", false);
        mount_fix_case("not_nfs", false);
}

static void test_man_page(void)
{
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        CHECK(f && units_man_page(f) == 0, "units_man_page");
        if (f)
                fclose(f);
        CHECK(text && startswith(text, "hostprep-units(7)\n"), "scdoc title line");
        for (size_t i = 0; text && i < unit_registry_size; i++) {
                _cleanup_free_ char *heading = strdup_printf("\n## %s\n", unit_registry[i]->id);
                CHECK(heading && strstr(text, heading), "the page has %s", unit_registry[i]->id);
        }
        CHECK(text && strstr(text,
                             "- FAIL *root\\_squashed*: on the server: export with no\\_root\\_squash"),
              "an entry with its status, reason and hint, escaped for scdoc");
        CHECK(text && strstr(text, "mkdir -p _EXPORT_"), "placeholders are underlined");
}

int main(void)
{
        test_tables();
        test_hints();
        test_cross();
        test_mount_fix();
        test_man_page();
        if (failures)
                fprintf(stderr, "%d check(s) failed\n", failures);
        return failures ? 1 : 0;
}

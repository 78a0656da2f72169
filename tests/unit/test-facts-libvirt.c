/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libvirt part of `hostprep facts` (src/facts-libvirt.c): domain capabilities -> the host-model CPU a
 * peer compares, capabilities -> the machine types each emulator takes, domain XML -> a guest's machine
 * type and CPU mode. On real Debian 12 libvirt 9.0 output (fixtures/libvirt, see its README.md), and on
 * edge cases and malformed input.
 *   test-facts-libvirt FIXTURE_DIR */
#include "facts.h"
#include "test-util.h"

#include "cross.h"
#include "json-util.h"
#include "util.h"

static const char *fixtures;

static char *fixture(const char *name)
{
        _cleanup_free_ char *path = strdup_printf("%s/%s", fixtures, name);
        char *text = path ? read_text(path) : NULL;

        CHECK(text, "cannot read %s", strna(path));
        return text;
}

static const char *str(json_object *o, const char *key)
{
        return json_get_string(o, key);
}

static bool same(const char *a, const char *b)
{
        return a && b ? streq(a, b) : a == b;
}

static void domcaps_case(const char *file, const char *type, const char *model, const char *vendor,
                         const char *first_feature, const char *last_feature)
{
        _cleanup_free_ char *xml = fixture(file);
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *hm;
        const char *cpu;

        if (!xml)
                return;
        CHECK(facts_libvirt_domcaps(xml, o) == 0, "%s parses", file);
        hm = json_get(o, "host_model");
        cpu = str(hm, "cpu_xml");
        CHECK(same(str(o, "domain_type"), type), "%s: domain_type %s", file, strna(str(o, "domain_type")));
        CHECK(same(str(o, "arch"), "x86_64"), "%s: arch", file);
        CHECK(same(str(o, "emulator"), "/usr/bin/qemu-system-x86_64"), "%s: emulator", file);
        CHECK(same(str(hm, "model"), model) && same(str(hm, "vendor"), vendor), "%s: %s (%s)", file,
              strna(str(hm, "model")), strna(str(hm, "vendor")));
        /* what virsh hypervisor-cpu-compare makes of domain capabilities: the mode element as a <cpu>
         * without attributes, its children as libvirt wrote them, on one line */
        CHECK(cpu && startswith(cpu, "<cpu><model fallback=\"forbid\">") && strstr(cpu, first_feature) &&
                      endswith(cpu, last_feature) && !strchr(cpu, '\n') && !strstr(cpu, "supported=") &&
                      !strstr(cpu, "host-model"),
              "%s: cpu_xml %s", file, strna(cpu));
}

static void domcaps_inline(const char *xml, int want_r, bool want_host_model)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r = facts_libvirt_domcaps(xml, o);

        CHECK(r == want_r, "[%s]: r=%d, want %d", xml, r, want_r);
        if (r == 0)
                CHECK(!!json_get(o, "host_model") == want_host_model, "[%s]: host_model %s", xml,
                      json_object_to_json_string(json_get(o, "host_model")));
}

static void test_domcaps(void)
{
        domcaps_case("domcaps-kvm.xml", "kvm", "kvm64", "Intel",
                     "<vendor>Intel</vendor><feature policy=\"require\" name=\"vme\"/>",
                     "<feature policy=\"disable\" name=\"pni\"/></cpu>");
        domcaps_case("domcaps-qemu.xml", "qemu", "EPYC", "AMD",
                     "<vendor>AMD</vendor><feature policy=\"require\" name=\"acpi\"/>",
                     "<feature policy=\"disable\" name=\"nrip-save\"/></cpu>");
        /* QEMU cannot say which CPU it gives: no host-model to compare */
        domcaps_inline("<domainCapabilities><domain>kvm</domain><cpu><mode name='host-model' "
                       "supported='no'/></cpu></domainCapabilities>",
                       0, false);
        domcaps_inline("<domainCapabilities><cpu><mode name='host-passthrough' supported='yes'/>"
                       "</cpu></domainCapabilities>",
                       0, false);
        domcaps_inline("<domainCapabilities/>", 0, false);
        domcaps_inline("<domainCapabilities><cpu><mode name='host-model' supported='yes'><model>x</model>"
                       "</mode></cpu></domainCapabilities>",
                       0, true);
        domcaps_inline("<domainCapabilities><cpu>", -EBADMSG, false);
        domcaps_inline("", -EBADMSG, false);
        domcaps_inline("<capabilities/>", -EBADMSG, false);
        /* an entity would need a DOCTYPE, which libvirt never writes */
        domcaps_inline("<!DOCTYPE d [<!ENTITY x 'kvm'>]><domainCapabilities><domain>&x;</domain>"
                       "</domainCapabilities>",
                       -EBADMSG, false);
}

static bool has_name(json_object *names, const char *name)
{
        for (size_t i = 0; names && i < json_object_array_length(names); i++)
                if (streq(json_object_get_string(json_object_array_get_idx(names, i)), name))
                        return true;
        return false;
}

static bool sorted(json_object *names)
{
        for (size_t i = 1; names && i < json_object_array_length(names); i++)
                if (strcmp(json_object_get_string(json_object_array_get_idx(names, i - 1)),
                           json_object_get_string(json_object_array_get_idx(names, i))) >= 0)
                        return false;
        return true;
}

static void test_machines(void)
{
        _cleanup_free_ char *xml = fixture("capabilities.xml");
        _cleanup_(json_object_putp) json_object *o = NULL, *k = NULL;
        json_object *x86, *names, *aliases;

        CHECK(xml && facts_libvirt_machines(xml, &o) == 0, "capabilities.xml parses");
        x86 = json_get(o, "x86_64");
        names = json_get(x86, "names");
        aliases = json_get(x86, "aliases");
        CHECK(json_get(o, "i686") && json_object_object_length(o) == 2, "the arches: %s",
              json_object_to_json_string(o));
        CHECK(same(str(x86, "emulator"), "/usr/bin/qemu-system-x86_64"), "emulator");
        /* QEMU 7.2: 58 machine types and two aliases */
        CHECK(names && json_object_array_length(names) == 58 && sorted(names), "names: %s",
              json_object_to_json_string(names));
        CHECK(has_name(names, "pc-i440fx-7.2") && has_name(names, "pc-q35-2.4") &&
                      has_name(names, "isapc") && !has_name(names, "pc") && !has_name(names, "q35"),
              "canonical names only");
        CHECK(same(str(aliases, "pc"), "pc-i440fx-7.2") && same(str(aliases, "q35"), "pc-q35-7.2") &&
                      json_object_object_length(aliases) == 2,
              "aliases: %s", json_object_to_json_string(aliases));

        /* machines of a domain type count too; a second <guest> of the same arch does not */
        CHECK(facts_libvirt_machines(
                      "<capabilities><guest><arch name='x86_64'><machine>a</machine><machine>a</machine>"
                      "<domain type='kvm'><machine>b</machine></domain></arch></guest>"
                      "<guest><arch name='x86_64'><machine>c</machine></arch></guest>"
                      "<guest><os_type>hvm</os_type></guest></capabilities>",
                      &k) == 0,
              "inline capabilities");
        CHECK(same(json_object_to_json_string_ext(json_get(json_get(k, "x86_64"), "names"),
                                                  JSON_C_TO_STRING_PLAIN),
                   "[\"a\",\"b\"]") &&
                      json_object_object_length(k) == 1,
              "inline: %s", json_object_to_json_string(k));
        json_object_put(TAKE_PTR(k));
        CHECK(facts_libvirt_machines("<domainCapabilities/>", &k) == -EBADMSG, "not capabilities");
        CHECK(facts_libvirt_machines("<capabilities><guest>", &k) == -EBADMSG, "malformed");
}

static void guest_case(const char *xml, const char *inactive, bool running, const char *name,
                       const char *machine, const char *mode, const char *model)
{
        _cleanup_(json_object_putp) json_object *guests = json_object_new_object();
        json_object *g;

        CHECK(facts_libvirt_guest(xml, inactive, running, guests) == 0, "%s parses", name);
        g = json_get(guests, name);
        CHECK(g && json_object_object_length(guests) == 1, "%s: %s", name,
              json_object_to_json_string(guests));
        CHECK(same(str(g, "machine"), machine) && same(str(g, "cpu_mode"), mode) &&
                      same(str(g, "cpu_model"), model) && json_get_bool(g, "running") == running,
              "%s: %s", name, json_object_to_json_string(g));
}

static void test_guests(void)
{
        _cleanup_free_ char *live = fixture("guest1-live.xml"), *inactive = fixture("guest1-inactive.xml"),
                            *off = fixture("guest2-inactive.xml");
        _cleanup_(json_object_putp) json_object *guests = json_object_new_object();

        if (!live || !inactive || !off)
                return;
        /* defined with machine='pc' and host-model: libvirt keeps the canonical machine type; the live
         * XML shows the CPU expanded to custom, the definition what the guest asks for */
        guest_case(live, inactive, true, "hp-cpu1", "pc-i440fx-7.2", "host-model", NULL);
        /* a transient guest has only its live XML */
        guest_case(live, NULL, true, "hp-cpu1", "pc-i440fx-7.2", "custom", "EPYC");
        guest_case(off, off, false, "hp-cpu2", "pc-q35-7.2", "custom", "qemu64");
        guest_case("<domain type='kvm'><name>bare</name></domain>", NULL, false, "bare", NULL, NULL, NULL);
        guest_case("<domain><name>m</name><cpu><model>Haswell</model></cpu></domain>", NULL, false, "m",
                   NULL, "custom", "Haswell");
        guest_case("<domain><name>p</name><cpu mode='host-passthrough'/></domain>", NULL, false, "p", NULL,
                   "host-passthrough", NULL);
        CHECK(facts_libvirt_guest("<domain/>", NULL, false, guests) == -EBADMSG, "no name");
        CHECK(facts_libvirt_guest("<domain><name>x</name>", NULL, false, guests) == -EBADMSG, "malformed");
        CHECK(facts_libvirt_guest("<domain><name>x</name></domain>", "<domain", false, guests) == -EBADMSG,
              "malformed definition");
        CHECK(json_object_object_length(guests) == 0, "nothing added on failure");
}

/* Every prefix of real output either parses or is refused; nothing crashes or leaks (sanitizer build). */
static void test_truncated(void)
{
        static const char *const files[] = {"domcaps-qemu.xml", "capabilities.xml", "guest1-live.xml"};

        for (size_t f = 0; f < ELEMENTSOF(files); f++) {
                _cleanup_free_ char *text = fixture(files[f]);
                size_t len = text ? strlen(text) : 0;

                for (size_t cut = 0; cut < len; cut += 61) {
                        _cleanup_free_ char *part = strndup(text, cut);
                        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *m = NULL;
                        int r = f == 0   ? facts_libvirt_domcaps(part, o)
                                : f == 1 ? facts_libvirt_machines(part, &m)
                                         : facts_libvirt_guest(part, NULL, false, o);

                        CHECK(r == 0 || r == -EBADMSG, "%s cut at %zu: r=%d", files[f], cut, r);
                }
        }
}

/* A hypervisor's facts as facts_collect_libvirt() makes them from these fixtures: its emulators' machine
 * types from capabilities.xml, and one guest. */
static json_object *hypervisor_facts(const char *guest_xml, const char *inactive_xml)
{
        _cleanup_free_ char *caps = fixture("capabilities.xml");
        json_object *facts = json_object_new_object(), *lv = json_object_new_object(), *machines = NULL,
                    *guests = json_object_new_object();

        CHECK(caps && facts_libvirt_machines(caps, &machines) == 0, "capabilities.xml");
        CHECK(facts_libvirt_guest(guest_xml, inactive_xml, true, guests) == 0, "guest XML");
        json_object_object_add(lv, "machines", machines);
        json_object_object_add(lv, "guests", guests);
        json_object_object_add(facts, "libvirt", lv);
        return facts;
}

/* cross.machines' one result for guests on h2 (facts a) and h3 (facts b): its reason and message. */
static char *machines_reason(json_object *a, json_object *b, char **ret_message)
{
        _cleanup_(conf_done) struct conf profile = {.name = strdup("test")};
        struct host_facts hosts[] = {
                {.name = "h2", .roles = ROLE_BIT(ROLE_HYPERVISOR), .facts = a},
                {.name = "h3", .roles = ROLE_BIT(ROLE_HYPERVISOR), .facts = b},
        };
        struct result_list l = {0};
        struct cross_ctx ctx = {.profile = &profile, .hosts = hosts, .n_hosts = 2, .results = &l};
        char *reason = NULL;

        for (size_t c = 0; c < cross_registry_size; c++)
                if (streq(cross_registry[c]->id, "cross.machines"))
                        CHECK(cross_registry[c]->compare(&ctx) == 0, "cross.machines");
        CHECK(l.n == 1, "one result, got %zu", l.n);
        if (l.n > 0) {
                reason = strdup(strempty(l.items[0].reason));
                *ret_message = strdup(l.items[0].message);
        }
        result_list_done(&l);
        return reason;
}

/* cross.machines on what the parsers make of real output: libvirt stored the guest's machine='pc' as
 * pc-i440fx-7.2, which the same QEMU takes; a guest with a machine type of a newer QEMU it refuses. */
static void test_cross_machines(void)
{
        _cleanup_free_ char *live = fixture("guest1-live.xml"), *inactive = fixture("guest1-inactive.xml"),
                            *newer = NULL, *message = NULL, *reason = NULL;
        _cleanup_(json_object_putp) json_object *a = NULL, *b = NULL, *c = NULL;
        char *at;

        if (!live || !inactive)
                return;
        newer = strdup(live);
        at = newer ? strstr(newer, "machine='pc-i440fx-7.2'") : NULL;
        CHECK(at, "guest1-live.xml has machine='pc-i440fx-7.2'");
        if (!at)
                return;
        memcpy(at, "machine='pc-i440fx-8.2'", strlen("machine='pc-i440fx-8.2'"));
        a = hypervisor_facts(live, inactive);
        b = hypervisor_facts(live, inactive);
        c = hypervisor_facts(newer, NULL);
        reason = machines_reason(a, b, &message);
        CHECK(same(reason, "machines_supported"), "same QEMU: %s: %s", strna(reason), strna(message));
        free(TAKE_PTR(message));
        free(TAKE_PTR(reason));
        reason = machines_reason(c, b, &message);
        CHECK(same(reason, "unsupported_machine") && message &&
                      strstr(message, "h2's guests cannot run on h3") &&
                      strstr(message, "hp-cpu1: pc-i440fx-8.2") &&
                      strstr(message, "Emulator '/usr/bin/qemu-system-x86_64' does not support machine type "
                                      "'pc-i440fx-8.2'"),
              "newer machine: %s: %s", strna(reason), strna(message));
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: test-facts-libvirt FIXTURE_DIR\n");
                return 2;
        }
        fixtures = argv[1];
        test_domcaps();
        test_machines();
        test_guests();
        test_truncated();
        test_cross_machines();
        if (failures)
                fprintf(stderr, "%d check(s) failed\n", failures);
        return failures ? 1 : 0;
}

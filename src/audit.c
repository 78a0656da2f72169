/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The decision of `hostprep audit` (audit.h): one guest on one peer, from data only. What libvirt.domains
 * decides of the guest (its disks' storage and cache, devices that tie it here) holds for every peer; the
 * rest is the peer's: the shared mount at the same place, enough memory, the guest's machine type and CPU,
 * and whether pre-copy converges within the downtime limit on the link.
 */
#include "audit.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>

#include "checks/cross.h"
#include "facts.h"
#include "json-util.h"
#include "report.h"
#include "strv.h"

#define PEER_FACTS_HINT "check the peer by hand: ssh @PEER@ hostprep facts"

const struct result_def audit_results[] = {
        [A_PEER_NO_FACTS] = {"audit.peer", STATUS_ERROR, "no_facts", PEER_FACTS_HINT},
        [A_PEER_NO_LIBVIRT] = {"audit.peer", STATUS_ERROR, "no_libvirt_facts",
                               "check that libvirtd runs on @PEER@: virsh -c qemu:///system version"},
        [A_STORAGE_NOT_MOUNTED] =
                {"audit.storage", STATUS_FAIL, "not_mounted_on_peer",
                 "mount the shared storage at @MOUNTPOINT@ on @PEER@ (hostprep apply there)"},
        [A_STORAGE_OTHER] = {"audit.storage", STATUS_FAIL, "other_storage_on_peer",
                             "mount the same export at @MOUNTPOINT@ on @PEER@ as on this host"},
        [A_MEMORY_SHORT] =
                {"audit.memory", STATUS_FAIL, "not_enough_memory",
                 "free memory on @PEER@ (move or stop guests there), or send the guest elsewhere"},
        [A_MEMORY_UNKNOWN] = {"audit.memory", STATUS_WARN, "memory_unknown",
                              "update hostprep on @PEER@: its facts do not say its free memory"},
        [A_ARCH_UNSUPPORTED] = {"audit.machine", STATUS_FAIL, "arch_unsupported",
                                "install QEMU for the guest's architecture on @PEER@"},
        [A_MACHINE_UNSUPPORTED] = {"audit.machine", STATUS_FAIL, "machine_unsupported",
                                   "give the guest a machine type @PEER@'s QEMU has (virsh capabilities "
                                   "there), or update QEMU on @PEER@"},
        [A_CPU_INCOMPATIBLE] = {"audit.cpu", STATUS_FAIL, "cpu_incompatible",
                                "give the guest a CPU model both hosts provide (virsh "
                                "hypervisor-cpu-baseline of both hosts' domcapabilities)"},
        [A_CPU_FAILED] =
                {"audit.cpu", STATUS_ERROR, "compare_failed",
                 "compare by hand: virsh -c @URI@ hypervisor-cpu-compare FILE (FILE: the guest's <cpu>)"},
        [A_CPU_UNREACHABLE] = {"audit.cpu", STATUS_ERROR, "peer_libvirtd_unreachable",
                               "check that this host reaches @PEER@'s libvirtd: virsh -c @URI@ version"},
        [A_CPU_TIMEOUT] = {"audit.cpu", STATUS_ERROR, "peer_libvirtd_timeout",
                           "check that libvirtd on @PEER@ answers: virsh -c @URI@ version"},
        [A_CPU_NO_API] = {"audit.cpu", STATUS_ERROR, "built_without_libvirt",
                          "compare by hand: virsh -c @URI@ hypervisor-cpu-compare FILE"},
        [A_CPU_PASSTHROUGH] = {"audit.cpu", STATUS_WARN, "host_passthrough",
                               "only a host with the same CPU takes it: give the guest host-model or a "
                               "named model"},
        [A_NOT_CONVERGING] = {"audit.estimate", STATUS_WARN, "will_not_converge",
                              "raise [migrate] downtime_ms, give the migration more bandwidth, turn on "
                              "[migrate] auto_converge, or move the guest while it is quieter"},
        [A_GUEST_UNCHECKED] = {"audit.guest", STATUS_ERROR, "not_checked",
                               "check the guest's definition: virsh dumpxml @GUEST@"},
};
const size_t audit_results_size = ELEMENTSOF(audit_results);
_Static_assert(ELEMENTSOF(audit_results) == _A_MAX, "audit_results out of step");

static const char *const verdict_names[][2] = {
        [AUDIT_READY] = {"ready", "ready"},
        [AUDIT_WARN] = {"ready (warnings)", "warn"},
        [AUDIT_BLOCKED] = {"blocked", "blocked"},
        [AUDIT_UNDECIDED] = {"undecided", "undecided"},
};
_Static_assert(ELEMENTSOF(verdict_names) == _AUDIT_VERDICT_MAX, "verdict_names out of step");

const char *audit_verdict_to_string(enum audit_verdict v)
{
        return v >= 0 && v < _AUDIT_VERDICT_MAX ? verdict_names[v][0] : NULL;
}

const char *audit_verdict_to_json(enum audit_verdict v)
{
        return v >= 0 && v < _AUDIT_VERDICT_MAX ? verdict_names[v][1] : NULL;
}

void audit_guest_done(struct audit_guest *g)
{
        free(g->name);
        free(g->domain_type);
        free(g->arch);
        free(g->machine);
        free(g->cpu_mode);
        free(g->cpu_xml);
        free(g->dirty_error);
        strv_free(g->shared_paths);
        result_list_done(&g->checks);
        *g = (struct audit_guest){};
}

void audit_guests_free(struct audit_guest *g, size_t n)
{
        for (size_t i = 0; g && i < n; i++)
                audit_guest_done(&g[i]);
        free(g);
}

void audit_peers_free(struct audit_peer *p, size_t n, size_t n_guests)
{
        for (size_t i = 0; p && i < n; i++) {
                for (size_t k = 0; p[i].cpu && k < n_guests; k++)
                        free(p[i].cpu[k].message);
                free(p[i].cpu);
                free(p[i].name);
                free(p[i].error);
                free(p[i].uri);
                free(p[i].cpu_error);
                json_object_put(p[i].facts);
        }
        free(p);
}

void audit_cell_done(struct audit_cell *c)
{
        result_list_done(&c->findings);
        *c = (struct audit_cell){};
}

/* --- the estimate ------------------------------------------------------------------------------------ */

void audit_estimate(double memory_mib, double dirty_mib_s, double bandwidth_mib_s,
                    unsigned downtime_limit_ms, struct audit_estimate *ret)
{
        double left = memory_mib, t = 0, limit_s = downtime_limit_ms / 1000.0;
        unsigned pass = 1;

        *ret = (struct audit_estimate){.known = true,
                                       .memory_mib = memory_mib,
                                       .dirty_mib_s = dirty_mib_s,
                                       .bandwidth_mib_s = bandwidth_mib_s,
                                       .downtime_limit_ms = downtime_limit_ms};
        if (bandwidth_mib_s <= 0)
                return;
        /* each pass sends what the one before left dirty; QEMU switches over when the rest goes within
         * the limit */
        for (; pass <= AUDIT_MAX_PASSES; pass++) {
                double send = left / bandwidth_mib_s, next;

                if (send <= limit_s) {
                        ret->converges = true;
                        ret->downtime_ms = send * 1000;
                        break;
                }
                t += send;
                next = fmin(memory_mib, dirty_mib_s * send);
                /* not shrinking: it never gets below the limit */
                if (next >= left)
                        break;
                left = next;
        }
        ret->passes = pass > AUDIT_MAX_PASSES ? AUDIT_MAX_PASSES : pass;
        ret->total_s = t + ret->downtime_ms / 1000;
        if (!ret->converges)
                ret->downtime_ms = left / bandwidth_mib_s * 1000;
}

/* --- one guest on one peer --------------------------------------------------------------------------- */

static json_object *first_mount(json_object *mounts)
{
        return mounts && json_object_is_type(mounts, json_type_array) && json_object_array_length(mounts) > 0
                       ? json_object_array_get_idx(mounts, 0)
                       : NULL;
}

#define PEER_HINT(peer, p)                                                                                  \
        HINT_VALUES("PEER", (peer)->name, "MOUNTPOINT", strempty((p)->mountpoint), "URI",                   \
                    strempty((peer)->uri), "GUEST", g->name)

/* The files the guest keeps below the mountpoint are where the peer's QEMU opens them: the same export
 * must be mounted there. */
static int decide_storage(const struct audit_params *p, const struct audit_guest *g,
                          const struct audit_peer *peer, struct result_list *l)
{
        json_object *here = first_mount(p->mounts), *there = first_mount(json_get(peer->facts, "mounts"));
        const char *src = json_get_string(here, "source"), *peer_src = json_get_string(there, "source");

        if (!g->shared_paths)
                return 0;
        if (!there)
                return result_list_add_def(l, &audit_results[A_STORAGE_NOT_MOUNTED], NULL,
                                           PEER_HINT(peer, p), g->shared_paths[0],
                                           "%s keeps %s below %s, where nothing is mounted on %s", g->name,
                                           g->shared_paths[0], strna(p->mountpoint), peer->name);
        if (!src || streq(src, strempty(peer_src)))
                return 0;
        return result_list_add_def(
                l, &audit_results[A_STORAGE_OTHER], NULL, PEER_HINT(peer, p), g->shared_paths[0],
                "%s keeps %s below %s: %s mounts %s there, this host %s", g->name, g->shared_paths[0],
                strna(p->mountpoint), peer->name, strna(peer_src), src);
}

static int decide_memory(const struct audit_params *p, const struct audit_guest *g,
                         const struct audit_peer *peer, struct result_list *l)
{
        json_object *m = json_get(json_get(peer->facts, "memory"), "available_kib");
        int64_t avail;

        if (!m)
                return result_list_add_def(l, &audit_results[A_MEMORY_UNKNOWN], NULL, PEER_HINT(peer, p),
                                           NULL, "%s does not say how much memory it has free", peer->name);
        avail = json_object_get_int64(m);
        if ((uint64_t)avail >= g->memory_kib)
                return 0;
        return result_list_add_def(l, &audit_results[A_MEMORY_SHORT], NULL, PEER_HINT(peer, p),
                                   "MemAvailable",
                                   "%s has %" PRId64 " MiB available, %s needs %" PRIu64 " MiB", peer->name,
                                   avail / 1024, g->name, g->memory_kib / 1024);
}

static int decide_machine(const struct audit_params *p, const struct audit_guest *g,
                          const struct audit_peer *peer, struct result_list *l)
{
        json_object *am =
                g->arch ? json_get(json_get(json_get(peer->facts, "libvirt"), "machines"), g->arch) : NULL;

        if (!g->arch || !g->machine)
                return 0;
        if (!am)
                return result_list_add_def(l, &audit_results[A_ARCH_UNSUPPORTED], NULL, PEER_HINT(peer, p),
                                           NULL, "%s has no emulator for %s's architecture %s", peer->name,
                                           g->name, g->arch);
        if (cross_machine_supported(am, g->machine))
                return 0;
        return result_list_add_def(l, &audit_results[A_MACHINE_UNSUPPORTED], NULL, PEER_HINT(peer, p),
                                   json_get_string(am, "emulator"),
                                   "%s's QEMU lacks %s's machine type %s: libvirt there refuses with "
                                   "\"Emulator '%s' does not support machine type '%s'\"",
                                   peer->name, g->name, g->machine, strna(json_get_string(am, "emulator")),
                                   g->machine);
}

/* Why the peer's libvirtd could not be asked about any CPU. */
static int decide_cpu_unasked(const struct audit_params *p, const struct audit_guest *g,
                              const struct audit_peer *peer, struct result_list *l)
{
        int idx = peer->cpu_errno == -ETIMEDOUT    ? A_CPU_TIMEOUT
                  : peer->cpu_errno == -EOPNOTSUPP ? A_CPU_NO_API
                                                   : A_CPU_UNREACHABLE;

        return result_list_add_def(l, &audit_results[idx], NULL, PEER_HINT(peer, p), peer->uri,
                                   "cannot ask %s's libvirtd (%s) about %s's CPU: %s", peer->name,
                                   strna(peer->uri), g->name,
                                   idx == A_CPU_TIMEOUT  ? "no answer before the deadline"
                                   : idx == A_CPU_NO_API ? "hostprep is built without libvirt"
                                                         : strna(peer->cpu_error));
}

static int decide_cpu(const struct audit_params *p, const struct audit_guest *g, size_t gi,
                      const struct audit_peer *peer, struct result_list *l)
{
        const struct audit_cpu_answer *a = peer->cpu ? &peer->cpu[gi] : NULL;

        /* host-passthrough: libvirt cannot compare it; a guest that is not running gets the CPU of the
         * host it starts on */
        if (streq_ptr(g->cpu_mode, "host-passthrough") || streq_ptr(g->cpu_mode, "maximum"))
                return !g->running ? 0
                                   : result_list_add_def(l, &audit_results[A_CPU_PASSTHROUGH], NULL,
                                                         PEER_HINT(peer, p), NULL,
                                                         "%s runs with the host's own CPU (%s): libvirt "
                                                         "cannot tell whether %s's CPU is the same",
                                                         g->name, g->cpu_mode, peer->name);
        if (!g->cpu_xml)
                return 0;
        if (peer->cpu_errno < 0 || !a || !a->asked)
                return decide_cpu_unasked(p, g, peer, l);
        if (a->result > CPU_COMPARE_INCOMPATIBLE)
                return 0;
        if (a->result == CPU_COMPARE_INCOMPATIBLE)
                return result_list_add_def(l, &audit_results[A_CPU_INCOMPATIBLE], NULL, PEER_HINT(peer, p),
                                           peer->uri, "%s's CPU (%s) does not run on %s: %s", g->name,
                                           strna(g->cpu_mode), peer->name,
                                           a->message ? a->message : "libvirt says it is incompatible");
        return result_list_add_def(l, &audit_results[A_CPU_FAILED], NULL, PEER_HINT(peer, p), peer->uri,
                                   "%s's libvirtd could not compare %s's CPU: %s", peer->name, g->name,
                                   a->message ? a->message : "no reason given");
}

static int decide_estimate(const struct audit_params *p, const struct audit_guest *g,
                           const struct audit_peer *peer, struct audit_cell *c)
{
        unsigned link = p->link_mib_s ? p->link_mib_s : AUDIT_DEFAULT_LINK_MIB_S,
                 limit = p->downtime_ms ? p->downtime_ms : AUDIT_DEFAULT_DOWNTIME_MS;
        double bw = p->cap_mib_s && p->cap_mib_s < link ? p->cap_mib_s : link;
        struct audit_estimate *e = &c->estimate;

        if (!g->running)
                return 0;
        audit_estimate((double)g->memory_kib / 1024, g->dirty_known ? g->dirty_mib_s : 0, bw, limit, e);
        e->dirty_known = g->dirty_known;
        e->link_assumed = !p->link_mib_s;
        if (e->converges)
                return 0;
        return result_list_add_def(
                &c->findings, &audit_results[A_NOT_CONVERGING], NULL, PEER_HINT(peer, p), NULL,
                "%s dirties %.1f MiB/s of its %.0f MiB; at %.0f MiB/s the last pass still "
                "takes %.0f ms after %u passes, more than the %u ms allowed",
                g->name, e->dirty_mib_s, e->memory_mib, bw, e->downtime_ms, e->passes, limit);
}

/* The peer's facts are what its side is decided on: without them, or without their libvirt part, the
 * peer cannot be judged. 1: judged so (the finding added). */
static int decide_peer_known(const struct audit_params *p, const struct audit_guest *g,
                             const struct audit_peer *peer, struct result_list *l)
{
        json_object *lv = json_get(peer->facts, "libvirt");
        const char *error = json_get_string(lv, "error");
        int r;

        if (!peer->facts)
                r = result_list_add_def(l, &audit_results[A_PEER_NO_FACTS], NULL, PEER_HINT(peer, p), NULL,
                                        "no facts from %s: %s", peer->name, strna(peer->error));
        else if (!lv || !json_object_is_type(lv, json_type_object) || error || !json_get(lv, "machines"))
                r = result_list_add_def(l, &audit_results[A_PEER_NO_LIBVIRT], NULL, PEER_HINT(peer, p), NULL,
                                        "%s's facts have no libvirt part: %s", peer->name,
                                        error ? error : "is it a hypervisor? (its roles, libvirtd)");
        else
                return 0;
        return r < 0 ? r : 1;
}

/* What libvirt.domains found wrong with the guest: the same on every peer. */
static int copy_guest_checks(const struct audit_guest *g, struct result_list *l)
{
        for (size_t i = 0; i < g->checks.n; i++) {
                const struct result *r = &g->checks.items[i];
                int k;

                if (r->status == STATUS_PASS || r->status == STATUS_SKIP)
                        continue;
                k = result_list_add_copy(l, r);
                if (k < 0)
                        return k;
        }
        return 0;
}

static enum audit_verdict verdict_of(const struct result_list *l)
{
        enum audit_verdict v = AUDIT_READY;

        for (size_t i = 0; i < l->n; i++) {
                enum status s = l->items[i].status;

                if (s == STATUS_FAIL)
                        return AUDIT_BLOCKED;
                if (s == STATUS_ERROR)
                        v = AUDIT_UNDECIDED;
                else if (s == STATUS_WARN && v == AUDIT_READY)
                        v = AUDIT_WARN;
        }
        return v;
}

int audit_decide(const struct audit_params *p, const struct audit_guest *g, size_t gi,
                 const struct audit_peer *peer, struct audit_cell *ret)
{
        struct audit_cell c = {};
        int r;

        r = g->name ? copy_guest_checks(g, &c.findings) : -EINVAL;
        if (r >= 0)
                r = decide_peer_known(p, g, peer, &c.findings);
        /* 1: the peer itself is not known, nothing of it to judge */
        if (r == 0)
                r = decide_storage(p, g, peer, &c.findings);
        if (r == 0)
                r = decide_memory(p, g, peer, &c.findings);
        if (r == 0)
                r = decide_machine(p, g, peer, &c.findings);
        if (r == 0)
                r = decide_cpu(p, g, gi, peer, &c.findings);
        if (r >= 0)
                r = decide_estimate(p, g, peer, &c);
        if (r < 0) {
                audit_cell_done(&c);
                return r;
        }
        c.verdict = verdict_of(&c.findings);
        *ret = c;
        return 0;
}

enum audit_verdict audit_guest_verdict(const struct audit_cell *cells, size_t n_peers)
{
        bool ready = false, warn = false, undecided = false;

        for (size_t i = 0; i < n_peers; i++) {
                ready = ready || cells[i].verdict == AUDIT_READY;
                warn = warn || cells[i].verdict == AUDIT_WARN;
                undecided = undecided || cells[i].verdict == AUDIT_UNDECIDED;
        }
        return ready ? AUDIT_READY : warn ? AUDIT_WARN : undecided ? AUDIT_UNDECIDED : AUDIT_BLOCKED;
}

int audit_exit_code(const struct audit_cell *cells, size_t n_guests, size_t n_peers)
{
        bool undecided = false;

        for (size_t i = 0; i < n_guests; i++) {
                enum audit_verdict v = audit_guest_verdict(cells + i * n_peers, n_peers);

                if (v == AUDIT_BLOCKED)
                        return EXIT_NOT_READY;
                undecided = undecided || v == AUDIT_UNDECIDED;
        }
        return undecided ? EXIT_UNDECIDED : EXIT_READY;
}

/* --- a guest from its XML ------------------------------------------------------------------------------ */

static int strdup_opt(const char *s, char **ret)
{
        *ret = s ? strdup(s) : NULL;
        return s && !*ret ? -ENOMEM : 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlBufferPtr, xmlBufferFree)

static xmlNode *child(const xmlNode *parent, const char *name)
{
        for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && streq((const char *)c->name, name))
                        return c;
        return NULL;
}

/* <memory unit=...>N</memory> in KiB, libvirt's units (docs/formatdomain.rst "Memory Allocation"). */
static int memory_kib(const xmlNode *m, uint64_t *ret)
{
        static const struct {
                const char *unit;
                double kib;
        } units[] = {{"b", 1.0 / 1024},  {"bytes", 1.0 / 1024}, {"KB", 1000.0 / 1024}, {"k", 1},
                     {"KiB", 1},         {"MB", 1e6 / 1024},    {"M", 1024},           {"MiB", 1024},
                     {"GB", 1e9 / 1024}, {"G", 1 << 20},        {"GiB", 1 << 20},      {"TB", 1e12 / 1024},
                     {"T", 1u << 30},    {"TiB", 1u << 30}};
        xmlChar *text = m ? xmlNodeGetContent(m) : NULL,
                *unit = m ? xmlGetNoNsProp(m, BAD_CAST "unit") : NULL;
        double factor = unit ? 0 : 1;
        unsigned long long v;
        char *end = NULL;
        int r = -EBADMSG;

        for (size_t i = 0; unit && i < ELEMENTSOF(units); i++)
                if (streq((const char *)unit, units[i].unit))
                        factor = units[i].kib;
        errno = 0;
        v = text ? strtoull((const char *)text, &end, 10) : 0;
        if (text && factor > 0 && errno == 0 && end != (char *)text && *end == '\0' && text[0] != '-') {
                *ret = (uint64_t)ceil((double)v * factor);
                r = 0;
        }
        xmlFree(text);
        xmlFree(unit);
        return r;
}

/* The <cpu> element as text: what a destination's libvirtd is asked about. */
static int cpu_text(xmlDocPtr doc, xmlNode *cpu, char **ret)
{
        _cleanup_(xmlBufferFreep) xmlBufferPtr buf = xmlBufferCreate();

        if (!buf)
                return -ENOMEM;
        if (xmlNodeDump(buf, doc, cpu, 0, 0) < 0)
                return -ENOMEM;
        *ret = strdup((const char *)xmlBufferContent(buf));
        return *ret ? 0 : -ENOMEM;
}

/* arch, machine, domain type and CPU mode, as the facts give them of a guest. */
static int guest_facts(const char *xml, const char *inactive_xml, bool running, struct audit_guest *g)
{
        _cleanup_(json_object_putp) json_object *guests = json_object_new_object();
        json_object *f = NULL;
        int r;

        if (!guests)
                return -ENOMEM;
        r = facts_libvirt_guest(xml, inactive_xml, running, guests);
        if (r < 0)
                return r;
        json_object_object_foreach(guests, name, v)
        {
                g->name = strdup(name);
                f = v;
        }
        g->running = running;
        if (!g->name || strdup_opt(json_get_string(f, "domain_type"), &g->domain_type) < 0 ||
            strdup_opt(json_get_string(f, "arch"), &g->arch) < 0 ||
            strdup_opt(json_get_string(f, "machine"), &g->machine) < 0 ||
            strdup_opt(json_get_string(f, "cpu_mode"), &g->cpu_mode) < 0)
                return -ENOMEM;
        return 0;
}

int audit_guest_from_xml(const char *xml, const char *inactive_xml, bool running, struct audit_guest *g)
{
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        xmlNode *root, *cpu;
        int r;

        r = guest_facts(xml, inactive_xml, running, g);
        if (r < 0)
                return r;
        doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
        root = doc ? xmlDocGetRootElement(doc) : NULL;
        if (!root || doc->intSubset)
                return -EBADMSG;
        r = memory_kib(child(root, "memory"), &g->memory_kib);
        if (r < 0)
                return r;
        /* the CPU it has: a running guest's live <cpu> is host-model expanded to what it got; a
         * host-model guest that is not running gets the destination's own */
        cpu = child(root, "cpu");
        if (cpu && child(cpu, "model") && (running || !streq_ptr(g->cpu_mode, "host-model")) &&
            !streq_ptr(g->cpu_mode, "host-passthrough") && !streq_ptr(g->cpu_mode, "maximum"))
                return cpu_text(doc, cpu, &g->cpu_xml);
        return 0;
}

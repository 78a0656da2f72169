/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libvirt part of `hostprep facts`: what this host's libvirtd says of its CPU, its emulators and the
 * guests defined here. The host-model CPU as libvirt expands it (domain capabilities) is what a peer
 * hands to virConnectCompareHypervisorCPU, as nova does on a destination; the machine types the
 * emulators take are what a destination checks a guest's machine type against ("Emulator ... does not
 * support machine type ..."). libvirtd is asked in a child under the facts' deadline (a hung daemon
 * costs the deadline, never the run); the child answers with the JSON object. libvirt's XML is parsed
 * without network access, entity substitution or a DOCTYPE.
 */
#include "facts.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "config.h"
#include "json-util.h"
#include "spawn.h"
#include "strv.h"
#include "unit.h"

#if HAVE_LIBVIRT
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#endif

#define LIBVIRT_URI "qemu:///system"
/* Blank text between elements is indentation: dropped, so the <cpu> a peer gets is one line. */
#define LIBVIRT_XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS)

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlNodePtr, xmlFreeNode)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlBufferPtr, xmlBufferFree)

/* XML as libvirt writes it: well-formed, without a DOCTYPE (entities are what one would bring). */
static int xml_read(const char *text, xmlDocPtr *ret)
{
        xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), "libvirt.xml", NULL, LIBVIRT_XML_OPTIONS);

        if (!doc || doc->intSubset || doc->extSubset || !xmlDocGetRootElement(doc)) {
                xmlFreeDoc(doc);
                return -EBADMSG;
        }
        *ret = doc;
        return 0;
}

static xmlNode *element(const xmlNode *parent, const char *name)
{
        for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && streq((const char *)c->name, name))
                        return c;
        return NULL;
}

/* n's attribute (or its text when name is NULL) added to o as key; absent: null. */
static int add_xml_value(json_object *o, const char *key, const xmlNode *n, const char *name)
{
        xmlChar *v = !n ? NULL : name ? xmlGetNoNsProp(n, BAD_CAST name) : xmlNodeGetContent(n);
        int r = json_add_string(o, key, (const char *)v);

        xmlFree(v);
        return r;
}

static bool attr_is(const xmlNode *n, const char *name, const char *value)
{
        xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
        bool same = v && streq((const char *)v, value);

        xmlFree(v);
        return same;
}

/* The <mode name='host-model'> element renamed <cpu> without attributes: a guest CPU of mode custom
 * with libvirt's model, vendor and features, the way virsh hypervisor-cpu-compare takes domain
 * capabilities. */
static int host_model_xml(xmlDocPtr doc, const xmlNode *mode, char **ret)
{
        _cleanup_(xmlFreeNodep) xmlNodePtr cpu = xmlDocCopyNode((xmlNodePtr)mode, doc, 1);
        _cleanup_(xmlBufferFreep) xmlBufferPtr buf = xmlBufferCreate();

        if (!cpu || !buf)
                return -ENOMEM;
        xmlNodeSetName(cpu, BAD_CAST "cpu");
        xmlFreePropList(cpu->properties);
        cpu->properties = NULL;
        if (xmlNodeDump(buf, doc, cpu, 0, 0) < 0)
                return -ENOMEM;
        *ret = strdup((const char *)xmlBufferContent(buf));
        return *ret ? 0 : -ENOMEM;
}

static int host_model_parse(xmlDocPtr doc, const xmlNode *cpu, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *xml = NULL;
        const xmlNode *mode = NULL;
        int r;

        for (xmlNode *c = cpu ? cpu->children : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && streq((const char *)c->name, "mode") &&
                    attr_is(c, "name", "host-model"))
                        mode = c;
        /* no host-model here (supported='no': QEMU cannot say which CPU it gives) */
        if (!mode || !attr_is(mode, "supported", "yes") || !element(mode, "model")) {
                *ret = NULL;
                return 0;
        }
        r = host_model_xml(doc, mode, &xml);
        if (r < 0)
                return r;
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = add_xml_value(o, "model", element(mode, "model"), NULL);
        if (r >= 0)
                r = add_xml_value(o, "vendor", element(mode, "vendor"), NULL);
        if (r >= 0)
                r = json_add_string(o, "cpu_xml", xml);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int facts_libvirt_domcaps(const char *xml, json_object *o)
{
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        json_object *host_model = NULL;
        xmlNode *root;
        int r;

        r = xml_read(xml, &doc);
        if (r < 0)
                return r;
        root = xmlDocGetRootElement(doc);
        if (!streq((const char *)root->name, "domainCapabilities"))
                return -EBADMSG;
        r = add_xml_value(o, "domain_type", element(root, "domain"), NULL);
        if (r >= 0)
                r = add_xml_value(o, "arch", element(root, "arch"), NULL);
        if (r >= 0)
                r = add_xml_value(o, "emulator", element(root, "path"), NULL);
        if (r >= 0)
                r = host_model_parse(doc, element(root, "cpu"), &host_model);
        if (r >= 0)
                r = json_add(o, "host_model", host_model);
        return r;
}

/* One <machine> of an arch: its name, and the canonical machine it stands for ("pc" -> pc-i440fx-7.2). */
static int machine_add(const xmlNode *m, char ***names, json_object *aliases)
{
        xmlChar *name = xmlNodeGetContent(m), *canonical = xmlGetNoNsProp(m, BAD_CAST "canonical");
        int r = 0;

        if (name && *name && canonical)
                r = json_add_string(aliases, (const char *)name, (const char *)canonical);
        else if (name && *name && !strv_contains(*names, (const char *)name))
                r = strv_push_dup(names, (const char *)name);
        xmlFree(name);
        xmlFree(canonical);
        return r;
}

static int cmp_strp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The machines of one <arch>, and of its <domain> elements (a domain type may have its own list). */
static int arch_machines(const xmlNode *arch, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(),
                                                *aliases = json_object_new_object(), *a = NULL;
        _cleanup_(strv_freep) char **names = NULL;
        int r = 0;

        if (!o || !aliases)
                return -ENOMEM;
        for (xmlNode *c = arch->children; c && r >= 0; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (streq((const char *)c->name, "machine"))
                        r = machine_add(c, &names, aliases);
                for (xmlNode *m = streq((const char *)c->name, "domain") ? c->children : NULL; m && r >= 0;
                     m = m->next)
                        if (m->type == XML_ELEMENT_NODE && streq((const char *)m->name, "machine"))
                                r = machine_add(m, &names, aliases);
        }
        if (r >= 0 && names)
                qsort(names, strv_length(names), sizeof(char *), cmp_strp);
        if (r >= 0)
                r = json_strv_to_array(names, &a);
        if (r >= 0)
                r = add_xml_value(o, "emulator", element(arch, "emulator"), NULL);
        if (r >= 0)
                r = json_add(o, "names", TAKE_PTR(a));
        if (r >= 0)
                r = json_add(o, "aliases", TAKE_PTR(aliases));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int facts_libvirt_machines(const char *caps_xml, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        xmlNode *root;
        int r;

        if (!o)
                return -ENOMEM;
        r = xml_read(caps_xml, &doc);
        if (r < 0)
                return r;
        root = xmlDocGetRootElement(doc);
        if (!streq((const char *)root->name, "capabilities"))
                return -EBADMSG;
        for (xmlNode *g = root->children; g; g = g->next) {
                xmlNode *arch = g->type == XML_ELEMENT_NODE && streq((const char *)g->name, "guest")
                                        ? element(g, "arch")
                                        : NULL;
                xmlChar *name = arch ? xmlGetNoNsProp(arch, BAD_CAST "name") : NULL;
                json_object *m = NULL;

                /* the first <guest> of an arch counts, as libvirt looks an emulator up */
                r = name && !json_get(o, (const char *)name) ? arch_machines(arch, &m) : 0;
                if (r >= 0 && m)
                        r = json_add(o, (const char *)name, m);
                xmlFree(name);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

/* The CPU a guest asks for: mode (host-model, host-passthrough, maximum, custom), and the model. */
static int guest_cpu(json_object *g, const char *inactive_xml, const xmlNode *live_root)
{
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        const xmlNode *root = live_root, *cpu;
        int r;

        /* a running guest's live XML shows host-model expanded to custom: the definition says what it
         * asks for */
        if (inactive_xml) {
                r = xml_read(inactive_xml, &doc);
                if (r < 0)
                        return r;
                root = xmlDocGetRootElement(doc);
        }
        cpu = element(root, "cpu");
        /* <cpu> without mode= is custom (libvirt's default), unless it names no model */
        r = cpu && !xmlHasProp(cpu, BAD_CAST "mode") && element(cpu, "model")
                    ? json_add_string(g, "cpu_mode", "custom")
                    : add_xml_value(g, "cpu_mode", cpu, "mode");
        if (r >= 0)
                r = add_xml_value(g, "cpu_model", element(cpu, "model"), NULL);
        return r;
}

int facts_libvirt_guest(const char *xml, const char *inactive_xml, bool running, json_object *guests)
{
        _cleanup_(json_object_putp) json_object *g = json_object_new_object();
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        xmlChar *name = NULL;
        xmlNode *root, *type;
        int r;

        if (!g)
                return -ENOMEM;
        r = xml_read(xml, &doc);
        if (r < 0)
                return r;
        root = xmlDocGetRootElement(doc);
        if (!streq((const char *)root->name, "domain") || !element(root, "name"))
                return -EBADMSG;
        type = element(element(root, "os"), "type");
        r = json_add_bool(g, "running", running);
        if (r >= 0)
                r = add_xml_value(g, "domain_type", root, "type");
        if (r >= 0)
                r = add_xml_value(g, "arch", type, "arch");
        if (r >= 0)
                r = add_xml_value(g, "machine", type, "machine");
        if (r >= 0)
                r = guest_cpu(g, inactive_xml, root);
        name = r >= 0 ? xmlNodeGetContent(element(root, "name")) : NULL;
        if (r >= 0)
                r = name ? json_add(guests, (const char *)name, TAKE_PTR(g)) : -ENOMEM;
        xmlFree(name);
        return r;
}

/* The libvirt object with every field null but error (NULL too: nothing went wrong yet). */
static int libvirt_facts_new(const char *error, json_object **ret)
{
        static const char *const keys[] = {"domain_type", "arch",     "emulator",
                                           "host_model",  "machines", "guests"};
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        r = json_add_string(o, "error", error);
        for (size_t i = 0; i < ELEMENTSOF(keys) && r >= 0; i++)
                r = json_add(o, keys[i], NULL);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

#if HAVE_LIBVIRT
static void libvirt_quiet(void *opaque, virErrorPtr e)
{
        /* libvirt prints its errors by default; the facts carry them */
}

/* The first failure is the one the facts name: the others usually follow from it. */
static int keep_error(json_object *o, const char *what)
{
        const char *m = virGetLastErrorMessage();

        if (json_get_string(o, "error"))
                return 0;
        return json_add_string(o, "error", m ? m : what);
}

static int libvirt_guests(virConnectPtr c, json_object *o)
{
        _cleanup_(json_object_putp) json_object *guests = json_object_new_object();
        virDomainPtr *doms = NULL;
        int n, r = 0;

        if (!guests)
                return -ENOMEM;
        n = virConnectListAllDomains(c, &doms, 0);
        if (n < 0)
                return keep_error(o, "cannot list the domains");
        for (int i = 0; i < n; i++) {
                char *xml = virDomainGetXMLDesc(doms[i], 0), *inactive = NULL;

                if (virDomainIsPersistent(doms[i]) == 1)
                        inactive = virDomainGetXMLDesc(doms[i], VIR_DOMAIN_XML_INACTIVE);
                /* a domain that went away since the listing is not defined any more */
                if (xml && r >= 0)
                        r = facts_libvirt_guest(xml, inactive, virDomainIsActive(doms[i]) == 1, guests);
                if (r == -EBADMSG)
                        r = 0;
                free(xml);
                free(inactive);
                virDomainFree(doms[i]);
        }
        free(doms);
        return r < 0 ? r : json_add(o, "guests", TAKE_PTR(guests));
}

/* What the emulators take (capabilities), and the default emulator's domain capabilities. */
static int libvirt_emulator(virConnectPtr c, json_object *o)
{
        char *caps = virConnectGetCapabilities(c), *domcaps = NULL;
        json_object *machines = NULL;
        int r = caps ? facts_libvirt_machines(caps, &machines) : keep_error(o, "no capabilities");

        free(caps);
        if (r >= 0 && machines)
                r = json_add(o, "machines", machines);
        if (r == -EBADMSG)
                r = keep_error(o, "libvirt's capabilities XML does not parse");
        if (r < 0)
                return r;
        domcaps = virConnectGetDomainCapabilities(c, NULL, NULL, NULL, NULL, 0);
        r = domcaps ? facts_libvirt_domcaps(domcaps, o) : keep_error(o, "no domain capabilities");
        free(domcaps);
        return r == -EBADMSG ? keep_error(o, "libvirt's domain capabilities XML does not parse") : r;
}

/* In a child, abandoned at the deadline: libvirt's calls have no timeout of their own. */
static int libvirt_child(void *userdata, int fd)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        const char *text;
        virConnectPtr c;
        int r;

        virSetErrorFunc(NULL, libvirt_quiet);
        if (libvirt_facts_new(NULL, &o) < 0)
                return 1;
        /* read-write: libvirt refuses domain capabilities on a read-only connection ("read only access
         * prevents virConnectGetDomainCapabilities"); nothing here changes anything */
        c = virConnectOpen(LIBVIRT_URI);
        if (!c && keep_error(o, "cannot connect") >= 0)
                c = virConnectOpenReadOnly(LIBVIRT_URI);
        r = c ? libvirt_emulator(c, o) : 0;
        if (r >= 0 && c)
                r = libvirt_guests(c, o);
        if (c)
                virConnectClose(c);
        text = r >= 0 ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
        return text && spawn_reply(fd, text, strlen(text)) >= 0 ? 0 : 1;
}

static int libvirt_ask(usec_t deadline, json_object **ret)
{
        _cleanup_free_ char *out = NULL, *why = NULL;
        usec_t start = now_usec();
        json_object *o;
        int r;

        r = spawn_call(deadline, libvirt_child, NULL, 0, &out, NULL, NULL);
        if (r == -ENOMEM)
                return r;
        if (r == -ETIMEDOUT)
                why = strdup_printf("libvirtd did not answer within %.1f s",
                                    (double)(now_usec() - start) / USEC_PER_SEC);
        else if (r < 0)
                why = strdup_printf("cannot ask libvirtd: %s", strerror(-r));
        else if ((o = json_tokener_parse(out)) && json_object_is_type(o, json_type_object)) {
                *ret = o;
                return 0;
        } else {
                json_object_put(o);
                why = strdup("no answer from the child that asks libvirtd");
        }
        return why ? libvirt_facts_new(why, ret) : -ENOMEM;
}
#endif

int facts_collect_libvirt(const struct hostfs *fs, unsigned roles, usec_t deadline, json_object **ret)
{
        /* only the running host's libvirtd can answer, and only a hypervisor runs one */
        if (!hostfs_is_live(fs) || !(roles & ROLE_BIT(ROLE_HYPERVISOR))) {
                *ret = NULL;
                return 0;
        }
#if HAVE_LIBVIRT
        return libvirt_ask(deadline, ret);
#else
        return libvirt_facts_new("hostprep is built without the libvirt API", ret);
#endif
}

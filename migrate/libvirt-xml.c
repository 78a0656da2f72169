/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt-xml.h"
#include "macro.h"
#include "template.h"
#include "util.h"

/* no network, no entity expansion (XML_PARSE_NOENT unset), errors returned instead of printed */
#define XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
#define NBD_PORT    10809

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlURIPtr, xmlFreeURI)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlXPathContextPtr, xmlXPathFreeContext)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlXPathObjectPtr, xmlXPathFreeObject)

/* s escaped by libxml2 for XML text and double-quoted attributes (& < > " and CR). */
static char *xml_text(const char *s)
{
        xmlChar *e = xmlEncodeSpecialChars(NULL, BAD_CAST strempty(s));
        char *r = e ? strdup((const char *)e) : NULL;

        xmlFree(e);
        return r;
}

/* The URI's host for a socket: an IPv6 literal without its brackets. */
static char *uri_host(const xmlURI *u)
{
        size_t n = strlen(u->server);

        if (n >= 2 && u->server[0] == '[' && u->server[n - 1] == ']')
                return strndup(u->server + 1, n - 2);
        return strdup(u->server);
}

static void free_values(struct template_value *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free((char *)v[i].value);
}

/* canary-disk-nbd.xml for nbd://HOST[:PORT][/EXPORT]; *ret_no_export when the URI names no export. */
static int nbd_disk(const char *const *dirs, const char *disk, char **ret, bool *ret_no_export,
                    char **ret_error)
{
        _cleanup_(xmlFreeURIp) xmlURIPtr u = xmlParseURI(disk);
        _cleanup_free_ char *host = NULL, *port = NULL;
        const char *export = NULL;
        int r;

        if (!u || !u->server || !*u->server) {
                *ret_error =
                        strdup_printf("cannot read the disk %s: expected nbd://HOST[:PORT][/EXPORT]", disk);
                return -EINVAL;
        }
        if (u->path && u->path[0] == '/')
                export = u->path + 1;
        host = uri_host(u);
        port = strdup_printf("%d", u->port > 0 ? u->port : NBD_PORT);
        if (!host || !port)
                return -ENOMEM;
        struct template_value v[] = {
                {"EXPORT", xml_text(export)}, {"HOST", xml_text(host)}, {"PORT", xml_text(port)}};
        r = -ENOMEM;
        if (v[0].value && v[1].value && v[2].value)
                r = template_render_file(dirs, "canary-disk-nbd.xml", v, ELEMENTSOF(v), ret, ret_error);
        free_values(v, ELEMENTSOF(v));
        *ret_no_export = !export || !*export;
        return r;
}

/* The <disk> element's text, without its last newline ("" without a disk). */
static int disk_text(const char *const *dirs, const char *disk, char **ret, bool *ret_no_export,
                     char **ret_error)
{
        _cleanup_free_ char *text = NULL, *file = NULL;
        size_t n;
        int r;

        *ret_no_export = false;
        if (!disk) {
                *ret = strdup("");
                return *ret ? 0 : -ENOMEM;
        }
        if (startswith(disk, "nbd://"))
                r = nbd_disk(dirs, disk, &text, ret_no_export, ret_error);
        else {
                file = xml_text(disk);
                const struct template_value v[] = {{"FILE", file}};
                r = file ? template_render_file(dirs, "canary-disk-file.xml", v, 1, &text, ret_error)
                         : -ENOMEM;
        }
        if (r < 0)
                return r;
        n = strlen(text);
        if (n > 0 && text[n - 1] == '\n')
                text[n - 1] = '\0';
        *ret = TAKE_PTR(text);
        return 0;
}

/* XML as libxml2 parses it: NULL with *ret_error naming the line of the first error. */
static xmlDocPtr xml_parse(const char *text, const char *what, char **ret_error)
{
        xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), what, NULL, XML_OPTIONS);
        const xmlError *e;
        _cleanup_free_ char *message = NULL;

        if (doc)
                return doc;
        e = xmlGetLastError();
        message = e && e->message ? strdup(e->message) : NULL;
        *ret_error = message ? strdup_printf("%s:%d: %s", what, e->line, strip(message))
                             : strdup_printf("%s: not well-formed XML", what);
        return NULL;
}

/* An nbd:// disk without an export: no name attribute at all (the server's default export). */
static int drop_nbd_name(xmlDocPtr doc)
{
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr o = NULL;

        if (!ctx)
                return -ENOMEM;
        o = xmlXPathEvalExpression(BAD_CAST "/domain/devices/disk/source[@protocol='nbd']", ctx);
        if (!o)
                return -ENOMEM;
        for (int i = 0; o->nodesetval && i < o->nodesetval->nodeNr; i++)
                xmlUnsetProp(o->nodesetval->nodeTab[i], BAD_CAST "name");
        return 0;
}

static int domain_text(const char *const *dirs, const struct canary_domain *d, const char *disk, char **ret,
                       char **ret_error)
{
        struct template_value v[] = {
                {"NAME", xml_text(d->name)},     {"MEMORY_MIB", strdup_printf("%u", d->mem_mib)},
                {"KERNEL", xml_text(d->kernel)}, {"CMDLINE", xml_text(d->cmdline)},
                {"DISK", strdup(disk)},
        };
        int r = -ENOMEM;

        if (v[0].value && v[1].value && v[2].value && v[3].value && v[4].value)
                r = template_render_file(dirs, "canary-domain.xml", v, ELEMENTSOF(v), ret, ret_error);
        free_values(v, ELEMENTSOF(v));
        return r;
}

int canary_domain_xml(const char *const *template_dirs, const struct canary_domain *d, char **ret,
                      char **ret_error)
{
        _cleanup_free_ char *disk = NULL, *text = NULL;
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        xmlChar *out = NULL;
        bool no_export;
        int r, n = 0;

        *ret_error = NULL;
        r = disk_text(template_dirs, d->disk, &disk, &no_export, ret_error);
        if (r >= 0)
                r = domain_text(template_dirs, d, disk, &text, ret_error);
        if (r < 0)
                return r;
        /* parsed back: the text libvirt gets is well-formed whatever the template and the values hold */
        doc = xml_parse(text, "canary-domain.xml", ret_error);
        if (!doc)
                return -EINVAL;
        if (no_export && drop_nbd_name(doc) < 0)
                return -ENOMEM;
        xmlDocDumpMemory(doc, &out, &n);
        if (!out)
                return -ENOMEM;
        *ret = strdup((const char *)out);
        xmlFree(out);
        return *ret ? 0 : -ENOMEM;
}

int capabilities_host_uuid(const char *caps, char **ret)
{
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr o = NULL;
        _cleanup_free_ char *error = NULL, *uuid = NULL;
        const char *u;

        doc = xml_parse(caps, "capabilities", &error);
        if (!doc)
                return -EINVAL;
        ctx = xmlXPathNewContext(doc);
        if (!ctx)
                return -ENOMEM;
        o = xmlXPathEvalExpression(BAD_CAST "string(/capabilities/host/uuid)", ctx);
        if (!o)
                return -ENOMEM;
        if (o->type != XPATH_STRING || !o->stringval)
                return -ENODATA;
        uuid = strdup((const char *)o->stringval);
        if (!uuid)
                return -ENOMEM;
        u = strip(uuid);
        if (!*u)
                return -ENODATA;
        *ret = strdup(u);
        return *ret ? 0 : -ENOMEM;
}

int libvirt_uri_endpoint(const char *uri, char **ret_host, char **ret_port)
{
        static const struct {
                const char *scheme;
                int port;
        } remote[] = {{"qemu+tcp", 16509}, {"qemu+tls", 16514}, {"qemu", 16514}, {"qemu+ssh", 22}};
        _cleanup_(xmlFreeURIp) xmlURIPtr u = xmlParseURI(uri);
        _cleanup_free_ char *host = NULL, *port = NULL;

        if (!u || !u->scheme || !u->server || !*u->server)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(remote); i++) {
                if (!streq(u->scheme, remote[i].scheme))
                        continue;
                host = uri_host(u);
                port = strdup_printf("%d", u->port > 0 ? u->port : remote[i].port);
                if (!host || !port)
                        return -ENOMEM;
                *ret_host = TAKE_PTR(host);
                *ret_port = TAKE_PTR(port);
                return 1;
        }
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "domainxml.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <limits.h>

#include "hostfs.h"
#include "strv.h"
#include "util.h"

/* No network, no entity substitution (XML_PARSE_NOENT unset), nothing printed; line numbers past 65535. */
#define DOMAIN_XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES)

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
/* libxml2 2.9 frees the context without the element positions it recorded (record_info) */
static void parser_ctxt_free(xmlParserCtxtPtr ctxt)
{
        if (!ctxt)
                return;
        xmlClearNodeInfoSeq(&ctxt->node_seq);
        xmlFreeParserCtxt(ctxt);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlParserCtxtPtr, parser_ctxt_free)

static bool is_element(const xmlNode *n, const char *name)
{
        return n->type == XML_ELEMENT_NODE && streq((const char *)n->name, name);
}

static xmlNode *child(const xmlNode *n, const char *name)
{
        for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
                if (is_element(c, name))
                        return c;
        return NULL;
}

/* An attribute's value, as libxml2 keeps it (entities are not substituted), or NULL; -ENOMEM through
 * *oom. */
static char *attr(const xmlNode *n, const char *name, bool *oom)
{
        xmlChar *v = n ? xmlGetNoNsProp(n, BAD_CAST name) : NULL;
        char *s = NULL;

        if (!v)
                return NULL;
        s = strdup((const char *)v);
        xmlFree(v);
        if (!s)
                *oom = true;
        return s;
}

static char *attr_or(const xmlNode *n, const char *name, const char *fallback, bool *oom)
{
        char *s = attr(n, name, oom);

        if (!s && !*oom && fallback) {
                s = strdup(fallback);
                if (!s)
                        *oom = true;
        }
        return s;
}

static unsigned line_of(const xmlNode *n)
{
        long l = xmlGetLineNo(n);

        return l > 0 && l <= UINT_MAX ? (unsigned)l : 0;
}

/* Grows *array of *n elements of size by one zeroed element; NULL on -ENOMEM. */
static void *append(void *array_p, size_t *n, size_t size)
{
        void **array = array_p;
        char *a = reallocarray(*array, *n + 1, size);

        if (!a)
                return NULL;
        *array = a;
        memset(a + *n * size, 0, size);
        return a + (*n)++ * size;
}

/* "nbd://HOST:PORT/NAME" from <source protocol= name=><host name= port= socket=/></source>. */
static char *network_source(const xmlNode *source, const char *protocol, bool *oom)
{
        _cleanup_free_ char *name = attr(source, "name", oom), *host = NULL, *port = NULL, *sock = NULL;
        xmlNode *h = child(source, "host");
        char *s;

        host = attr(h, "name", oom);
        port = attr(h, "port", oom);
        sock = attr(h, "socket", oom);
        if (sock)
                s = strdup_printf("%s+unix:///%s?socket=%s", protocol, strempty(name), sock);
        else
                s = strdup_printf("%s://%s%s%s/%s", protocol, strempty(host), port ? ":" : "",
                                  strempty(port), strempty(name));
        if (!s)
                *oom = true;
        return s;
}

static int parse_disk(struct domain_def *d, const xmlNode *n)
{
        struct domain_disk *k = append(&d->disks, &d->n_disks, sizeof(*k));
        xmlNode *source = child(n, "source");
        bool oom = false;

        if (!k)
                return -ENOMEM;
        k->line = line_of(n);
        k->type = attr_or(n, "type", "file", &oom);
        k->device = attr_or(n, "device", "disk", &oom);
        k->cache = attr(child(n, "driver"), "cache", &oom);
        k->target = attr(child(n, "target"), "dev", &oom);
        k->readonly = child(n, "readonly") != NULL;
        k->shareable = child(n, "shareable") != NULL;
        if (oom)
                return -ENOMEM;
        if (streq(k->type, "network") && source) {
                k->protocol = attr_or(source, "protocol", "", &oom);
                k->source = oom ? NULL : network_source(source, k->protocol, &oom);
        } else if (streq(k->type, "volume") && source) {
                _cleanup_free_ char *pool = attr(source, "pool", &oom), *vol = attr(source, "volume", &oom);
                k->source = pool || vol ? strdup_printf("%s/%s", strempty(pool), strempty(vol)) : NULL;
                oom = oom || ((pool || vol) && !k->source);
        } else if (source) {
                const char *key = streq(k->type, "block") ? "dev" : streq(k->type, "dir") ? "dir" : "file";
                k->source = attr(source, key, &oom);
        }
        return oom ? -ENOMEM : 0;
}

static int parse_chardev(struct domain_def *d, const xmlNode *n)
{
        struct domain_chardev *c = append(&d->chardevs, &d->n_chardevs, sizeof(*c));
        bool oom = false;

        if (!c)
                return -ENOMEM;
        c->line = line_of(n);
        c->element = strdup((const char *)n->name);
        oom = !c->element;
        /* libvirt's default for a character device without a type */
        c->type = attr_or(n, "type", "pty", &oom);
        c->path = attr(child(n, "source"), "path", &oom);
        if (!c->path && !oom) {
                c->path = attr(child(n, "log"), "file", &oom);
                c->log = c->path != NULL;
        }
        if (is_element(n, "channel"))
                c->target = attr(child(n, "target"), "name", &oom);
        return oom ? -ENOMEM : 0;
}

static unsigned long hex_attr(const xmlNode *n, const char *name)
{
        xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
        unsigned long x = v ? strtoul((const char *)v, NULL, 0) : 0;

        xmlFree(v);
        return x;
}

/* The device of a <hostdev> or <interface type='hostdev'> as lspci/lsusb name it. */
static char *hostdev_what(const xmlNode *source, const char *type, bool *oom)
{
        xmlNode *a = child(source, "address");
        char *s = NULL;

        if (streq(type, "pci") && a)
                s = strdup_printf("%04lx:%02lx:%02lx.%lx", hex_attr(a, "domain"), hex_attr(a, "bus"),
                                  hex_attr(a, "slot"), hex_attr(a, "function"));
        else if (streq(type, "usb") && child(source, "vendor"))
                s = strdup_printf("%04lx:%04lx", hex_attr(child(source, "vendor"), "id"),
                                  hex_attr(child(source, "product"), "id"));
        else if (streq(type, "usb") && a)
                s = strdup_printf("bus %lu device %lu", hex_attr(a, "bus"), hex_attr(a, "device"));
        else if (a)
                return attr(a, "uuid", oom);
        else
                return NULL;
        if (!s)
                *oom = true;
        return s;
}

static int parse_hostdev(struct domain_def *d, const xmlNode *n, bool interface)
{
        struct domain_hostdev *h = append(&d->hostdevs, &d->n_hostdevs, sizeof(*h));
        _cleanup_free_ char *teaming = NULL;
        bool oom = false;

        if (!h)
                return -ENOMEM;
        h->line = line_of(n);
        h->interface = interface;
        h->mode = attr_or(n, "mode", "subsystem", &oom);
        /* an <interface type='hostdev'> is a PCI device (an SR-IOV function) */
        h->type = interface ? strdup("pci") : attr_or(n, "type", "", &oom);
        oom = oom || !h->type;
        if (oom)
                return -ENOMEM;
        h->what = hostdev_what(child(n, "source"), h->type, &oom);
        teaming = attr(child(n, "teaming"), "type", &oom);
        h->teaming_transient = teaming && streq(teaming, "transient");
        return oom ? -ENOMEM : 0;
}

static int parse_interface(struct domain_def *d, const xmlNode *n)
{
        struct domain_interface *i = append(&d->interfaces, &d->n_interfaces, sizeof(*i));
        bool oom = false;

        if (!i)
                return -ENOMEM;
        i->line = line_of(n);
        i->type = attr_or(n, "type", "", &oom);
        if (!oom && streq(i->type, "vhostuser"))
                i->socket = attr(child(n, "source"), "path", &oom);
        if (!oom && streq(i->type, "bridge"))
                i->bridge = attr(child(n, "source"), "bridge", &oom);
        if (!oom && child(n, "mtu"))
                i->mtu = (unsigned)hex_attr(child(n, "mtu"), "size");
        if (!oom && streq(i->type, "hostdev"))
                return parse_hostdev(d, n, true);
        return oom ? -ENOMEM : 0;
}

static int parse_filesystem(struct domain_def *d, const xmlNode *n)
{
        struct domain_filesystem *f = append(&d->filesystems, &d->n_filesystems, sizeof(*f));
        bool oom = false;

        if (!f)
                return -ENOMEM;
        f->line = line_of(n);
        f->driver = attr(child(n, "driver"), "type", &oom);
        f->target = attr(child(n, "target"), "dir", &oom);
        return oom ? -ENOMEM : 0;
}

static int parse_devices(struct domain_def *d, const xmlNode *devices)
{
        int r = 0;

        for (xmlNode *n = devices ? devices->children : NULL; n && r >= 0; n = n->next) {
                if (is_element(n, "disk"))
                        r = parse_disk(d, n);
                else if (is_element(n, "serial") || is_element(n, "console") || is_element(n, "channel") ||
                         is_element(n, "parallel"))
                        r = parse_chardev(d, n);
                else if (is_element(n, "hostdev"))
                        r = parse_hostdev(d, n, false);
                else if (is_element(n, "interface"))
                        r = parse_interface(d, n);
                else if (is_element(n, "filesystem"))
                        r = parse_filesystem(d, n);
        }
        return r;
}

struct first_error {
        int line;
        char *message;
        bool oom;
};

/* libxml2 reports every error of a document; the first one is where it went wrong (the last is often
 * "Premature end of data" at the end of the file). Called with the parser context as data. */
static void keep_first_error(void *data, xmlErrorPtr e)
{
        xmlParserCtxtPtr ctxt = data;
        struct first_error *first = ctxt->_private;

        if (!first || first->message || first->oom || !e)
                return;
        first->line = e->line;
        first->message = strdup(e->message ? e->message : "not well-formed XML");
        first->oom = !first->message;
}

static int parse_error(const struct first_error *first, const char *file, char **ret_error)
{
        _cleanup_free_ char *message = NULL;

        if (first->oom)
                return -ENOMEM;
        if (!ret_error)
                return -EBADMSG;
        message = strdup(first->message ? first->message : "not well-formed XML");
        *ret_error =
                message ? strdup_printf("%s:%d: %s", file, first->line > 0 ? first->line : 1, strip(message))
                        : NULL;
        return -EBADMSG;
}

static int bad(char **ret_error, const char *file, unsigned line, const char *what)
{
        if (ret_error)
                *ret_error = strdup_printf("%s:%u: %s", file, line, what);
        return -EBADMSG;
}

static unsigned doctype_line(const char *text, size_t len)
{
        const char *d = memmem(text, len, "<!DOCTYPE", strlen("<!DOCTYPE"));
        unsigned line = 1;

        for (const char *p = text; d && p < d; p++)
                line += *p == '\n';
        return line;
}

static int parse_doc(const char *file, xmlDocPtr doc, struct domain_def **ret, char **ret_error)
{
        _cleanup_(domain_def_freep) struct domain_def *d = NULL;
        xmlNode *root = xmlDocGetRootElement(doc), *name;
        bool oom = false;
        int r;

        if (!root || !is_element(root, "domain"))
                return bad(ret_error, file, root ? line_of(root) : 1, "the root element is not <domain>");
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->line = line_of(root);
        d->file = strdup(file);
        name = child(root, "name");
        if (name) {
                xmlChar *text = xmlNodeGetContent(name);
                d->name = text ? strdup(strip((char *)text)) : NULL;
                oom = !text || !d->name;
                xmlFree(text);
        }
        if (!d->file || oom)
                return -ENOMEM;
        if (!d->name || !*d->name)
                return bad(ret_error, file, name ? line_of(name) : d->line, "the domain has no <name>");
        r = parse_devices(d, child(root, "devices"));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}

/* Parses text into *ret_ctxt's document (ctxt->myDoc), recording where each element starts in the text
 * when positions is set (xmlParserFindNodeInfo()). Not well-formed or with a DOCTYPE: -EBADMSG, and
 * *ret_error "FILE:LINE: what" when ret_error is not NULL. */
static int read_doc(const char *file, const char *text, size_t len, bool positions,
                    xmlParserCtxtPtr *ret_ctxt, char **ret_error)
{
        _cleanup_(parser_ctxt_freep) xmlParserCtxtPtr ctxt = NULL;
        struct first_error first = {};
        int r = 0;

        if (len > INT_MAX)
                return bad(ret_error, file, 1, "too large");
        if (len == 0)
                return bad(ret_error, file, 1, "Document is empty");
        /* not xmlCtxtReadMemory(): it resets record_info */
        ctxt = xmlCreateMemoryParserCtxt(text, (int)len);
        if (!ctxt)
                return -ENOMEM;
        (void)xmlCtxtUseOptions(ctxt, DOMAIN_XML_OPTIONS);
        ctxt->_private = &first;
        ctxt->sax->serror = keep_first_error;
        ctxt->record_info = positions;
        (void)xmlParseDocument(ctxt);
        ctxt->_private = NULL;
        if (!ctxt->wellFormed || !ctxt->myDoc)
                r = parse_error(&first, file, ret_error);
        else if (ctxt->myDoc->intSubset || ctxt->myDoc->extSubset)
                /* libxml2 keeps no line for it */
                r = bad(ret_error, file, doctype_line(text, len),
                        "a DOCTYPE is not allowed in domain XML (entities are not expanded)");
        free(first.message);
        if (r < 0) {
                xmlFreeDoc(ctxt->myDoc);
                ctxt->myDoc = NULL;
                return r;
        }
        *ret_ctxt = TAKE_PTR(ctxt);
        return 0;
}

int domain_xml_parse(const char *file, const char *text, size_t len, struct domain_def **ret,
                     char **ret_error)
{
        _cleanup_(parser_ctxt_freep) xmlParserCtxtPtr ctxt = NULL;
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        int r;

        r = read_doc(file, text, len, false, &ctxt, ret_error);
        if (r < 0)
                return r;
        doc = TAKE_PTR(ctxt->myDoc);
        return parse_doc(file, doc, ret, ret_error);
}

int domain_xml_read(const struct hostfs *fs, const char *path, struct domain_def **ret, char **ret_error)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = hostfs_read_file(fs, path, &text, &len);
        if (r < 0)
                return r;
        return domain_xml_parse(path, text, len, ret, ret_error);
}

struct domain_def *domain_def_free(struct domain_def *d)
{
        if (!d)
                return NULL;
        for (size_t i = 0; i < d->n_disks; i++) {
                struct domain_disk *k = &d->disks[i];
                free(k->type), free(k->device), free(k->source), free(k->protocol), free(k->cache);
                free(k->target);
        }
        for (size_t i = 0; i < d->n_chardevs; i++) {
                struct domain_chardev *c = &d->chardevs[i];
                free(c->element), free(c->type), free(c->path), free(c->target);
        }
        for (size_t i = 0; i < d->n_hostdevs; i++)
                free(d->hostdevs[i].mode), free(d->hostdevs[i].type), free(d->hostdevs[i].what);
        for (size_t i = 0; i < d->n_interfaces; i++)
                free(d->interfaces[i].type), free(d->interfaces[i].socket), free(d->interfaces[i].bridge);
        for (size_t i = 0; i < d->n_filesystems; i++)
                free(d->filesystems[i].driver), free(d->filesystems[i].target);
        free(d->disks), free(d->chardevs), free(d->hostdevs), free(d->interfaces), free(d->filesystems);
        free(d->file), free(d->name);
        free(d);
        return NULL;
}

char *domain_origin(const struct domain_def *d, unsigned line)
{
        return strdup_printf("%s:%u", d->file, line);
}

/* ---- a disk's cache, changed in place ---- */

/* One change of the text: len bytes at pos replaced by with. */
struct text_edit {
        size_t pos, len;
        char *with;
};

/* An attribute of a start tag, as it is written: its value without the quotes. */
struct tag_attr {
        const char *name, *value;
        size_t name_len, value_len;
        char quote;
};

#define XML_SPACE " \t\r\n"

/* The attribute of a start tag at *p (moved past it); false at the end of the tag. */
static bool next_attr(const char **p, struct tag_attr *ret)
{
        const char *s = *p + strspn(*p, XML_SPACE), *eq, *v, *close;

        if (!*s || *s == '/' || *s == '>')
                return false;
        ret->name = s;
        ret->name_len = strcspn(s, XML_SPACE "=/>");
        eq = s + ret->name_len;
        eq += strspn(eq, XML_SPACE);
        if (*eq != '=')
                return false;
        v = eq + 1 + strspn(eq + 1, XML_SPACE);
        close = *v == '\'' || *v == '"' ? strchr(v + 1, *v) : NULL;
        if (!close)
                return false;
        ret->quote = *v;
        ret->value = v + 1;
        ret->value_len = close - v - 1;
        *p = close + 1;
        return true;
}

static bool attr_is(const struct tag_attr *a, const char *name)
{
        return a->name_len == strlen(name) && strneq(a->name, name, a->name_len);
}

/* The edit that gives the start tag at text + tag the attribute name=value: its value replaced where it
 * is, else the attribute added after the first of after[] that the tag has (libvirt's order), else after
 * the element's name; quoted as the tag's other attributes are. */
static int tag_set_attr(const char *text, size_t tag, const char *name, const char *value,
                        const char *const *after, struct text_edit *ret)
{
        const char *p = text + tag + strcspn(text + tag, XML_SPACE "/>"), *insert = p;
        size_t rank = SIZE_MAX;
        char quote = '\'';
        struct tag_attr a;

        while (next_attr(&p, &a)) {
                quote = a.quote;
                if (attr_is(&a, name)) {
                        *ret = (struct text_edit){a.value - text, a.value_len, strdup(value)};
                        return ret->with ? 0 : -ENOMEM;
                }
                for (size_t i = 0; after[i] && i < rank; i++)
                        if (attr_is(&a, after[i])) {
                                rank = i;
                                insert = p;
                        }
        }
        *ret = (struct text_edit){insert - text, 0, strdup_printf(" %s=%c%s%c", name, quote, value, quote)};
        return ret->with ? 0 : -ENOMEM;
}

/* The edits (one per target, in document order) that set cache on the <driver> of the target disks. */
static int disk_cache_edits(xmlParserCtxtPtr ctxt, xmlDocPtr doc, const char *text, char *const *targets,
                            const char *cache, struct text_edit *edits, size_t *n)
{
        static const char *const after[] = {"type", "name", NULL};
        xmlNode *devices = child(xmlDocGetRootElement(doc), "devices");
        size_t want = strv_length(targets), len = strlen(text);

        for (xmlNode *k = devices ? devices->children : NULL; k; k = k->next) {
                _cleanup_free_ char *dev = NULL;
                const xmlParserNodeInfo *info;
                xmlNode *driver;
                bool oom = false;
                int r;

                if (!is_element(k, "disk"))
                        continue;
                dev = attr(child(k, "target"), "dev", &oom);
                if (oom)
                        return -ENOMEM;
                if (!dev || !strv_contains(targets, dev))
                        continue;
                driver = child(k, "driver");
                info = driver ? xmlParserFindNodeInfo(ctxt, driver) : NULL;
                if (!info || info->begin_pos >= len || !startswith(text + info->begin_pos, "<driver") ||
                    *n == want)
                        return -EBADMSG;
                r = tag_set_attr(text, info->begin_pos, "cache", cache, after, &edits[(*n)++]);
                if (r < 0)
                        return r;
        }
        return *n == want ? 0 : -EBADMSG;
}

static char *apply_edits(const char *text, const struct text_edit *edits, size_t n)
{
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, pos = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                fwrite(text + pos, 1, edits[i].pos - pos, f);
                fputs(edits[i].with, f);
                pos = edits[i].pos + edits[i].len;
        }
        fputs(text + pos, f);
        return fclose(f) == 0 ? TAKE_PTR(buf) : NULL;
}

/* Whether text reads back with cache on every target disk. */
static bool disk_cache_is(const char *file, const char *text, char *const *targets, const char *cache)
{
        _cleanup_(domain_def_freep) struct domain_def *d = NULL;
        size_t found = 0;

        if (domain_xml_parse(file, text, strlen(text), &d, NULL) < 0)
                return false;
        for (size_t i = 0; i < d->n_disks; i++)
                if (d->disks[i].target && strv_contains(targets, d->disks[i].target)) {
                        if (!streq_ptr(d->disks[i].cache, cache))
                                return false;
                        found++;
                }
        return found == strv_length(targets);
}

int domain_xml_set_disk_cache(const char *file, const char *text, char *const *targets, const char *cache,
                              char **ret, char **ret_error)
{
        _cleanup_(parser_ctxt_freep) xmlParserCtxtPtr ctxt = NULL;
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_free_ struct text_edit *edits = NULL;
        _cleanup_free_ char *out = NULL;
        size_t n = 0;
        int r;

        if (!targets || !targets[0] || !*cache || strpbrk(cache, "'\"&<>"))
                return -EINVAL;
        r = read_doc(file, text, strlen(text), true, &ctxt, ret_error);
        if (r < 0)
                return r;
        doc = TAKE_PTR(ctxt->myDoc);
        edits = calloc(strv_length(targets), sizeof(*edits));
        if (!edits)
                return -ENOMEM;
        r = disk_cache_edits(ctxt, doc, text, targets, cache, edits, &n);
        if (r >= 0) {
                out = apply_edits(text, edits, n);
                r = out ? 0 : -ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                free(edits[i].with);
        /* the change must read back as meant, and be the only one (each target once, on its <driver>) */
        if (r == -EBADMSG || (r >= 0 && !disk_cache_is(file, out, targets, cache)))
                return bad(ret_error, file, 1, "not every disk named has a <driver> element to change");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}

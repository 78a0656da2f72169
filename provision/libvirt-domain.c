/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libvirt domains' definitions read and defined again, each call in a child under a deadline. A child
 * answers with one letter and NUL-terminated text: D (a listing: NAME, UUID, STATE, XML per domain), N
 * (defined: the definition now), A (already so, or only read: the definition), S (stale: the definition
 * as it is), M (no such persistent domain), E (libvirt's error message). */
#include "libvirt-domain.h"

#include "config.h"

#if HAVE_LIBVIRT
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#endif

#include "spawn.h"
#include "strv.h"

void libvirt_domain_xml_free_many(struct libvirt_domain_xml *d, size_t n)
{
        for (size_t i = 0; d && i < n; i++) {
                free(d[i].name);
                free(d[i].uuid);
                free(d[i].xml);
        }
        free(d);
}

usec_t libvirt_call_deadline(usec_t limit)
{
        usec_t d = now_usec() + LIBVIRT_CALL_TIMEOUT;

        return limit && limit < d ? limit : d;
}

char *libvirt_define_strerror(const char *domain, const char *uri, int r, const char *error)
{
        switch (r) {
        case -ENOENT:
                return strdup_printf("domain %s has no persistent definition in %s (any more)", domain, uri);
        case -ETIMEDOUT:
                return strdup_printf("libvirtd (%s) did not answer within the deadline", uri);
        case -EOPNOTSUPP:
                return strdup("hostprep is built without libvirt: it cannot define domains");
        case -EIO:
                return strdup_printf("%s: %s", uri,
                                     error ? error : "the libvirt child gave no answer (it crashed?)");
        default:
                return strdup_printf("domain %s: %s", domain, strerror(-r));
        }
}

#if HAVE_LIBVIRT
#define DEFINITION_FLAGS (VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE)

static void libvirt_silence(void *opaque, virErrorPtr e)
{
        /* libvirt prints its errors by default; the child's answer carries them */
}

/* In a child: the answer, tag and text with its NUL. The child's exit status says whether it went. */
static int reply(int fd, char tag, const char *text)
{
        _cleanup_free_ char *buf = strdup_printf("%c%s", tag, strempty(text));

        return buf && spawn_reply(fd, buf, strlen(buf) + 1) >= 0 ? 0 : 1;
}

static int reply_error(int fd)
{
        const char *m = virGetLastErrorMessage();

        return reply(fd, 'E', m ? m : "unknown libvirt error");
}

static void put_field(FILE *f, const char *s)
{
        fwrite(s, 1, strlen(s) + 1, f);
}

/* In a child: "D" and NAME, UUID, STATE ("p" persistent or "-", "a" active or "-"), XML for each domain. */
static int list_child(void *userdata, int fd)
{
        const struct libvirt_listing *l = userdata;
        _cleanup_free_ char *buf = NULL;
        virDomainPtr *doms = NULL;
        virConnectPtr c;
        size_t size = 0;
        FILE *out;
        int n;

        virSetErrorFunc(NULL, libvirt_silence);
        /* read-write unless asked: the secure parts of the XML need it */
        c = l->read_only ? virConnectOpenReadOnly(l->uri) : virConnectOpen(l->uri);
        if (!c)
                return reply_error(fd);
        n = virConnectListAllDomains(c, &doms, l->running_only ? VIR_CONNECT_LIST_DOMAINS_ACTIVE : 0);
        if (n < 0)
                return reply_error(fd);
        out = open_memstream(&buf, &size);
        if (!out)
                return 1;
        fputc('D', out);
        for (int i = 0; i < n; i++) {
                char uuid[VIR_UUID_STRING_BUFLEN], state[3];
                bool persistent = virDomainIsPersistent(doms[i]) == 1;
                unsigned flags = (persistent && !l->running_only ? VIR_DOMAIN_XML_INACTIVE : 0) |
                                 (l->read_only ? 0 : VIR_DOMAIN_XML_SECURE);
                char *xml = virDomainGetXMLDesc(doms[i], flags);
                const char *name = virDomainGetName(doms[i]);

                state[0] = persistent ? 'p' : '-';
                state[1] = virDomainIsActive(doms[i]) == 1 ? 'a' : '-';
                state[2] = '\0';
                /* one undefined (or stopped) since the listing is not there any more */
                if (xml && name && virDomainGetUUIDString(doms[i], uuid) == 0) {
                        put_field(out, name);
                        put_field(out, uuid);
                        put_field(out, state);
                        put_field(out, xml);
                }
                free(xml);
        }
        if (fclose(out) != 0)
                return 1;
        return spawn_reply(fd, buf, size) < 0 ? 1 : 0;
}

/* In a child: read the definition and, when it is what the caller expects, define the new one. */
static int define_child(void *userdata, int fd)
{
        const struct libvirt_define *d = userdata;
        virDomainPtr dom, defined;
        virConnectPtr c;
        char *cur, *now;

        virSetErrorFunc(NULL, libvirt_silence);
        c = virConnectOpen(d->uri);
        if (!c)
                return reply_error(fd);
        dom = virDomainLookupByUUIDString(c, d->uuid);
        if (!dom)
                return virGetLastErrorCode() == VIR_ERR_NO_DOMAIN ? reply(fd, 'M', NULL) : reply_error(fd);
        /* defining a transient domain would make it persistent: not what an edit of a definition is */
        if (virDomainIsPersistent(dom) != 1)
                return reply(fd, 'M', NULL);
        cur = virDomainGetXMLDesc(dom, DEFINITION_FLAGS);
        if (!cur)
                return reply_error(fd);
        if (!d->want || streq(cur, d->want))
                return reply(fd, 'A', cur);
        if (d->expect && !strv_contains((char *const *)d->expect, cur))
                return reply(fd, 'S', cur);
        defined = virDomainDefineXML(c, d->want);
        if (!defined)
                return reply_error(fd);
        now = virDomainGetXMLDesc(defined, DEFINITION_FLAGS);
        /* defined, whatever the reading back says */
        return reply(fd, 'N', now ? now : d->want);
}

/* What a child answered: its tag, and its text in *ret_text (not copied); -EIO when it gave nothing. */
static int answer(const char *buf, size_t len, const char *tags, const char **ret_text, char **ret_error)
{
        /* spawn_call()'s answer is NUL-terminated past its length */
        if (len < 1 || !buf[0] || !strchr(tags, buf[0]))
                return -EIO;
        *ret_text = buf + 1;
        if (buf[0] == 'E') {
                if (ret_error)
                        *ret_error = strdup(buf + 1);
                return -EIO;
        }
        return buf[0];
}

static int parse_listing(const char *p, const char *end, struct libvirt_domain_xml **ret, size_t *ret_n)
{
        struct libvirt_domain_xml *v = NULL;
        size_t n = 0;

        while (p < end) {
                const char *f[4];
                struct libvirt_domain_xml *nv;

                for (size_t i = 0; i < 4; i++) {
                        f[i] = p < end ? p : "";
                        p = p < end ? p + strlen(p) + 1 : p;
                }
                nv = reallocarray(v, n + 1, sizeof(*v));
                if (!nv) {
                        libvirt_domain_xml_free_many(v, n);
                        return -ENOMEM;
                }
                v = nv;
                v[n] = (struct libvirt_domain_xml){
                        .name = strdup(f[0]),
                        .uuid = strdup(f[1]),
                        .persistent = f[2][0] == 'p',
                        .active = f[2][0] && f[2][1] == 'a',
                        .xml = strdup(f[3]),
                };
                if (!v[n].name || !v[n].uuid || !v[n++].xml) {
                        libvirt_domain_xml_free_many(v, n);
                        return -ENOMEM;
                }
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

/* Runs fn in a child until deadline: the letter it answered with (one of tags), its text in *ret_text,
 * which lies in *ret_buf (len bytes). */
static int call_child(int (*fn)(void *userdata, int fd), const void *userdata, usec_t deadline,
                      const char *tags, char **ret_buf, size_t *ret_len, const char **ret_text,
                      char **ret_error)
{
        int r = spawn_call(deadline, fn, (void *)userdata, 0, ret_buf, ret_len, NULL);

        return r < 0 ? r : answer(*ret_buf, *ret_len, tags, ret_text, ret_error);
}

int libvirt_domains_read(const struct libvirt_listing *l, usec_t deadline, struct libvirt_domain_xml **ret,
                         size_t *ret_n, char **ret_error)
{
        _cleanup_free_ char *buf = NULL;
        const char *text;
        size_t len = 0;
        int r;

        r = call_child(list_child, l, deadline, "DE", &buf, &len, &text, ret_error);
        if (r < 0)
                return r;
        return parse_listing(text, buf + len, ret, ret_n);
}

int libvirt_domain_define(const struct libvirt_define *d, usec_t deadline, char **ret_xml, char **ret_error)
{
        _cleanup_free_ char *buf = NULL;
        const char *text;
        size_t len = 0;
        int r;

        r = call_child(define_child, d, deadline, "NASME", &buf, &len, &text, ret_error);
        if (r < 0)
                return r;
        if (r == 'M')
                return -ENOENT;
        if (ret_xml && !(*ret_xml = strdup(text)))
                return -ENOMEM;
        return r == 'N' ? 0 : r == 'A' ? 1 : -ESTALE;
}
#else
int libvirt_domains_read(const struct libvirt_listing *l, usec_t deadline, struct libvirt_domain_xml **ret,
                         size_t *ret_n, char **ret_error)
{
        return -EOPNOTSUPP;
}

int libvirt_domain_define(const struct libvirt_define *d, usec_t deadline, char **ret_xml, char **ret_error)
{
        return -EOPNOTSUPP;
}
#endif

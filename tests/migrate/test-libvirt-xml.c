/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migrate/libvirt-xml.c without libvirt: the canary's domain XML from templates/ (golden files in
 * tests/migrate/expected/, HOSTPREP_REGENERATE=1 rewrites them), values that need escaping read back
 * unchanged, errors naming the template, the host UUID of capabilities documents (no entities fetched),
 * and the endpoints of libvirt URIs.
 *   test-libvirt-xml TEMPLATES-DIR EXPECTED-DIR
 */
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libvirt-xml.h"
#include "test-util.h"
#include "util.h"

static const char *templates, *expected;

static char *render(const char *const *dirs, const struct canary_domain *d, int want_r, char **ret_error)
{
        char *xml = NULL, *error = NULL;
        int r = canary_domain_xml(dirs, d, &xml, &error);

        CHECK(r == want_r, "%s: returned %d, want %d (%s)", strna(d->disk), r, want_r, strna(error));
        if (ret_error)
                *ret_error = error;
        else
                free(error);
        return xml;
}

static void golden(const char *name, const struct canary_domain *d)
{
        const char *dirs[] = {templates, NULL};
        _cleanup_free_ char *xml = render(dirs, d, 0, NULL), *path = strdup_printf("%s/%s", expected, name),
                            *want = NULL;

        if (!xml || !path)
                return;
        if (getenv("HOSTPREP_REGENERATE") && streq(getenv("HOSTPREP_REGENERATE"), "1")) {
                FILE *f = fopen(path, "we");
                CHECK(f && fputs(xml, f) >= 0 && fclose(f) == 0, "cannot write %s", path);
                return;
        }
        want = read_text(path);
        CHECK(want && streq(want, xml), "%s differs from what hostprep writes:\n%s", path, xml);
}

/* The string value of an XPath expression in xml, or NULL. */
static char *xpath_string(const char *xml, const char *expr)
{
        xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, XML_PARSE_NONET);
        xmlXPathContextPtr ctx = doc ? xmlXPathNewContext(doc) : NULL;
        xmlXPathObjectPtr o = ctx ? xmlXPathEvalExpression(BAD_CAST expr, ctx) : NULL;
        char *s = o && o->type == XPATH_STRING ? strdup((const char *)o->stringval) : NULL;

        xmlXPathFreeObject(o);
        xmlXPathFreeContext(ctx);
        xmlFreeDoc(doc);
        return s;
}

static void expect_xpath(const char *xml, const char *expr, const char *want)
{
        _cleanup_free_ char *got = xml ? xpath_string(xml, expr) : NULL;

        CHECK(got && streq(got, want), "%s: got \"%s\", want \"%s\"", expr, strna(got), want);
}

static void test_domain(void)
{
        const char *dirs[] = {templates, NULL};
        struct canary_domain d = {
                .name = "hostprep-canary-1-2",
                .kernel = "/usr/share/hostprep/canary.elf",
                .cmdline = "hostprep-canary",
                .disk = "nbd://10.213.0.11:10809/canary",
                .mem_mib = 64,
        };

        golden("canary-nbd.xml", &d);
        d.disk = "/var/lib/libvirt/images/canary.raw";
        golden("canary-file.xml", &d);
        d.disk = NULL;
        d.cmdline = NULL;
        golden("canary-no-disk.xml", &d);

        /* every character XML cares about, in text and in attributes, reads back as it was given */
        d = (struct canary_domain){.name = "a<b>&c\"d'e",
                                   .kernel = "/k/&amp;'\"<.elf",
                                   .cmdline = "x=1 <y> & \"z\"",
                                   .disk = "/img/it's \"&<>.raw",
                                   .mem_mib = 32};
        _cleanup_free_ char *xml = render(dirs, &d, 0, NULL);
        expect_xpath(xml, "string(/domain/name)", d.name);
        expect_xpath(xml, "string(/domain/os/kernel)", d.kernel);
        expect_xpath(xml, "string(/domain/os/cmdline)", d.cmdline);
        expect_xpath(xml, "string(/domain/devices/disk/source/@file)", d.disk);
        expect_xpath(xml, "string(/domain/memory)", "32");

        /* nbd: an IPv6 literal without brackets, the default port, no name attribute without an export */
        d.disk = "nbd://[fd00::11]";
        _cleanup_free_ char *nbd = render(dirs, &d, 0, NULL);
        expect_xpath(nbd, "string(/domain/devices/disk/source/host/@name)", "fd00::11");
        expect_xpath(nbd, "string(/domain/devices/disk/source/host/@port)", "10809");
        expect_xpath(nbd, "string(count(/domain/devices/disk/source/@name))", "0");
        /* the export is the URI's path, %-decoded */
        d.disk = "nbd://h1:1234/it's%20%22x%22";
        _cleanup_free_ char *named = render(dirs, &d, 0, NULL);
        expect_xpath(named, "string(/domain/devices/disk/source/@name)", "it's \"x\"");
        expect_xpath(named, "string(/domain/devices/disk/source/host/@port)", "1234");

        _cleanup_free_ char *error = NULL;
        d.disk = "nbd://";
        free(render(dirs, &d, -EINVAL, &error));
        CHECK(error && streq(error, "cannot read the disk nbd://: expected nbd://HOST[:PORT][/EXPORT]"),
              "%s", strna(error));
}

static void put(const char *dir, const char *name, const char *text)
{
        _cleanup_free_ char *path = strdup_printf("%s/%s", dir, name);
        FILE *f = path ? fopen(path, "we") : NULL;

        CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0, "cannot write %s", strna(path));
}

/* A template that does not render, or renders to XML that does not parse: an error naming it. */
static void test_bad_templates(void)
{
        char dir[] = "/tmp/test-libvirt-xml-XXXXXX";
        const char *dirs[] = {dir, templates, NULL};
        struct canary_domain d = {.name = "n", .kernel = "/k", .mem_mib = 32};
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *w1 = NULL, *path = NULL;

        if (!mkdtemp(dir)) {
                CHECK(false, "mkdtemp: %m");
                return;
        }
        path = strdup_printf("%s/canary-domain.xml", dir);
        put(dir, "canary-domain.xml", "<domain>\n@NAME@ @NOPE@\n</domain>\n");
        free(render(dirs, &d, -EINVAL, &e1));
        w1 = strdup_printf("%s:2: unknown key @NOPE@", strna(path));
        CHECK(e1 && w1 && streq(e1, w1), "unknown key: %s", strna(e1));

        put(dir, "canary-domain.xml", "<domain><name>@NAME@</name>@MEMORY_MIB@@KERNEL@@CMDLINE@\n@DISK@\n");
        free(render(dirs, &d, -EINVAL, &e2));
        CHECK(e2 && startswith(e2, "canary-domain.xml:3: "), "not well-formed: %s", strna(e2));
        unlink(path);
        rmdir(dir);
}

static void test_capabilities(void)
{
        static const struct {
                const char *caps;
                int r;
                const char *uuid;
        } cases[] = {
                {"<capabilities><host><uuid>3f6b1c5e-0000-4000-8000-000000000001</uuid><cpu/></host><guest><uuid>not-this</uuid></guest></capabilities>",
                 0, "3f6b1c5e-0000-4000-8000-000000000001"},
                {"<capabilities>\n  <host>\n    <uuid>\n      abc\n    </uuid>\n  </host>\n</capabilities>\n",
                 0, "abc"},
                /* a uuid elsewhere is not the host's */
                {"<capabilities><guest><uuid>g</uuid></guest><host/></capabilities>", -ENODATA, NULL},
                {"<capabilities><host><uuid/></host></capabilities>", -ENODATA, NULL},
                {"<capabilities><host><uuid>x</uuid></host>", -EINVAL, NULL},
                {"", -EINVAL, NULL},
                /* an external entity is never fetched */
                {"<!DOCTYPE capabilities [<!ENTITY x SYSTEM \"/etc/hostname\">]><capabilities><host><uuid>&x;</uuid></host></capabilities>",
                 -ENODATA, NULL},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *uuid = NULL;
                int r = capabilities_host_uuid(cases[i].caps, &uuid);

                CHECK(r == cases[i].r, "caps %zu: returned %d, want %d", i, r, cases[i].r);
                CHECK(!cases[i].uuid || (uuid && streq(uuid, cases[i].uuid)), "caps %zu: uuid %s", i,
                      strna(uuid));
        }
}

static void test_uris(void)
{
        static const struct {
                const char *uri, *host, *port;
        } cases[] = {
                {"qemu+tcp://h2/system", "h2", "16509"},
                {"qemu+tcp://h2:1234/system", "h2", "1234"},
                {"qemu+tls://h2/system", "h2", "16514"},
                {"qemu://h2/system", "h2", "16514"},
                {"qemu+ssh://root@h2/system?keyfile=/root/.ssh/id&no_verify=1", "h2", "22"},
                {"qemu+ssh://root@h2:2222/system", "h2", "2222"},
                {"qemu+tcp://[fd00::12]:16509/system", "fd00::12", "16509"},
                {"qemu+tcp://10.213.0.12/system", "10.213.0.12", "16509"},
                /* local, another transport, not a URI: nothing to probe */
                {"qemu:///system", NULL, NULL},
                {"qemu+unix:///system?socket=/run/x", NULL, NULL},
                {"xen+ssh://h2/system", NULL, NULL},
                {"test:///default", NULL, NULL},
                {"not a uri", NULL, NULL},
                {"", NULL, NULL},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *host = NULL, *port = NULL;
                int r = libvirt_uri_endpoint(cases[i].uri, &host, &port);

                CHECK(r == (cases[i].host ? 1 : 0), "%s: returned %d", cases[i].uri, r);
                if (cases[i].host && r == 1)
                        CHECK(streq(host, cases[i].host) && streq(port, cases[i].port), "%s: %s %s",
                              cases[i].uri, host, port);
        }
}

int main(int argc, char **argv)
{
        if (argc != 3) {
                fprintf(stderr, "usage: %s TEMPLATES-DIR EXPECTED-DIR\n", argv[0]);
                return 2;
        }
        templates = argv[1];
        expected = argv[2];
        test_domain();
        test_bad_templates();
        test_capabilities();
        test_uris();
        if (failures)
                fprintf(stderr, "%d failures\n", failures);
        return failures ? 1 : 0;
}

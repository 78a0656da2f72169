/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/domainxml.c: what it reads from libvirt's domain XML (disks, character devices, host devices,
 * interfaces, filesystems, with their lines), libvirt's defaults, and malformed or hostile input refused
 * with FILE:LINE. */
#include "test-util.h"

#include <string.h>

#include "domainxml.h"
#include "util.h"

static struct domain_def *parse(const char *text)
{
        struct domain_def *d = NULL;
        char *error = NULL;
        int r = domain_xml_parse("t.xml", text, strlen(text), &d, &error);

        CHECK(r == 0 && d, "does not parse: %s", strna(error));
        free(error);
        return d;
}

/* text must be refused with an error that starts with want ("t.xml:LINE:") and contains has. */
static void error_case(const char *text, const char *want, const char *has)
{
        struct domain_def *d = NULL;
        char *error = NULL;
        int r = domain_xml_parse("t.xml", text, strlen(text), &d, &error);

        CHECK(r == -EBADMSG && !d, "[%s]: r=%d, want -EBADMSG", text, r);
        CHECK(error && startswith(error, want) && strstr(error, has), "[%s]: error '%s', want '%s...%s'",
              text, strna(error), want, has);
        free(error);
        domain_def_free(d);
}

static const char GUEST[] =
        "<domain type='kvm'>\n"                                                        /* 1 */
        "  <name> web1 </name>\n"                                                      /* 2 */
        "  <metadata><x:a xmlns:x='urn:x'>kept</x:a></metadata>\n"                     /* 3 */
        "  <devices>\n"                                                                /* 4 */
        "    <disk type='file' device='disk'>\n"                                       /* 5 */
        "      <driver name='qemu' type='qcow2' cache='none'/>\n"                      /* 6 */
        "      <source file='/var/lib/libvirt/images/web1.qcow2'/>\n"                  /* 7 */
        "      <target dev='vda' bus='virtio'/>\n"                                     /* 8 */
        "    </disk>\n"                                                                /* 9 */
        "    <disk device='cdrom'><target dev='sda'/><readonly/></disk>\n"             /* 10 */
        "    <disk type='network'><source protocol='nbd' name='e1'>"                   /* 11 */
        "<host name='h1' port='10809'/></source><target dev='vdb'/></disk>\n"          /* 11 */
        "    <disk type='block'><source dev='/dev/sdb'/><shareable/>"                  /* 12 */
        "<target dev='vdc'/></disk>\n"                                                 /* 12 */
        "    <disk type='volume'><source pool='p' volume='v'/></disk>\n"               /* 13 */
        "    <serial type='file'><source path='/var/log/web1.log'/></serial>\n"        /* 14 */
        "    <console><target type='serial'/><log file='/var/log/c.log'/></console>\n" /* 15 */
        "    <channel type='unix'><source mode='bind'/>"                               /* 16 */
        "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>\n"            /* 16 */
        "    <hostdev mode='subsystem' type='pci' managed='yes'><source>"              /* 17 */
        "<address domain='0x0000' bus='0x03' slot='0x1f' function='0x2'/>"             /* 17 */
        "</source></hostdev>\n"                                                        /* 17 */
        "    <hostdev type='usb'><source><vendor id='0x046d'/>"                        /* 18 */
        "<product id='0xc52b'/></source></hostdev>\n"                                  /* 18 */
        "    <interface type='vhostuser'>"                                             /* 19 */
        "<source type='unix' path='/run/vhu0' mode='client'/></interface>\n"           /* 19 */
        "    <interface type='hostdev'><source><address type='pci' "                   /* 20 */
        "domain='0' bus='4' slot='0' function='1'/></source>"                          /* 20 */
        "<teaming type='transient' persistent='ua-n0'/></interface>\n"                 /* 20 */
        "    <interface type='bridge'><source bridge='br0'/></interface>\n"            /* 21 */
        "    <filesystem type='mount'><driver type='virtiofs'/>"                       /* 22 */
        "<target dir='share'/></filesystem>\n"                                         /* 22 */
        "    <unknown-device/>\n"                                                      /* 23 */
        "  </devices>\n"
        "</domain>\n";

static void test_disks(const struct domain_def *d)
{
        CHECK(d->n_disks == 5, "%zu disks", d->n_disks);
        if (d->n_disks != 5)
                return;
        const struct domain_disk *k = d->disks;
        CHECK(streq(k[0].type, "file") && streq(k[0].device, "disk") && streq(k[0].cache, "none") &&
                      streq(k[0].source, "/var/lib/libvirt/images/web1.qcow2") &&
                      streq(k[0].target, "vda") && !k[0].readonly && k[0].line == 5,
              "disk 0: %s %s %s %s line %u", k[0].type, k[0].device, strna(k[0].cache), strna(k[0].source),
              k[0].line);
        /* libvirt's defaults: type file; a CD-ROM without <source> has no media */
        CHECK(streq(k[1].type, "file") && streq(k[1].device, "cdrom") && !k[1].source && k[1].readonly &&
                      !k[1].cache,
              "disk 1: %s %s %s", k[1].type, k[1].device, strna(k[1].source));
        CHECK(streq(k[2].type, "network") && streq(k[2].protocol, "nbd") &&
                      streq(k[2].source, "nbd://h1:10809/e1") && k[2].line == 11,
              "disk 2: %s %s", strna(k[2].protocol), strna(k[2].source));
        CHECK(streq(k[3].type, "block") && streq(k[3].source, "/dev/sdb") && k[3].shareable, "disk 3: %s %s",
              k[3].type, strna(k[3].source));
        CHECK(streq(k[4].type, "volume") && streq(k[4].source, "p/v"), "disk 4: %s", strna(k[4].source));
}

static void test_devices(const struct domain_def *d)
{
        CHECK(d->n_chardevs == 3, "%zu chardevs", d->n_chardevs);
        if (d->n_chardevs == 3) {
                const struct domain_chardev *c = d->chardevs;
                CHECK(streq(c[0].element, "serial") && streq(c[0].type, "file") &&
                              streq(c[0].path, "/var/log/web1.log") && !c[0].log && c[0].line == 14,
                      "serial: %s %s", c[0].type, strna(c[0].path));
                /* no type: libvirt's pty; a log file of it is a local file too */
                CHECK(streq(c[1].element, "console") && streq(c[1].type, "pty") && c[1].log &&
                              streq(c[1].path, "/var/log/c.log"),
                      "console: %s %s", c[1].type, strna(c[1].path));
                CHECK(streq(c[2].type, "unix") && !c[2].path && streq(c[2].target, "org.qemu.guest_agent.0"),
                      "channel: %s %s", c[2].type, strna(c[2].target));
        }
        CHECK(d->n_hostdevs == 3, "%zu hostdevs", d->n_hostdevs);
        if (d->n_hostdevs == 3) {
                const struct domain_hostdev *h = d->hostdevs;
                CHECK(streq(h[0].mode, "subsystem") && streq(h[0].type, "pci") &&
                              streq(h[0].what, "0000:03:1f.2") && !h[0].interface && h[0].line == 17,
                      "pci: %s %s", h[0].type, strna(h[0].what));
                CHECK(streq(h[1].type, "usb") && streq(h[1].what, "046d:c52b"), "usb: %s", strna(h[1].what));
                CHECK(h[2].interface && streq(h[2].type, "pci") && h[2].teaming_transient &&
                              streq(h[2].what, "0000:04:00.1"),
                      "interface hostdev: %s", strna(h[2].what));
        }
        CHECK(d->n_interfaces == 3, "%zu interfaces", d->n_interfaces);
        if (d->n_interfaces == 3)
                CHECK(streq(d->interfaces[0].type, "vhostuser") &&
                              streq(d->interfaces[0].socket, "/run/vhu0") && !d->interfaces[2].socket,
                      "vhostuser: %s", strna(d->interfaces[0].socket));
        CHECK(d->n_filesystems == 1 && streq(d->filesystems[0].driver, "virtiofs"), "filesystems");
}

static void test_guest(void)
{
        struct domain_def *d = parse(GUEST);
        char *o;

        if (!d)
                return;
        CHECK(streq(d->name, "web1") && d->line == 1, "name '%s'", d->name);
        test_disks(d);
        test_devices(d);
        o = domain_origin(d, 14);
        CHECK(o && streq(o, "t.xml:14"), "origin %s", strna(o));
        free(o);
        domain_def_free(d);

        d = parse("<domain><name>empty</name></domain>");
        CHECK(d && d->n_disks == 0 && d->n_chardevs == 0 && d->n_hostdevs == 0, "no devices");
        domain_def_free(d);
}

static void test_errors(void)
{
        error_case("", "t.xml:1:", "");
        error_case("<domain>\n  <name>x</name>\n  <devices>\n</domain>\n", "t.xml:4:", "");
        error_case("<domain><name>a&b</name></domain>", "t.xml:1:", "");
        error_case("<network><name>n</name></network>\n", "t.xml:1:", "not <domain>");
        error_case("<domain>\n  <uuid>x</uuid>\n</domain>", "t.xml:1:", "no <name>");
        error_case("<domain>\n  <name>  </name>\n</domain>", "t.xml:2:", "no <name>");
        /* entities: an undefined one is an error, and a DOCTYPE that defines them is refused */
        error_case("<domain><name>&x;</name></domain>", "t.xml:1:", "");
        error_case("<?xml version='1.0'?>\n<!DOCTYPE domain [\n <!ENTITY a 'aaaaaaaaaa'>\n"
                   " <!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>\n]>\n<domain><name>&b;</name></domain>\n",
                   "t.xml:2:", "DOCTYPE");
        error_case(
                "<!DOCTYPE domain SYSTEM 'http://example.invalid/x.dtd'>\n<domain><name>x</name></domain>",
                "t.xml:1:", "DOCTYPE");
        error_case("<domain><name>x</name></domain><extra/>", "t.xml:1:", "");
}

/* Line numbers past 65535: libxml2 keeps them only with XML_PARSE_BIG_LINES, and for an element there
 * only through its first text child (which may end a line later). */
static void test_big_lines(void)
{
        size_t n = 70000;
        char *text = malloc(n + 200), *p = text;
        struct domain_def *d;

        if (!text)
                return;
        p += sprintf(p, "<domain><name>big</name>");
        memset(p, '\n', n);
        p += n;
        sprintf(p, "<devices><disk type='file'>\n  <source file='/x'/>\n</disk></devices></domain>");
        d = parse(text);
        CHECK(d && d->n_disks == 1 && d->disks[0].line >= n + 1 && d->disks[0].line <= n + 2, "line %u",
              d && d->n_disks ? d->disks[0].line : 0);
        domain_def_free(d);
        free(text);
}

/* ---- the cache of disks, changed in place ---- */

static const char DISKS[] =
        "<domain type='qemu'>\n"
        "  <name>web1</name>\n"
        "  <devices>\n"
        "    <disk type='file' device='disk'>\n"
        "      <driver name='qemu' type='raw' cache='writeback' io='threads'/>\n"
        "      <source file='/var/lib/libvirt/images/a.raw'/>\n"
        "      <target dev='vda' bus='virtio'/>\n"
        "    </disk>\n"
        "    <disk type='file' device='disk'>\n"
        "      <!-- <driver cache='unsafe'/> -->\n"
        "      <driver name='qemu' type='qcow2'/>\n"
        "      <target dev='vdb' bus='virtio'/>\n"
        "    </disk>\n"
        "    <disk type='file' device='disk'><driver name=\"qemu\"/><target dev='vdc'/></disk>\n"
        "    <disk type='file' device='disk'><driver cache = \"unsafe\"\n name='qemu'/><target dev='vdd'/></disk>\n"
        "    <disk type='file' device='cdrom'>\n"
        "      <target dev='sda' bus='sata'/>\n"
        "    </disk>\n"
        "  </devices>\n"
        "</domain>\n";

/* DISKS with the one change from to, which must occur once. */
static char *disks_with(const char *from, const char *to)
{
        const char *at = strstr(DISKS, from);

        CHECK(at && !strstr(at + 1, from), "'%s' is not once in DISKS", from);
        return at ? strdup_printf("%.*s%s%s", (int)(at - DISKS), DISKS, to, at + strlen(from)) : NULL;
}

static void cache_case(const char *target, const char *from, const char *to)
{
        char *targets[] = {(char *)target, NULL}, *out = NULL, *error = NULL, *want = disks_with(from, to);
        int r = domain_xml_set_disk_cache("t.xml", DISKS, targets, "none", &out, &error);

        CHECK(r == 0 && out && want && streq(out, want), "%s: r=%d error=%s out=\n%s", target, r,
              strna(error), strna(out));
        free(out), free(error), free(want);
}

static void test_set_cache(void)
{
        char *both[] = {(char *)"vdb", (char *)"vda", NULL}, *nodriver[] = {(char *)"sda", NULL};
        char *missing[] = {(char *)"vda", (char *)"vdz", NULL}, *out = NULL, *error = NULL, *want;
        int r;

        /* replaced where it is; added after type=, after name=, in the tag's own quotes */
        cache_case("vda", "cache='writeback' io", "cache='none' io");
        cache_case("vdb", "<driver name='qemu' type='qcow2'/>",
                   "<driver name='qemu' type='qcow2' cache='none'/>");
        cache_case("vdc", "<driver name=\"qemu\"/>", "<driver name=\"qemu\" cache=\"none\"/>");
        cache_case("vdd", "cache = \"unsafe\"", "cache = \"none\"");

        /* two at once, in document order whatever the order asked */
        r = domain_xml_set_disk_cache("t.xml", DISKS, both, "none", &out, &error);
        want = disks_with("cache='writeback' io", "cache='none' io");
        CHECK(r == 0 && out && strstr(out, "type='qcow2' cache='none'/>") && want, "both: r=%d", r);
        if (out && want) {
                char *again = NULL;
                char *vdb[] = {(char *)"vdb", NULL};
                CHECK(domain_xml_set_disk_cache("t.xml", want, vdb, "none", &again, NULL) == 0 &&
                              streq_ptr(again, out),
                      "both: not the two single changes");
                free(again);
        }
        free(out), free(want);
        out = NULL;

        CHECK(domain_xml_set_disk_cache("t.xml", DISKS, nodriver, "none", &out, &error) == -EBADMSG &&
                      !out && error && startswith(error, "t.xml:"),
              "a disk without <driver>: %s", strna(error));
        free(error), error = NULL;
        CHECK(domain_xml_set_disk_cache("t.xml", DISKS, missing, "none", &out, &error) == -EBADMSG && !out,
              "a target that is not there");
        free(error), error = NULL;
        CHECK(domain_xml_set_disk_cache("t.xml", "<domain>\n<name>x</name>\n<devices>\n</domain>\n", both,
                                        "none", &out, &error) == -EBADMSG &&
                      error && startswith(error, "t.xml:4:"),
              "malformed: %s", strna(error));
        free(error), error = NULL;
        CHECK(domain_xml_set_disk_cache("t.xml", DISKS, both, "it's", &out, &error) == -EINVAL,
              "a quote in the value");
}

int main(void)
{
        test_guest();
        test_errors();
        test_big_lines();
        test_set_cache();
        if (failures)
                fprintf(stderr, "%d failures\n", failures);
        return failures ? 1 : 0;
}

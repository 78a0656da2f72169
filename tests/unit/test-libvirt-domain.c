/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision/libvirt-domain.c against libvirt's own test driver (test:///FILE: an in-process hypervisor
 * that each child loads afresh from FILE): the listing, a definition read, one defined when it is what
 * the caller expects and refused when it is not, an unknown domain, and libvirt's error when it cannot
 * connect. With lib/domainxml.c's edit, what libvirt keeps after the define is the edited text itself. */
#include "test-util.h"

#include <string.h>
#include <unistd.h>

#include "domainxml.h"
#include "provision/apply.h"
#include "provision/libvirt-domain.h"
#include "util.h"

#define UUID "3e3fce45-4f53-4fa7-bb32-11f34168b82b"

static const char NODE[] = "<node>\n"
                           "  <domain type='test'>\n"
                           "    <name>web1</name>\n"
                           "    <uuid>" UUID "</uuid>\n"
                           "    <memory>65536</memory>\n"
                           "    <os><type arch='x86_64'>hvm</type></os>\n"
                           "    <devices>\n"
                           "      <disk type='file' device='disk'>\n"
                           "        <driver name='qemu' type='raw' cache='writeback'/>\n"
                           "        <source file='/srv/web1.raw'/>\n"
                           "        <target dev='vda' bus='virtio'/>\n"
                           "      </disk>\n"
                           "      <disk type='file' device='disk'>\n"
                           "        <driver name='qemu' type='qcow2' io='threads'/>\n"
                           "        <source file='/srv/web1-data.qcow2'/>\n"
                           "        <target dev='vdb' bus='virtio'/>\n"
                           "      </disk>\n"
                           "    </devices>\n"
                           "  </domain>\n"
                           "</node>\n";

static usec_t soon(void)
{
        return now_usec() + 10 * USEC_PER_SEC;
}

static void test_read_and_define(const char *uri)
{
        struct libvirt_domain_xml *d = NULL;
        char *error = NULL, *after = NULL, *now = NULL, *vdx[] = {(char *)"vda", (char *)"vdb", NULL};
        size_t n = 0;
        int r;

        r = libvirt_domains_read(&(struct libvirt_listing){.uri = uri}, soon(), &d, &n, &error);
        CHECK(r == 0 && n == 1, "listing: r=%d n=%zu error=%s", r, n, strna(error));
        if (r < 0 || n != 1)
                return;
        CHECK(streq(d[0].name, "web1") && streq(d[0].uuid, UUID) && d[0].persistent, "web1 as defined");
        CHECK(strstr(d[0].xml, "cache='writeback'"), "its definition: %s", d[0].xml);
        r = domain_xml_set_disk_cache("web1", d[0].xml, vdx, "none", &after, &error);
        CHECK(r == 0 && after, "edit: r=%d error=%s", r, strna(error));
        if (!after)
                return;

        const char *const expect[] = {d[0].xml, NULL}, *const other[] = {"<domain/>", NULL};
        struct libvirt_define def = {.uri = uri, .uuid = UUID, .expect = other, .want = after};

        /* a definition that is not what the caller read is left alone, and said */
        r = libvirt_domain_define(&def, soon(), &now, &error);
        CHECK(r == -ESTALE && now && streq(now, d[0].xml), "stale: r=%d", r);
        free(now), now = NULL;
        def.expect = expect;
        r = libvirt_domain_define(&def, soon(), &now, &error);
        CHECK(r == 0 && now, "defined: r=%d error=%s", r, strna(error));
        /* libvirt keeps the edit as it is (a value replaced, an attribute added where libvirt puts it) */
        CHECK(now && streq(now, after) && strstr(now, "type='qcow2' cache='none' io='threads'"),
              "libvirt formats it otherwise:\n%s\nwas edited to\n%s", strna(now), after);
        free(now), now = NULL;
        /* only reading */
        def = (struct libvirt_define){.uri = uri, .uuid = UUID};
        CHECK(libvirt_domain_define(&def, soon(), &now, NULL) == 1 && streq_ptr(now, d[0].xml), "read");
        free(now), now = NULL;
        def.uuid = "3e3fce45-4f53-4fa7-bb32-11f34168b82c";
        CHECK(libvirt_domain_define(&def, soon(), &now, NULL) == -ENOENT && !now, "an unknown domain");
        free(after);
        free(error);
        libvirt_domain_xml_free_many(d, n);
}

/* The run's journal names the domain, and its files/ keep both XMLs. */
static void journal_has(const char *state, const char *run, const char *before, const char *after)
{
        char *journal = strdup_printf("%s/runs/%s/journal.json", state, run);
        char *old = strdup_printf("%s/runs/%s/files/1.old", state, run);
        char *new = strdup_printf("%s/runs/%s/files/1.new", state, run);
        char *j = journal ? read_text(journal) : NULL, *o = old ? read_text(old) : NULL;
        char *a = new ? read_text(new) : NULL;

        CHECK(j && strstr(j, "\"kind\":\"libvirt-define\"") && strstr(j, "\"uuid\":\"" UUID "\"") &&
                      strstr(j, "\"status\":\"done\""),
              "journal: %s", strna(j));
        CHECK(o && streq(o, before) && a && streq(a, after), "the copies of the XML");
        free(journal), free(old), free(new), free(j), free(o), free(a);
}

/* The executor's path for a libvirt-define action, on the running host with a state directory of its
 * own: a stale plan refused before anything is recorded, then apply and rollback journalled. (The test
 * driver forgets a define when its child ends: the rollback finds the definition as it was before.) */
static void test_apply(const char *uri, const char *state)
{
        _cleanup_(hostfs_freep) struct hostfs *live = NULL;
        struct libvirt_domain_xml *d = NULL;
        struct plan p = {0}, stale = {0};
        struct apply_report r = {0};
        char *after = NULL, *vda[] = {(char *)"vda", NULL};
        size_t n = 0;

        CHECK(hostfs_new("/", &live) == 0 &&
                      libvirt_domains_read(&(struct libvirt_listing){.uri = uri}, soon(), &d, &n, NULL) ==
                              0 &&
                      n == 1,
              "setup");
        if (!live || n != 1)
                return;
        struct apply_options o = {.fs = live, .state_dir = state, .no_journald = true, .deadline = soon()};
        CHECK(domain_xml_set_disk_cache("web1", d[0].xml, vda, "none", &after, NULL) == 0, "edit");
        CHECK(plan_libvirt_define(&p, "t.domain", uri, "web1", UUID, d[0].xml, after, "cache none") == 0 &&
                      plan_libvirt_define(&stale, "t.domain", uri, "web1", UUID, "<domain/>", after, NULL) ==
                              0,
              "plans");

        CHECK(apply_plan(&stale, &o, &r) == -ESTALE && r.results[0].status == APPLY_FAILED && !r.run_id[0],
              "stale: %s", strna(r.error));
        apply_report_done(&r);
        CHECK(apply_plan(&p, &o, &r) == 0 && r.n_results == 1 && r.results[0].status == APPLY_DONE &&
                      r.run_id[0],
              "apply: %s %s", strna(r.error), r.n_results ? strna(r.results[0].reason) : "");
        journal_has(state, r.run_id, d[0].xml, after);
        apply_report_done(&r);
        CHECK(apply_rollback(&o, NULL, &r) == 0 && r.n_results == 1 &&
                      r.results[0].status == APPLY_UNCHANGED &&
                      strstr(r.results[0].what, "redefine domain web1"),
              "rollback: %s", strna(r.error));
        apply_report_done(&r);
        plan_done(&p);
        plan_done(&stale);
        free(after);
        libvirt_domain_xml_free_many(d, n);
}

/* What the check reads: the running domains' live XML over a read-only connection. */
static void test_running_read_only(const char *uri)
{
        const struct libvirt_listing running = {.uri = uri, .running_only = true, .read_only = true};
        struct libvirt_domain_xml *d = NULL;
        char *error = NULL;
        size_t n = 0;
        int r = libvirt_domains_read(&running, soon(), &d, &n, &error);

        CHECK(r == 0 && n == 1 && d[0].active && streq(d[0].name, "web1") &&
                      strstr(d[0].xml, "cache='writeback'"),
              "running, read-only: r=%d n=%zu error=%s", r, n, strna(error));
        free(error);
        libvirt_domain_xml_free_many(d, n);
}

static void test_unreachable(void)
{
        const struct libvirt_define def = {.uri = "qemu+tcp://127.0.0.1:1/system", .uuid = UUID};
        struct libvirt_domain_xml *d = NULL;
        char *error = NULL;
        size_t n = 0;

        CHECK(libvirt_domain_define(&def, soon(), NULL, &error) == -EIO && error && *error, "define: %s",
              strna(error));
        free(error), error = NULL;
        CHECK(libvirt_domains_read(&(struct libvirt_listing){.uri = def.uri, .read_only = true}, soon(), &d,
                                   &n, &error) == -EIO &&
                      error && *error,
              "read: %s", strna(error));
        free(error);
        error = libvirt_define_strerror("web1", def.uri, -ETIMEDOUT, NULL);
        CHECK(error && strstr(error, "did not answer"), "timeout: %s", strna(error));
        free(error);
}

int main(void)
{
        char path[] = "/tmp/test-libvirt-domain-XXXXXX", state[] = "/tmp/test-libvirt-domain-state-XXXXXX";
        char *uri, *cmd;
        int fd = mkstemp(path);

        if (fd < 0 || write(fd, NODE, strlen(NODE)) != (ssize_t)strlen(NODE) || !mkdtemp(state)) {
                perror("mkstemp");
                return 1;
        }
        close(fd);
        uri = strdup_printf("test://%s", path);
        if (!uri)
                return 1;
        test_read_and_define(uri);
        test_running_read_only(uri);
        test_apply(uri, state);
        test_unreachable();
        unlink(path);
        cmd = strdup_printf("rm -rf '%s'", state);
        if (!cmd || system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", state);
        free(cmd);
        free(uri);
        if (failures)
                fprintf(stderr, "%d failures\n", failures);
        return failures ? 1 : 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Golden test of templates/: renders every template with fixed values and compares the text with
 * tests/templates/expected/NAME. A template without a case here fails, so none goes untested.
 *   render-templates TEMPLATES-DIR EXPECTED-DIR     (HOSTPREP_REGENERATE=1 rewrites the expected files)
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "test-util.h"
#include "util.h"

#define MAX_VALUES 6

struct render_case {
        const char *name;
        struct template_value values[MAX_VALUES];
};

static const struct render_case cases[] = {
        {"header.conf", {{"PROFILE", "golden"}}},
        {"nfs-exports.conf",
         {{"PROFILE", "golden"},
          {"EXPORT", "/srv/nfs/images"},
          {"CLIENTS", "h1(rw,sync,no_root_squash) h2(rw,sync,no_root_squash)"}}},
        {"sshd-root.conf", {{"PROFILE", "golden"}}},
        {"sshd-block.conf", {{"PROFILE", "golden"}}},
        {"fstab-entry.conf",
         {{"PROFILE", "golden"},
          {"SOURCE", "nfs1:/srv/nfs/images"},
          {"MOUNTPOINT", "/var/lib/libvirt/images"},
          {"VERSION", "4.2"}}},
        {"fstab-replaced.conf", {{"LINE", "nfs9:/srv/nfs/images /var/lib/libvirt/images nfs defaults 0 0"}}},
        {"peer-profile.conf", {{"ENTRIES", "[nfs]\nexport = /srv/nfs/images\n[hosts]\nh1 = hypervisor"}}},
        {"canary-domain.xml",
         {{"NAME", "hostprep-canary-1234"},
          {"MEMORY_MIB", "64"},
          {"KERNEL", "/usr/share/hostprep/canary.elf"},
          {"CMDLINE", "hostprep-canary"},
          {"DISK", "    <disk/>"}}},
        {"canary-disk-file.xml", {{"FILE", "/var/lib/libvirt/images/canary.raw"}}},
        {"canary-disk-nbd.xml", {{"EXPORT", "canary"}, {"HOST", "10.213.0.11"}, {"PORT", "10809"}}},
        {"peer-remove-file.sh", {}},
        {"peer-root-key.sh", {}},
        {"peer-ship-file.sh", {}},
        {"qemu-remote-remove.sh", {}},
        {"qemu-remote-setup.sh", {}},
        {"qemu-remote-wrapper.sh", {}},
};

static size_t n_values(const struct render_case *c)
{
        size_t n = 0;

        while (n < MAX_VALUES && c->values[n].key)
                n++;
        return n;
}

/* A template without keys renders to itself (nothing in it reads as a @KEY@): the template is its own
 * expected file. */
static void one(const char *templates, const char *expected, const struct render_case *c, bool regenerate)
{
        const char *dirs[] = {templates, NULL};
        _cleanup_free_ char *text = NULL, *error = NULL, *want = NULL,
                            *path = strdup_printf("%s/%s", n_values(c) ? expected : templates, c->name);
        int r = template_render_file(dirs, c->name, c->values, n_values(c), &text, &error);

        CHECK(r == 0, "%s: %s", c->name, error ? error : strerror(-r));
        if (r < 0 || !path)
                return;
        if (regenerate && n_values(c)) {
                FILE *f = fopen(path, "we");
                CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0, "cannot write %s", path);
                return;
        }
        want = read_text(path);
        CHECK(want, "%s: no expected file %s (HOSTPREP_REGENERATE=1 writes it)", c->name, path);
        CHECK(!want || streq(want, text), "%s: rendered text differs from %s:\n%s", c->name, path, text);
}

static const struct render_case *find_case(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (streq(cases[i].name, name))
                        return &cases[i];
        return NULL;
}

int main(int argc, char **argv)
{
        bool regenerate = getenv("HOSTPREP_REGENERATE") && streq(getenv("HOSTPREP_REGENERATE"), "1");
        DIR *d;

        if (argc != 3) {
                fprintf(stderr, "usage: %s TEMPLATES-DIR EXPECTED-DIR\n", argv[0]);
                return 2;
        }
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                one(argv[1], argv[2], &cases[i], regenerate);
        d = opendir(argv[1]);
        CHECK(d, "cannot list %s: %m", argv[1]);
        for (struct dirent *e; d && (e = readdir(d));)
                if (e->d_name[0] != '.')
                        CHECK(find_case(e->d_name), "%s/%s has no case in %s", argv[1], e->d_name, __FILE__);
        if (d)
                closedir(d);
        if (failures)
                fprintf(stderr, "%d failures\n", failures);
        return failures ? 1 : 0;
}

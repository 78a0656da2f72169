/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The profile loader against real files in a temporary directory: includes, defaults, every error with
 * its file:line, --set, and the man page documenting every key. */
#include <stdarg.h>
#include <sys/stat.h>

#include "profile.h"
#include "test-util.h"
#include "util.h"

static char dir[] = "/tmp/hostprep-test-profile-XXXXXX";

static void write_file(const char *name, const char *text)
{
        _cleanup_free_ char *path = strdup_printf("%s/%s", dir, name);
        FILE *f = fopen(path, "we");

        if (!f) {
                perror(path);
                exit(1);
        }
        fputs(text, f);
        fclose(f);
}

/* Loads NAME from the temp dir (then the source tree's profiles); returns the error text or NULL. */
static char *load(const char *name, struct conf *c)
{
        _cleanup_(strv_freep) char **dirs = NULL;
        char *error = NULL;

        strv_push_dup(&dirs, dir);
        strv_push_dup(&dirs, SOURCE_PROFILES);
        *c = (struct conf){0};
        if (profile_load(name, dirs, c, &error) < 0 && !error)
                error = strdup("(failed without a message)");
        return error;
}

static void expect_error(const char *name, const char *text, const char *want)
{
        _cleanup_free_ char *error = NULL;
        struct conf c;

        write_file(name, text);
        {
                _cleanup_free_ char *base = strndup(name, strlen(name) - strlen(".conf"));
                error = load(base, &c);
        }
        CHECK(error && strstr(error, want), "%s: expected error containing '%s', got '%s'", name, want,
              strna(error));
        CHECK(c.n_entries == 0, "%s: a failed load must leave the profile empty", name);
        conf_done(&c);
}

static void test_default_profile(void)
{
        _cleanup_free_ char *error = NULL;
        struct conf c;

        error = load("kvm-nfs", &c);
        CHECK(!error, "kvm-nfs: %s", strna(error));
        CHECK(c.name && streq(c.name, "kvm-nfs"), "name %s", strna(c.name));
        CHECK(streq(conf_get(&c, "nfs", "mountpoint"), "/var/lib/libvirt/images"), "mountpoint");
        CHECK(streq(conf_get(&c, "nfs", "options"), "rw,sync,no_root_squash,no_subtree_check"), "options");
        CHECK(streq(conf_get(&c, "check", "timeout"), "10"), "timeout");
        conf_done(&c);
}

static void test_nova_profile(void)
{
        _cleanup_free_ char *error = NULL;
        struct conf c;

        error = load("nova-kvm", &c);
        CHECK(!error, "nova-kvm: %s", strna(error));
        CHECK(c.name && streq(c.name, "nova-kvm"), "name %s", strna(c.name));
        CHECK(streq(conf_get(&c, "nfs", "mountpoint"), "/var/lib/nova/instances"), "mountpoint");
        CHECK(streq(conf_get(&c, "migrate", "transport"), "tcp"), "transport");
        CHECK(!conf_get(&c, "nova", "user"), "nova's user is found on the host by default");
        conf_done(&c);
}

/* Seed 000's profile loads, and its keys say the seed's values. */
static void test_xen_blanket_profile(void)
{
        _cleanup_free_ char *error = NULL;
        struct conf c;

        error = load("xen-blanket", &c);
        CHECK(!error, "xen-blanket: %s", strna(error));
        CHECK(streq(strempty(conf_get(&c, "nfs", "mountpoint")), "/root/shared"), "mountpoint");
        CHECK(streq(strempty(conf_get(&c, "network", "overlay_mtu")), "8901"), "overlay_mtu");
        CHECK(streq(strempty(conf_get(&c, "network", "vxlan_port")), "4789"), "vxlan_port");
        CHECK(streq(strempty(conf_get(&c, "network", "bridges")), "xenbr0"), "bridges");
        conf_done(&c);
}

static void test_include_and_override(void)
{
        _cleanup_free_ char *error = NULL;
        const struct conf_entry *e;
        struct conf c;

        write_file(
                "site.conf",
                "# a site profile\ninclude = kvm-nfs\n\n[hosts]\n  nfs1 = nfs-server   # indented, with a comment\nhv1 = hypervisor ; inline comment\n10.0.0.12 = hypervisor, nfs-server\n[nfs]\nexport = /srv/vm\n");
        error = load("site", &c);
        CHECK(!error, "site: %s", strna(error));
        CHECK(streq(strempty(conf_get(&c, "profile", "name")), "kvm-nfs"), "name comes from the include");
        e = conf_find(&c, "nfs", "export");
        CHECK(e && streq(e->value, "/srv/vm"), "later line overrides the include");
        CHECK(e && endswith(e->origin, "site.conf:9"), "origin %s", e ? e->origin : "-");
        CHECK(streq(strempty(conf_get(&c, "hosts", "nfs1")), "nfs-server"), "indentation and # comment");
        CHECK(streq(strempty(conf_get(&c, "hosts", "hv1")), "hypervisor"), "; comment");
        CHECK(streq(strempty(conf_get(&c, "nfs", "mountpoint")), "/var/lib/libvirt/images"),
              "included value");
        conf_done(&c);

        /* a value set before the include is overridden by the include */
        write_file("early.conf", "[nfs]\nexport = /srv/first\ninclude = kvm-nfs\n");
        free(error);
        error = load("early", &c);
        CHECK(!error, "early: %s", strna(error));
        CHECK(streq(strempty(conf_get(&c, "nfs", "export")), "/srv/nfs/images"), "include applies in place");
        conf_done(&c);

        /* the file name is the default name */
        write_file("noname.conf", "[nfs]\nexport = /srv/x\n");
        free(error);
        error = load("noname", &c);
        CHECK(!error && streq(c.name, "noname"), "name from file: %s", strna(c.name));
        conf_done(&c);
}

static void test_errors(void)
{
        expect_error("unknown-key.conf", "# comment\n\n[nfs]\nexport = /srv/x\nexprot = /srv/y\n",
                     "unknown-key.conf:5: [nfs] exprot = /srv/y: unknown key");
        expect_error("unknown-section.conf", "[nsf]\nexport = /x\n",
                     "unknown-section.conf:2: [nsf] export = /x: unknown section");
        expect_error("syntax.conf", "[nfs]\n; fine\nexport /srv/x\n", "syntax.conf:3: syntax error");
        expect_error("section.conf", "[nfs\nexport = /srv/x\n", "section.conf:1: syntax error");
        expect_error("relative.conf", "[nfs]\nmountpoint = images\n", "relative.conf:2:");
        expect_error("dotdot.conf", "[nfs]\nexport = /srv/../etc\n", "dotdot.conf:2:");
        expect_error("role.conf", "[hosts]\nhv1 = hypervisr\n",
                     "role.conf:2: [hosts] hv1 = hypervisr: unknown role");
        expect_error("norole.conf", "[hosts]\nhv1 = ,\n", "norole.conf:2:");
        expect_error("version.conf", "[nfs]\nversion = 5\n", "version.conf:2:");
        expect_error("timeout.conf", "[check]\ntimeout = -1\n", "timeout.conf:2:");
        expect_error("timeout0.conf", "[check]\ntimeout = 0\n", "timeout0.conf:2:");
        expect_error("options.conf", "[nfs]\noptions = rw,,sync x\n", "options.conf:2:");
        expect_error("outside.conf", "export = /srv/x\n", "outside.conf:1: 'export' outside a section");
        expect_error("missing-include.conf", "\ninclude = nope\n",
                     "missing-include.conf:2: cannot include 'nope'");
        write_file("cycle-b.conf", "include = cycle-a\n");
        expect_error("cycle-a.conf", "include = cycle-b\n", "include cycle");
        expect_error("self.conf", "include = self\n", "include cycle");

        /* an error inside an included file names that file and line */
        write_file("bad-inner.conf", "[nfs]\n\nclients = hv1 hv2\nbogus = 1\n");
        expect_error("outer.conf", "include = bad-inner\n",
                     "bad-inner.conf:4: [nfs] bogus = 1: unknown key");

        {
                char line[400];
                _cleanup_free_ char *text = NULL;

                memset(line, 'a', sizeof(line) - 1);
                line[sizeof(line) - 1] = '\0';
                text = strdup_printf("[profile]\ndescription = %s\n", line);
                expect_error("long.conf", text, "long.conf:2: line too long");
        }
}

static void test_not_found(void)
{
        _cleanup_free_ char *error = NULL;
        struct conf c;

        error = load("no-such-profile", &c);
        CHECK(error && strstr(error, "'no-such-profile' not found"), "%s", strna(error));
        free(error);
        error = load("/nonexistent/dir/x.conf", &c);
        CHECK(error && strstr(error, "No such file"), "%s", strna(error));
}

static void test_set(void)
{
        _cleanup_free_ char *error = NULL;
        struct conf c;
        char *err = NULL;

        error = load("kvm-nfs", &c);
        CHECK(!error, "kvm-nfs");
        CHECK(profile_set(&c, "nfs.export=/srv/other", &err) == 0, "--set: %s", strna(err));
        CHECK(streq(conf_get(&c, "nfs", "export"), "/srv/other"), "--set value");
        CHECK(streq(conf_find(&c, "nfs", "export")->origin, "--set"), "--set origin");
        CHECK(profile_set(&c, "hosts.hv1.example.com=hypervisor", &err) == 0, "host with dots: %s",
              strna(err));
        CHECK(streq(strempty(conf_get(&c, "hosts", "hv1.example.com")), "hypervisor"), "host with dots");

        CHECK(profile_set(&c, "nfs.exprot=/x", &err) < 0 && err && strstr(err, "unknown key"), "bad key");
        free(err);
        err = NULL;
        CHECK(profile_set(&c, "nfsexport", &err) < 0 && err && strstr(err, "SECTION.KEY=VALUE"), "no dot");
        free(err);
        err = NULL;
        CHECK(profile_set(&c, "nfs.mountpoint=rel", &err) < 0 && err, "relative path");
        free(err);
        conf_done(&c);
}

/* Every key the loader accepts is documented in hostprep.profile(5). */
static void test_man_page(const char *man)
{
        _cleanup_free_ char *text = NULL;
        FILE *f = fopen(man, "re");
        size_t n = 0;

        CHECK(f, "cannot open %s", man);
        if (!f)
                return;
        n = (size_t)getdelim(&text, &n, '\0', f);
        fclose(f);
        for (size_t i = 0; i < profile_keys_size; i++) {
                _cleanup_free_ char *section = strdup_printf("## [%s]", profile_keys[i].section),
                                    *key = strdup_printf("*%s* =", profile_keys[i].key);
                CHECK(strstr(text, section) && strstr(text, key), "%s.%s is not documented in %s",
                      profile_keys[i].section, profile_keys[i].key, man);
        }
}

/* An include names a profile (NAME.conf beside the file, then the search path) or a file relative to the
 * including one: "base.conf" beside it, "sub/base.conf" below it; from a file in another directory too. */
static void test_include_forms(void)
{
        const char *forms[] = {"site-base", "site-base.conf", "./site-base.conf", "sub/inner.conf"};
        _cleanup_free_ char *sub = strdup_printf("%s/sub", dir),
                            *outer = strdup_printf("%s/sub/outer.conf", dir);
        struct conf c;

        mkdir(sub, 0700);
        write_file("site-base.conf", "[nfs]\nexport = /srv/base\n");
        write_file("sub/inner.conf", "[nfs]\nexport = /srv/inner\n");
        for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
                _cleanup_free_ char *text = strdup_printf("include = %s\n[nfs]\nserver = nfs1\n", forms[i]),
                                    *error = NULL;

                write_file("forms.conf", text);
                error = load("forms", &c);
                CHECK(!error, "include = %s: %s", forms[i], strna(error));
                CHECK(streq(strempty(conf_get(&c, "nfs", "export")), i == 3 ? "/srv/inner" : "/srv/base"),
                      "include = %s: export %s", forms[i], strna(conf_get(&c, "nfs", "export")));
                conf_done(&c);
        }
        /* relative to the including file, not to the working directory or the search path */
        write_file("sub/outer.conf", "include = ../site-base.conf\n");
        {
                _cleanup_free_ char *error = load(outer, &c);
                CHECK(!error && streq(strempty(conf_get(&c, "nfs", "export")), "/srv/base"), "../: %s",
                      strna(error));
                conf_done(&c);
        }
        expect_error("missing-file.conf", "include = nope.conf\n",
                     "missing-file.conf:1: cannot include 'nope.conf': no such profile");
        /* a directory of that name is no profile */
        expect_error("dir-include.conf", "include = sub\n", "dir-include.conf:1: cannot include 'sub'");
}

int main(int argc, char *argv[])
{
        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return 1;
        }
        test_default_profile();
        test_nova_profile();
        test_xen_blanket_profile();
        test_include_and_override();
        test_include_forms();
        test_errors();
        test_not_found();
        test_set();
        if (argc > 1)
                test_man_page(argv[1]);

        {
                _cleanup_free_ char *cmd = strdup_printf("rm -rf '%s'", dir);
                if (system(cmd) != 0)
                        fprintf(stderr, "could not remove %s\n", dir);
        }
        if (failures)
                fprintf(stderr, "%d check(s) failed\n", failures);
        return failures ? 1 : 0;
}

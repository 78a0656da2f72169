/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small lib/ helpers against a throw-away root: the line iterator, the PATH walk, the passwd reader, the
 * json helpers, /etc/hosts lines, and hostfs on a kernel without openat2 RESOLVE_IN_ROOT (forced by
 * HOSTFS_NO_OPENAT2). */
#include "test-util.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

#include "accounts.h"
#include "atomicfile.h"
#include "etchosts.h"
#include "hostfs.h"
#include "json-util.h"
#include "lineiter.h"
#include "pathlookup.h"
#include "saslconf.h"
#include "strv.h"
#include "util.h"
#include "version.h"

static char root[] = "/tmp/test-lib-XXXXXX";

static void put(const char *path, const char *text, mode_t mode)
{
        _cleanup_free_ char *p = strdup_printf("%s%s", root, path);
        FILE *f = p ? fopen(p, "we") : NULL;

        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
        chmod(p, mode);
}

static void mkdirs(const char *path)
{
        _cleanup_free_ char *p = strdup_printf("%s%s", root, path);

        for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                (void)mkdir(p, 0755);
                *s = '/';
        }
        (void)mkdir(p, 0755);
}

/* The lines of text as "N:line|" for each, "$" marking a line without its newline. */
static char *lines_of(const char *text)
{
        _cleanup_(strv_freep) char **v = NULL;

        LINE_FOREACH(l, text)
        if (strv_push(&v, strdup_printf("%u:%.*s%s", l.number, (int)l.len, l.line, l.newline ? "" : "$")) <
            0)
                return NULL;
        return strv_join(v, "|");
}

static void line_case(const char *text, const char *want)
{
        _cleanup_free_ char *got = lines_of(text);

        CHECK(got && streq(got, want), "[%s]: '%s', want '%s'", strna(text), strna(got), want);
}

static void test_lineiter(void)
{
        line_case(NULL, "");
        line_case("", "");
        line_case("a", "1:a$");
        line_case("a\n", "1:a");
        line_case("a\n\nb", "1:a|2:|3:b$");
        line_case("\n\n", "1:|2:");
        line_case("x\r\ny\n", "1:x\r|2:y");
}

static void find_case(const struct hostfs *fs, const char *search, const char *name, int want_r,
                      const char *want)
{
        char *got = NULL;
        int r = path_find_executable(fs, search, name, &got);

        CHECK(r == want_r, "%s in %s: r=%d, want %d", name, strna(search), r, want_r);
        if (r == 0)
                CHECK(streq(got, want), "%s: '%s', want '%s'", name, got, want);
        free(got);
}

static void test_pathlookup(const struct hostfs *fs)
{
        _cleanup_free_ char *link = strdup_printf("%s/usr/local/bin/viaroot", root);

        mkdirs("/usr/bin");
        mkdirs("/usr/sbin/dirprog");
        mkdirs("/usr/local/bin");
        put("/usr/bin/tool", "#!/bin/sh\n", 0755);
        put("/usr/sbin/tool", "#!/bin/sh\n", 0644); /* not executable: passed over */
        put("/usr/sbin/plain", "", 0644);
        /* an absolute link resolves inside the root */
        CHECK(symlink("/usr/bin/tool", link) == 0, "symlink: %m");

        find_case(fs, "/usr/sbin:/usr/bin", "tool", 0, "/usr/bin/tool");
        find_case(fs, "usr/bin::/usr/sbin", "tool", -ENOENT, NULL); /* relative and empty entries skipped */
        find_case(fs, "/usr/sbin", "dirprog", -ENOENT, NULL);
        find_case(fs, "/usr/local/bin", "viaroot", 0, "/usr/local/bin/viaroot");
        find_case(fs, NULL, "tool", 0, "/usr/bin/tool");
        find_case(fs, NULL, "/usr/bin/tool", 0, "/usr/bin/tool");
        find_case(fs, NULL, "/usr/sbin/plain", -EACCES, NULL);
        find_case(fs, NULL, "usr/bin/tool", -EINVAL, NULL);
        find_case(fs, NULL, "/usr/bin/none", -ENOENT, NULL);
}

static void user_case(const struct hostfs *fs, const char *const *names, int want_r, const char *want_name,
                      uid_t want_uid, gid_t want_gid)
{
        char *name = NULL;
        uid_t uid = 0;
        gid_t gid = 0;
        int r = accounts_find_user(fs, names, &name, &uid, &gid);

        CHECK(r == want_r, "%s...: r=%d, want %d", names[0], r, want_r);
        if (r == 0)
                CHECK(streq(name, want_name) && uid == want_uid && gid == want_gid, "%s: %s %u %u", names[0],
                      name, (unsigned)uid, (unsigned)gid);
        free(name);
}

static void test_accounts(const struct hostfs *fs)
{
        _cleanup_free_ char *passwd = NULL, *gecos = malloc(5000);
        const char *const qemu_users[] = {"libvirt-qemu", "qemu", NULL};

        user_case(fs, (const char *const[]){"root", NULL}, -ENOENT, NULL, 0, 0); /* no /etc/passwd */
        mkdirs("/etc");
        memset(gecos, 'g', 4999);
        gecos[4999] = '\0';
        /* an empty password field, a line longer than the first buffer, a repeated name */
        passwd = strdup_printf(
                "root:x:0:0:root:/root:/bin/bash\nqemu::107:108::/:/sbin/nologin\nlong:x:5:6:%s:/:/bin/sh\nlibvirt-qemu:x:64055:108:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin\nqemu:x:999:999::/:/bin/false\n",
                gecos);
        put("/etc/passwd", passwd, 0644);
        user_case(fs, (const char *const[]){"qemu", NULL}, 0, "qemu", 107, 108);
        user_case(fs, qemu_users, 0, "libvirt-qemu", 64055, 108); /* preference order, not file order */
        user_case(fs, (const char *const[]){"nova", "qemu", NULL}, 0, "qemu", 107, 108);
        user_case(fs, (const char *const[]){"long", NULL}, 0, "long", 5, 6);
        user_case(fs, (const char *const[]){"nova", NULL}, -ENOENT, NULL, 0, 0);
        {
                struct account a;

                CHECK(accounts_find(fs, qemu_users, &a) == 0 && streq(a.name, "libvirt-qemu") &&
                              streq(a.home, "/var/lib/libvirt") && streq(a.shell, "/usr/sbin/nologin"),
                      "home and shell");
                account_done(&a);
                CHECK(accounts_find(fs, (const char *const[]){"qemu", NULL}, &a) == 0 && a.uid == 107 &&
                              streq(a.home, "/") && streq(a.shell, "/sbin/nologin"),
                      "the first of a repeated name");
                account_done(&a);
        }
}

static void test_json(void)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *a = NULL;
        char *const v[] = {(char *)"x", (char *)"y", NULL};

        CHECK(o && json_add_string(o, "null", NULL) == 0 && json_add_string_opt(o, "absent", NULL) == 0 &&
                      json_add_string(o, "s", "v") == 0 && json_add_int(o, "i", 7) == 0 &&
                      json_add_bool(o, "b", true) == 0,
              "adding");
        CHECK(json_strv_to_array(v, &a) == 0 && json_object_array_length(a) == 2, "strv");
        CHECK(json_object_object_get_ex(o, "null", NULL) && !json_object_object_get_ex(o, "absent", NULL),
              "null kept, absent left out");
        CHECK(streq(json_get_string(o, "s"), "v") && !json_get_string(o, "i") && !json_get_string(NULL, "s"),
              "strings");
        CHECK(json_get_int(o, "i", 0) == 7 && json_get_int(o, "s", -1) == -1, "ints");
        CHECK(json_get_bool(o, "b") && !json_get_bool(o, "none"), "bools");
}

/* openat2 RESOLVE_IN_ROOT missing (forced): reads fall back to prefixed paths, every write is refused. */
static void test_no_openat2(void)
{
        _cleanup_(hostfs_freep) struct hostfs *fs = NULL, *live = NULL;
        _cleanup_free_ char *text = NULL, *why = NULL, *name = NULL;
        int fd;

        CHECK(hostfs_new_with_flags(root, HOSTFS_NO_OPENAT2, &fs) == 0, "hostfs");
        if (!fs)
                return;
        put("/etc/hostname", "fallback\n", 0644);
        CHECK(hostfs_read_file(fs, "/etc/hostname", &text, NULL) == 0 && streq(text, "fallback\n"), "read");
        CHECK(hostfs_writable(fs, &why) == -EOPNOTSUPP && why &&
                      startswith(
                              why,
                              "the kernel lacks openat2 RESOLVE_IN_ROOT: refusing to write below --root ") &&
                      strstr(why, root),
              "reason: %s", strna(why));
        CHECK(hostfs_mkdir(fs, "/etc/new", 0755) == -EOPNOTSUPP, "mkdir");
        CHECK(hostfs_unlink(fs, "/etc/hostname", 0) == -EOPNOTSUPP, "unlink");
        CHECK(hostfs_open(fs, "/etc/hostname", O_WRONLY) == -EOPNOTSUPP, "open for writing");
        CHECK(hostfs_open(fs, "/etc/created", O_RDONLY | O_CREAT) == -EOPNOTSUPP, "open creating");
        CHECK(hostfs_open_parent_for_write(fs, "/etc/hostname", &name) == -EOPNOTSUPP, "parent for writing");
        CHECK(hostfs_open_dir_for_write(fs, "/etc") == -EOPNOTSUPP, "dir for writing");
        CHECK(atomic_write_file(fs, "/etc/hostname", "x", 1, 0644) == -EOPNOTSUPP, "atomic write");
        fd = hostfs_open_parent(fs, "/etc/hostname", &name);
        CHECK(fd >= 0 && streq(name, "hostname"), "the parent may still be opened to read");
        if (fd >= 0)
                close(fd);
        free(text);
        text = NULL;
        CHECK(hostfs_read_file(fs, "/etc/hostname", &text, NULL) == 0 && streq(text, "fallback\n"),
              "nothing written");

        /* the live host's root: prefixing "/" is the identity, nothing to contain */
        CHECK(hostfs_new_with_flags("/", HOSTFS_NO_OPENAT2, &live) == 0 && hostfs_writable(live, NULL) == 0,
              "live host writable");
}

/* etchosts_entries(): every line naming a host, with its number, address and canonical name. */
static void test_etchosts(void)
{
        const char *text = "# comment h3\n127.0.0.1\tlocalhost\n127.0.1.1 h3.lab h3 # Debian's own line\n"
                           "\n10.0.0.13  H3.lab  h3\nbroken\n10.0.0.12 h2 # h3\n::1 ip6-localhost h3";
        struct etchosts_entry *e = NULL;
        size_t n = 0;

        CHECK(etchosts_entries(text, "h3", &e, &n) == 0 && n == 3, "h3: %zu lines, want 3", n);
        if (n == 3) {
                CHECK(e[0].line == 3 && streq(e[0].address, "127.0.1.1") && streq(e[0].canonical, "h3.lab"),
                      "h3 first: %u %s %s", e[0].line, e[0].address, e[0].canonical);
                CHECK(e[1].line == 5 && streq(e[1].canonical, "H3.lab"), "h3 second: %u %s", e[1].line,
                      e[1].canonical);
                CHECK(e[2].line == 8 && streq(e[2].address, "::1") && streq(e[2].canonical, "ip6-localhost"),
                      "h3 last line without newline: %u %s", e[2].line, e[2].address);
        }
        etchosts_entries_free(e, n);
        CHECK(etchosts_entries(text, "H3.LAB", &e, &n) == 0 && n == 2, "case-insensitive: %zu, want 2", n);
        etchosts_entries_free(e, n);
        CHECK(etchosts_entries(text, "nosuch", &e, &n) == 0 && n == 0 && !e, "unknown name: %zu lines", n);
        CHECK(etchosts_entries(NULL, "h3", &e, &n) == 0 && n == 0, "no file: %zu lines", n);
        CHECK(address_is_loopback("127.0.1.1") && address_is_loopback("::1") &&
                      address_is_loopback("::ffff:127.0.0.1") && !address_is_loopback("10.0.0.13") &&
                      !address_is_loopback("fd00::2") && !address_is_loopback("h3"),
              "loopback addresses");
}

/* version_parse() and version_compare(): numbers, not strings, and only the parts asked for. */
static void test_version(void)
{
        static const char *const bad[] = {"",     "9",    "9.",   ".9",           "9..0",
                                          "9.0a", "v9.0", "9.0 ", "99999999999.0"};
        struct version a, b;

        CHECK(version_parse("9.0.0", &a) == 0 && a.major == 9 && a.minor == 0 && a.micro == 0, "9.0.0");
        CHECK(version_parse("7.2", &a) == 0 && a.major == 7 && a.minor == 2 && a.micro == 0, "7.2");
        CHECK(version_parse("1.2.3.4", &a) == 0 && a.micro == 3, "a fourth part is ignored");
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                CHECK(version_parse(bad[i], &a) == -EINVAL, "\"%s\" is no version", bad[i]);
        CHECK(version_parse(NULL, &a) == -EINVAL, "NULL");
        CHECK(version_parse("10.0.0", &a) == 0 && version_parse("9.2.0", &b) == 0 &&
                      version_compare(&a, &b, 2) > 0 && version_compare(&b, &a, 3) < 0,
              "10.0 is newer than 9.2");
        CHECK(version_parse("7.2.22", &a) == 0 && version_parse("7.2.5", &b) == 0 &&
                      version_compare(&a, &b, 2) == 0 && version_compare(&a, &b, 3) > 0 &&
                      version_compare(&a, &b, 1) == 0,
              "7.2.22 and 7.2.5: same major.minor, 22 > 5");
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(p);
}

static void test_sasl_conf(void)
{
        struct sasl_conf c = {0};

        CHECK(sasl_conf_parse("# Debian 12\nmech_list: gssapi\n\nkeytab: /etc/libvirt/krb5.tab\n", &c) == 0,
              "parse");
        CHECK(c.mechanisms && strv_length(c.mechanisms) == 1 && streq(c.mechanisms[0], "gssapi") &&
                      c.mech_list_line == 2,
              "mech_list");
        CHECK(streq_ptr(c.keytab, "/etc/libvirt/krb5.tab") && !c.sasldb_path, "keytab");
        sasl_conf_done(&c);
        CHECK(sasl_conf_parse(
                      "mech_list: SCRAM-SHA-256 digest-md5,plain\nsasldb_path:/etc/libvirt/passwd.db\nx",
                      &c) == 0,
              "parse");
        CHECK(c.mechanisms && strv_length(c.mechanisms) == 3 && streq(c.mechanisms[0], "scram-sha-256") &&
                      streq(c.mechanisms[2], "plain"),
              "lowercase, spaces and commas");
        CHECK(streq_ptr(c.sasldb_path, "/etc/libvirt/passwd.db"), "sasldb_path without a blank");
        sasl_conf_done(&c);
        CHECK(sasl_conf_parse("#mech_list: gssapi\n", &c) == 0 && !c.mechanisms,
              "a comment is no mech_list");
        sasl_conf_done(&c);
        CHECK(sasl_mechanism_uses_sasldb("scram-sha-1") && sasl_mechanism_uses_sasldb("digest-md5") &&
                      !sasl_mechanism_uses_sasldb("gssapi") && !sasl_mechanism_uses_sasldb("external"),
              "sasldb mechanisms");
}

int main(void)
{
        _cleanup_(hostfs_freep) struct hostfs *fs = NULL;

        if (!mkdtemp(root) || hostfs_new(root, &fs) < 0) {
                perror("mkdtemp");
                return 1;
        }
        test_lineiter();
        test_pathlookup(fs);
        test_accounts(fs);
        test_json();
        test_etchosts();
        test_version();
        test_sasl_conf();
        test_no_openat2();
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        if (failures)
                fprintf(stderr, "%d failure(s)\n", failures);
        return failures ? 1 : 0;
}

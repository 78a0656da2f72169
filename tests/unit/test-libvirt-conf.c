/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/libvirt-conf.c against libvirt's grammar (src/util/virconf.c): errors with FILE:LINE, its corners,
 * and the typed lookups units use. */
#include "test-util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envfile.h"
#include "hostfs.h"
#include "libvirt-conf.h"
#include "strv.h"
#include "util.h"

static struct libvirt_conf *parse(const char *text)
{
        struct libvirt_conf *c = NULL;
        char *error = NULL;
        int r = libvirt_conf_parse("t.conf", text, strlen(text), &c, &error);

        CHECK(r == 0 && c, "[%s] does not parse: %s", text, strna(error));
        free(error);
        return c;
}

/* text must fail to parse with exactly want as the message. */
static void error_case(const char *text, const char *want)
{
        struct libvirt_conf *c = NULL;
        char *error = NULL;
        int r = libvirt_conf_parse("t.conf", text, strlen(text), &c, &error);

        CHECK(r == -EBADMSG && !c, "[%s]: r=%d, want -EBADMSG", text, r);
        CHECK(error && streq(error, want), "[%s]: error '%s', want '%s'", text, strna(error), want);
        free(error);
        libvirt_conf_free(c);
}

static void test_errors(void)
{
        error_case("a = 1\nb = 2\n\nc =\n", "t.conf:4: expecting a value");
        error_case("a = \"\"\"x\ny\n\"\"\"\nb = oops\n", "t.conf:4: expecting a value");
        error_case("a = 'x' b = 1\n", "t.conf:1: expecting a separator");
        error_case("\n\n", "t.conf:3: expecting a name"); /* libvirt wants a statement after blank lines */
        error_case("a = 1 ; ; b = 2\n", "t.conf:1: expecting a name");
        error_case("# c\n  = 1\n", "t.conf:2: expecting a name");
        error_case("a 1\n", "t.conf:1: expecting an assignment");
        error_case("a = \"x\n", "t.conf:1: unterminated string");
        error_case("a = 'x\n", "t.conf:1: unterminated string");
        /* libvirt stops looking for the closing """ two bytes before the end, and counts lines up to there
         */
        error_case("a = \"\"\"abc\ndef\n", "t.conf:2: unterminated string");
        error_case("a = -x\n", "t.conf:1: unterminated number");
        error_case("a = yes\n", "t.conf:1: expecting a value");
        error_case("l = [ \"a\",\n  # no comments in lists\n \"b\" ]\n", "t.conf:2: expecting a value");
        error_case("l = [ \"a\"\n \"b\" ]\n", "t.conf:2: expecting a separator in list");
        error_case("l = [ \"a\",\n", "t.conf:2: expecting a value");
        error_case("l = [ \"a\"", "t.conf:1: list is not closed with ]");
        /* a """ string needs seven bytes left, else it is "" followed by junk */
        error_case("a = \"\"\"\"\"\"", "t.conf:1: expecting a separator");
}

static void test_grammar(void)
{
        struct libvirt_conf *c;
        char *s = NULL, *origin;

        c = parse("");
        CHECK(c && c->n_entries == 0, "empty file");
        libvirt_conf_free(c);
        c = parse("# only a comment");
        CHECK(c && c->n_entries == 0, "comment only");
        libvirt_conf_free(c);

        c = parse("a = 1\r\n\r\n  b = 'x' # why\n c = \"\"\"\"\"\"\n d = \"\"\"two\nlines\"\"\"; e = 2;\n");
        CHECK(c && c->n_entries == 5, "five statements: %zu", c ? c->n_entries : 0);
        if (c && c->n_entries == 5) {
                CHECK(c->entries[1].line == 3 && c->entries[3].line == 5 && c->entries[4].line == 6,
                      "lines %u %u %u", c->entries[1].line, c->entries[3].line, c->entries[4].line);
                CHECK(libvirt_conf_get_string(c, "c", &s) == 0 && streq(s, ""), "c is \"\"");
                free(s);
                CHECK(libvirt_conf_get_string(c, "d", &s) == 0 && streq(s, "two\nlines"), "d");
                free(s);
                origin = libvirt_conf_origin(c, "e");
                CHECK(origin && streq(origin, "t.conf:6"), "origin %s", strna(origin));
                free(origin);
        }
        libvirt_conf_free(c);

        /* the first assignment wins, as libvirt looks names up from the top */
        c = parse("x = \"first\"\nx = \"second\"\n");
        CHECK(c && libvirt_conf_get_string(c, "x", &s) == 0 && streq(s, "first"), "first wins");
        free(s);
        libvirt_conf_free(c);
}

static void list_case(struct libvirt_conf *c, const char *name, bool compat, int want_r, const char *want)
{
        char **v = NULL, *joined;
        int r = libvirt_conf_get_string_list(c, name, compat, &v);

        CHECK(r == want_r, "%s: r=%d, want %d", name, r, want_r);
        if (r == 0 && want) {
                joined = strv_join(v, ",");
                CHECK(joined && streq(joined, want), "%s: '%s', want '%s'", name, strna(joined), want);
                free(joined);
        }
        strv_free(v);
}

static void test_lookups(void)
{
        struct libvirt_conf *c = parse(
                "l = [ \"polkit\",\n   'nop', ]\nempty = []\none = \"x\"\nnested = [ [\"a\"] ]\nmixed = [ \"a\", 1 ]\nneg = -5\npos = +7\nzero = 0\nbool2 = 2\nnegzero = -0\nbig = 99999999999999999999\nwide = 4294967296\n");
        bool b;
        int i;
        unsigned u;

        if (!c)
                return;
        list_case(c, "l", false, 0, "polkit,nop");
        list_case(c, "empty", false, 0, "");
        list_case(c, "one", true, 0, "x");
        list_case(c, "one", false, -EINVAL, NULL);
        list_case(c, "nested", false, -EINVAL, NULL);
        list_case(c, "mixed", false, -EINVAL, NULL);
        list_case(c, "unset", false, -ENOENT, NULL);

        CHECK(libvirt_conf_get_int(c, "neg", &i) == 0 && i == -5, "neg");
        CHECK(libvirt_conf_get_uint(c, "neg", &u) == -EINVAL, "a signed value is no unsigned one");
        CHECK(libvirt_conf_get_uint(c, "pos", &u) == 0 && u == 7, "pos");
        CHECK(libvirt_conf_get_bool(c, "zero", &b) == 0 && !b, "zero");
        CHECK(libvirt_conf_get_bool(c, "bool2", &b) == -EINVAL, "2 is no boolean");
        CHECK(libvirt_conf_get_bool(c, "negzero", &b) == -EINVAL, "-0 is signed: no boolean");
        CHECK(libvirt_conf_get_int(c, "big", &i) == -ERANGE &&
                      libvirt_conf_get_uint(c, "big", &u) == -ERANGE,
              "big");
        CHECK(libvirt_conf_get_uint(c, "wide", &u) == -ERANGE &&
                      libvirt_conf_get_int(c, "wide", &i) == -ERANGE,
              "wide");
        CHECK(libvirt_conf_get_int(c, "one", &i) == -EINVAL, "a string is no number");
        i = 42;
        CHECK(libvirt_conf_get_int(c, "unset", &i) == -ENOENT && i == 42, "unset leaves ret alone");
        libvirt_conf_free(c);
}

/* libvirt_conf_read(): through a root, a missing file apart from a broken one. */
static void test_read(void)
{
        char root[] = "/tmp/test-libvirt-conf.XXXXXX";
        _cleanup_(hostfs_freep) struct hostfs *fs = NULL;
        _cleanup_(libvirt_conf_freep) struct libvirt_conf *c = NULL;
        _cleanup_free_ char *dir = NULL, *path = NULL, *error = NULL;
        bool tcp = false;
        FILE *f;

        CHECK(mkdtemp(root), "mkdtemp: %m");
        dir = strdup_printf("%s/etc", root);
        path = strdup_printf("%s/etc/libvirtd.conf", root);
        CHECK(dir && path && mkdir(dir, 0755) == 0 && hostfs_new(root, &fs) == 0, "setup");
        if (!fs)
                return;
        CHECK(libvirt_conf_read(fs, "/etc/libvirtd.conf", &c, &error) == -ENOENT && !c && !error, "absent");

        f = fopen(path, "we");
        CHECK(f && fputs("listen_tcp = 1\n", f) >= 0 && fclose(f) == 0, "write");
        CHECK(libvirt_conf_read(fs, "/etc/libvirtd.conf", &c, &error) == 0 && c, "read");
        CHECK(c && streq(c->file, "/etc/libvirtd.conf"), "named as on the host: %s", c ? c->file : "");
        CHECK(c && libvirt_conf_get_bool(c, "listen_tcp", &tcp) == 0 && tcp, "listen_tcp");
        c = libvirt_conf_free(c);

        f = fopen(path, "we");
        CHECK(f && fputs("listen_tcp = \n", f) >= 0 && fclose(f) == 0, "write");
        CHECK(libvirt_conf_read(fs, "/etc/libvirtd.conf", &c, &error) == -EBADMSG && !c, "broken");
        CHECK(error && startswith(error, "/etc/libvirtd.conf:1: "), "error names the file: %s",
              strna(error));
        unlink(path);
        rmdir(dir);
        rmdir(root);
}

/* text edited to set name must read want (NULL: unchanged) and still parse. */
static void edit_case(const char *text, const char *name, const char *statement, const char *want)
{
        char *out = NULL, *error = NULL;
        int r = libvirt_conf_edit("t.conf", text, name, statement, "# added\nx_new = 1\n", &out, &error);

        CHECK(r == 0, "[%s]: r=%d %s", text, r, strna(error));
        CHECK(want ? out && streq(out, want) : !out, "[%s] set %s: got [%s], want [%s]", text, name,
              strna(out), strna(want));
        if (out)
                libvirt_conf_free(parse(out));
        free(out);
        free(error);
}

static void test_edit(void)
{
        char *out = NULL, *error = NULL;

        /* in place, keeping the comment after the value and every other line */
        edit_case("# head\nlisten_tcp = 0 # off\nauth_tcp = \"sasl\"\n", "listen_tcp", "listen_tcp = 1",
                  "# head\nlisten_tcp = 1 # off\nauth_tcp = \"sasl\"\n");
        /* every assignment, also after a ';' and across lines */
        edit_case("a = 1; listen_tcp = 0\nlisten_tcp = [ 1,\n 2 ]\n", "listen_tcp", "listen_tcp = 1",
                  "a = 1; listen_tcp = 1\nlisten_tcp = 1\n");
        edit_case("listen_tcp = 1\n", "listen_tcp", "listen_tcp = 1", NULL);
        /* a new one after the packaged file's commented-out example, else at the end */
        edit_case("#listen_tcp = 1\n#\n# other\n", "x_new", "x_new = 1",
                  "#listen_tcp = 1\n#\n# other\n# added\nx_new = 1\n");
        edit_case("# x_new = 0\n#x_new=2\nb = 1\n", "x_new", "x_new = 1",
                  "# x_new = 0\n#x_new=2\n# added\nx_new = 1\nb = 1\n");
        edit_case("b = 1", "x_new", "x_new = 1", "b = 1\n# added\nx_new = 1\n");
        edit_case("", "x_new", "x_new = 1", "# added\nx_new = 1\n");
        /* a broken file is not edited */
        CHECK(libvirt_conf_edit("t.conf", "a = \n", "a", "a = 1", "a = 1\n", &out, &error) == -EBADMSG &&
                      !out,
              "broken file edited");
        CHECK(error && streq(error, "t.conf:1: expecting a value"), "error: %s", strna(error));
        free(error);
}

static void test_env_file(void)
{
        const char *debian =
                "# Customizations\n#LIBVIRTD_ARGS=\"--timeout 120\"\n\n#LIBVIRTD_ARGS=\"--listen\"\n\n#QEMU_AUDIO_DRV=sdl\n";
        char *out = NULL, *value = NULL;
        unsigned line = 0;

        CHECK(env_file_value(debian, "LIBVIRTD_ARGS", &value, &line) == -ENOENT, "comments are no value");
        CHECK(env_file_set(debian, "LIBVIRTD_ARGS", "LIBVIRTD_ARGS=\"--listen\"",
                           "LIBVIRTD_ARGS=\"--listen\"\n", &out) == 0 &&
                      out &&
                      streq(out,
                            "# Customizations\n#LIBVIRTD_ARGS=\"--timeout 120\"\n\n#LIBVIRTD_ARGS=\"--listen\"\nLIBVIRTD_ARGS=\"--listen\"\n\n#QEMU_AUDIO_DRV=sdl\n"),
              "added after the example: [%s]", strna(out));
        CHECK(out && env_file_value(out, "LIBVIRTD_ARGS", &value, &line) == 0 && streq(value, "--listen") &&
                      line == 5,
              "read back: %s:%u", strna(value), line);
        free(value);
        free(out);
        out = NULL;
        CHECK(env_file_set("A=1\n LIBVIRTD_ARGS='-t 5'\nLIBVIRTD_ARGS=x", "LIBVIRTD_ARGS",
                           "LIBVIRTD_ARGS=\"--listen\"", "-\n", &out) == 0 &&
                      out && streq(out, "A=1\nLIBVIRTD_ARGS=\"--listen\"\nLIBVIRTD_ARGS=\"--listen\""),
              "every assignment replaced: [%s]", strna(out));
        free(out);
        CHECK(env_file_set("LIBVIRTD_ARGS=\"--listen\"\n", "LIBVIRTD_ARGS", "LIBVIRTD_ARGS=\"--listen\"",
                           "-\n", &out) == 0 &&
                      !out,
              "unchanged is NULL");
}

int main(void)
{
        test_edit();
        test_env_file();
        test_read();
        test_errors();
        test_grammar();
        test_lookups();
        if (failures)
                fprintf(stderr, "%d failure(s)\n", failures);
        return failures ? 1 : 0;
}

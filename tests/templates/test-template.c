/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/template.c: substitution, includes, the search order, and an error naming file and line for every
 * way a template and its values can disagree. Templates are written to a temporary directory. */
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "template.h"
#include "test-util.h"
#include "util.h"

static char dir1[] = "/tmp/test-template-XXXXXX", dir2[] = "/tmp/test-template-XXXXXX";

static void put(const char *dir, const char *name, const char *text)
{
        _cleanup_free_ char *path = strdup_printf("%s/%s", dir, name);
        FILE *f = path ? fopen(path, "we") : NULL;

        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
                fprintf(stderr, "cannot write %s\n", strna(path));
                exit(1);
        }
}

/* Renders name from dir1 (then dir2): r, and the text or the error in *ret. */
static int render(const char *name, const struct template_value *v, size_t n, char **ret)
{
        const char *dirs[] = {dir1, dir2, NULL};
        char *text = NULL, *error = NULL;
        int r = template_render_file(dirs, name, v, n, &text, &error);

        *ret = r < 0 ? error : text;
        if (r < 0)
                free(text);
        else
                free(error);
        return r;
}

static void expect_text(const char *name, const struct template_value *v, size_t n, const char *want)
{
        _cleanup_free_ char *got = NULL;
        int r = render(name, v, n, &got);

        CHECK(r == 0, "%s: %d %s", name, r, strna(got));
        CHECK(r < 0 || streq(strempty(got), want), "%s: got \"%s\", want \"%s\"", name, strna(got), want);
}

/* The error must be exactly dir1/FILE + rest ("FILE:LINE: why"). */
static void expect_error(const char *name, const struct template_value *v, size_t n, int want_r,
                         const char *want)
{
        _cleanup_free_ char *got = NULL, *full = strdup_printf("%s/%s", dir1, want);
        int r = render(name, v, n, &got);

        CHECK(r == want_r, "%s: returned %d, want %d (%s)", name, r, want_r, strna(got));
        CHECK(got && full && streq(got, full), "%s: error \"%s\", want \"%s\"", name, strna(got),
              strna(full));
}

static void test_substitution(void)
{
        struct template_value v[] = {{"NAME", "h1"}, {"N_2", "two words"}, {"EMPTY", ""}};

        put(dir1, "plain", "no keys at all\n");
        expect_text("plain", NULL, 0, "no keys at all\n");
        put(dir1, "keys", "host @NAME@, @N_2@;@EMPTY@@NAME@\nagain @NAME@");
        expect_text("keys", v, ELEMENTSOF(v), "host h1, two words;h1\nagain h1");
        /* an @ before anything but a capital is text: shell's "$@", user@host, a lone @ */
        put(dir1, "text-at", "exec \"$@\" root@host @ a@1 @@\n");
        expect_text("text-at", NULL, 0, "exec \"$@\" root@host @ a@1 @@\n");
        /* a value is inserted as it is, never scanned for keys again */
        struct template_value tricky[] = {{"NAME", "@NAME@ and @OTHER@"}};
        put(dir1, "once", "[@NAME@]\n");
        expect_text("once", tricky, 1, "[@NAME@ and @OTHER@]\n");
        /* a key given without a value is fine while the template does not ask for it */
        struct template_value unset[] = {{"NAME", "h1"}, {"UNSET", NULL}};
        put(dir1, "name-only", "@NAME@\n");
        expect_text("name-only", unset, ELEMENTSOF(unset), "h1\n");
}

static void test_errors(void)
{
        struct template_value v[] = {{"NAME", "h1"}};
        struct template_value none[] = {{"NAME", NULL}};
        struct template_value extra[] = {{"NAME", "h1"}, {"PORT", "22"}};

        put(dir1, "unknown", "first\nsecond @NAME@ @PORT@\n");
        expect_error("unknown", v, 1, -EINVAL, "unknown:2: unknown key @PORT@");
        put(dir1, "missing", "\n\n@NAME@\n");
        expect_error("missing", none, 1, -EINVAL, "missing:3: no value for @NAME@");
        put(dir1, "open", "ok @NAME@\nbad @NAME here\n");
        expect_error("open", v, 1, -EINVAL,
                     "open:2: @NAME has no closing @ (an @ before a capital starts a @KEY@)");
        put(dir1, "open-eof", "@NAME");
        expect_error("open-eof", v, 1, -EINVAL,
                     "open-eof:1: @NAME has no closing @ (an @ before a capital starts a @KEY@)");
        put(dir1, "unused", "@NAME@\n");
        expect_error("unused", extra, ELEMENTSOF(extra), -EINVAL,
                     "unused: does not use @PORT@, which hostprep fills in");
}

static void test_includes(void)
{
        struct template_value v[] = {{"NAME", "h1"}};

        put(dir1, "head", "# for @NAME@\n");
        put(dir1, "body", "@include head@\nbody of @NAME@\n@include head@\n");
        expect_text("body", v, 1, "# for h1\nbody of h1\n# for h1\n");
        /* only a whole line includes */
        put(dir1, "inline", "x @include head@\n");
        expect_text("inline", NULL, 0, "x @include head@\n");
        /* an error inside an include names the included file */
        put(dir1, "bad-head", "ok\n@NAME@ @PORT@\n");
        put(dir1, "uses-bad", "@include bad-head@\n");
        expect_error("uses-bad", v, 1, -EINVAL, "bad-head:2: unknown key @PORT@");
        /* a key used only by the include counts as used */
        put(dir1, "only-head", "@include head@\nno keys here\n");
        expect_text("only-head", v, 1, "# for h1\nno keys here\n");

        _cleanup_free_ char *nowhere = NULL, *want = NULL;
        put(dir1, "dangling", "line\n@include nowhere@\n");
        CHECK(render("dangling", NULL, 0, &nowhere) == -ENOENT, "dangling include");
        want = strdup_printf("%s/dangling:2: no template nowhere in %s:%s", dir1, dir1, dir2);
        CHECK(nowhere && want && streq(nowhere, want), "dangling include: %s", strna(nowhere));

        put(dir1, "loop-a", "@include loop-b@\n");
        put(dir1, "loop-b", "@include loop-a@\n");
        _cleanup_free_ char *loop = NULL;
        CHECK(render("loop-a", NULL, 0, &loop) == -ELOOP, "include cycle");
        CHECK(loop && strstr(loop, "@include nested more than 4 deep (a cycle?)"), "cycle: %s", strna(loop));
}

static void test_search(void)
{
        _cleanup_free_ char *got = NULL, *want = NULL;

        put(dir1, "both", "first\n");
        put(dir2, "both", "second\n");
        put(dir2, "second-only", "second only\n");
        expect_text("both", NULL, 0, "first\n");
        expect_text("second-only", NULL, 0, "second only\n");

        CHECK(render("absent", NULL, 0, &got) == -ENOENT, "absent template");
        want = strdup_printf("no template absent in %s:%s", dir1, dir2);
        CHECK(got && want && streq(got, want), "absent: %s", strna(got));
        got = mfree(got);
        /* a name never leaves the template directories */
        CHECK(render("../etc/passwd", NULL, 0, &got) == -EINVAL, "a path as the name");
        CHECK(got && streq(got, "template name \"../etc/passwd\" is not a plain file name"), "path: %s",
              strna(got));
        got = mfree(got);
        CHECK(render(".hidden", NULL, 0, &got) == -EINVAL, "a dot file");

        /* the defaults of a test in the build tree: the source tree's templates/ alone (datadir.h) */
        const char *const *d = template_default_dirs();
        CHECK(d[0] && !d[1], "one default directory");
        CHECK(d[0] && streq(d[0], HOSTPREP_SOURCE_TEMPLATES), "the source tree's templates/: %s",
              strna(d[0]));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

static void rm_dir(const char *dir)
{
        if (nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS) < 0)
                fprintf(stderr, "cannot remove %s: %m\n", dir);
}

int main(void)
{
        if (!mkdtemp(dir1) || !mkdtemp(dir2)) {
                perror("mkdtemp");
                return 1;
        }
        test_substitution();
        test_errors();
        test_includes();
        test_search();
        rm_dir(dir1);
        rm_dir(dir2);
        if (failures)
                fprintf(stderr, "%d failures\n", failures);
        return failures ? 1 : 0;
}

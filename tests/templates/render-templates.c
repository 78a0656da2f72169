/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Golden test of templates/: renders every template and compares the text with
 * tests/templates/expected/NAME. A template's values are in tests/templates/values/NAME, one KEY=VALUE a
 * line ("\n" in a value is a line break), so a new template brings two files and edits none. A template
 * without keys needs no values file: it renders to itself (nothing in it reads as a @KEY@) and is its own
 * expected file. A template with keys and no values file fails naming the key, so none goes untested.
 *   render-templates TEMPLATES-DIR VALUES-DIR EXPECTED-DIR   (HOSTPREP_REGENERATE=1 rewrites expected/)
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lineiter.h"
#include "strv.h"
#include "template.h"
#include "test-util.h"
#include "util.h"

/* The value as written in a values file: "\n" becomes a line break. */
static char *unescape(const char *s, size_t len)
{
        char *out = malloc(len + 1), *o = out;

        for (size_t i = 0; out && i < len; i++)
                if (s[i] == '\\' && i + 1 < len && s[i + 1] == 'n')
                        *o++ = '\n', i++;
                else
                        *o++ = s[i];
        if (out)
                *o = '\0';
        return out;
}

/* values/NAME as KEY, VALUE, KEY, VALUE, ...: none (NULL) when there is no such file. */
static char **read_values(const char *path)
{
        _cleanup_free_ char *text = read_text(path);
        char **kv = NULL;

        LINE_FOREACH(l, text)
        {
                const char *eq = memchr(l.line, '=', l.len);

                CHECK(eq, "%s:%u: not KEY=VALUE", path, l.number);
                if (!eq)
                        continue;
                CHECK(strv_push(&kv, strndup(l.line, eq - l.line)) == 0 &&
                              strv_push(&kv, unescape(eq + 1, l.len - (eq + 1 - l.line))) == 0,
                      "out of memory");
        }
        return kv;
}

static void one(const char *templates, const char *values_dir, const char *expected, const char *name,
                bool regenerate)
{
        const char *dirs[] = {templates, NULL};
        _cleanup_free_ char *values_path = strdup_printf("%s/%s", values_dir, name), *text = NULL,
                            *error = NULL, *want = NULL, *path = NULL;
        _cleanup_(strv_freep) char **kv = values_path ? read_values(values_path) : NULL;
        size_t n = strv_length(kv) / 2;
        _cleanup_free_ struct template_value *v = calloc(n + 1, sizeof(*v));
        int r;

        CHECK(values_path && v, "out of memory");
        if (!values_path || !v)
                return;
        for (size_t i = 0; i < n; i++)
                v[i] = (struct template_value){kv[2 * i], kv[2 * i + 1]};
        r = template_render_file(dirs, name, v, n, &text, &error);
        CHECK(r == 0 || n > 0, "%s: %s (its values go in %s)", name, error ? error : strerror(-r),
              values_path);
        CHECK(r == 0 || n == 0, "%s: %s", name, error ? error : strerror(-r));
        path = strdup_printf("%s/%s", n ? expected : templates, name);
        if (r < 0 || !path)
                return;
        if (regenerate && n) {
                FILE *f = fopen(path, "we");
                CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0, "cannot write %s", path);
                return;
        }
        want = read_text(path);
        CHECK(want, "%s: no expected file %s (HOSTPREP_REGENERATE=1 writes it)", name, path);
        CHECK(!want || streq(want, text), "%s: rendered text differs from %s:\n%s", name, path, text);
}

static int cmp_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file of dir but dot files, sorted (failures are reported in the order of the names). */
static char **list(const char *dir)
{
        char **names = NULL;
        DIR *d = opendir(dir);

        CHECK(d, "cannot list %s: %m", dir);
        for (struct dirent *e; d && (e = readdir(d));)
                if (e->d_name[0] != '.')
                        CHECK(strv_push_dup(&names, e->d_name) == 0, "out of memory");
        if (d)
                closedir(d);
        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp_name);
        return names;
}

int main(int argc, char **argv)
{
        bool regenerate = getenv("HOSTPREP_REGENERATE") && streq(getenv("HOSTPREP_REGENERATE"), "1");
        _cleanup_(strv_freep) char **templates = NULL, **values = NULL, **expected = NULL;

        if (argc != 4) {
                fprintf(stderr, "usage: %s TEMPLATES-DIR VALUES-DIR EXPECTED-DIR\n", argv[0]);
                return 2;
        }
        templates = list(argv[1]);
        STRV_FOREACH (t, templates)
                one(argv[1], argv[2], argv[3], *t, regenerate);
        /* what is left of a template that is gone */
        values = list(argv[2]);
        expected = list(argv[3]);
        STRV_FOREACH (n, values)
                CHECK(strv_contains(templates, *n), "%s/%s: no such template in %s", argv[2], *n, argv[1]);
        STRV_FOREACH (n, expected)
                CHECK(strv_contains(templates, *n) && strv_contains(values, *n),
                      "%s/%s: no template with values of that name", argv[3], *n);
        if (failures)
                fprintf(stderr, "%d failures\n", failures);
        return failures ? 1 : 0;
}

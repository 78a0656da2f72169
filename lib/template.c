/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "datadir.h"
#include "strv.h"
#include "template.h"
#include "util.h"

#define INCLUDE_PREFIX    "@include "
#define INCLUDE_DEPTH_MAX 4
#define TEMPLATE_SIZE_MAX (1024 * 1024)
#define KEY_CHARS         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

static const char *const installed_dirs[] = {HOSTPREP_DATADIR_TEMPLATES, NULL};
static const char *const build_tree_dirs[] = {HOSTPREP_SOURCE_TEMPLATES, NULL};

const char *const *template_default_dirs(void)
{
        return datadir_build_tree() ? build_tree_dirs : installed_dirs;
}

struct template *template_free(struct template *t)
{
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_includes; i++)
                template_free(t->includes[i]);
        free(t->includes);
        free(t->path);
        free(t->text);
        return mfree(t);
}

/* The line at p: its length without the newline, and where the next one starts. */
static size_t line_at(const char *p, const char **ret_next)
{
        size_t n = strcspn(p, "\n");

        *ret_next = p + n + (p[n] == '\n');
        return n;
}

/* A line that is exactly "@include NAME@": NAME's length and start. */
static bool include_line(const char *line, size_t len, const char **ret_name, size_t *ret_len)
{
        size_t n = strlen(INCLUDE_PREFIX);

        if (len <= n + 1 || !strneq(line, INCLUDE_PREFIX, n) || line[len - 1] != '@')
                return false;
        *ret_name = line + n;
        *ret_len = len - n - 1;
        return true;
}

/* A template is named by a plain file name: never a path out of the template directories. */
static bool name_is_plain(const char *name)
{
        return *name && name[0] != '.' && !strchr(name, '/');
}

static int read_first(const char *const *dirs, const char *name, char **ret_path, char **ret_text,
                      char **ret_error)
{
        _cleanup_free_ char *joined = NULL;

        if (!name_is_plain(name)) {
                *ret_error = strdup_printf("template name \"%s\" is not a plain file name", name);
                return -EINVAL;
        }
        for (const char *const *d = dirs; d && *d; d++) {
                _cleanup_free_ char *path = strdup_printf("%s/%s", *d, name), *text = NULL;
                _cleanup_close_ int fd = -1;
                size_t len = 0;
                int r;

                if (!path)
                        return -ENOMEM;
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0 && errno == ENOENT)
                        continue;
                r = fd < 0 ? -errno : read_fd_full(fd, TEMPLATE_SIZE_MAX, &text, &len);
                if (r == 0 && strlen(text) != len)
                        r = -EBADMSG;
                if (r < 0) {
                        *ret_error = strdup_printf("cannot read template %s: %s", path,
                                                   r == -EBADMSG ? "it contains a NUL byte" : strerror(-r));
                        return r;
                }
                *ret_path = TAKE_PTR(path);
                *ret_text = TAKE_PTR(text);
                return 0;
        }
        joined = strv_join((char *const *)dirs, ":");
        *ret_error = strdup_printf("no template %s in %s", name, strempty(joined));
        return -ENOENT;
}

static int load(const char *const *dirs, const char *name, unsigned depth, struct template **ret,
                char **ret_error);

/* Loads the template an @include line names, as the next of t's includes. */
static int load_include(struct template *t, const char *const *dirs, const char *name, size_t name_len,
                        unsigned line, unsigned depth, char **ret_error)
{
        _cleanup_free_ char *inc = strndup(name, name_len), *why = NULL;
        struct template **grown;
        int r;

        if (!inc)
                return -ENOMEM;
        if (depth >= INCLUDE_DEPTH_MAX) {
                *ret_error = strdup_printf("%s:%u: @include nested more than %d deep (a cycle?)", t->path,
                                           line, INCLUDE_DEPTH_MAX);
                return -ELOOP;
        }
        grown = realloc(t->includes, (t->n_includes + 1) * sizeof(*grown));
        if (!grown)
                return -ENOMEM;
        t->includes = grown;
        r = load(dirs, inc, depth + 1, &t->includes[t->n_includes], &why);
        if (r < 0) {
                *ret_error = why ? strdup_printf("%s:%u: %s", t->path, line, why) : NULL;
                return r;
        }
        t->n_includes++;
        return 0;
}

static int load(const char *const *dirs, const char *name, unsigned depth, struct template **ret,
                char **ret_error)
{
        _cleanup_(template_freep) struct template *t = calloc(1, sizeof(*t));
        const char *next, *inc;
        unsigned line = 0;
        size_t inc_len;
        int r;

        if (!t)
                return -ENOMEM;
        r = read_first(dirs, name, &t->path, &t->text, ret_error);
        if (r < 0)
                return r;
        for (const char *p = t->text; *p; p = next) {
                size_t len = line_at(p, &next);

                line++;
                if (!include_line(p, len, &inc, &inc_len))
                        continue;
                r = load_include(t, dirs, inc, inc_len, line, depth, ret_error);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(t);
        return 0;
}

int template_load(const char *const *dirs, const char *name, struct template **ret, char **ret_error)
{
        *ret_error = NULL;
        return load(dirs, name, 0, ret, ret_error);
}

struct render {
        const struct template_value *values;
        size_t n_values;
        bool *used;
        FILE *out;
        char *error;
};

/* "FILE:LINE: " before, the key with its @, after. */
static int render_fail(struct render *rd, const struct template *t, unsigned line, const char *before,
                       const char *key, size_t key_len, const char *after)
{
        rd->error = strdup_printf("%s:%u: %s@%.*s%s", t->path, line, before, (int)key_len, key, after);
        return -EINVAL;
}

/* One @KEY@ at p (p[0] == '@', p[1] a capital): writes its value; *ret_len is how much of p it took. */
static int substitute_key(struct render *rd, const struct template *t, unsigned line, const char *p,
                          size_t *ret_len)
{
        const char *key = p + 1;
        size_t n = strspn(key, KEY_CHARS);

        if (key[n] != '@')
                return render_fail(rd, t, line, "", key, n,
                                   " has no closing @ (an @ before a capital starts a @KEY@)");
        for (size_t i = 0; i < rd->n_values; i++) {
                if (strlen(rd->values[i].key) != n || !strneq(rd->values[i].key, key, n))
                        continue;
                if (!rd->values[i].value)
                        return render_fail(rd, t, line, "no value for ", key, n, "@");
                fputs(rd->values[i].value, rd->out);
                rd->used[i] = true;
                *ret_len = n + 2;
                return 0;
        }
        return render_fail(rd, t, line, "unknown key ", key, n, "@");
}

static int render_line(struct render *rd, const struct template *t, unsigned line, const char *p, size_t len)
{
        const char *end = p + len;

        while (p < end) {
                const char *at = memchr(p, '@', (size_t)(end - p));
                size_t used = 0;
                int r;

                if (!at) {
                        fwrite(p, 1, (size_t)(end - p), rd->out);
                        break;
                }
                fwrite(p, 1, (size_t)(at - p), rd->out);
                /* only @ and a capital starts a key: "$@" and "root@host" are text */
                if (at + 1 == end || at[1] < 'A' || at[1] > 'Z') {
                        fputc('@', rd->out);
                        p = at + 1;
                        continue;
                }
                r = substitute_key(rd, t, line, at, &used);
                if (r < 0)
                        return r;
                p = at + used;
        }
        return 0;
}

static int render_one(struct render *rd, const struct template *t)
{
        const char *next, *inc;
        size_t inc_len, k = 0;
        unsigned line = 0;
        int r;

        for (const char *p = t->text; *p; p = next) {
                size_t len = line_at(p, &next);

                line++;
                if (include_line(p, len, &inc, &inc_len)) {
                        r = render_one(rd, t->includes[k++]);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = render_line(rd, t, line, p, (size_t)(next - p));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A value the template never uses means the template and the code that fills it no longer agree. */
static int check_all_used(struct render *rd, const struct template *t)
{
        for (size_t i = 0; i < rd->n_values; i++)
                if (rd->values[i].value && !rd->used[i]) {
                        rd->error = strdup_printf("%s: does not use @%s@, which hostprep fills in", t->path,
                                                  rd->values[i].key);
                        return -EINVAL;
                }
        return 0;
}

int template_render(const struct template *t, const struct template_value *values, size_t n_values,
                    char **ret, char **ret_error)
{
        _cleanup_free_ bool *used = calloc(n_values ? n_values : 1, sizeof(bool));
        _cleanup_free_ char *text = NULL;
        struct render rd = {.values = values, .n_values = n_values, .used = used};
        size_t size = 0;
        int r;

        *ret_error = NULL;
        if (!used)
                return -ENOMEM;
        rd.out = open_memstream(&text, &size);
        if (!rd.out)
                return -ENOMEM;
        r = render_one(&rd, t);
        if (r >= 0)
                r = check_all_used(&rd, t);
        if (fclose(rd.out) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0) {
                *ret_error = rd.error;
                return r;
        }
        *ret = TAKE_PTR(text);
        return 0;
}

int template_render_file(const char *const *dirs, const char *name, const struct template_value *values,
                         size_t n_values, char **ret, char **ret_error)
{
        _cleanup_(template_freep) struct template *t = NULL;
        int r;

        r = template_load(dirs, name, &t, ret_error);
        if (r < 0)
                return r;
        return template_render(t, values, n_values, ret, ret_error);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The grammar is libvirt's (src/util/virconf.c), rule by rule, including its corners: a file of blank
 * lines only does not parse (a statement is expected after them), and a """ string needs seven bytes left
 * to be recognized. Only the list nesting is bounded here, so a hostile file cannot exhaust the stack. */
#include "libvirt-conf.h"

#include <limits.h>

#include "hostfs.h"
#include "strv.h"
#include "textedit.h"
#include "util.h"

#define LIST_DEPTH_MAX 32

struct parser {
        const char *file;
        const char *text, *cur, *end;
        unsigned line;
        unsigned depth;
        char *error;
};

static char cur(const struct parser *p)
{
        return p->cur < p->end ? *p->cur : '\0';
}

static void next(struct parser *p)
{
        if (p->cur < p->end)
                p->cur++;
}

static bool is_eol(char c)
{
        return c == '\n' || c == '\r';
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

static bool is_alpha(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static void skip_blanks(struct parser *p)
{
        while (p->cur < p->end && is_blank(*p->cur))
                p->cur++;
}

static void skip_blanks_and_eol(struct parser *p)
{
        while (p->cur < p->end && (is_blank(*p->cur) || is_eol(*p->cur))) {
                if (*p->cur == '\n')
                        p->line++;
                p->cur++;
        }
}

static bool at_triple_quote(const struct parser *p)
{
        return p->end - p->cur >= 3 && memcmp(p->cur, "\"\"\"", 3) == 0;
}

/* Records the first error, "FILE:LINE: what", and fails. */
static int parse_error(struct parser *p, const char *what)
{
        if (!p->error)
                p->error = strdup_printf("%s:%u: %s", p->file, p->line, what);
        return -EBADMSG;
}

static void value_done(struct libvirt_conf_value *v)
{
        for (size_t i = 0; i < v->n_items; i++)
                value_done(&v->items[i]);
        free(v->items);
        free(v->string);
        *v = (struct libvirt_conf_value){};
}

/* '...' or "...": to the closing quote on the same line. */
static int parse_quoted(struct parser *p, char quote, char **ret)
{
        const char *base;

        next(p);
        base = p->cur;
        while (p->cur < p->end && *p->cur != quote && !is_eol(*p->cur))
                next(p);
        if (cur(p) != quote)
                return parse_error(p, "unterminated string");
        *ret = strndup(base, (size_t)(p->cur - base));
        next(p);
        return *ret ? 0 : -ENOMEM;
}

static int parse_triple_quoted(struct parser *p, char **ret)
{
        const char *base;

        p->cur += 3;
        base = p->cur;
        while (p->cur + 2 < p->end && !at_triple_quote(p)) {
                if (*p->cur == '\n')
                        p->line++;
                next(p);
        }
        if (!at_triple_quote(p))
                return parse_error(p, "unterminated string");
        *ret = strndup(base, (size_t)(p->cur - base));
        p->cur += 3;
        return *ret ? 0 : -ENOMEM;
}

static int parse_string(struct parser *p, char **ret)
{
        if (cur(p) == '\'')
                return parse_quoted(p, '\'', ret);
        if (p->cur + 6 < p->end && at_triple_quote(p))
                return parse_triple_quoted(p, ret);
        return parse_quoted(p, '"', ret);
}

static int parse_number(struct parser *p, struct libvirt_conf_value *v)
{
        bool neg = cur(p) == '-';
        uint64_t n = 0;

        v->type = neg ? LIBVIRT_CONF_SIGNED : LIBVIRT_CONF_UNSIGNED;
        if (cur(p) == '-' || cur(p) == '+')
                next(p);
        if (!is_digit(cur(p)))
                return parse_error(p, "unterminated number");
        for (; is_digit(cur(p)); next(p)) {
                unsigned d = (unsigned)(cur(p) - '0');

                if (n > (UINT64_MAX - d) / 10)
                        v->overflow = true;
                n = n * 10 + d;
        }
        if (n > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
                v->overflow = true;
        v->number = neg ? (int64_t)(0 - n) : (int64_t)n;
        return 0;
}

static int parse_value(struct parser *p, struct libvirt_conf_value *v);

static int list_add(struct parser *p, struct libvirt_conf_value *list)
{
        struct libvirt_conf_value *n = reallocarray(list->items, list->n_items + 1, sizeof(*n));

        if (!n)
                return -ENOMEM;
        list->items = n;
        n = &list->items[list->n_items++];
        *n = (struct libvirt_conf_value){};
        return parse_value(p, n);
}

/* [ value, value, ... ] across lines, a ',' after the last value allowed; no comments inside. */
static int parse_list(struct parser *p, struct libvirt_conf_value *v)
{
        int r;

        v->type = LIBVIRT_CONF_LIST;
        if (p->depth >= LIST_DEPTH_MAX)
                return parse_error(p, "lists nested too deep");
        p->depth++;
        next(p);
        skip_blanks_and_eol(p);
        for (bool first = true; p->cur < p->end && cur(p) != ']'; first = false) {
                if (!first) {
                        if (cur(p) != ',')
                                return parse_error(p, "expecting a separator in list");
                        next(p);
                        skip_blanks_and_eol(p);
                        if (cur(p) == ']')
                                break;
                }
                r = list_add(p, v);
                if (r < 0)
                        return r;
                skip_blanks_and_eol(p);
        }
        if (cur(p) != ']')
                return parse_error(p, "list is not closed with ]");
        next(p);
        p->depth--;
        return 0;
}

static int parse_value(struct parser *p, struct libvirt_conf_value *v)
{
        char c;

        skip_blanks(p);
        c = cur(p);
        if (p->cur >= p->end)
                return parse_error(p, "expecting a value");
        if (c == '"' || c == '\'') {
                v->type = LIBVIRT_CONF_STRING;
                return parse_string(p, &v->string);
        }
        if (c == '[')
                return parse_list(p, v);
        if (is_digit(c) || c == '-' || c == '+')
                return parse_number(p, v);
        return parse_error(p, "expecting a value");
}

static void skip_comment(struct parser *p)
{
        while (p->cur < p->end && !is_eol(*p->cur))
                p->cur++;
}

static int conf_add(struct libvirt_conf *c, struct libvirt_conf_entry *e)
{
        struct libvirt_conf_entry *n = reallocarray(c->entries, c->n_entries + 1, sizeof(*n));

        if (!n)
                return -ENOMEM;
        c->entries = n;
        c->entries[c->n_entries++] = *e;
        *e = (struct libvirt_conf_entry){};
        return 0;
}

static void entry_done(struct libvirt_conf_entry *e)
{
        free(e->name);
        value_done(&e->value);
}

/* A comment line, or `name = value [# comment]`. */
static int parse_statement(struct parser *p, struct libvirt_conf *c)
{
        struct libvirt_conf_entry e = {};
        const char *base;
        int r;

        skip_blanks_and_eol(p);
        if (cur(p) == '#') {
                skip_comment(p);
                return 0;
        }
        if (!is_alpha(cur(p)))
                return parse_error(p, "expecting a name");
        e.line = p->line;
        e.start = (size_t)(p->cur - p->text);
        for (base = p->cur; is_alpha(cur(p)) || is_digit(cur(p)) || cur(p) == '_';)
                next(p);
        e.name = strndup(base, (size_t)(p->cur - base));
        if (!e.name)
                return -ENOMEM;
        skip_blanks(p);
        if (cur(p) != '=')
                r = parse_error(p, "expecting an assignment");
        else {
                next(p);
                r = parse_value(p, &e.value);
                e.end = (size_t)(p->cur - p->text);
        }
        if (r >= 0)
                r = conf_add(c, &e);
        entry_done(&e);
        if (r < 0)
                return r;
        skip_blanks(p);
        if (cur(p) == '#')
                skip_comment(p);
        return 0;
}

/* What ends a statement: the end of the file, line ends, or a ';'. */
static int parse_separator(struct parser *p)
{
        skip_blanks(p);
        if (p->cur >= p->end)
                return 0;
        if (is_eol(cur(p)))
                skip_blanks_and_eol(p);
        else if (cur(p) == ';') {
                next(p);
                skip_blanks_and_eol(p);
        } else
                return parse_error(p, "expecting a separator");
        return 0;
}

int libvirt_conf_parse(const char *file, const char *text, size_t len, struct libvirt_conf **ret,
                       char **ret_error)
{
        _cleanup_(libvirt_conf_freep) struct libvirt_conf *c = calloc(1, sizeof(*c));
        struct parser p = {.file = file, .text = text, .cur = text, .end = text + len, .line = 1};
        int r = 0;

        if (!c || !(c->file = strdup(file)))
                return -ENOMEM;
        while (r >= 0 && p.cur < p.end) {
                r = parse_statement(&p, c);
                if (r >= 0)
                        r = parse_separator(&p);
        }
        if (r < 0) {
                if (ret_error)
                        *ret_error = TAKE_PTR(p.error);
                free(p.error);
                return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

int libvirt_conf_read(const struct hostfs *fs, const char *path, struct libvirt_conf **ret, char **ret_error)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = hostfs_read_file(fs, path, &text, &len);
        if (r < 0)
                return r;
        return libvirt_conf_parse(path, text, len, ret, ret_error);
}

struct libvirt_conf *libvirt_conf_free(struct libvirt_conf *c)
{
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_entries; i++)
                entry_done(&c->entries[i]);
        free(c->entries);
        free(c->file);
        free(c);
        return NULL;
}

const struct libvirt_conf_entry *libvirt_conf_find(const struct libvirt_conf *c, const char *name)
{
        for (size_t i = 0; i < c->n_entries; i++)
                if (streq(c->entries[i].name, name))
                        return &c->entries[i];
        return NULL;
}

char *libvirt_conf_origin(const struct libvirt_conf *c, const char *name)
{
        const struct libvirt_conf_entry *e = libvirt_conf_find(c, name);

        return e ? strdup_printf("%s:%u", c->file, e->line) : NULL;
}

/* name's value when it has type t: NULL with *ret_r -ENOENT or -EINVAL otherwise. */
static const struct libvirt_conf_value *find_typed(const struct libvirt_conf *c, const char *name,
                                                   enum libvirt_conf_type t, int *ret_r)
{
        const struct libvirt_conf_entry *e = libvirt_conf_find(c, name);

        *ret_r = !e ? -ENOENT : e->value.type != t ? -EINVAL : 0;
        return *ret_r < 0 ? NULL : &e->value;
}

int libvirt_conf_get_string(const struct libvirt_conf *c, const char *name, char **ret)
{
        int r;
        const struct libvirt_conf_value *v = find_typed(c, name, LIBVIRT_CONF_STRING, &r);
        char *s;

        if (!v)
                return r;
        s = strdup(v->string);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int libvirt_conf_get_string_list(const struct libvirt_conf *c, const char *name, bool compat_string,
                                 char ***ret)
{
        const struct libvirt_conf_entry *e = libvirt_conf_find(c, name);
        _cleanup_(strv_freep) char **v = NULL;

        if (!e)
                return -ENOENT;
        if (compat_string && e->value.type == LIBVIRT_CONF_STRING) {
                if (strv_push_dup(&v, e->value.string) < 0)
                        return -ENOMEM;
        } else if (e->value.type != LIBVIRT_CONF_LIST)
                return -EINVAL;
        for (size_t i = 0; i < e->value.n_items; i++) {
                if (e->value.items[i].type != LIBVIRT_CONF_STRING)
                        return -EINVAL;
                if (strv_push_dup(&v, e->value.items[i].string) < 0)
                        return -ENOMEM;
        }
        if (!v && !(v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(v);
        return 0;
}

/* An unsigned number up to max. */
static int get_unsigned(const struct libvirt_conf *c, const char *name, uint64_t max, uint64_t *ret)
{
        int r;
        const struct libvirt_conf_value *v = find_typed(c, name, LIBVIRT_CONF_UNSIGNED, &r);

        if (!v)
                return r;
        if (v->overflow || (uint64_t)v->number > max)
                return -ERANGE;
        *ret = (uint64_t)v->number;
        return 0;
}

int libvirt_conf_get_bool(const struct libvirt_conf *c, const char *name, bool *ret)
{
        uint64_t n;
        int r = get_unsigned(c, name, 1, &n);

        if (r < 0)
                return r == -ERANGE ? -EINVAL : r; /* libvirt: "must be 0 or 1" */
        *ret = n == 1;
        return 0;
}

int libvirt_conf_get_uint(const struct libvirt_conf *c, const char *name, unsigned *ret)
{
        uint64_t n;
        int r = get_unsigned(c, name, UINT_MAX, &n);

        if (r < 0)
                return r;
        *ret = (unsigned)n;
        return 0;
}

int libvirt_conf_get_int(const struct libvirt_conf *c, const char *name, int *ret)
{
        const struct libvirt_conf_entry *e = libvirt_conf_find(c, name);

        if (!e)
                return -ENOENT;
        if (e->value.type != LIBVIRT_CONF_SIGNED && e->value.type != LIBVIRT_CONF_UNSIGNED)
                return -EINVAL;
        if (e->value.overflow || e->value.number > INT_MAX || e->value.number < INT_MIN)
                return -ERANGE;
        *ret = (int)e->value.number;
        return 0;
}

int libvirt_conf_edit(const char *file, const char *text, const char *name, const char *statement,
                      const char *added, char **ret, char **ret_error)
{
        _cleanup_(libvirt_conf_freep) struct libvirt_conf *c = NULL;
        _cleanup_free_ char *out = strdup(text);
        bool found = false, changed = false;
        int r;

        if (!out)
                return -ENOMEM;
        r = libvirt_conf_parse(file, text, strlen(text), &c, ret_error);
        if (r < 0)
                return r;
        /* from the last statement back, so the earlier ones' offsets still hold */
        for (size_t i = c->n_entries; i-- > 0;) {
                const struct libvirt_conf_entry *e = &c->entries[i];
                char *next;

                if (!streq(e->name, name))
                        continue;
                found = true;
                if (e->end - e->start == strlen(statement) &&
                    strncmp(text + e->start, statement, e->end - e->start) == 0)
                        continue;
                next = text_splice(out, e->start, e->end, statement);
                if (!next)
                        return -ENOMEM;
                free(out);
                out = next;
                changed = true;
        }
        if (!found) {
                free(out);
                out = text_add_setting(text, name, added);
                changed = true;
        }
        if (!out)
                return -ENOMEM;
        *ret = changed ? TAKE_PTR(out) : NULL;
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exports(5) as nfs-utils reads it. The grammar, in the order the parser applies it:
 *
 *   - A backslash before a newline joins the lines: both become one blank, and leading blanks of the next
 *     line are dropped. Any other backslash is an ordinary character.
 *   - '#' starts a comment only where a token could start (before the path or a client); inside a token it
 *     is an ordinary character.
 *   - A token runs up to white space; double quotes toggle quoting (white space and newlines are then part
 *     of the token) and are dropped; a backslash and three octal digits below 0400 become that byte.
 *   - An entry is: path, then optionally "-options" as the very next token (defaults for the clients that
 *     follow on that line), then clients, up to the newline. A path alone (or with only -options) is
 *     exported to the world.
 *   - A client is "name", "name(options)" or "(options)" (the world, with a warning from exportfs). The ')'
 *     must end the token, so "host (rw)" is two clients: host with the defaults, and the world with rw.
 *   - Option lists are split at ','; blanks before an option are skipped; an empty option is unknown.
 *
 * exportfs stops reading a file at a bad path or client token, or a bad option: getexportent() returns
 * NULL and export_read() ends. A bad address or netmask only drops that client. We go on after both kinds
 * so callers see every problem, and mark what exportfs would not have read (struct
 * export_client.after_error).
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stddef.h>
#include <strings.h>

#include "exports.h"

/* ---- name tables ---- */

static const char *const client_kind_table[] = {
        [EXPORT_CLIENT_ANONYMOUS] = "anonymous", [EXPORT_CLIENT_WORLD] = "world",
        [EXPORT_CLIENT_HOSTNAME] = "hostname",   [EXPORT_CLIENT_IPV4] = "ipv4",
        [EXPORT_CLIENT_IPV6] = "ipv6",           [EXPORT_CLIENT_WILDCARD] = "wildcard",
        [EXPORT_CLIENT_SUBNET_V4] = "subnet-v4", [EXPORT_CLIENT_SUBNET_V6] = "subnet-v6",
        [EXPORT_CLIENT_NETGROUP] = "netgroup",   [EXPORT_CLIENT_GSS] = "gss",
};
_Static_assert(ELEMENTSOF(client_kind_table) == _EXPORT_CLIENT_KIND_MAX, "client_kind_table out of step");

static const char *const sec_flavor_table[] = {
        [EXPORT_SEC_NONE] = "none",   [EXPORT_SEC_SYS] = "sys",     [EXPORT_SEC_KRB5] = "krb5",
        [EXPORT_SEC_KRB5I] = "krb5i", [EXPORT_SEC_KRB5P] = "krb5p",
};
_Static_assert(ELEMENTSOF(sec_flavor_table) == _EXPORT_SEC_FLAVOR_MAX, "sec_flavor_table out of step");

static const char *const xprtsec_table[] = {
        [EXPORT_XPRTSEC_NONE] = "none",
        [EXPORT_XPRTSEC_TLS] = "tls",
        [EXPORT_XPRTSEC_MTLS] = "mtls",
};
_Static_assert(ELEMENTSOF(xprtsec_table) == _EXPORT_XPRTSEC_MAX, "xprtsec_table out of step");

static const char *const reexport_table[] = {
        [EXPORT_REEXPORT_NONE] = "none",
        [EXPORT_REEXPORT_AUTO_FSIDNUM] = "auto-fsidnum",
        [EXPORT_REEXPORT_PREDEFINED_FSIDNUM] = "predefined-fsidnum",
};
_Static_assert(ELEMENTSOF(reexport_table) == _EXPORT_REEXPORT_MAX, "reexport_table out of step");

static const char *const fsloc_table[] = {
        [EXPORT_FSLOC_NONE] = "none",
        [EXPORT_FSLOC_REFER] = "refer",
        [EXPORT_FSLOC_REPLICAS] = "replicas",
};
_Static_assert(ELEMENTSOF(fsloc_table) == _EXPORT_FSLOC_MAX, "fsloc_table out of step");

static const char *const match_table[] = {
        [EXPORT_MATCH_NO] = "no",
        [EXPORT_MATCH_YES] = "yes",
        [EXPORT_MATCH_UNKNOWN] = "unknown",
};
_Static_assert(ELEMENTSOF(match_table) == _EXPORT_MATCH_MAX, "match_table out of step");

static const char *table_lookup(const char *const *table, size_t n, int i)
{
        if (i < 0 || (size_t)i >= n)
                return NULL;
        return table[i];
}

static int table_find(const char *const *table, size_t n, const char *s)
{
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (streq(table[i], s))
                        return (int)i;
        return -EINVAL;
}

const char *export_client_kind_to_string(enum export_client_kind k)
{
        return table_lookup(client_kind_table, ELEMENTSOF(client_kind_table), k);
}

enum export_client_kind export_client_kind_from_string(const char *s)
{
        return table_find(client_kind_table, ELEMENTSOF(client_kind_table), s);
}

const char *export_sec_flavor_to_string(enum export_sec_flavor f)
{
        return table_lookup(sec_flavor_table, ELEMENTSOF(sec_flavor_table), f);
}

enum export_sec_flavor export_sec_flavor_from_string(const char *s)
{
        /* nfs-utils gives these two their own names, with the same number as "sys" and "none". */
        if (s && streq(s, "unix"))
                return EXPORT_SEC_SYS;
        if (s && streq(s, "null"))
                return EXPORT_SEC_NONE;
        return table_find(sec_flavor_table, ELEMENTSOF(sec_flavor_table), s);
}

const char *export_xprtsec_to_string(enum export_xprtsec x)
{
        return table_lookup(xprtsec_table, ELEMENTSOF(xprtsec_table), x);
}

enum export_xprtsec export_xprtsec_from_string(const char *s)
{
        return table_find(xprtsec_table, ELEMENTSOF(xprtsec_table), s);
}

const char *export_reexport_to_string(enum export_reexport r)
{
        return table_lookup(reexport_table, ELEMENTSOF(reexport_table), r);
}

enum export_reexport export_reexport_from_string(const char *s)
{
        return table_find(reexport_table, ELEMENTSOF(reexport_table), s);
}

const char *export_fsloc_to_string(enum export_fsloc f)
{
        return table_lookup(fsloc_table, ELEMENTSOF(fsloc_table), f);
}

const char *export_match_to_string(enum export_match m)
{
        return table_lookup(match_table, ELEMENTSOF(match_table), m);
}

/* ---- small helpers ---- */

/* Grows *array by one zeroed element of size bytes and returns it; NULL (array untouched) on ENOMEM. */
static void *array_append(void *array_p, size_t *n, size_t size)
{
        void **array = array_p;
        char *p = reallocarray(*array, *n + 1, size);
        if (!p)
                return NULL;
        *array = p;
        memset(p + *n * size, 0, size);
        return p + (*n)++ * size;
}

static bool is_octal(char c)
{
        return c >= '0' && c <= '7';
}

/* exportfs compares real paths; offline, at least "/srv/" and "/srv" are the same export. */
static bool path_equal(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        while (la > 1 && a[la - 1] == '/')
                la--;
        while (lb > 1 && b[lb - 1] == '/')
                lb--;
        return la == lb && strneq(a, b, la);
}

static int replace_string(char **dst, const char *src)
{
        char *s = strdup(src);
        if (!s)
                return -ENOMEM;
        free(*dst);
        *dst = s;
        return 0;
}

/* ---- options ---- */

static void export_options_init(struct export_options *o)
{
        *o = (struct export_options){
                .flags = {.read_only = true, .root_squash = true},
                .wdelay = true,
                .anonuid = EXPORTS_ANON_ID_DEFAULT,
                .anongid = EXPORTS_ANON_ID_DEFAULT,
        };
}

static void export_options_done(struct export_options *o)
{
        free(o->fsid_uuid);
        free(o->mountpoint);
        free(o->fsloc_data);
        free(o->squash_uids);
        free(o->squash_gids);
        *o = (struct export_options){};
}

static int dup_ranges(struct export_id_range **dst, const struct export_id_range *src, size_t n)
{
        if (n == 0)
                return 0;
        *dst = reallocarray(NULL, n, sizeof(struct export_id_range));
        if (!*dst)
                return -ENOMEM;
        memcpy(*dst, src, n * sizeof(struct export_id_range));
        return 0;
}

static int export_options_copy(struct export_options *dst, const struct export_options *src)
{
        struct export_options o = *src;

        o.fsid_uuid = o.mountpoint = o.fsloc_data = NULL;
        o.squash_uids = o.squash_gids = NULL;
        if ((src->fsid_uuid && !(o.fsid_uuid = strdup(src->fsid_uuid))) ||
            (src->mountpoint && !(o.mountpoint = strdup(src->mountpoint))) ||
            (src->fsloc_data && !(o.fsloc_data = strdup(src->fsloc_data))) ||
            dup_ranges(&o.squash_uids, src->squash_uids, src->n_squash_uids) < 0 ||
            dup_ranges(&o.squash_gids, src->squash_gids, src->n_squash_gids) < 0) {
                export_options_done(&o);
                return -ENOMEM;
        }
        *dst = o;
        return 0;
}

/* ---- the table ---- */

static void export_client_done(struct export_client *c)
{
        free(c->name);
        export_options_done(&c->options);
        *c = (struct export_client){};
}

static void export_entry_done(struct export_entry *e)
{
        free(e->path);
        for (size_t i = 0; i < e->n_clients; i++)
                export_client_done(&e->clients[i]);
        free(e->clients);
        *e = (struct export_entry){};
}

static void exports_table_done(struct exports_table *t)
{
        for (size_t i = 0; i < t->n_entries; i++)
                export_entry_done(&t->entries[i]);
        free(t->entries);
        for (size_t i = 0; i < t->n_errors; i++)
                free(t->errors[i].message);
        free(t->errors);
        for (size_t i = 0; i < t->n_files; i++)
                free(t->files[i]);
        free(t->files);
        *t = (struct exports_table){};
}

int exports_table_new(struct exports_table **ret)
{
        struct exports_table *t;

        if (!ret)
                return -EINVAL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        *ret = t;
        return 0;
}

struct exports_table *exports_table_free(struct exports_table *t)
{
        if (!t)
                return NULL;
        exports_table_done(t);
        free(t);
        return NULL;
}

/* ---- reading characters and tokens ---- */

struct reader {
        const char *buf;
        size_t len, pos;
        unsigned line;
};

static int reader_getc(struct reader *r)
{
        char c;

        if (r->pos >= r->len)
                return EOF;
        c = r->buf[r->pos++];
        if (c == '\\' && r->pos < r->len && r->buf[r->pos] == '\n') {
                r->pos++;
                r->line++;
                while (r->pos < r->len && (r->buf[r->pos] == ' ' || r->buf[r->pos] == '\t'))
                        r->pos++;
                return ' ';
        }
        if (c == '\n')
                r->line++;
        return (unsigned char)c;
}

/* Skips characters in set, and comments where a token could start; stops before anything else. */
static void reader_skip(struct reader *r, const char *set)
{
        for (;;) {
                struct reader saved = *r;
                int c = reader_getc(r);

                if (c == '#') {
                        while (r->pos < r->len && r->buf[r->pos] != '\n')
                                r->pos++;
                        continue;
                }
                if (c == EOF || !strchr(set, c)) {
                        *r = saved;
                        return;
                }
        }
}

static void reader_skip_line(struct reader *r)
{
        int c;

        do
                c = reader_getc(r);
        while (c != EOF && c != '\n');
}

/* Reads one token. Returns 1 with *ret_token set, 0 if the next character ends a token right away (the
 * newline stays unread, any other white space is consumed), or -ENOMEM. */
static int reader_token(struct reader *r, char **ret_token, bool *ret_unterminated)
{
        _cleanup_free_ char *tok = NULL;
        size_t n = 0, allocated = 0;
        bool quoted = false;

        for (;;) {
                struct reader saved = *r;
                int c = reader_getc(r);

                if (c == EOF)
                        break;
                if (!quoted && isspace(c)) {
                        if (c == '\n')
                                *r = saved;
                        break;
                }
                if (c == '"') {
                        quoted = !quoted;
                        continue;
                }
                if (n + 2 > allocated) {
                        size_t a = allocated ? allocated * 2 : 64;
                        char *p = realloc(tok, a);
                        if (!p)
                                return -ENOMEM;
                        tok = p;
                        allocated = a;
                }
                tok[n++] = (char)c;
                if (n >= 4 && tok[n - 4] == '\\' && is_octal(tok[n - 3]) && is_octal(tok[n - 2]) &&
                    is_octal(tok[n - 1])) {
                        int v = (tok[n - 3] - '0') * 64 + (tok[n - 2] - '0') * 8 + (tok[n - 1] - '0');
                        if (v < 256) {
                                n -= 4;
                                tok[n++] = (char)v;
                        }
                }
        }
        if (n == 0)
                return 0;
        tok[n] = '\0';
        *ret_unterminated = quoted;
        *ret_token = TAKE_PTR(tok);
        return 1;
}

/* ---- the parser ---- */

struct parser {
        struct reader r;
        const char *file;
        const struct exports_table *old; /* what earlier calls parsed, for duplicates */
        struct exports_table new;        /* what this buffer adds */
        size_t n_stops;                  /* errors at which exportfs stops reading this file */
};

static void parser_done(struct parser *p)
{
        exports_table_done(&p->new);
}

_printf_(4, 5) static int parser_error(struct parser *p, unsigned line, bool stops_file, const char *fmt,
                                       ...)
{
        struct exports_error *e;
        char *msg;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        e = array_append(&p->new.errors, &p->new.n_errors, sizeof(struct exports_error));
        if (!e) {
                free(msg);
                return -ENOMEM;
        }
        *e = (struct exports_error){.file = p->file, .line = line, .message = msg, .stops_file = stops_file};
        if (stops_file)
                p->n_stops++;
        return 0;
}

/* Records an error and returns 0 ("bad, reported"), or -ENOMEM. */
#define BAD(p, line, stops, ...)                                                                            \
        ({                                                                                                  \
                int _r_ = parser_error((p), (line), (stops), __VA_ARGS__);                                  \
                _r_ < 0 ? _r_ : 0;                                                                          \
        })

struct option_state {
        struct parser *p;
        unsigned line;
        struct export_options *o;
        unsigned active;   /* bits: which o->sec[] the last sec= named */
        bool saw_reexport; /* per option list, as in nfs-utils */
};

/* Keywords that set or clear one flag. */
struct flag_keyword {
        const char *name;
        bool per_flavor; /* field is in struct export_sec_flags, and follows sec= */
        bool is_sync;    /* records sync_explicit */
        size_t field;
        bool value;
};

#define FLAG(n, f, v)                                                                                       \
        {                                                                                                   \
                .name = n, .field = offsetof(struct export_options, f), .value = v                          \
        }
#define SYNC_FLAG(n, v)                                                                                     \
        {                                                                                                   \
                .name = n, .is_sync = true, .field = offsetof(struct export_options, async), .value = v     \
        }
#define SEC_FLAG(n, f, v)                                                                                   \
        {                                                                                                   \
                .name = n, .per_flavor = true, .field = offsetof(struct export_sec_flags, f), .value = v    \
        }

static const struct flag_keyword flag_keywords[] = {
        SEC_FLAG("ro", read_only, true),
        SEC_FLAG("rw", read_only, false),
        SEC_FLAG("secure", insecure, false),
        SEC_FLAG("insecure", insecure, true),
        SEC_FLAG("root_squash", root_squash, true),
        SEC_FLAG("no_root_squash", root_squash, false),
        SEC_FLAG("all_squash", all_squash, true),
        SEC_FLAG("no_all_squash", all_squash, false),
        SYNC_FLAG("sync", false),
        SYNC_FLAG("async", true),
        FLAG("wdelay", wdelay, true),
        FLAG("no_wdelay", wdelay, false),
        FLAG("hide", nohide, false),
        FLAG("nohide", nohide, true),
        FLAG("crossmnt", crossmnt, true),
        FLAG("nocrossmnt", crossmnt, false),
        FLAG("subtree_check", subtree_check, true),
        FLAG("no_subtree_check", subtree_check, false),
        FLAG("secure_locks", insecure_locks, false),
        FLAG("auth_nlm", insecure_locks, false),
        FLAG("insecure_locks", insecure_locks, true),
        FLAG("no_auth_nlm", insecure_locks, true),
        FLAG("acl", no_acl, false),
        FLAG("no_acl", no_acl, true),
        FLAG("nordirplus", nordirplus, true),
        FLAG("security_label", security_label, true),
        FLAG("sign_fh", sign_fh, true),
        FLAG("pnfs", pnfs, true),
        FLAG("no_pnfs", pnfs, false),
};

static void set_flag(void *base, size_t field, bool value)
{
        *(bool *)((char *)base + field) = value;
}

static void apply_flag(struct option_state *st, const struct flag_keyword *kw)
{
        struct export_options *o = st->o;

        if (!kw->per_flavor) {
                set_flag(o, kw->field, kw->value);
                if (kw->is_sync)
                        o->sync_explicit = true;
                return;
        }
        set_flag(&o->flags, kw->field, kw->value);
        for (size_t i = 0; i < o->n_sec; i++)
                if (st->active & (1u << i))
                        set_flag(&o->sec[i].flags, kw->field, kw->value);
}

/* Keywords with a value: each returns 1 if good, 0 if bad (reported), or -ENOMEM. value is NULL for a
 * bare keyword. */
typedef int (*value_handler_fn)(struct option_state *st, const char *opt, const char *value);

static int parse_anon_id(struct option_state *st, const char *opt, const char *value, uint32_t *ret)
{
        char *end;
        long v = strtol(value, &end, 10);

        if (value[0] == '\0' || *end != '\0')
                return BAD(st->p, st->line, true, "bad %.7s value \"%s\": expected a number", opt, value);
        *ret = (uint32_t)v;
        return 1;
}

static int handle_anonuid(struct option_state *st, const char *opt, const char *value)
{
        return parse_anon_id(st, opt, value, &st->o->anonuid);
}

static int handle_anongid(struct option_state *st, const char *opt, const char *value)
{
        return parse_anon_id(st, opt, value, &st->o->anongid);
}

/* "[-]digits" read as atoi() would. */
static long parse_squash_number(const char **s)
{
        long v = strtol(*s, NULL, 10);

        if (**s == '-')
                (*s)++;
        while (isdigit((unsigned char)**s))
                (*s)++;
        return v;
}

/* nfs-utils splits options at ',' before it reads the list, so only one range fits per option. */
static int handle_squash(struct option_state *st, const char *opt, const char *value)
{
        bool uids = strneq(opt, "squash_uids=", 12);
        const char *s = value;
        struct export_id_range *range;
        long first, last;

        first = parse_squash_number(&s);
        last = first;
        if (*s == '-') {
                s++;
                last = parse_squash_number(&s);
        }
        if (first == -1 || last == -1)
                return BAD(st->p, st->line, true, "uid/gid -1 is not permitted in \"%s\"", opt);
        if (*s != '\0')
                return BAD(st->p, st->line, true, "bad uid/gid list in \"%s\"", opt);

        range = uids ? array_append(&st->o->squash_uids, &st->o->n_squash_uids,
                                    sizeof(struct export_id_range))
                     : array_append(&st->o->squash_gids, &st->o->n_squash_gids,
                                    sizeof(struct export_id_range));
        if (!range)
                return -ENOMEM;
        *range = (struct export_id_range){.first = first, .last = last};
        return 1;
}

static bool is_uuid(const char *s)
{
        size_t n = 0;

        /* nfs-utils counts hex digits and lets anything else pass, so dashes can go anywhere */
        for (; *s; s++)
                if (isxdigit((unsigned char)*s))
                        n++;
        return n == 32;
}

static int handle_fsid(struct option_state *st, const char *opt, const char *value)
{
        char *end;
        unsigned long v;

        if (st->saw_reexport)
                return BAD(st->p, st->line, true, "\"%s\": fsid= must come before reexport=", opt);
        if (streq(value, "root")) {
                st->o->fsid_set = true;
                st->o->fsid = 0;
                return 1;
        }
        v = strtoul(value, &end, 0);
        if (value[0] != '\0' && *end == '\0') {
                st->o->fsid_set = true;
                st->o->fsid = (uint32_t)v;
                return 1;
        }
        if (is_uuid(value))
                return replace_string(&st->o->fsid_uuid, value) < 0 ? -ENOMEM : 1;
        return BAD(st->p, st->line, true, "bad fsid \"%s\": expected a number, \"root\" or a UUID", value);
}

static int handle_mountpoint(struct option_state *st, const char *opt, const char *value)
{
        return replace_string(&st->o->mountpoint, strempty(value)) < 0 ? -ENOMEM : 1;
}

static int handle_fsloc(struct option_state *st, const char *opt, const char *value)
{
        if (replace_string(&st->o->fsloc_data, value) < 0)
                return -ENOMEM;
        st->o->fsloc = strneq(opt, "refer=", 6) ? EXPORT_FSLOC_REFER : EXPORT_FSLOC_REPLICAS;
        return 1;
}

/* Calls f for each ':'-separated item of value, empty items included (as strsep() yields them). */
static int for_each_item(struct option_state *st, const char *value,
                         int (*f)(struct option_state *st, const char *item))
{
        _cleanup_free_ char *copy = strdup(value);
        char *rest = copy, *item;
        int r;

        if (!copy)
                return -ENOMEM;
        while ((item = strsep(&rest, ":")))
                if ((r = f(st, item)) <= 0)
                        return r;
        return 1;
}

static int add_flavor(struct option_state *st, const char *name)
{
        enum export_sec_flavor f = export_sec_flavor_from_string(name);
        struct export_options *o = st->o;
        size_t i;

        if (f < 0)
                return BAD(st->p, st->line, true, "unknown security flavor \"%s\" in sec=", name);
        for (i = 0; i < o->n_sec; i++)
                if (o->sec[i].flavor == f)
                        break;
        if (i == o->n_sec)
                o->sec[o->n_sec++] = (struct export_sec){.flavor = f, .flags = o->flags};
        st->active |= 1u << i;
        return 1;
}

static int handle_sec(struct option_state *st, const char *opt, const char *value)
{
        st->active = 0;
        return for_each_item(st, value, add_flavor);
}

static int add_xprtsec(struct option_state *st, const char *name)
{
        enum export_xprtsec x = export_xprtsec_from_string(name);
        struct export_options *o = st->o;

        if (x < 0)
                return BAD(st->p, st->line, true, "unknown xprtsec mode \"%s\"", name);
        for (size_t i = 0; i < o->n_xprtsec; i++)
                if (o->xprtsec[i] == x)
                        return 1;
        o->xprtsec[o->n_xprtsec++] = x;
        return 1;
}

static int handle_xprtsec(struct option_state *st, const char *opt, const char *value)
{
        return for_each_item(st, value, add_xprtsec);
}

static int handle_reexport(struct option_state *st, const char *opt, const char *value)
{
        enum export_reexport m;

        if (st->saw_reexport)
                return BAD(st->p, st->line, true, "only one reexport= is allowed");
        m = export_reexport_from_string(value);
        if (m < 0)
                return BAD(st->p, st->line, true, "unknown reexport mode \"%s\"", value);
        st->o->reexport = m;
        st->saw_reexport = true;
        return 1;
}

/* A name ending in '=' takes the rest of the option as value; any other name must match whole. */
struct value_keyword {
        const char *name;
        value_handler_fn handler;
};

static const struct value_keyword value_keywords[] = {
        {"anonuid=", handle_anonuid},
        {"anongid=", handle_anongid},
        {"squash_uids=", handle_squash},
        {"squash_gids=", handle_squash},
        {"fsid=", handle_fsid},
        {"mountpoint", handle_mountpoint},
        {"mountpoint=", handle_mountpoint},
        {"mp", handle_mountpoint},
        {"mp=", handle_mountpoint},
        {"refer=", handle_fsloc},
        {"replicas=", handle_fsloc},
        {"sec=", handle_sec},
        {"xprtsec=", handle_xprtsec},
        {"reexport=", handle_reexport},
};

static int parse_option(struct option_state *st, const char *opt)
{
        for (size_t i = 0; i < ELEMENTSOF(flag_keywords); i++)
                if (streq(opt, flag_keywords[i].name)) {
                        apply_flag(st, &flag_keywords[i]);
                        return 1;
                }
        for (size_t i = 0; i < ELEMENTSOF(value_keywords); i++) {
                const char *name = value_keywords[i].name;
                size_t n = strlen(name);

                if (name[n - 1] == '=' ? strneq(opt, name, n) : streq(opt, name))
                        return value_keywords[i].handler(st, opt, name[n - 1] == '=' ? opt + n : NULL);
        }
        return BAD(st->p, st->line, true, "unknown export option \"%s\"", opt);
}

/* Applies a comma-separated list to o. Returns 1 if good, 0 if bad (reported), or -ENOMEM. */
static int parse_option_list(struct parser *p, unsigned line, const char *list, struct export_options *o)
{
        struct option_state st = {.p = p, .line = line, .o = o};
        const char *s = list;

        while (*s == ' ' || *s == '\t')
                s++;
        while (*s) {
                size_t n = strcspn(s, ",");
                _cleanup_free_ char *opt = strndup(s, n);
                int r;

                if (!opt)
                        return -ENOMEM;
                r = parse_option(&st, opt);
                if (r <= 0)
                        return r;
                s += n;
                if (*s == ',')
                        s++;
                while (*s == ' ' || *s == '\t')
                        s++;
        }
        return 1;
}

/* ---- clients ---- */

static int prefix_from_mask(const uint8_t *mask, size_t n)
{
        int bits = 0;
        size_t i = 0;

        for (; i < n && mask[i] == 0xff; i++)
                bits += 8;
        if (i < n) {
                uint8_t m = mask[i];
                while (m & 0x80) {
                        bits++;
                        m = (uint8_t)(m << 1);
                }
                if (m != 0)
                        return -1;
                for (i++; i < n; i++)
                        if (mask[i] != 0)
                                return -1;
        }
        return bits;
}

static void mask_from_prefix(uint8_t *mask, unsigned prefix)
{
        memset(mask, 0, 16);
        for (unsigned i = 0; i < prefix; i++)
                mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

static int parse_subnet(struct parser *p, unsigned line, struct export_client *c)
{
        const char *slash = strchr(c->name, '/'), *m = slash + 1;
        _cleanup_free_ char *base = strndup(c->name, slash - c->name);
        size_t bytes;

        if (!base)
                return -ENOMEM;
        if (inet_pton(AF_INET, base, c->address) == 1) {
                c->family = AF_INET;
                c->kind = EXPORT_CLIENT_SUBNET_V4;
                bytes = 4;
        } else if (inet_pton(AF_INET6, base, c->address) == 1) {
                c->family = AF_INET6;
                c->kind = EXPORT_CLIENT_SUBNET_V6;
                bytes = 16;
        } else
                return BAD(p, line, false, "invalid IP address \"%s\" in \"%s\"", base, c->name);

        if (strchr(m, c->family == AF_INET ? '.' : ':')) {
                if (inet_pton(c->family, m, c->mask) != 1)
                        return BAD(p, line, false, "invalid netmask \"%s\" for %s", m, c->name);
                c->prefixlen = prefix_from_mask(c->mask, bytes);
        } else {
                char *end;
                unsigned long v = strtoul(m, &end, 10);

                /* an empty prefix reads as 0, as in nfs-utils */
                if (*end != '\0' || v > bytes * 8)
                        return BAD(p, line, false, "invalid prefix length \"%s\" for %s", m, c->name);
                c->prefixlen = (int)v;
                mask_from_prefix(c->mask, (unsigned)v);
        }
        for (size_t i = 0; i < bytes; i++)
                c->address[i] &= c->mask[i];
        return 1;
}

/* Decides the kind as nfs-utils' client_gettype() does, refining its "FQDN" into names and addresses.
 * Returns 1, 0 if bad (reported; exportfs skips this client), or -ENOMEM. */
static int classify_client(struct parser *p, unsigned line, struct export_client *c)
{
        const char *s = c->name;

        if (c->unnamed || s[0] == '\0') {
                c->kind = EXPORT_CLIENT_ANONYMOUS;
                return 1;
        }
        if (streq(s, "*")) {
                c->kind = EXPORT_CLIENT_WORLD;
                return 1;
        }
        if (strneq(s, "gss/", 4)) {
                c->kind = EXPORT_CLIENT_GSS;
                return 1;
        }
        if (s[0] == '@') {
                c->kind = EXPORT_CLIENT_NETGROUP;
                return 1;
        }
        for (; *s; s++) {
                if (*s == '*' || *s == '?' || *s == '[') {
                        c->kind = EXPORT_CLIENT_WILDCARD;
                        return 1;
                }
                if (*s == '/')
                        return parse_subnet(p, line, c);
                if (*s == '\\' && s[1])
                        s++;
        }
        if (inet_pton(AF_INET, c->name, c->address) == 1) {
                c->kind = EXPORT_CLIENT_IPV4;
                c->family = AF_INET;
                c->prefixlen = 32;
        } else if (inet_pton(AF_INET6, c->name, c->address) == 1) {
                c->kind = EXPORT_CLIENT_IPV6;
                c->family = AF_INET6;
                c->prefixlen = 128;
        } else {
                c->kind = EXPORT_CLIENT_HOSTNAME;
                return 1;
        }
        mask_from_prefix(c->mask, (unsigned)c->prefixlen);
        return 1;
}

static bool is_duplicate_in(const struct exports_table *t, const char *path, const struct export_client *c)
{
        for (size_t i = 0; i < t->n_entries; i++) {
                const struct export_entry *e = &t->entries[i];

                if (!path_equal(e->path, path))
                        continue;
                for (size_t j = 0; j < e->n_clients; j++) {
                        const struct export_client *o = &e->clients[j];
                        if (!o->after_error && !o->duplicate && strcasecmp(o->name, c->name) == 0)
                                return true;
                }
        }
        return false;
}

/* Moves *c into e. The entry being built is not in p->new yet, so it is searched too. */
static int entry_add_client(struct parser *p, struct export_entry *e, struct export_client *c)
{
        struct export_client *slot;
        struct exports_table current = {.entries = e, .n_entries = 1};

        c->after_error = p->n_stops > 0;
        if (!c->after_error)
                c->duplicate = is_duplicate_in(p->old, e->path, c) || is_duplicate_in(&p->new, e->path, c) ||
                               is_duplicate_in(&current, e->path, c);
        slot = array_append(&e->clients, &e->n_clients, sizeof(struct export_client));
        if (!slot)
                return -ENOMEM;
        *slot = *c;
        *c = (struct export_client){};
        return 0;
}

/* Builds a client from a token (or from nothing, for a path alone) and adds it to e. Returns 1 if good, 0
 * if bad: reported, and if the error stops exportfs the rest of the line is skipped. */
static int parse_client(struct parser *p, struct export_entry *e, unsigned line, const char *tok,
                        const struct export_options *defaults, bool after_bare_client)
{
        _cleanup_(export_client_done) struct export_client c = {.file = p->file, .line = e->line};
        _cleanup_free_ char *list = NULL;
        const char *paren = strchr(tok, '(');
        int r;

        if (paren) {
                const char *close = strchr(paren + 1, ')');

                if (!close || close[1] != '\0')
                        return BAD(p, line, true, "bad option list in \"%s\": ')' must end the client", tok);
                c.has_options = true;
                c.unnamed = paren == tok;
                c.space_before_paren = c.unnamed && after_bare_client;
                c.name = c.unnamed ? strdup("*") : strndup(tok, paren - tok);
                list = strndup(paren + 1, close - paren - 1);
                if (!c.name || !list)
                        return -ENOMEM;
        } else if (!(c.name = strdup(tok)))
                return -ENOMEM;

        r = export_options_copy(&c.options, defaults);
        if (r < 0)
                return r;
        if (list) {
                r = parse_option_list(p, line, list, &c.options);
                if (r <= 0)
                        return r;
        }
        r = classify_client(p, line, &c);
        if (r <= 0)
                return r;
        r = entry_add_client(p, e, &c);
        return r < 0 ? r : 1;
}

static int parse_entry(struct parser *p, unsigned line, char *path)
{
        _cleanup_(export_entry_done) struct export_entry e = {.path = path, .file = p->file, .line = line};
        _cleanup_(export_options_done) struct export_options defaults = {};
        bool first = true, saw_client = false, after_bare_client = false;
        size_t stops = p->n_stops;
        struct export_entry *slot;
        int r;

        export_options_init(&defaults);
        for (;;) {
                _cleanup_free_ char *tok = NULL;
                bool unterminated = false, bare = false;
                unsigned tok_line;

                reader_skip(&p->r, " \t");
                tok_line = p->r.line;
                r = reader_token(&p->r, &tok, &unterminated);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;

                if (unterminated)
                        r = BAD(p, tok_line, true,
                                "unterminated double quote: the rest of the file is one token");
                else if (strlen(tok) > EXPORTS_CLIENT_MAX)
                        r = BAD(p, tok_line, true, "client \"%.32s...\" is longer than %d bytes", tok,
                                EXPORTS_CLIENT_MAX);
                else if (first && tok[0] == '-') {
                        e.has_default_options = true;
                        r = parse_option_list(p, tok_line, tok + 1, &defaults);
                } else if (tok[0] == '-') {
                        saw_client = true;
                        r = BAD(p, tok_line, false,
                                "\"%s\": default options are only recognised right after the path; exportfs takes this for a host name",
                                tok);
                } else {
                        saw_client = true;
                        r = parse_client(p, &e, tok_line, tok, &defaults, after_bare_client);
                        bare = r > 0 && !strchr(tok, '(');
                }
                if (r < 0)
                        return r;
                first = false;
                after_bare_client = bare;
                if (p->n_stops > stops) {
                        /* exportfs gives up here; we go on with the next line */
                        reader_skip_line(&p->r);
                        break;
                }
        }

        /* a path with no client, perhaps with -options, is exported to the world */
        if (!saw_client && p->n_stops == stops) {
                r = parse_client(p, &e, line, "", &defaults, false);
                if (r < 0)
                        return r;
        }
        if (e.n_clients == 0)
                return 0;
        slot = array_append(&p->new.entries, &p->new.n_entries, sizeof(struct export_entry));
        if (!slot)
                return -ENOMEM;
        *slot = e;
        e = (struct export_entry){};
        return 0;
}

static int parse_buffer(struct parser *p)
{
        for (;;) {
                _cleanup_free_ char *path = NULL;
                bool unterminated = false;
                unsigned line;
                int r;

                reader_skip(&p->r, " \t\n");
                if (p->r.pos >= p->r.len)
                        return 0;
                line = p->r.line;
                r = reader_token(&p->r, &path, &unterminated);
                if (r < 0)
                        return r;
                if (r == 0)
                        /* Typically a blank line of a CRLF file: nfs-utils reads an empty path there. */
                        r = BAD(p, line, true,
                                "no path at the start of the line (a carriage return?): exportfs stops reading the file here");
                else if (unterminated)
                        r = BAD(p, line, true,
                                "unterminated double quote: the rest of the file is one token");
                else if (strlen(path) > EXPORTS_PATH_MAX)
                        r = BAD(p, line, true, "path \"%.32s...\" is longer than %d bytes", path,
                                EXPORTS_PATH_MAX);
                else {
                        r = parse_entry(p, line, TAKE_PTR(path));
                        if (r < 0)
                                return r;
                        continue;
                }
                if (r < 0)
                        return r;
                reader_skip_line(&p->r);
        }
}

/* Appends what p found to t, all or nothing. */
static int exports_table_merge(struct exports_table *t, struct parser *p, char *file)
{
        void *a;

        a = reallocarray(t->files, t->n_files + 1, sizeof(char *));
        if (!a)
                return -ENOMEM;
        t->files = a;
        a = reallocarray(t->entries, t->n_entries + p->new.n_entries + 1, sizeof(struct export_entry));
        if (!a)
                return -ENOMEM;
        t->entries = a;
        a = reallocarray(t->errors, t->n_errors + p->new.n_errors + 1, sizeof(struct exports_error));
        if (!a)
                return -ENOMEM;
        t->errors = a;

        t->files[t->n_files++] = file;
        if (p->new.n_entries > 0)
                memcpy(t->entries + t->n_entries, p->new.entries,
                       p->new.n_entries * sizeof(struct export_entry));
        t->n_entries += p->new.n_entries;
        if (p->new.n_errors > 0)
                memcpy(t->errors + t->n_errors, p->new.errors,
                       p->new.n_errors * sizeof(struct exports_error));
        t->n_errors += p->new.n_errors;

        /* the elements moved; only the arrays are left to free */
        free(p->new.entries);
        free(p->new.errors);
        p->new = (struct exports_table){};
        return 0;
}

int exports_parse(struct exports_table *t, const char *file, const char *buf, size_t len)
{
        _cleanup_(parser_done) struct parser p = {};
        _cleanup_free_ char *name = NULL;
        int r, n_errors;

        if (!t || !file || (!buf && len > 0))
                return -EINVAL;
        name = strdup(file);
        if (!name)
                return -ENOMEM;

        p = (struct parser){
                .r = {.buf = buf, .len = len, .line = 1},
                .file = name,
                .old = t,
        };
        r = parse_buffer(&p);
        if (r < 0)
                return r;
        n_errors = (int)p.new.n_errors;
        r = exports_table_merge(t, &p, name);
        if (r < 0)
                return r;
        TAKE_PTR(name);
        return n_errors;
}

/* ---- exports.d ---- */

bool exports_dir_name_is_read(const char *name)
{
        static const char suffix[] = ".exports";
        size_t n;

        if (!name || name[0] == '.')
                return false;
        n = strlen(name);
        return n > strlen(suffix) && streq(name + n - strlen(suffix), suffix);
}

static int compare_version(const void *a, const void *b)
{
        return strverscmp(*(const char *const *)a, *(const char *const *)b);
}

int exports_dir_select(const char *const *names, size_t n_names, const char ***ret_names)
{
        const char **picked;
        size_t n = 0;

        if ((!names && n_names > 0) || !ret_names)
                return -EINVAL;
        picked = calloc(n_names + 1, sizeof(char *));
        if (!picked)
                return -ENOMEM;
        for (size_t i = 0; i < n_names; i++)
                if (exports_dir_name_is_read(names[i]))
                        picked[n++] = names[i];
        qsort(picked, n, sizeof(char *), compare_version);
        *ret_names = picked;
        return (int)n;
}

/* ---- matching ---- */

static bool hostname_equal(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);

        /* "host.example.com." is the same name as "host.example.com" */
        if (la > 0 && a[la - 1] == '.')
                la--;
        if (lb > 0 && b[lb - 1] == '.')
                lb--;
        return la == lb && strncasecmp(a, b, la) == 0;
}

static bool address_in(const struct export_client *c, int family, const uint8_t *address)
{
        size_t bytes = family == AF_INET ? 4 : 16;

        /* family is 0 for kinds without an address */
        if (family != c->family)
                return false;
        for (size_t i = 0; i < bytes; i++)
                if ((address[i] & c->mask[i]) != (c->address[i] & c->mask[i]))
                        return false;
        return true;
}

int export_client_matches(const struct export_client *c, const char *hostname, const char *const *addresses,
                          size_t n_addresses)
{
        bool hit = false;

        if (!c || (!addresses && n_addresses > 0))
                return -EINVAL;

        /* parse every address first, so a bad one is reported whatever the client kind */
        for (size_t i = 0; i < n_addresses; i++) {
                uint8_t a[16];
                int family = strchr(addresses[i], ':') ? AF_INET6 : AF_INET;

                if (inet_pton(family, addresses[i], a) != 1)
                        return -EINVAL;
                if (address_in(c, family, a))
                        hit = true;
        }

        switch (c->kind) {
        case EXPORT_CLIENT_ANONYMOUS:
        case EXPORT_CLIENT_WORLD:
                return EXPORT_MATCH_YES;
        case EXPORT_CLIENT_IPV4:
        case EXPORT_CLIENT_IPV6:
        case EXPORT_CLIENT_SUBNET_V4:
        case EXPORT_CLIENT_SUBNET_V6:
                return hit ? EXPORT_MATCH_YES : EXPORT_MATCH_NO;
        case EXPORT_CLIENT_HOSTNAME:
                if (!hostname)
                        return EXPORT_MATCH_UNKNOWN;
                return hostname_equal(c->name, hostname) ? EXPORT_MATCH_YES : EXPORT_MATCH_NO;
        case EXPORT_CLIENT_WILDCARD:
                if (!hostname)
                        return EXPORT_MATCH_UNKNOWN;
                return fnmatch(c->name, hostname, FNM_CASEFOLD) == 0 ? EXPORT_MATCH_YES : EXPORT_MATCH_NO;
        case EXPORT_CLIENT_NETGROUP:
                return EXPORT_MATCH_UNKNOWN;
        case EXPORT_CLIENT_GSS:
                return EXPORT_MATCH_NO;
        default:
                return -EINVAL;
        }
}

bool export_client_is_wide(const struct export_client *c)
{
        if (!c)
                return false;
        switch (c->kind) {
        case EXPORT_CLIENT_ANONYMOUS:
        case EXPORT_CLIENT_WORLD:
        case EXPORT_CLIENT_WILDCARD:
                return true;
        case EXPORT_CLIENT_SUBNET_V4:
                return c->prefixlen != 32;
        case EXPORT_CLIENT_SUBNET_V6:
                return c->prefixlen != 128;
        default:
                return false;
        }
}

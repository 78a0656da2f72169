/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "plan.h"

#include <stdint.h>

#include "lineiter.h"
#include "strv.h"
#include "util.h"
#include "uuid.h"

static const char *const action_kind_names[] = {
        [ACTION_WRITE_FILE] = "write-file",
        [ACTION_MKDIR] = "mkdir",
        [ACTION_SERVICE] = "service",
        [ACTION_COMMAND] = "command",
        [ACTION_LIBVIRT_DEFINE] = "libvirt-define",
        [ACTION_SELINUX_BOOLEAN] = "selinux-boolean",
        [ACTION_NFT_LOAD] = "nft-load",
        [ACTION_FIREWALLD] = "firewalld",
};
_Static_assert(ELEMENTSOF(action_kind_names) == _ACTION_KIND_MAX, "action_kind_names out of step");

static const char *const service_op_names[] = {
        [SERVICE_ENABLE] = "enable", [SERVICE_DISABLE] = "disable", [SERVICE_START] = "start",
        [SERVICE_STOP] = "stop",     [SERVICE_RESTART] = "restart", [SERVICE_RELOAD] = "reload",
};
_Static_assert(ELEMENTSOF(service_op_names) == _SERVICE_OP_MAX, "service_op_names out of step");

const char *action_kind_to_string(enum action_kind k)
{
        return k >= 0 && k < _ACTION_KIND_MAX ? action_kind_names[k] : NULL;
}

const char *service_op_to_string(enum service_op op)
{
        return op >= 0 && op < _SERVICE_OP_MAX ? service_op_names[op] : NULL;
}

static void action_done(struct action *a)
{
        free(a->unit_id);
        free(a->why);
        free(a->disruption);
        free(a->path);
        free(a->before);
        free(a->after);
        free(a->service);
        strv_free(a->argv);
        free(a->uri);
        free(a->domain);
        free(a->uuid);
        free(a->boolean);
        free(a->zone);
        free(a->item);
        free(a->value);
}

void plan_done(struct plan *p)
{
        for (size_t i = 0; i < p->n_actions; i++)
                action_done(&p->actions[i]);
        free(p->actions);
        p->actions = NULL;
        p->n_actions = 0;
}

/* strdup that keeps NULL as NULL; false only when a copy failed. */
static bool dup_opt(const char *s, char **ret)
{
        *ret = s ? strdup(s) : NULL;
        return !s || *ret;
}

/* Appends a, which owns its strings: on failure they are freed. */
static int plan_push(struct plan *p, struct action *a)
{
        struct action *n;

        n = reallocarray(p->actions, p->n_actions + 1, sizeof(*n));
        if (!n) {
                action_done(a);
                return -ENOMEM;
        }
        p->actions = n;
        p->actions[p->n_actions++] = *a;
        return 0;
}

static int action_init(struct action *a, enum action_kind kind, const char *unit_id, const char *why)
{
        *a = (struct action){.kind = kind};
        if (!dup_opt(unit_id, &a->unit_id) || !dup_opt(why, &a->why)) {
                action_done(a);
                return -ENOMEM;
        }
        return 0;
}

int plan_write_file(struct plan *p, const char *unit_id, const char *path, const char *before,
                    const char *after, mode_t mode, const char *why)
{
        struct action a;

        if (!path || path[0] != '/' || !after)
                return -EINVAL;
        if (action_init(&a, ACTION_WRITE_FILE, unit_id, why) < 0)
                return -ENOMEM;
        a.mode = mode & 07777;
        if (!dup_opt(path, &a.path) || !dup_opt(before, &a.before) || !dup_opt(after, &a.after)) {
                action_done(&a);
                return -ENOMEM;
        }
        return plan_push(p, &a);
}

int plan_mkdir(struct plan *p, const char *unit_id, const char *path, mode_t mode, const char *why)
{
        struct action a;

        if (!path || path[0] != '/')
                return -EINVAL;
        if (action_init(&a, ACTION_MKDIR, unit_id, why) < 0)
                return -ENOMEM;
        a.mode = mode & 07777;
        if (!dup_opt(path, &a.path)) {
                action_done(&a);
                return -ENOMEM;
        }
        return plan_push(p, &a);
}

int plan_service(struct plan *p, const char *unit_id, const char *service, enum service_op op,
                 const char *why)
{
        struct action a;

        if (!service || !*service || !service_op_to_string(op))
                return -EINVAL;
        if (action_init(&a, ACTION_SERVICE, unit_id, why) < 0)
                return -ENOMEM;
        a.op = op;
        if (!dup_opt(service, &a.service)) {
                action_done(&a);
                return -ENOMEM;
        }
        return plan_push(p, &a);
}

int plan_command(struct plan *p, const char *unit_id, char *const *argv, const char *why)
{
        struct action a;

        if (!argv || !argv[0] || !*argv[0])
                return -EINVAL;
        if (action_init(&a, ACTION_COMMAND, unit_id, why) < 0)
                return -ENOMEM;
        STRV_FOREACH (s, argv)
                if (strv_push_dup(&a.argv, *s) < 0) {
                        action_done(&a);
                        return -ENOMEM;
                }
        return plan_push(p, &a);
}

int plan_command_redone(struct plan *p, const char *unit_id, char *const *argv, const char *why)
{
        int r = plan_command(p, unit_id, argv, why);

        if (r >= 0)
                p->actions[p->n_actions - 1].redo_on_rollback = true;
        return r;
}

int plan_command_redone_while(struct plan *p, const char *unit_id, char *const *argv, const char *path,
                              const char *why)
{
        int r;

        if (!path || path[0] != '/')
                return -EINVAL;
        r = plan_command_redone(p, unit_id, argv, why);
        if (r >= 0 && !(p->actions[p->n_actions - 1].path = strdup(path)))
                return -ENOMEM;
        return r;
}

int plan_selinux_boolean(struct plan *p, const char *unit_id, const char *name, bool value, const char *why)
{
        struct action a;

        if (!name || !*name ||
            name[strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")])
                return -EINVAL;
        if (action_init(&a, ACTION_SELINUX_BOOLEAN, unit_id, why) < 0)
                return -ENOMEM;
        a.boolean_value = value;
        if (!dup_opt(name, &a.boolean)) {
                action_done(&a);
                return -ENOMEM;
        }
        return plan_push(p, &a);
}

int plan_libvirt_define(struct plan *p, const char *unit_id, const char *uri, const char *domain,
                        const char *uuid, const char *before, const char *after, const char *why)
{
        _cleanup_free_ char *id = NULL;
        struct action a;

        if (!domain || !*domain || !before || !after || (uri && !*uri) || !uuid ||
            uuid_normalize(uuid, &id) < 0)
                return -EINVAL;
        if (action_init(&a, ACTION_LIBVIRT_DEFINE, unit_id, why) < 0)
                return -ENOMEM;
        a.uuid = TAKE_PTR(id);
        if (!dup_opt(uri ? uri : PLAN_LIBVIRT_URI_DEFAULT, &a.uri) || !dup_opt(domain, &a.domain) ||
            !dup_opt(before, &a.before) || !dup_opt(after, &a.after)) {
                action_done(&a);
                return -ENOMEM;
        }
        return plan_push(p, &a);
}

int plan_nft_load(struct plan *p, const char *unit_id, const char *commands, const char *why)
{
        struct action a;

        if (!commands || !*commands)
                return -EINVAL;
        if (action_init(&a, ACTION_NFT_LOAD, unit_id, why) < 0)
                return -ENOMEM;
        if (!dup_opt(commands, &a.after)) {
                action_done(&a);
                return -ENOMEM;
        }
        return plan_push(p, &a);
}

int plan_firewalld(struct plan *p, const char *unit_id, const char *zone, const char *item,
                   const char *value, const char *why)
{
        struct action a;

        if (!zone || !*zone || !item || !value || !*value ||
            (!streq(item, "port") && !streq(item, "service") && !streq(item, "rich-rule")))
                return -EINVAL;
        if (action_init(&a, ACTION_FIREWALLD, unit_id, why) < 0)
                return -ENOMEM;
        if (!dup_opt(zone, &a.zone) || !dup_opt(item, &a.item) || !dup_opt(value, &a.value)) {
                action_done(&a);
                return -ENOMEM;
        }
        return plan_push(p, &a);
}

int plan_mark_disruptive(struct plan *p, const char *why)
{
        struct action *a;
        char *s;

        if (p->n_actions == 0 || !why)
                return -EINVAL;
        a = &p->actions[p->n_actions - 1];
        s = strdup(why);
        if (!s)
                return -ENOMEM;
        free(a->disruption);
        a->disruption = s;
        return 0;
}

/* ---- as JSON ---- */

static int name_index(const char *const *names, size_t n, const char *s)
{
        for (size_t i = 0; s && i < n; i++)
                if (streq(names[i], s))
                        return (int)i;
        return -1;
}

static int add_string(json_object *o, const char *key, const char *s)
{
        json_object *v;

        if (!s)
                return 0;
        v = json_object_new_string(s);
        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int add_argv(json_object *o, char *const *argv)
{
        json_object *arr = json_object_new_array();

        if (!arr || json_object_object_add(o, "argv", arr) < 0) {
                json_object_put(arr);
                return -ENOMEM;
        }
        STRV_FOREACH (s, argv) {
                json_object *v = json_object_new_string(*s);
                if (!v || json_object_array_add(arr, v) < 0) {
                        json_object_put(v);
                        return -ENOMEM;
                }
        }
        return 0;
}

static json_object *action_to_json(const struct action *a)
{
        const struct {
                const char *key, *value;
        } strings[] = {
                {"kind", action_kind_to_string(a->kind)},
                {"unit", a->unit_id},
                {"why", a->why},
                {"disruption", a->disruption},
                {"path", a->path},
                {"before", a->before},
                {"after", a->after},
                {"service", a->service},
                {"op", a->kind == ACTION_SERVICE ? service_op_to_string(a->op) : NULL},
                {"uri", a->uri},
                {"domain", a->domain},
                {"uuid", a->uuid},
                {"boolean", a->boolean},
                {"zone", a->zone},
                {"item", a->item},
                {"value", a->value},
        };
        json_object *o = json_object_new_object();
        int r = o ? 0 : -ENOMEM;

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(strings); i++)
                r = add_string(o, strings[i].key, strings[i].value);
        if (r >= 0 && (a->kind == ACTION_WRITE_FILE || a->kind == ACTION_MKDIR))
                r = json_object_object_add(o, "mode", json_object_new_int((int)a->mode));
        if (r >= 0 && a->argv)
                r = add_argv(o, a->argv);
        if (r >= 0 && a->redo_on_rollback)
                r = json_object_object_add(o, "redo_on_rollback", json_object_new_boolean(true));
        if (r >= 0 && a->kind == ACTION_SELINUX_BOOLEAN)
                r = json_object_object_add(o, "value", json_object_new_boolean(a->boolean_value));
        if (r < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

json_object *plan_to_json(const struct plan *p)
{
        json_object *arr = json_object_new_array();

        for (size_t i = 0; arr && i < p->n_actions; i++) {
                json_object *o = action_to_json(&p->actions[i]);

                if (!o || json_object_array_add(arr, o) < 0) {
                        json_object_put(o);
                        json_object_put(arr);
                        return NULL;
                }
        }
        return arr;
}

static const char *get_string(json_object *o, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* argv of a command action, NULL-terminated (caller frees); -EBADMSG unless an array of strings. */
static int get_argv(json_object *o, char ***ret)
{
        _cleanup_(strv_freep) char **argv = NULL;
        json_object *arr;

        if (!json_object_object_get_ex(o, "argv", &arr) || !json_object_is_type(arr, json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                json_object *v = json_object_array_get_idx(arr, i);

                if (!json_object_is_type(v, json_type_string))
                        return -EBADMSG;
                if (strv_push_dup(&argv, json_object_get_string(v)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(argv);
        return 0;
}

static int action_from_json(json_object *o, struct plan *p)
{
        int kind = name_index(action_kind_names, ELEMENTSOF(action_kind_names), get_string(o, "kind"));
        const char *unit = get_string(o, "unit"), *why = get_string(o, "why"), *path = get_string(o, "path");
        _cleanup_(strv_freep) char **argv = NULL;
        json_object *mode = NULL, *flag = NULL;
        int op, r;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        if ((kind == ACTION_WRITE_FILE || kind == ACTION_MKDIR) &&
            (!json_object_object_get_ex(o, "mode", &mode) || !json_object_is_type(mode, json_type_int)))
                return -EBADMSG;
        switch (kind) {
        case ACTION_WRITE_FILE:
                r = plan_write_file(p, unit, path, get_string(o, "before"), get_string(o, "after"),
                                    (mode_t)json_object_get_int(mode), why);
                break;
        case ACTION_MKDIR:
                r = plan_mkdir(p, unit, path, (mode_t)json_object_get_int(mode), why);
                break;
        case ACTION_SERVICE:
                op = name_index(service_op_names, ELEMENTSOF(service_op_names), get_string(o, "op"));
                r = plan_service(p, unit, get_string(o, "service"), op, why);
                break;
        case ACTION_COMMAND:
                r = get_argv(o, &argv);
                if (r >= 0 && path)
                        r = plan_command_redone_while(p, unit, argv, path, why);
                else if (r >= 0)
                        r = json_object_object_get_ex(o, "redo_on_rollback", &flag) &&
                                            json_object_get_boolean(flag)
                                    ? plan_command_redone(p, unit, argv, why)
                                    : plan_command(p, unit, argv, why);
                break;
        case ACTION_SELINUX_BOOLEAN:
                if (!json_object_object_get_ex(o, "value", &flag) ||
                    !json_object_is_type(flag, json_type_boolean))
                        return -EBADMSG;
                r = plan_selinux_boolean(p, unit, get_string(o, "boolean"), json_object_get_boolean(flag),
                                         why);
                break;
        case ACTION_LIBVIRT_DEFINE:
                r = plan_libvirt_define(p, unit, get_string(o, "uri"), get_string(o, "domain"),
                                        get_string(o, "uuid"), get_string(o, "before"),
                                        get_string(o, "after"), why);
                break;
        case ACTION_NFT_LOAD:
                r = plan_nft_load(p, unit, get_string(o, "after"), why);
                break;
        case ACTION_FIREWALLD:
                r = plan_firewalld(p, unit, get_string(o, "zone"), get_string(o, "item"),
                                   get_string(o, "value"), why);
                break;
        default:
                return -EBADMSG;
        }
        if (r >= 0 && get_string(o, "disruption"))
                r = plan_mark_disruptive(p, get_string(o, "disruption"));
        return r == -EINVAL ? -EBADMSG : r;
}

int plan_from_json(json_object *arr, struct plan *p, char **ret_error)
{
        struct plan got = {0};
        struct action *n;
        int r = json_object_is_type(arr, json_type_array) ? 0 : -EBADMSG;

        for (size_t i = 0; r >= 0 && i < json_object_array_length(arr); i++) {
                r = action_from_json(json_object_array_get_idx(arr, i), &got);
                if (r == -EBADMSG && ret_error)
                        *ret_error = strdup_printf("plan action %zu is malformed", i);
        }
        if (r == -EBADMSG && ret_error && !json_object_is_type(arr, json_type_array))
                *ret_error = strdup("plan: not an array");
        n = r >= 0 ? reallocarray(p->actions, p->n_actions + got.n_actions + 1, sizeof(*n)) : NULL;
        if (r >= 0 && !n)
                r = -ENOMEM;
        if (r < 0) {
                plan_done(&got);
                return r;
        }
        if (got.n_actions > 0)
                memcpy(n + p->n_actions, got.actions, got.n_actions * sizeof(*n));
        p->actions = n;
        p->n_actions += got.n_actions;
        free(got.actions);
        return 0;
}

/* ---- unified diff ---- */

struct line {
        const char *s;
        size_t len; /* with the '\n', when the line has one */
        uint32_t hash;
};

/* Splits text into lines; the last one may lack its newline, which makes it differ from the same text
 * with one (so "\ No newline at end of file" shows up where it belongs). */
static int split_lines(const char *text, struct line **ret, size_t *ret_n)
{
        struct line *v = NULL;
        size_t n = 0, cap = 0;

        LINE_FOREACH(l, text)
        {
                size_t len = l.len + l.newline;
                uint32_t h = 2166136261u;

                if (n == cap) {
                        struct line *nv;

                        cap = cap ? cap * 2 : 64;
                        nv = reallocarray(v, cap, sizeof(*v));
                        if (!nv) {
                                free(v);
                                return -ENOMEM;
                        }
                        v = nv;
                }
                for (size_t i = 0; i < len; i++)
                        h = (h ^ (unsigned char)l.line[i]) * 16777619u;
                v[n++] = (struct line){l.line, len, h};
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static bool line_eq(const struct line *a, const struct line *b)
{
        return a->hash == b->hash && a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

enum edit { EDIT_KEEP, EDIT_DEL, EDIT_ADD };

struct script {
        unsigned char *ops; /* enum edit, in file order */
        size_t n, cap;
};

static int script_push(struct script *sc, enum edit e, size_t count)
{
        if (count == 0)
                return 0;
        if (sc->n + count > sc->cap) {
                size_t ncap = sc->cap ? sc->cap : 64;
                unsigned char *n;

                while (ncap < sc->n + count)
                        ncap *= 2;
                n = realloc(sc->ops, ncap);
                if (!n)
                        return -ENOMEM;
                sc->ops = n;
                sc->cap = ncap;
        }
        memset(sc->ops + sc->n, e, count);
        sc->n += count;
        return 0;
}

/* The LCS table of the middle (what remains once the common head and tail are cut) is n*m cells; past this
 * the middle is shown as removed and added whole: still a correct diff, only not the smallest. */
#define DIFF_LCS_MAX_CELLS (4u * 1024u * 1024u)

/* Edit script turning a[0..n) into b[0..m), by longest common subsequence. */
static int diff_middle(const struct line *a, size_t n, const struct line *b, size_t m, struct script *sc)
{
        _cleanup_free_ uint32_t *t = NULL;
        size_t i = 0, j = 0;

        if (n == 0 || m == 0 || n > DIFF_LCS_MAX_CELLS / m) {
                if (script_push(sc, EDIT_DEL, n) < 0 || script_push(sc, EDIT_ADD, m) < 0)
                        return -ENOMEM;
                return 0;
        }
        /* t[i][j]: length of the LCS of a[i..n) and b[j..m) */
        t = calloc((n + 1) * (m + 1), sizeof(*t));
        if (!t)
                return -ENOMEM;
#define T(x, y) t[(x) * (m + 1) + (y)]
        for (size_t x = n; x-- > 0;)
                for (size_t y = m; y-- > 0;)
                        T(x, y) = line_eq(&a[x], &b[y])        ? T(x + 1, y + 1) + 1
                                  : T(x + 1, y) >= T(x, y + 1) ? T(x + 1, y)
                                                               : T(x, y + 1);
        while (i < n && j < m) {
                int r;

                if (line_eq(&a[i], &b[j])) {
                        r = script_push(sc, EDIT_KEEP, 1);
                        i++, j++;
                } else if (T(i + 1, j) >= T(i, j + 1)) {
                        r = script_push(sc, EDIT_DEL, 1);
                        i++;
                } else {
                        r = script_push(sc, EDIT_ADD, 1);
                        j++;
                }
                if (r < 0)
                        return r;
        }
#undef T
        if (script_push(sc, EDIT_DEL, n - i) < 0 || script_push(sc, EDIT_ADD, m - j) < 0)
                return -ENOMEM;
        return 0;
}

#define DIFF_CONTEXT 3

static void print_line(FILE *f, char prefix, const struct line *l)
{
        fputc(prefix, f);
        fwrite(l->s, 1, l->len, f);
        if (l->len == 0 || l->s[l->len - 1] != '\n')
                fputs("\n\\ No newline at end of file\n", f);
}

/* GNU diff's range: "start,count", "start" alone for one line, the line before for an empty range. */
static void print_range(FILE *f, size_t start, size_t count)
{
        if (count == 1)
                fprintf(f, "%zu", start + 1);
        else
                fprintf(f, "%zu,%zu", count == 0 ? start : start + 1, count);
}

/* "--- a/etc/x" and "+++ b/etc/x", /dev/null for the side that has no file */
static void print_header(FILE *f, const char *path, bool before, bool after)
{
        const char *rel = path + strspn(path, "/");

        if (before)
                fprintf(f, "--- a/%s\n", rel);
        else
                fputs("--- /dev/null\n", f);
        if (after)
                fprintf(f, "+++ b/%s\n", rel);
        else
                fputs("+++ /dev/null\n", f);
}

int plan_diff(FILE *f, const char *path, const char *before, const char *after)
{
        _cleanup_free_ struct line *a = NULL, *b = NULL;
        struct script sc = {};
        size_t n, m, head = 0, tail = 0, k = 0;
        int hunks = 0, r;

        if (split_lines(before, &a, &n) < 0 || split_lines(after, &b, &m) < 0)
                return -ENOMEM;
        while (head < n && head < m && line_eq(&a[head], &b[head]))
                head++;
        while (tail < n - head && tail < m - head && line_eq(&a[n - 1 - tail], &b[m - 1 - tail]))
                tail++;
        if (head == n && head == m && (before != NULL) == (after != NULL))
                return 0;

        r = script_push(&sc, EDIT_KEEP, head);
        if (r >= 0)
                r = diff_middle(a + head, n - head - tail, b + head, m - head - tail, &sc);
        if (r >= 0)
                r = script_push(&sc, EDIT_KEEP, tail);
        if (r < 0) {
                free(sc.ops);
                return r;
        }

        print_header(f, path, before != NULL, after != NULL);

        /* ai, bi: line numbers (0-based) in a and b at op k */
        for (size_t ai = 0, bi = 0; k < sc.n;) {
                size_t start, end, last, sa, sb, ca = 0, cb = 0, x, y;

                if (sc.ops[k] == EDIT_KEEP) {
                        k++, ai++, bi++;
                        continue;
                }
                /* a change at k: the hunk starts DIFF_CONTEXT lines earlier and runs until a stretch of
                 * more than 2 * DIFF_CONTEXT kept lines, then takes DIFF_CONTEXT of them */
                start = k >= DIFF_CONTEXT ? k - DIFF_CONTEXT : 0;
                sa = ai - (k - start);
                sb = bi - (k - start);
                last = k;
                for (size_t p = k; p < sc.n; p++) {
                        if (sc.ops[p] != EDIT_KEEP)
                                last = p;
                        else if (p - last > 2 * DIFF_CONTEXT)
                                break;
                }
                end = last + 1 + DIFF_CONTEXT < sc.n ? last + 1 + DIFF_CONTEXT : sc.n;
                for (size_t p = start; p < end; p++) {
                        ca += sc.ops[p] != EDIT_ADD;
                        cb += sc.ops[p] != EDIT_DEL;
                }
                fputs("@@ -", f);
                print_range(f, sa, ca);
                fputs(" +", f);
                print_range(f, sb, cb);
                fputs(" @@\n", f);
                x = sa, y = sb;
                for (size_t p = start; p < end; p++) {
                        if (sc.ops[p] == EDIT_KEEP) {
                                print_line(f, ' ', &a[x]);
                                x++, y++;
                        } else if (sc.ops[p] == EDIT_DEL)
                                print_line(f, '-', &a[x++]);
                        else
                                print_line(f, '+', &b[y++]);
                }
                hunks++;
                k = end, ai = x, bi = y;
        }
        free(sc.ops);
        return hunks;
}

/* ---- showing a plan ---- */

static bool shell_safe(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-", *s))
                        return false;
        return true;
}

char *plan_quote_argv(char *const *argv)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f;

        f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        STRV_FOREACH (s, argv) {
                if (s != argv)
                        fputc(' ', f);
                if (shell_safe(*s)) {
                        fputs(*s, f);
                        continue;
                }
                fputc('\'', f);
                for (const char *c = *s; *c; c++)
                        if (*c == '\'')
                                fputs("'\\''", f);
                        else
                                fputc(*c, f);
                fputc('\'', f);
        }
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(buf);
}

static void print_head(FILE *f, const struct action *a)
{
        fprintf(f, "[%s] ", a->unit_id ? a->unit_id : "-");
}

static void print_tail(FILE *f, const struct action *a, bool force)
{
        if (a->why)
                fprintf(f, ": %s", a->why);
        fputc('\n', f);
        if (a->disruption)
                fprintf(f, "    disruptive: %s; %s\n", a->disruption,
                        force ? "will run (--force)" : "skipped unless --force is given");
}

/* The domain's XML as libvirt keeps it, shown as the file NAME.xml. */
static int print_libvirt_define(FILE *f, const struct action *a, bool force)
{
        _cleanup_free_ char *name = strdup_printf("%s.xml", a->domain);

        if (!name)
                return -ENOMEM;
        fprintf(f, "redefine domain %s (%s)", a->domain, a->uri);
        print_tail(f, a, force);
        return plan_diff(f, name, a->before, a->after);
}

int plan_print(FILE *f, const struct plan *p, bool force)
{
        fprintf(f, "Plan: %zu action%s\n", p->n_actions, p->n_actions == 1 ? "" : "s");
        for (size_t i = 0; i < p->n_actions; i++) {
                const struct action *a = &p->actions[i];
                _cleanup_free_ char *cmd = NULL;
                int r;

                print_head(f, a);
                switch (a->kind) {
                case ACTION_WRITE_FILE:
                        if (!a->before)
                                fprintf(f, "create %s (mode %04o)", a->path, (unsigned)a->mode);
                        else if (streq(a->before, a->after))
                                fprintf(f, "unchanged %s", a->path);
                        else
                                fprintf(f, "edit %s", a->path);
                        print_tail(f, a, force);
                        r = plan_diff(f, a->path, a->before, a->after);
                        if (r < 0)
                                return r;
                        break;
                case ACTION_MKDIR:
                        fprintf(f, "mkdir %s (mode %04o)", a->path, (unsigned)a->mode);
                        print_tail(f, a, force);
                        break;
                case ACTION_SERVICE:
                        fprintf(f, "systemctl %s %s", service_op_to_string(a->op), a->service);
                        print_tail(f, a, force);
                        break;
                case ACTION_COMMAND:
                        cmd = plan_quote_argv(a->argv);
                        if (!cmd)
                                return -ENOMEM;
                        if (a->redo_on_rollback && a->path)
                                fprintf(f, "run %s (again on rollback while %s exists)", cmd, a->path);
                        else
                                fprintf(f, "run %s%s", cmd,
                                        a->redo_on_rollback ? " (again on rollback)" : "");
                        print_tail(f, a, force);
                        break;
                case ACTION_LIBVIRT_DEFINE:
                        r = print_libvirt_define(f, a, force);
                        if (r < 0)
                                return r;
                        break;
                case ACTION_SELINUX_BOOLEAN:
                        fprintf(f, "set SELinux boolean %s %s, persistently (setsebool -P)", a->boolean,
                                a->boolean_value ? "on" : "off");
                        print_tail(f, a, force);
                        break;
                case ACTION_NFT_LOAD:
                        fprintf(f, "nft: load into the running ruleset");
                        print_tail(f, a, force);
                        fprintf(f, "%s%s", a->after, endswith(a->after, "\n") ? "" : "\n");
                        break;
                case ACTION_FIREWALLD:
                        fprintf(f, "firewalld: add %s %s to zone %s (runtime and permanent)", a->item,
                                a->value, a->zone);
                        print_tail(f, a, force);
                        break;
                default:
                        return -EINVAL;
                }
        }
        return 0;
}

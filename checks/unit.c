/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"

#include <stdarg.h>

#include "strv.h"

static const char *const status_names[] = {
        [STATUS_PASS] = "PASS", [STATUS_WARN] = "WARN",   [STATUS_FAIL] = "FAIL",
        [STATUS_SKIP] = "SKIP", [STATUS_ERROR] = "ERROR", [STATUS_FIXED] = "FIXED",
};
_Static_assert(ELEMENTSOF(status_names) == _STATUS_MAX, "status_names out of step with enum status");

static const char *const status_json_names[] = {
        [STATUS_PASS] = "pass", [STATUS_WARN] = "warn",   [STATUS_FAIL] = "fail",
        [STATUS_SKIP] = "skip", [STATUS_ERROR] = "error", [STATUS_FIXED] = "fixed",
};
_Static_assert(ELEMENTSOF(status_json_names) == _STATUS_MAX, "status_json_names out of step");

static const char *const role_names[] = {
        [ROLE_NFS_SERVER] = "nfs-server",
        [ROLE_HYPERVISOR] = "hypervisor",
};
_Static_assert(ELEMENTSOF(role_names) == _ROLE_MAX, "role_names out of step with enum role");

const char *status_to_string(enum status s)
{
        return s >= 0 && s < _STATUS_MAX ? status_names[s] : "?";
}

const char *status_to_json(enum status s)
{
        return s >= 0 && s < _STATUS_MAX ? status_json_names[s] : "?";
}

enum status status_from_json(const char *s)
{
        for (int i = 0; i < _STATUS_MAX; i++)
                if (s && streq(status_json_names[i], s))
                        return (enum status)i;
        return _STATUS_INVALID;
}

const char *role_to_string(enum role r)
{
        return r >= 0 && r < _ROLE_MAX ? role_names[r] : "?";
}

enum role role_from_string(const char *s)
{
        for (int i = 0; i < _ROLE_MAX; i++)
                if (s && streq(role_names[i], s))
                        return (enum role)i;
        return _ROLE_INVALID;
}

char *roles_to_string(unsigned roles)
{
        _cleanup_(strv_freep) char **v = NULL;

        for (int i = 0; i < _ROLE_MAX; i++)
                if (roles & ROLE_BIT(i))
                        if (strv_push_dup(&v, role_names[i]) < 0)
                                return NULL;
        return v ? strv_join(v, ", ") : strdup("none");
}

static void result_done(struct result *r)
{
        free(r->id);
        free(r->reason);
        free(r->message);
        free(r->hint);
        free(r->evidence);
}

void result_list_done(struct result_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                result_done(&l->items[i]);
        free(l->items);
        *l = (struct result_list){0};
}

static int strdup_opt(const char *s, char **ret)
{
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int result_list_add(struct result_list *l, const char *id, enum status status, const char *message,
                    const char *hint, const char *evidence)
{
        struct result r = {.status = status};
        struct result *items;

        if (strdup_opt(id, &r.id) < 0 || strdup_opt(message, &r.message) < 0 ||
            strdup_opt(hint, &r.hint) < 0 || strdup_opt(evidence, &r.evidence) < 0) {
                result_done(&r);
                return -ENOMEM;
        }
        items = realloc(l->items, (l->n + 1) * sizeof(*items));
        if (!items) {
                result_done(&r);
                return -ENOMEM;
        }
        l->items = items;
        l->items[l->n++] = r;
        return 0;
}

/* Gives the result just added a reason. */
static int set_last_reason(struct result_list *l, const char *reason)
{
        if (!reason)
                return 0;
        l->items[l->n - 1].reason = strdup(reason);
        return l->items[l->n - 1].reason ? 0 : -ENOMEM;
}

int result_list_add_restated(struct result_list *l, const struct result *src, enum status status,
                             const char *message, const char *hint)
{
        int r = result_list_add(l, src->id, status, message, hint, src->evidence);

        return r < 0 ? r : set_last_reason(l, src->reason);
}

int result_list_add_copy(struct result_list *l, const struct result *src)
{
        return result_list_add_restated(l, src, src->status, src->message, src->hint);
}

bool result_same(const struct result *a, const struct result *b)
{
        return streq(a->id, b->id) && streq_ptr(a->reason, b->reason);
}

bool result_defs_contain(const struct result_def *defs, size_t n, const struct result *r)
{
        for (size_t i = 0; i < n; i++)
                if (defs[i].id && streq(defs[i].id, r->id) && defs[i].status == r->status &&
                    streq_ptr(defs[i].reason, r->reason))
                        return true;
        return false;
}

static const char *hint_value(const char *const *values, const char *key, size_t len)
{
        for (size_t i = 0; values && values[i] && values[i + 1]; i += 2)
                if (strlen(values[i]) == len && strneq(values[i], key, len))
                        return values[i + 1];
        return NULL;
}

size_t hint_placeholder(const char *p)
{
        size_t len = p[0] == '@' ? strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") : 0;

        return len > 0 && p[len + 1] == '@' ? len : 0;
}

/* The hint with every @KEY@ replaced by its value. */
static int hint_expand(const char *hint, const char *const *values, char **ret)
{
        _cleanup_free_ char *out = NULL;
        size_t size = 0;
        FILE *f;

        if (!hint || !strchr(hint, '@')) {
                *ret = hint ? strdup(hint) : NULL;
                return hint && !*ret ? -ENOMEM : 0;
        }
        f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        for (const char *p = hint; *p;) {
                size_t len = hint_placeholder(p);
                const char *v;

                if (len == 0) {
                        size_t n = strcspn(p + 1, "@") + 1;
                        fwrite(p, 1, n, f);
                        p += n;
                        continue;
                }
                v = hint_value(values, p + 1, len);
                if (!v) {
                        fclose(f);
                        return -EINVAL; /* a table entry and its emit site disagree */
                }
                fputs(v, f);
                p += len + 2;
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(out);
        return 0;
}

int result_list_add_defv(struct result_list *l, const struct result_def *def, const char *id,
                         const char *const *hint_values, const char *evidence, const char *fmt, va_list ap)
{
        _cleanup_free_ char *msg = NULL, *hint = NULL;
        int r;

        r = hint_expand(def->hint, hint_values, &hint);
        if (r < 0)
                return r;
        if (vasprintf(&msg, fmt, ap) < 0) {
                msg = NULL;
                return -ENOMEM;
        }
        r = result_list_add(l, id ?: def->id, def->status, msg, hint, evidence);
        return r < 0 ? r : set_last_reason(l, def->reason);
}

int result_list_add_def(struct result_list *l, const struct result_def *def, const char *id,
                        const char *const *hint_values, const char *evidence, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = result_list_add_defv(l, def, id, hint_values, evidence, fmt, ap);
        va_end(ap);
        return r;
}

int check_hosts_with_role(const struct check_ctx *ctx, enum role role, char ***ret)
{
        _cleanup_(strv_freep) char **hosts = NULL;
        int r;

        for (size_t i = 0; i < ctx->profile->n_entries; i++) {
                const struct conf_entry *e = &ctx->profile->entries[i];
                _cleanup_(strv_freep) char **roles = NULL;

                if (!streq(e->section, "hosts"))
                        continue;
                r = strv_split(e->value, ", \t", &roles);
                if (r < 0)
                        return r;
                if (strv_contains(roles, role_to_string(role))) {
                        r = strv_push_dup(&hosts, e->key);
                        if (r < 0)
                                return r;
                }
        }
        if (!hosts) {
                hosts = calloc(1, sizeof(char *));
                if (!hosts)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(hosts);
        return 0;
}

const struct unit *unit_find(const char *id)
{
        for (size_t i = 0; i < unit_registry_size; i++)
                if (streq(unit_registry[i]->id, id))
                        return unit_registry[i];
        return NULL;
}

bool unit_declares(const struct unit *u, const struct result *r)
{
        return result_defs_contain(u->results, u->n_results, r);
}

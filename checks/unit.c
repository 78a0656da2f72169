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

int result_list_add_copy(struct result_list *l, const struct result *src)
{
        int r = result_list_add(l, src->id, src->status, src->message, src->hint, src->evidence);

        if (r < 0 || !src->reason)
                return r;
        l->items[l->n - 1].reason = strdup(src->reason);
        return l->items[l->n - 1].reason ? 0 : -ENOMEM;
}

bool result_same(const struct result *a, const struct result *b)
{
        return streq(a->id, b->id) && streq_ptr(a->reason, b->reason);
}

int result_list_addv(struct result_list *l, enum status status, const char *id, const char *hint,
                     const char *evidence, const char *fmt, va_list ap)
{
        _cleanup_free_ char *msg = NULL;

        if (vasprintf(&msg, fmt, ap) < 0) {
                msg = NULL;
                return -ENOMEM;
        }
        return result_list_add(l, id, status, msg, hint, evidence);
}

int check_emit(struct check_ctx *ctx, enum status status, const char *id, const char *hint,
               const char *evidence, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = result_list_addv(ctx->results, status, id, hint, evidence, fmt, ap);
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

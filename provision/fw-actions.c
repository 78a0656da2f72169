/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nft-load: the commands run in one transaction through libnftables; the journal keeps the rules they
 * added (their handles: every rule they add carries comment "hostprep") and the ruleset before, without
 * counters. Rollback deletes those rules in one transaction and compares the ruleset with that copy.
 * firewalld: the item added in the runtime and the permanent layer where it was missing; the journal
 * keeps which, and rollback removes it from those layers only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "apply-internal.h"
#include "atomicfile.h"
#include "firewalld.h"
#include "fw-actions.h"
#include "json-util.h"
#include "nft.h"
#include "strv.h"

#define NFT_COMMENT "hostprep"

static bool live(const struct run *run, const struct action *a, struct apply_result *res)
{
        if (hostfs_is_live(run->o->fs))
                return true;
        result_set(res, APPLY_FAILED, "%s changes the running host, not --root",
                   action_kind_to_string(a->kind));
        return false;
}

static int preflight_nft(struct run *run, const struct action *a, struct apply_result *res, bool *ret_todo)
{
        _cleanup_free_ char *error = NULL;
        int r;

        if (!live(run, a, res))
                return -EOPNOTSUPP;
        r = nft_run(a->after, true, &error);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "nftables refuses the rules: %s",
                           error ? error : strerror(-r));
                return r;
        }
        *ret_todo = true;
        return 0;
}

static int layers_have(struct run *run, const struct action *a, bool have[_FIREWALLD_LAYER_MAX],
                       struct apply_result *res)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        enum firewalld_item k = firewalld_item_from_string(a->item);
        int r = 0;

        if (!run->o->bus) {
                result_set(res, APPLY_FAILED, "%s", no_bus_reason(run->o));
                return -ENOTCONN;
        }
        for (int l = 0; r >= 0 && l < _FIREWALLD_LAYER_MAX; l++)
                r = firewalld_query(run->o->bus, l, a->zone, k, a->value, run->deadline, &have[l], &e);
        if (r < 0)
                result_set(res, APPLY_FAILED, "firewalld: %s", e.message ? e.message : strerror(-r));
        return r;
}

int fw_action_preflight(struct run *run, const struct action *a, struct apply_result *res, bool *ret_todo)
{
        bool have[_FIREWALLD_LAYER_MAX] = {};
        int r;

        if (a->kind == ACTION_NFT_LOAD)
                return preflight_nft(run, a, res, ret_todo);
        r = layers_have(run, a, have, res);
        if (r >= 0)
                *ret_todo = !have[FIREWALLD_RUNTIME] || !have[FIREWALLD_PERMANENT];
        return r;
}

/* The hostprep rules of the ruleset now, "FAMILY TABLE CHAIN HANDLE". */
static int hostprep_rules(char ***ret, char **ret_error)
{
        _cleanup_free_ char *json = NULL;
        int r = nft_list_ruleset(NFT_LIST_JSON, &json, ret_error);

        return r < 0 ? r : nft_rules_with_comment(json, NFT_COMMENT, ret);
}

static int change_nft(struct run *run, const struct action *a, json_object *entry, struct apply_result *res)
{
        _cleanup_(strv_freep) char **before = NULL, **after = NULL, **added = NULL;
        _cleanup_free_ char *error = NULL, *text = NULL, *name = NULL;
        _cleanup_(json_object_putp) json_object *arr = NULL;
        int r;

        r = hostprep_rules(&before, &error);
        if (r >= 0)
                r = nft_list_ruleset(NFT_LIST_STATELESS, &text, &error);
        name = strdup_printf("%" PRIi64 ".ruleset", json_get_int(entry, "seq", 0));
        if (r >= 0 && name &&
            atomic_write_at(run->files_fd, name, ".tmp", text, strlen(text), &run_private_meta, NULL) >= 0)
                (void)json_add_string(entry, "backup", name);
        if (r >= 0)
                r = nft_run(a->after, false, &error);
        if (r >= 0)
                r = hostprep_rules(&after, &error);
        STRV_FOREACH (x, after)
                if (r >= 0 && !strv_contains(before, *x))
                        r = strv_push_dup(&added, *x);
        if (r >= 0)
                r = json_strv_to_array(added, &arr);
        if (r >= 0)
                r = json_add(entry, "rules", TAKE_PTR(arr));
        if (r < 0)
                result_set(res, APPLY_FAILED, "nftables: %s", error ? error : strerror(-r));
        return r;
}

static int change_firewalld(struct run *run, const struct action *a, json_object *entry,
                            struct apply_result *res)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        static const char *const keys[] = {"runtime_added", "permanent_added"};
        bool have[_FIREWALLD_LAYER_MAX] = {};
        int r = layers_have(run, a, have, res);

        for (int l = 0; r >= 0 && l < _FIREWALLD_LAYER_MAX; l++) {
                if (have[l])
                        continue;
                r = firewalld_change(run->o->bus, l, a->zone, firewalld_item_from_string(a->item), a->value,
                                     true, run->deadline, &e);
                if (r >= 0)
                        r = json_add_bool(entry, keys[l], true);
                if (r >= 0)
                        r = run_save(run); /* what was added is known before the next change */
        }
        if (r < 0 && sd_bus_error_is_set(&e))
                result_set(res, APPLY_FAILED, "firewalld: %s", e.message ? e.message : e.name);
        else if (r < 0)
                result_set(res, APPLY_FAILED, "firewalld: %s", strerror(-r));
        return r;
}

int fw_action_change(struct run *run, const struct action *a, json_object *entry, struct apply_result *res)
{
        return a->kind == ACTION_NFT_LOAD ? change_nft(run, a, entry, res)
                                          : change_firewalld(run, a, entry, res);
}

/* --- rollback ------------------------------------------------------------------------------------------ */

static int undo_nft(struct run *run, json_object *e, struct apply_result *res)
{
        json_object *rules = json_get(e, "rules");
        _cleanup_free_ char *cmds = strdup(""), *error = NULL, *now = NULL;
        _cleanup_(file_state_done) struct file_state old = {};
        const char *backup = json_get_string(e, "backup");
        int r = 0;

        for (size_t i = 0; cmds && rules && i < json_object_array_length(rules); i++) {
                _cleanup_(strv_freep) char **w = NULL;
                char *next;

                if (strv_split(strempty(json_object_get_string(json_object_array_get_idx(rules, i))), " ",
                               &w) < 0)
                        return -ENOMEM;
                if (strv_length(w) != 4)
                        return -EBADMSG;
                next = strdup_printf("%sdelete rule %s %s %s handle %s\n", cmds, w[0], w[1], w[2], w[3]);
                free(cmds);
                cmds = next;
        }
        if (!cmds)
                return -ENOMEM;
        if (*cmds)
                r = nft_run(cmds, false, &error);
        if (r < 0) {
                result_set(res, APPLY_FAILED, "nftables: %s", error ? error : strerror(-r));
                return r;
        }
        if (backup && !strchr(backup, '/') && file_state_read_at(run->files_fd, backup, &old) >= 0 &&
            old.exists && nft_list_ruleset(NFT_LIST_STATELESS, &now, NULL) >= 0 &&
            !file_state_has_str(&old, now)) {
                result_set(res, APPLY_DONE,
                           "hostprep's rules are gone; the ruleset differs from before in "
                           "what others changed since");
                return 0;
        }
        result_set(res, *cmds ? APPLY_DONE : APPLY_UNCHANGED, NULL);
        return 0;
}

static int undo_firewalld(struct run *run, json_object *e, struct apply_result *res)
{
        _cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
        static const char *const keys[] = {"runtime_added", "permanent_added"};
        const char *zone = json_get_string(e, "zone"), *item = json_get_string(e, "item"),
                   *value = json_get_string(e, "value");
        int r = 0, done = 0;

        if (!zone || !item || !value)
                return -EBADMSG;
        if (!run->o->bus) {
                result_set(res, APPLY_FAILED, "%s", no_bus_reason(run->o));
                return -ENOTCONN;
        }
        for (int l = 0; r >= 0 && l < _FIREWALLD_LAYER_MAX; l++)
                if (json_get_bool(e, keys[l])) {
                        r = firewalld_change(run->o->bus, l, zone, firewalld_item_from_string(item), value,
                                             false, run->deadline, &err);
                        done++;
                }
        if (r < 0) {
                result_set(res, APPLY_FAILED, "firewalld: %s", err.message ? err.message : strerror(-r));
                return r;
        }
        result_set(res, done ? APPLY_DONE : APPLY_UNCHANGED, NULL);
        return 0;
}

int fw_action_undo(struct run *run, json_object *e, struct apply_result *res)
{
        const char *kind = strempty(json_get_string(e, "kind"));

        return streq(kind, "nft-load") ? undo_nft(run, e, res) : undo_firewalld(run, e, res);
}

char *fw_action_what(const struct action *a)
{
        const char *unit = a->unit_id ? a->unit_id : "-";

        if (a->kind == ACTION_NFT_LOAD)
                return strdup_printf("[%s] nft: load hostprep's rules", unit);
        return strdup_printf("[%s] firewalld: add %s %s to zone %s", unit, a->item, a->value, a->zone);
}

char *fw_undo_what(json_object *e)
{
        const char *unit = json_get_string(e, "unit");

        if (streq(strempty(json_get_string(e, "kind")), "nft-load"))
                return strdup_printf("[%s] nft: delete hostprep's rules", unit ? unit : "-");
        return strdup_printf("[%s] firewalld: remove %s %s from zone %s", unit ? unit : "-",
                             strna(json_get_string(e, "item")), strna(json_get_string(e, "value")),
                             strna(json_get_string(e, "zone")));
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The executor's part of the firewall actions (nft-load, firewalld), for apply.c and rollback.c; not an
 * interface. */

#include <json-c/json.h>
#include <stdbool.h>

#include "journal.h"
#include "plan.h"

/* Whether the action still has something to do (false: already so); refusals go to res. */
int fw_action_preflight(struct run *run, const struct action *a, struct apply_result *res, bool *ret_todo);
/* Makes the change, recording in entry what rollback needs (the rules added, the layers changed). */
int fw_action_change(struct run *run, const struct action *a, json_object *entry, struct apply_result *res);
/* Undoes an entry of kind "nft-load" or "firewalld". */
int fw_action_undo(struct run *run, json_object *e, struct apply_result *res);
/* "[unit] nft: load 3 rules", "[unit] firewalld: add port 16509/tcp to zone public"; NULL on -ENOMEM. */
char *fw_action_what(const struct action *a);
char *fw_undo_what(json_object *e);

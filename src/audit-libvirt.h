/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What `hostprep audit` asks the libvirtds (src/audit-libvirt.c); each call in a child under a deadline. */

#include "audit.h"
#include "conf.h"

/* The guests of this host's libvirtd (only the one called only, when not NULL), each with libvirt.domains'
 * results for it, judged under ctx (its deadline too; ctx->results is used for each guest's own list).
 * -EIO with *ret_error: libvirtd refused; -ETIMEDOUT; -EOPNOTSUPP: built without libvirt. */
int audit_guests_load(struct check_ctx *ctx, const char *only, struct audit_guest **ret, size_t *ret_n,
                      char **ret_error);
/* The dirty rate of every running guest, measured by libvirt over seconds (0: not measured), ending by
 * deadline; what is not measured says why in dirty_error. */
int audit_dirty_rates(struct audit_guest *g, size_t n, unsigned seconds, usec_t deadline);
/* The URI this host reaches peer's libvirtd at: what hostprep migrate connects to ([migrate] transport). */
char *audit_peer_uri(const struct conf *profile, const char *peer);
/* Asks each peer that gave facts, on its own connection (p->uri), about every guest's CPU. */
int audit_ask_cpus(struct audit_peer *p, size_t n_peers, const struct audit_guest *g, size_t n,
                   usec_t deadline);

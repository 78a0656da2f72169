/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What libvirt.domains decides of one domain, for `hostprep audit` (src/), which judges each guest on
 * its own: the same results the unit gives for it (libvirt.domains.storage, .cache, .blockers). */

#include "domainxml.h"
#include "unit.h"

/* def's results into ctx->results, as the unit gives them; running: def is its live XML, persistent
 * its definition (NULL: transient, or def is the definition). */
int libvirt_domains_check_one(struct check_ctx *ctx, const struct domain_def *def, bool running,
                              const struct domain_def *persistent);

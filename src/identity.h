/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "conf.h"
#include "hostfs.h"

/* Who this host is: its name, the short name, the names and addresses /etc/hosts gives it, and on the
 * live host the addresses of its interfaces. Profiles name hosts by any of these. */
struct identity {
        char *hostname;
        char **names;
        char **addresses;
};

void identity_done(struct identity *id);
/* hostname_override: --host; NULL to read it from the root. */
int identity_load(const struct hostfs *fs, const char *hostname_override, struct identity *ret);
bool identity_matches(const struct identity *id, const char *name_or_address);
/* The union of the roles the profile's [hosts] gives any of this host's names or addresses. */
unsigned identity_roles(const struct identity *id, const struct conf *profile);

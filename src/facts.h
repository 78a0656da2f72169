/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdio.h>

#include "hostfs.h"
#include "identity.h"

/* Version of the facts JSON layout (man/hostprep.8). Peers compare these facts. */
#define FACTS_JSON_SCHEMA 1

int facts_print(FILE *f, const struct hostfs *fs, const struct identity *id, unsigned roles, bool json);

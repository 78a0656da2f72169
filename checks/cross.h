/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Comparisons across hosts: most of what breaks a migration is a difference between hosts. Each
 * comparison reads every host's facts (`hostprep facts --json`, schema in man/hostprep.8) and gives
 * results like a unit does, with ids below "cross.".
 */

#include <json-c/json.h>

#include "unit.h"

struct host_facts {
        const char *name; /* as the profile or --peer names it */
        unsigned roles;
        json_object *facts; /* NULL: the host gave none (unreachable) */
        bool clock_known;
        double clock_offset; /* seconds, this host minus the controlling host */
        double clock_error;
};

struct cross_ctx {
        const struct conf *profile;
        const struct host_facts *hosts;
        size_t n_hosts;
        struct result_list *results;
};

struct cross_check {
        const char *id;
        const char *title;
        const struct result_def *results; /* every result compare() may give */
        size_t n_results;
        int (*compare)(struct cross_ctx *ctx);
};

extern const struct cross_check *const cross_registry[];
extern const size_t cross_registry_size;

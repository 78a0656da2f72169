/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>
#include <libxml/tree.h>
#include <stdio.h>

#include "unit.h"

/* Version of the JSON report's layout (man/hostprep.8 documents it). Bumped only on incompatible change. */
#define REPORT_JSON_SCHEMA 1

/* Exit codes are API: cloud-init and scripts read them. Never change them. */
enum {
        EXIT_READY = 0,     /* nothing failed; warnings allowed */
        EXIT_NOT_READY = 1, /* something failed */
        EXIT_USAGE = 2,     /* usage or configuration error; nothing was changed */
        EXIT_UNDECIDED = 3, /* a check could not decide (ERROR) and nothing failed */
};

/* One host's part of a report: the host hostprep runs on comes first, then the peers. */
struct host_report {
        const char *name;
        unsigned roles;
        char *const *role_why; /* [_ROLE_MAX]: why the host has each of its roles; may be NULL */
        bool roles_detected;   /* found on the host, not named by the profile or --role */
        const struct result_list *results;
        json_object *facts; /* may be NULL */
};

struct report {
        const char *profile_name;
        const char *profile_file;
        const char *root;
        const struct host_report *hosts;
        size_t n_hosts;
        const struct result_list *comparisons; /* across hosts; NULL when only one host reported */
        usec_t duration;
        const char *extra_key; /* JSON only: one more member beside the results (migrate's numbers) */
        json_object *extra;
        int exit_code; /* >0: what the verb exits with when more than the results decide (apply) */
};

void report_count(const struct result_list *l, unsigned counts[_STATUS_MAX]);
/* Over every host and the comparisons: FAIL anywhere -> 1, else ERROR anywhere -> 3, else 0; r->exit_code
 * when it is set. */
int report_exit_code(const struct report *r);
int results_exit_code(const struct result_list *l);

int report_human(FILE *f, const struct report *r, bool color, bool quiet);
int report_json(FILE *f, const struct report *r);
int report_junit(FILE *f, const struct report *r);

/* A JUnit document whose root is <testsuites name="NAME"> (*ret_suites); NULL on -ENOMEM. */
xmlDocPtr junit_doc_new(const char *name, xmlNodePtr *ret_suites);
/* Writes doc to f as UTF-8, indented. 0, -ENOMEM or -EIO. */
int junit_doc_write(FILE *f, xmlDocPtr doc);

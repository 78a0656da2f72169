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

/* virCPUCompareResult's values, known to the tests and to a build without libvirt too. */
enum cpu_compare {
        CPU_COMPARE_ERROR = -1,
        CPU_COMPARE_INCOMPATIBLE = 0,
        CPU_COMPARE_IDENTICAL = 1,
        CPU_COMPARE_SUPERSET = 2,
};

/* One question to this host's libvirtd: would a guest with this CPU run here? What nova asks on a
 * destination (virConnectCompareHypervisorCPU). */
struct cpu_question {
        const char *cpu_xml, *arch, *domain_type; /* a peer's host-model CPU, as its facts give it */
        int result;    /* enum cpu_compare; CPU_COMPARE_ERROR: libvirt failed (message says why) */
        char *message; /* libvirt's error (for an incompatible CPU: which features are missing), or NULL */
};

/* The questions to the libvirtd at uri (NULL: this host's, qemu:///system), in a child under deadline;
 * what cross.cpu asks, for `hostprep audit` asking a peer's libvirtd about a guest's CPU. Returns as
 * cross_ctx.ask_cpu does. */
int cross_ask_cpu(const char *uri, usec_t deadline, struct cpu_question *q, size_t n, char **ret_error);
/* Whether a hypervisor's machines of one arch (its facts' libvirt.machines.ARCH) take machine type
 * machine, by name or as an alias ("pc"), as libvirt checks. */
bool cross_machine_supported(json_object *arch_machines, const char *machine);

struct cross_ctx {
        const struct conf *profile;
        const struct host_facts *hosts; /* the first is this host */
        size_t n_hosts;
        struct result_list *results;
        usec_t deadline; /* CLOCK_MONOTONIC; what is asked of this host's libvirtd ends by then */
        bool live;       /* this host is the running machine (not --root): its libvirtd may be asked */
        /* Answers the questions (message freed by the caller): NULL is this host's libvirtd, in a child
         * under deadline; the unit tests give their own. 0; -ETIMEDOUT; -EOPNOTSUPP (built without
         * libvirt); -ENOTCONN with *ret_error (no connection). */
        int (*ask_cpu)(const struct cross_ctx *ctx, struct cpu_question *q, size_t n, char **ret_error);
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

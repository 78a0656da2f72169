/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * `hostprep audit`: can this host be drained now? For every guest here and every peer hypervisor that
 * could take it, a verdict (ready, ready with warnings, blocked, undecided) and the findings behind it.
 * Each finding is a result (struct result): an id below "audit." (or libvirt.domains' own result for what
 * that unit decides of the guest), a status (FAIL: blocked, ERROR: undecided, WARN: a warning), a stable
 * reason code from a table, a message for people and a hint. Code decides on status and reason only.
 *
 * audit.c is the decision: pure, on data (the guest as read from libvirt, the peer's facts, the peer's
 * libvirtd's answer to the CPU question), so the unit tests give fixtures. audit-libvirt.c reads the
 * guests and asks the libvirtds, every call in a child under a deadline.
 */

#include <json-c/json.h>
#include <stdint.h>

#include "unit.h"

/* Version of the audit JSON layout (man/hostprep.8). */
#define AUDIT_JSON_SCHEMA 1
/* libvirt's default max downtime (QEMU's downtime-limit), when [migrate] downtime_ms is 0 */
#define AUDIT_DEFAULT_DOWNTIME_MS 300
/* The link assumed when [audit] link_bandwidth is 0: 1 Gbit/s */
#define AUDIT_DEFAULT_LINK_MIB_S 119
/* Pre-copy passes after which a migration is taken not to converge */
#define AUDIT_MAX_PASSES 30

enum audit_verdict {
        AUDIT_READY,
        AUDIT_WARN, /* ready, with warnings */
        AUDIT_BLOCKED,
        AUDIT_UNDECIDED,
        _AUDIT_VERDICT_MAX,
};

const char *audit_verdict_to_string(enum audit_verdict v); /* "ready", "ready (warnings)", ... */
const char *audit_verdict_to_json(enum audit_verdict v);   /* "ready", "warn", "blocked", "undecided" */

/* audit's own results: the table man/hostprep.8 lists, indexed by these */
enum audit_result_index {
        A_PEER_NO_FACTS,
        A_PEER_NO_LIBVIRT,
        A_STORAGE_NOT_MOUNTED,
        A_STORAGE_OTHER,
        A_MEMORY_SHORT,
        A_MEMORY_UNKNOWN,
        A_ARCH_UNSUPPORTED,
        A_MACHINE_UNSUPPORTED,
        A_CPU_INCOMPATIBLE,
        A_CPU_FAILED,
        A_CPU_UNREACHABLE,
        A_CPU_TIMEOUT,
        A_CPU_NO_API,
        A_CPU_PASSTHROUGH,
        A_NOT_CONVERGING,
        A_GUEST_UNCHECKED,
        _A_MAX,
};

extern const struct result_def audit_results[];
extern const size_t audit_results_size;

/* The answer of a peer's libvirtd to one guest's CPU (virConnectCompareHypervisorCPU). */
struct audit_cpu_answer {
        bool asked;
        int result;    /* enum cpu_compare of checks/cross.h: -1 failed, 0 incompatible, 1, 2 fine */
        char *message; /* libvirt's error (what the CPU there lacks), or NULL */
};

/* A guest of this host, as read from libvirt. */
struct audit_guest {
        char *name;
        bool running;
        uint64_t memory_kib; /* <memory>: what a destination must be able to give */
        char *domain_type, *arch, *machine;
        char *cpu_mode; /* host-model, host-passthrough, maximum, custom; NULL: no <cpu> */
        char *cpu_xml;  /* the <cpu> a destination is asked about (a running guest's live one); NULL: none */
        char **shared_paths;       /* files it uses below the profile's mountpoint */
        struct result_list checks; /* libvirt.domains' results for it */
        bool dirty_known;
        double dirty_mib_s; /* measured by libvirt (virDomainStartDirtyRateCalc) */
        char *dirty_error;  /* why it is not known, for a running guest; may be NULL */
};

void audit_guest_done(struct audit_guest *g);
void audit_guests_free(struct audit_guest *g, size_t n);

/* A peer hypervisor that could take the guests. */
struct audit_peer {
        char *name;
        json_object *facts; /* its `hostprep facts --json`; NULL: none (error says why) */
        char *error;
        char *uri;                    /* its libvirtd, as this host connects to it */
        struct audit_cpu_answer *cpu; /* per guest (the guests' order); NULL: not asked */
        int cpu_errno;                /* 0; -ETIMEDOUT, -ENOTCONN, -EOPNOTSUPP: the peer was not asked */
        char *cpu_error;              /* with -ENOTCONN: libvirt's message */
};

void audit_peers_free(struct audit_peer *p, size_t n, size_t n_guests);

struct audit_params {
        const char *mountpoint; /* the profile's [nfs] mountpoint */
        json_object *mounts;    /* this host's facts' "mounts" (what is mounted at mountpoint) */
        unsigned link_mib_s;    /* [audit] link_bandwidth; 0: AUDIT_DEFAULT_LINK_MIB_S assumed */
        unsigned cap_mib_s;     /* [migrate] bandwidth; 0: none */
        unsigned downtime_ms;   /* [migrate] downtime_ms; 0: AUDIT_DEFAULT_DOWNTIME_MS */
};

/* How long moving a running guest takes, by pre-copy: the first pass sends its memory, each next one
 * what the guest dirtied meanwhile, until what is left goes within the downtime limit. */
struct audit_estimate {
        bool known; /* only a running guest is estimated */
        bool dirty_known;
        bool link_assumed;
        double memory_mib, dirty_mib_s, bandwidth_mib_s;
        double total_s, downtime_ms; /* downtime_ms: of the last pass */
        unsigned downtime_limit_ms;
        unsigned passes;
        bool converges;
};

void audit_estimate(double memory_mib, double dirty_mib_s, double bandwidth_mib_s,
                    unsigned downtime_limit_ms, struct audit_estimate *ret);

/* One guest on one peer. */
struct audit_cell {
        enum audit_verdict verdict;
        struct result_list findings; /* what is not fine; an estimate's WARN too */
        struct audit_estimate estimate;
};

/* Guest g (index gi of the guests the peers were asked about) on peer: the findings and the verdict. */
int audit_decide(const struct audit_params *p, const struct audit_guest *g, size_t gi,
                 const struct audit_peer *peer, struct audit_cell *ret);
void audit_cell_done(struct audit_cell *c);

/* The guest's verdict over all its peers: READY/WARN when some peer takes it (the best one), BLOCKED
 * when every peer refuses it, UNDECIDED when none takes it and some could not be decided. */
enum audit_verdict audit_guest_verdict(const struct audit_cell *cells, size_t n_peers);
/* 0 when every guest has somewhere to go, 1 when some guest has nowhere, else 3 (undecided). */
int audit_exit_code(const struct audit_cell *cells, size_t n_guests, size_t n_peers);

/* From a domain's XML (its live XML when it runs) and its definition (NULL: transient, or xml is it):
 * name, memory, type, arch, machine, CPU mode and the <cpu> to compare. -EBADMSG: not domain XML. */
int audit_guest_from_xml(const char *xml, const char *inactive_xml, bool running, struct audit_guest *g);

/* --- the report (src/audit-report.c) --------------------------------------------------------------------
 */

struct audit_table {
        const char *host, *profile;
        const struct audit_guest *guests;
        size_t n_guests;
        const struct audit_peer *peers;
        size_t n_peers;
        const struct audit_cell *cells; /* guest-major: cells[g * n_peers + p] */
        usec_t duration;
        int exit_code;
};

/* The guest x peer table: one row per pair (with -q only those not ready), each finding under it, and a
 * closing line with the counts and what the exit code means. */
int audit_write_human(FILE *f, const struct audit_table *t, bool quiet);
/* The same as one JSON document (layout in man/hostprep.8). */
int audit_write_json(FILE *f, const struct audit_table *t);
/* JUnit: one testsuite per guest, one testcase per peer (blocked: failure, undecided: error). */
int audit_write_junit(FILE *f, const struct audit_table *t);

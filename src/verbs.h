/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The verbs and what they share. main.c holds the verb table, the global options and the dispatcher;
 * each verb lives in src/verb-NAME.c with its own option table, parse function and arg_* state. An option
 * is accepted only by the verbs whose table has it (and the global ones by every verb).
 */

#include <getopt.h>
#include <stdbool.h>

#include "conf.h"
#include "hostfs.h"
#include "identity.h"
#include "macro.h"
#include "peers.h"
#include "report.h"
#include "roles.h"
#include "runner.h"
#include "unit.h"

/* --- the global options (main.c), accepted before or after the verb ---------------------------------- */

enum format {
        FORMAT_HUMAN,
        FORMAT_JSON,
        FORMAT_JUNIT,
        FORMAT_PROMETHEUS,
        _FORMAT_MAX,
};

extern const char *arg_profile;
extern const char *arg_profile_path;
extern char **arg_set;
extern char **arg_roles;
extern const char *arg_root;
extern const char *arg_host;
extern usec_t arg_timeout; /* 0: the profile's [check] timeout */
extern enum format arg_format;
extern bool arg_quiet;
extern int arg_color;          /* -1: when stdout is a terminal and NO_COLOR is unset */
extern const char *arg_output; /* the report into this file (replaced atomically), not stdout */
extern bool arg_journal;       /* the report into the journal too (report-sinks.h) */

/* --- verbs and their options ------------------------------------------------------------------------- */

/* One long option of a verb (or a global one): what getopt needs and its line in the help. */
struct verb_option {
        const char *name;
        int has_arg;      /* no_argument or required_argument */
        int id;           /* what the parse function is called with */
        const char *arg;  /* the argument's name in the help ("HOST"); NULL without one */
        const char *help; /* one line */
};

struct verb {
        const char *name;
        /* runs the verb with the words after it (at most max_args); returns the exit code */
        int (*run)(char **args);
        /* one option of options[] with its argument (NULL without); 0, or <0 after usage_error() */
        int (*parse)(int id, const char *arg);
        const struct verb_option *options; /* {} terminated; NULL: none */
        void (*done)(void);                /* frees what parse kept; may be NULL */
        size_t max_args;
        const char *usage;
        const char *summary;
};

/* The message, "Try 'hostprep [VERB] --help'." and -EINVAL. */
int usage_error(const char *fmt, ...) _printf_(1, 2);
int log_oom(void); /* says so; returns EXIT_UNDECIDED */

int verb_check(char **args);
int check_parse(int id, const char *arg);
void check_done(void);
extern const struct verb_option check_options[];

int verb_apply(char **args);
int apply_parse(int id, const char *arg);
void apply_done(void);
extern const struct verb_option apply_options[];

int verb_rollback(char **args);
int rollback_parse(int id, const char *arg);
extern const struct verb_option rollback_options[];

int verb_migrate(char **args);
int migrate_parse(int id, const char *arg);
extern const struct verb_option migrate_options[];

int verb_audit(char **args);
int audit_parse(int id, const char *arg);
void audit_done(void);
extern const struct verb_option audit_options[];

int verb_list(char **args);

/* probe (verb-probe.c, hidden): "connect HOST PORT[/udp].." prints "PORT/PROTO RESULT DETAIL" per port */
#define PROBE_MAX_PORTS 256
#define PROBE_USAGE     "probe connect HOST PORT[/tcp|/udp].. [--timeout SECONDS]"
int verb_probe(char **args);
int verb_facts(char **args);

/* --- what check and apply share: which units, which hosts (session.c) --------------------------------- */

/* --only, --skip, --peer, --all-hosts */
struct scope_args {
        char **only;
        char **skip;
        char **peers;
        bool all_hosts;
};

enum {
        SCOPE_ONLY = 0x200,
        SCOPE_SKIP,
        SCOPE_PEER,
        SCOPE_ALL_HOSTS,
};

/* The scope options' entries of a verb's option table, with the help of --peer and --all-hosts. */
/* clang-format off */
#define SCOPE_OPTIONS(peer_help, all_hosts_help)                                                            \
        {"only", required_argument, SCOPE_ONLY, "ID[,ID..]",                                                \
         "run only these units or check ids (globs allowed)"},                                              \
        {"skip", required_argument, SCOPE_SKIP, "ID[,ID..]",                                                \
         "skip these units or check ids (globs allowed)"},                                                  \
        {"peer", required_argument, SCOPE_PEER, "HOST", peer_help},                                         \
        {"all-hosts", no_argument, SCOPE_ALL_HOSTS, NULL, all_hosts_help}
/* clang-format on */

/* One of the SCOPE_* options into a. */
int scope_parse(struct scope_args *a, int id, const char *arg);
void scope_args_done(struct scope_args *a);

/* --- the session: profile + identity + host + roles + peers (session.c) -------------------------------- */

/* The profile with --set applied, this host's identity and roles: what the verbs share. */
struct session {
        struct conf profile;
        struct identity id;
        struct hostfs *fs;
        unsigned roles;
        char **others;  /* every other host: the profile's [hosts] and --peer, not this one */
        usec_t timeout; /* --timeout, else the profile's [check] timeout */
        /* the roles with why: named in [hosts], --role, or found on the host */
        struct host_roles host_roles;
};

void session_done(struct session *s);
/* Loads the profile (--profile, --set), the root and who this host is. peers (--peer): a peer the profile
 * does not name is a migration peer, a hypervisor. Says what went wrong; returns -exit code. */
int session_open(struct session *s, char *const *peers);
/* What a unit sees of this session, with a deadline and where its results go. */
struct check_ctx session_check_ctx(const struct session *s, usec_t deadline, struct result_list *results);
/* --only/--skip must name something: a typo must not select nothing. Says so; -EINVAL. */
int check_selection(const struct selection *sel, char *const *extra_ids);
/* A report of hosts (this one first) for a run that started at start. */
struct report session_report(const struct session *s, const struct host_report *hosts, size_t n_hosts,
                             usec_t start);
/* The report in the format asked for, colour only on a terminal. */
int write_report(const struct report *rep);
/* Which hosts to reach over SSH: --peer, and with --all-hosts every other host of the profile. */
int peers_to_check(const struct session *s, const struct scope_args *a, char ***ret);
/* --only/--skip as peers get them */
int selection_args(const struct scope_args *a, char ***ret);

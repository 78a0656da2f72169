/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>

#include "conf.h"
#include "spawn.h"
#include "sshcmd.h"
#include "unit.h"

/* What one peer reported (or why it could not). */
struct peer_report {
        char *host;
        char *hostname; /* what the peer calls itself */
        unsigned roles;
        char *role_why[_ROLE_MAX]; /* why it has each role, as it says (host.role_reasons); may be NULL */
        bool roles_detected;
        struct result_list results; /* on failure: one ERROR "peer.reach" saying why */
        json_object *facts;         /* NULL when the peer gave none */
        bool reached;
        bool clock_known;
        double clock_offset; /* seconds, peer minus this host */
        double clock_error;  /* seconds, half the round trip */
};

void peer_reports_free(struct peer_report *p, size_t n);

/* What hostprep reads from a peer at most: its report's bytes and its JSON's nesting (a legitimate report
 * is a few hundred KiB deep 6 levels at most); more is refused with an ERROR naming the peer. */
#define PEER_REPORT_MAX (4u * 1024u * 1024u)
#define PEER_JSON_DEPTH 32

/* Decodes a peer's report (its `hostprep check --format json` output, len bytes of text) into p, whose
 * host names the peer: 0 with p->reached, or 0 with p's one ERROR "peer.reach" saying what was wrong with
 * it (too big, too deep, malformed, not a report); -ENOMEM. */
int peer_report_from_json(struct peer_report *p, const char *text, size_t len);

/* The profile's SSH settings ([ssh] section). */
int peers_ssh_options(const struct conf *profile, struct ssh_options *ret);

/* The profile as text that loads to the same values (no includes): what peers check against. */
char *profile_to_text(const struct conf *c);

/*
 * One SSH fan-out, the way every one goes: remote_argv (quoted for the remote shell by ssh_argv()) on every
 * host at once, input (may be NULL) on each one's stdin, until the deadline. jobs[i] ran on hosts[i]: its
 * exit status, stdout, stderr, timed_out (ssh_classify() tells ssh's failures from the command's).
 */
struct peers_exec {
        size_t n;
        struct spawn_job *jobs;
        char ***argvs; /* private: the jobs' ssh command lines */
};

void peers_exec_done(struct peers_exec *e);
int peers_exec(const struct ssh_options *o, char *const *hosts, char *const *remote_argv, const char *input,
               usec_t deadline, struct peers_exec *ret);
/* The same in two steps: start them all, do something else (no threads needed), then wait. */
int peers_exec_start(const struct ssh_options *o, char *const *hosts, char *const *remote_argv,
                     const char *input, struct peers_exec *ret);
int peers_exec_wait(struct peers_exec *e, usec_t deadline);

/*
 * Runs `hostprep VERB --profile - --format json` on every peer over SSH, all at once, and collects their
 * reports. VERB "check" adds --facts and then reads each peer's clock over the same (multiplexed)
 * connection; "apply" and "apply-dry-run" apply there. Ends by the deadline: a dead peer costs its
 * timeout, not the run. extra_args are passed on (--only, --skip).
 */
int peers_run(const struct conf *profile, const char *verb, char *const *peers, char *const *extra_args,
              usec_t timeout, usec_t deadline, struct peer_report **ret, size_t *ret_n);

/*
 * The root-key hand-over of `apply --peer` (peers-keys.c): every host's root public key (this one's read
 * through fs, the peers' over SSH) as one file at the same private path under /run/hostprep on this host
 * and every peer, and the profile's [ssh] authorized_keys set to it, so that ssh.root's fix on each host
 * appends the keys it lacks. *ret_path: the path, for peers_keys_remove(). On failure nothing stays behind.
 */
int peers_keys_share(struct conf *profile, const struct hostfs *fs, char *const *peers, usec_t timeout,
                     char **ret_path);
/* Removes the file from this host and every peer. */
void peers_keys_remove(const struct conf *profile, char *const *peers, const char *path, usec_t timeout);

/*
 * peers_run() in two steps, so this host can check itself while the peers work, without a thread (the
 * runner forks children that run library code; a fork in a threaded process can deadlock them):
 * peers_start() starts every SSH job and returns at once; peers_finish() waits for them until the
 * deadline, parses the reports and frees run (always). profile and peers must stay valid until then.
 * peers_run_free() ends a started run without reports (its ssh processes are killed).
 */
struct peers_run;
int peers_start(const struct conf *profile, const char *verb, char *const *peers, char *const *extra_args,
                usec_t timeout, usec_t deadline, struct peers_run **ret);
int peers_finish(struct peers_run *run, struct peer_report **ret, size_t *ret_n);
/* While peers_finish() waits, fn hears about every 200 ms how many of n peers answered and who is still
 * awaited (a list of names, NULL when none): a progress line on a terminal. */
typedef void (*peers_progress_fn)(void *userdata, size_t answered, size_t n, const char *waiting,
                                  usec_t deadline);
void peers_set_progress(struct peers_run *run, peers_progress_fn fn, void *userdata);
struct peers_run *peers_run_free(struct peers_run *run);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct peers_run *, peers_run_free)

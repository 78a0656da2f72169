/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>

#include "conf.h"
#include "sshcmd.h"
#include "unit.h"

/* What one peer reported (or why it could not). */
struct peer_report {
        char *host;
        char *hostname; /* what the peer calls itself */
        unsigned roles;
        struct result_list results; /* on failure: one ERROR "peer.reach" saying why */
        json_object *facts;         /* NULL when the peer gave none */
        bool reached;
        bool clock_known;
        double clock_offset; /* seconds, peer minus this host */
        double clock_error;  /* seconds, half the round trip */
};

void peer_reports_free(struct peer_report *p, size_t n);

/* The profile's SSH settings ([ssh] section). */
int peers_ssh_options(const struct conf *profile, struct ssh_options *ret);

/* The profile as text that loads to the same values (no includes): what peers check against. */
char *profile_to_text(const struct conf *c);

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

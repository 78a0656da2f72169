/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The OpenSSH client as hostprep runs it: argv only, BatchMode (never a password prompt), host keys
 * checked strictly against known_hosts (never learnt blindly), a connect timeout, and optionally one
 * multiplexed connection per peer in a private control directory. sshd runs the remote command through
 * the remote user's shell, so every remote argument is quoted here for a POSIX shell.
 */

#include "util.h"

struct ssh_options {
        const char *user;         /* default root */
        const char *identity;     /* -i, may be NULL */
        const char *known_hosts;  /* UserKnownHostsFile, may be NULL (the user's default) */
        unsigned port;            /* 0: default */
        unsigned connect_timeout; /* seconds, 0: 5 */
        const char *control_dir;  /* private directory for ControlPath, NULL: no multiplexing */
};

/* Builds argv for `ssh ... USER@host -- REMOTE-ARGV`; remote_argv may be NULL (no command). */
int ssh_argv(const struct ssh_options *o, const char *host, char *const *remote_argv, char ***ret);
/* Asks the multiplexing master for host to exit (ssh -O exit). */
int ssh_exit_argv(const struct ssh_options *o, const char *host, char ***ret);

/* Single-quotes s for a POSIX shell: 'it'\''s'. */
char *shell_quote(const char *s);

enum ssh_failure {
        SSH_OK,
        SSH_AUTH_DENIED,     /* Permission denied (publickey...) */
        SSH_HOSTKEY_CHANGED, /* REMOTE HOST IDENTIFICATION HAS CHANGED */
        SSH_HOSTKEY_UNKNOWN, /* no host key known and strict checking */
        SSH_REFUSED,         /* Connection refused */
        SSH_TIMEOUT,         /* timed out (connect or banner) or our deadline */
        SSH_UNRESOLVED,      /* name does not resolve */
        SSH_UNREACHABLE,     /* No route to host, network unreachable */
        SSH_REMOTE_FAILED,   /* connected, but the remote command failed */
        SSH_OTHER,
        _SSH_FAILURE_MAX,
};

/* Classifies how an ssh run ended from its exit status and stderr. */
enum ssh_failure ssh_classify(int exit_status, bool timed_out, const char *err);
/* One plain sentence for an operator: "the peer refuses root's key (Permission denied (publickey))". */
const char *ssh_failure_to_string(enum ssh_failure f);

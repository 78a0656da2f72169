/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ssh.root: passwordless root SSH between the hosts, as migrations over qemu+ssh, `xl migrate` and
 * hostprep's own peers need it. This host has a usable key; BatchMode SSH reaches every peer under every
 * name and address the profile uses, with the host key already known (a changed key is told apart from an
 * unknown one); this host's sshd lets root in by key only. Every host runs this unit, so "and back" is the
 * peer's own run.
 */
#include <sys/stat.h>

#include "common.h"
#include "exec.h"
#include "sshcmd.h"
#include "strv.h"

static const char *const ssh_root_ids[] = {
        "ssh.root.key",
        "ssh.root.peer",
        "ssh.root.sshd",
        NULL,
};

static const char *const default_keys[] = {"/root/.ssh/id_ed25519", "/root/.ssh/id_ecdsa",
                                           "/root/.ssh/id_rsa"};

static int check_key(struct check_ctx *ctx, const char **ret_key)
{
        const char *configured = conf_get(ctx->profile, "ssh", "identity");
        const char *key = NULL;
        struct stat st;
        int r;

        if (configured)
                key = hostfs_stat(ctx->fs, configured, &st) == 0 ? configured : NULL;
        else
                for (size_t i = 0; i < ELEMENTSOF(default_keys) && !key; i++)
                        if (hostfs_stat(ctx->fs, default_keys[i], &st) == 0)
                                key = default_keys[i];
        *ret_key = key;
        if (!key)
                return check_emit(ctx, STATUS_FAIL, "ssh.root.key",
                                  "create one: ssh-keygen -t ed25519 -N '' -f /root/.ssh/id_ed25519", NULL,
                                  "root has no SSH key (%s): it cannot log in to the peers",
                                  configured ? configured : "/root/.ssh/id_ed25519, id_ecdsa, id_rsa");
        if ((st.st_mode & 077) != 0)
                return check_emit(ctx, STATUS_FAIL, "ssh.root.key", "chmod 600 the key", key,
                                  "%s is readable by others (mode %03o): ssh refuses to use it", key,
                                  (unsigned)(st.st_mode & 0777));
        if (!hostfs_is_live(ctx->fs))
                return check_emit(ctx, STATUS_PASS, "ssh.root.key", NULL, key, "root has a key (%s)", key);

        {
                char *argv[] = {(char *)"ssh-keygen", (char *)"-y", (char *)"-P", (char *)"",
                                (char *)"-f",         (char *)key,  NULL};
                struct exec_job j = {.argv = argv};

                r = exec_run(&j, ctx->deadline);
                if (r < 0)
                        return r;
                if (j.spawn_failed)
                        r = check_emit(ctx, STATUS_ERROR, "ssh.root.key", "install openssh-client", key,
                                       "cannot check %s: ssh-keygen is not installed", key);
                else if (j.exit_status != 0)
                        r = check_emit(ctx, STATUS_FAIL, "ssh.root.key",
                                       "use a key without a passphrase for root's host-to-host logins", key,
                                       "%s does not load without a passphrase: BatchMode SSH cannot use it",
                                       key);
                else
                        r = check_emit(ctx, STATUS_PASS, "ssh.root.key", NULL, key,
                                       "root has a usable key (%s)", key);
                exec_job_done(&j);
        }
        return r;
}

/* Every name a peer goes by in the profile: its [hosts] name and the addresses /etc/hosts gives it. */
static int peer_names(const struct check_ctx *ctx, const char *peer, char ***ret)
{
        _cleanup_(strv_freep) char **addrs = NULL, **names = NULL;
        int r;

        r = strv_push_dup(&names, peer);
        if (r < 0)
                return r;
        r = check_host_addresses(ctx, peer, &addrs);
        if (r < 0)
                return r;
        STRV_FOREACH (a, addrs)
                if (!strv_contains(names, *a) && strv_push_dup(&names, *a) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(names);
        return 0;
}

static const char *failure_hint(enum ssh_failure f)
{
        switch (f) {
        case SSH_AUTH_DENIED:
                return "append this host's /root/.ssh/*.pub to the peer's /root/.ssh/authorized_keys";
        case SSH_HOSTKEY_CHANGED:
                return "find out why the key changed; if the peer was reinstalled, replace its line in "
                       "known_hosts "
                       "(ssh-keygen -R NAME) with the key read on the peer itself";
        case SSH_HOSTKEY_UNKNOWN:
                return "add the peer's host key to /root/.ssh/known_hosts from a trusted source (the "
                       "profile's "
                       "[ssh] known_hosts, or ssh-keyscan checked against the peer's own fingerprint)";
        case SSH_REFUSED:
                return "start sshd on the peer";
        case SSH_TIMEOUT:
        case SSH_UNREACHABLE:
                return "check the network and firewall between the hosts (TCP 22)";
        case SSH_UNRESOLVED:
                return "add the name to /etc/hosts or DNS";
        default:
                return "try by hand: ssh -o BatchMode=yes root@PEER true";
        }
}

static int check_peers(struct check_ctx *ctx, const char *key)
{
        _cleanup_(strv_freep) char **targets = NULL, **labels = NULL;
        _cleanup_free_ struct exec_job *jobs = NULL;
        char ***argvs = NULL;
        struct ssh_options o = {
                .user = conf_get(ctx->profile, "ssh", "user"),
                .identity = key,
                .known_hosts = conf_get(ctx->profile, "ssh", "known_hosts"),
                .connect_timeout = 3,
        };
        char *remote[] = {(char *)"true", NULL};
        size_t n;
        int r = 0;

        if (!ctx->peers || !ctx->peers[0])
                return check_emit(ctx, STATUS_SKIP, "ssh.root.peer", NULL, NULL,
                                  "the profile names no other host to reach");
        STRV_FOREACH (p, ctx->peers) {
                _cleanup_(strv_freep) char **names = NULL;

                r = peer_names(ctx, *p, &names);
                if (r < 0)
                        return r;
                STRV_FOREACH (nm, names)
                        if (strv_push_dup(&targets, *nm) < 0 ||
                            strv_push(&labels,
                                      streq(*nm, *p) ? strdup(*p) : strdup_printf("%s (%s)", *p, *nm)) < 0)
                                return -ENOMEM;
        }
        n = strv_length(targets);
        jobs = calloc(n, sizeof(*jobs));
        argvs = calloc(n, sizeof(char **));
        if (!jobs || !argvs) {
                free(argvs);
                return -ENOMEM;
        }
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = ssh_argv(&o, targets[i], remote, &argvs[i]);
                jobs[i].argv = argvs[i];
        }
        if (r >= 0)
                r = exec_run_many(jobs, n,
                                  ctx->deadline > now_usec() + 300 * USEC_PER_MSEC
                                          ? ctx->deadline - 200 * USEC_PER_MSEC
                                          : ctx->deadline);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                enum ssh_failure f = ssh_classify(jobs[i].exit_status, jobs[i].timed_out, jobs[i].err);
                _cleanup_free_ char *evidence = NULL, *err = strndup(strempty(jobs[i].err),
                                                                     strcspn(strempty(jobs[i].err), "\n"));

                evidence = strdup_printf("ssh -o BatchMode=yes root@%s true: exit %d%s%s", targets[i],
                                         jobs[i].exit_status, err && *err ? ": " : "", strempty(err));
                if (f == SSH_OK)
                        r = check_emit(ctx, STATUS_PASS, "ssh.root.peer", NULL, evidence,
                                       "root logs in to %s without a password", labels[i]);
                else if (f == SSH_TIMEOUT)
                        r = check_emit(ctx, STATUS_ERROR, "ssh.root.peer", failure_hint(f), evidence,
                                       "root@%s: %s", labels[i], ssh_failure_to_string(f));
                else
                        r = check_emit(ctx, STATUS_FAIL, "ssh.root.peer", failure_hint(f), evidence,
                                       "root@%s: %s", labels[i], ssh_failure_to_string(f));
        }
        for (size_t i = 0; i < n; i++) {
                exec_job_done(&jobs[i]);
                strv_free(argvs[i]);
        }
        free(argvs);
        return r;
}

/* This host's sshd as it would run: `sshd -T` prints the effective settings. */
static int check_sshd(struct check_ctx *ctx)
{
        char *argv[] = {(char *)"sshd", (char *)"-T", NULL};
        struct exec_job j = {.argv = argv};
        _cleanup_free_ char *prl = NULL, *pwauth = NULL, *evidence = NULL;
        int r;

        if (!hostfs_is_live(ctx->fs))
                return check_emit(ctx, STATUS_SKIP, "ssh.root.sshd", NULL, NULL,
                                  "sshd's effective settings are read on the running host");
        r = exec_run(&j, ctx->deadline);
        if (r < 0)
                return r;
        if (j.spawn_failed) {
                exec_job_done(&j);
                return check_emit(ctx, STATUS_FAIL, "ssh.root.sshd", "install openssh-server", "sshd -T",
                                  "no SSH server is installed: the peers cannot log in here");
        }
        if (j.exit_status != 0 || j.timed_out) {
                _cleanup_free_ char *line = strndup(strempty(j.err), strcspn(strempty(j.err), "\n"));
                exec_job_done(&j);
                return check_emit(ctx, STATUS_ERROR, "ssh.root.sshd", "run 'sshd -t' to see the problem",
                                  "sshd -T", "sshd cannot tell its settings: %s",
                                  line && *line ? line : "timed out");
        }
        for (const char *p = j.out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                if (startswith(p, "permitrootlogin "))
                        prl = strndup(p + 16, strcspn(p + 16, "\n"));
                else if (startswith(p, "passwordauthentication "))
                        pwauth = strndup(p + 23, strcspn(p + 23, "\n"));
        }
        exec_job_done(&j);
        evidence = strdup_printf("sshd -T: permitrootlogin %s, passwordauthentication %s", strna(prl),
                                 strna(pwauth));
        if (!prl)
                return check_emit(ctx, STATUS_ERROR, "ssh.root.sshd", NULL, evidence,
                                  "sshd -T did not say whether root may log in");
        if (streq(prl, "prohibit-password") || streq(prl, "without-password"))
                return check_emit(ctx, STATUS_PASS, "ssh.root.sshd", NULL, evidence,
                                  "sshd lets root in by key only (PermitRootLogin prohibit-password)");
        if (streq(prl, "yes"))
                return check_emit(ctx, STATUS_WARN, "ssh.root.sshd",
                                  "set PermitRootLogin prohibit-password in /etc/ssh/sshd_config.d/",
                                  evidence, "password login for root is on (PermitRootLogin yes%s)",
                                  pwauth && streq(pwauth, "yes") ? ", PasswordAuthentication yes" : "");
        return check_emit(
                ctx, STATUS_FAIL, "ssh.root.sshd",
                "set PermitRootLogin prohibit-password in /etc/ssh/sshd_config.d/", evidence,
                "sshd does not let root in with a key (PermitRootLogin %s): peers cannot reach this host",
                prl);
}

static int ssh_root_check(struct check_ctx *ctx)
{
        const char *key = NULL;
        int r;

        r = check_key(ctx, &key);
        if (r >= 0 && hostfs_is_live(ctx->fs))
                r = key ? check_peers(ctx, key)
                        : check_emit(ctx, STATUS_SKIP, "ssh.root.peer", NULL, NULL, "no key to log in with");
        else if (r >= 0)
                r = check_emit(ctx, STATUS_SKIP, "ssh.root.peer", NULL, NULL,
                               "logging in to the peers needs the running host, not --root");
        if (r >= 0)
                r = check_sshd(ctx);
        return r;
}

const struct unit unit_ssh_root = {
        .id = "ssh.root",
        .title = "root logs in to every peer with a key, host keys are known, sshd allows keys only",
        .roles = ROLES_ALL,
        .result_ids = ssh_root_ids,
        .check = ssh_root_check,
};

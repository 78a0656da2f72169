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
#include "lineiter.h"
#include "pathnames.h"
#include "provision/plan.h"
#include "spawn.h"
#include "sshcmd.h"
#include "sshdconf.h"
#include "strv.h"
#include "template.h"

#define ROOT_AUTHORIZED_KEYS PATH_ROOT_AUTHORIZED_KEYS

enum {
        KEY_MISSING,
        KEY_READABLE,
        KEY_PRESENT,
        KEY_NO_SSH_KEYGEN,
        KEY_PASSPHRASE,
        KEY_USABLE,
        AUTHORIZED_UNREADABLE,
        AUTHORIZED_ALL,
        AUTHORIZED_KEY_MISSING,
        PEER_NONE,
        PEER_NO_KEY,
        PEER_NOT_LIVE,
        PEER_LOGIN,
        PEER_AUTH_DENIED,
        PEER_HOSTKEY_CHANGED,
        PEER_HOSTKEY_UNKNOWN,
        PEER_REFUSED,
        PEER_TIMEOUT,
        PEER_NO_BANNER,
        PEER_FILTERED,
        PEER_UNREACHABLE,
        PEER_UNRESOLVED,
        PEER_REMOTE_FAILED,
        PEER_SSH_FAILED,
        SSHD_NOT_LIVE,
        SSHD_MISSING,
        SSHD_BROKEN,
        SSHD_ROOT_LOGIN_UNKNOWN,
        SSHD_KEYS_ONLY,
        SSHD_PASSWORD_LOGIN,
        SSHD_ROOT_REFUSED,
        FIX_SSHD_CONFIG_UNREADABLE,
        FIX_NO_TRUSTED_KEYS,
        FIX_TRUSTED_KEYS_UNREADABLE,
        FIX_TEMPLATE_BROKEN,
};

#define NETWORK_HINT      "check the network and firewall between the hosts (TCP 22)"
#define BY_HAND_HINT      "try by hand: ssh -o BatchMode=yes root@PEER true"
#define ROOT_KEYONLY_HINT "set PermitRootLogin prohibit-password in /etc/ssh/sshd_config.d/"

static const struct result_def ssh_root_results[] = {
        [KEY_MISSING] = {"ssh.root.key", STATUS_FAIL, "no_key",
                         "create one: ssh-keygen -t ed25519 -N '' -f /root/.ssh/id_ed25519"},
        [KEY_READABLE] = {"ssh.root.key", STATUS_FAIL, "key_readable_by_others", "chmod 600 the key"},
        [KEY_PRESENT] = {"ssh.root.key", STATUS_PASS, "key_present"},
        [KEY_NO_SSH_KEYGEN] = {"ssh.root.key", STATUS_ERROR, "ssh_keygen_missing", "install openssh-client"},
        [KEY_PASSPHRASE] = {"ssh.root.key", STATUS_FAIL, "key_needs_passphrase",
                            "use a key without a passphrase for root's host-to-host logins"},
        [KEY_USABLE] = {"ssh.root.key", STATUS_PASS, "key_usable"},
        [AUTHORIZED_UNREADABLE] = {"ssh.root.authorized", STATUS_ERROR, "keys_unreadable"},
        [AUTHORIZED_ALL] = {"ssh.root.authorized", STATUS_PASS, "all_keys_accepted"},
        [AUTHORIZED_KEY_MISSING] = {"ssh.root.authorized", STATUS_FAIL, "key_not_accepted",
                                    "append it to " ROOT_AUTHORIZED_KEYS " (hostprep apply does)"},
        [PEER_NONE] = {"ssh.root.peer", STATUS_SKIP, "no_peers"},
        [PEER_NO_KEY] = {"ssh.root.peer", STATUS_SKIP, "no_key"},
        [PEER_NOT_LIVE] = {"ssh.root.peer", STATUS_SKIP, "not_live"},
        [PEER_LOGIN] = {"ssh.root.peer", STATUS_PASS, "login_ok"},
        [PEER_AUTH_DENIED] =
                {"ssh.root.peer", STATUS_FAIL, "auth_denied",
                 "append this host's /root/.ssh/*.pub to the peer's /root/.ssh/authorized_keys"},
        [PEER_HOSTKEY_CHANGED] =
                {"ssh.root.peer", STATUS_FAIL, "hostkey_changed",
                 "find out why the key changed; if the peer was reinstalled, replace its line in known_hosts (ssh-keygen -R NAME) with the key read on the peer itself"},
        [PEER_HOSTKEY_UNKNOWN] =
                {"ssh.root.peer", STATUS_FAIL, "hostkey_unknown",
                 "add the peer's host key to /root/.ssh/known_hosts from a trusted source (the profile's [ssh] known_hosts, or ssh-keyscan checked against the peer's own fingerprint)"},
        [PEER_REFUSED] = {"ssh.root.peer", STATUS_FAIL, "connection_refused", "start sshd on the peer"},
        [PEER_TIMEOUT] = {"ssh.root.peer", STATUS_ERROR, "timeout", NETWORK_HINT},
        [PEER_NO_BANNER] =
                {"ssh.root.peer", STATUS_FAIL, "no_banner",
                 "the peer's sshd is stuck or overloaded: journalctl -u ssh on the peer, then restart it"},
        [PEER_FILTERED] =
                {"ssh.root.peer", STATUS_FAIL, "filtered",
                 "let this host in to TCP 22 in the peer's firewall and on the way; if the peer is down, start it"},
        [PEER_UNREACHABLE] = {"ssh.root.peer", STATUS_FAIL, "unreachable", NETWORK_HINT},
        [PEER_UNRESOLVED] = {"ssh.root.peer", STATUS_FAIL, "unresolved",
                             "add the name to /etc/hosts or DNS"},
        [PEER_REMOTE_FAILED] = {"ssh.root.peer", STATUS_FAIL, "remote_command_failed", BY_HAND_HINT},
        [PEER_SSH_FAILED] = {"ssh.root.peer", STATUS_FAIL, "ssh_failed", BY_HAND_HINT},
        [SSHD_NOT_LIVE] = {"ssh.root.sshd", STATUS_SKIP, "not_live"},
        [SSHD_MISSING] = {"ssh.root.sshd", STATUS_FAIL, "sshd_missing", "install openssh-server"},
        [SSHD_BROKEN] = {"ssh.root.sshd", STATUS_ERROR, "sshd_config_invalid",
                         "run 'sshd -t' to see the problem"},
        [SSHD_ROOT_LOGIN_UNKNOWN] = {"ssh.root.sshd", STATUS_ERROR, "root_login_unknown"},
        [SSHD_KEYS_ONLY] = {"ssh.root.sshd", STATUS_PASS, "root_keys_only"},
        [SSHD_PASSWORD_LOGIN] = {"ssh.root.sshd", STATUS_WARN, "root_password_login", ROOT_KEYONLY_HINT},
        [SSHD_ROOT_REFUSED] = {"ssh.root.sshd", STATUS_FAIL, "root_login_refused", ROOT_KEYONLY_HINT},
        [FIX_SSHD_CONFIG_UNREADABLE] = {"ssh.root.fix", STATUS_ERROR, "sshd_config_unreadable",
                                        "install openssh-server"},
        [FIX_NO_TRUSTED_KEYS] = {"ssh.root.fix", STATUS_ERROR, "no_trusted_known_hosts",
                                 "name a trusted file of the peers' host keys: [ssh] known_hosts = PATH"},
        [FIX_TRUSTED_KEYS_UNREADABLE] = {"ssh.root.fix", STATUS_ERROR, "trusted_known_hosts_unreadable",
                                         "check [ssh] known_hosts"},
        [FIX_TEMPLATE_BROKEN] = {"ssh.root.fix", STATUS_ERROR, "template_broken",
                                 "reinstall hostprep, or fix the template it names"},
};

static const char *const default_keys[] = {PATH_ROOT_ID_ED25519, PATH_ROOT_ID_ECDSA, PATH_ROOT_ID_RSA};

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
                return check_emit(ctx, &ssh_root_results[KEY_MISSING], NULL,
                                  "root has no SSH key (%s): it cannot log in to the peers",
                                  configured ? configured : PATH_ROOT_ID_ED25519 ", id_ecdsa, id_rsa");
        if ((st.st_mode & 077) != 0)
                return check_emit(ctx, &ssh_root_results[KEY_READABLE], key,
                                  "%s is readable by others (mode %03o): ssh refuses to use it", key,
                                  (unsigned)(st.st_mode & 0777));
        if (!hostfs_is_live(ctx->fs))
                return check_emit(ctx, &ssh_root_results[KEY_PRESENT], key, "root has a key (%s)", key);

        {
                char *argv[] = {(char *)"ssh-keygen", (char *)"-y", (char *)"-P", (char *)"",
                                (char *)"-f",         (char *)key,  NULL};
                struct spawn_job j = {.argv = argv};

                r = spawn_run(&j, ctx->deadline);
                if (r < 0)
                        return r;
                if (j.spawn_failed)
                        r = check_emit(ctx, &ssh_root_results[KEY_NO_SSH_KEYGEN], key,
                                       "cannot check %s: ssh-keygen is not installed", key);
                else if (j.exit_status != 0)
                        r = check_emit(ctx, &ssh_root_results[KEY_PASSPHRASE], key,
                                       "%s does not load without a passphrase: BatchMode SSH cannot use it",
                                       key);
                else
                        r = check_emit(ctx, &ssh_root_results[KEY_USABLE], key, "root has a usable key (%s)",
                                       key);
                spawn_job_done(&j);
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

/* The peer result for how ssh failed. A timeout that ssh itself reports (its ConnectTimeout) says how far
 * it got: no TCP connection (a firewall drops it) or no banner (sshd accepts but does not answer); one
 * at hostprep's deadline does not. */
static const struct result_def *peer_failure(enum ssh_failure f, bool timed_out, const char *err)
{
        if (f == SSH_TIMEOUT && !timed_out && strstr(err, "banner exchange"))
                return &ssh_root_results[PEER_NO_BANNER];
        if (f == SSH_TIMEOUT && !timed_out && strstr(err, "Connection timed out"))
                return &ssh_root_results[PEER_FILTERED];
        switch (f) {
        case SSH_AUTH_DENIED:
                return &ssh_root_results[PEER_AUTH_DENIED];
        case SSH_HOSTKEY_CHANGED:
                return &ssh_root_results[PEER_HOSTKEY_CHANGED];
        case SSH_HOSTKEY_UNKNOWN:
                return &ssh_root_results[PEER_HOSTKEY_UNKNOWN];
        case SSH_REFUSED:
                return &ssh_root_results[PEER_REFUSED];
        case SSH_TIMEOUT:
                return &ssh_root_results[PEER_TIMEOUT];
        case SSH_UNREACHABLE:
                return &ssh_root_results[PEER_UNREACHABLE];
        case SSH_UNRESOLVED:
                return &ssh_root_results[PEER_UNRESOLVED];
        case SSH_REMOTE_FAILED:
                return &ssh_root_results[PEER_REMOTE_FAILED];
        default:
                return &ssh_root_results[PEER_SSH_FAILED];
        }
}

static const char *peer_failure_why(enum ssh_failure f, bool timed_out, const char *err, unsigned timeout_s,
                                    char *text, size_t size)
{
        const struct result_def *d = peer_failure(f, timed_out, err);

        if (d == &ssh_root_results[PEER_NO_BANNER])
                snprintf(text, size, "sshd accepts the connection but sends no SSH banner within %u s",
                         timeout_s);
        else if (d == &ssh_root_results[PEER_FILTERED])
                snprintf(
                        text, size,
                        "no answer to a TCP connection to its SSH port within %u s: a firewall drops it, or the host is down",
                        timeout_s);
        else
                return ssh_failure_to_string(f);
        return text;
}

static int check_peers(struct check_ctx *ctx, const char *key)
{
        _cleanup_(strv_freep) char **targets = NULL, **labels = NULL;
        _cleanup_free_ struct spawn_job *jobs = NULL;
        char ***argvs = NULL;
        struct ssh_options o = {
                .user = conf_get(ctx->profile, "ssh", "user"),
                .identity = key,
                /* root's own known_hosts, as libvirt's qemu+ssh and xl migrate use it; the profile's
                 * known_hosts is the trusted source the fix learns from */
                .known_hosts = NULL,
                .connect_timeout = 3,
        };
        char *remote[] = {(char *)"true", NULL};
        size_t n;
        int r = 0;

        if (!ctx->peers || !ctx->peers[0])
                return check_emit(ctx, &ssh_root_results[PEER_NONE], NULL,
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
                r = spawn_run_many(jobs, n,
                                   ctx->deadline > now_usec() + 300 * USEC_PER_MSEC
                                           ? ctx->deadline - 200 * USEC_PER_MSEC
                                           : ctx->deadline);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                enum ssh_failure f = ssh_classify(jobs[i].exit_status, jobs[i].timed_out, jobs[i].err);
                char why[160];
                _cleanup_free_ char *evidence = NULL, *err = strndup(strempty(jobs[i].err),
                                                                     strcspn(strempty(jobs[i].err), "\n"));

                evidence = strdup_printf("ssh -o BatchMode=yes root@%s true: exit %d%s%s", targets[i],
                                         jobs[i].exit_status, err && *err ? ": " : "", strempty(err));
                if (f == SSH_OK)
                        r = check_emit(ctx, &ssh_root_results[PEER_LOGIN], evidence,
                                       "root logs in to %s without a password", labels[i]);
                else
                        r = check_emit(ctx, peer_failure(f, jobs[i].timed_out, strempty(err)), evidence,
                                       "root@%s: %s", labels[i],
                                       peer_failure_why(f, jobs[i].timed_out, strempty(err),
                                                        o.connect_timeout, why, sizeof(why)));
        }
        for (size_t i = 0; i < n; i++) {
                spawn_job_done(&jobs[i]);
                strv_free(argvs[i]);
        }
        free(argvs);
        return r;
}

/* --- keys other hosts log in with ------------------------------------------------------------------- */

/* "type blob" of a public key line, ignoring options and comment; NULL if it is none. */
static char *key_id(const char *line)
{
        _cleanup_(strv_freep) char **f = NULL;

        if (strv_split(line, " \t", &f) < 0)
                return NULL;
        for (size_t i = 0; f[i] && f[i + 1]; i++)
                if (startswith(f[i], "ssh-") || startswith(f[i], "ecdsa-") || startswith(f[i], "sk-"))
                        return strdup_printf("%s %s", f[i], f[i + 1]);
        return NULL;
}

static bool keys_contain(const char *text, const char *id)
{
        LINE_FOREACH(l, text)
        {
                _cleanup_free_ char *line = line_iter_dup(&l), *k = line ? key_id(line) : NULL;
                if (k && streq(k, id))
                        return true;
        }
        return false;
}

/* The keys of [ssh] authorized_keys that root does not accept yet (this host's own key left out). */
static int missing_keys(const struct check_ctx *ctx, char ***ret)
{
        const char *path = conf_get(ctx->profile, "ssh", "authorized_keys");
        _cleanup_free_ char *wanted = NULL, *have = NULL, *own = NULL;
        _cleanup_(strv_freep) char **missing = NULL;
        int r;

        r = hostfs_read_file(ctx->fs, path, &wanted, NULL);
        if (r < 0)
                return r;
        (void)hostfs_read_file(ctx->fs, ROOT_AUTHORIZED_KEYS, &have, NULL);
        for (size_t i = 0; i < ELEMENTSOF(default_keys) && !own; i++) {
                _cleanup_free_ char *pub = strdup_printf("%s.pub", default_keys[i]), *text = NULL;
                if (pub && hostfs_read_file(ctx->fs, pub, &text, NULL) >= 0)
                        own = key_id(text);
        }
        LINE_FOREACH(l, wanted)
        {
                _cleanup_free_ char *line = line_iter_dup(&l), *id = line ? key_id(line) : NULL;

                if (!id || (own && streq(id, own)) || keys_contain(have, id) || strv_contains(missing, line))
                        continue;
                if (strv_push(&missing, TAKE_PTR(line)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(missing);
        return 0;
}

static int check_authorized(struct check_ctx *ctx)
{
        const char *path = conf_get(ctx->profile, "ssh", "authorized_keys");
        _cleanup_(strv_freep) char **missing = NULL;
        int r;

        if (!path)
                return 0;
        r = missing_keys(ctx, &missing);
        if (r < 0)
                return check_emit(ctx, &ssh_root_results[AUTHORIZED_UNREADABLE], path, "cannot read %s: %s",
                                  path, strerror(-r));
        if (!missing)
                return check_emit(ctx, &ssh_root_results[AUTHORIZED_ALL], path,
                                  "root accepts every key of %s", path);
        STRV_FOREACH (k, missing) {
                const char *comment = strrchr(*k, ' ');
                r = check_emit(ctx, &ssh_root_results[AUTHORIZED_KEY_MISSING], path,
                               "root does not accept the key of %s: that host cannot log in here",
                               comment ? comment + 1 : *k);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int plan_authorized(struct check_ctx *ctx, struct plan *plan)
{
        _cleanup_(strv_freep) char **missing = NULL;
        _cleanup_free_ char *have = NULL, *add = NULL, *after = NULL;
        struct stat st;
        int r;

        if (!conf_get(ctx->profile, "ssh", "authorized_keys") || !check_failed(ctx, "ssh.root.authorized"))
                return 0;
        r = missing_keys(ctx, &missing);
        if (r < 0 || !missing)
                return r;
        r = hostfs_read_file(ctx->fs, ROOT_AUTHORIZED_KEYS, &have, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        add = strv_join(missing, "\n");
        after = add ? strdup_printf("%s%s%s\n", strempty(have),
                                    have && *have && !endswith(have, "\n") ? "\n" : "", add)
                    : NULL;
        if (!after)
                return -ENOMEM;
        if (hostfs_stat(ctx->fs, PATH_ROOT_SSH_DIR, &st) < 0 &&
            plan_mkdir(plan, "ssh.root", PATH_ROOT_SSH_DIR, 0700, "root's SSH directory") < 0)
                return -ENOMEM;
        return plan_write_file(plan, "ssh.root", ROOT_AUTHORIZED_KEYS, have, after, 0600,
                               "the other hosts' root keys: they log in here without a password");
}

/* This host's sshd as it would run: `sshd -T` prints the effective settings. */
static int check_sshd(struct check_ctx *ctx)
{
        char *argv[] = {(char *)"sshd", (char *)"-T", NULL};
        struct spawn_job j = {.argv = argv};
        struct sshd_settings settings;
        _cleanup_free_ char *prl = NULL, *pwauth = NULL, *evidence = NULL;
        int r;

        if (!hostfs_is_live(ctx->fs))
                return check_emit(ctx, &ssh_root_results[SSHD_NOT_LIVE], NULL,
                                  "sshd's effective settings are read on the running host");
        r = spawn_run(&j, ctx->deadline);
        if (r < 0)
                return r;
        if (j.spawn_failed) {
                spawn_job_done(&j);
                return check_emit(ctx, &ssh_root_results[SSHD_MISSING], "sshd -T",
                                  "no SSH server is installed: the peers cannot log in here");
        }
        if (j.exit_status != 0 || j.timed_out) {
                _cleanup_free_ char *line = strndup(strempty(j.err), strcspn(strempty(j.err), "\n"));
                spawn_job_done(&j);
                return check_emit(ctx, &ssh_root_results[SSHD_BROKEN], "sshd -T",
                                  "sshd cannot tell its settings: %s", line && *line ? line : "timed out");
        }
        r = sshd_settings_parse(strempty(j.out), &settings);
        spawn_job_done(&j);
        if (r < 0)
                return r;
        prl = TAKE_PTR(settings.permit_root_login);
        pwauth = TAKE_PTR(settings.password_authentication);
        evidence = strdup_printf("sshd -T: permitrootlogin %s, passwordauthentication %s", strna(prl),
                                 strna(pwauth));
        if (!prl)
                return check_emit(ctx, &ssh_root_results[SSHD_ROOT_LOGIN_UNKNOWN], evidence,
                                  "sshd -T did not say whether root may log in");
        if (streq(prl, "prohibit-password") || streq(prl, "without-password"))
                return check_emit(ctx, &ssh_root_results[SSHD_KEYS_ONLY], evidence,
                                  "sshd lets root in by key only (PermitRootLogin prohibit-password)");
        if (streq(prl, "yes"))
                return check_emit(ctx, &ssh_root_results[SSHD_PASSWORD_LOGIN], evidence,
                                  "password login for root is on (PermitRootLogin yes%s)",
                                  pwauth && streq(pwauth, "yes") ? ", PasswordAuthentication yes" : "");
        return check_emit(
                ctx, &ssh_root_results[SSHD_ROOT_REFUSED], evidence,
                "sshd does not let root in with a key (PermitRootLogin %s): peers cannot reach this host",
                prl);
}

static int ssh_root_check(struct check_ctx *ctx)
{
        const char *key = NULL;
        int r;

        r = check_key(ctx, &key);
        if (r >= 0)
                r = check_authorized(ctx);
        if (r >= 0 && hostfs_is_live(ctx->fs))
                r = key ? check_peers(ctx, key)
                        : check_emit(ctx, &ssh_root_results[PEER_NO_KEY], NULL, "no key to log in with");
        else if (r >= 0)
                r = check_emit(ctx, &ssh_root_results[PEER_NOT_LIVE], NULL,
                               "logging in to the peers needs the running host, not --root");
        if (r >= 0)
                r = check_sshd(ctx);
        return r;
}

/* --- fix ------------------------------------------------------------------------------------------ */

#define SSHD_CONFIG PATH_SSHD_CONFIG
/* sshd takes the first value it reads: a drop-in sorting first, or a block at the top, wins */
#define SSHD_DROPIN PATH_SSHD_DROPIN
/* templates/sshd-block.conf starts and ends with these: an earlier block is found by them and replaced (so
 * is one of older versions, whose BEGIN line went on after these words) */
#define SSHD_BLOCK_BEGIN "# BEGIN hostprep"
#define SSHD_BLOCK_END   "# END hostprep"
#define ROOT_KNOWN_HOSTS PATH_ROOT_KNOWN_HOSTS

/* Whether a line of known_hosts text starts with the host names field hosts. */
static bool known_hosts_lists(const char *text, const char *hosts)
{
        size_t n = strlen(hosts);

        LINE_FOREACH(l, text)
        {
                if (l.len > n && strneq(l.line, hosts, n) && (l.line[n] == ' ' || l.line[n] == '\t'))
                        return true;
        }
        return false;
}

/* known_hosts lines of the trusted file whose host names root's known_hosts does not have yet. */
static int known_hosts_merge(const char *have, const char *trusted, char **ret)
{
        _cleanup_free_ char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        bool added = false;

        if (!f)
                return -ENOMEM;
        fputs(strempty(have), f);
        if (have && *have && have[strlen(have) - 1] != '\n')
                fputc('\n', f);
        LINE_FOREACH(l, trusted)
        {
                _cleanup_free_ char *line = line_iter_dup(&l), *hosts = NULL;

                if (!line)
                        break;
                if (!*line || line[0] == '#' ||
                    line[0] == '@') /* markers (revoked, CA) are the operator's call */
                        continue;
                hosts = strndup(line, strcspn(line, " \t"));
                if (!hosts)
                        break;
                /* a host already listed keeps its line: a changed key is never replaced silently */
                if (!known_hosts_lists(have, hosts)) {
                        fprintf(f, "%s\n", line);
                        added = true;
                }
        }
        if (fclose(f) != 0)
                return -errno;
        *ret = added ? TAKE_PTR(out) : NULL;
        return 0;
}

/* sshd_config with hostprep's block at the top (replacing an earlier one); NULL if already so. */
static char *sshd_config_with_block(const char *have, const char *block)
{
        _cleanup_free_ char *rest = NULL, *out = NULL;
        const char *begin = strstr(have, SSHD_BLOCK_BEGIN), *end;

        if (begin && (end = strstr(begin, SSHD_BLOCK_END))) {
                end += strlen(SSHD_BLOCK_END);
                end += *end == '\n';
                rest = strdup_printf("%.*s%s", (int)(begin - have), have, end);
        } else
                rest = strdup(have);
        if (!rest)
                return NULL;
        out = strdup_printf("%s%s", block, rest);
        if (!out || streq(out, have))
                return NULL;
        return TAKE_PTR(out);
}

/* templates/NAME for this profile. A bad template is an ERROR result, and *ret stays NULL. */
static int sshd_render(struct check_ctx *ctx, const char *name, char **ret)
{
        const struct template_value v[] = {{"PROFILE", ctx->profile->name}};
        _cleanup_free_ char *text = NULL, *error = NULL;
        int r;

        r = template_render_file(template_default_dirs(), name, v, ELEMENTSOF(v), &text, &error);
        if (r >= 0 && streq(name, "sshd-block.conf") &&
            (!startswith(text, SSHD_BLOCK_BEGIN "\n") || !endswith(text, "\n" SSHD_BLOCK_END "\n"))) {
                error = strdup_printf("template %s: its first line must be \"%s\" and its last \"%s\"", name,
                                      SSHD_BLOCK_BEGIN, SSHD_BLOCK_END);
                r = -EINVAL;
        }
        if (r < 0 && error)
                return check_emit(ctx, &ssh_root_results[FIX_TEMPLATE_BROKEN], NULL,
                                  "cannot write sshd's configuration: %s", error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(text);
        return 0;
}

/* PermitRootLogin prohibit-password: a drop-in where sshd_config includes sshd_config.d (Debian, Fedora),
 * else a marked block at the top of sshd_config. Returns 1 when it planned a change. */
static int plan_sshd(struct check_ctx *ctx, struct plan *plan)
{
        _cleanup_free_ char *config = NULL, *have = NULL, *after = NULL, *want = NULL, *block = NULL;
        int r;

        r = hostfs_read_file(ctx->fs, SSHD_CONFIG, &config, NULL);
        if (r < 0)
                return check_emit(ctx, &ssh_root_results[FIX_SSHD_CONFIG_UNREADABLE], SSHD_CONFIG,
                                  "cannot read %s: %s", SSHD_CONFIG, strerror(-r));
        if (strstr(config, "\nInclude /etc/ssh/sshd_config.d/") ||
            startswith(config, "Include /etc/ssh/sshd_config.d/")) {
                r = sshd_render(ctx, "sshd-root.conf", &want);
                if (r < 0 || !want)
                        return r;
                r = hostfs_read_file(ctx->fs, SSHD_DROPIN, &have, NULL);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (have && streq(have, want))
                        return 0;
                r = plan_write_file(plan, "ssh.root", SSHD_DROPIN, have, want, 0644,
                                    "root by key only; a drop-in sshd reads before its own settings");
                return r < 0 ? r : 1;
        }
        r = sshd_render(ctx, "sshd-block.conf", &block);
        if (r < 0 || !block)
                return r;
        after = sshd_config_with_block(config, block);
        if (!after)
                return 0;
        r = plan_write_file(plan, "ssh.root", SSHD_CONFIG, config, after, 0644,
                            "root by key only: sshd has no drop-in directory, so a marked block at the top");
        return r < 0 ? r : 1;
}

static int ssh_root_fix(struct check_ctx *ctx, struct plan *plan)
{
        int ra = plan_authorized(ctx, plan);

        if (ra < 0)
                return ra;
        const char *trusted_path = conf_get(ctx->profile, "ssh", "known_hosts");
        struct stat st;
        int r = 0;

        if (check_failed(ctx, "ssh.root.key") && !conf_get(ctx->profile, "ssh", "identity")) {
                char *argv[] = {(char *)"ssh-keygen",
                                (char *)"-q",
                                (char *)"-t",
                                (char *)"ed25519",
                                (char *)"-N",
                                (char *)"",
                                (char *)"-C",
                                (char *)"root@hostprep",
                                (char *)"-f",
                                (char *)PATH_ROOT_ID_ED25519,
                                NULL};

                if (hostfs_stat(ctx->fs, PATH_ROOT_SSH_DIR, &st) < 0)
                        r = plan_mkdir(plan, "ssh.root", PATH_ROOT_SSH_DIR, 0700, "root's SSH directory");
                if (r >= 0 && hostfs_stat(ctx->fs, PATH_ROOT_ID_ED25519, &st) < 0)
                        r = plan_command(plan, "ssh.root", argv, "a key for root's logins to the peers");
                if (r < 0)
                        return r;
        }

        /* host keys only from the profile's trusted file: never learnt from the network */
        if (check_failed(ctx, "ssh.root.peer") && !trusted_path) {
                r = check_emit(
                        ctx, &ssh_root_results[FIX_NO_TRUSTED_KEYS], NULL,
                        "not learning the peers' host keys: the profile names no trusted known_hosts, and keys taken from the network could be anyone's");
                if (r < 0)
                        return r;
        } else if (check_failed(ctx, "ssh.root.peer")) {
                _cleanup_free_ char *trusted = NULL, *have = NULL, *merged = NULL;

                /* the trusted file is hostprep's input, read on this machine, like the profile */
                {
                        _cleanup_fclose_ FILE *f = fopen(trusted_path, "re");
                        size_t n = 0;
                        if (f && getdelim(&trusted, &n, '\0', f) < 0)
                                trusted = mfree(trusted);
                }
                if (!trusted)
                        return check_emit(ctx, &ssh_root_results[FIX_TRUSTED_KEYS_UNREADABLE], trusted_path,
                                          "cannot read the profile's known hosts %s", trusted_path);
                r = hostfs_read_file(ctx->fs, ROOT_KNOWN_HOSTS, &have, NULL);
                if (r < 0 && r != -ENOENT)
                        return r;
                r = known_hosts_merge(have, trusted, &merged);
                if (r < 0)
                        return r;
                if (merged) {
                        if (hostfs_stat(ctx->fs, PATH_ROOT_SSH_DIR, &st) < 0 &&
                            plan_mkdir(plan, "ssh.root", PATH_ROOT_SSH_DIR, 0700, "root's SSH directory") <
                                    0)
                                return -ENOMEM;
                        r = plan_write_file(plan, "ssh.root", ROOT_KNOWN_HOSTS, have, merged, 0644,
                                            "the peers' host keys from the profile's trusted known_hosts");
                        if (r < 0)
                                return r;
                }
        }

        if (check_failed(ctx, "ssh.root.sshd")) {
                r = plan_sshd(ctx, plan);
                if (r > 0 && check_systemd_running(ctx))
                        r = plan_service(plan, "ssh.root", "ssh.service", SERVICE_RELOAD,
                                         "sshd reads its configuration again; open sessions stay");
        }
        return r < 0 ? r : 0;
}

const struct unit unit_ssh_root = {
        .id = "ssh.root",
        .title = "root logs in to every peer with a key, host keys are known, sshd allows keys only",
        .roles = ROLES_ALL,
        .results = ssh_root_results,
        .n_results = ELEMENTSOF(ssh_root_results),
        .check = ssh_root_check,
        .fix = ssh_root_fix,
};

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sshcmd.h"

#include "strv.h"

char *shell_quote(const char *s)
{
        size_t n = 2;
        char *q, *p;

        for (const char *c = s; *c; c++)
                n += *c == '\'' ? 4 : 1;
        q = malloc(n + 1);
        if (!q)
                return NULL;
        p = q;
        *p++ = '\'';
        for (const char *c = s; *c; c++) {
                if (*c == '\'') {
                        memcpy(p, "'\\''", 4);
                        p += 4;
                } else
                        *p++ = *c;
        }
        *p++ = '\'';
        *p = '\0';
        return q;
}

static int push_option(char ***v, const char *key, const char *value)
{
        if (strv_push_dup(v, "-o") < 0)
                return -ENOMEM;
        return strv_push(v, strdup_printf("%s=%s", key, value));
}

static int common_options(const struct ssh_options *o, char ***v)
{
        char num[16];
        int r = 0;

        r |= strv_push_dup(v, "ssh");
        r |= push_option(v, "BatchMode", "yes");
        r |= push_option(v, "StrictHostKeyChecking", "yes");
        /* a changed host key must stop the connection, not only disable forwarding */
        r |= push_option(v, "UpdateHostKeys", "no");
        snprintf(num, sizeof(num), "%u", o->connect_timeout ? o->connect_timeout : 5);
        r |= push_option(v, "ConnectTimeout", num);
        r |= push_option(v, "ServerAliveInterval", "5");
        r |= push_option(v, "ServerAliveCountMax", "2");
        r |= push_option(v, "LogLevel", "ERROR");
        if (o->known_hosts)
                r |= push_option(v, "UserKnownHostsFile", o->known_hosts);
        if (o->identity) {
                r |= push_option(v, "IdentitiesOnly", "yes");
                r |= strv_push_dup(v, "-i");
                r |= strv_push_dup(v, o->identity);
        }
        if (o->port) {
                snprintf(num, sizeof(num), "%u", o->port);
                r |= strv_push_dup(v, "-p");
                r |= strv_push_dup(v, num);
        }
        if (o->control_dir) {
                _cleanup_free_ char *path = strdup_printf("%s/%%C", o->control_dir);
                r |= push_option(v, "ControlMaster", "auto");
                r |= push_option(v, "ControlPersist", "60");
                r |= path ? push_option(v, "ControlPath", path) : -ENOMEM;
        } else
                r |= push_option(v, "ControlMaster", "no");
        return r ? -ENOMEM : 0;
}

static int push_destination(const struct ssh_options *o, const char *host, char ***v)
{
        /* "--" ends options: a host name can never be taken for one */
        if (strv_push_dup(v, "-l") < 0 || strv_push_dup(v, o->user ? o->user : "root") < 0 ||
            strv_push_dup(v, "--") < 0 || strv_push_dup(v, host) < 0)
                return -ENOMEM;
        return 0;
}

int ssh_argv(const struct ssh_options *o, const char *host, char *const *remote_argv, char ***ret)
{
        _cleanup_(strv_freep) char **v = NULL, **quoted = NULL;
        int r;

        if (!host || !*host || host[0] == '-')
                return -EINVAL;
        r = common_options(o, &v);
        if (r >= 0)
                r = push_destination(o, host, &v);
        if (r < 0)
                return r;
        STRV_FOREACH (a, remote_argv)
                if (strv_push(&quoted, shell_quote(*a)) < 0)
                        return -ENOMEM;
        if (quoted && strv_push(&v, strv_join(quoted, " ")) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(v);
        return 0;
}

int ssh_exit_argv(const struct ssh_options *o, const char *host, char ***ret)
{
        _cleanup_(strv_freep) char **v = NULL;
        int r;

        if (!o->control_dir || !host || host[0] == '-')
                return -EINVAL;
        r = common_options(o, &v);
        if (r >= 0 && (strv_push_dup(&v, "-O") < 0 || strv_push_dup(&v, "exit") < 0))
                r = -ENOMEM;
        if (r >= 0)
                r = push_destination(o, host, &v);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        return 0;
}

static const char *const failure_text[] = {
        [SSH_OK] = "connected",
        [SSH_AUTH_DENIED] = "the peer refuses the key (Permission denied (publickey))",
        [SSH_HOSTKEY_CHANGED] =
                "the peer's host key CHANGED since it was recorded in known_hosts (REMOTE HOST IDENTIFICATION HAS CHANGED): a reinstalled host, or someone in between",
        [SSH_HOSTKEY_UNKNOWN] = "the peer's host key is not in known_hosts (Host key verification failed)",
        [SSH_REFUSED] = "nothing listens for SSH there (Connection refused)",
        [SSH_TIMEOUT] = "no answer in time (connection or SSH banner timed out)",
        [SSH_UNRESOLVED] = "the name does not resolve",
        [SSH_UNREACHABLE] = "no route to the peer",
        [SSH_REMOTE_FAILED] = "connected, but the command on the peer failed",
        [SSH_OTHER] = "ssh failed",
};
_Static_assert(ELEMENTSOF(failure_text) == _SSH_FAILURE_MAX, "failure_text out of step");

const char *ssh_failure_to_string(enum ssh_failure f)
{
        return f < _SSH_FAILURE_MAX ? failure_text[f] : "?";
}

enum ssh_failure ssh_classify(int exit_status, bool timed_out, const char *err)
{
        err = strempty(err);
        if (timed_out)
                return SSH_TIMEOUT;
        if (exit_status == 0)
                return SSH_OK;
        if (exit_status != 255)
                return SSH_REMOTE_FAILED; /* ssh itself exits 255; anything else is the remote command's */
        if (strstr(err, "REMOTE HOST IDENTIFICATION HAS CHANGED"))
                return SSH_HOSTKEY_CHANGED;
        if (strstr(err, "Host key verification failed"))
                return SSH_HOSTKEY_UNKNOWN;
        if (strstr(err, "Permission denied"))
                return SSH_AUTH_DENIED;
        if (strstr(err, "Connection refused"))
                return SSH_REFUSED;
        if (strstr(err, "timed out") || strstr(err, "Timeout"))
                return SSH_TIMEOUT;
        if (strstr(err, "Could not resolve hostname") || strstr(err, "Name or service not known"))
                return SSH_UNRESOLVED;
        if (strstr(err, "No route to host") || strstr(err, "Network is unreachable"))
                return SSH_UNREACHABLE;
        return SSH_OTHER;
}

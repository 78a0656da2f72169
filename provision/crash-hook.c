/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The test hook HOSTPREP_CRASH_POINT=WHERE[:SIGNAL][@N] (apply.h, hostprep(8) ENVIRONMENT): the process
 * sends itself SIGNAL at the Nth time apply or rollback reaches the crash point WHERE. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"

static struct {
        char where[32];
        int sig;
        unsigned nth, seen;
} hook;

static int signal_from_name(const char *s)
{
        unsigned n;

        if (startswith(s, "SIG"))
                s += 3;
        if (safe_atou(s, &n) >= 0)
                return n > 0 && n < (unsigned)NSIG ? (int)n : -EINVAL;
        for (int sig = 1; sig < NSIG; sig++) {
                const char *abbrev = sigabbrev_np(sig);

                if (abbrev && streq(abbrev, s))
                        return sig;
        }
        return -EINVAL;
}

static void hook_point(const char *where, void *userdata)
{
        (void)userdata;
        if (streq(where, hook.where) && ++hook.seen == hook.nth)
                (void)raise(hook.sig);
}

static int parse(const char *env)
{
        _cleanup_free_ char *v = NULL;
        char *at, *colon;

        v = strdup(env);
        if (!v)
                return -ENOMEM;
        hook.sig = SIGKILL;
        hook.nth = 1;
        at = strchr(v, '@');
        if (at) {
                *at++ = '\0';
                if (safe_atou(at, &hook.nth) < 0 || hook.nth == 0)
                        return -EINVAL;
        }
        colon = strchr(v, ':');
        if (colon) {
                *colon++ = '\0';
                hook.sig = signal_from_name(colon);
                if (hook.sig < 0)
                        return -EINVAL;
        }
        if (!*v || strlen(v) >= sizeof(hook.where))
                return -EINVAL;
        strcpy(hook.where, v);
        hook.seen = 0;
        return 0;
}

void apply_crash_hook_from_env(struct apply_options *o)
{
        const char *env = getenv("HOSTPREP_CRASH_POINT");

        if (!env || !*env)
                return;
        if (parse(env) < 0) {
                if (o->log)
                        fprintf(o->log,
                                "hostprep: HOSTPREP_CRASH_POINT=%s is malformed (WHERE[:SIGNAL][@N]); ignored\n",
                                env);
                return;
        }
        o->crash_point = hook_point;
        o->userdata = NULL;
}

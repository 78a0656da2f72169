/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostprep facts: what peers compare about this host (the JSON a controller reads over SSH). */
#include "facts.h"
#include "verbs.h"

int verb_facts(char **args)
{
        _cleanup_(session_done) struct session s = {0};
        usec_t timeout;
        int r;

        r = session_open(&s, NULL);
        if (r < 0)
                return -r;
        timeout = s.timeout;
        r = facts_print(stdout, s.fs, &s.id, s.roles, &s.profile, now_usec() + timeout,
                        arg_format == FORMAT_JSON);
        if (r < 0) {
                fprintf(stderr, "hostprep: gathering facts failed: %s\n", strerror(-r));
                return EXIT_UNDECIDED;
        }
        return 0;
}

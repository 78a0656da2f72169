/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "saslconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lineiter.h"
#include "macro.h"
#include "strv.h"
#include "util.h"

static int set_value(struct sasl_conf *c, const char *key, const char *value, unsigned line)
{
        char **target = streq(key, "keytab")        ? &c->keytab
                        : streq(key, "sasldb_path") ? &c->sasldb_path
                                                    : NULL;

        if (streq(key, "mech_list")) {
                _cleanup_(strv_freep) char **words = NULL;

                if (strv_split(value, " \t,", &words) < 0)
                        return -ENOMEM;
                STRV_FOREACH (w, words)
                        for (char *ch = *w; *ch; ch++)
                                *ch = (char)tolower((unsigned char)*ch);
                strv_free(c->mechanisms);
                c->mechanisms = TAKE_PTR(words);
                c->mech_list_line = line;
                return 0;
        }
        if (!target)
                return 0;
        free(*target);
        *target = strdup(value);
        return *target ? 0 : -ENOMEM;
}

int sasl_conf_parse(const char *text, struct sasl_conf *ret)
{
        struct sasl_conf c = {0};
        int r = 0;

        LINE_FOREACH(l, text)
        {
                _cleanup_free_ char *dup = line_iter_dup(&l);
                char *s, *colon;

                if (!dup) {
                        r = -ENOMEM;
                        break;
                }
                s = strip(dup);
                colon = strchr(s, ':');
                if (*s == '#' || !colon)
                        continue;
                *colon = '\0';
                r = set_value(&c, strip(s), strip(colon + 1), l.number);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                sasl_conf_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

void sasl_conf_done(struct sasl_conf *c)
{
        strv_free(c->mechanisms);
        free(c->keytab);
        free(c->sasldb_path);
        *c = (struct sasl_conf){0};
}

bool sasl_mechanism_uses_sasldb(const char *m)
{
        return startswith(m, "scram-") || streq(m, "digest-md5") || streq(m, "cram-md5") ||
               streq(m, "plain") || streq(m, "login");
}

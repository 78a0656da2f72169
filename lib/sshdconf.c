/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sshdconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lineiter.h"
#include "macro.h"
#include "util.h"

/* *slot = the rest of the line after keyword and its space, when the line is that keyword's. */
static int take(const struct line_iter *l, const char *keyword, char **slot)
{
        size_t n = strlen(keyword);
        char *v;

        /* a prefix without '\n' can only match within the line */
        if (l->len <= n || !startswith(l->line, keyword) || l->line[n] != ' ')
                return 0;
        v = strndup(l->line + n + 1, l->len - n - 1);
        if (!v)
                return -ENOMEM;
        free(*slot);
        *slot = v;
        return 1;
}

int sshd_settings_parse(const char *text, struct sshd_settings *ret)
{
        struct sshd_settings s = {0};
        int r = 0;

        LINE_FOREACH(l, text)
        {
                r = take(&l, "permitrootlogin", &s.permit_root_login);
                if (r == 0)
                        r = take(&l, "passwordauthentication", &s.password_authentication);
                if (r < 0) {
                        sshd_settings_done(&s);
                        return r;
                }
        }
        *ret = s;
        return 0;
}

void sshd_settings_done(struct sshd_settings *s)
{
        s->permit_root_login = mfree(s->permit_root_login);
        s->password_authentication = mfree(s->password_authentication);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "version.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>

int version_parse(const char *s, struct version *ret)
{
        unsigned v[3] = {}, n = 0;

        if (!s)
                return -EINVAL;
        for (const char *p = s;; p++) {
                unsigned long part = 0;

                if (!isdigit((unsigned char)*p))
                        return -EINVAL;
                for (; isdigit((unsigned char)*p); p++) {
                        part = part * 10 + (unsigned long)(*p - '0');
                        if (part > UINT_MAX)
                                return -EINVAL;
                }
                if (n < 3)
                        v[n] = (unsigned)part;
                n++;
                if (*p == '\0')
                        break;
                if (*p != '.')
                        return -EINVAL;
        }
        if (n < 2)
                return -EINVAL;
        *ret = (struct version){v[0], v[1], v[2]};
        return 0;
}

int version_compare(const struct version *a, const struct version *b, unsigned parts)
{
        const unsigned va[3] = {a->major, a->minor, a->micro}, vb[3] = {b->major, b->minor, b->micro};

        for (unsigned i = 0; i < parts && i < 3; i++)
                if (va[i] != vb[i])
                        return va[i] < vb[i] ? -1 : 1;
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "strv.h"

size_t strv_length(char *const *v)
{
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

char **strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
        return NULL;
}

int strv_push(char ***v, char *s)
{
        size_t n = strv_length(*v);
        char **nv;

        if (!s)
                return -ENOMEM;
        nv = realloc(*v, (n + 2) * sizeof(char *));
        if (!nv) {
                free(s);
                return -ENOMEM;
        }
        nv[n] = s;
        nv[n + 1] = NULL;
        *v = nv;
        return 0;
}

int strv_push_dup(char ***v, const char *s)
{
        return strv_push(v, strdup(s));
}

bool strv_contains(char *const *v, const char *s)
{
        STRV_FOREACH (i, v)
                if (streq(*i, s))
                        return true;
        return false;
}

int strv_split(const char *s, const char *seps, char ***ret)
{
        _cleanup_(strv_freep) char **v = NULL;
        int r;

        while (s && *s) {
                size_t n;

                s += strspn(s, seps);
                n = strcspn(s, seps);
                if (n == 0)
                        break;
                r = strv_push(&v, strndup(s, n));
                if (r < 0)
                        return r;
                s += n;
        }
        if (!v) {
                v = calloc(1, sizeof(char *));
                if (!v)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

char *strv_join(char *const *v, const char *sep)
{
        size_t len = 1, seplen = strlen(sep);
        char *s, *p;

        STRV_FOREACH (i, v)
                len += strlen(*i) + seplen;
        s = malloc(len);
        if (!s)
                return NULL;
        p = s;
        STRV_FOREACH (i, v) {
                if (i != v)
                        p = stpcpy(p, sep);
                p = stpcpy(p, *i);
        }
        *p = '\0';
        return s;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lsmlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "util.h"

/* The fields the kernel writes with audit_log_untrustedstring(): hex when they hold odd characters. A
 * number (pid=1234) looks like hex too, so only these are decoded. */
static const char *const untrusted_fields[] = {"comm",    "name", "path", "exe",    "cwd",
                                               "profile", "peer", "info", "target", NULL};

void avc_record_done(struct avc_record *r)
{
        free(r->perms);
        free(r->comm);
        free(r->name);
        free(r->path);
        free(r->scontext);
        free(r->tcontext);
        free(r->tclass);
        *r = (struct avc_record){};
}

void apparmor_record_done(struct apparmor_record *r)
{
        free(r->verdict);
        free(r->operation);
        free(r->profile);
        free(r->name);
        free(r->comm);
        free(r->requested_mask);
        free(r->denied_mask);
        *r = (struct apparmor_record){};
}

static int hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* s[0..len) decoded from hex when it is hex, else copied. */
static char *untrusted_decode(const char *s, size_t len)
{
        char *out;

        for (size_t i = 0; i < len; i++)
                if (hex_digit(s[i]) < 0)
                        return strndup(s, len);
        if (len == 0 || len % 2)
                return strndup(s, len);
        out = malloc(len / 2 + 1);
        if (!out)
                return NULL;
        for (size_t i = 0; i < len / 2; i++)
                out[i] = (char)(hex_digit(s[2 * i]) << 4 | hex_digit(s[2 * i + 1]));
        out[len / 2] = '\0';
        return out;
}

int audit_field(const char *line, const char *key, char **ret)
{
        size_t klen = strlen(key);
        const char *p = line;

        *ret = NULL;
        while (*p) {
                const char *tok = p, *eq, *v, *end;

                while (*tok == ' ')
                        tok++;
                if (!*tok)
                        break;
                eq = tok + strcspn(tok, "= ");
                if (*eq != '=') {
                        p = eq;
                        continue;
                }
                v = eq + 1;
                if (*v == '"') {
                        end = strchr(v + 1, '"');
                        if (!end)
                                return -EBADMSG;
                        p = end + 1;
                } else {
                        end = v + strcspn(v, " ");
                        p = end;
                }
                if ((size_t)(eq - tok) != klen || !strneq(tok, key, klen))
                        continue;
                if (*v == '"')
                        *ret = strndup(v + 1, (size_t)(end - v - 1));
                else if (strv_contains((char **)untrusted_fields, key))
                        *ret = untrusted_decode(v, (size_t)(end - v));
                else
                        *ret = strndup(v, (size_t)(end - v));
                return *ret ? 0 : -ENOMEM;
        }
        return 0;
}

/* SECONDS of "audit(SECONDS.MS:SERIAL)", 0 when the line has none. */
static uint64_t audit_seconds(const char *line)
{
        const char *p = strstr(line, "audit(");
        char *end;
        unsigned long long s;

        if (!p)
                return 0;
        errno = 0;
        s = strtoull(p + strlen("audit("), &end, 10);
        return errno || *end != '.' ? 0 : (uint64_t)s;
}

/* Fills the fields named in keys (pairs of a key and where its value goes). */
static int audit_fields(const char *line, const char *const *keys, char **const *dest)
{
        for (size_t i = 0; keys[i]; i++) {
                int r = audit_field(line, keys[i], dest[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int avc_perms(const char *after, struct avc_record *r)
{
        const char *open = after, *close;

        while (*open == ' ')
                open++;
        if (*open != '{')
                return -EBADMSG;
        close = strchr(open, '}');
        if (!close)
                return -EBADMSG;
        open++;
        while (*open == ' ')
                open++;
        while (close > open && close[-1] == ' ')
                close--;
        r->perms = strndup(open, (size_t)(close - open));
        return r->perms ? 0 : -ENOMEM;
}

int avc_record_parse(const char *line, struct avc_record *ret)
{
        _cleanup_(avc_record_done) struct avc_record r = {.permissive = -1};
        _cleanup_free_ char *permissive = NULL;
        const char *p = strstr(line, "avc:"), *verdict;
        int k;

        if (!p)
                return -ENOMSG;
        verdict = p + strlen("avc:");
        while (*verdict == ' ')
                verdict++;
        if (startswith(verdict, "denied"))
                r.denied = true;
        else if (!startswith(verdict, "granted"))
                return -ENOMSG; /* "avc:  received policyload notice" and the like */
        k = avc_perms(verdict + strcspn(verdict, " "), &r);
        if (k < 0)
                return k;
        k = audit_fields(line,
                         (const char *const[]){"comm", "name", "path", "scontext", "tcontext", "tclass",
                                               "permissive", NULL},
                         (char **const[]){&r.comm, &r.name, &r.path, &r.scontext, &r.tcontext, &r.tclass,
                                          &permissive});
        if (k < 0)
                return k;
        if (!r.scontext || !r.tcontext || !r.tclass)
                return -EBADMSG;
        if (permissive)
                r.permissive = streq(permissive, "1");
        r.seconds = audit_seconds(line);
        *ret = r;
        r = (struct avc_record){};
        return 0;
}

int apparmor_record_parse(const char *line, struct apparmor_record *ret)
{
        _cleanup_(apparmor_record_done) struct apparmor_record r = {};
        int k;

        k = audit_field(line, "apparmor", &r.verdict);
        if (k < 0)
                return k;
        if (!r.verdict)
                return -ENOMSG;
        k = audit_fields(line,
                         (const char *const[]){"operation", "profile", "name", "comm", "requested_mask",
                                               "denied_mask", NULL},
                         (char **const[]){&r.operation, &r.profile, &r.name, &r.comm, &r.requested_mask,
                                          &r.denied_mask});
        if (k < 0)
                return k;
        if (!r.operation || !r.profile)
                return -EBADMSG;
        r.seconds = audit_seconds(line);
        *ret = r;
        r = (struct apparmor_record){};
        return 0;
}

char *selinux_context_type(const char *context)
{
        const char *t;
        size_t len;

        /* user:role:type[:sensitivity[:categories]] */
        t = context ? strchr(context, ':') : NULL;
        t = t ? strchr(t + 1, ':') : NULL;
        if (!t)
                return NULL;
        t++;
        len = strcspn(t, ":");
        return len ? strndup(t, len) : NULL;
}

bool path_below(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        while (n > 1 && dir[n - 1] == '/')
                n--;
        if (!path || !strneq(path, dir, n))
                return false;
        return path[n] == '\0' || path[n] == '/' || (n == 1 && dir[0] == '/');
}

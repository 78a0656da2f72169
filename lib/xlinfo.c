/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "xlinfo.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lineiter.h"
#include "macro.h"
#include "util.h"

enum field_kind {
        FIELD_STRING,
        FIELD_UINT,
        FIELD_MIB,
};

struct field {
        const char *key;
        enum field_kind kind;
        size_t offset; /* of the char * or the number in struct xl_info */
        size_t has;    /* of its has_ flag (numbers only) */
};

#define STRING_FIELD(name)                                                                                  \
        {                                                                                                   \
#name, FIELD_STRING, offsetof(struct xl_info, name), 0                                      \
        }
#define NUMBER_FIELD(name, kind)                                                                            \
        {                                                                                                   \
#name, kind, offsetof(struct xl_info, name), offsetof(struct xl_info, has_##name)           \
        }

/* The keys of xl info hostprep reads (xen tools/xl/xl_info.c). */
static const struct field xl_info_fields[] = {
        STRING_FIELD(host),
        STRING_FIELD(xen_version),
        STRING_FIELD(virt_caps),
        STRING_FIELD(xen_caps),
        NUMBER_FIELD(xen_major, FIELD_UINT),
        NUMBER_FIELD(xen_minor, FIELD_UINT),
        NUMBER_FIELD(total_memory, FIELD_MIB),
        NUMBER_FIELD(free_memory, FIELD_MIB),
};

void xl_info_done(struct xl_info *i)
{
        free(i->host);
        free(i->xen_version);
        free(i->virt_caps);
        free(i->xen_caps);
        *i = (struct xl_info){0};
}

static const struct field *field_find(const char *key)
{
        for (size_t i = 0; i < ELEMENTSOF(xl_info_fields); i++)
                if (streq(xl_info_fields[i].key, key))
                        return &xl_info_fields[i];
        return NULL;
}

static int field_set(struct xl_info *info, const struct field *f, const char *value)
{
        char *base = (char *)info;
        unsigned u;

        if (f->kind == FIELD_STRING) {
                char **s = (char **)(base + f->offset);
                char *copy = strdup(value);

                if (!copy)
                        return -ENOMEM;
                free(*s);
                *s = copy;
                return 0;
        }
        if (safe_atou(value, &u) < 0)
                return -EBADMSG;
        if (f->kind == FIELD_UINT)
                *(unsigned *)(base + f->offset) = u;
        else
                *(uint64_t *)(base + f->offset) = u;
        *(bool *)(base + f->has) = true;
        return 0;
}

/* "free_memory            : 2014": the key, spaces, ':', the value (may be empty: xen_changeset). */
static int parse_line(struct xl_info *info, char *line)
{
        const struct field *f;
        char *colon = strchr(line, ':');

        if (!colon)
                return 0;
        *colon = '\0';
        f = field_find(strip(line));
        return f ? field_set(info, f, strip(colon + 1)) : 0;
}

int xl_info_parse(const char *text, struct xl_info *ret, unsigned *ret_line)
{
        struct xl_info info = {0};
        int r = 0;

        *ret_line = 0;
        LINE_FOREACH(l, text)
        {
                _cleanup_free_ char *line = line_iter_dup(&l);

                r = line ? parse_line(&info, line) : -ENOMEM;
                if (r < 0) {
                        *ret_line = l.number;
                        break;
                }
        }
        if (r == 0 && !info.xen_version)
                r = -EBADMSG;
        if (r < 0) {
                xl_info_done(&info);
                return r;
        }
        *ret = info;
        return 0;
}

bool xl_info_has_cap(const struct xl_info *i, const char *cap)
{
        size_t n = strlen(cap);

        for (const char *p = i->virt_caps; p && *p;) {
                size_t len;

                p += strspn(p, " \t");
                len = strcspn(p, " \t");
                if (len == n && strneq(p, cap, n))
                        return true;
                p += len;
        }
        return false;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "inifile.h"

#include <errno.h>
#include <ini.h>
#include <string.h>

#include "util.h"

char *ini_reader_gets(char *str, int num, void *stream)
{
        struct ini_reader *rd = stream;
        size_t n, skip;
        char *c;

        if (!fgets(str, num, rd->f))
                return NULL;
        rd->line++;
        n = strlen(str);
        if (n > 0 && str[n - 1] != '\n' && !feof(rd->f)) {
                int ch;

                if (!rd->too_long)
                        rd->too_long = rd->line;
                while ((ch = fgetc(rd->f)) != EOF && ch != '\n')
                        ;
        }
        if (!rd->flatten)
                return str;
        skip = strspn(str, " \t");
        memmove(str, str + skip, n - skip + 1);
        for (c = str; (c = strpbrk(c, " \t")); c++)
                if (c[1] == '#') {
                        strcpy(c, "\n");
                        break;
                }
        return str;
}

struct load_ctx {
        struct ini_reader *rd;
        struct conf *conf;
        bool oom;
};

static int load_handler(void *user, const char *section, const char *name, const char *value)
{
        struct load_ctx *lc = user;
        _cleanup_free_ char *origin = strdup_printf("%s:%u", lc->rd->file, lc->rd->line);

        if (!origin || conf_set(lc->conf, section, name, value, origin) < 0) {
                lc->oom = true;
                return 0;
        }
        return 1;
}

int ini_conf_load(FILE *f, const char *file, struct conf *c, unsigned *ret_line)
{
        struct ini_reader rd = {.f = f, .file = file};
        struct load_ctx lc = {.rd = &rd, .conf = c};
        int r;

        r = ini_parse_stream(ini_reader_gets, &rd, load_handler, &lc);
        if (lc.oom || r == -2)
                return -ENOMEM;
        if (r < 0)
                return -EIO;
        if (r > 0 || rd.too_long) {
                *ret_line = r > 0 && (!rd.too_long || (unsigned)r < rd.too_long) ? (unsigned)r : rd.too_long;
                return -EINVAL;
        }
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util.h"

#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <strings.h>
#include <time.h>

usec_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t)ts.tv_sec * USEC_PER_SEC + (usec_t)ts.tv_nsec / 1000;
}

char *strip(char *s)
{
        char *e;

        while (isspace((unsigned char)*s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
                *--e = '\0';
        return s;
}

bool startswith(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool endswith(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

int safe_atou(const char *s, unsigned *ret)
{
        unsigned long v;
        char *end;

        if (!s || !isdigit((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno == ERANGE || v > UINT_MAX)
                return -ERANGE;
        if (*end)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
}

int parse_boolean(const char *s)
{
        static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false", "off",
                                                                                    "0"};

        for (size_t i = 0; s && i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

int parse_seconds(const char *s, usec_t *ret)
{
        double d;
        char *end;

        if (!s || !(isdigit((unsigned char)*s) || *s == '.'))
                return -EINVAL;
        errno = 0;
        d = strtod(s, &end);
        if (errno || *end || !isfinite(d))
                return -EINVAL;
        if (d <= 0 || d > 86400)
                return -ERANGE;
        *ret = (usec_t)(d * (double)USEC_PER_SEC);
        return 0;
}

int read_fd_full(int fd, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                ssize_t n;

                if (cap - len < 4096) {
                        size_t ncap = cap ? cap * 2 : 8192;
                        char *nbuf;

                        if (cap > max + 1)
                                return -EFBIG;
                        nbuf = realloc(buf, ncap);
                        if (!nbuf)
                                return -ENOMEM;
                        buf = nbuf;
                        cap = ncap;
                }
                n = read(fd, buf + len, cap - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

char *strdup_vprintf(const char *fmt, va_list ap)
{
        char *s;

        return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

char *strdup_printf(const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        s = strdup_vprintf(fmt, ap);
        va_end(ap);
        return s;
}

char *read_first_line(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        char *text = NULL;

        if (fd < 0 || read_fd_full(fd, 4096, &text, NULL) < 0)
                return NULL;
        text[strcspn(text, "\n")] = '\0';
        return text;
}

bool process_is_hostprep(long pid)
{
        _cleanup_free_ char *path = pid > 0 ? strdup_printf("/proc/%ld/comm", pid) : NULL;
        _cleanup_free_ char *comm = path ? read_first_line(path) : NULL;

        return comm && startswith(comm, "hostprep");
}

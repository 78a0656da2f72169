/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f)    __attribute__((cleanup(f)))
#define _printf_(a, b)  __attribute__((format(printf, a, b)))
#define _unused_        __attribute__((unused))
#define _pure_          __attribute__((pure))
#define ELEMENTSOF(x)   (sizeof(x) / sizeof((x)[0]))
#define streq(a, b)     (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)

static inline void freep(void *p)
{
        free(*(void **)p);
}

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

#define _cleanup_free_   _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_close_  _cleanup_(closep)

/* Defines name##p(type **) that calls func(*p) when *p is not NULL, for _cleanup_(name##p). */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                             \
        static inline void func##p(type *p)                                                                 \
        {                                                                                                   \
                if (*p)                                                                                     \
                        func(*p);                                                                           \
        }

/* Hands ownership of *p to the caller and leaves NULL behind, so a cleanup attribute frees nothing. */
#define TAKE_PTR(p)                                                                                         \
        ({                                                                                                  \
                __typeof__(p) _ptr_ = (p);                                                                  \
                (p) = NULL;                                                                                 \
                _ptr_;                                                                                      \
        })

#define TAKE_FD(fd)                                                                                         \
        ({                                                                                                  \
                int _fd_ = (fd);                                                                            \
                (fd) = -1;                                                                                  \
                _fd_;                                                                                       \
        })

static inline const char *strempty(const char *s)
{
        return s ? s : "";
}

/* Equal strings, or both NULL. */
static inline bool streq_ptr(const char *a, const char *b)
{
        return a && b ? streq(a, b) : a == b;
}

static inline const char *strna(const char *s)
{
        return s ? s : "n/a";
}

static inline void *mfree(void *p)
{
        free(p);
        return NULL;
}

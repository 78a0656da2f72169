/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the C unit tests share: CHECK(cond, fmt, ...) counts and reports a failure and goes on. */

#include <stdio.h>
#include <stdlib.h>

static int failures;

#define CHECK(cond, ...)                                                                                    \
        do {                                                                                                \
                if (!(cond)) {                                                                              \
                        failures++;                                                                         \
                        fprintf(stderr, "%s:%d: FAIL %s: ", __FILE__, __LINE__, #cond);                     \
                        fprintf(stderr, __VA_ARGS__);                                                       \
                        fputc('\n', stderr);                                                                \
                }                                                                                           \
        } while (0)

/* The whole file as a string, or NULL. */
static inline char *read_text(const char *path)
{
        FILE *f = fopen(path, "re");
        char *text = NULL;
        size_t n = 0;

        if (f && getdelim(&text, &n, '\0', f) < 0) {
                free(text);
                text = NULL;
        }
        if (f)
                fclose(f);
        return text;
}

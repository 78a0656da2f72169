/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the C unit tests share: CHECK(cond, fmt, ...) counts and reports a failure and goes on. */

#include <stdio.h>

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

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define USEC_PER_SEC  1000000ULL
#define USEC_PER_MSEC 1000ULL

typedef uint64_t usec_t;

/* CLOCK_MONOTONIC in microseconds: deadlines are always taken on this clock. */
usec_t now_usec(void);

/* Strips leading and trailing white space in place; returns the first kept character. */
char *strip(char *s);
bool startswith(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);

/* Decimal unsigned integer, the whole string, no sign, no overflow. */
int safe_atou(const char *s, unsigned *ret);
/* yes/no, true/false, on/off, 1/0: 1 or 0, -EINVAL otherwise. */
int parse_boolean(const char *s);
/* Seconds with an optional fraction ("2", "0.5"), > 0, at most a day. */
int parse_seconds(const char *s, usec_t *ret);

/* Reads fd to EOF into a NUL-terminated buffer; -EFBIG past max bytes. */
int read_fd_full(int fd, size_t max, char **ret, size_t *ret_len);
/* The first line of a small file (of /proc, say), without its newline; NULL when it cannot be read. */
char *read_first_line(const char *path);
/* pid is a running hostprep process (its comm), on this boot. */
bool process_is_hostprep(long pid);

/* asprintf that returns NULL on failure instead of an undefined pointer. */
char *strdup_printf(const char *fmt, ...) _printf_(1, 2);
char *strdup_vprintf(const char *fmt, va_list ap) _printf_(1, 0);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * INI files read with libinih one line at a time, so every value's line is known: hostprep's profiles
 * and other programs' configuration (nova.conf).
 */

#include <stdbool.h>
#include <stdio.h>

#include "conf.h"

struct ini_reader {
        FILE *f;
        const char *file;
        unsigned line;
        unsigned too_long; /* first line that did not fit, 0 if none */
        /* hostprep's profile syntax: indentation dropped (inih would take an indented line as a
         * continuation) and comments after white space cut off */
        bool flatten;
};

/* inih's ini_reader for ini_parse_stream(): stream is a struct ini_reader. */
char *ini_reader_gets(char *str, int num, void *stream);

/* Adds every `key = value` of f (file names it) to c, with "FILE:LINE" as each value's origin; a later
 * value of a key replaces an earlier one. -EINVAL on a syntax error or a line too long, its line in
 * *ret_line; -ENOMEM. */
int ini_conf_load(FILE *f, const char *file, struct conf *c, unsigned *ret_line);

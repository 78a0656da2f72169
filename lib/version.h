/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Programs' versions as numbers, so that "10.0" comes after "9.2" (as strings it would not). */

struct version {
        unsigned major, minor, micro; /* micro 0 when the text has two parts */
};

/* "9.0.0", "7.2", "1.2.3.4" (parts after the third are ignored): numbers joined by dots, at least two;
 * -EINVAL otherwise (empty, a letter, a part too big, a dot at either end). */
int version_parse(const char *s, struct version *ret);

/* <0, 0, >0 as a is older than, as old as, newer than b, comparing the first parts (1-3) only. */
int version_compare(const struct version *a, const struct version *b, unsigned parts);

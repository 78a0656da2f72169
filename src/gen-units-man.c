/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes hostprep-units(7) as scdoc source to stdout, from the units' result tables, at build time. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "unit-doc.h"

int main(void)
{
        int r = units_man_page(stdout);

        if (r < 0 || fflush(stdout) != 0) {
                fprintf(stderr, "hostprep-gen-units-man: %s\n", strerror(r < 0 ? -r : EIO));
                return 1;
        }
        return 0;
}

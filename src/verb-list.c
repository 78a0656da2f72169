/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostprep list: the units, the roles they apply to and their results (from each unit's result table),
 * and the comparisons across hosts. */
#include "unit-doc.h"
#include "verbs.h"

int verb_list(char **args)
{
        int r = arg_format == FORMAT_JSON ? units_list_json(stdout) : units_list_human(stdout, arg_quiet);

        if (r < 0 || fflush(stdout) != 0) {
                fprintf(stderr, "hostprep: writing the list failed: %s\n", strerror(r < 0 ? -r : errno));
                return EXIT_UNDECIDED;
        }
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "datadir.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "macro.h"

bool datadir_build_tree(void)
{
        /* both canonical: the build tree may be reached through a symlink */
        _cleanup_free_ char *exe = realpath("/proc/self/exe", NULL),
                            *root = realpath(HOSTPREP_BUILD_ROOT, NULL);
        size_t n;

        if (!exe || !root)
                return false;
        n = strlen(root);
        return strncmp(exe, root, n) == 0 && exe[n] == '/';
}

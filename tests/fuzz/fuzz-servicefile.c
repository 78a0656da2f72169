/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A systemd unit file read without systemd (lib/servicefile.c): the input as a unit below a root that
 * has one wants/ link, its state as the checks ask it. */
#include "fuzz.h"
#include "hostfs.h"
#include "servicefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(hostfs_freep) struct hostfs *fs = NULL;
        _cleanup_free_ char *root = NULL, *link = NULL;
        const char *state;

        if (size > FUZZ_MAX_INPUT ||
            fuzz_write_file("root/lib/systemd/system/fuzz.service", data, size) < 0 ||
            fuzz_write_file("root/etc/systemd/system/multi-user.target.wants/.keep", NULL, 0) < 0)
                return 0;
        if (asprintf(&root, "%s/root", fuzz_dir()) < 0 ||
            asprintf(&link, "%s/etc/systemd/system/multi-user.target.wants/fuzz.service", root) < 0)
                return 0;
        (void)symlink("/lib/systemd/system/fuzz.service", link);
        if (hostfs_new(root, &fs) < 0)
                return 0;
        (void)service_file_state(fs, "fuzz.service", &state);
        return 0;
}

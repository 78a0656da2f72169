/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A systemd unit file's state read from the files below a root, as `systemctl is-enabled` would tell
 * it, for hosts where no systemd answers on a bus (an image, a fixture, a host without systemd): masked
 * (a link to /dev/null or an empty file in /etc or /run), enabled (a link in TARGET.wants/ or
 * TARGET.requires/ of /etc for a target of its [Install] section), disabled (an [Install] section but no
 * link), static (no [Install] section), or "" when there is no unit file. Drop-ins, presets and
 * template instances are not looked at.
 */

#include "hostfs.h"

/* *ret is "masked", "enabled", "disabled", "static" or "" (a static string); a negative errno only when a
 * unit file exists but cannot be read. */
int service_file_state(const struct hostfs *fs, const char *name, const char **ret);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Identifies the filesystem on a block device (or image file) open at fd, with libblkid: its type
 * ("ext4") and UUID. *ret_uuid is NULL when the filesystem has none. -ENODATA when nothing is recognised. */
int fsprobe_fd(int fd, char **ret_type, char **ret_uuid);

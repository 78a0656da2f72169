/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The one way hostprep reads host state. Every path is taken relative to a root: "/" for the live host,
 * or a chroot, a mounted image before first boot, or a test fixture (--root DIR). Symlinks inside the
 * root resolve inside it (openat2 RESOLVE_IN_ROOT), so an image's absolute links never escape to the
 * machine that runs hostprep.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#include "macro.h"

/* Files larger than this are refused: configuration files are small, and a runaway read is a bug. */
#define HOSTFS_READ_MAX (4u * 1024u * 1024u)

struct hostfs;

int hostfs_new(const char *root, struct hostfs **ret);
/* Tests only: behave as on a kernel without openat2 RESOLVE_IN_ROOT (paths only prefixed, writes below a
 * root other than "/" refused), to test that refusal on any kernel. */
#define HOSTFS_NO_OPENAT2 (1u << 0)
int hostfs_new_with_flags(const char *root, unsigned flags, struct hostfs **ret);
struct hostfs *hostfs_free(struct hostfs *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct hostfs *, hostfs_free)

const char *hostfs_root(const struct hostfs *h);
bool hostfs_is_live(const struct hostfs *h);

/* Returns an fd or a negative errno. path is absolute as seen on the checked host. */
int hostfs_open(const struct hostfs *h, const char *path, int flags);
int hostfs_stat(const struct hostfs *h, const char *path, struct stat *ret);
int hostfs_fopen(const struct hostfs *h, const char *path, FILE **ret);
/* Whole file, NUL-terminated; ret_len may be NULL. -EFBIG past HOSTFS_READ_MAX. */
int hostfs_read_file(const struct hostfs *h, const char *path, char **ret, size_t *ret_len);
/* Names in directory path (not "." or ".."), sorted by strcmp, as a NULL-terminated vector. */
int hostfs_list_dir(const struct hostfs *h, const char *path, char ***ret);
/* Writing through the root. path is absolute as seen on the host; its directory is resolved inside the root
 * like every read, and the change is made with the *at() calls on that directory, so nothing escapes it.
 *
 * That needs openat2 RESOLVE_IN_ROOT (Linux 5.6). Without it, below a root other than "/", every write and
 * every open for writing (hostfs_open() with O_WRONLY, O_RDWR, O_CREAT, O_TRUNC or O_APPEND, the *_for_write
 * opens, mkdir, unlink) fails with -EOPNOTSUPP; hostfs_writable() says why in a sentence for the operator.
 */

/* 0 when writes below the root are contained; else -EOPNOTSUPP, and (when ret_reason is not NULL) the
 * reason as a sentence (NULL on -ENOMEM). */
int hostfs_writable(const struct hostfs *h, char **ret_reason);

/* The directory holding path, opened O_RDONLY|O_DIRECTORY, and path's last component (never "", "." or
 * ".."; trailing slashes dropped). */
int hostfs_open_parent(const struct hostfs *h, const char *path, char **ret_name);
/* The same, for changing entries of that directory: refused where writes are not contained. */
int hostfs_open_parent_for_write(const struct hostfs *h, const char *path, char **ret_name);
/* Directory path, opened O_RDONLY|O_DIRECTORY to create or change entries in it with the *at() calls:
 * refused where writes are not contained. */
int hostfs_open_dir_for_write(const struct hostfs *h, const char *path);
/* One directory (not its parents), exactly mode (umask does not apply). -EEXIST when path exists. */
int hostfs_mkdir(const struct hostfs *h, const char *path, mode_t mode);
/* unlinkat(); AT_REMOVEDIR in flags removes an empty directory. The directory is fsynced after. */
int hostfs_unlink(const struct hostfs *h, const char *path, int flags);
/* The host's name: /etc/hostname of the root, or the kernel's node name on the live host. */
int hostfs_hostname(const struct hostfs *h, char **ret);

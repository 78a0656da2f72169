/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Replacing a file so that a crash at any instant leaves the old file or the new one, whole: a temporary
 * file in the same directory, written, given its mode, owner and SELinux label, fsynced, renamed over the
 * file, and the directory fsynced. Everything here works on a directory fd (from hostfs_open_parent()),
 * so nothing escapes the root.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "hostfs.h"
#include "macro.h"

/* A file as it is now: absent, or its bytes, stat and SELinux label. */
struct file_state {
        bool exists;
        char *data; /* NUL-terminated */
        size_t len;
        struct stat st;
        char *label; /* SELinux context, when the file has one */
};

void file_state_done(struct file_state *f);
/* Reads dfd/name without following a symlink there (-ELOOP). Absent is not an error: f->exists false.
 * -EISDIR for a directory, -EBADF for another kind of file, -EFBIG past HOSTFS_READ_MAX. */
int file_state_read_at(int dfd, const char *name, struct file_state *ret);
/* Whether f holds exactly text (len bytes); a NULL text means "absent". */
bool file_state_has(const struct file_state *f, const char *text, size_t len);
bool file_state_has_str(const struct file_state *f, const char *text);

/* What a replaced file gets. */
struct file_meta {
        bool keep_owner; /* chown to uid:gid (else the writer's) */
        mode_t mode;
        uid_t uid;
        gid_t gid;
        const char *label; /* NULL: the policy's default for label_path, when SELinux is enabled */
        /* The file's path on the running host, for the policy's default label; NULL when it is not a
         * path of the running host (below --root, or a private file): then no default label. */
        const char *label_path;
};

/* The meta data an existing file keeps (its mode, owner and label). */
struct file_meta file_meta_of(const struct file_state *f);

/* Called at the two instants where a crash leaves distinct states ("temp": the temporary file is
 * complete, "renamed": the new file is in place, its directory not yet synced), for tests that kill
 * the writer there. */
struct atomic_hook {
        void (*point)(const char *where, void *userdata);
        void *userdata;
};

/* Replaces dfd/name by data through the temporary file dfd/tmp (a leftover of a crashed writer there is
 * removed first). hook may be NULL. */
int atomic_write_at(int dfd, const char *name, const char *tmp, const void *data, size_t len,
                    const struct file_meta *m, const struct atomic_hook *hook);
/* The temporary name used beside name: ".#NAME.hostprep". NULL on -ENOMEM. */
char *atomic_temp_name(const char *name);

/* Replaces path (through fs) by data atomically. An existing file's mode, owner and SELinux label are
 * kept; a new file gets mode and, when SELinux is enabled on the live host, the policy's default label.
 * A symlink at path is refused (-ELOOP): replacing it would cut the link. */
int atomic_write_file(const struct hostfs *fs, const char *path, const void *data, size_t len, mode_t mode);

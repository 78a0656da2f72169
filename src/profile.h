/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "conf.h"
#include "strv.h"

#define PROFILE_DEFAULT       "kvm-nfs"
#define PROFILE_INCLUDE_DEPTH 8

/*
 * Finds and loads a profile into c (which must be zeroed). name is a file path when it contains '/',
 * "-" for standard input (what a controlling host sends its peers), else looked up as NAME.conf in
 * search_dirs in order. On failure returns a negative errno and sets
 * *ret_error to a message naming the file and line; c is then left empty.
 */
int profile_load(const char *name, char *const *search_dirs, struct conf *c, char **ret_error);
/* Applies "section.key=value" from the command line, validated like a line of a file. */
int profile_set(struct conf *c, const char *assignment, char **ret_error);
/* The lookup path: extra (colon-separated, may be NULL), /etc, the data dir, the source tree. */
int profile_search_dirs(const char *extra, char ***ret);
/* Every key the loader knows, for `hostprep list --keys` and the man page's test. */
enum profile_key_type {
        KEY_STRING,
        KEY_PATH,    /* absolute path */
        KEY_OPTIONS, /* comma-separated words */
        KEY_LIST,    /* host names or addresses, comma or space separated */
        KEY_NFS_VERSION,
        KEY_SECONDS,
        KEY_PORT,         /* 1..65535 */
        KEY_BOOL,         /* yes/no, true/false, 1/0 */
        KEY_UINT,         /* 0 or more */
        KEY_LIBVIRT_AUTH, /* sasl or none */
        KEY_TOOLSTACK,    /* auto, libvirt or xl */
};

struct profile_key {
        const char *section;
        const char *key;
        const char *def;
        const char *summary;
        enum profile_key_type type;
};
extern const struct profile_key profile_keys[];
extern const size_t profile_keys_size;

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * nfs-utils' configuration as its daemons read it (support/nfs/conffile.c): /etc/nfs.conf, then the
 * *.conf files of /etc/nfs.conf.d in name order, a later value of a key replacing an earlier one.
 * Sections are `[name]` (or `[name "arg"]`, kept as "name arg"), settings `key = value`, '#' and ';'
 * start comments; names compare without case. Only what net.firewall asks is here: the ports the NFSv3
 * helpers (mountd, statd, lockd) are pinned to.
 */

#include <stddef.h>

struct hostfs;

struct nfs_conf_entry {
        char *section, *key, *value;
        char *origin; /* "FILE:LINE" */
};

struct nfs_conf {
        struct nfs_conf_entry *entries;
        size_t n_entries;
};

void nfs_conf_done(struct nfs_conf *c);
/* Parses one file's text into c (appended). -ENOMEM only: lines it does not understand nfs-utils skips
 * too. */
int nfs_conf_parse(struct nfs_conf *c, const char *file, const char *text);
/* Reads the files below fs's root; absent files are no error. */
int nfs_conf_read(const struct hostfs *fs, struct nfs_conf *ret);
/* The value that counts for section.key, or NULL. */
const struct nfs_conf_entry *nfs_conf_get(const struct nfs_conf *c, const char *section, const char *key);

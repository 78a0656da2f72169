/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The running kernel's nftables, through libnftables (the library nft(8) is built on): the ruleset read
 * as JSON for the walker (lib/nft-walk.h) or as text, and commands run as nft -f runs a file, in one
 * transaction: all of them take effect or none. These talk netlink to this process's network namespace,
 * so they are for the live host only.
 */

#include <stdbool.h>

enum {
        NFT_LIST_JSON = 1 << 0,      /* -j */
        NFT_LIST_STATELESS = 1 << 1, /* -s: no counter values, so two listings compare equal */
};

/* `nft -a [-j] [-s] list ruleset` as flags (NFT_LIST_*) say: the text in *ret (caller frees). On failure
 * libnftables' error text in *ret_error (may be NULL). */
int nft_list_ruleset(unsigned flags, char **ret, char **ret_error);
/* The rules of a JSON listing whose comment is comment, as "FAMILY TABLE CHAIN HANDLE" lines. */
int nft_rules_with_comment(const char *json, const char *comment, char ***ret);
/* `nft list table FAMILY NAME` as text; -ENOENT when there is no such table. */
int nft_list_table(const char *family, const char *name, char **ret, char **ret_error);
/* Runs commands (nft's syntax, several lines) in one transaction; with check only validates them against
 * the kernel (nft -c). -EINVAL with libnftables' error text in *ret_error when it refuses them. */
int nft_run(const char *commands, bool check, char **ret_error);

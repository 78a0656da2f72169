/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* hosts(5) lookups on a file's text: no resolver, no network, so they cannot hang and read an image's
 * own /etc/hosts under --root. */

/* All addresses whose line names `name` (canonical name or alias, case-insensitive), in file order,
 * without duplicates. An empty vector when none. */
int etchosts_addresses(const char *text, const char *name, char ***ret);
/* All names (canonical and aliases) on lines for address `addr`. */
int etchosts_names(const char *text, const char *addr, char ***ret);
/* What `hostname --fqdn` says without asking DNS: the canonical (first) name of the first line naming
 * hostname, when it is dotted. -ENOENT when there is none. */
int etchosts_fqdn(const char *text, const char *hostname, char **ret);
/* The addresses a peer's name stands for, without a resolver: name itself when it is an IPv4 or IPv6
 * address, else etchosts_addresses() of text (NULL, an unreadable hosts file: an empty vector). */
int etchosts_resolve(const char *text, const char *name, char ***ret);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

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

/* One line of the file, as getaddrinfo's files backend reads it: the address and the canonical (first)
 * name, which AI_CANONNAME gives for any name of the line. */
struct etchosts_entry {
        unsigned line; /* 1 for the first */
        char *address;
        char *canonical;
};
/* Every line naming `name` (canonical name or alias, case-insensitive), in file order: the first is the
 * one whose canonical name getaddrinfo gives. *ret is NULL when none (*ret_n 0). */
int etchosts_entries(const char *text, const char *name, struct etchosts_entry **ret, size_t *ret_n);
void etchosts_entries_free(struct etchosts_entry *items, size_t n);

/* An address of the machine itself: 127.0.0.0/8, ::1, or ::ffff:127.x (Debian's 127.0.1.1 line is one). */
bool address_is_loopback(const char *a);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A parser for exports(5) files with the grammar nfs-utils uses (exportfs, rpc.mountd), and an offline
 * matcher for its client specifications.
 *
 * The parser works on buffers; callers read the files. exportfs reads /etc/exports first, then the names
 * exports_dir_select() picks from /etc/exports.d, all into one table: parse them in that order into one
 * table (struct exports_table) so duplicates across files are found as exportfs finds them.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* Longest path and client token (in bytes, after unquoting) nfs-utils accepts. */
#define EXPORTS_PATH_MAX   1024
#define EXPORTS_CLIENT_MAX 511

#define EXPORTS_ANON_ID_DEFAULT 65534

enum export_client_kind {
        EXPORT_CLIENT_ANONYMOUS, /* no name: a path alone, or "(opts)": exported to the world */
        EXPORT_CLIENT_WORLD,     /* "*" */
        EXPORT_CLIENT_HOSTNAME,  /* a DNS name, resolved by exportfs */
        EXPORT_CLIENT_IPV4,      /* a single IPv4 address */
        EXPORT_CLIENT_IPV6,      /* a single IPv6 address */
        EXPORT_CLIENT_WILDCARD,  /* a name with '*', '?' or '[' */
        EXPORT_CLIENT_SUBNET_V4, /* address/prefix or address/netmask */
        EXPORT_CLIENT_SUBNET_V6,
        EXPORT_CLIENT_NETGROUP, /* "@group" */
        EXPORT_CLIENT_GSS,      /* "gss/krb5" and friends: legacy, mountd matches no peer to these */
        _EXPORT_CLIENT_KIND_MAX,
        _EXPORT_CLIENT_KIND_INVALID = -EINVAL,
};

enum export_sec_flavor {
        EXPORT_SEC_NONE, /* also spelled "null" */
        EXPORT_SEC_SYS,  /* also spelled "unix" */
        EXPORT_SEC_KRB5,
        EXPORT_SEC_KRB5I,
        EXPORT_SEC_KRB5P,
        _EXPORT_SEC_FLAVOR_MAX,
        _EXPORT_SEC_FLAVOR_INVALID = -EINVAL,
};

enum export_xprtsec {
        EXPORT_XPRTSEC_NONE,
        EXPORT_XPRTSEC_TLS,
        EXPORT_XPRTSEC_MTLS,
        _EXPORT_XPRTSEC_MAX,
        _EXPORT_XPRTSEC_INVALID = -EINVAL,
};

enum export_reexport {
        EXPORT_REEXPORT_NONE,
        EXPORT_REEXPORT_AUTO_FSIDNUM,
        EXPORT_REEXPORT_PREDEFINED_FSIDNUM,
        _EXPORT_REEXPORT_MAX,
        _EXPORT_REEXPORT_INVALID = -EINVAL,
};

enum export_fsloc {
        EXPORT_FSLOC_NONE,
        EXPORT_FSLOC_REFER,    /* refer= */
        EXPORT_FSLOC_REPLICAS, /* replicas= */
        _EXPORT_FSLOC_MAX,
        _EXPORT_FSLOC_INVALID = -EINVAL,
};

enum export_match {
        EXPORT_MATCH_NO,
        EXPORT_MATCH_YES,
        EXPORT_MATCH_UNKNOWN, /* cannot be decided offline (netgroups, or no peer name for a name pattern) */
        _EXPORT_MATCH_MAX,
        _EXPORT_MATCH_INVALID = -EINVAL,
};

/* The flags the kernel keeps per security flavor: after "sec=a:b" they apply to a and b only. */
struct export_sec_flags {
        bool read_only;   /* ro (default) / rw */
        bool insecure;    /* insecure / secure (default) */
        bool root_squash; /* root_squash (default) / no_root_squash */
        bool all_squash;  /* all_squash / no_all_squash (default) */
};

struct export_sec {
        enum export_sec_flavor flavor;
        struct export_sec_flags flags;
};

struct export_id_range {
        long first, last;
};

struct export_options {
        /* For the export as a whole; for the flavors in sec[] their own copy counts. */
        struct export_sec_flags flags;
        bool async;          /* async / sync (default) */
        bool sync_explicit;  /* "sync" or "async" was written (in -defaults or this client's list) */
        bool wdelay;         /* wdelay (default) / no_wdelay */
        bool nohide;         /* nohide / hide (default) */
        bool crossmnt;       /* crossmnt / nocrossmnt (default) */
        bool subtree_check;  /* subtree_check / no_subtree_check (default) */
        bool insecure_locks; /* insecure_locks, no_auth_nlm / secure_locks, auth_nlm (default) */
        bool no_acl;         /* no_acl / acl (default) */
        bool nordirplus;     /* nordirplus; there is no negative spelling */
        bool security_label; /* security_label; there is no negative spelling */
        bool sign_fh;        /* sign_fh; there is no negative spelling */
        bool pnfs;           /* pnfs / no_pnfs (default) */
        uint32_t anonuid;    /* anonuid=, as the kernel receives it (a negative value wraps) */
        uint32_t anongid;    /* anongid= */
        bool fsid_set;       /* fsid=NUMBER or fsid=root (0) */
        uint32_t fsid;
        char *fsid_uuid;         /* fsid=UUID, as written; may be set together with fsid_set */
        char *mountpoint;        /* NULL: not given; "": bare mountpoint/mp; else the path */
        enum export_fsloc fsloc; /* the last of refer=/replicas= wins */
        char *fsloc_data;
        enum export_reexport reexport;
        struct export_sec
                sec[_EXPORT_SEC_FLAVOR_MAX]; /* in the order given; empty means sec=sys with flags */
        size_t n_sec;
        enum export_xprtsec xprtsec[_EXPORT_XPRTSEC_MAX]; /* empty: kernel default (any) */
        size_t n_xprtsec;
        struct export_id_range *squash_uids; /* legacy squash_uids=/squash_gids=, one range per option */
        size_t n_squash_uids;
        struct export_id_range *squash_gids;
        size_t n_squash_gids;
};

struct export_client {
        enum export_client_kind kind;
        char *name; /* as exportfs records it: "" for a path alone, "*" for "(opts)" */
        const char *file;
        unsigned line; /* where the entry (its path) starts */

        /* IPV4/IPV6/SUBNET_*: address and mask in network order; family is AF_INET or AF_INET6. */
        int family;
        uint8_t address[16];
        uint8_t mask[16];
        int prefixlen; /* -1 for a non-contiguous dotted netmask */

        struct export_options options;
        bool has_options;        /* the token had "(...)" */
        bool unnamed;            /* the token was "(opts)" with no name: exportfs exports it to "*" */
        bool space_before_paren; /* unnamed and right after a client without options: "host (rw)" */
        bool after_error;        /* exportfs stopped reading this file at an earlier error: not exported */
        bool duplicate;          /* same path and name seen before: exportfs ignores this one */
};

struct export_entry {
        char *path; /* unquoted, octal escapes decoded */
        const char *file;
        unsigned line;
        bool has_default_options; /* a "-options" token followed the path */
        struct export_client *clients;
        size_t n_clients;
};

struct exports_error {
        const char *file;
        unsigned line;   /* where the offending token starts */
        char *message;   /* one line, without file:line */
        bool stops_file; /* exportfs stops reading the file here; otherwise it skips only this client */
};

struct exports_table {
        struct export_entry *entries;
        size_t n_entries;
        struct exports_error *errors;
        size_t n_errors;
        char **files; /* owned copies of the names passed to exports_parse() */
        size_t n_files;
};

int exports_table_new(struct exports_table **ret);
struct exports_table *exports_table_free(struct exports_table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct exports_table *, exports_table_free);

/* Parses len bytes of buf, an exports(5) file called file (for messages), and appends its entries and
 * errors to t. A bad line does not stop parsing. Returns the number of errors found (>= 0), or -ENOMEM
 * or -EINVAL, in which case t is unchanged. */
int exports_parse(struct exports_table *t, const char *file, const char *buf, size_t len);

/* Whether exportfs reads a file of this name in exports.d: not hidden, ends in ".exports" with at least
 * one character before. exportfs also skips entries that are neither regular files nor symlinks. */
bool exports_dir_name_is_read(const char *name);

/* Picks the names exportfs reads from a directory listing, in its order (version sort). *ret_names is a
 * malloc'd array of pointers into names (free() it, not the strings). Returns the count. */
int exports_dir_select(const char *const *names, size_t n_names, const char ***ret_names);

/* Whether the client spec covers a peer with this host name (NULL if unknown) and these IP addresses
 * (text form). Returns an enum export_match, or -EINVAL for an unparsable address. */
int export_client_matches(const struct export_client *c, const char *hostname, const char *const *addresses,
                          size_t n_addresses);

/* The world, "*", a wildcard name, or a network wider than a single address. */
bool export_client_is_wide(const struct export_client *c);

const char *export_client_kind_to_string(enum export_client_kind k) _pure_;
enum export_client_kind export_client_kind_from_string(const char *s) _pure_;
const char *export_sec_flavor_to_string(enum export_sec_flavor f) _pure_;
enum export_sec_flavor export_sec_flavor_from_string(const char *s) _pure_;
const char *export_xprtsec_to_string(enum export_xprtsec x) _pure_;
enum export_xprtsec export_xprtsec_from_string(const char *s) _pure_;
const char *export_reexport_to_string(enum export_reexport r) _pure_;
enum export_reexport export_reexport_from_string(const char *s) _pure_;
const char *export_fsloc_to_string(enum export_fsloc f) _pure_;
const char *export_match_to_string(enum export_match m) _pure_;

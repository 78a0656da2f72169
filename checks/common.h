/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Helpers several units share. A unit never calls another unit; they share these instead. */

#include <sys/types.h>

#include "exports.h"
#include "pathnames.h"
#include "unit.h"

#define EXPORTS_FILE PATH_EXPORTS
#define EXPORTS_DIR  PATH_EXPORTS_DIR

/* The NFS server as hypervisors reach it: [nfs] server, else the first host with the nfs-server role.
 * -ENOENT when the profile names neither. */
int check_nfs_server(const struct check_ctx *ctx, char **ret);

/* The peers with role r: the profile's other hosts with it, and a --peer it does not name (given on the
 * command line to be checked against, it is one). */
int check_peers_with_role(const struct check_ctx *ctx, enum role r, char ***ret);

/* Whether the profile asks for the overlay name ("tinc", "vxlan"): [network] overlay lists it, or, for
 * vxlan, [network] vxlan_vni is set. */
bool check_overlay_wanted(const struct conf *profile, const char *name);

/* The addresses /etc/hosts of the checked root gives name (or name itself when it is an address). */
int check_host_addresses(const struct check_ctx *ctx, const char *name, char ***ret);

/* Reads /etc/exports and the exports.d files exportfs reads, in its order, into t. *ret_files lists the
 * files read (NULL when there are none at all). When a file cannot be read, returns its errno and names
 * it in *ret_unreadable. */
int check_exports_load(const struct check_ctx *ctx, struct exports_table *t, char ***ret_files,
                       char **ret_unreadable);

/* exportfs compares paths without trailing slashes. */
bool check_same_path(const char *a, const char *b);

/* The first of names found in the root's /etc/passwd, with its ids. -ENOENT when none is there. */
int check_passwd_lookup(const struct check_ctx *ctx, const char *const *names, char **ret_name,
                        uid_t *ret_uid, gid_t *ret_gid);

struct libmnt_table;
/* Reads a mount table (mountinfo or fstab format) through the root with libmount; a line it cannot parse
 * is skipped, as mount(8) does, the first one's number in *ret_bad_line (0: none). -ENOENT when the file
 * is absent. */
int check_mount_table_read(const struct check_ctx *ctx, const char *path, struct libmnt_table **ret,
                           unsigned *ret_bad_line);

struct check_mount {
        char *target, *source, *fstype, *options;
};
void check_mount_done(struct check_mount *m);
/* The mount path lies on, from the running host's mountinfo below the root: the last mount of the
 * longest target that is path or one of its parents, found by name (nothing on it is touched, so a hung
 * NFS server cannot block this). -ENOENT when there is no mountinfo (the host is not running), -ENXIO when
 * no mount holds path. */
int check_mount_of(const struct check_ctx *ctx, const char *path, struct check_mount *ret);

/* Whether something listens on TCP port in this network namespace (/proc/net/tcp, tcp6). */
int check_tcp_listening(unsigned port, bool *ret);

/* systemd runs the checked host: /run/systemd/system below the root (the live host, or a booted
 * container under --root /proc/PID/root). */
bool check_systemd_running(const struct check_ctx *ctx);
/* The checked host's system bus: NULL for the live host's default, else the socket below the root. */
char *check_bus_address(const struct check_ctx *ctx);

/* Whether the unit's check gave result id (or any id, when id is NULL) a FAIL or WARN in ctx->results. */
bool check_failed(const struct check_ctx *ctx, const char *id);
/* Whether ctx->results holds a result of table entry def: fixes decide on what check() found by this, never
 * by a message. */
bool check_gave(const struct check_ctx *ctx, const struct result_def *def);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the libvirt units' fixes share: settings edited into libvirt's configuration files (libvirtd.conf,
 * qemu.conf) and its EnvironmentFile= (/etc/default/libvirtd) in place, the operator's comments and other
 * lines kept, each new line from a template of templates/; and the daemon's restart that makes them count.
 */

#include "libvirtd-model.h"
#include "provision/plan.h"
#include "unit.h"

/* The hint of a unit's cannot_edit result: a file that does not parse, or a broken template. */
#define CONF_EDIT_FAILED_HINT "fix the file or the template named, then apply again"

/* One file's edit: read once, any number of settings changed in memory, then planned as one write. */
struct conf_edit {
        char *path;
        char *before; /* NULL: the file is absent */
        char *after;
        bool env_file; /* an EnvironmentFile= (VAR="value"), else libvirt's syntax (name = value) */
};

/* Reads path (absolute) below the host's root (absent: an empty file to be made, and its directory if
 * that is missing too). A negative errno on a read error. */
int conf_edit_begin(const struct check_ctx *ctx, const char *path, bool env_file, struct conf_edit *ret);
/* Sets name to value: for libvirt's syntax a literal as libvirt reads it ("1", "\"none\""), for an
 * environment file the text between the quotes. -EINVAL with *ret_error when the template is broken,
 * -EBADMSG with *ret_error when the file does not parse. */
int conf_edit_set(const struct check_ctx *ctx, struct conf_edit *e, const char *name, const char *value,
                  const char *why, char **ret_error);
/* Plans the write when anything changed: 1 when it did, 0 when the file already reads so. */
int conf_edit_plan(const struct check_ctx *ctx, struct conf_edit *e, struct plan *plan, const char *unit_id,
                   const char *why);
void conf_edit_done(struct conf_edit *e);

/* Plans a restart of service (the daemon's, or NULL for m's) so it reads its changed configuration
 * (and takes a new socket): 1 when planned; 0 when there is nothing to restart (an image, where no
 * systemd runs: it starts with the new files; socket-activated and not running: the next connection
 * starts it so); -ENOENT when no service unit runs it (the caller says it must be restarted by hand). */
int libvirtd_plan_restart(const struct check_ctx *ctx, const struct libvirtd_model *m, const char *service,
                          struct plan *plan, const char *unit_id, const char *why);

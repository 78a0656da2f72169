/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * libvirt's daemon configuration files (libvirtd.conf, qemu.conf, virtqemud.conf, ...) parsed as libvirt
 * parses them (src/util/virconf.c): statements `name = value`, separated by line ends or ';'; names start
 * with a letter, then letters, digits and '_'; '#' starts a comment (also after a value); values are
 * strings ('...' or "..." on one line, """...""" across lines, no escapes), integers (an optional sign and
 * digits: "-" makes it signed, anything else unsigned, as libvirt types them) and [lists] of values,
 * which may span lines and end with a ','. Any syntax error makes the whole file invalid, as libvirt
 * then refuses to start: the parser reports the first one as "FILE:LINE: what".
 *
 * Lookups follow libvirt too: the first assignment of a name wins.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

struct hostfs;

enum libvirt_conf_type {
        LIBVIRT_CONF_STRING,
        LIBVIRT_CONF_SIGNED,   /* written with a '-' */
        LIBVIRT_CONF_UNSIGNED, /* digits, or '+' and digits */
        LIBVIRT_CONF_LIST,
        _LIBVIRT_CONF_TYPE_MAX,
};

struct libvirt_conf_value {
        enum libvirt_conf_type type;
        char *string;   /* STRING */
        int64_t number; /* SIGNED, UNSIGNED */
        bool overflow;  /* SIGNED, UNSIGNED: more digits than 64 bits hold (libvirt would wrap) */
        struct libvirt_conf_value *items; /* LIST */
        size_t n_items;
};

struct libvirt_conf_entry {
        char *name;
        struct libvirt_conf_value value;
        unsigned line;     /* where the statement starts */
        size_t start, end; /* the statement's bytes in the text: from its name to the end of its value */
};

struct libvirt_conf {
        char *file;                         /* as given to the parser, for messages and evidence */
        struct libvirt_conf_entry *entries; /* in file order, repeated names included */
        size_t n_entries;
};

/* Parses len bytes of text (file names it in messages). On a syntax error returns -EBADMSG and, when
 * ret_error is not NULL, "FILE:LINE: what was expected". */
int libvirt_conf_parse(const char *file, const char *text, size_t len, struct libvirt_conf **ret,
                       char **ret_error);
/* The file at path on the checked host, read through its root and parsed: what a unit reading libvirt's
 * configuration starts with. -ENOENT when there is no such file (libvirt then runs on its defaults),
 * -EBADMSG with *ret_error as from libvirt_conf_parse(), else the read's negative errno. */
int libvirt_conf_read(const struct hostfs *fs, const char *path, struct libvirt_conf **ret,
                      char **ret_error);
struct libvirt_conf *libvirt_conf_free(struct libvirt_conf *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libvirt_conf *, libvirt_conf_free)

/* The first entry named name, or NULL. */
const struct libvirt_conf_entry *libvirt_conf_find(const struct libvirt_conf *c, const char *name);
/* "FILE:LINE" of name's first assignment (for evidence), or NULL when unset or on -ENOMEM. */
char *libvirt_conf_origin(const struct libvirt_conf *c, const char *name);

/* Typed lookups, as libvirt's virConfGetValue*(): -ENOENT when unset (ret untouched), -EINVAL when the
 * value has another type, -ERANGE when it does not fit. */
int libvirt_conf_get_string(const struct libvirt_conf *c, const char *name, char **ret);
/* A list of strings (an empty list gives an empty vector); with compat_string a single string is taken as
 * a list of one, as libvirt does for some settings. */
int libvirt_conf_get_string_list(const struct libvirt_conf *c, const char *name, bool compat_string,
                                 char ***ret);
/* 0 or 1, unsigned, as libvirt wants its booleans. */
int libvirt_conf_get_bool(const struct libvirt_conf *c, const char *name, bool *ret);
int libvirt_conf_get_int(const struct libvirt_conf *c, const char *name, int *ret);
int libvirt_conf_get_uint(const struct libvirt_conf *c, const char *name, unsigned *ret);

/* The text of a configuration file (file names it in errors) with name set: every assignment of name
 * replaced in place by statement (the whole "name = value", no line end), keeping its comments and
 * every other line; without one, added (whole lines) put after the file's commented-out example of
 * name, else at the end. *ret is NULL when every assignment already reads statement. -EBADMSG with
 * *ret_error as from libvirt_conf_parse() when text does not parse (nothing is edited then). */
int libvirt_conf_edit(const char *file, const char *text, const char *name, const char *statement,
                      const char *added, char **ret, char **ret_error);

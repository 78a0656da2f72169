/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A plan: what a unit's fix() wants changed, as data. Nothing here touches the host; provision/apply.c
 * (the executor) shows a plan as unified diffs (--dry-run) or carries it out, atomically, with backups and
 * a journal so `hostprep rollback` can undo it.
 *
 * Paths are absolute as seen on the host being prepared; the executor reads and writes them through the
 * root (--root), like checks read them.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "macro.h"

enum action_kind {
        ACTION_WRITE_FILE, /* replace a file's whole text: before (NULL: file absent) -> after */
        ACTION_MKDIR,      /* create a directory (and missing parents) with mode */
        ACTION_SERVICE,    /* a systemd unit: enable, disable, start, stop, restart, reload */
        ACTION_COMMAND,    /* run argv (no shell), e.g. exportfs -r */
        /* a libvirt domain's persistent definition: before -> after, defined again */
        ACTION_LIBVIRT_DEFINE,
        /* an SELinux boolean set persistently through libsemanage (setsebool -P), and at runtime */
        ACTION_SELINUX_BOOLEAN,
        /* nftables rules added to the running kernel's ruleset in one transaction (after: the commands, each
         * rule with comment "hostprep"); rollback deletes the rules it added */
        ACTION_NFT_LOAD,
        /* a firewalld zone item (a port, a service, a rich rule) added in runtime and permanent; rollback
         * removes it where apply added it */
        ACTION_FIREWALLD,
        _ACTION_KIND_MAX,
};

enum service_op {
        SERVICE_ENABLE,
        SERVICE_DISABLE,
        SERVICE_START,
        SERVICE_STOP,
        SERVICE_RESTART,
        SERVICE_RELOAD,
        _SERVICE_OP_MAX,
};

struct action {
        enum action_kind kind;
        char *unit_id;    /* the check unit that planned it, e.g. "nfs.export" */
        char *why;        /* one line for the operator */
        char *disruption; /* non-NULL: what running guests/clients would suffer; needs --force */

        char *path;   /* WRITE_FILE, MKDIR */
        char *before; /* WRITE_FILE: the text the fix read (NULL: absent); apply refuses if it changed since
                       */
        char *after;  /* WRITE_FILE: the new text */
        mode_t mode;  /* WRITE_FILE for a new file, MKDIR */

        char *service;      /* SERVICE: "nfs-server.service" */
        enum service_op op; /* SERVICE */

        char **argv; /* COMMAND, NULL-terminated */

        /* LIBVIRT_DEFINE: before and after are the domain's inactive XML (as virDomainGetXMLDesc() gives
         * it with VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE); apply refuses if it changed since */
        char *uri;    /* the libvirt connection, e.g. PLAN_LIBVIRT_URI_DEFAULT */
        char *domain; /* the domain's name, for people */
        char *uuid;   /* which domain it is (a name can be given to another one), lowercase 8-4-4-4-12 */

        /* COMMAND: rollback runs it again once the files are restored (a reload that made a program read
         * the files the run changed); when path is set, only while path exists */
        bool redo_on_rollback;

        char *boolean;      /* SELINUX_BOOLEAN: its name; rollback puts back what the store had before */
        bool boolean_value; /* SELINUX_BOOLEAN */
        /* FIREWALLD: zone, item ("port", "service", "rich-rule") and its value ("16509/tcp") */
        char *zone, *item, *value;
};

#define PLAN_LIBVIRT_URI_DEFAULT "qemu:///system"

struct plan {
        struct action *actions;
        size_t n_actions;
};

void plan_done(struct plan *p);

/* Each returns 0 or -ENOMEM; strings are copied. why may be NULL. */
int plan_write_file(struct plan *p, const char *unit_id, const char *path, const char *before,
                    const char *after, mode_t mode, const char *why);
int plan_mkdir(struct plan *p, const char *unit_id, const char *path, mode_t mode, const char *why);
int plan_service(struct plan *p, const char *unit_id, const char *service, enum service_op op,
                 const char *why);
int plan_command(struct plan *p, const char *unit_id, char *const *argv, const char *why);
/* Defines domain (uuid) again through uri (NULL: PLAN_LIBVIRT_URI_DEFAULT) with the XML after, where the fix
 * read before (both required); rollback defines before again. -EINVAL for a bad UUID or a missing field. */
int plan_libvirt_define(struct plan *p, const char *unit_id, const char *uri, const char *domain,
                        const char *uuid, const char *before, const char *after, const char *why);
/* A command (a reload) that rollback runs again after restoring the files, so what it loaded is what was
 * there before the run. */
int plan_command_redone(struct plan *p, const char *unit_id, char *const *argv, const char *why);
/* The same, while path (absolute) exists: rollback runs it again only when path is still there, and skips it
 * otherwise (a guest's profile include, which libvirt removes when the guest stops). */
int plan_command_redone_while(struct plan *p, const char *unit_id, char *const *argv, const char *path,
                              const char *why);
/* Sets SELinux boolean name to value persistently (the policy store's local value, and the running
 * policy's when SELinux runs). -EINVAL for a name that is not [A-Za-z0-9_]+. */
int plan_selinux_boolean(struct plan *p, const char *unit_id, const char *name, bool value, const char *why);
/* Runs nftables commands (nft's syntax; every rule they add carries comment "hostprep") in one
 * transaction on the live host. -EINVAL when commands is empty. */
int plan_nft_load(struct plan *p, const char *unit_id, const char *commands, const char *why);
/* Adds item ("port", "service", "rich-rule") value to firewalld zone, runtime and permanent. */
int plan_firewalld(struct plan *p, const char *unit_id, const char *zone, const char *item,
                   const char *value, const char *why);
/* Marks the last added action as disruptive, saying why (planned, but executed only with --force). */
int plan_mark_disruptive(struct plan *p, const char *why);

const char *service_op_to_string(enum service_op op);
/* "write-file", "mkdir", "service", "command", "libvirt-define", "selinux-boolean" */
/* "write-file", "mkdir", "service", "command", "libvirt-define", "nft-load", "firewalld" */
const char *action_kind_to_string(enum action_kind k);

/* The plan as data that crosses a process boundary (a fix runs in the unit's child): an array of
 * {"kind", "unit", "why", "disruption", and the kind's fields: "path", "before", "after", "mode",
 * "service", "op", "argv", "uri", "domain", "uuid", "redo_on_rollback", "boolean", "value"}; absent strings
 * are left out. NULL on -ENOMEM. */
json_object *plan_to_json(const struct plan *p);
/* Appends the actions of such an array to p, checked as plan_write_file() and the others check them. On a
 * malformed array -EBADMSG, *ret_error (may be NULL) naming the action, and p is left as it was. */
int plan_from_json(json_object *arr, struct plan *p, char **ret_error);

/* Unified diff of before -> after (either may be NULL: file absent) with 3 lines of context, headed
 * "--- a/PATH" / "+++ b/PATH" ("/dev/null" for an absent side), as diff -u and patch -p1 read it. Writes
 * nothing when the texts are equal. Returns the number of hunks written, or -ENOMEM. */
int plan_diff(FILE *f, const char *path, const char *before, const char *after);

/* argv as one line a shell would split back into the same words: safe words as they are, others in
 * single quotes. Caller frees; NULL on -ENOMEM. */
char *plan_quote_argv(char *const *argv);

/* Shows the plan as an operator reviews it: per action one line "[unit] what: why", a unified diff under
 * each file edit and each domain redefined (of its XML, as NAME.xml), and for disruptive actions what they
 * would disrupt and that they need --force (with force: that they will run). Returns 0 or -ENOMEM. */
int plan_print(FILE *f, const struct plan *p, bool force);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The kernel's own words when an LSM refuses something: SELinux AVC records and AppArmor DENIED records,
 * as auditd writes them to audit.log ("type=AVC msg=audit(T:S): avc:  denied ...") and as the kernel log
 * and the journal carry them ("audit: type=1400 audit(T:S): ..."). The grammar is the kernel's
 * (security/selinux/avc.c avc_audit_pre_callback, security/apparmor/lib.c aa_audit_msg + audit.c), and
 * audit's rule for untrusted strings: either "quoted" or, when they hold a space, a quote or a control
 * character, written as upper-case hex without quotes (audit_log_untrustedstring).
 */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

/* One SELinux AVC record. Strings are copies; NULL when the record has no such field. */
struct avc_record {
        bool denied; /* "denied" (false: "granted", as auditallow logs it) */
        char *perms; /* "read write", the permissions between the braces */
        char *comm, *name, *path;
        char *scontext, *tcontext, *tclass;
        int permissive;   /* permissive=1: logged, not enforced; -1 when absent (older kernels) */
        uint64_t seconds; /* audit(SECONDS.MS:SERIAL), 0 when absent */
};

/* One AppArmor record (apparmor="DENIED", "ALLOWED" in complain mode, "STATUS" for a profile load). */
struct apparmor_record {
        char *verdict; /* DENIED, ALLOWED, STATUS, AUDIT */
        char *operation, *profile, *name, *comm;
        char *requested_mask, *denied_mask;
        uint64_t seconds;
};

void avc_record_done(struct avc_record *r);
void apparmor_record_done(struct apparmor_record *r);

/* Parses one log line. 0 and *ret filled when it is such a record, -ENOMSG when it is not one (any other
 * line of the log), -EBADMSG when it is one the grammar above does not fit, -ENOMEM. */
int avc_record_parse(const char *line, struct avc_record *ret);
int apparmor_record_parse(const char *line, struct apparmor_record *ret);

/* The value of field key (key=VALUE, key="VALUE" or key=HEX) in an audit record's text, decoded; NULL
 * when absent. -ENOMEM, -EBADMSG (an unterminated quote). */
int audit_field(const char *line, const char *key, char **ret);

/* The type of an SELinux context user:role:type[:level]: a copy, NULL when malformed. */
char *selinux_context_type(const char *context);

/* Whether path is dir itself or below it (dir without a trailing slash or with one). */
bool path_below(const char *path, const char *dir);

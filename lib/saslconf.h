/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Cyrus SASL's application configuration (/etc/sasl2/libvirt.conf for libvirt): "key: value" lines, '#'
 * comments. What libvirt's daemon offers TCP clients: mech_list (the mechanisms, space-separated; without
 * it every mechanism the library has), keytab (GSSAPI's Kerberos keys) and sasldb_path (the user database
 * of the password mechanisms).
 */

#include <stdbool.h>

struct sasl_conf {
        char **mechanisms; /* lowercase; NULL when mech_list is not set */
        char *keytab;      /* NULL when unset */
        char *sasldb_path; /* NULL when unset */
        unsigned mech_list_line;
};

/* Parses text; unknown keys are ignored as the library ignores them. -ENOMEM only. */
int sasl_conf_parse(const char *text, struct sasl_conf *ret);
void sasl_conf_done(struct sasl_conf *c);

/* Whether mechanism m takes its users from sasldb (scram-sha-*, digest-md5, cram-md5, plain, login). */
bool sasl_mechanism_uses_sasldb(const char *m);

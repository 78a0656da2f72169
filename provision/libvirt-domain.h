/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * libvirt domains' persistent definitions, read and defined again: the effector of ACTION_LIBVIRT_DEFINE
 * (apply and rollback) and what a fix reads to plan one. Every call runs in a child (spawn_call() of
 * lib/spawn.h) killed, and abandoned if stuck, at its deadline: libvirt's calls have no timeout of their
 * own, and a hung libvirtd must not hold hostprep (-ETIMEDOUT then). The XML is the inactive definition
 * with its secure parts (VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE: VNC passwords and the like), so
 * defining it again loses nothing; that needs a read-write connection. Built without libvirt, every call
 * is -EOPNOTSUPP.
 */

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct libvirt_domain_xml {
        char *name;
        char *uuid;
        bool persistent; /* has a definition: xml is it; a transient domain's xml is its live XML */
        bool active;
        char *xml;
};

void libvirt_domain_xml_free_many(struct libvirt_domain_xml *d, size_t n);

/* Which domains libvirt_domains_read() lists, with which XML. */
struct libvirt_listing {
        const char *uri;
        bool running_only; /* only the running domains, each with its live XML; else every domain: a
                            * persistent one with its definition, a transient one with its live XML */
        bool read_only;    /* a read-only connection: enough for the XML without its secure parts */
};

/* The domains of l->uri. libvirt's refusal (cannot connect, ...): -EIO with *ret_error libvirt's message
 * (NULL when the child gave no answer at all). */
int libvirt_domains_read(const struct libvirt_listing *l, usec_t deadline, struct libvirt_domain_xml **ret,
                         size_t *ret_n, char **ret_error);

/* What libvirt_domain_define() does. */
struct libvirt_define {
        const char *uri, *uuid;
        const char *const *expect; /* the XML the definition must have now (NULL-terminated); NULL: any */
        const char *want;          /* what to define; NULL: only read it */
};

/* Reads domain d->uuid's definition and, when it is one of d->expect, defines d->want. Returns 0 when
 * defined (*ret_xml: the definition libvirt keeps now, which it may have formatted its own way), 1 when
 * it is d->want already or only read (*ret_xml: it), -ESTALE when it is none of d->expect (*ret_xml:
 * what it is), -ENOENT when the domain has no definition (not there, or transient), -ETIMEDOUT, -EIO
 * (*ret_error as from libvirt_domains_read()). ret_xml may be NULL. */
int libvirt_domain_define(const struct libvirt_define *d, usec_t deadline, char **ret_xml, char **ret_error);

/* How long one call may take (LIBVIRT_CALL_TIMEOUT, or less when limit comes first): a hung libvirtd
 * fails one action, it does not eat a whole run's deadline. */
#define LIBVIRT_CALL_TIMEOUT (30 * USEC_PER_SEC)
usec_t libvirt_call_deadline(usec_t limit);

/* One sentence saying why a call for domain (its name) on uri failed with r, error being the text the
 * call gave (may be NULL). NULL on -ENOMEM. */
char *libvirt_define_strerror(const char *domain, const char *uri, int r, const char *error);

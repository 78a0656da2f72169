/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the libvirt driver reads and writes as XML or URIs, done by libxml2: the canary's domain XML (from
 * templates/, values escaped by libxml2, the result parsed back), the host UUID of a capabilities
 * document, and the host and port of a libvirt URI. XML is parsed without network access and without
 * expanding entities. Needs no libvirt, so it is tested without one.
 */

#include <stdbool.h>

struct canary_domain {
        const char *name;
        const char *kernel;
        const char *cmdline; /* may be NULL */
        const char *disk;    /* NULL, a file on shared storage, or nbd://HOST[:PORT][/EXPORT] */
        unsigned mem_mib;
};

/* The domain XML from templates canary-domain.xml and canary-disk-{file,nbd}.xml in template_dirs. On
 * failure (a bad template or disk URI, XML that does not parse) *ret_error says why. */
int canary_domain_xml(const char *const *template_dirs, const struct canary_domain *d, char **ret,
                      char **ret_error);

/* /capabilities/host/uuid of virConnectGetCapabilities()'s document: -EINVAL if it does not parse,
 * -ENODATA if it has none. */
int capabilities_host_uuid(const char *caps, char **ret);

/* Where the libvirtd of a remote URI listens: qemu+tcp:// (port 16509 unless given), qemu+tls:// and
 * qemu:// (16514), qemu+ssh:// (sshd, 22). 1 with host and port; 0 for a local URI, another transport or
 * what does not parse (libvirt then says what is wrong with it). */
int libvirt_uri_endpoint(const char *uri, char **ret_host, char **ret_port);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * libvirt domain XML (a persistent definition in /etc/libvirt/qemu/NAME.xml, or a running domain's live
 * XML), read for what decides whether a guest can move: its disks, character devices, host devices and
 * interfaces, each with the line it starts on. Parsed with libxml2 without network access and without
 * entity expansion; a document with a DOCTYPE is refused (libvirt never writes one, and entities are
 * what a DOCTYPE would bring). Errors are "FILE:LINE: what".
 *
 * Elements and attributes are libvirt's (docs/formatdomain.rst); what this reader does not know it
 * skips, as libvirt keeps unknown metadata.
 */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

struct hostfs;

struct domain_disk {
        char *type;   /* file, block, network, volume, dir, nvme, vhostuser; "file" when absent */
        char *device; /* disk, cdrom, floppy, lun; "disk" when absent */
        char *source; /* file=, dev= or dir=; for network disks "PROTOCOL://HOST[:PORT]/NAME"; NULL: no media
                       */
        char *protocol; /* network disks: nbd, rbd, iscsi, gluster, ... */
        char *cache;    /* <driver cache=>, NULL when unset (the hypervisor's default) */
        char *target;   /* <target dev=> */
        bool readonly, shareable;
        unsigned line;
};

/* <serial>, <console>, <channel>, <parallel>. */
struct domain_chardev {
        char *element; /* "serial", ... */
        char *type;    /* file, unix, pty, tcp, ... */
        char *path;    /* <source path=> (file, unix, dev), or <log file=>; may be NULL */
        bool log;      /* path is a <log file=> of a chardev of another type */
        char *target;  /* <target name=> of a channel, NULL otherwise */
        unsigned line;
};

struct domain_hostdev {
        char *mode; /* subsystem (the default), capabilities */
        char *type; /* pci, usb, scsi, scsi_host, mdev; or storage, misc, net for capabilities */
        char *what; /* the device as the operator names it: "0000:03:00.0", "vendor 0x1234 product 0x5678" */
        bool teaming_transient; /* <teaming type='transient'>: QEMU unplugs it for migration */
        bool interface;         /* an <interface type='hostdev'> */
        unsigned line;
};

struct domain_interface {
        char *type;   /* network, bridge, vhostuser, hostdev, ... */
        char *socket; /* vhostuser: <source path=> */
        unsigned line;
        char *bridge; /* bridge: <source bridge=>, NULL otherwise */
        unsigned mtu; /* <mtu size=>: what the guest sends; 0 when unset (the bridge's, libvirt gives) */
};

/* <filesystem>: shared directories of the host. */
struct domain_filesystem {
        char *driver; /* <driver type=>: virtiofs, path, ...; NULL when unset */
        char *target; /* <target dir=> */
        unsigned line;
};

struct domain_def {
        char *file; /* as given to the parser, for messages and evidence */
        char *name;
        unsigned line; /* of <domain> */
        struct domain_disk *disks;
        size_t n_disks;
        struct domain_chardev *chardevs;
        size_t n_chardevs;
        struct domain_hostdev *hostdevs;
        size_t n_hostdevs;
        struct domain_interface *interfaces;
        size_t n_interfaces;
        struct domain_filesystem *filesystems;
        size_t n_filesystems;
};

/* Parses len bytes of domain XML (file names it in messages). Not well-formed, not a <domain> with a
 * <name>, or with a DOCTYPE: -EBADMSG and, when ret_error is not NULL, "FILE:LINE: what". */
int domain_xml_parse(const char *file, const char *text, size_t len, struct domain_def **ret,
                     char **ret_error);
/* The file at path on the checked host, read through its root and parsed. -ENOENT when absent, -EBADMSG
 * with *ret_error as from domain_xml_parse(), else the read's negative errno. */
int domain_xml_read(const struct hostfs *fs, const char *path, struct domain_def **ret, char **ret_error);
struct domain_def *domain_def_free(struct domain_def *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct domain_def *, domain_def_free)

/* text (domain XML as libvirt formats it) with cache='CACHE' on the <driver> of every <disk> whose <target
 * dev=> is in targets (each named once): the attribute's value replaced, or the attribute added in
 * libvirt's place (after type=, else name=); every other byte stays as it was, so a diff shows only that
 * change. A target without a disk or without <driver>, or malformed text: -EBADMSG with *ret_error
 * "FILE:LINE: what". cache must need no escaping (-EINVAL). */
int domain_xml_set_disk_cache(const char *file, const char *text, char *const *targets, const char *cache,
                              char **ret, char **ret_error);

/* "FILE:LINE" for evidence; NULL on -ENOMEM. */
char *domain_origin(const struct domain_def *d, unsigned line);

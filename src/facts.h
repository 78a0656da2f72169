/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>
#include <stdio.h>

#include "conf.h"
#include "hostfs.h"
#include "identity.h"
#include "util.h"

/* Version of the facts JSON layout (man/hostprep.8). Peers compare these facts. */
#define FACTS_JSON_SCHEMA 1

/*
 * What other hosts compare about this one, as one JSON object (layout in man/hostprep.8): every field is
 * always there, null when unknown. Host files are read through fs; what only means something on the
 * running host (/proc/cpuinfo, /sys, programs' versions, the clock) is left null or empty under --root.
 * profile may be NULL (no mounts, no resolve). Programs run under deadline (CLOCK_MONOTONIC).
 */
int facts_collect(const struct hostfs *fs, const struct identity *id, unsigned roles,
                  const struct conf *profile, usec_t deadline, json_object **ret);
/* Writes collected facts: the JSON document, or readable lines. */
int facts_write(FILE *f, json_object *facts, bool json);
/* Collects and writes. Without a profile (NULL) mounts and resolve stay empty. */
int facts_print(FILE *f, const struct hostfs *fs, const struct identity *id, unsigned roles,
                const struct conf *profile, usec_t deadline, bool json);

/* The "mounts" part alone: what is mounted at mountpoint (NULL: nothing asked), the one in use first. */
int facts_mounts(const struct hostfs *fs, const char *mountpoint, json_object **ret);

/* The parsers behind facts_collect(), for the unit tests. */

/* The host_uuid object (libvirt_host_uuid() of lib/uuid.h) from libvirtd.conf's text (NULL with
 * libvirtd_conf_error -ENOENT: no file, libvirt's defaults; another error: unknown; a text that does not
 * parse: unknown), the SMBIOS product_uuid (NULL: unknown) and /etc/machine-id (NULL: none). */
int facts_host_uuid(const char *libvirtd_conf, int libvirtd_conf_error, const char *smbios,
                    const char *machine_id, json_object **ret);
/* The first version number (digits and dots, at least one dot) in a program's --version output. */
int facts_version_parse(const char *output, char **ret);
/* {vendor, model, flags (sorted, unique)} of the first processor in /proc/cpuinfo text. */
int facts_cpuinfo_parse(const char *text, json_object **ret);
/* {total_kib, available_kib} (MemTotal, MemAvailable; null when absent) of /proc/meminfo text. */
int facts_meminfo_parse(const char *text, json_object **ret);

/* The libvirt part (src/facts-libvirt.c, layout in man/hostprep.8): null unless this is the running
 * host and a hypervisor; libvirtd is asked in a child under deadline. */
int facts_collect_libvirt(const struct hostfs *fs, unsigned roles, usec_t deadline, json_object **ret);
/* domain_type, arch, emulator and host_model ({model, vendor, cpu_xml}, or null when libvirt has no
 * host-model CPU) of domain capabilities XML (virConnectGetDomainCapabilities), added to o. -EBADMSG:
 * not domain capabilities. */
int facts_libvirt_domcaps(const char *xml, json_object *o);
/* { ARCH: {emulator, names (sorted), aliases {alias: canonical}} } of capabilities XML
 * (virConnectGetCapabilities). -EBADMSG: not capabilities. */
int facts_libvirt_machines(const char *caps_xml, json_object **ret);
/* Adds NAME: {running, domain_type, arch, machine, cpu_mode, cpu_model} to guests from a domain's XML
 * (its live XML when it runs) and its inactive definition (NULL: a transient domain, the CPU from xml).
 * -EBADMSG: not domain XML. */
int facts_libvirt_guest(const char *xml, const char *inactive_xml, bool running, json_object *guests);

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * firewalld over D-Bus (firewalld.dbus(5), firewalld 1.3): what a zone lets in, runtime and permanent,
 * and the changes net.firewall's fix makes. Runtime is the main object's zone interface; permanent is
 * the zone's object under /org/fedoraproject/FirewallD1/config. A change only in runtime is lost on the
 * next reload or restart; one only in permanent waits for it.
 *
 * Every call is bounded by deadline (CLOCK_MONOTONIC microseconds, as provision/systemd.h); errors are
 * negative errnos with firewalld's message in error. -ENOENT from firewalld_running(): nobody owns the
 * name (firewalld is not running).
 */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* Whether firewalld owns its name on the bus and says RUNNING (its "state" property). */
int firewalld_running(sd_bus *bus, uint64_t deadline, sd_bus_error *error);
/* The zone a packet from source (an address) arriving on interface falls in: the source's zone, else
 * the interface's, else the default zone. */
int firewalld_zone_for(sd_bus *bus, const char *source, const char *interface, uint64_t deadline,
                       char **ret_zone, sd_bus_error *error);

enum firewalld_layer {
        FIREWALLD_RUNTIME,
        FIREWALLD_PERMANENT,
        _FIREWALLD_LAYER_MAX,
};

/* What a zone opens, in one layer. */
struct firewalld_zone {
        char *target;         /* "default", "ACCEPT", "DROP", "%%REJECT%%" */
        char **ports;         /* "16509/tcp", "49152-49215/tcp" */
        char **services;      /* "libvirt" */
        char **service_ports; /* the ports of the services, "SERVICE PORT/PROTO" */
        char **rich_rules;
};

void firewalld_zone_done(struct firewalld_zone *z);
int firewalld_zone_read(sd_bus *bus, enum firewalld_layer layer, const char *zone, uint64_t deadline,
                        struct firewalld_zone *ret, sd_bus_error *error);

enum firewalld_item {
        FIREWALLD_PORT,      /* "16509/tcp" or "49152-49215/tcp" */
        FIREWALLD_SERVICE,   /* "libvirt" */
        FIREWALLD_RICH_RULE, /* firewalld.richlanguage(5) */
        _FIREWALLD_ITEM_MAX,
};

const char *firewalld_item_to_string(enum firewalld_item k); /* "port", "service", "rich-rule" */
enum firewalld_item firewalld_item_from_string(const char *s);

/* Whether zone has item (queryPort, queryService, queryRichRule) in layer. */
int firewalld_query(sd_bus *bus, enum firewalld_layer layer, const char *zone, enum firewalld_item kind,
                    const char *value, uint64_t deadline, bool *ret, sd_bus_error *error);
/* Adds or removes item in layer (runtime: for good, no timeout). */
int firewalld_change(sd_bus *bus, enum firewalld_layer layer, const char *zone, enum firewalld_item kind,
                     const char *value, bool add, uint64_t deadline, sd_bus_error *error);

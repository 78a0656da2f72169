/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * How libvirt's daemon for remote clients runs on the checked host, shared by libvirt.daemon and
 * libvirt.listen: the daemon (libvirtd, or virtproxyd of the modular daemons), whether systemd holds
 * its sockets and hands them over (socket activation: listen_tcp, listen_tls, tcp_port, tls_port and
 * listen_addr are then ignored) or it listens itself (traditional: the sockets masked, libvirtd started
 * with --listen), and its options. Unit states come over sd-bus where systemd runs the host, from the
 * unit files otherwise (--root, an image, a host without systemd).
 */

#include <sys/types.h>

#include "libvirt-conf.h"
#include "unit.h"

enum libvirtd_flavor {
        LIBVIRTD_FLAVOR_NONE, /* neither libvirtd nor virtproxyd is installed */
        LIBVIRTD_FLAVOR_MONOLITHIC,
        LIBVIRTD_FLAVOR_MODULAR,
};

enum libvirtd_activation {
        LIBVIRTD_ACTIVATION_SOCKET,      /* the main socket unit is not masked */
        LIBVIRTD_ACTIVATION_TRADITIONAL, /* a service unit, its main socket masked (or none) */
        LIBVIRTD_ACTIVATION_MANUAL,      /* no service unit: started by hand or another init */
        _LIBVIRTD_ACTIVATION_MAX,
};

enum libvirtd_socket {
        LIBVIRTD_SOCKET_MAIN,
        LIBVIRTD_SOCKET_RO,
        LIBVIRTD_SOCKET_ADMIN,
        LIBVIRTD_SOCKET_TCP,
        LIBVIRTD_SOCKET_TLS,
        _LIBVIRTD_SOCKET_MAX,
};

struct libvirtd_unit_state {
        char *name;         /* "libvirtd-tcp.socket" */
        char *file_state;   /* enabled, disabled, static, masked, ...; "" without a unit file */
        char *active_state; /* from the bus: active, inactive, failed, ...; NULL when read from files */
};

struct libvirtd_model {
        enum libvirtd_flavor flavor;
        const char *daemon;    /* "libvirtd" or "virtproxyd" */
        char *binary;          /* its program as found below the root, NULL when not there */
        const char *conf_path; /* its configuration file */
        enum libvirtd_activation activation;
        bool from_bus; /* unit states from systemd itself */
        struct libvirtd_unit_state service;
        struct libvirtd_unit_state sockets[_LIBVIRTD_SOCKET_MAX];
        char *args;        /* the options the service passes (LIBVIRTD_ARGS), or the running daemon's */
        char *args_origin; /* "/etc/default/libvirtd:12", "/proc/PID/cmdline"; NULL when unset */
        bool listen_arg;   /* args hold --listen (libvirtd only: virtproxyd listens without it) */
        pid_t pid;         /* the running daemon (its pid file and /proc, live hosts), else 0 */
};

/* Reads the model. -ENOMEM, or a bus error (with systemd's message in *ret_error) when systemd runs the
 * host but cannot be asked. */
int libvirtd_model_read(const struct check_ctx *ctx, struct libvirtd_model *ret, char **ret_error);
void libvirtd_model_done(struct libvirtd_model *m);

/* "LIBVIRTD_ARGS": the variable of its EnvironmentFile= that holds its options; NULL on -ENOMEM. */
char *libvirtd_args_var(const struct libvirtd_model *m);
const char *libvirtd_activation_to_string(enum libvirtd_activation a);
bool libvirtd_unit_masked(const struct libvirtd_unit_state *u);
/* Whether systemd listens on that socket: active (bus), else enabled (files). */
bool libvirtd_socket_on(const struct libvirtd_model *m, enum libvirtd_socket s);
/* Whether the daemon itself opens TCP and TLS listeners from its configuration file. */
bool libvirtd_listens_itself(const struct libvirtd_model *m);
/* Whether the daemon takes connections over TLS (tls) or plain TCP: its socket unit under socket
 * activation, else listen_tls/listen_tcp of c (libvirtd's defaults: TLS only) when it listens itself.
 * -EUNATCH when that cannot be told: no service unit and no daemon running. */
int libvirtd_offers(const struct libvirtd_model *m, const struct libvirt_conf *c, bool tls, bool *ret);
/* "libvirtd.service enabled/active, libvirtd.socket masked, ..." for evidence; NULL on -ENOMEM. */
char *libvirtd_model_units(const struct libvirtd_model *m);

/* The daemon's configuration file, as from libvirt_conf_read(): 1 when read, 0 when there is none
 * (libvirt's defaults: *ret is then an empty configuration). */
int libvirtd_conf_read(const struct check_ctx *ctx, const struct libvirtd_model *m,
                       struct libvirt_conf **ret, char **ret_error);

enum libvirtd_tls_file {
        LIBVIRTD_TLS_CA,
        LIBVIRTD_TLS_CERT,
        LIBVIRTD_TLS_KEY,
        _LIBVIRTD_TLS_FILE_MAX,
};
/* The TLS file the daemon reads (ca_file, cert_file, key_file, else libvirt's default) and the setting's
 * name; NULL on -ENOMEM. */
char *libvirtd_tls_path(const struct libvirt_conf *c, enum libvirtd_tls_file f, const char **ret_setting);
/* Which of the three TLS files are missing below the root (a vector, NULL when none) and which exist. */
int libvirtd_tls_files(const struct check_ctx *ctx, const struct libvirt_conf *c, char ***ret_missing,
                       char ***ret_present);

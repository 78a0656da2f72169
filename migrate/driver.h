/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Migrate drivers: one interface for moving a guest from this host (or a named source) to a destination
 * and proving that it still runs there. Drivers: "qemu" (raw QEMU over QMP), "libvirt" (libvirt C API,
 * only when built with libvirt); "xl" (Xen) fits the same table later.
 *
 * A run is a session: migrate_session_new() copies the parameters, then the driver's steps run in order
 *
 *     prepare -> start -> migrate -> verify [-> migrate -> verify back, for a round trip] -> cleanup
 *
 * (migrate_session_run() does exactly that and always cleans up). Every step returns 0 or a negative
 * errno and leaves a one-line message naming the cause in the session (migrate_session_error()). Nothing
 * here prints.
 *
 * Ctrl-C: migrate_session_interrupt() is async-signal-safe (it stores a flag and writes one byte to a
 * pipe). The step in progress notices it within ~100 ms, aborts the migration job (the guest keeps
 * running on the source) and returns -ECANCELED; the caller then calls cleanup() from normal context.
 * cleanup() is idempotent: it destroys (and for libvirt undefines) every canary the session created, on
 * both hosts, whatever state the other steps left behind; a named guest is never touched by cleanup.
 */

#include "config.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "canary.h"

enum migrate_transport {
        MIGRATE_TRANSPORT_TCP, /* libvirt: qemu+tcp://HOST/system; qemu: tcp:HOST:PORT */
        MIGRATE_TRANSPORT_TLS, /* libvirt: qemu+tls:// and VIR_MIGRATE_TLS for the data stream */
        MIGRATE_TRANSPORT_SSH, /* libvirt: qemu+ssh://root@HOST/system */
        _MIGRATE_TRANSPORT_MAX,
};

const char *migrate_transport_to_string(enum migrate_transport t);
int migrate_transport_from_string(const char *s); /* enum value or -EINVAL */

/* Where a migration leg is, for progress reports. */
enum migrate_phase {
        MIGRATE_PHASE_SETUP,      /* connecting, negotiating; no memory sent yet */
        MIGRATE_PHASE_COPYING,    /* pre-copy passes (or post-copy) while the guest runs */
        MIGRATE_PHASE_SWITCHOVER, /* guest paused on the source, the last dirty pages and device state */
        MIGRATE_PHASE_DONE,       /* running on the destination */
        _MIGRATE_PHASE_MAX,
};

const char *migrate_phase_to_string(enum migrate_phase p);

/* One progress report. Counters are of the current leg; 0 means not known (yet). */
struct migrate_progress_info {
        enum migrate_phase phase;
        unsigned leg;            /* 1; 2 for the way back of a round trip */
        uint64_t elapsed_ms;     /* since this leg's migration was started */
        uint64_t transferred;    /* bytes of memory sent so far (pages sent again count again) */
        uint64_t remaining;      /* bytes of memory still to send in this pass */
        uint64_t total;          /* the guest's memory size, when the hypervisor says */
        uint64_t throughput_bps; /* of the migration stream */
        uint64_t dirty_rate_bps; /* the guest's, largest of the hypervisor's and the canary's estimate */
        uint64_t pass;           /* pre-copy pass (dirty bitmap syncs), 1-based */
};

struct migrate_params {
        /* where */
        const char *source_uri; /* libvirt: connection to the source (NULL: qemu:///system) */
        const char *dest_host;  /* destination host name or address; qemu driver: its QEMU runs there,
                                   started over SSH as root (NULL: on this machine) */
        const char *dest_uri;   /* overrides the URI built from dest_host + transport (libvirt: connection
                                   URI; qemu: migration URI such as unix:PATH or tcp:127.0.0.1:PORT) */
        enum migrate_transport transport;

        /* how */
        bool live;                      /* keep the guest running while memory is copied */
        bool peer2peer;                 /* libvirt: the source libvirtd talks to the destination itself */
        unsigned downtime_limit_ms;     /* 0: hypervisor default (300 ms) */
        unsigned bandwidth_mib;         /* MiB/s cap on the migration stream; 0: hypervisor default */
        unsigned completion_timeout_ms; /* abort the job when not done by then; 0: 120 s */
        unsigned stall_timeout_ms;      /* abort when no progress for this long; 0: 10 s */
        bool auto_converge;             /* throttle the guest's vCPUs when pre-copy does not converge */
        bool postcopy;                  /* opt-in: switch to post-copy when pre-copy stalls */
        bool round_trip;                /* migrate back to the source afterwards */
        /* libvirt VIR_MIGRATE_UNSAFE: skip libvirt's shared-storage and cache safety checks. Never set
         * by the CLI; exists for tests whose storage libvirt cannot recognise as shared. */
        bool unsafe;

        /* which guest */
        const char *guest_name;     /* NULL: create the canary; else attach to this existing guest */
        const char *canary_kernel;  /* canary.elf, at a path both hypervisors can read */
        unsigned canary_mem_mib;    /* 0: 32 */
        const char *canary_cmdline; /* canary command line, e.g. "dirty=4M span=8" (canary.h) */
        /* the canary's disk: a file on the profile's shared mount point (created if missing, removed by
         * cleanup if created), or nbd://HOST:PORT/EXPORT; NULL: no disk */
        const char *disk;
        const char *state_dir; /* qemu: sockets and serial logs (NULL: a fresh directory under $TMPDIR) */
        const char *emulator;  /* qemu: the QEMU binary (NULL: qemu-system-x86_64 from PATH) */

        /* Optional: called from the driver's polling loop while a leg migrates (every ~100-250 ms, and
         * once with MIGRATE_PHASE_DONE), in the caller's thread, never from a signal handler. It must
         * not call back into the session. migrate_progress_bar() fits here for a terminal. */
        void (*progress)(void *userdata, const struct migrate_progress_info *info);
        void *progress_userdata;
};

struct migrate_stats {
        uint64_t total_time_ms;     /* migration job, as the hypervisor measured it */
        uint64_t downtime_ms;       /* guest paused for the switch-over */
        uint64_t setup_time_ms;     /* 0 when the driver does not know */
        uint64_t wall_time_ms;      /* migrate() call, as measured here */
        uint64_t bytes_transferred; /* memory (and device) data sent */
        uint64_t throughput_bps;    /* bytes per second of the migration stream */
        uint64_t dirty_rate_bps;    /* bytes per second the guest dirtied (largest estimate seen) */
        uint64_t iterations;        /* pre-copy passes (dirty bitmap syncs) */
        uint32_t heartbeat_before;  /* canary heartbeat on the source just before migrating */
        uint32_t heartbeat_after;   /* canary heartbeat on the destination afterwards */
        bool magic_ok;              /* canary magic read back intact on the destination */
        bool heartbeat_advanced;    /* heartbeat_after > heartbeat_before */
        bool postcopy_used;
        unsigned migrations;    /* completed migrations in this session (2 after a round trip) */
        unsigned stale_removed; /* canaries an earlier, killed run of this host left, removed first */
};

/* What kind of failure a session's error is, for callers that act on it: code never decides on the words of
 * the message. Set by the driver where it classifies a failure; everything else is MIGRATE_ERROR_OTHER. */
enum migrate_error_kind {
        MIGRATE_ERROR_OTHER,
        MIGRATE_ERROR_UNSAFE_STORAGE,   /* the disk is not on storage the hypervisor takes as shared */
        MIGRATE_ERROR_CPU_INCOMPATIBLE, /* the destination cannot run the guest's CPU model */
        MIGRATE_ERROR_SAME_HOST,        /* source and destination report the same host UUID */
        MIGRATE_ERROR_DEST_UNREACHABLE, /* the source cannot reach the destination's management daemon */
        MIGRATE_ERROR_PORTS_BLOCKED,    /* the migration stream cannot get through to the destination */
        MIGRATE_ERROR_CONNECTION_LOST,  /* a connection dropped while migrating */
        MIGRATE_ERROR_STALLED,          /* the migration made no progress (dirty rate, bandwidth) */
        _MIGRATE_ERROR_KIND_MAX,
};

struct migrate_session;

struct migrate_driver {
        const char *name;
        /* Checks everything that can be checked before a guest exists: binaries, files, connections,
         * distinct host UUIDs. */
        int (*prepare)(struct migrate_session *s);
        /* Creates and boots the canary (or attaches to params.guest_name) on the source. */
        int (*start)(struct migrate_session *s);
        /* One migration from where the guest runs now to the other side. */
        int (*migrate)(struct migrate_session *s);
        /* Running on the side it went to, gone from the other, canary magic and heartbeat. */
        int (*verify)(struct migrate_session *s);
        /* Idempotent, also after failure or interrupt. */
        int (*cleanup)(struct migrate_session *s);
        /* Reads the canary's status block on the host where the guest runs now (after a failed
         * migration: the source). */
        int (*peek)(struct migrate_session *s, struct canary_block *ret);
        /* Frees the driver's private state (cleanup() has run). */
        void (*free)(struct migrate_session *s);
};

extern const struct migrate_driver migrate_driver_qemu;
#if HAVE_LIBVIRT
extern const struct migrate_driver migrate_driver_libvirt;
#endif

/* By name ("qemu", "libvirt"); NULL if unknown or not built. */
const struct migrate_driver *migrate_driver_find(const char *name);

/* The session. Callers use the functions below; drivers also use the fields. */
struct migrate_session {
        const struct migrate_driver *driver;
        struct migrate_params params; /* strings owned by the session */
        struct migrate_stats stats;
        char *error;                        /* the one-line message of the first failure; NULL: none */
        enum migrate_error_kind error_kind; /* of the message in error */
        volatile sig_atomic_t interrupted;
        int wake_fd[2]; /* self-pipe: interrupt() writes, migrate_session_sleep() polls */
        void *priv;     /* the driver's state */
};

int migrate_session_new(const struct migrate_driver *driver, const struct migrate_params *params,
                        struct migrate_session **ret);
struct migrate_session *migrate_session_free(struct migrate_session *s); /* runs cleanup; NULL ok */
static inline void migrate_session_freep(struct migrate_session **s)
{
        migrate_session_free(*s);
}

/* prepare, start, migrate, verify (twice each with round_trip), cleanup always. The first error wins. */
int migrate_session_run(struct migrate_session *s);
int migrate_session_cleanup(struct migrate_session *s);
const char *migrate_session_error(const struct migrate_session *s); /* "" when there is none */
enum migrate_error_kind migrate_session_error_kind(const struct migrate_session *s);
const struct migrate_stats *migrate_session_stats(const struct migrate_session *s);
int migrate_session_peek(struct migrate_session *s, struct canary_block *ret);
/* Async-signal-safe. */
void migrate_session_interrupt(struct migrate_session *s);

/* For drivers. */

/* Sets the session's message (only if none is set yet, so the first cause stays) and returns -|err|. */
int migrate_error(struct migrate_session *s, int err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* migrate_error() for a failure the driver has classified: the kind goes with the message. */
int migrate_error_as(struct migrate_session *s, enum migrate_error_kind kind, int err, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Replaces the message, for a driver that learns a better explanation of an earlier error. */
int migrate_error_replace(struct migrate_session *s, int err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Adds to the message what the driver did about the failure ("; migration aborted, ..."). Out of memory,
 * the message stays as it was: the cause matters more than the epilogue. */
void migrate_error_append(struct migrate_session *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Sleeps up to ms; returns -ECANCELED at once when interrupted. */
int migrate_session_sleep(struct migrate_session *s, unsigned ms);

/*
 * Progress of a pre-copy migration, fed from each poll of the job. Progress means: the set of dirty
 * memory left after a pass (sampled when the pass counter moves) shrinks by a tenth, or, before the
 * first pass ends, bytes move. Stalled means: no progress for stall_timeout and (after the first
 * pass) at least two passes without shrinking.
 */
struct migrate_progress {
        uint64_t started_us, last_progress_us;
        uint64_t last_iteration, best_dirty_set;
        uint64_t max_transferred; /* the most the statistics ever said had been sent */
        uint64_t first_data_us;   /* when they first said anything had */
        unsigned passes_without_shrink;
};
void migrate_progress_init(struct migrate_progress *p, uint64_t now_us);
/* Returns true when stalled. */
bool migrate_progress_update(struct migrate_progress *p, uint64_t now_us, unsigned stall_timeout_ms,
                             uint64_t iteration, uint64_t remaining, uint64_t transferred);

/* The "no progress" error, from what the statistics showed over the whole job (p): nothing ever sent is
 * the ports (MIGRATE_ERROR_PORTS_BLOCKED); data sent and then none is a stall, naming the dirty rate and
 * the bandwidth when the first exceeds the second, else the rate data moved at (MIGRATE_ERROR_STALLED). */
struct migrate_no_progress {
        uint64_t now_us, dirty_rate_bps, bandwidth_bps, remaining;
        const char *ports; /* the ports the stream uses, for the message */
};
int migrate_error_no_progress(struct migrate_session *s, const struct migrate_progress *p,
                              const struct migrate_no_progress *np);

/* Calls params.progress, if set, with info->leg filled in from the session. */
void migrate_report_progress(struct migrate_session *s, struct migrate_progress_info *info);

/*
 * A progress renderer for a terminal: one line, redrawn in place (carriage return, erase to the end of
 * the line), e.g. "leg 1  copying   62%  20.1 MiB sent  48.3 MiB/s  dirty 4.0 MiB/s  pass 2  0.4 s".
 * The line of a finished leg (MIGRATE_PHASE_DONE) ends with a newline and stays. Use it as
 *
 *     if (isatty(STDERR_FILENO)) { params.progress = migrate_progress_bar_cb; params.progress_userdata =
 * stderr; }
 *
 * and call migrate_progress_bar_end(stderr) after migrate_session_run() returns, before printing
 * anything else: it erases the line of a leg that did not finish (failure, interrupt). Stateless.
 */
void migrate_progress_bar(FILE *tty, const struct migrate_progress_info *info);
void migrate_progress_bar_end(FILE *tty);
/* migrate_progress_bar() as a params.progress callback; userdata is the FILE *. */
void migrate_progress_bar_cb(void *userdata, const struct migrate_progress_info *info);

/* Defaults applied to the parameters. */
#define MIGRATE_DEFAULT_COMPLETION_TIMEOUT_MS 120000U
#define MIGRATE_DEFAULT_STALL_TIMEOUT_MS      10000U
#define MIGRATE_DEFAULT_CANARY_MEM_MIB        32U
#define MIGRATE_POLL_MS                       100U

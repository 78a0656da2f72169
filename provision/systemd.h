/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Service management over sd-bus: the effector that fixes use to enable, start, stop and reload services
 * (systemd units; in hostprep "unit" means a check unit).
 *
 * Every call takes a deadline: an absolute CLOCK_MONOTONIC time in microseconds (systemd_now_usec() plus
 * a timeout). Nothing blocks past it; a call that runs out of time returns -ETIMEDOUT.
 *
 * Errors: a negative errno. When error is not NULL, it receives a message meant for the user: the bus
 * error systemd sent, or one written here with the errno as its name (System.Error.ETIMEDOUT, ...).
 * An error that is already set is kept: the first message wins. ret_* outputs are untouched on
 * failure. Nothing here prints. */

#include <stdint.h>
#include <systemd/sd-bus.h>

#define SYSTEMD_USEC_PER_SEC  UINT64_C(1000000)
#define SYSTEMD_USEC_PER_MSEC UINT64_C(1000)

/* Now on CLOCK_MONOTONIC, in microseconds. */
uint64_t systemd_now_usec(void);

/* Connects to a message bus: the system bus when address is NULL (which honours
 * DBUS_SYSTEM_BUS_ADDRESS), else the bus at address ("unix:path=/run/dbus/system_bus_socket").
 * Returns once the bus has accepted us (Hello answered). */
int systemd_bus_open(const char *address, uint64_t deadline, sd_bus **ret_bus, sd_bus_error *error);

/* systemd's names for a unit's states; a unit without a unit file has unit_file_state "". */
struct service_state {
        char load_state[32];      /* loaded, not-found, bad-setting, error, masked */
        char active_state[32];    /* active, reloading, inactive, failed, activating, deactivating */
        char sub_state[32];       /* per unit type: running, exited, dead, ... */
        char unit_file_state[32]; /* enabled, disabled, static, masked, alias, ... */
};

/* Loads the unit if systemd has not (so an unknown unit reads as load_state "not-found"). */
int systemd_service_get_state(sd_bus *bus, const char *service, uint64_t deadline,
                              struct service_state *ret_state, sd_bus_error *error);

/* Enables or disables unit files (as systemctl enable/disable: /etc, not runtime) and, when that changed
 * anything, reloads the manager. units is NULL-terminated. Returns the number of symlinks created or
 * removed: 0 when there was nothing to do (already so, or a unit file without an [Install] section). */
int systemd_service_files_enable(sd_bus *bus, char *const *services, uint64_t deadline, sd_bus_error *error);
int systemd_service_files_disable(sd_bus *bus, char *const *services, uint64_t deadline,
                                  sd_bus_error *error);

/* daemon-reload: returns when the manager has reloaded its configuration. */
int systemd_daemon_reload(sd_bus *bus, uint64_t deadline, sd_bus_error *error);

/* reset-failed: forgets that a unit failed, so it reads "inactive" and its restart counter starts over. */
int systemd_service_reset_failed(sd_bus *bus, const char *service, uint64_t deadline, sd_bus_error *error);

enum service_job {
        SERVICE_JOB_START,
        SERVICE_JOB_STOP,
        SERVICE_JOB_RESTART,
        SERVICE_JOB_RELOAD,
        _SERVICE_JOB_MAX,
        _SERVICE_JOB_INVALID = -1,
};

/* "start", "stop", "restart", "reload"; NULL or _SERVICE_JOB_INVALID for anything else. */
const char *service_job_to_string(enum service_job action);
enum service_job service_job_from_string(const char *s);

/* Queues a job for unit (mode "replace") and waits until systemd removes it. Returns 0 when the job's
 * result is "done" or "skipped", else a negative errno for the result: -EIO failed, -ECANCELED canceled,
 * -ETIME systemd's own timeout, -ENOLINK a dependency failed, -EOPNOTSUPP unsupported, -EINVAL invalid.
 * On -ETIMEDOUT (the deadline passed first) the job stays queued in systemd; a later job for the same
 * unit (a stop, say) replaces it. */
int systemd_service_run_job(sd_bus *bus, const char *service, enum service_job action, uint64_t deadline,
                            sd_bus_error *error);

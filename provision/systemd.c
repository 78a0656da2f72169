/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "macro.h"
#include "systemd.h"

#define SYSTEMD_DESTINATION "org.freedesktop.systemd1"
#define SYSTEMD_PATH        "/org/freedesktop/systemd1"
#define MANAGER_INTERFACE   "org.freedesktop.systemd1.Manager"
#define UNIT_INTERFACE      "org.freedesktop.systemd1.Unit"

static const char *const service_job_names[_SERVICE_JOB_MAX] = {
        [SERVICE_JOB_START] = "start",
        [SERVICE_JOB_STOP] = "stop",
        [SERVICE_JOB_RESTART] = "restart",
        [SERVICE_JOB_RELOAD] = "reload",
};

static const char *const service_job_method[_SERVICE_JOB_MAX] = {
        [SERVICE_JOB_START] = "StartUnit",
        [SERVICE_JOB_STOP] = "StopUnit",
        [SERVICE_JOB_RESTART] = "RestartUnit",
        [SERVICE_JOB_RELOAD] = "ReloadUnit",
};

_Static_assert(ELEMENTSOF(service_job_names) == _SERVICE_JOB_MAX, "action names out of step");
_Static_assert(ELEMENTSOF(service_job_method) == _SERVICE_JOB_MAX, "action methods out of step");

/* A job's result as systemd reports it in JobRemoved, and what we return for it. */
static const struct {
        const char *result;
        int error;
} job_result_table[] = {
        {"done", 0},      {"skipped", 0},           {"canceled", -ECANCELED}, {"timeout", -ETIME},
        {"failed", -EIO}, {"dependency", -ENOLINK}, {"invalid", -EINVAL},     {"unsupported", -EOPNOTSUPP},
};

static const struct {
        const char *property;
        size_t offset;
} unit_state_fields[] = {
        {"LoadState", offsetof(struct service_state, load_state)},
        {"ActiveState", offsetof(struct service_state, active_state)},
        {"SubState", offsetof(struct service_state, sub_state)},
        {"UnitFileState", offsetof(struct service_state, unit_file_state)},
};

const char *service_job_to_string(enum service_job action)
{
        if (action < 0 || action >= _SERVICE_JOB_MAX)
                return NULL;
        return service_job_names[action];
}

enum service_job service_job_from_string(const char *s)
{
        for (size_t i = 0; s && i < ELEMENTSOF(service_job_names); i++)
                if (streq(service_job_names[i], s))
                        return (enum service_job)i;
        return _SERVICE_JOB_INVALID;
}

uint64_t systemd_now_usec(void)
{
        struct timespec ts;

        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * SYSTEMD_USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

/* Fills error unless the caller passed none or it already holds the first, more precise message
 * (sd-bus refuses to overwrite a set error). Returns r, so "return set_error(...)" keeps our errno. */
_printf_(3, 4) static int set_error(sd_bus_error *error, int r, const char *format, ...)
{
        va_list ap;

        if (error && !sd_bus_error_is_set(error)) {
                va_start(ap, format);
                (void)sd_bus_error_set_errnofv(error, -r, format, ap);
                va_end(ap);
        }
        return r;
}

static int time_left(uint64_t deadline, uint64_t *ret_usec)
{
        uint64_t now = systemd_now_usec();

        if (now >= deadline)
                return -ETIMEDOUT;
        *ret_usec = deadline - now;
        return 0;
}

static int manager_new_call(sd_bus *bus, const char *member, sd_bus_message **ret)
{
        return sd_bus_message_new_method_call(bus, ret, SYSTEMD_DESTINATION, SYSTEMD_PATH, MANAGER_INTERFACE,
                                              member);
}

/* sd_bus_call() bounded by the deadline rather than sd-bus's default of 25 s. */
static int call_until(sd_bus *bus, sd_bus_message *m, uint64_t deadline, sd_bus_error *error,
                      sd_bus_message **ret_reply)
{
        uint64_t left;
        int r;

        r = time_left(deadline, &left);
        if (r < 0)
                return set_error(error, r, "Deadline passed before calling %s",
                                 sd_bus_message_get_member(m));
        /* sd-bus refuses (-EINVAL) an error that is already set; the first message wins here anyway. */
        r = sd_bus_call(bus, m, left, error && !sd_bus_error_is_set(error) ? error : NULL, ret_reply);
        if (r < 0)
                return set_error(error, r, "%s failed: %m", sd_bus_message_get_member(m));
        return r;
}

int systemd_bus_open(const char *address, uint64_t deadline, sd_bus **ret_bus, sd_bus_error *error)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        const char *what = address ?: "the system bus";
        uint64_t left;
        int r;

        if (!ret_bus)
                return -EINVAL;

        if (address) {
                r = sd_bus_new(&bus);
                if (r < 0)
                        return set_error(error, r, "Failed to allocate bus: %m");
                r = sd_bus_set_address(bus, address);
                if (r < 0)
                        return set_error(error, r, "Invalid bus address %s: %m", address);
                r = sd_bus_set_bus_client(bus, 1);
                if (r < 0)
                        return set_error(error, r, "Failed to set up bus: %m");
                (void)sd_bus_set_description(bus, "hostprep-systemd");
                r = sd_bus_start(bus);
        } else
                r = sd_bus_open_system(&bus);
        if (r < 0)
                return set_error(error, r, "Failed to connect to %s: %m", what);

        /* sd_bus_start() only connects; authentication and Hello happen as the bus is processed. */
        for (;;) {
                r = sd_bus_is_ready(bus);
                if (r < 0)
                        return set_error(error, r, "Connection to %s failed: %m", what);
                if (r > 0)
                        break;
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return set_error(error, r, "Connection to %s failed: %m", what);
                if (r > 0)
                        continue;
                r = time_left(deadline, &left);
                if (r < 0)
                        return set_error(error, r, "Timed out connecting to %s", what);
                r = sd_bus_wait(bus, left);
                if (r < 0)
                        return set_error(error, r, "Connection to %s failed: %m", what);
        }

        *ret_bus = TAKE_PTR(bus);
        return 0;
}

static int service_load(sd_bus *bus, const char *service, uint64_t deadline, sd_bus_error *error,
                        char **ret_path)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *path;
        char *p;
        int r;

        r = manager_new_call(bus, "LoadUnit", &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", service);
        if (r < 0)
                return set_error(error, r, "Failed to build LoadUnit call: %m");
        r = call_until(bus, m, deadline, error, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return set_error(error, r, "Bad LoadUnit reply for %s: %m", service);
        p = strdup(path);
        if (!p)
                return set_error(error, -ENOMEM, "Out of memory");
        *ret_path = p;
        return 0;
}

static char *unit_state_field(struct service_state *state, const char *property)
{
        for (size_t i = 0; i < ELEMENTSOF(unit_state_fields); i++)
                if (streq(unit_state_fields[i].property, property))
                        return (char *)state + unit_state_fields[i].offset;
        return NULL;
}

/* Reads the wanted strings out of a Properties.GetAll reply (a{sv}); returns how many it found. */
static int unit_state_parse(sd_bus_message *reply, struct service_state *state)
{
        const char *property, *value;
        unsigned found = 0;
        char *field;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read(reply, "s", &property);
                if (r < 0)
                        return r;
                field = unit_state_field(state, property);
                if (field) {
                        r = sd_bus_message_read(reply, "v", "s", &value);
                        if (r < 0)
                                return r;
                        if (strlen(value) >= sizeof(state->load_state))
                                return -ERANGE;
                        strcpy(field, value);
                        found++;
                } else {
                        r = sd_bus_message_skip(reply, "v");
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        return (int)found;
}

int systemd_service_get_state(sd_bus *bus, const char *service, uint64_t deadline,
                              struct service_state *ret_state, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_free_ char *path = NULL;
        struct service_state state = {};
        int r;

        if (!bus || !service || !ret_state)
                return -EINVAL;

        r = service_load(bus, service, deadline, error, &path);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_DESTINATION, path,
                                           "org.freedesktop.DBus.Properties", "GetAll");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", UNIT_INTERFACE);
        if (r < 0)
                return set_error(error, r, "Failed to build GetAll call: %m");
        r = call_until(bus, m, deadline, error, &reply);
        if (r < 0)
                return r;

        r = unit_state_parse(reply, &state);
        if (r < 0)
                return set_error(error, r, "Bad properties reply for %s: %m", service);
        if (r != (int)ELEMENTSOF(unit_state_fields))
                return set_error(error, -EBADMSG, "Properties of %s lack a state", service);

        *ret_state = state;
        return 0;
}

int systemd_daemon_reload(sd_bus *bus, uint64_t deadline, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!bus)
                return -EINVAL;

        r = manager_new_call(bus, "Reload", &m);
        if (r < 0)
                return set_error(error, r, "Failed to build Reload call: %m");
        /* systemd answers Reload only once the reload is complete. */
        r = call_until(bus, m, deadline, error, NULL);
        return r < 0 ? r : 0;
}

int systemd_service_reset_failed(sd_bus *bus, const char *service, uint64_t deadline, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!bus || !service)
                return -EINVAL;

        r = manager_new_call(bus, "ResetFailedUnit", &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", service);
        if (r < 0)
                return set_error(error, r, "Failed to build ResetFailedUnit call: %m");
        r = call_until(bus, m, deadline, error, NULL);
        return r < 0 ? r : 0;
}

/* Counts the (type, symlink, destination) entries of an a(sss) list of unit file changes. */
static int unit_file_changes_count(sd_bus_message *reply)
{
        const char *type, *symlink, *destination;
        int r, n = 0;

        r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(sss)", &type, &symlink, &destination)) > 0)
                n++;
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        return n;
}

static int service_files_change(sd_bus *bus, char *const *services, bool enable, uint64_t deadline,
                                sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *method = enable ? "EnableUnitFiles" : "DisableUnitFiles";
        int carries_install_info, n, r;

        if (!bus || !services || !services[0])
                return -EINVAL;

        r = manager_new_call(bus, method, &m);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **)services);
        /* runtime = false: the change survives a reboot. force = false: never replace foreign symlinks. */
        if (r >= 0)
                r = enable ? sd_bus_message_append(m, "bb", 0, 0) : sd_bus_message_append(m, "b", 0);
        if (r < 0)
                return set_error(error, r, "Failed to build %s call: %m", method);

        r = call_until(bus, m, deadline, error, &reply);
        if (r < 0)
                return r;
        if (enable) {
                r = sd_bus_message_read(reply, "b", &carries_install_info);
                if (r < 0)
                        return set_error(error, r, "Bad %s reply: %m", method);
        }
        n = unit_file_changes_count(reply);
        if (n < 0)
                return set_error(error, n, "Bad %s reply: %m", method);

        /* As systemctl does: the manager learns of the new symlinks only on reload. */
        if (n > 0) {
                r = systemd_daemon_reload(bus, deadline, error);
                if (r < 0)
                        return r;
        }
        return n;
}

int systemd_service_files_enable(sd_bus *bus, char *const *services, uint64_t deadline, sd_bus_error *error)
{
        return service_files_change(bus, services, true, deadline, error);
}

int systemd_service_files_disable(sd_bus *bus, char *const *services, uint64_t deadline, sd_bus_error *error)
{
        return service_files_change(bus, services, false, deadline, error);
}

struct job_wait {
        const char *job; /* object path of the job we wait for */
        bool removed;
        char result[32];
};

static int job_removed_handler(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct job_wait *w = userdata;
        const char *path, *service, *result;
        uint32_t id;

        /* A signal we cannot read is not ours to fail on: keep waiting for the one we can. */
        if (sd_bus_message_read(m, "uoss", &id, &path, &service, &result) < 0)
                return 0;
        if (!w->job || !streq(path, w->job))
                return 0;
        w->removed = true;
        snprintf(w->result, sizeof(w->result), "%s", result);
        return 0;
}

static int job_result_to_errno(const char *result)
{
        for (size_t i = 0; i < ELEMENTSOF(job_result_table); i++)
                if (streq(job_result_table[i].result, result))
                        return job_result_table[i].error;
        return -EIO;
}

/* Asks systemd to send us job signals. A second Subscribe on one connection is refused as
 * AlreadySubscribed, which is what we wanted anyway. */
static int manager_subscribe(sd_bus *bus, uint64_t deadline, sd_bus_error *error)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = manager_new_call(bus, "Subscribe", &m);
        if (r < 0)
                return set_error(error, r, "Failed to build Subscribe call: %m");
        r = call_until(bus, m, deadline, &e, NULL);
        if (r < 0 && !sd_bus_error_has_name(&e, "org.freedesktop.systemd1.AlreadySubscribed")) {
                if (error && !sd_bus_error_is_set(error))
                        (void)sd_bus_error_copy(error, &e);
                return r;
        }
        return 0;
}

int systemd_service_run_job(sd_bus *bus, const char *service, enum service_job action, uint64_t deadline,
                            sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        struct job_wait w = {};
        uint64_t left;
        int r;

        if (!bus || !service || action < 0 || action >= _SERVICE_JOB_MAX)
                return -EINVAL;

        /* The match goes out before the job is queued, so its JobRemoved cannot slip past us. The
         * reply to the method call arrives before the signal is dispatched: sd_bus_call() queues
         * whatever else comes in until sd_bus_process() below. */
        r = sd_bus_match_signal_async(bus, &slot, SYSTEMD_DESTINATION, SYSTEMD_PATH, MANAGER_INTERFACE,
                                      "JobRemoved", job_removed_handler, NULL, &w);
        if (r < 0)
                return set_error(error, r, "Failed to watch for JobRemoved: %m");
        r = manager_subscribe(bus, deadline, error);
        if (r < 0)
                return r;

        r = manager_new_call(bus, service_job_method[action], &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", service, "replace");
        if (r < 0)
                return set_error(error, r, "Failed to build %s call: %m", service_job_method[action]);
        r = call_until(bus, m, deadline, error, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &w.job);
        if (r < 0)
                return set_error(error, r, "Bad %s reply for %s: %m", service_job_method[action], service);

        while (!w.removed) {
                r = time_left(deadline, &left);
                if (r < 0)
                        return set_error(error, r, "Timed out waiting for %s job %s of %s",
                                         service_job_names[action], w.job, service);
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return set_error(error, r, "Lost the bus waiting for %s of %s: %m",
                                         service_job_names[action], service);
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, left);
                if (r < 0)
                        return set_error(error, r, "Lost the bus waiting for %s of %s: %m",
                                         service_job_names[action], service);
        }

        r = job_result_to_errno(w.result);
        if (r < 0)
                return set_error(error, r, "Job to %s %s finished with result '%s'",
                                 service_job_names[action], service, w.result);
        return 0;
}

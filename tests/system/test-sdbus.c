/* SPDX-License-Identifier: GPL-2.0-or-later */
/* provision/systemd.c against a real systemd: the container that tests/testbed/systemd-tier boots.
 * The bus address comes from HOSTPREP_SYSTEMD_BUS, else from "$HOSTPREP_SYSTEMD_TIER bus-address".
 * Exits 77 (skip) when not root or when the tier is not up. */
#include <stdbool.h>
#include <sys/wait.h>

#include "macro.h"
#include "provision/systemd.h"

#define EXIT_SKIP 77

#define DUMMY "hp-dummy.service" /* plain service with an [Install] section */
#define HANG  "hp-hang.service"  /* oneshot whose start never completes */
#define FAIL  "hp-fail.service"  /* oneshot whose start fails */

static sd_bus *bus;

#define CHECK(expr)                                                                                         \
        do {                                                                                                \
                if (!(expr)) {                                                                              \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr);            \
                        return -1;                                                                          \
                }                                                                                           \
        } while (0)

/* Checks that a call returned want, shows the message it left in e when not, and clears e. */
#define CHECK_R(call, want, e)                                                                              \
        do {                                                                                                \
                int _r = (call);                                                                            \
                if (_r != (want)) {                                                                         \
                        fprintf(stderr, "%s:%d: %s = %d (%s), want %d\n", __FILE__, __LINE__, #call, _r,    \
                                strna((e).message), (want));                                                \
                        return -1;                                                                          \
                }                                                                                           \
                sd_bus_error_free(&(e));                                                                    \
        } while (0)

static uint64_t in_seconds(unsigned s)
{
        return systemd_now_usec() + s * SYSTEMD_USEC_PER_SEC;
}

static int check_state(const char *unit, const char *active, const char *sub, const char *file)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        struct service_state st;
        int r;

        r = systemd_service_get_state(bus, unit, in_seconds(10), &st, &e);
        if (r < 0) {
                fprintf(stderr, "state of %s: %s\n", unit, strna(e.message));
                return r;
        }
        if (!streq(st.load_state, "loaded") || !streq(st.active_state, active) ||
            !streq(st.sub_state, sub) || (file && !streq(st.unit_file_state, file))) {
                fprintf(stderr, "%s is %s/%s/%s/%s, want loaded/%s/%s/%s\n", unit, st.load_state,
                        st.active_state, st.sub_state, st.unit_file_state, active, sub, strna(file));
                return -1;
        }
        return 0;
}

static int test_read_state(void)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        struct service_state st;

        CHECK(check_state("dbus.service", "active", "running", "static") == 0);
        CHECK_R(systemd_service_get_state(bus, "hp-no-such.service", in_seconds(10), &st, &e), 0, e);
        CHECK(streq(st.load_state, "not-found"));
        CHECK(streq(st.active_state, "inactive"));
        return 0;
}

static int test_enable_start_stop_disable(void)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        char *units[] = {(char *)DUMMY, NULL};

        /* From whatever an earlier, interrupted run left. */
        CHECK_R(systemd_service_run_job(bus, DUMMY, SERVICE_JOB_STOP, in_seconds(10), &e), 0, e);
        CHECK(systemd_service_files_disable(bus, units, in_seconds(10), NULL) >= 0);
        CHECK(check_state(DUMMY, "inactive", "dead", "disabled") == 0);

        CHECK(systemd_service_files_enable(bus, units, in_seconds(10), NULL) > 0);
        CHECK(check_state(DUMMY, "inactive", "dead", "enabled") == 0);
        CHECK_R(systemd_service_files_enable(bus, units, in_seconds(10), &e), 0, e); /* nothing left to do */

        CHECK_R(systemd_service_run_job(bus, DUMMY, SERVICE_JOB_START, in_seconds(10), &e), 0, e);
        CHECK(check_state(DUMMY, "active", "running", "enabled") == 0);
        CHECK_R(systemd_service_run_job(bus, DUMMY, SERVICE_JOB_RELOAD, in_seconds(10), &e), 0, e);
        CHECK_R(systemd_service_run_job(bus, DUMMY, SERVICE_JOB_RESTART, in_seconds(10), &e), 0, e);
        CHECK(check_state(DUMMY, "active", "running", "enabled") == 0);

        CHECK_R(systemd_service_run_job(bus, DUMMY, SERVICE_JOB_STOP, in_seconds(10), &e), 0, e);
        CHECK(check_state(DUMMY, "inactive", "dead", "enabled") == 0);
        CHECK(systemd_service_files_disable(bus, units, in_seconds(10), NULL) > 0);
        CHECK(check_state(DUMMY, "inactive", "dead", "disabled") == 0);
        CHECK_R(systemd_service_files_disable(bus, units, in_seconds(10), &e), 0, e);
        return 0;
}

static int test_failed_job(void)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        CHECK(systemd_service_run_job(bus, FAIL, SERVICE_JOB_START, in_seconds(10), &e) == -EIO);
        CHECK(e.message && strstr(e.message, "'failed'"));
        CHECK(check_state(FAIL, "failed", "failed", NULL) == 0);
        sd_bus_error_free(&e);
        CHECK_R(systemd_service_reset_failed(bus, FAIL, in_seconds(10), &e), 0, e);
        CHECK(check_state(FAIL, "inactive", "dead", NULL) == 0);
        return 0;
}

static int test_no_such_unit(void)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = systemd_service_run_job(bus, "hp-no-such.service", SERVICE_JOB_START, in_seconds(10), &e);
        fprintf(stderr, "start hp-no-such.service: %d (%s: %s)\n", r, strna(e.name), strna(e.message));
        CHECK(r == -ENOENT);
        CHECK(sd_bus_error_is_set(&e));
        return 0;
}

static int test_deadline(void)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        struct service_state st;
        uint64_t t0, elapsed;
        int r;

        t0 = systemd_now_usec();
        r = systemd_service_run_job(bus, HANG, SERVICE_JOB_START, t0 + 2 * SYSTEMD_USEC_PER_SEC, &e);
        elapsed = systemd_now_usec() - t0;
        fprintf(stderr, "start %s with a 2 s deadline: %d (%s) after %.3f s\n", HANG, r, strna(e.message),
                (double)elapsed / SYSTEMD_USEC_PER_SEC);
        CHECK(r == -ETIMEDOUT);
        CHECK(elapsed >= 2 * SYSTEMD_USEC_PER_SEC);
        CHECK(elapsed < 2500 * SYSTEMD_USEC_PER_MSEC);
        CHECK(check_state(HANG, "activating", "start", NULL) == 0);

        /* The stop job replaces the start job that was left queued. */
        sd_bus_error_free(&e);
        CHECK_R(systemd_service_run_job(bus, HANG, SERVICE_JOB_STOP, in_seconds(10), &e), 0, e);
        /* systemd counts a start cut short by a stop as failed. */
        CHECK_R(systemd_service_get_state(bus, HANG, in_seconds(10), &st, &e), 0, e);
        CHECK(streq(st.active_state, "inactive") || streq(st.active_state, "failed"));
        CHECK_R(systemd_service_reset_failed(bus, HANG, in_seconds(10), &e), 0, e);
        return 0;
}

static int test_deadline_passed(void)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        struct service_state st;

        CHECK(systemd_service_get_state(bus, "dbus.service", systemd_now_usec(), &st, &e) == -ETIMEDOUT);
        CHECK(sd_bus_error_is_set(&e));
        return 0;
}

static int test_bad_address(void)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus *b = NULL;

        CHECK(systemd_bus_open("unix:path=/nonexistent/bus", in_seconds(2), &b, &e) == -ENOENT);
        CHECK(!b);
        CHECK(sd_bus_error_is_set(&e));
        return 0;
}

static const struct {
        const char *name;
        int (*run)(void);
} tests[] = {
        {"read_state", test_read_state},   {"enable_start_stop_disable", test_enable_start_stop_disable},
        {"failed_job", test_failed_job},   {"no_such_unit", test_no_such_unit},
        {"deadline", test_deadline},       {"deadline_passed", test_deadline_passed},
        {"bad_address", test_bad_address},
};

/* Runs "TIER bus-address" without a shell; returns its first line, or NULL when it fails. */
static char *tier_bus_address(const char *tier)
{
        _cleanup_fclose_ FILE *f = NULL;
        char *line = NULL;
        size_t n = 0;
        int fds[2], status;
        pid_t pid;

        if (pipe(fds) < 0)
                return NULL;
        pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return NULL;
        }
        if (pid == 0) {
                dup2(fds[1], STDOUT_FILENO);
                close(fds[0]);
                close(fds[1]);
                execl(tier, tier, "bus-address", (char *)NULL);
                _exit(127);
        }
        close(fds[1]);
        f = fdopen(fds[0], "r");
        if (!f)
                close(fds[0]);
        else if (getline(&line, &n, f) > 0)
                line[strcspn(line, "\n")] = '\0';
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !line ||
            !line[0]) {
                free(line);
                return NULL;
        }
        return line;
}

int main(void)
{
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *from_tier = NULL;
        const char *address, *tier;
        unsigned failed = 0;
        int r;

        if (geteuid() != 0) {
                printf("SKIP: needs root to reach the container's bus\n");
                return EXIT_SKIP;
        }
        address = getenv("HOSTPREP_SYSTEMD_BUS");
        if (!address) {
                tier = getenv("HOSTPREP_SYSTEMD_TIER");
                if (tier)
                        address = from_tier = tier_bus_address(tier);
                if (!address) {
                        printf("SKIP: the systemd tier is not up (tests/testbed/systemd-tier up) and HOSTPREP_SYSTEMD_BUS is not set\n");
                        return EXIT_SKIP;
                }
        }

        r = systemd_bus_open(address, in_seconds(10), &bus, &e);
        if (r < 0) {
                printf("FAIL: cannot open %s: %s\n", address, strna(e.message));
                return EXIT_FAILURE;
        }
        printf("bus: %s\n", address);

        for (size_t i = 0; i < ELEMENTSOF(tests); i++) {
                uint64_t t0 = systemd_now_usec();
                bool ok = tests[i].run() == 0;

                printf("%s %s (%.3f s)\n", ok ? "ok  " : "FAIL", tests[i].name,
                       (double)(systemd_now_usec() - t0) / SYSTEMD_USEC_PER_SEC);
                failed += !ok;
        }
        sd_bus_close_unref(bus);

        printf("%zu passed, %u failed\n", ELEMENTSOF(tests) - failed, failed);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

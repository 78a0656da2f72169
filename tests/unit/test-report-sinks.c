/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report-sinks.h: the unit of a result id, and the Prometheus exposition of a report, byte for byte (the
 * golden suite's report-sinks.sh checks real reports with promtool). */
#include <string.h>

#include "config.h"
#include "cross.h"
#include "report-sinks.h"
#include "test-util.h"

static void test_unit_of(void)
{
        const char *cross = cross_registry[0]->id;
        char *below = strdup_printf("%s.hosts", cross);

        CHECK(streq(strna(report_unit_of("nfs.export.root_squash")), "nfs.export"), "a result of a unit");
        CHECK(streq(strna(report_unit_of("nfs.export")), "nfs.export"), "the runner's result about a unit");
        CHECK(streq(strna(report_unit_of("nfs.export.fix")), "nfs.export"), "a fix's result");
        CHECK(!report_unit_of("nfs.exported"), "a prefix that is not a dotted one");
        CHECK(!report_unit_of("future.unit.x"), "an id of no unit (a newer peer's)");
        CHECK(below && streq(strna(report_unit_of(below)), cross), "a comparison: %s", strna(below));
        free(below);
}

static const char expected[] =
        "# HELP hostprep_check_status Results of one check id on one host with this status (a state set: 0 or "
        "the count).\n"
        "# TYPE hostprep_check_status gauge\n"
        "hostprep_check_status{host=\"nfs1\",unit=\"nfs.export\",check=\"nfs.export.root_squash\",status=\"pass\"} 0\n"
        "hostprep_check_status{host=\"nfs1\",unit=\"nfs.export\",check=\"nfs.export.root_squash\",status=\"warn\"} 0\n"
        "hostprep_check_status{host=\"nfs1\",unit=\"nfs.export\",check=\"nfs.export.root_squash\",status=\"fail\"} 2\n"
        "hostprep_check_status{host=\"nfs1\",unit=\"nfs.export\",check=\"nfs.export.root_squash\",status=\"skip\"} 0\n"
        "hostprep_check_status{host=\"nfs1\",unit=\"nfs.export\",check=\"nfs.export.root_squash\",status=\"error\"} 0\n"
        "hostprep_check_status{host=\"nfs1\",unit=\"nfs.export\",check=\"nfs.export.root_squash\",status=\"fixed\"} 0\n"
        "hostprep_check_status{host=\"hv\\\"1\\\\\",unit=\"future.x\",check=\"future.x\",status=\"pass\"} 0\n"
        "hostprep_check_status{host=\"hv\\\"1\\\\\",unit=\"future.x\",check=\"future.x\",status=\"warn\"} 1\n"
        "hostprep_check_status{host=\"hv\\\"1\\\\\",unit=\"future.x\",check=\"future.x\",status=\"fail\"} 0\n"
        "hostprep_check_status{host=\"hv\\\"1\\\\\",unit=\"future.x\",check=\"future.x\",status=\"skip\"} 0\n"
        "hostprep_check_status{host=\"hv\\\"1\\\\\",unit=\"future.x\",check=\"future.x\",status=\"error\"} 0\n"
        "hostprep_check_status{host=\"hv\\\"1\\\\\",unit=\"future.x\",check=\"future.x\",status=\"fixed\"} 0\n"
        "# HELP hostprep_host_results Results of one host with this status.\n"
        "# TYPE hostprep_host_results gauge\n"
        "hostprep_host_results{host=\"nfs1\",status=\"pass\"} 0\n"
        "hostprep_host_results{host=\"nfs1\",status=\"warn\"} 0\n"
        "hostprep_host_results{host=\"nfs1\",status=\"fail\"} 2\n"
        "hostprep_host_results{host=\"nfs1\",status=\"skip\"} 0\n"
        "hostprep_host_results{host=\"nfs1\",status=\"error\"} 0\n"
        "hostprep_host_results{host=\"nfs1\",status=\"fixed\"} 0\n"
        "hostprep_host_results{host=\"hv\\\"1\\\\\",status=\"pass\"} 0\n"
        "hostprep_host_results{host=\"hv\\\"1\\\\\",status=\"warn\"} 1\n"
        "hostprep_host_results{host=\"hv\\\"1\\\\\",status=\"fail\"} 0\n"
        "hostprep_host_results{host=\"hv\\\"1\\\\\",status=\"skip\"} 0\n"
        "hostprep_host_results{host=\"hv\\\"1\\\\\",status=\"error\"} 0\n"
        "hostprep_host_results{host=\"hv\\\"1\\\\\",status=\"fixed\"} 0\n"
        "# HELP hostprep_info The hostprep version and profile of the run (always 1).\n"
        "# TYPE hostprep_info gauge\n"
        "hostprep_info{version=\"" HOSTPREP_VERSION "\",profile=\"p\\nq\"} 1\n"
        "# HELP hostprep_run_exit_code Exit code of the run (0 ready, 1 failed, 3 undecided).\n"
        "# TYPE hostprep_run_exit_code gauge\n"
        "hostprep_run_exit_code 1\n"
        "# HELP hostprep_run_duration_seconds How long the run's checks took.\n"
        "# TYPE hostprep_run_duration_seconds gauge\n"
        "hostprep_run_duration_seconds 1.500000\n"
        "# HELP hostprep_last_run_timestamp_seconds When the run ended, in seconds since the epoch.\n"
        "# TYPE hostprep_last_run_timestamp_seconds gauge\n"
        "hostprep_last_run_timestamp_seconds 1700000000.250\n";

static void test_prometheus(void)
{
        struct result_list self = {0}, peer = {0};
        /* one id twice (one per export): one series, counted; label values escaped */
        struct host_report hosts[] = {
                {.name = "nfs1", .results = &self},
                {.name = "hv\"1\\", .results = &peer},
        };
        struct report rep = {.profile_name = "p\nq", .hosts = hosts, .n_hosts = 2, .duration = 1500000};
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        CHECK(result_list_add(&self, "nfs.export.root_squash", STATUS_FAIL, "m", "h", NULL) == 0, "add");
        CHECK(result_list_add(&self, "nfs.export.root_squash", STATUS_FAIL, "m2", "h", NULL) == 0, "add");
        CHECK(result_list_add(&peer, "future.x", STATUS_WARN, "m", "h", NULL) == 0, "add");
        CHECK(f && report_prometheus(f, &rep, 1700000000.25) == 0, "report_prometheus");
        if (f)
                fclose(f);
        CHECK(text && streq(text, expected), "exposition:\n%s", strna(text));
        free(text);
        result_list_done(&self);
        result_list_done(&peer);
}

int main(void)
{
        test_unit_of();
        test_prometheus();
        return failures ? 1 : 0;
}

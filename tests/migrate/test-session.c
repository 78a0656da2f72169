/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The session's error message, as drivers set it: the first cause stays, a classified one keeps its kind,
 * a replacement replaces, what the driver did is appended, and no length cuts a message short. */
#include <errno.h>
#include <string.h>

#include "driver.h"
#include "test-util.h"
#include "util.h"

static int step_ok(struct migrate_session *s _unused_)
{
        return 0;
}

static const struct migrate_driver fake = {
        .name = "fake",
        .prepare = step_ok,
        .start = step_ok,
        .migrate = step_ok,
        .verify = step_ok,
};

static struct migrate_session *new_session(void)
{
        struct migrate_params p = {.transport = MIGRATE_TRANSPORT_TCP};
        struct migrate_session *s = NULL;
        int r = migrate_session_new(&fake, &p, &s);

        CHECK(r == 0 && s, "migrate_session_new: %d", r);
        return s;
}

static void test_first_cause_stays(void)
{
        _cleanup_(migrate_session_freep) struct migrate_session *s = new_session();
        int r;

        CHECK(streq(migrate_session_error(s), ""), "no error yet: \"%s\"", migrate_session_error(s));
        r = migrate_error_as(s, MIGRATE_ERROR_STALLED, ETIMEDOUT, "stalled after %u s", 10U);
        CHECK(r == -ETIMEDOUT, "returns -|err|: %d", r);
        r = migrate_error(s, -EIO, "a later failure");
        CHECK(r == -EIO, "a negative err stays negative: %d", r);
        CHECK(streq(migrate_session_error(s), "stalled after 10 s"), "first stays: \"%s\"",
              migrate_session_error(s));
        CHECK(migrate_session_error_kind(s) == MIGRATE_ERROR_STALLED, "kind %d",
              (int)migrate_session_error_kind(s));
        migrate_error_append(s, "; migration aborted, the guest stays on the %s", "source");
        CHECK(streq(migrate_session_error(s),
                    "stalled after 10 s; migration aborted, the guest stays on the source"),
              "appended: \"%s\"", migrate_session_error(s));
        CHECK(migrate_session_error_kind(s) == MIGRATE_ERROR_STALLED, "append keeps the kind");
        migrate_error_replace(s, EPERM, "a better explanation");
        CHECK(streq(migrate_session_error(s), "a better explanation"), "replaced: \"%s\"",
              migrate_session_error(s));
        CHECK(migrate_session_error_kind(s) == MIGRATE_ERROR_OTHER, "replace sets OTHER");
        /* a replacement may quote the message it replaces */
        migrate_error_replace(s, EPERM, "the cause (%s)", migrate_session_error(s));
        CHECK(streq(migrate_session_error(s), "the cause (a better explanation)"), "quoted: \"%s\"",
              migrate_session_error(s));
}

static void test_empty_and_long(void)
{
        _cleanup_(migrate_session_freep) struct migrate_session *s = new_session();
        _cleanup_free_ char *long_text = malloc(5001), *want = NULL;

        /* an empty message counts as none: the next failure names the cause */
        migrate_error(s, EIO, "%s", "");
        migrate_error(s, EIO, "the cause");
        CHECK(streq(migrate_session_error(s), "the cause"), "after an empty one: \"%s\"",
              migrate_session_error(s));

        /* appending to no message at all gives the appended text alone */
        migrate_error_replace(s, EIO, "%s", "");
        migrate_error_append(s, "; cancelled");
        CHECK(streq(migrate_session_error(s), "; cancelled"), "append to none: \"%s\"",
              migrate_session_error(s));

        CHECK(long_text, "malloc");
        if (!long_text)
                return;
        memset(long_text, 'x', 5000);
        long_text[5000] = '\0';
        migrate_error_replace(s, EIO, "libvirt said: %s", long_text);
        migrate_error_append(s, "; the end");
        want = strdup_printf("libvirt said: %s; the end", long_text);
        CHECK(want && streq(migrate_session_error(s), want), "a long message is kept whole (%zu bytes)",
              strlen(migrate_session_error(s)));
}

#define SEC  1000000ULL
#define MIB_ 1048576ULL

static int no_progress(struct migrate_session *s, const struct migrate_progress *p, uint64_t now)
{
        return migrate_error_no_progress(s, p,
                                         &(struct migrate_no_progress){.now_us = now,
                                                                       .dirty_rate_bps = 2 * MIB_,
                                                                       .remaining = 100 * MIB_,
                                                                       .ports = "49152-49215"});
}

/* Nothing ever sent is the ports; data sent and then a look that reads less (as one taken while the job
 * changes state can) is not: the verdict comes from the whole job, not the last look. */
static void test_stall_causes(void)
{
        _cleanup_(migrate_session_freep) struct migrate_session *s = new_session();
        _cleanup_(migrate_session_freep) struct migrate_session *s2 = new_session();
        struct migrate_progress p;
        uint64_t t = 5 * SEC;
        bool stalled = false;

        migrate_progress_init(&p, t);
        for (int i = 1; i <= 11 && !stalled; i++)
                stalled = migrate_progress_update(&p, t + i * SEC, 10000, 0, 0, 0);
        CHECK(stalled, "no data for 11 s with a 10 s stall timeout is a stall");
        no_progress(s, &p, t + 11 * SEC);
        CHECK(migrate_session_error_kind(s) == MIGRATE_ERROR_PORTS_BLOCKED, "nothing sent: kind %d",
              (int)migrate_session_error_kind(s));
        CHECK(strstr(migrate_session_error(s), "no migration data reached the destination in 11.0 s"),
              "nothing sent: \"%s\"", migrate_session_error(s));

        /* slow but moving: 1 MiB a second for a minute never stalls */
        migrate_progress_init(&p, t);
        for (int i = 1; i <= 60; i++)
                CHECK(!migrate_progress_update(&p, t + i * SEC, 10000, 1, 0, i * MIB_), "moving at %d s", i);

        /* 40 MiB sent in 4 s, then a look reading 0, then no progress */
        migrate_progress_init(&p, t);
        stalled = false;
        for (int i = 1; i <= 4; i++)
                migrate_progress_update(&p, t + i * SEC, 10000, 1, 0, i * 10 * MIB_);
        migrate_progress_update(&p, t + 5 * SEC, 10000, 1, 0, 0);
        for (int i = 6; i <= 20 && !stalled; i++)
                stalled = migrate_progress_update(&p, t + i * SEC, 10000, 1, 0, 40 * MIB_);
        CHECK(stalled, "no progress for 10 s after 40 MiB is a stall");
        CHECK(p.max_transferred == 40 * MIB_, "the most ever sent is kept: %llu",
              (unsigned long long)p.max_transferred);
        no_progress(s2, &p, t + 15 * SEC);
        CHECK(migrate_session_error_kind(s2) == MIGRATE_ERROR_STALLED, "data sent: kind %d",
              (int)migrate_session_error_kind(s2));
        CHECK(strstr(migrate_session_error(s2), "after 40.0 MiB had reached the destination (13.3 MiB/s") &&
                      strstr(migrate_session_error(s2), "the ports are open") &&
                      !strstr(migrate_session_error(s2), "blocked"),
              "data sent: \"%s\"", migrate_session_error(s2));
}

int main(void)
{
        test_first_cause_stays();
        test_empty_and_long();
        test_stall_causes();
        return failures ? 1 : 0;
}

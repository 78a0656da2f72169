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

int main(void)
{
        test_first_cause_stays();
        test_empty_and_long();
        return failures ? 1 : 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /etc/hosts text (lib/etchosts.c): every lookup, by a name of the file and by one it lacks. */
#include "etchosts.h"
#include "fuzz.h"
#include "strv.h"

static void lookups(const char *text, const char *name)
{
        _cleanup_(strv_freep) char **addrs = NULL, **resolved = NULL;
        _cleanup_free_ char *fqdn = NULL;
        struct etchosts_entry *e = NULL;
        size_t n = 0;

        (void)etchosts_addresses(text, name, &addrs);
        (void)etchosts_resolve(text, name, &resolved);
        (void)etchosts_fqdn(text, name, &fqdn);
        if (etchosts_entries(text, name, &e, &n) >= 0)
                etchosts_entries_free(e, n);
        STRV_FOREACH (a, addrs) {
                _cleanup_(strv_freep) char **names = NULL;

                (void)etchosts_names(text, *a, &names);
                (void)address_is_loopback(*a);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size), *first = NULL;
        size_t skip;

        if (!text)
                return 0;
        lookups(text, "hv1");
        /* the second word of the first line: a name the file has, whatever the fuzzer wrote */
        skip = strcspn(text, " \t\n");
        skip += strspn(text + skip, " \t");
        first = strndup(text + skip, strcspn(text + skip, " \t\n#"));
        if (first && *first)
                lookups(text, first);
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exports(5) text (lib/exports.c): parsed, then every client matched against a peer. */
#include "exports.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(exports_table_freep) struct exports_table *t = NULL;
        const char *addresses[] = {"192.0.2.10", "2001:db8::10", "not-an-address"};

        if (size > FUZZ_MAX_INPUT || exports_table_new(&t) < 0)
                return 0;
        if (exports_parse(t, "/etc/exports", (const char *)data, size) < 0)
                return 0;
        for (size_t i = 0; i < t->n_entries; i++)
                for (size_t k = 0; k < t->entries[i].n_clients; k++) {
                        const struct export_client *c = &t->entries[i].clients[k];

                        (void)export_client_matches(c, "hv1.example.org", addresses, 2);
                        (void)export_client_matches(c, NULL, addresses + 2, 1);
                        (void)export_client_is_wide(c);
                }
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Captured `ip -details -json link show` and `bridge -json fdb show` (netstate_vxlan_from_json() in
 * lib/netstate.c), applied to a model with VXLANs and a bridge of the names the golden cases use. The
 * input is the link capture, a NUL byte, then the fdb capture (no NUL: no fdb capture). */
#include "fuzz.h"
#include "netstate.h"

static const char *const link_names[] = {"eth0", "br0", "vxlan0", "vxlan100", "xenbr0"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);
        struct net_state s = {0};
        const char *fdb;
        size_t n_links = sizeof(link_names) / sizeof(link_names[0]);

        if (!text)
                return 0;
        s.links = calloc(n_links, sizeof(*s.links));
        if (!s.links)
                return 0;
        for (size_t i = 0; i < n_links; i++) {
                s.links[i].name = strdup(link_names[i]);
                s.links[i].ifindex = (int)i + 2;
                s.links[i].carrier = -1;
                if (!s.links[i].name)
                        goto done;
                s.n_links++;
        }
        fdb = memchr(data, '\0', size) ? text + strlen(text) + 1 : NULL;
        (void)netstate_vxlan_from_json(&s, text, fdb);
done:
        net_state_done(&s);
        return 0;
}

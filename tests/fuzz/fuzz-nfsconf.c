/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nfs.conf text (lib/nfsconf.c): the file, then the same text as a nfs.conf.d file after it, and the
 * ports net.firewall looks up. */
#include "fuzz.h"
#include "nfsconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const keys[][2] = {
                {"mountd", "port"}, {"statd", "port"},     {"statd", "outgoing-port"},
                {"lockd", "port"},  {"lockd", "udp-port"}, {"nfsd", "port"},
        };
        _cleanup_free_ char *text = fuzz_text(data, size);
        struct nfs_conf c = {};

        if (!text)
                return 0;
        if (nfs_conf_parse(&c, "/etc/nfs.conf", text) >= 0 &&
            nfs_conf_parse(&c, "/etc/nfs.conf.d/local.conf", text) >= 0)
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        const struct nfs_conf_entry *e = nfs_conf_get(&c, keys[i][0], keys[i][1]);

                        if (e)
                                (void)strlen(e->origin);
                }
        nfs_conf_done(&c);
        return 0;
}

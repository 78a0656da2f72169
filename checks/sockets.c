/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sockets.h"

#include <stdio.h>
#include <string.h>

#include "hostfs.h"
#include "lineiter.h"
#include "pathnames.h"

#define TCP_LISTEN 0x0A /* include/net/tcp_states.h */

/* One table: "   0: 0100007F:0CEA 00000000:0000 0A ..." (local address:port in hex, then remote, state). */
static int mark_listening(const char *text, unsigned min, unsigned max, bool *taken)
{
        LINE_FOREACH(l, text)
        {
                _cleanup_free_ char *line = line_iter_dup(&l);
                unsigned port, state;

                if (!line)
                        return -ENOMEM;
                /* the heading line does not scan */
                if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &port, &state) != 2)
                        continue;
                if (state == TCP_LISTEN && port >= min && port <= max)
                        taken[port - min] = true;
        }
        return 0;
}

int sockets_tcp_listening(const struct hostfs *fs, unsigned min, unsigned max, bool *taken)
{
        const char *const files[] = {PATH_PROC_NET_TCP, PATH_PROC_NET_TCP6};
        bool any = false;
        int r;

        memset(taken, 0, (max - min + 1) * sizeof(*taken));
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *text = NULL;

                r = hostfs_read_file(fs, files[i], &text, NULL);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                any = true;
                r = mark_listening(text, min, max, taken);
                if (r < 0)
                        return r;
        }
        return any ? 0 : -ENOENT;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* profile_to_text(): the profile a controller sends its peers, byte for byte (templates/peer-profile.conf
 * and the entries grouped by section, in order). */
#include <stdlib.h>

#include "conf.h"
#include "peers.h"
#include "test-util.h"

int main(void)
{
        _cleanup_free_ char *text = NULL;
        struct conf c = {.name = (char *)"golden"};

        CHECK(conf_set(&c, "nfs", "export", "/srv/nfs/images", "t:1") >= 0, "conf_set");
        CHECK(conf_set(&c, "hosts", "h1", "hypervisor", "t:2") >= 0, "conf_set");
        CHECK(conf_set(&c, "nfs", "version", "4.2", "t:3") >= 0, "conf_set");
        text = profile_to_text(&c);
        CHECK(text && streq(text,
                            "# sent by hostprep: the profile as the controlling host loaded it\n[nfs]\nexport = /srv/nfs/images\nversion = 4.2\n[hosts]\nh1 = hypervisor\n"),
              "profile text:\n%s", text ? text : "(null)");
        c.name = NULL;
        conf_done(&c);
        return failures ? 1 : 0;
}

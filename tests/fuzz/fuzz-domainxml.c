/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libvirt domain XML (lib/domainxml.c): parsed, then every disk's cache set as libvirt.domains' fix does. */
#include "domainxml.h"
#include "fuzz.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(domain_def_freep) struct domain_def *d = NULL;
        _cleanup_free_ char *text = fuzz_text(data, size), *error = NULL, *edited = NULL, *error2 = NULL,
                            *origin = NULL;
        _cleanup_(strv_freep) char **targets = NULL;

        if (!text)
                return 0;
        if (domain_xml_parse("/etc/libvirt/qemu/guest.xml", text, size, &d, &error) < 0)
                return 0;
        origin = domain_origin(d, d->line);
        for (size_t i = 0; i < d->n_disks; i++)
                if (d->disks[i].target && !strv_contains(targets, d->disks[i].target) &&
                    strv_push_dup(&targets, d->disks[i].target) < 0)
                        return 0;
        (void)domain_xml_set_disk_cache("/etc/libvirt/qemu/guest.xml", text, targets, "none", &edited,
                                        &error2);
        return 0;
}

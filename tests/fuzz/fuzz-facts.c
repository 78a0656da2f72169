/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The parsers behind `hostprep facts` (src/facts.c, src/facts-libvirt.c): /proc/cpuinfo, a program's
 * --version output, and libvirt's capabilities, domain capabilities and domain XML, each given the
 * input. */
#include "facts.h"
#include "fuzz.h"
#include "json-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size), *version = NULL;
        _cleanup_(json_object_putp) json_object *cpu = NULL, *domcaps = json_object_new_object(),
                                                *machines = NULL, *guests = json_object_new_object();

        if (!text || !domcaps || !guests)
                return 0;
        (void)facts_cpuinfo_parse(text, &cpu);
        (void)facts_version_parse(text, &version);
        (void)facts_libvirt_domcaps(text, domcaps);
        (void)facts_libvirt_machines(text, &machines);
        (void)facts_libvirt_guest(text, NULL, true, guests);
        (void)facts_libvirt_guest(text, text, false, guests);
        return 0;
}

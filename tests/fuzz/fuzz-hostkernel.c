/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The running kernel's files (lib/hostkernel.c): the text as /proc/meminfo, /proc/cpuinfo,
 * /proc/self/cgroup and a cgroup.controllers, asked what kernel.* asks of them. */
#include "fuzz.h"
#include "hostkernel.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);
        _cleanup_(strv_freep) char **v1 = NULL, **v2 = NULL;
        uint64_t kib;

        if (!text)
                return 0;
        (void)meminfo_get_kib(text, "MemAvailable", &kib);
        (void)meminfo_get_kib(text, "MemTotal", &kib);
        (void)cpuinfo_has_flag(text, "vmx");
        (void)cpuinfo_has_flag(text, "svm");
        (void)proc_cgroup_v1_controllers(text, &v1);
        (void)cgroup_controllers_parse(text, &v2);
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* LSM denials in audit.log and the kernel log (lib/lsmlog.c), and what security.* decides of them
 * (lib/lsmstate.c): every line as an AVC and an AppArmor record, their fields, whether they are about
 * the shared storage; the first line also as SELinux's config value and a security_driver. */
#include "fuzz.h"
#include "lsmlog.h"
#include "lsmstate.h"

static void record(const char *line)
{
        _cleanup_free_ char *field = NULL, *type = NULL;
        struct avc_record avc = {};
        struct apparmor_record aa = {};

        if (avc_record_parse(line, &avc) >= 0) {
                (void)avc_record_relevant(&avc, "/var/lib/libvirt/images");
                if (avc.scontext)
                        type = selinux_context_type(avc.scontext);
                avc_record_done(&avc);
        }
        if (apparmor_record_parse(line, &aa) >= 0) {
                (void)apparmor_record_relevant(&aa, "/var/lib/libvirt/images/");
                if (aa.name)
                        (void)path_below(aa.name, "/var/lib/libvirt/images");
                apparmor_record_done(&aa);
        }
        (void)audit_field(line, "name", &field);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);
        enum security_driver d;
        char *p, *nl;

        if (!text)
                return 0;
        for (p = text; p; p = nl) {
                nl = strchr(p, '\n');
                if (nl)
                        *nl++ = '\0';
                record(p);
                if (p == text) {
                        (void)selinux_mode_from_config(p);
                        (void)security_driver_from_string(p);
                        (void)security_driver_pick(p, true, false, &d);
                        (void)selinux_boolean_for_fstype(p);
                        (void)selinux_boolean_for_label(p);
                }
        }
        return 0;
}

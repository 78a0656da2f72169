/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libvirtd.conf / qemu.conf text (lib/libvirt-conf.c): parsed, every name read with each typed lookup,
 * and the first name edited in place, as libvirt.listen's fix does. */
#include "fuzz.h"
#include "libvirt-conf.h"
#include "strv.h"

static void lookups(const struct libvirt_conf *c, const char *name)
{
        _cleanup_free_ char *s = NULL, *origin = libvirt_conf_origin(c, name);
        _cleanup_(strv_freep) char **list = NULL, **compat = NULL;
        bool b;
        int i;
        unsigned u;

        (void)libvirt_conf_get_string(c, name, &s);
        (void)libvirt_conf_get_string_list(c, name, false, &list);
        (void)libvirt_conf_get_string_list(c, name, true, &compat);
        (void)libvirt_conf_get_bool(c, name, &b);
        (void)libvirt_conf_get_int(c, name, &i);
        (void)libvirt_conf_get_uint(c, name, &u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(libvirt_conf_freep) struct libvirt_conf *c = NULL;
        _cleanup_free_ char *text = fuzz_text(data, size), *error = NULL, *edited = NULL, *error2 = NULL;

        if (!text)
                return 0;
        if (libvirt_conf_parse("/etc/libvirt/libvirtd.conf", text, size, &c, &error) < 0)
                return 0;
        for (size_t i = 0; i < c->n_entries; i++)
                lookups(c, c->entries[i].name);
        lookups(c, "listen_tls");
        (void)libvirt_conf_edit("/etc/libvirt/libvirtd.conf", text,
                                c->n_entries ? c->entries[0].name : "listen_tcp", "listen_tcp = 1",
                                "listen_tcp = 1\n", &edited, &error2);
        return 0;
}

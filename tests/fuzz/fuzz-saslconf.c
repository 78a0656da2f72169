/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Cyrus SASL's /etc/sasl2/libvirt.conf text (lib/saslconf.c). */
#include "fuzz.h"
#include "saslconf.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);
        struct sasl_conf c = {0};

        if (!text || sasl_conf_parse(text, &c) < 0)
                return 0;
        STRV_FOREACH (m, c.mechanisms)
                (void)sasl_mechanism_uses_sasldb(*m);
        sasl_conf_done(&c);
        return 0;
}

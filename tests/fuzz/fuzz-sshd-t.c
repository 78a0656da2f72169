/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `sshd -T` output (lib/sshdconf.c), as ssh.root reads it. */
#include "fuzz.h"
#include "sshdconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);
        struct sshd_settings s;

        if (text && sshd_settings_parse(text, &s) >= 0)
                sshd_settings_done(&s);
        return 0;
}

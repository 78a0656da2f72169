/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `xl info` output (lib/xlinfo.c): the fields, and the capability lookup on what was parsed. */
#include "fuzz.h"
#include "xlinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);
        struct xl_info info;
        unsigned line;

        if (!text || xl_info_parse(text, &info, &line) < 0)
                return 0;
        (void)xl_info_has_cap(&info, "shadow");
        (void)xl_info_has_cap(&info, "");
        xl_info_done(&info);
        return 0;
}

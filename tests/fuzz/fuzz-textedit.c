/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The text edits fixes make (lib/textedit.c): where a setting goes, added there, and a splice at offsets
 * taken from the input. */
#include "fuzz.h"
#include "textedit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = NULL, *added = NULL, *spliced = NULL, *again = NULL;
        size_t len, a, b, at;

        if (size < 2)
                return 0;
        text = fuzz_text(data + 2, size - 2);
        if (!text)
                return 0;
        len = strlen(text);
        a = len ? data[0] % (len + 1) : 0;
        b = len ? data[1] % (len + 1) : 0;
        if (a > b) {
                size_t t = a;
                a = b;
                b = t;
        }
        at = text_example_end(text, "listen_tls");
        if (at > len)
                abort(); /* the contract: an offset into text */
        added = text_add_setting(text, "listen_tls", "listen_tls = 0\n");
        spliced = text_splice(text, a, b, "X");
        again = text_splice(text, len, len, "tail");
        return 0;
}

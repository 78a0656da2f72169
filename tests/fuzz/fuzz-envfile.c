/* SPDX-License-Identifier: GPL-2.0-or-later */
/* EnvironmentFile= text (lib/envfile.c): the value of a variable, and the text with it set. */
#include "envfile.h"
#include "fuzz.h"

static void variable(const char *text, const char *var)
{
        _cleanup_free_ char *value = NULL, *set = NULL;
        unsigned line;

        (void)env_file_value(text, var, &value, &line);
        (void)env_file_set(text, var, "LIBVIRTD_ARGS=\"--listen\"", "LIBVIRTD_ARGS=\"--listen\"\n", &set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size), *first = NULL;

        if (!text)
                return 0;
        variable(text, "LIBVIRTD_ARGS");
        /* the first line's name: one the file assigns, whatever the fuzzer wrote */
        first = strndup(text, strcspn(text, "=\n"));
        if (first && *first)
                variable(text, first);
        return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A profile (src/profile.c over libinih): the input as a profile file beside one it may include (by name
 * or as base.conf), loaded with every key's validation, then sent to peers as text and loaded again. */
#include "fuzz.h"
#include "peers.h"
#include "profile.h"

static const char base[] = "[nfs]\nserver = nfs1\nexport = /srv/nfs/images\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *path = NULL, *dir = NULL, *error = NULL;
        char *dirs[2] = {NULL, NULL};
        struct conf c = {0};

        if (size > FUZZ_MAX_INPUT || fuzz_write_file("profiles/fuzz.conf", data, size) < 0 ||
            fuzz_write_file("profiles/base.conf", (const uint8_t *)base, sizeof(base) - 1) < 0)
                return 0;
        if (asprintf(&dir, "%s/profiles", fuzz_dir()) < 0 || asprintf(&path, "%s/fuzz.conf", dir) < 0)
                return 0;
        dirs[0] = dir;
        if (profile_load(path, dirs, &c, &error) < 0)
                return 0;
        {
                _cleanup_free_ char *text = profile_to_text(&c), *error2 = NULL;
                struct conf again = {0};

                /* what a peer loads must load: every value passed validation once */
                if (text &&
                    fuzz_write_file("profiles/again.conf", (const uint8_t *)text, strlen(text)) == 0) {
                        _cleanup_free_ char *again_path = NULL;
                        if (asprintf(&again_path, "%s/again.conf", dir) >= 0 &&
                            profile_load(again_path, dirs, &again, &error2) < 0) {
                                fprintf(stderr, "the peers' text of a valid profile does not load: %s\n%s\n",
                                        error2, text);
                                abort();
                        }
                        conf_done(&again);
                }
        }
        conf_done(&c);
        return 0;
}

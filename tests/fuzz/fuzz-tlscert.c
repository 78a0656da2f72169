/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PEM certificates and keys (lib/tlscert.c over GnuTLS): the input read as a certificate file and as a
 * key file below a root, then everything the libvirt.listen checks ask of a certificate that loads. */
#include <time.h>

#include "fuzz.h"
#include "hostfs.h"
#include "strv.h"
#include "tlscert.h"

static void certificate(const struct tlscert *c, const struct tlskey *k)
{
        _cleanup_(strv_freep) char **names = NULL;
        _cleanup_free_ char *subject = NULL, *issuer = NULL, *reason = NULL, *when = NULL;
        struct tlscert_time t;

        tlscert_validity(c, time(NULL), 30 * 86400, &t);
        when = tlscert_format_time(t.expiration);
        for (enum tlscert_use u = 0; u < _TLSCERT_USE_MAX; u++) {
                _cleanup_free_ char *problem = NULL;
                (void)tlscert_usage_problem(c, u, &problem);
        }
        (void)tlscert_names_host(c, "hv1.example.org");
        (void)tlscert_names(c, &names);
        (void)tlscert_subject(c, &subject);
        (void)tlscert_issuer(c, &issuer);
        (void)tlscert_verify(c, c, &reason);
        if (k)
                (void)tlscert_key_matches(c, k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(hostfs_freep) struct hostfs *fs = NULL;
        _cleanup_(tlscert_freep) struct tlscert *c = NULL;
        _cleanup_(tlskey_freep) struct tlskey *k = NULL;
        _cleanup_free_ char *e1 = NULL, *e2 = NULL;

        if (size > FUZZ_MAX_INPUT || fuzz_write_file("root/cert.pem", data, size) < 0)
                return 0;
        {
                _cleanup_free_ char *root = NULL;
                if (asprintf(&root, "%s/root", fuzz_dir()) < 0 || hostfs_new(root, &fs) < 0)
                        return 0;
        }
        (void)tlskey_load(fs, "/cert.pem", &k, &e2);
        if (tlscert_load(fs, "/cert.pem", &c, &e1) >= 0)
                certificate(c, k);
        return 0;
}

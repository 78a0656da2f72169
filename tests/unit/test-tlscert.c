/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/tlscert against a real CA and certificates that test-tlscert.sh made with certtool just before
 * (the directory is the test's root): a good chain, another CA, a CA bundle, expired and not yet valid
 * certificates, a host name the certificate lacks, a key of another pair, garbage and encrypted files,
 * and the uses libvirt refuses a certificate for (an ECDSA one, which certtool gives no key encipherment).
 *   test-tlscert DIR */
#include "test-util.h"

#include <errno.h>
#include <string.h>

#include "hostfs.h"
#include "strv.h"
#include "tlscert.h"
#include "util.h"

static struct hostfs *fs;

static struct tlscert *cert(const char *path)
{
        _cleanup_free_ char *error = NULL;
        struct tlscert *c = NULL;
        int r = tlscert_load(fs, path, &c, &error);

        CHECK(r == 0, "load %s: %s (%s)", path, strerror(-r), strna(error));
        return c;
}

static struct tlskey *key(const char *path)
{
        _cleanup_free_ char *error = NULL;
        struct tlskey *k = NULL;
        int r = tlskey_load(fs, path, &k, &error);

        CHECK(r == 0, "load key %s: %s (%s)", path, strerror(-r), strna(error));
        return k;
}

/* A chain the CA issued, one another CA issued, and the CA in a bundle of two. */
static void test_chain(void)
{
        _cleanup_(tlscert_freep) struct tlscert *ca = cert("/ca.pem"), *other = cert("/other.pem"),
                                                *bundle = cert("/bundle.pem"), *good = cert("/good.pem"),
                                                *stranger = cert("/stranger.pem");
        _cleanup_free_ char *reason = NULL;

        if (!ca || !other || !bundle || !good || !stranger)
                return;
        CHECK(tlscert_verify(good, ca, &reason) == 1, "good chains to ca");
        CHECK(tlscert_verify(good, bundle, &reason) == 1, "good chains to the bundle");
        CHECK(tlscert_verify(good, other, &reason) == 0 && reason && strstr(reason, "issuer"),
              "good against another CA: %s", strna(reason));
        free(reason);
        reason = NULL;
        CHECK(tlscert_verify(stranger, ca, &reason) == 0 && reason, "stranger against ca: %s",
              strna(reason));
}

/* The key of the pair matches; another pair's does not. */
static void test_key(void)
{
        _cleanup_(tlscert_freep) struct tlscert *good = cert("/good.pem");
        _cleanup_(tlskey_freep) struct tlskey *own = key("/good.key"), *foreign = key("/stranger.key");

        if (!good || !own || !foreign)
                return;
        CHECK(tlscert_key_matches(good, own) == 1, "good.key is good's");
        CHECK(tlscert_key_matches(good, foreign) == 0, "stranger.key is not good's");
}

/* Validity at the real time, dates the templates fixed, and a warning period longer than the rest. */
static void test_validity(void)
{
        _cleanup_(tlscert_freep) struct tlscert *good = cert("/good.pem"), *expired = cert("/expired.pem"),
                                                *future = cert("/future.pem"), *ca = cert("/ca.pem");
        _cleanup_free_ char *reason = NULL, *text = NULL;
        struct tlscert_time t;
        time_t now = time(NULL);

        if (!good || !expired || !future || !ca)
                return;
        tlscert_validity(good, now, 30 * 86400, &t);
        CHECK(t.validity == TLSCERT_VALID && t.index == 0 && t.expiration > now + 99 * 365 * 86400L,
              "good: %d until %lld", t.validity, (long long)t.expiration);
        tlscert_validity(good, now, 200 * 365 * 86400L, &t);
        CHECK(t.validity == TLSCERT_EXPIRING, "good within 200 years: %d", t.validity);
        tlscert_validity(expired, now, 30 * 86400, &t);
        text = tlscert_format_time(t.expiration);
        CHECK(t.validity == TLSCERT_EXPIRED && t.expiration == 1009843200 &&
                      streq(text, "2002-01-01 00:00:00 UTC"),
              "expired: %d %s", t.validity, text);
        tlscert_validity(future, now, 30 * 86400, &t);
        CHECK(t.validity == TLSCERT_NOT_YET_VALID && t.activation == 3786912000, "future: %d %lld",
              t.validity, (long long)t.activation);
        /* the chain is told apart from the dates */
        CHECK(tlscert_verify(expired, ca, &reason) == 1, "expired still chains: %s", strna(reason));
}

static void test_usage(void)
{
        _cleanup_(tlscert_freep) struct tlscert *ca = cert("/ca.pem"), *good = cert("/good.pem"),
                                                *client = cert("/stranger.pem"), *ecdsa = cert("/ecdsa.pem");
        static const struct {
                int which;
                enum tlscert_use use;
                const char *problem;
        } cases[] = {
                {0, TLSCERT_USE_CA, NULL},
                {1, TLSCERT_USE_SERVER, NULL},
                {2, TLSCERT_USE_CLIENT, NULL},
                {0, TLSCERT_USE_SERVER, "show a CA"},
                {1, TLSCERT_USE_CA, "do not show a CA"},
                /* certtool writes the key purpose not critical: libvirt then only logs a warning */
                {1, TLSCERT_USE_CLIENT, NULL},
                {2, TLSCERT_USE_SERVER, NULL},
                {3, TLSCERT_USE_SERVER, "does not permit key encipherment"},
        };
        const struct tlscert *certs[] = {ca, good, client, ecdsa};

        if (!ca || !good || !client || !ecdsa)
                return;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *problem = NULL;
                int r = tlscert_usage_problem(certs[cases[i].which], cases[i].use, &problem);

                CHECK(cases[i].problem ? r == 1 && strstr(problem, cases[i].problem) : r == 0 && !problem,
                      "usage case %zu: %d %s", i, r, strna(problem));
        }
}

static void test_names(void)
{
        _cleanup_(tlscert_freep) struct tlscert *good = cert("/good.pem");
        _cleanup_(strv_freep) char **names = NULL;
        _cleanup_free_ char *subject = NULL, *issuer = NULL, *list = NULL;

        if (!good)
                return;
        CHECK(tlscert_names_host(good, "hv1") && tlscert_names_host(good, "HV1.example.com"),
              "good names hv1");
        CHECK(!tlscert_names_host(good, "hv2") && !tlscert_names_host(good, "hv1.other.org"),
              "good names no other host");
        CHECK(tlscert_names(good, &names) == 0 && (list = strv_join(names, ",")) &&
                      streq(list, "hv1,hv1.example.com"),
              "names: %s", strna(list));
        CHECK(tlscert_subject(good, &subject) == 0 && streq(subject, "CN=hv1"), "subject %s",
              strna(subject));
}

/* A file that is not PEM, a truncated one, an encrypted key, a key where a certificate belongs, and one
 * that is not there: each refused with its reason. */
static void test_refused(void)
{
        static const struct {
                const char *path, *reason;
                bool key;
        } cases[] = {
                {"/garbage.pem", "no PEM block", false},
                {"/truncated.pem", "", false},
                {"/good.key", "", false},
                {"/garbage.pem", "no PEM block", true},
                {"/encrypted.key", "encrypted", true},
                {"/good.pem", "", true},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(tlscert_freep) struct tlscert *c = NULL;
                _cleanup_(tlskey_freep) struct tlskey *k = NULL;
                _cleanup_free_ char *error = NULL;
                int r = cases[i].key ? tlskey_load(fs, cases[i].path, &k, &error)
                                     : tlscert_load(fs, cases[i].path, &c, &error);

                CHECK(r == -EBADMSG && error && strstr(error, cases[i].reason) && !c && !k,
                      "%s as %s: %d %s", cases[i].path, cases[i].key ? "key" : "certificate", r,
                      strna(error));
        }
        {
                _cleanup_(tlscert_freep) struct tlscert *c = NULL;
                _cleanup_free_ char *error = NULL;

                CHECK(tlscert_load(fs, "/missing.pem", &c, &error) == -ENOENT && !error, "missing file");
        }
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: test-tlscert DIR (run by test-tlscert.sh)\n");
                return 2;
        }
        if (hostfs_new(argv[1], &fs) < 0)
                return 1;
        test_chain();
        test_key();
        test_validity();
        test_usage();
        test_names();
        test_refused();
        hostfs_free(fs);
        if (failures)
                fprintf(stderr, "%d failures\n", failures);
        return failures ? 1 : 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * X.509 certificates and keys in PEM files, proven with GnuTLS the way libvirt's TLS layer
 * (src/rpc/virnettlscontext.c) uses them. GnuTLS and not OpenSSL, because that is what libvirt links:
 * Debian 12's libvirt0 has libgnutls.so.30 among its NEEDED libraries and no libssl (ldd shows libcrypto
 * only through other libraries), so a file GnuTLS refuses here is one libvirtd refuses to load.
 *
 * Files are read through hostfs (the checked root may be --root). Nothing here prints: every answer is
 * data (a yes/no, the reason GnuTLS gives, the dates) for the caller to report.
 */

#include <stdbool.h>
#include <time.h>

#include "macro.h"

struct hostfs;

/* The certificates of one PEM file in file order: a server's or client's own first, then any chain. */
struct tlscert;
/* One unencrypted private key (libvirt reads keys without a passphrase). */
struct tlskey;

/* Reads path below the root. -errno when it cannot be read; -EBADMSG when it holds no certificate GnuTLS
 * accepts, with GnuTLS's reason in *ret_error (a sentence; untouched on other errors). */
int tlscert_load(const struct hostfs *fs, const char *path, struct tlscert **ret, char **ret_error);
struct tlscert *tlscert_free(struct tlscert *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct tlscert *, tlscert_free)

/* The same for a private key (PKCS#1, PKCS#8 or SEC1, in PEM). An encrypted key is -EBADMSG too. */
int tlskey_load(const struct hostfs *fs, const char *path, struct tlskey **ret, char **ret_error);
struct tlskey *tlskey_free(struct tlskey *k);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct tlskey *, tlskey_free)

/* 1 when k is the private key of c's first certificate (the same public key), 0 when not. */
int tlscert_key_matches(const struct tlscert *c, const struct tlskey *k);

/* 1 when c's first certificate chains, through the rest of c, to a certificate of ca; 0 when not, with
 * GnuTLS's reason in *ret_reason ("The certificate issuer is unknown."). Times are not looked at here
 * (tlscert_validity() tells them apart), as a revoked or expired certificate is its own finding. */
int tlscert_verify(const struct tlscert *c, const struct tlscert *ca, char **ret_reason);

enum tlscert_validity {
        TLSCERT_VALID,
        TLSCERT_EXPIRING, /* valid, but expires within the warning period */
        TLSCERT_EXPIRED,
        TLSCERT_NOT_YET_VALID,
        _TLSCERT_VALIDITY_MAX,
};

struct tlscert_time {
        enum tlscert_validity validity;
        unsigned index; /* which certificate of the file: 0 for the first */
        time_t activation, expiration;
};

/* The worst validity at now of c's certificates (not yet valid, expired, expiring within warn seconds,
 * valid), and that certificate's dates; for a valid file, those of the one that expires first. */
void tlscert_validity(const struct tlscert *c, time_t now, time_t warn, struct tlscert_time *ret);

enum tlscert_use {
        TLSCERT_USE_CA,
        TLSCERT_USE_SERVER,
        TLSCERT_USE_CLIENT,
        _TLSCERT_USE_MAX,
};

/* What libvirt's sanity check of its own certificates (virNetTLSContextCheckCert) refuses for use: basic
 * constraints, a critical key usage or key purpose that do not allow it; in every certificate of a CA
 * file, else in the first. 0 when nothing, 1 with the reason in *ret_problem. libvirt 9.0 (Debian 12)
 * wants key encipherment of an EC key too, as later versions no longer do: its rule is followed. */
int tlscert_usage_problem(const struct tlscert *c, enum tlscert_use use, char **ret_problem);

/* Whether c's first certificate names host as a TLS client checks it (RFC 6125: its DNS names, else its
 * common name). */
bool tlscert_names_host(const struct tlscert *c, const char *host);
/* The names c's first certificate gives: its DNS and IP subject alternative names, then its common name
 * when it has no DNS name. */
int tlscert_names(const struct tlscert *c, char ***ret);
/* c's first certificate's subject, as an RFC 4514 DN ("CN=hv1,O=Example"). */
int tlscert_subject(const struct tlscert *c, char **ret);
/* The same for who issued it. */
int tlscert_issuer(const struct tlscert *c, char **ret);

/* t as "2025-01-31 12:00:00 UTC". */
char *tlscert_format_time(time_t t);

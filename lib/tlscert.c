/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tlscert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>

#include "hostfs.h"
#include "strv.h"
#include "util.h"

struct tlscert {
        gnutls_x509_crt_t *certs;
        unsigned n;
};

struct tlskey {
        gnutls_x509_privkey_t key;
};

/* A file GnuTLS refused: why in *ret_error, -EBADMSG (or -ENOMEM). GnuTLS's own words say little when
 * the file is no PEM at all ("The requested data were not available.") or an encrypted key: those are
 * told by the text. */
static int refused(int code, const char *text, char **ret_error)
{
        char *reason;

        if (code == GNUTLS_E_MEMORY_ERROR)
                return -ENOMEM;
        if (!strstr(text, "-----BEGIN "))
                reason = strdup("no PEM block (-----BEGIN ...-----) in it");
        else if (strstr(text, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
                 strstr(text, "Proc-Type: 4,ENCRYPTED"))
                reason = strdup("the key is encrypted, and libvirt has no passphrase to give");
        else
                reason = strdup(gnutls_strerror(code));
        if (!reason)
                return -ENOMEM;
        *ret_error = reason;
        return -EBADMSG;
}

/* The file's text below the root, and the same as GnuTLS takes it (hostfs bounds its size). */
static int read_datum(const struct hostfs *fs, const char *path, char **ret_text, gnutls_datum_t *ret)
{
        size_t len = 0;
        int r = hostfs_read_file(fs, path, ret_text, &len);

        if (r < 0)
                return r;
        *ret = (gnutls_datum_t){(unsigned char *)*ret_text, (unsigned)len};
        return 0;
}

struct tlscert *tlscert_free(struct tlscert *c)
{
        if (!c)
                return NULL;
        for (unsigned i = 0; i < c->n; i++)
                gnutls_x509_crt_deinit(c->certs[i]);
        gnutls_free(c->certs);
        free(c);
        return NULL;
}

int tlscert_load(const struct hostfs *fs, const char *path, struct tlscert **ret, char **ret_error)
{
        _cleanup_(tlscert_freep) struct tlscert *c = NULL;
        _cleanup_free_ char *text = NULL;
        gnutls_datum_t d;
        int r = read_datum(fs, path, &text, &d);

        if (r < 0)
                return r;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        r = gnutls_x509_crt_list_import2(&c->certs, &c->n, &d, GNUTLS_X509_FMT_PEM, 0);
        if (r < 0 || c->n == 0)
                return refused(r < 0 ? r : GNUTLS_E_NO_CERTIFICATE_FOUND, text, ret_error);
        *ret = TAKE_PTR(c);
        return 0;
}

struct tlskey *tlskey_free(struct tlskey *k)
{
        if (!k)
                return NULL;
        if (k->key)
                gnutls_x509_privkey_deinit(k->key);
        free(k);
        return NULL;
}

int tlskey_load(const struct hostfs *fs, const char *path, struct tlskey **ret, char **ret_error)
{
        _cleanup_(tlskey_freep) struct tlskey *k = NULL;
        _cleanup_free_ char *text = NULL;
        gnutls_datum_t d;
        int r = read_datum(fs, path, &text, &d);

        if (r < 0)
                return r;
        k = calloc(1, sizeof(*k));
        if (!k || gnutls_x509_privkey_init(&k->key) < 0) {
                explicit_bzero(text, d.size);
                return -ENOMEM;
        }
        /* no passphrase: libvirt has none to give, so an encrypted key fails here as it does there */
        r = gnutls_x509_privkey_import2(k->key, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
        if (r < 0)
                r = refused(r, text, ret_error);
        explicit_bzero(text, d.size); /* the key's text stays in no freed memory */
        if (r < 0)
                return r;
        *ret = TAKE_PTR(k);
        return 0;
}

int tlscert_key_matches(const struct tlscert *c, const struct tlskey *k)
{
        /* the key ids are digests of the public key: equal ids, the same key pair */
        unsigned char a[64], b[64];
        size_t na = sizeof(a), nb = sizeof(b);

        if (gnutls_x509_crt_get_key_id(c->certs[0], GNUTLS_KEYID_USE_SHA256, a, &na) < 0 ||
            gnutls_x509_privkey_get_key_id(k->key, GNUTLS_KEYID_USE_SHA256, b, &nb) < 0)
                return -EINVAL;
        return na == nb && memcmp(a, b, na) == 0;
}

int tlscert_verify(const struct tlscert *c, const struct tlscert *ca, char **ret_reason)
{
        const unsigned flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS;
        gnutls_datum_t out = {NULL, 0};
        unsigned status = 0;
        char *reason;
        int r;

        r = gnutls_x509_crt_list_verify(c->certs, c->n, ca->certs, ca->n, NULL, 0, flags, &status);
        if (r < 0)
                return r == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EINVAL;
        if (status == 0)
                return 1;
        r = gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0);
        if (r == GNUTLS_E_MEMORY_ERROR)
                return -ENOMEM;
        reason = r < 0 ? strdup("GnuTLS does not say why") : strndup((const char *)out.data, out.size);
        gnutls_free(out.data);
        if (!reason)
                return -ENOMEM;
        *ret_reason = reason;
        return 0;
}

static enum tlscert_validity validity_at(time_t activation, time_t expiration, time_t now, time_t warn)
{
        if (activation != (time_t)-1 && now < activation)
                return TLSCERT_NOT_YET_VALID;
        if (expiration != (time_t)-1 && now >= expiration)
                return TLSCERT_EXPIRED;
        if (expiration != (time_t)-1 && expiration - now <= warn)
                return TLSCERT_EXPIRING;
        return TLSCERT_VALID;
}

void tlscert_validity(const struct tlscert *c, time_t now, time_t warn, struct tlscert_time *ret)
{
        struct tlscert_time worst = {.validity = _TLSCERT_VALIDITY_MAX};

        for (unsigned i = 0; i < c->n; i++) {
                struct tlscert_time t = {
                        .index = i,
                        .activation = gnutls_x509_crt_get_activation_time(c->certs[i]),
                        .expiration = gnutls_x509_crt_get_expiration_time(c->certs[i]),
                };

                t.validity = validity_at(t.activation, t.expiration, now, warn);
                /* the worst finding; among equals, the certificate that ends first */
                if (worst.validity == _TLSCERT_VALIDITY_MAX || t.validity > worst.validity ||
                    (t.validity == worst.validity && t.expiration < worst.expiration))
                        worst = t;
        }
        *ret = worst;
}

static const char *basic_constraints_problem(gnutls_x509_crt_t crt, bool ca)
{
        int r = gnutls_x509_crt_get_basic_constraints(crt, NULL, NULL, NULL);

        if (r > 0 && !ca)
                return "its basic constraints show a CA, and libvirt wants none here";
        if (r == 0 && ca)
                return "its basic constraints do not show a CA";
        if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE && ca)
                return "it has no basic constraints, which a CA needs";
        if (r < 0 && r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
                return "GnuTLS cannot read its basic constraints";
        return NULL;
}

/* A key usage that is not critical only makes libvirt log a warning. */
static const char *key_usage_problem(gnutls_x509_crt_t crt, bool ca)
{
        unsigned usage = 0, critical = 0;
        int r = gnutls_x509_crt_get_key_usage(crt, &usage, &critical);

        if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE || (r >= 0 && !critical))
                return NULL;
        if (r < 0)
                return "GnuTLS cannot read its key usage";
        if (ca && !(usage & GNUTLS_KEY_KEY_CERT_SIGN))
                return "its key usage (critical) does not permit certificate signing";
        if (!ca && !(usage & GNUTLS_KEY_DIGITAL_SIGNATURE))
                return "its key usage (critical) does not permit digital signature";
        if (!ca && !(usage & GNUTLS_KEY_KEY_ENCIPHERMENT))
                return "its key usage (critical) does not permit key encipherment";
        return NULL;
}

/* As libvirt reads them: no key purpose at all allows both uses, and so does any purpose but the two of
 * TLS and, oddly, anyExtendedKeyUsage. */
static const char *key_purpose_problem(gnutls_x509_crt_t crt, bool server)
{
        bool allowed = false, critical = false;
        unsigned i;

        for (i = 0;; i++) {
                char oid[128]; /* a dotted OID, not a name or a message */
                size_t size = sizeof(oid);
                unsigned crit = 0;
                int r = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &size, &crit);

                if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
                        break;
                if (r < 0)
                        return "GnuTLS cannot read its key purpose";
                critical = critical || crit;
                if (streq(oid, server ? GNUTLS_KP_TLS_WWW_SERVER : GNUTLS_KP_TLS_WWW_CLIENT) ||
                    (!streq(oid, GNUTLS_KP_TLS_WWW_SERVER) && !streq(oid, GNUTLS_KP_TLS_WWW_CLIENT) &&
                     !streq(oid, GNUTLS_KP_ANY)))
                        allowed = true;
        }
        if (i == 0 || allowed || !critical)
                return NULL;
        return server ? "its key purpose (critical) does not allow a TLS server"
                      : "its key purpose (critical) does not allow a TLS client";
}

int tlscert_usage_problem(const struct tlscert *c, enum tlscert_use use, char **ret_problem)
{
        const bool ca = use == TLSCERT_USE_CA;

        for (unsigned i = 0; i < (ca ? c->n : 1); i++) {
                const char *problem = basic_constraints_problem(c->certs[i], ca);

                if (!problem)
                        problem = key_usage_problem(c->certs[i], ca);
                if (!problem && !ca)
                        problem = key_purpose_problem(c->certs[i], use == TLSCERT_USE_SERVER);
                if (!problem)
                        continue;
                *ret_problem = i ? strdup_printf("certificate %u of the file: %s", i + 1, problem)
                                 : strdup(problem);
                return *ret_problem ? 1 : -ENOMEM;
        }
        return 0;
}

bool tlscert_names_host(const struct tlscert *c, const char *host)
{
        return gnutls_x509_crt_check_hostname(c->certs[0], host) != 0;
}

/* A subject alternative name as text: DNS names as they are, IP addresses in their usual notation. */
static char *san_text(int type, const unsigned char *data, size_t size)
{
        char ip[INET6_ADDRSTRLEN];

        if (type == GNUTLS_SAN_DNSNAME)
                return strndup((const char *)data, size);
        if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16) &&
            inet_ntop(size == 16 ? AF_INET6 : AF_INET, data, ip, sizeof(ip)))
                return strdup(ip);
        return NULL;
}

/* The seq-th subject alternative name of crt and its type, allocated to its size. */
static int san_get(gnutls_x509_crt_t crt, unsigned seq, unsigned char **ret, size_t *ret_size)
{
        size_t size = 0;
        int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, NULL, &size, NULL);
        unsigned char *buf;

        if (type != GNUTLS_E_SHORT_MEMORY_BUFFER)
                return type;
        buf = malloc(size + 1);
        if (!buf)
                return -ENOMEM;
        type = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf, &size, NULL);
        if (type < 0) {
                free(buf);
                return type;
        }
        *ret = buf;
        *ret_size = size;
        return type;
}

static int common_name(gnutls_x509_crt_t crt, char **ret)
{
        size_t size = 0;
        char *buf;
        int r = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, NULL, &size);

        if (r != GNUTLS_E_SHORT_MEMORY_BUFFER)
                return r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE ? 0 : -EINVAL;
        buf = malloc(size + 1);
        if (!buf)
                return -ENOMEM;
        if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &size) < 0) {
                free(buf);
                return -EINVAL;
        }
        *ret = buf;
        return 1;
}

int tlscert_names(const struct tlscert *c, char ***ret)
{
        _cleanup_(strv_freep) char **names = NULL;
        _cleanup_free_ char *cn = NULL;
        bool dns = false;
        int r;

        for (unsigned seq = 0;; seq++) {
                _cleanup_free_ unsigned char *data = NULL;
                size_t size = 0;
                int type = san_get(c->certs[0], seq, &data, &size);
                char *text;

                if (type == -ENOMEM)
                        return type;
                if (type < 0)
                        break; /* GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE: no more */
                dns = dns || type == GNUTLS_SAN_DNSNAME;
                text = san_text(type, data, size);
                if (text && strv_push(&names, text) < 0)
                        return -ENOMEM;
        }
        r = dns ? 0 : common_name(c->certs[0], &cn);
        if (r < 0)
                return r;
        if (cn && strv_push(&names, TAKE_PTR(cn)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(names);
        return 0;
}

static int dn_text(gnutls_x509_crt_t crt, bool issuer, char **ret)
{
        gnutls_datum_t dn = {NULL, 0};
        char *s;
        int r = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) : gnutls_x509_crt_get_dn3(crt, &dn, 0);

        if (r < 0)
                return r == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EINVAL;
        s = strndup((const char *)dn.data, dn.size);
        gnutls_free(dn.data);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int tlscert_subject(const struct tlscert *c, char **ret)
{
        return dn_text(c->certs[0], false, ret);
}

int tlscert_issuer(const struct tlscert *c, char **ret)
{
        return dn_text(c->certs[0], true, ret);
}

char *tlscert_format_time(time_t t)
{
        struct tm tm;

        if (!gmtime_r(&t, &tm))
                return strdup("an unknown time");
        return strdup_printf("%04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
                             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "uuid.h"

#include <ctype.h>

#include "util.h"

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char)tolower((unsigned char)c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int uuid_normalize(const char *s, char **ret)
{
        unsigned char b[16];
        size_t i = 0;

        while (*s == ' ')
                s++;
        while (i < sizeof(b)) {
                int hi, lo;

                if (*s == '-' || *s == ' ') {
                        s++;
                        continue;
                }
                hi = hex_value(s[0]);
                lo = hi < 0 ? -1 : hex_value(s[1]);
                if (lo < 0)
                        return -EINVAL;
                b[i++] = (unsigned char)(hi * 16 + lo);
                s += 2;
        }
        for (; *s; s++)
                if (!isspace((unsigned char)*s))
                        return -EINVAL;
        *ret = strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                             b[13], b[14], b[15]);
        return *ret ? 0 : -ENOMEM;
}

bool uuid_is_usable(const char *s)
{
        size_t len = strlen(s);

        /* every byte (hex pair, dashes skipped) equal to the first one */
        for (size_t i = 0; i + 1 < len; i += 2) {
                if (s[i] == '-' && ++i + 1 >= len)
                        break;
                if (s[i] != s[0] || s[i + 1] != s[1])
                        return true;
        }
        return false;
}

/* A normalized, usable UUID from s, or NULL. */
static char *uuid_usable(const char *s, bool *oom)
{
        _cleanup_free_ char *u = NULL;
        int r = s ? uuid_normalize(s, &u) : -EINVAL;

        if (r == -ENOMEM)
                *oom = true;
        return r >= 0 && uuid_is_usable(u) ? TAKE_PTR(u) : NULL;
}

void libvirt_host_uuid_done(struct libvirt_host_uuid *u)
{
        free(u->configured);
        free(u->effective);
        *u = (struct libvirt_host_uuid){};
}

int libvirt_host_uuid(const struct libvirt_conf *conf, int conf_error, const char *smbios,
                      const char *machine_id, struct libvirt_host_uuid *ret)
{
        _cleanup_free_ char *host_uuid = NULL, *source = NULL, *effective = NULL;
        const char *effective_source = NULL;
        bool oom = false;
        int r_uuid = -ENOENT, r_source = -ENOENT;

        /* an unreadable or unparsable file leaves libvirt's choice unknown; a missing one means its
         * defaults */
        if (!conf && conf_error != -ENOENT)
                r_uuid = r_source = -EIO;
        else if (conf) {
                r_uuid = libvirt_conf_get_string(conf, "host_uuid", &host_uuid);
                r_source = libvirt_conf_get_string(conf, "host_uuid_source", &source);
                if (r_uuid == -ENOMEM || r_source == -ENOMEM)
                        return -ENOMEM;
        }

        /*
         * What libvirtd does at start-up: host_uuid when set (a UUID with all bytes equal makes it refuse to
         * start); else host_uuid_source, "smbios" by default: the firmware's UUID, taken as it is, even all
         * zeros; when SMBIOS has none, a random UUID per daemon start, which no peer can know in advance.
         * "machine-id" takes /etc/machine-id, and the daemon refuses to start without a usable one. A config
         * file that does not parse, or another source, stops the daemon too: no UUID in all those cases.
         */
        if (r_uuid == 0) {
                effective = uuid_usable(host_uuid, &oom);
                effective_source = "libvirt";
        } else if (r_uuid == -ENOENT &&
                   (r_source == -ENOENT || (r_source == 0 && streq(source, "smbios")))) {
                if (smbios && uuid_normalize(smbios, &effective) == -ENOMEM)
                        return -ENOMEM;
                effective_source = "smbios";
        } else if (r_uuid == -ENOENT && r_source == 0 && streq(source, "machine-id")) {
                effective = uuid_usable(machine_id, &oom);
                effective_source = "machine_id";
        }
        if (oom)
                return -ENOMEM;
        if (!effective)
                effective_source = NULL;
        if (r_uuid != 0)
                host_uuid = mfree(host_uuid);
        *ret = (struct libvirt_host_uuid){
                .configured = TAKE_PTR(host_uuid),
                .effective = TAKE_PTR(effective),
                .effective_source = effective_source,
        };
        return 0;
}

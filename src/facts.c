/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `hostprep facts`: what other hosts compare before a migration (ids of the qemu user, the host UUID
 * libvirt will announce, versions, CPU flags, the shared mount, bridges, how peers' names resolve). Host
 * files are read through the root like every check; what only the running host can tell (/proc, /sys, its
 * programs, its clock) is left null under --root. Everything is collected into one JSON object first, and
 * both output formats are written from it.
 */
#include "facts.h"

#include <ctype.h>
#include <inttypes.h>
#include <libmount.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include "common.h"
#include "config.h"
#include "spawn.h"
#include "strv.h"
#include "unit.h"

#define OS_RELEASE          "/etc/os-release"
#define OS_RELEASE_FALLBACK "/usr/lib/os-release"
#define MACHINE_ID          "/etc/machine-id"
#define ETC_HOSTS           "/etc/hosts"
#define ETC_PASSWD          "/etc/passwd"
#define LIBVIRTD_CONF       "/etc/libvirt/libvirtd.conf"
#define MOUNTINFO           "/proc/self/mountinfo"
#define CPUINFO             "/proc/cpuinfo"
#define DMI_PRODUCT_UUID    "/sys/class/dmi/id/product_uuid"
#define SYS_CLASS_NET       "/sys/class/net"
#define SELINUXFS           "/sys/fs/selinux"
#define APPARMOR_ENABLED    "/sys/module/apparmor/parameters/enabled"

/* For facts_print(), which has no profile to take [check] timeout from. */
#define FACTS_TIMEOUT_DEFAULT (10 * USEC_PER_SEC)

/* The users whose ids must agree between hosts sharing guests' disks over NFS. */
static const char *const facts_users[] = {"libvirt-qemu", "qemu", "nova", NULL};

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter)

/* json-c helpers: a NULL value is a JSON null on purpose, a failed allocation is -ENOMEM. */

static int add(json_object *o, const char *key, json_object *v)
{
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int add_new(json_object *o, const char *key, json_object *v)
{
        return v ? add(o, key, v) : -ENOMEM;
}

static int add_string(json_object *o, const char *key, const char *s)
{
        json_object *v = NULL;

        if (s && !(v = json_object_new_string(s)))
                return -ENOMEM;
        return add(o, key, v);
}

static int append_string(json_object *a, const char *s)
{
        json_object *v = json_object_new_string(s);

        if (!v || json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int strv_to_json(char *const *v, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        STRV_FOREACH (s, v)
                if (append_string(a, *s) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(a);
        return 0;
}

/* A small file's content without surrounding white space; NULL when absent, unreadable or empty. */
static char *read_value(const struct hostfs *fs, const char *path)
{
        _cleanup_free_ char *buf = NULL;

        if (hostfs_read_file(fs, path, &buf, NULL) < 0)
                return NULL;
        char *s = strip(buf);
        return *s ? strdup(s) : NULL;
}

/* libvirt daemon configuration (virconf grammar) */

static bool conf_is_eol(char c)
{
        return c == '\n' || c == '\r';
}

static void conf_skip_blanks(const char **p)
{
        while (**p == ' ' || **p == '\t')
                (*p)++;
}

static void conf_skip_blanks_and_eol(const char **p)
{
        while (**p == ' ' || **p == '\t' || conf_is_eol(**p))
                (*p)++;
}

/* Lists nest in the grammar; a file nesting deeper than this is not a config, and must not exhaust the
 * stack. */
#define CONF_LIST_DEPTH_MAX 32

/* Parses one value at *p. Returns 1 for a string (in *ret_string), 0 for a number or a list. */
static int conf_parse_value(const char **p, char **ret_string, unsigned depth)
{
        const char *s = *p, *start, *end;

        conf_skip_blanks(&s);
        if (*s == '\'' || (*s == '"' && !startswith(s, "\"\"\""))) {
                char quote = *s++;

                start = s;
                while (*s && *s != quote && !conf_is_eol(*s))
                        s++;
                if (*s != quote)
                        return -EBADMSG;
                end = s++;
        } else if (startswith(s, "\"\"\"")) {
                start = s + 3;
                end = strstr(start, "\"\"\"");
                if (!end)
                        return -EBADMSG;
                s = end + 3;
        } else if (*s == '[') {
                if (depth >= CONF_LIST_DEPTH_MAX)
                        return -EBADMSG;
                s++;
                conf_skip_blanks_and_eol(&s);
                for (bool first = true; *s != ']'; first = false) {
                        _cleanup_free_ char *item = NULL;
                        int r;

                        if (!first) {
                                if (*s != ',')
                                        return -EBADMSG;
                                s++;
                                conf_skip_blanks_and_eol(&s);
                                if (*s == ']')
                                        break;
                        }
                        r = conf_parse_value(&s, &item, depth + 1);
                        if (r < 0)
                                return r;
                        conf_skip_blanks_and_eol(&s);
                }
                *p = s + 1;
                return 0;
        } else {
                if (*s == '-' || *s == '+')
                        s++;
                if (!isdigit((unsigned char)*s))
                        return -EBADMSG;
                while (isdigit((unsigned char)*s))
                        s++;
                *p = s;
                return 0;
        }
        *ret_string = strndup(start, (size_t)(end - start));
        if (!*ret_string)
                return -ENOMEM;
        *p = s;
        return 1;
}

int facts_libvirt_conf_string(const char *text, const char *key, char **ret)
{
        _cleanup_free_ char *found = NULL;
        const char *p = text;
        int state = -ENOENT; /* of key: -ENOENT unset, -EINVAL not a string, 0 found */

        for (;;) {
                _cleanup_free_ char *value = NULL;
                const char *name;
                size_t name_len;
                int r;

                conf_skip_blanks_and_eol(&p);
                if (!*p)
                        break;
                if (*p == '#') {
                        p += strcspn(p, "\n\r");
                        continue;
                }
                if (!isalpha((unsigned char)*p))
                        return -EBADMSG;
                name = p;
                while (isalnum((unsigned char)*p) || *p == '_')
                        p++;
                name_len = (size_t)(p - name);
                conf_skip_blanks(&p);
                if (*p != '=')
                        return -EBADMSG;
                p++;
                r = conf_parse_value(&p, &value, 0);
                if (r < 0)
                        return r;
                conf_skip_blanks(&p);
                if (*p == '#')
                        p += strcspn(p, "\n\r");
                /* a statement ends at a line end, a ';' or the end of the file */
                if (*p == ';')
                        p++;
                else if (*p && !conf_is_eol(*p))
                        return -EBADMSG;
                /* libvirt looks a key up from the top: the first assignment wins. The whole file is still
                 * parsed, since libvirt refuses a file with a syntax error anywhere. */
                if (state == -ENOENT && strlen(key) == name_len && strneq(name, key, name_len)) {
                        state = r == 1 ? 0 : -EINVAL;
                        found = TAKE_PTR(value);
                }
        }
        if (state < 0)
                return state;
        *ret = TAKE_PTR(found);
        return 0;
}

/* Host UUID */

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char)tolower((unsigned char)c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int facts_uuid_normalize(const char *s, char **ret)
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

bool facts_uuid_is_usable(const char *s)
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
        int r = s ? facts_uuid_normalize(s, &u) : -EINVAL;

        if (r == -ENOMEM)
                *oom = true;
        return r >= 0 && facts_uuid_is_usable(u) ? TAKE_PTR(u) : NULL;
}

int facts_host_uuid(const char *libvirtd_conf, int libvirtd_conf_error, const char *smbios,
                    const char *machine_id, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_free_ char *host_uuid = NULL, *source = NULL, *effective = NULL;
        const char *effective_source = NULL;
        bool oom = false;
        int r = 0, r_uuid = -ENOENT, r_source = -ENOENT;

        if (!o)
                return -ENOMEM;
        /* an unreadable file leaves libvirt's choice unknown; a missing one means its defaults */
        if (libvirtd_conf_error < 0 && libvirtd_conf_error != -ENOENT)
                r_uuid = r_source = -EIO;
        else if (libvirtd_conf) {
                r_uuid = facts_libvirt_conf_string(libvirtd_conf, "host_uuid", &host_uuid);
                r_source = facts_libvirt_conf_string(libvirtd_conf, "host_uuid_source", &source);
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
                if (smbios && facts_uuid_normalize(smbios, &effective) == -ENOMEM)
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

        if (r >= 0)
                r = add_string(o, "libvirt", r_uuid == 0 ? host_uuid : NULL);
        if (r >= 0)
                r = add_string(o, "smbios", smbios);
        if (r >= 0)
                r = add_string(o, "machine_id", machine_id);
        if (r >= 0)
                r = add_string(o, "effective", effective);
        if (r >= 0)
                r = add_string(o, "effective_source", effective_source);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/* Programs' versions and the CPU */

int facts_version_parse(const char *output, char **ret)
{
        size_t line_len = strcspn(output, "\n");

        for (size_t i = 0; i < line_len; i++) {
                size_t n = 0;
                bool dot = false;

                /* a version starts a word, or follows "(" or "v" */
                if (!isdigit((unsigned char)output[i]) || (i > 0 && !strchr(" \t(v", output[i - 1])))
                        continue;
                while (i + n < line_len &&
                       (isdigit((unsigned char)output[i + n]) ||
                        (output[i + n] == '.' && isdigit((unsigned char)output[i + n + 1]))))
                        dot |= output[i + n++] == '.';
                if (!dot) {
                        i += n;
                        continue;
                }
                *ret = strndup(output + i, n);
                return *ret ? 0 : -ENOMEM;
        }
        return -ENOENT;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int facts_cpuinfo_parse(const char *text, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *flags = NULL;
        _cleanup_free_ char *vendor = NULL, *model = NULL;
        _cleanup_(strv_freep) char **words = NULL;
        bool in_block = false;
        int r;

        if (!o)
                return -ENOMEM;
        /* "key<tabs>: value" lines; a blank line ends a processor's block */
        for (const char *p = text; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n')) {
                _cleanup_free_ char *line = strndup(p, strcspn(p, "\n"));
                char *colon, *key, *value;

                if (!line)
                        return -ENOMEM;
                colon = strchr(line, ':');
                if (!colon) {
                        if (in_block && !*strip(line))
                                break;
                        continue;
                }
                *colon = '\0';
                key = strip(line);
                value = strip(colon + 1);
                in_block = true;
                if (!vendor && streq(key, "vendor_id"))
                        vendor = strdup(value);
                else if (!model && streq(key, "model name"))
                        model = strdup(value);
                else if (!words && (streq(key, "flags") || streq(key, "Features"))) {
                        r = strv_split(value, " \t", &words);
                        if (r < 0)
                                return r;
                        if (!words && !(words = calloc(1, sizeof(char *))))
                                return -ENOMEM;
                }
        }

        if (words) {
                size_t n = strv_length(words), k = 0;

                qsort(words, n, sizeof(char *), cmp_str);
                flags = json_object_new_array();
                if (!flags)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++)
                        if (!(k > 0 && streq(words[i], words[k - 1])))
                                words[k++] = words[i];
                        else
                                free(words[i]);
                words[k] = NULL;
                STRV_FOREACH (w, words)
                        if (append_string(flags, *w) < 0)
                                return -ENOMEM;
        }
        r = add_string(o, "vendor", vendor);
        if (r >= 0)
                r = add_string(o, "model", model);
        if (r >= 0)
                r = add(o, "flags", TAKE_PTR(flags));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/* Collectors: each fills one part of the facts object. */

/* One value of os-release(5), unquoted; NULL when absent. */
static char *os_release_value(const char *text, const char *key)
{
        size_t klen = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                size_t n = strcspn(p, "\n");

                if (n > klen && strneq(p, key, klen) && p[klen] == '=') {
                        const char *v = p + klen + 1;
                        size_t vlen = n - klen - 1;

                        if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
                                v++;
                                vlen -= 2;
                        }
                        return strndup(v, vlen);
                }
        }
        return NULL;
}

/* What `hostname --fqdn` says without asking DNS: the canonical (first) name of the first hosts(5) line
 * naming the host, when it is dotted. -ENOENT when there is none. */
static int hosts_fqdn(const char *hosts, const char *hostname, char **ret)
{
        for (const char *p = hosts; p && *p;) {
                _cleanup_(strv_freep) char **fields = NULL;
                _cleanup_free_ char *line = strndup(p, strcspn(p, "\n"));
                int r;

                if (!line)
                        return -ENOMEM;
                p += strcspn(p, "\n");
                p += *p == '\n';
                line[strcspn(line, "#")] = '\0';
                r = strv_split(line, " \t\r", &fields);
                if (r < 0)
                        return r;
                for (size_t i = 1; i < strv_length(fields); i++) {
                        if (strcasecmp(fields[i], hostname) != 0)
                                continue;
                        if (!strchr(fields[1], '.'))
                                return -ENOENT;
                        *ret = strdup(fields[1]);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        return -ENOENT;
}

static int collect_identity(json_object *o, const struct hostfs *fs, const struct identity *id,
                            unsigned roles)
{
        _cleanup_(json_object_putp) json_object *names = NULL, *addresses = NULL, *jroles = NULL;
        _cleanup_free_ char *hosts = NULL, *fqdn = NULL;
        int r;

        if (strchr(id->hostname, '.'))
                fqdn = strdup(id->hostname);
        else if (hostfs_read_file(fs, ETC_HOSTS, &hosts, NULL) >= 0) {
                r = hosts_fqdn(hosts, id->hostname, &fqdn);
                if (r == -ENOMEM)
                        return r;
        }
        r = strv_to_json(id->names, &names);
        if (r >= 0)
                r = strv_to_json(id->addresses, &addresses);
        if (r < 0)
                return r;
        jroles = json_object_new_array();
        if (!jroles)
                return -ENOMEM;
        for (int i = 0; i < _ROLE_MAX; i++)
                if ((roles & ROLE_BIT(i)) && append_string(jroles, role_to_string((enum role)i)) < 0)
                        return -ENOMEM;

        r = add_string(o, "hostname", id->hostname);
        if (r >= 0)
                r = add_string(o, "fqdn", fqdn);
        if (r >= 0)
                r = add(o, "names", TAKE_PTR(names));
        if (r >= 0)
                r = add(o, "addresses", TAKE_PTR(addresses));
        if (r >= 0)
                r = add(o, "roles", TAKE_PTR(jroles));
        return r;
}

static int collect_os(json_object *o, const struct hostfs *fs, const char *machine_id)
{
        _cleanup_free_ char *osr = NULL, *pretty = NULL, *os_id = NULL, *version_id = NULL, *kernel = NULL;
        struct utsname u;
        int r;

        if (hostfs_read_file(fs, OS_RELEASE, &osr, NULL) < 0)
                (void)hostfs_read_file(fs, OS_RELEASE_FALLBACK, &osr, NULL);
        if (osr) {
                pretty = os_release_value(osr, "PRETTY_NAME");
                os_id = os_release_value(osr, "ID");
                version_id = os_release_value(osr, "VERSION_ID");
        }
        /* The running kernel says nothing about an image under --root. */
        if (hostfs_is_live(fs) && uname(&u) == 0)
                kernel = strdup(u.release);

        r = add_string(o, "os_id", os_id);
        if (r >= 0)
                r = add_string(o, "os_version_id", version_id);
        if (r >= 0)
                r = add_string(o, "os_pretty_name", pretty);
        if (r >= 0)
                r = add_string(o, "kernel", kernel);
        if (r >= 0)
                r = add_string(o, "machine_id", machine_id);
        return r;
}

/* machine-id(5): 32 lowercase hex digits; "uninitialized" (first boot) and anything else is no id. */
static char *read_machine_id(const struct hostfs *fs)
{
        _cleanup_free_ char *s = read_value(fs, MACHINE_ID);

        if (!s || strlen(s) != 32 || strspn(s, "0123456789abcdef") != 32)
                return NULL;
        return TAKE_PTR(s);
}

static int collect_time(const struct hostfs *fs, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        struct timespec ts;

        /* When the facts were taken, so peers can tell clock skew; an image has no clock. */
        if (!hostfs_is_live(fs) || clock_gettime(CLOCK_REALTIME, &ts) < 0) {
                *ret = NULL;
                return 0;
        }
        o = json_object_new_object();
        if (!o || add_new(o, "realtime_usec",
                          json_object_new_int64((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

static int collect_users(const struct hostfs *fs, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        const struct check_ctx ctx = {.fs = fs};
        struct stat st;

        /* no passwd to read: which users exist is unknown */
        if (hostfs_stat(fs, ETC_PASSWD, &st) < 0) {
                *ret = NULL;
                return 0;
        }
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        for (const char *const *n = facts_users; *n; n++) {
                const char *const one[] = {*n, NULL};
                _cleanup_(json_object_putp) json_object *u = NULL;
                _cleanup_free_ char *name = NULL;
                uid_t uid;
                gid_t gid;
                int r;

                r = check_passwd_lookup(&ctx, one, &name, &uid, &gid);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue;
                u = json_object_new_object();
                if (!u || add_new(u, "uid", json_object_new_int64(uid)) < 0 ||
                    add_new(u, "gid", json_object_new_int64(gid)) < 0 || add(o, *n, TAKE_PTR(u)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

static int collect_host_uuid(const struct hostfs *fs, const char *machine_id, json_object **ret)
{
        _cleanup_free_ char *conf = NULL, *smbios = NULL;
        int r;

        r = hostfs_read_file(fs, LIBVIRTD_CONF, &conf, NULL);
        if (r == -ENOMEM)
                return r;
        /* the firmware's UUID belongs to the machine hostprep runs on, never to an image */
        if (hostfs_is_live(fs))
                smbios = read_value(fs, DMI_PRODUCT_UUID);
        return facts_host_uuid(conf, r < 0 ? r : 0, smbios, machine_id, ret);
}

/* name in $PATH or the system directories daemons live in; -ENOENT when nowhere. */
static int find_program(const char *name, char **ret)
{
        _cleanup_(strv_freep) char **dirs = NULL;
        const char *path = getenv("PATH");
        int r;

        r = strv_split(path ? path : "/usr/local/bin:/usr/bin:/bin", ":", &dirs);
        if (r < 0)
                return r;
        STRV_FOREACH (d, dirs) {
                _cleanup_free_ char *p = strdup_printf("%s/%s", *d, name);

                if (!p)
                        return -ENOMEM;
                if (access(p, X_OK) == 0) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
        }
        for (const char *const *d =
                     (const char *const[]){"/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/libexec", NULL};
             *d; d++) {
                _cleanup_free_ char *p = strdup_printf("%s/%s", *d, name);

                if (!p)
                        return -ENOMEM;
                if (access(p, X_OK) == 0) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
        }
        return -ENOENT;
}

/* The first of names that is installed. */
static int find_first_program(const char *const *names, char **ret)
{
        for (; *names; names++) {
                int r = find_program(*names, ret);
                if (r != -ENOENT)
                        return r;
        }
        return -ENOENT;
}

static int collect_versions(const struct hostfs *fs, usec_t deadline, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_free_ char *qemu_arch = NULL, *libvirt_bin = NULL, *qemu_bin = NULL,
                            *libvirt_version = NULL, *qemu_version = NULL;
        const char *const keys[2] = {"libvirt", "qemu"};
        char **versions[2] = {&libvirt_version, &qemu_version};
        char *argv[2][3] = {};
        struct spawn_job jobs[2] = {};
        size_t which[2], n = 0;
        struct utsname u;
        int r = 0;

        if (!o)
                return -ENOMEM;
        /* programs run on the machine hostprep runs on: they say nothing about an image */
        if (hostfs_is_live(fs)) {
                /* libvirtd, or the QEMU driver's daemon where libvirt runs modular daemons only */
                r = find_first_program((const char *const[]){"libvirtd", "virtqemud", NULL}, &libvirt_bin);
                if (r == -ENOMEM)
                        return r;
                if (uname(&u) == 0)
                        qemu_arch = strdup_printf("qemu-system-%s", u.machine);
                r = find_first_program((const char *const[]){qemu_arch ? qemu_arch : "qemu-system-x86_64",
                                                             "qemu-kvm", NULL},
                                       &qemu_bin);
                if (r == -ENOMEM)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                char *bin = i == 0 ? libvirt_bin : qemu_bin;

                if (!bin)
                        continue;
                argv[i][0] = bin;
                argv[i][1] = (char *)"--version";
                jobs[n].argv = argv[i];
                which[n++] = i;
        }
        /* all at once, so a hung program costs the deadline once */
        r = n > 0 ? spawn_run_many(jobs, n, deadline) : 0;
        for (size_t k = 0; k < n; k++) {
                if (r >= 0 && !jobs[k].timed_out && !jobs[k].spawn_failed && jobs[k].exit_status == 0 &&
                    jobs[k].out && facts_version_parse(jobs[k].out, versions[which[k]]) == -ENOMEM)
                        r = -ENOMEM;
                spawn_job_done(&jobs[k]);
        }
        for (size_t i = 0; i < ELEMENTSOF(keys) && r >= 0; i++)
                r = add_string(o, keys[i], *versions[i]);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int collect_cpu(const struct hostfs *fs, json_object **ret)
{
        _cleanup_free_ char *text = NULL;

        /* /proc/cpuinfo is the CPU hostprep runs on, whatever the root */
        if (!hostfs_is_live(fs) || hostfs_read_file(fs, CPUINFO, &text, NULL) < 0) {
                *ret = NULL;
                return 0;
        }
        return facts_cpuinfo_parse(text, ret);
}

static int mountinfo_parse_error(struct libmnt_table *tb, const char *filename, int line)
{
        return 1; /* skip the line, as mount(8) does */
}

static int collect_mounts(const struct hostfs *fs, const char *mountpoint, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *itr = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        struct libmnt_fs *m;

        if (!a)
                return -ENOMEM;
        /* no mountpoint in the profile, or no mount table (an image that does not run): no mounts */
        if (!mountpoint || hostfs_fopen(fs, MOUNTINFO, &f) < 0) {
                *ret = TAKE_PTR(a);
                return 0;
        }
        tb = mnt_new_table();
        itr = mnt_new_iter(MNT_ITER_BACKWARD);
        if (!tb || !itr)
                return -ENOMEM;
        mnt_table_set_parser_errcb(tb, mountinfo_parse_error);
        if (mnt_table_parse_stream(tb, f, MOUNTINFO) < 0) {
                *ret = TAKE_PTR(a);
                return 0;
        }
        /* later mounts hide earlier ones at the same place: the one in use comes first */
        while (mnt_table_next_fs(tb, itr, &m) == 0) {
                _cleanup_(json_object_putp) json_object *o = NULL;

                if (!check_same_path(strempty(mnt_fs_get_target(m)), mountpoint))
                        continue;
                o = json_object_new_object();
                if (!o || add_string(o, "target", mnt_fs_get_target(m)) < 0 ||
                    add_string(o, "source", mnt_fs_get_source(m)) < 0 ||
                    add_string(o, "fstype", mnt_fs_get_fstype(m)) < 0 ||
                    add_string(o, "options", mnt_fs_get_options(m)) < 0 || json_object_array_add(a, o) < 0)
                        return -ENOMEM;
                o = NULL;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

static int collect_bridge(const struct hostfs *fs, const char *name, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL, *ports = NULL;
        _cleanup_free_ char *dir = strdup_printf("%s/%s", SYS_CLASS_NET, name), *path = NULL, *mtu = NULL,
                            *operstate = NULL;
        _cleanup_(strv_freep) char **brif = NULL;
        const char *state = NULL;
        unsigned mtu_value;
        struct stat st;
        int r;

        if (!dir || !(path = strdup_printf("%s/bridge", dir)))
                return -ENOMEM;
        if (hostfs_stat(fs, path, &st) < 0 || !S_ISDIR(st.st_mode))
                return -ENOENT; /* not a bridge */

        free(path);
        if (!(path = strdup_printf("%s/mtu", dir)))
                return -ENOMEM;
        mtu = read_value(fs, path);
        free(path);
        if (!(path = strdup_printf("%s/operstate", dir)))
                return -ENOMEM;
        operstate = read_value(fs, path);
        if (operstate)
                state = streq(operstate, "up") ? "up" : "down";
        free(path);
        if (!(path = strdup_printf("%s/brif", dir)))
                return -ENOMEM;
        r = hostfs_list_dir(fs, path, &brif);
        if (r == -ENOMEM)
                return r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = strv_to_json(brif, &ports);
        if (r >= 0)
                r = add_string(o, "name", name);
        if (r >= 0)
                r = add(o, "mtu",
                        mtu && safe_atou(mtu, &mtu_value) >= 0 ? json_object_new_int64(mtu_value) : NULL);
        if (r >= 0)
                r = add_string(o, "state", state);
        if (r >= 0)
                r = add(o, "ports", TAKE_PTR(ports));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int collect_bridges(const struct hostfs *fs, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();
        _cleanup_(strv_freep) char **links = NULL;

        if (!a)
                return -ENOMEM;
        /* /sys describes the running kernel's devices, never an image's */
        if (hostfs_is_live(fs) && hostfs_list_dir(fs, SYS_CLASS_NET, &links) == -ENOMEM)
                return -ENOMEM;
        STRV_FOREACH (l, links) {
                json_object *b = NULL;
                int r = collect_bridge(fs, *l, &b);

                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue;
                if (json_object_array_add(a, b) < 0) {
                        json_object_put(b);
                        return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(a);
        return 0;
}

static int collect_security(const struct hostfs *fs, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *enforce = NULL, *apparmor = NULL;
        const char *selinux, *aa;
        struct stat st;
        int r;

        if (!hostfs_is_live(fs)) {
                *ret = NULL;
                return 0;
        }
        /* selinuxfs answers only while SELinux runs; its empty mount point means built in but off */
        enforce = read_value(fs, SELINUXFS "/enforce");
        if (enforce && streq(enforce, "1"))
                selinux = "enforcing";
        else if (enforce && streq(enforce, "0"))
                selinux = "permissive";
        else if (hostfs_stat(fs, SELINUXFS, &st) >= 0 && S_ISDIR(st.st_mode))
                selinux = "disabled";
        else
                selinux = "absent";
        apparmor = read_value(fs, APPARMOR_ENABLED);
        aa = !apparmor ? "absent" : streq(apparmor, "Y") ? "enabled" : "disabled";

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = add_string(o, "selinux", selinux);
        if (r >= 0)
                r = add_string(o, "apparmor", aa);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int collect_resolve(const struct hostfs *fs, const struct conf *profile, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        const struct check_ctx ctx = {.fs = fs, .profile = profile};

        if (!o)
                return -ENOMEM;
        for (size_t i = 0; profile && i < profile->n_entries; i++) {
                const struct conf_entry *e = &profile->entries[i];
                _cleanup_(json_object_putp) json_object *a = NULL;
                _cleanup_(strv_freep) char **addrs = NULL;
                int r;

                if (!streq(e->section, "hosts") || json_object_object_get_ex(o, e->key, NULL))
                        continue;
                r = check_host_addresses(&ctx, e->key, &addrs);
                if (r >= 0)
                        r = strv_to_json(addrs, &a);
                if (r >= 0)
                        r = add(o, e->key, TAKE_PTR(a));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

int facts_collect(const struct hostfs *fs, const struct identity *id, unsigned roles,
                  const struct conf *profile, usec_t deadline, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_free_ char *machine_id = read_machine_id(fs);
        json_object *part;
        int r;

        if (!o)
                return -ENOMEM;
        r = add_new(o, "schema", json_object_new_int(FACTS_JSON_SCHEMA));
        if (r >= 0)
                r = add_string(o, "hostprep", HOSTPREP_VERSION);
        if (r >= 0)
                r = collect_identity(o, fs, id, roles);
        if (r >= 0)
                r = collect_os(o, fs, machine_id);
        /* each part is added as soon as it is made, so the object owns it from there on */
        if (r >= 0 && (r = collect_time(fs, &part)) >= 0)
                r = add(o, "time", part);
        if (r >= 0 && (r = collect_users(fs, &part)) >= 0)
                r = add(o, "users", part);
        if (r >= 0 && (r = collect_host_uuid(fs, machine_id, &part)) >= 0)
                r = add(o, "host_uuid", part);
        if (r >= 0 && (r = collect_versions(fs, deadline, &part)) >= 0)
                r = add(o, "versions", part);
        if (r >= 0 && (r = collect_cpu(fs, &part)) >= 0)
                r = add(o, "cpu", part);
        if (r >= 0 &&
            (r = collect_mounts(fs, profile ? conf_get(profile, "nfs", "mountpoint") : NULL, &part)) >= 0)
                r = add(o, "mounts", part);
        if (r >= 0 && (r = collect_bridges(fs, &part)) >= 0)
                r = add(o, "bridges", part);
        if (r >= 0 && (r = collect_security(fs, &part)) >= 0)
                r = add(o, "security", part);
        if (r >= 0 && (r = collect_resolve(fs, profile, &part)) >= 0)
                r = add(o, "resolve", part);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/* Readable lines */

static const char *get_string(json_object *o, const char *key)
{
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static json_object *get(json_object *o, const char *key)
{
        json_object *v = NULL;

        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* An array of strings joined by sep; NULL for anything else. */
static char *join(json_object *a, const char *sep)
{
        _cleanup_(strv_freep) char **v = NULL;

        if (!a || !json_object_is_type(a, json_type_array))
                return NULL;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                const char *s = json_object_get_string(json_object_array_get_idx(a, i));

                if (strv_push_dup(&v, strempty(s)) < 0)
                        return NULL;
        }
        return strv_join(v, sep);
}

static size_t array_length(json_object *a)
{
        return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static void line(FILE *f, const char *label, const char *value)
{
        fprintf(f, "%s:%*s%s\n", label, (int)(14 - strlen(label)), "", strna(value));
}

static void write_human(FILE *f, json_object *o)
{
        json_object *v, *hu = get(o, "host_uuid");
        _cleanup_free_ char *names = join(get(o, "names"), " "), *addrs = join(get(o, "addresses"), " "),
                            *roles = join(get(o, "roles"), " "), *flags = NULL, *when = NULL;
        char buf[64];

        line(f, "hostname", get_string(o, "hostname"));
        line(f, "fqdn", get_string(o, "fqdn"));
        line(f, "names", names);
        line(f, "addresses", addrs);
        line(f, "roles", roles && *roles ? roles : NULL);
        line(f, "os", get_string(o, "os_pretty_name"));
        line(f, "kernel", get_string(o, "kernel"));
        line(f, "machine-id", get_string(o, "machine_id"));

        v = get(get(o, "time"), "realtime_usec");
        if (v) {
                time_t t = (time_t)(json_object_get_int64(v) / 1000000);
                struct tm tm;

                if (gmtime_r(&t, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm) > 0)
                        when = strdup(buf);
        }
        line(f, "time", when);

        v = get(o, "users");
        if (!json_object_is_type(v, json_type_object))
                line(f, "users", NULL);
        else if (json_object_object_length(v) == 0)
                line(f, "users", "none of libvirt-qemu, qemu, nova");
        else {
                json_object_object_foreach(v, user, ids)
                {
                        _cleanup_free_ char *s = strdup_printf("%s uid %" PRId64 " gid %" PRId64, user,
                                                               json_object_get_int64(get(ids, "uid")),
                                                               json_object_get_int64(get(ids, "gid")));
                        line(f, "user", s);
                }
        }

        if (get_string(hu, "effective")) {
                _cleanup_free_ char *s = strdup_printf("%s (from %s)", get_string(hu, "effective"),
                                                       get_string(hu, "effective_source"));
                line(f, "host-uuid", s);
        } else
                line(f, "host-uuid", NULL);
        line(f, "  libvirt", get_string(hu, "libvirt"));
        line(f, "  smbios", get_string(hu, "smbios"));
        line(f, "  machine-id", get_string(hu, "machine_id"));

        line(f, "libvirt", get_string(get(o, "versions"), "libvirt"));
        line(f, "qemu", get_string(get(o, "versions"), "qemu"));

        v = get(o, "cpu");
        line(f, "cpu vendor", get_string(v, "vendor"));
        line(f, "cpu model", get_string(v, "model"));
        flags = join(get(v, "flags"), " ");
        line(f, "cpu flags", flags);

        v = get(o, "mounts");
        if (array_length(v) == 0)
                line(f, "mount", "none at the profile's mountpoint");
        for (size_t i = 0; i < array_length(v); i++) {
                json_object *m = json_object_array_get_idx(v, i);
                _cleanup_free_ char *s =
                        strdup_printf("%s on %s type %s (%s)%s", strna(get_string(m, "source")),
                                      strna(get_string(m, "target")), strna(get_string(m, "fstype")),
                                      strna(get_string(m, "options")), i > 0 ? ", hidden" : "");
                line(f, "mount", s);
        }

        v = get(o, "bridges");
        if (array_length(v) == 0)
                line(f, "bridge", "none");
        for (size_t i = 0; i < array_length(v); i++) {
                json_object *b = json_object_array_get_idx(v, i);
                _cleanup_free_ char *ports = join(get(b, "ports"), " "),
                                    *s = strdup_printf(
                                            "%s mtu %s %s, ports: %s", strna(get_string(b, "name")),
                                            strna(json_object_get_string(get(b, "mtu"))),
                                            strna(get_string(b, "state")), ports && *ports ? ports : "none");
                line(f, "bridge", s);
        }

        line(f, "selinux", get_string(get(o, "security"), "selinux"));
        line(f, "apparmor", get_string(get(o, "security"), "apparmor"));

        v = get(o, "resolve");
        if (json_object_is_type(v, json_type_object)) {
                json_object_object_foreach(v, host, addresses)
                {
                        _cleanup_free_ char *a = join(addresses, " "),
                                            *s = strdup_printf("%s %s", host,
                                                               a && *a ? a : "(not in /etc/hosts)");
                        line(f, "resolve", s);
                }
        }
}

int facts_write(FILE *f, json_object *facts, bool json)
{
        if (json)
                fprintf(f, "%s\n",
                        json_object_to_json_string_ext(facts, JSON_C_TO_STRING_PRETTY |
                                                                      JSON_C_TO_STRING_SPACED |
                                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
        else
                write_human(f, facts);
        return ferror(f) ? -EIO : 0;
}

int facts_print(FILE *f, const struct hostfs *fs, const struct identity *id, unsigned roles,
                const struct conf *profile, usec_t deadline, bool json)
{
        _cleanup_(json_object_putp) json_object *facts = NULL;
        int r;

        r = facts_collect(fs, id, roles, profile, deadline, &facts);
        if (r < 0)
                return r;
        return facts_write(f, facts, json);
}

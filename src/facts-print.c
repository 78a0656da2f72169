/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `hostprep facts` for people: one aligned "label: value" line per fact, written from the same JSON object
 * the peers read, so the two can never disagree. */
#include <inttypes.h>
#include <time.h>

#include "facts.h"
#include "json-util.h"
#include "strv.h"

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

static void print_identity(FILE *f, json_object *o)
{
        _cleanup_free_ char *names = join(json_get(o, "names"), " "),
                            *addrs = join(json_get(o, "addresses"), " "),
                            *roles = join(json_get(o, "roles"), " "), *when = NULL;
        json_object *v = json_get(json_get(o, "time"), "realtime_usec");

        line(f, "hostname", json_get_string(o, "hostname"));
        line(f, "fqdn", json_get_string(o, "fqdn"));
        line(f, "names", names);
        line(f, "addresses", addrs);
        line(f, "roles", roles && *roles ? roles : NULL);
        line(f, "os", json_get_string(o, "os_pretty_name"));
        line(f, "kernel", json_get_string(o, "kernel"));
        line(f, "machine-id", json_get_string(o, "machine_id"));
        if (v) {
                time_t t = (time_t)(json_object_get_int64(v) / 1000000);
                char buf[64];
                struct tm tm;

                if (gmtime_r(&t, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm) > 0)
                        when = strdup(buf);
        }
        line(f, "time", when);
}

static void print_users(FILE *f, json_object *v)
{
        if (!json_object_is_type(v, json_type_object)) {
                line(f, "users", NULL);
                return;
        }
        if (json_object_object_length(v) == 0) {
                line(f, "users", "none of libvirt-qemu, qemu, nova, stack");
                return;
        }
        json_object_object_foreach(v, user, ids)
        {
                _cleanup_free_ char *s = strdup_printf("%s uid %" PRId64 " gid %" PRId64, user,
                                                       json_object_get_int64(json_get(ids, "uid")),
                                                       json_object_get_int64(json_get(ids, "gid")));
                line(f, "user", s);
        }
}

static void print_host_uuid(FILE *f, json_object *hu)
{
        _cleanup_free_ char *s = NULL;

        if (json_get_string(hu, "effective"))
                s = strdup_printf("%s (from %s)", json_get_string(hu, "effective"),
                                  json_get_string(hu, "effective_source"));
        line(f, "host-uuid", s);
        line(f, "  libvirt", json_get_string(hu, "libvirt"));
        line(f, "  smbios", json_get_string(hu, "smbios"));
        line(f, "  machine-id", json_get_string(hu, "machine_id"));
}

static void print_versions_cpu(FILE *f, json_object *o)
{
        json_object *cpu = json_get(o, "cpu");
        _cleanup_free_ char *flags = join(json_get(cpu, "flags"), " ");

        line(f, "libvirt", json_get_string(json_get(o, "versions"), "libvirt"));
        line(f, "qemu", json_get_string(json_get(o, "versions"), "qemu"));
        line(f, "cpu vendor", json_get_string(cpu, "vendor"));
        line(f, "cpu model", json_get_string(cpu, "model"));
        line(f, "cpu flags", flags);
}

static void print_cgroup(FILE *f, json_object *cg)
{
        _cleanup_free_ char *controllers = join(json_get(cg, "controllers"), " "), *s = NULL;

        if (cg)
                s = strdup_printf("%s (%s)", strna(json_get_string(cg, "version")), strna(controllers));
        line(f, "cgroup", s);
}

/* One line labelled label per element of the array v, as describe puts it; none when there is none. */
static void print_each(FILE *f, json_object *v, const char *label, const char *none,
                       char *(*describe)(json_object *e, size_t i))
{
        if (array_length(v) == 0)
                line(f, label, none);
        for (size_t i = 0; i < array_length(v); i++) {
                _cleanup_free_ char *s = describe(json_object_array_get_idx(v, i), i);
                line(f, label, s);
        }
}

static char *describe_mount(json_object *m, size_t i)
{
        return strdup_printf("%s on %s type %s (%s)%s", strna(json_get_string(m, "source")),
                             strna(json_get_string(m, "target")), strna(json_get_string(m, "fstype")),
                             strna(json_get_string(m, "options")), i > 0 ? ", hidden" : "");
}

static char *describe_bridge(json_object *b, size_t i)
{
        _cleanup_free_ char *ports = join(json_get(b, "ports"), " ");

        return strdup_printf("%s mtu %s %s, ports: %s", strna(json_get_string(b, "name")),
                             strna(json_object_get_string(json_get(b, "mtu"))),
                             strna(json_get_string(b, "state")), ports && *ports ? ports : "none");
}

static void print_resolve(FILE *f, json_object *v)
{
        if (!json_object_is_type(v, json_type_object))
                return;
        json_object_object_foreach(v, host, addresses)
        {
                _cleanup_free_ char *a = join(addresses, " "),
                                    *s = strdup_printf("%s %s", host, a && *a ? a : "(not in /etc/hosts)");
                line(f, "resolve", s);
        }
}

static char *describe_guest(const char *name, json_object *g)
{
        const char *model = json_get_string(g, "cpu_model");

        return strdup_printf("%s %s %s, cpu %s%s%s%s", name,
                             json_get_bool(g, "running") ? "running" : "shut off",
                             strna(json_get_string(g, "machine")), strna(json_get_string(g, "cpu_mode")),
                             model ? " (" : "", strempty(model), model ? ")" : "");
}

/* What libvirtd said: its host-model CPU, how many machine types each arch has, the guests defined here. */
static void print_libvirt(FILE *f, json_object *lv)
{
        json_object *hm = json_get(lv, "host_model"), *machines = json_get(lv, "machines"),
                    *guests = json_get(lv, "guests");
        _cleanup_free_ char *cpu = NULL;

        if (!lv)
                return;
        if (json_get_string(lv, "error"))
                line(f, "libvirt error", json_get_string(lv, "error"));
        if (hm)
                cpu = strdup_printf("%s (%s) for %s on %s", strna(json_get_string(hm, "model")),
                                    strna(json_get_string(hm, "vendor")),
                                    strna(json_get_string(lv, "domain_type")),
                                    strna(json_get_string(lv, "arch")));
        line(f, "host-model", cpu);
        if (json_object_is_type(machines, json_type_object)) {
                json_object_object_foreach(machines, arch, m)
                {
                        _cleanup_free_ char *s =
                                strdup_printf("%s: %zu", arch, array_length(json_get(m, "names")));
                        line(f, "machines", s);
                }
        }
        if (json_object_is_type(guests, json_type_object)) {
                json_object_object_foreach(guests, name, g)
                {
                        _cleanup_free_ char *s = describe_guest(name, g);
                        line(f, "guest", s);
                }
        }
}

static void print_memory(FILE *f, json_object *m)
{
        _cleanup_free_ char *s = NULL;

        if (json_get(m, "available_kib"))
                s = strdup_printf("%" PRId64 " MiB available of %" PRId64 " MiB",
                                  json_get_int(m, "available_kib", 0) / 1024,
                                  json_get_int(m, "total_kib", 0) / 1024);
        line(f, "memory", s);
}

static void write_human(FILE *f, json_object *o)
{
        print_identity(f, o);
        print_users(f, json_get(o, "users"));
        print_host_uuid(f, json_get(o, "host_uuid"));
        print_versions_cpu(f, o);
        print_cgroup(f, json_get(o, "cgroup"));
        print_libvirt(f, json_get(o, "libvirt"));
        print_each(f, json_get(o, "mounts"), "mount", "none at the profile's mountpoint", describe_mount);
        print_each(f, json_get(o, "bridges"), "bridge", "none", describe_bridge);
        line(f, "selinux", json_get_string(json_get(o, "security"), "selinux"));
        line(f, "apparmor", json_get_string(json_get(o, "security"), "apparmor"));
        print_resolve(f, json_get(o, "resolve"));
        print_memory(f, json_get(o, "memory"));
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

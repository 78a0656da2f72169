/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cross.h"

#include <limits.h>
#include <math.h>
#include <strings.h>

#include "config.h"

#if HAVE_LIBVIRT
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#endif

#include "etchosts.h"
#include "json-util.h"
#include "spawn.h"
#include "strv.h"
#include "version.h"

#define LIBVIRT_URI "qemu:///system"

#if HAVE_LIBVIRT
_Static_assert((int)CPU_COMPARE_ERROR == VIR_CPU_COMPARE_ERROR &&
                       (int)CPU_COMPARE_INCOMPATIBLE == VIR_CPU_COMPARE_INCOMPATIBLE &&
                       (int)CPU_COMPARE_IDENTICAL == VIR_CPU_COMPARE_IDENTICAL &&
                       (int)CPU_COMPARE_SUPERSET == VIR_CPU_COMPARE_SUPERSET,
               "enum cpu_compare out of step with virCPUCompareResult");
#endif

#define CLOCK_WARN_SECONDS 0.5
#define CLOCK_FAIL_SECONDS 5.0

/* Each comparison's results, declared the way a unit's are (struct result_def). */
enum { MOUNT_MISSING, MOUNT_DIFFERENT, MOUNT_TOO_FEW, MOUNT_SAME };
static const struct result_def mount_results[] = {
        [MOUNT_MISSING] = {"cross.mount", STATUS_FAIL, "not_mounted_everywhere",
                           "mount the export on every hypervisor (see nfs.mount)"},
        [MOUNT_DIFFERENT] =
                {"cross.mount", STATUS_FAIL, "different_sources",
                 "mount the same server:export on every hypervisor; a guest's disk path must name the same file on both ends"},
        [MOUNT_TOO_FEW] = {"cross.mount", STATUS_SKIP, "too_few_hosts"},
        [MOUNT_SAME] = {"cross.mount", STATUS_PASS, "same_source"},
};

/* A user's ids everywhere (compare_user_ids()): each table has these entries. */
enum { IDS_DIFFERENT, IDS_TOO_FEW, IDS_SAME };
static const struct result_def qemu_ids_results[] = {
        [IDS_DIFFERENT] = {"cross.qemu_ids", STATUS_FAIL, "different_ids",
                           "give the qemu user the same uid and gid on every host (and the NFS server)"},
        [IDS_TOO_FEW] = {"cross.qemu_ids", STATUS_SKIP, "too_few_hosts"},
        [IDS_SAME] = {"cross.qemu_ids", STATUS_PASS, "same_ids"},
};
static const struct result_def nova_ids_results[] = {
        [IDS_DIFFERENT] =
                {"cross.nova_ids", STATUS_FAIL, "different_ids",
                 "give the user nova-compute runs as the same uid and gid on every compute host and the NFS server"},
        [IDS_TOO_FEW] = {"cross.nova_ids", STATUS_SKIP, "too_few_hosts"},
        [IDS_SAME] = {"cross.nova_ids", STATUS_PASS, "same_ids"},
};

enum { HOST_UUID_SAME, HOST_UUID_TOO_FEW, HOST_UUID_DISTINCT };
static const struct result_def host_uuid_results[] = {
        [HOST_UUID_SAME] =
                {"cross.host_uuid", STATUS_FAIL, "same_uuid",
                 "give each host its own UUID: host_uuid in /etc/libvirt/libvirtd.conf (uuidgen), or fix cloned SMBIOS/machine-id"},
        [HOST_UUID_TOO_FEW] = {"cross.host_uuid", STATUS_SKIP, "too_few_hosts"},
        [HOST_UUID_DISTINCT] = {"cross.host_uuid", STATUS_PASS, "distinct_uuids"},
};

enum { NAMES_LOCALHOST, NAMES_UNRESOLVED, NAMES_LOOPBACK, NAMES_DISAGREE, NAMES_AGREE, NAMES_REVERSE };
static const struct result_def names_results[] = {
        [NAMES_LOCALHOST] = {"cross.names", STATUS_FAIL, "localhost",
                             "give the host its own name (hostnamectl)"},
        [NAMES_UNRESOLVED] = {"cross.names", STATUS_FAIL, "unresolved",
                              "add @NAME@ to /etc/hosts on @HOST@"},
        [NAMES_LOOPBACK] =
                {"cross.names", STATUS_FAIL, "resolves_to_loopback",
                 "give @NAME@ its own address in /etc/hosts (or DNS) on @HOST@, not a loopback one"},
        [NAMES_DISAGREE] = {"cross.names", STATUS_FAIL, "addresses_disagree",
                            "make /etc/hosts (or DNS) agree on every host"},
        [NAMES_AGREE] = {"cross.names", STATUS_PASS, "names_agree"},
        [NAMES_REVERSE] =
                {"cross.names", STATUS_FAIL, "reverse_disagrees",
                 "give @ADDRESS@ the name @NAME@ in /etc/hosts (or DNS) on @HOST@: its first name there is what libvirt and TLS see"},
};

enum { CLOCK_UNKNOWN, CLOCK_FAR_OFF, CLOCK_OFF, CLOCK_AGREE, CLOCK_UNSYNCHRONIZED };
#define NTP_HINT "run NTP (chrony, systemd-timesyncd) on every host"
static const struct result_def clock_results[] = {
        [CLOCK_UNKNOWN] = {"cross.clock", STATUS_SKIP, "clock_unknown"},
        [CLOCK_FAR_OFF] = {"cross.clock", STATUS_FAIL, "clock_off", NTP_HINT},
        [CLOCK_OFF] = {"cross.clock", STATUS_WARN, "clock_off", NTP_HINT},
        [CLOCK_AGREE] = {"cross.clock", STATUS_PASS, "clocks_agree"},
        /* agreeing now, drifting apart later: a clock no daemon disciplines */
        [CLOCK_UNSYNCHRONIZED] =
                {"cross.clock", STATUS_WARN, "ntp_unsynchronized",
                 "synchronise @HOST@'s clock with NTP (chrony, systemd-timesyncd: timedatectl)"},
};

enum { VERSIONS_UNKNOWN, VERSIONS_TOO_FEW, VERSIONS_OLDER, VERSIONS_SAME };
static const struct result_def versions_results[] = {
        [VERSIONS_UNKNOWN] = {"cross.versions", STATUS_SKIP, "version_unknown"},
        [VERSIONS_TOO_FEW] = {"cross.versions", STATUS_SKIP, "too_few_hosts"},
        [VERSIONS_OLDER] =
                {"cross.versions", STATUS_WARN, "destination_older",
                 "upgrade @PROGRAM@ on @HOST@ to @VERSION@ or newer before migrating guests to it"},
        [VERSIONS_SAME] = {"cross.versions", STATUS_PASS, "same_version"},
};

enum { BRIDGES_NONE, BRIDGES_MISSING, BRIDGES_MTU_DIFFERENT, BRIDGES_SAME, BRIDGES_GUEST_MTU };
static const struct result_def bridges_results[] = {
        [BRIDGES_NONE] = {"cross.bridges", STATUS_SKIP, "no_bridges"},
        [BRIDGES_MISSING] = {"cross.bridges", STATUS_FAIL, "bridge_missing",
                             "create bridge @BRIDGE@ on @HOST@"},
        /* libvirt gives a tap its bridge's MTU on each side: a difference does not stop a migration, it
         * loses a guest's large packets only where the guest sends more than the destination carries */
        [BRIDGES_MTU_DIFFERENT] = {"cross.bridges", STATUS_WARN, "different_mtu",
                                   "set the same MTU on every host's bridge"},
        [BRIDGES_SAME] = {"cross.bridges", STATUS_PASS, "same_mtu"},
        [BRIDGES_GUEST_MTU] =
                {"cross.bridges", STATUS_FAIL, "guest_mtu_too_big",
                 "raise @BRIDGE@'s MTU on @HOST@ to @MTU@, or lower guest @GUEST@'s (<mtu size=>) before migrating it there"},
};

enum { LSM_TOO_FEW, LSM_DIFFERENT, LSM_POLICY_DIFFERENT, LSM_SAME };
static const struct result_def lsm_results[] = {
        [LSM_TOO_FEW] = {"cross.lsm", STATUS_SKIP, "too_few_hosts"},
        [LSM_DIFFERENT] =
                {"cross.lsm", STATUS_WARN, "different_lsm",
                 "migration between them works, but give every hypervisor the same LSM so guests keep one kind of confinement (and set virt_use_nfs on the SELinux ones)"},
        [LSM_POLICY_DIFFERENT] =
                {"cross.lsm", STATUS_WARN, "different_policy",
                 "set the same virt_use_* booleans and policy on every hypervisor (hostprep apply)"},
        [LSM_SAME] = {"cross.lsm", STATUS_PASS, "same_lsm"},
};

enum {
        CPU_NOT_HYPERVISOR,
        CPU_NOT_LIVE,
        CPU_NO_API,
        CPU_NO_PEERS,
        CPU_PEER_UNKNOWN,
        CPU_UNREACHABLE,
        CPU_TIMEOUT,
        CPU_COMPARE_FAILED,
        CPU_INCOMPATIBLE,
        CPU_COMPATIBLE,
};
static const struct result_def cpu_results[] = {
        [CPU_NOT_HYPERVISOR] = {"cross.cpu", STATUS_SKIP, "not_hypervisor"},
        [CPU_NOT_LIVE] = {"cross.cpu", STATUS_SKIP, "not_live"},
        [CPU_NO_API] = {"cross.cpu", STATUS_SKIP, "built_without_libvirt"},
        [CPU_NO_PEERS] = {"cross.cpu", STATUS_SKIP, "no_peer_hypervisor"},
        [CPU_PEER_UNKNOWN] = {"cross.cpu", STATUS_SKIP, "peer_cpu_unknown"},
        [CPU_UNREACHABLE] = {"cross.cpu", STATUS_SKIP, "libvirtd_unreachable"},
        [CPU_TIMEOUT] = {"cross.cpu", STATUS_ERROR, "libvirtd_timeout",
                         "check that libvirtd runs and answers: virsh -c qemu:///system domcapabilities"},
        [CPU_COMPARE_FAILED] = {"cross.cpu", STATUS_ERROR, "compare_failed",
                                "compare by hand: virsh hypervisor-cpu-compare FILE, FILE being virsh "
                                "domcapabilities of @PEER@"},
        [CPU_INCOMPATIBLE] =
                {"cross.cpu", STATUS_FAIL, "incompatible",
                 "give the guests a CPU both hosts provide: <cpu mode='custom'> with the model virsh "
                 "hypervisor-cpu-baseline makes of both hosts' virsh domcapabilities (nova: [libvirt] "
                 "cpu_mode = custom, cpu_models), or keep @PEER@'s guests off this host"},
        [CPU_COMPATIBLE] = {"cross.cpu", STATUS_PASS, "compatible"},
};

enum { MACHINES_TOO_FEW, MACHINES_UNKNOWN, MACHINES_NO_GUESTS, MACHINES_UNSUPPORTED, MACHINES_SUPPORTED };
static const struct result_def machines_results[] = {
        [MACHINES_TOO_FEW] = {"cross.machines", STATUS_SKIP, "too_few_hosts"},
        [MACHINES_UNKNOWN] = {"cross.machines", STATUS_SKIP, "machines_unknown"},
        [MACHINES_NO_GUESTS] = {"cross.machines", STATUS_SKIP, "no_guests"},
        [MACHINES_UNSUPPORTED] =
                {"cross.machines", STATUS_FAIL, "unsupported_machine",
                 "upgrade QEMU on @PEER@ to one that has these machine types (virsh capabilities lists "
                 "them), or keep these guests off @PEER@: a guest's machine type changes only with a "
                 "cold boot after editing <os><type machine=...>"},
        [MACHINES_SUPPORTED] = {"cross.machines", STATUS_PASS, "machines_supported"},
};

enum { CGROUPS_TOO_FEW, CGROUPS_MIXED, CGROUPS_SAME };
static const struct result_def cgroups_results[] = {
        [CGROUPS_TOO_FEW] = {"cross.cgroups", STATUS_SKIP, "too_few_hosts"},
        [CGROUPS_MIXED] =
                {"cross.cgroups", STATUS_WARN, "mixed_versions",
                 "boot every hypervisor with the same cgroup hierarchy: systemd.unified_cgroup_hierarchy=1 "
                 "(v2) on the kernel command line of the v1 hosts, or the other way round"},
        [CGROUPS_SAME] = {"cross.cgroups", STATUS_PASS, "same_version"},
};

enum {
        XEN_TOO_FEW,
        XEN_SAME_VERSION,
        XEN_NEXT_RELEASE,
        XEN_TOO_FAR,
};

static const struct result_def xen_results[] = {
        [XEN_TOO_FEW] = {"cross.xen", STATUS_SKIP, "too_few_hosts"},
        [XEN_SAME_VERSION] = {"cross.xen", STATUS_PASS, "same_version"},
        [XEN_NEXT_RELEASE] =
                {"cross.xen", STATUS_WARN, "one_release_apart",
                 "upgrade Xen on @HOST@ to @VERSION@ so guests migrate both ways (Xen takes guests from its own release and the one before only)"},
        [XEN_TOO_FAR] =
                {"cross.xen", STATUS_FAIL, "too_far_apart",
                 "upgrade Xen on @HOST@ to @VERSION@: Xen takes guests from its own release and the one before only"},
};

enum {
        XEN_CAPS_TOO_FEW,
        XEN_CAPS_DIFFER,
        XEN_CAPS_SAME,
};

static const struct result_def xen_caps_results[] = {
        [XEN_CAPS_TOO_FEW] = {"cross.xen_caps", STATUS_SKIP, "too_few_hosts"},
        [XEN_CAPS_DIFFER] =
                {"cross.xen_caps", STATUS_WARN, "caps_differ",
                 "run the same Xen build on every hypervisor (a guest that needs shadow or hap cannot go where it is missing; xen.info says which)"},
        [XEN_CAPS_SAME] = {"cross.xen_caps", STATUS_PASS, "same_caps"},
};

#define emit(ctx, def, hint_values, evidence, ...)                                                          \
        result_list_add_def((ctx)->results, def, NULL, hint_values, evidence, __VA_ARGS__)

/* facts -> a.b.c, or NULL */
static json_object *get(json_object *o, const char *path)
{
        _cleanup_(strv_freep) char **parts = NULL;

        if (!o || strv_split(path, ".", &parts) < 0)
                return NULL;
        STRV_FOREACH (p, parts)
                if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, *p, &o))
                        return NULL;
        return o;
}

static const char *get_string(json_object *o, const char *path)
{
        json_object *v = get(o, path);

        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool get_int(json_object *o, const char *path, int64_t *ret)
{
        json_object *v = get(o, path);

        if (!v || !json_object_is_type(v, json_type_int))
                return false;
        *ret = json_object_get_int64(v);
        return true;
}

static bool is_hypervisor(const struct host_facts *h)
{
        return h->roles & ROLE_BIT(ROLE_HYPERVISOR);
}

/* "h2: X; h3: Y" */
static int append_item(char **list, const char *host, const char *value)
{
        char *n = strdup_printf("%s%s%s: %s", strempty(*list), *list ? "; " : "", host, value);

        if (!n)
                return -ENOMEM;
        free(*list);
        *list = n;
        return 0;
}

static int compare_mounts(struct cross_ctx *ctx)
{
        const char *mountpoint = conf_get(ctx->profile, "nfs", "mountpoint");
        _cleanup_free_ char *seen = NULL, *missing = NULL;
        const char *first = NULL;
        bool differ = false;
        size_t n = 0;

        for (size_t i = 0; i < ctx->n_hosts; i++) {
                const struct host_facts *h = &ctx->hosts[i];
                json_object *mounts = get(h->facts, "mounts"), *m;
                const char *source;
                _cleanup_free_ char *desc = NULL;

                if (!is_hypervisor(h) || !h->facts)
                        continue;
                m = mounts && json_object_is_type(mounts, json_type_array) &&
                                    json_object_array_length(mounts) > 0
                            ? json_object_array_get_idx(mounts, 0)
                            : NULL;
                source = get_string(m, "source");
                if (!source) {
                        if (append_item(&missing, h->name, "nothing mounted") < 0)
                                return -ENOMEM;
                        continue;
                }
                desc = strdup_printf("%s (%s)", source, strna(get_string(m, "fstype")));
                if (!desc || append_item(&seen, h->name, desc) < 0)
                        return -ENOMEM;
                if (first && !streq(first, source))
                        differ = true;
                if (!first)
                        first = source;
                n++;
        }
        if (missing)
                return emit(ctx, &mount_results[MOUNT_MISSING], NULL, missing,
                            "%s is not mounted on every hypervisor (%s)", mountpoint, missing);
        if (differ)
                return emit(ctx, &mount_results[MOUNT_DIFFERENT], NULL, seen,
                            "%s comes from different sources on the hypervisors: %s", mountpoint, seen);
        if (n < 2)
                return emit(ctx, &mount_results[MOUNT_TOO_FEW], NULL, seen,
                            "fewer than two hypervisors reported their mounts");
        return emit(ctx, &mount_results[MOUNT_SAME], NULL, seen, "%s comes from %s on all %zu hypervisors",
                    mountpoint, first, n);
}

/* The ids of the first of users (in that order) each host has, from its facts' users.NAME: files on the
 * shared storage are owned by number, so the user must have the same ones on every host that has it.
 * defs is a table of IDS_* entries; who names the user in messages. */
static int compare_user_ids(struct cross_ctx *ctx, const char *const *users, const char *who,
                            const struct result_def *defs)
{
        _cleanup_free_ char *seen = NULL;
        int64_t uid0 = -1, gid0 = -1;
        bool differ = false;
        size_t n = 0;

        for (size_t i = 0; i < ctx->n_hosts; i++) {
                const struct host_facts *h = &ctx->hosts[i];
                int64_t uid, gid;
                bool found = false;

                for (size_t u = 0; users[u] && !found; u++) {
                        _cleanup_free_ char *pu = strdup_printf("users.%s.uid", users[u]),
                                            *pg = strdup_printf("users.%s.gid", users[u]), *desc = NULL;

                        if (!pu || !pg)
                                return -ENOMEM;
                        if (!get_int(h->facts, pu, &uid) || !get_int(h->facts, pg, &gid))
                                continue;
                        found = true;
                        desc = strdup_printf("%s %lld:%lld", users[u], (long long)uid, (long long)gid);
                        if (!desc || append_item(&seen, h->name, desc) < 0)
                                return -ENOMEM;
                        if (n > 0 && (uid != uid0 || gid != gid0))
                                differ = true;
                        uid0 = n == 0 ? uid : uid0;
                        gid0 = n == 0 ? gid : gid0;
                        n++;
                }
        }
        if (differ)
                return emit(
                        ctx, &defs[IDS_DIFFERENT], NULL, seen,
                        "the %s user has different ids on the hosts (%s): a disk image owned by it on one host belongs to someone else on the other",
                        who, seen);
        if (n < 2)
                return emit(ctx, &defs[IDS_TOO_FEW], NULL, seen,
                            "fewer than two hosts have a %s user to compare", who);
        return emit(ctx, &defs[IDS_SAME], NULL, seen, "the %s user is %lld:%lld on all %zu hosts", who,
                    (long long)uid0, (long long)gid0, n);
}

static int compare_qemu_ids(struct cross_ctx *ctx)
{
        return compare_user_ids(ctx, (const char *const[]){"libvirt-qemu", "qemu", NULL}, "qemu",
                                qemu_ids_results);
}

/* nova's instances directory is shared like the disks: nova-compute's user (the profile's [nova] user,
 * else nova, or stack under devstack) on the compute hosts and the NFS server. */
static int compare_nova_ids(struct cross_ctx *ctx)
{
        const char *want = conf_get(ctx->profile, "nova", "user");

        if (want)
                return compare_user_ids(ctx, (const char *const[]){want, NULL}, want, nova_ids_results);
        return compare_user_ids(ctx, (const char *const[]){"nova", "stack", NULL}, "nova-compute",
                                nova_ids_results);
}

static int compare_host_uuids(struct cross_ctx *ctx)
{
        _cleanup_free_ char *seen = NULL;
        size_t n = 0;

        for (size_t i = 0; i < ctx->n_hosts; i++) {
                const struct host_facts *a = &ctx->hosts[i];
                const char *ua = get_string(a->facts, "host_uuid.effective");
                _cleanup_free_ char *desc = NULL;

                if (!is_hypervisor(a) || !ua)
                        continue;
                desc = strdup_printf("%s (%s)", ua,
                                     strna(get_string(a->facts, "host_uuid.effective_source")));
                if (!desc || append_item(&seen, a->name, desc) < 0)
                        return -ENOMEM;
                n++;
                for (size_t j = 0; j < i; j++) {
                        const struct host_facts *b = &ctx->hosts[j];
                        const char *ub = get_string(b->facts, "host_uuid.effective");

                        if (is_hypervisor(b) && ub && strcasecmp(ua, ub) == 0)
                                return emit(
                                        ctx, &host_uuid_results[HOST_UUID_SAME], NULL, desc,
                                        "%s and %s have the same host UUID %s: libvirt refuses to migrate between them (\"Attempt to migrate guest to the same host\")",
                                        b->name, a->name, ua);
                }
        }
        if (n < 2)
                return emit(ctx, &host_uuid_results[HOST_UUID_TOO_FEW], NULL, seen,
                            "fewer than two hypervisors reported a host UUID");
        return emit(ctx, &host_uuid_results[HOST_UUID_DISTINCT], NULL, seen,
                    "all %zu hypervisors have distinct host UUIDs", n);
}

static char *addresses_text(json_object *arr)
{
        _cleanup_(strv_freep) char **v = NULL;

        for (size_t i = 0;
             arr && json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr); i++)
                if (strv_push_dup(&v, json_object_get_string(json_object_array_get_idx(arr, i))) < 0)
                        return NULL;
        return v ? strv_join(v, " ") : strdup("");
}

/* A peer that resolves target to a loopback address sends target's guests to itself: with a copied
 * /etc/hosts (Debian's "127.0.1.1 NAME" line) the sources connect to their own QEMU. 1: emitted. */
static int check_peer_address(struct cross_ctx *ctx, const struct host_facts *peer, const char *target,
                              json_object *addrs)
{
        for (size_t k = 0; k < json_object_array_length(addrs); k++) {
                const char *a = json_object_get_string(json_object_array_get_idx(addrs, k));
                int r;

                if (!a || !address_is_loopback(a))
                        continue;
                r = emit(
                        ctx, &names_results[NAMES_LOOPBACK], HINT_VALUES("NAME", target, "HOST", peer->name),
                        a,
                        "%s resolves %s to the loopback address %s: migrating a guest to %s from %s sends it to %s itself",
                        peer->name, target, a, target, peer->name, peer->name);
                return r < 0 ? r : 1;
        }
        return 0;
}

static bool same_host_name(const char *a, const char *b)
{
        size_t la = strcspn(a, "."), lb = strcspn(b, ".");

        /* hv2 and hv2.lab are the same host; the short names decide */
        return strcasecmp(a, b) == 0 || (la == lb && strncasecmp(a, b, la) == 0);
}

/* Host h resolves target to addresses whose own first name on h is another host's: libvirt's
 * migration URIs, TLS and the peers' logs then name the wrong host. 1: emitted. */
static int check_reverse(struct cross_ctx *ctx, const struct host_facts *h, const char *target)
{
        _cleanup_free_ char *path = strdup_printf("resolve.%s", target);
        json_object *addrs = path ? get(h->facts, path) : NULL, *reverse = get(h->facts, "reverse");
        int r;

        if (!path)
                return -ENOMEM;
        for (size_t k = 0; reverse && addrs && json_object_is_type(addrs, json_type_array) &&
                           k < json_object_array_length(addrs);
             k++) {
                const char *a = json_object_get_string(json_object_array_get_idx(addrs, k)), *first;
                json_object *names = NULL;

                if (!a || !json_object_object_get_ex(reverse, a, &names) ||
                    !json_object_is_type(names, json_type_array) || json_object_array_length(names) == 0)
                        continue; /* not in /etc/hosts (an address given as the name, or DNS) */
                first = json_object_get_string(json_object_array_get_idx(names, 0));
                if (!first || same_host_name(first, target))
                        continue;
                r = emit(ctx, &names_results[NAMES_REVERSE],
                         HINT_VALUES("ADDRESS", a, "NAME", target, "HOST", h->name), first,
                         "on %s, %s resolves to %s, but %s's name is %s: forward and reverse disagree",
                         h->name, target, a, a, first);
                return r < 0 ? r : 1;
        }
        return 0;
}

static int compare_reverse(struct cross_ctx *ctx)
{
        for (size_t i = 0; i < ctx->n_hosts; i++)
                for (size_t t = 0; ctx->hosts[i].facts && t < ctx->n_hosts; t++) {
                        int r = t == i ? 0 : check_reverse(ctx, &ctx->hosts[i], ctx->hosts[t].name);
                        if (r != 0)
                                return r;
                }
        return 0;
}

static int compare_names(struct cross_ctx *ctx)
{
        int r;

        for (size_t i = 0; i < ctx->n_hosts; i++) {
                const char *hn = get_string(ctx->hosts[i].facts, "hostname");

                /* libvirt's own test is the prefix: "localhost6" is refused like "localhost.lab" */
                if (hn && (strcasecmp(hn, "localhost") == 0 || startswith(hn, "localhost")))
                        return emit(ctx, &names_results[NAMES_LOCALHOST], NULL, hn,
                                    "%s calls itself %s: libvirt and the peers cannot tell the hosts apart",
                                    ctx->hosts[i].name, hn);
        }
        /* every host must resolve every profile host to the same addresses */
        for (size_t t = 0; t < ctx->n_hosts; t++) {
                const char *target = ctx->hosts[t].name;
                _cleanup_free_ char *ref = NULL, *ref_host = NULL, *seen = NULL;

                for (size_t i = 0; i < ctx->n_hosts; i++) {
                        _cleanup_free_ char *path = strdup_printf("resolve.%s", target), *addrs = NULL;
                        json_object *v;

                        if (!path)
                                return -ENOMEM;
                        if (!ctx->hosts[i].facts || i == t)
                                continue;
                        v = get(ctx->hosts[i].facts, path);
                        addrs = addresses_text(v);
                        if (!addrs)
                                return -ENOMEM;
                        if (!*addrs)
                                return emit(ctx, &names_results[NAMES_UNRESOLVED],
                                            HINT_VALUES("NAME", target, "HOST", ctx->hosts[i].name), NULL,
                                            "%s cannot resolve %s (its /etc/hosts has no entry)",
                                            ctx->hosts[i].name, target);
                        r = check_peer_address(ctx, &ctx->hosts[i], target, v);
                        if (r != 0)
                                return r < 0 ? r : 0;
                        r = append_item(&seen, ctx->hosts[i].name, addrs);
                        if (r < 0)
                                return r;
                        if (!ref) {
                                ref = TAKE_PTR(addrs);
                                ref_host = strdup(ctx->hosts[i].name);
                        } else if (!streq(ref, addrs))
                                return emit(ctx, &names_results[NAMES_DISAGREE], NULL, seen,
                                            "the hosts disagree where %s is: %s resolves it to %s, %s to %s",
                                            target, strna(ref_host), ref, ctx->hosts[i].name, addrs);
                }
        }
        r = compare_reverse(ctx);
        if (r != 0)
                return r < 0 ? r : 0;
        return emit(ctx, &names_results[NAMES_AGREE], NULL, NULL,
                    "every host has its own name and all resolve each other alike");
}

/* Every host whose kernel says its clock is not synchronised (facts time.ntp_synchronized false). */
static int compare_ntp(struct cross_ctx *ctx)
{
        for (size_t i = 0; i < ctx->n_hosts; i++) {
                json_object *v = get(ctx->hosts[i].facts, "time.ntp_synchronized");
                const char *daemon = get_string(ctx->hosts[i].facts, "time.ntp_daemon");
                int r;

                if (!v || !json_object_is_type(v, json_type_boolean) || json_object_get_boolean(v))
                        continue;
                r = emit(ctx, &clock_results[CLOCK_UNSYNCHRONIZED], HINT_VALUES("HOST", ctx->hosts[i].name),
                         daemon, "%s's clock is not synchronised (%s): it drifts from the others",
                         ctx->hosts[i].name, daemon ? daemon : "no NTP daemon found");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int compare_clocks(struct cross_ctx *ctx)
{
        _cleanup_free_ char *seen = NULL;
        double worst = 0;
        const char *worst_host = NULL;
        size_t n = 0;

        for (size_t i = 0; i < ctx->n_hosts; i++) {
                const struct host_facts *h = &ctx->hosts[i];
                _cleanup_free_ char *desc = NULL;

                if (!h->clock_known)
                        continue;
                desc = strdup_printf("%+.3f s (±%.3f)", h->clock_offset, h->clock_error);
                if (!desc || append_item(&seen, h->name, desc) < 0)
                        return -ENOMEM;
                n++;
                if (fabs(h->clock_offset) - h->clock_error > fabs(worst)) {
                        worst = fabs(h->clock_offset) - h->clock_error;
                        worst_host = h->name;
                }
        }
        if (compare_ntp(ctx) < 0)
                return -ENOMEM;
        if (n == 0)
                return emit(ctx, &clock_results[CLOCK_UNKNOWN], NULL, NULL, "no peer's clock could be read");
        if (worst > CLOCK_FAIL_SECONDS)
                return emit(ctx, &clock_results[CLOCK_FAR_OFF], NULL, seen,
                            "%s's clock is %.1f s off: migrated guests' clocks jump", worst_host, worst);
        if (worst > CLOCK_WARN_SECONDS)
                return emit(ctx, &clock_results[CLOCK_OFF], NULL, seen, "%s's clock is %.1f s off",
                            worst_host, worst);
        return emit(ctx, &clock_results[CLOCK_AGREE], NULL, seen, "the clocks agree within %.1f s",
                    CLOCK_WARN_SECONDS);
}

/* One program's versions on the hypervisors. Only major.minor counts: a destination older than a source
 * may lack a machine type or device the newer one's guests use, and the older libvirt may not parse the
 * domain XML the newer one sends. Every older host is compared with the newest, which covers every pair. */
static int compare_program_versions(struct cross_ctx *ctx, const char *key, const char *program)
{
        _cleanup_free_ char *path = strdup_printf("versions.%s", key), *seen = NULL, *unknown = NULL;
        _cleanup_free_ struct version *v = calloc(ctx->n_hosts + 1, sizeof(*v));
        _cleanup_free_ size_t *idx = calloc(ctx->n_hosts + 1, sizeof(*idx));
        size_t n = 0, newest = 0, older = 0;
        int r = 0;

        if (!path || !v || !idx)
                return -ENOMEM;
        for (size_t i = 0; i < ctx->n_hosts; i++) {
                const struct host_facts *h = &ctx->hosts[i];
                const char *text = get_string(h->facts, path);

                if (!is_hypervisor(h) || !h->facts)
                        continue; /* an unreachable peer is reported as such */
                if (!text || version_parse(text, &v[n]) < 0) {
                        if (append_item(&unknown, h->name, text ? text : "none") < 0)
                                return -ENOMEM;
                        continue;
                }
                if (append_item(&seen, h->name, text) < 0)
                        return -ENOMEM;
                if (n > 0 && version_compare(&v[n], &v[newest], 3) > 0)
                        newest = n;
                idx[n++] = i;
        }
        if (unknown)
                r = emit(ctx, &versions_results[VERSIONS_UNKNOWN], NULL, unknown,
                         "no %s version known on some hypervisors (%s): they are left out", program,
                         unknown);
        if (r < 0 || n < 2)
                return r < 0 ? r
                             : emit(ctx, &versions_results[VERSIONS_TOO_FEW], NULL, seen,
                                    "fewer than two hypervisors reported their %s version", program);
        for (size_t k = 0; k < n; k++) {
                const char *old = ctx->hosts[idx[k]].name, *new = ctx->hosts[idx[newest]].name;
                _cleanup_free_ char *want = NULL;

                if (version_compare(&v[k], &v[newest], 2) >= 0)
                        continue;
                want = strdup_printf("%u.%u", v[newest].major, v[newest].minor);
                r = want ? emit(ctx, &versions_results[VERSIONS_OLDER],
                                HINT_VALUES("PROGRAM", program, "HOST", old, "VERSION", want), seen,
                                "%s runs %s %u.%u, %s %s: migrating from %s to %s fails for guests that use what %s added; upgrade %s first",
                                old, program, v[k].major, v[k].minor, new, want, new, old, want, old)
                         : -ENOMEM;
                if (r < 0)
                        return r;
                older++;
        }
        if (older > 0)
                return 0;
        return emit(ctx, &versions_results[VERSIONS_SAME], NULL, seen, "%s %u.%u on all %zu hypervisors",
                    program, v[newest].major, v[newest].minor, n);
}

static int compare_versions(struct cross_ctx *ctx)
{
        int r = compare_program_versions(ctx, "libvirt", "libvirt");

        return r < 0 ? r : compare_program_versions(ctx, "qemu", "QEMU");
}

/* Xen's versions and virt_caps on the hypervisors that run xl (facts.xen). Xen migrates a guest from
 * release N to N or N+1 only (xen docs/process/xen-release-management, "migration from N-1"), so two
 * releases apart fail both ways and one apart fail from the newer to the older. */
static int compare_xen_versions(struct cross_ctx *ctx, const struct host_facts **xen,
                                const struct version *v, size_t n, const char *seen)
{
        size_t newest = 0, oldest = 0;
        _cleanup_free_ char *want = NULL;
        unsigned gap;

        for (size_t k = 1; k < n; k++) {
                if (version_compare(&v[k], &v[newest], 2) > 0)
                        newest = k;
                if (version_compare(&v[k], &v[oldest], 2) < 0)
                        oldest = k;
        }
        if (version_compare(&v[oldest], &v[newest], 2) == 0)
                return emit(ctx, &xen_results[XEN_SAME_VERSION], NULL, seen,
                            "Xen %u.%u on all %zu hypervisors", v[newest].major, v[newest].minor, n);
        want = strdup_printf("%u.%u", v[newest].major, v[newest].minor);
        if (!want)
                return -ENOMEM;
        gap = v[oldest].major == v[newest].major ? v[newest].minor - v[oldest].minor : UINT_MAX;
        if (gap == 1)
                return emit(ctx, &xen_results[XEN_NEXT_RELEASE],
                            HINT_VALUES("HOST", xen[oldest]->name, "VERSION", want), seen,
                            "%s runs Xen %u.%u, %s %s: guests migrate from %s to %s (N to N+1), not back",
                            xen[oldest]->name, v[oldest].major, v[oldest].minor, xen[newest]->name, want,
                            xen[oldest]->name, xen[newest]->name);
        return emit(ctx, &xen_results[XEN_TOO_FAR], HINT_VALUES("HOST", xen[oldest]->name, "VERSION", want),
                    seen, "%s runs Xen %u.%u, %s %s: more than one release apart, no migration either way",
                    xen[oldest]->name, v[oldest].major, v[oldest].minor, xen[newest]->name, want);
}

/* The hypervisors whose facts say a Xen version (xl info answered there), with the versions parsed. */
static int xen_hosts(const struct cross_ctx *ctx, const struct host_facts **xen, struct version *v,
                     size_t *ret_n, char **seen)
{
        size_t n = 0;

        for (size_t i = 0; i < ctx->n_hosts; i++) {
                const char *text = get_string(ctx->hosts[i].facts, "xen.version");

                if (!is_hypervisor(&ctx->hosts[i]) || !text || version_parse(text, &v[n]) < 0)
                        continue;
                if (append_item(seen, ctx->hosts[i].name, text) < 0)
                        return -ENOMEM;
                xen[n++] = &ctx->hosts[i];
        }
        *ret_n = n;
        return 0;
}

static int compare_xen(struct cross_ctx *ctx)
{
        _cleanup_free_ const struct host_facts **xen = calloc(ctx->n_hosts + 1, sizeof(*xen));
        _cleanup_free_ struct version *v = calloc(ctx->n_hosts + 1, sizeof(*v));
        _cleanup_free_ char *seen = NULL;
        size_t n = 0;

        if (!xen || !v || xen_hosts(ctx, xen, v, &n, &seen) < 0)
                return -ENOMEM;
        if (n < 2)
                return emit(ctx, &xen_results[XEN_TOO_FEW], NULL, seen,
                            "fewer than two hypervisors reported a Xen version (xl info)");
        return compare_xen_versions(ctx, xen, v, n, seen);
}

/* virt_caps say what a Xen build runs: a guest that needs shadow (PV) or hap (PVH, HVM) and migrates to a
 * build without it does not run there. */
static int compare_xen_caps(struct cross_ctx *ctx)
{
        _cleanup_free_ const struct host_facts **xen = calloc(ctx->n_hosts + 1, sizeof(*xen));
        _cleanup_free_ struct version *v = calloc(ctx->n_hosts + 1, sizeof(*v));
        _cleanup_free_ char *versions = NULL, *seen = NULL;
        bool differ = false;
        size_t n = 0;

        if (!xen || !v || xen_hosts(ctx, xen, v, &n, &versions) < 0)
                return -ENOMEM;
        if (n < 2)
                return emit(ctx, &xen_caps_results[XEN_CAPS_TOO_FEW], NULL, versions,
                            "fewer than two hypervisors reported Xen's virt_caps (xl info)");
        for (size_t k = 0; k < n; k++) {
                const char *caps = get_string(xen[k]->facts, "xen.virt_caps");

                if (append_item(&seen, xen[k]->name, caps ? caps : "none") < 0)
                        return -ENOMEM;
                differ |= !streq_ptr(caps, get_string(xen[0]->facts, "xen.virt_caps"));
        }
        if (differ)
                return emit(ctx, &xen_caps_results[XEN_CAPS_DIFFER], NULL, seen,
                            "the hypervisors' Xen builds offer different virt_caps (%s)", seen);
        return emit(ctx, &xen_caps_results[XEN_CAPS_SAME], NULL, seen,
                    "the same virt_caps on all %zu hypervisors", n);
}

/* Which LSM confines guests on a host: selinux when it runs, else apparmor when enabled, else none; NULL
 * when the host gave no security facts (--root, an older hostprep). */
static const char *confining_lsm(json_object *facts)
{
        const char *selinux = get_string(facts, "security.selinux"),
                   *aa = get_string(facts, "security.apparmor");

        if (!selinux || !aa)
                return NULL;
        if (streq(selinux, "enforcing") || streq(selinux, "permissive"))
                return "selinux";
        return streq(aa, "enabled") ? "apparmor" : "none";
}

/* The same LSM with the same policy state on every hypervisor. sVirt labels do not travel: a guest from an
 * AppArmor host gets an SELinux label on arrival (and the reverse), so the destination's policy alone
 * decides whether it may use its disks. */
static int compare_lsm(struct cross_ctx *ctx)
{
        _cleanup_free_ char *seen = NULL, *policy0 = NULL;
        const char *lsm0 = NULL;
        bool lsm_differ = false, policy_differ = false;
        size_t n = 0;

        for (size_t i = 0; i < ctx->n_hosts; i++) {
                const struct host_facts *h = &ctx->hosts[i];
                const char *lsm = is_hypervisor(h) && h->facts ? confining_lsm(h->facts) : NULL;
                const char *booleans = lsm ? get_string(h->facts, "security.virt_booleans") : NULL;
                _cleanup_free_ char *desc = NULL, *policy = NULL;

                if (!lsm)
                        continue;
                policy = strdup_printf("%s %s", strna(get_string(h->facts, "security.selinux_policy")),
                                       strna(booleans));
                desc = strdup_printf("%s%s%s", lsm, booleans ? ", " : "", strempty(booleans));
                if (!policy || !desc || append_item(&seen, h->name, desc) < 0)
                        return -ENOMEM;
                if (n++ == 0) {
                        lsm0 = lsm;
                        policy0 = TAKE_PTR(policy);
                } else if (!streq(lsm, lsm0))
                        lsm_differ = true;
                else if (streq(lsm, "selinux") && !streq(policy, policy0))
                        policy_differ = true;
        }
        if (n < 2)
                return emit(ctx, &lsm_results[LSM_TOO_FEW], NULL, seen,
                            "fewer than two hypervisors report their LSM");
        if (lsm_differ)
                return emit(ctx, &lsm_results[LSM_DIFFERENT], NULL, seen,
                            "the hypervisors confine guests differently (%s): a migrated guest is labelled "
                            "again by the destination's LSM, and its disks must be allowed there too",
                            seen);
        if (policy_differ)
                return emit(ctx, &lsm_results[LSM_POLICY_DIFFERENT], NULL, seen,
                            "SELinux's policy or booleans differ between the hypervisors (%s): a guest that "
                            "runs on one may be denied its disks on the other",
                            seen);
        return emit(ctx, &lsm_results[LSM_SAME], NULL, seen,
                    "every hypervisor confines guests the same way (%s)", seen);
}

static json_object *find_bridge(json_object *facts, const char *name)
{
        json_object *bridges = get(facts, "bridges");

        for (size_t i = 0; bridges && json_object_is_type(bridges, json_type_array) &&
                           i < json_object_array_length(bridges);
             i++) {
                json_object *b = json_object_array_get_idx(bridges, i);
                if (streq(strempty(get_string(b, "name")), name))
                        return b;
        }
        return NULL;
}

/* The MTU a guest's interface needs: its <mtu size=>, else its bridge's on the host it runs on. */
static int64_t guest_need(json_object *guest, int64_t bridge_mtu)
{
        int64_t m;

        return get_int(guest, "mtu", &m) ? m : bridge_mtu;
}

/* Each guest on bridge name of a hypervisor, against every other hypervisor's bridge of that name: a
 * destination that carries less than the guest sends loses its large packets. Returns how many were
 * found (each emitted). */
static int compare_guest_mtus(struct cross_ctx *ctx, const char *name)
{
        int found = 0;

        for (size_t s = 0; s < ctx->n_hosts; s++) {
                json_object *src = is_hypervisor(&ctx->hosts[s]) ? find_bridge(ctx->hosts[s].facts, name)
                                                                 : NULL,
                            *guests = get(src, "guests");
                int64_t src_mtu;

                if (!src || !get_int(src, "mtu", &src_mtu) || !guests ||
                    !json_object_is_type(guests, json_type_array))
                        continue;
                for (size_t g = 0; g < json_object_array_length(guests); g++)
                        for (size_t d = 0; d < ctx->n_hosts; d++) {
                                json_object *guest = json_object_array_get_idx(guests, g),
                                            *dst = d == s || !is_hypervisor(&ctx->hosts[d])
                                                           ? NULL
                                                           : find_bridge(ctx->hosts[d].facts, name);
                                int64_t dst_mtu, need = guest_need(guest, src_mtu);
                                const char *gname = get_string(guest, "name");
                                char mtu[32];
                                int r;

                                if (!dst || !gname || !get_int(dst, "mtu", &dst_mtu) || need <= dst_mtu)
                                        continue;
                                snprintf(mtu, sizeof(mtu), "%lld", (long long)need);
                                r = emit(
                                        ctx, &bridges_results[BRIDGES_GUEST_MTU],
                                        HINT_VALUES("BRIDGE", name, "HOST", ctx->hosts[d].name, "MTU", mtu,
                                                    "GUEST", gname),
                                        NULL,
                                        "guest %s on %s sends %lld-byte packets onto %s; %s's %s carries %lld: "
                                        "after a migration there its large packets are lost",
                                        gname, ctx->hosts[s].name, (long long)need, name, ctx->hosts[d].name,
                                        name, (long long)dst_mtu);
                                if (r < 0)
                                        return r;
                                found++;
                        }
        }
        return found;
}

static int compare_bridges(struct cross_ctx *ctx)
{
        _cleanup_(strv_freep) char **names = NULL;
        const char *list = conf_get(ctx->profile, "network", "bridges");
        int r;

        if (!list)
                return emit(ctx, &bridges_results[BRIDGES_NONE], NULL, NULL,
                            "the profile names no bridges ([network] bridges)");
        r = strv_split(list, ", \t", &names);
        if (r < 0)
                return r;
        STRV_FOREACH (name, names) {
                _cleanup_free_ char *seen = NULL;
                int64_t mtu0 = -1;
                bool differ = false;

                for (size_t i = 0; i < ctx->n_hosts; i++) {
                        const struct host_facts *h = &ctx->hosts[i];
                        json_object *b;
                        int64_t mtu;
                        char buf[32];

                        if (!is_hypervisor(h) || !h->facts)
                                continue;
                        b = find_bridge(h->facts, *name);
                        if (!b) {
                                r = emit(ctx, &bridges_results[BRIDGES_MISSING],
                                         HINT_VALUES("BRIDGE", *name, "HOST", h->name), NULL,
                                         "%s has no bridge %s: guests attached to it cannot run there",
                                         h->name, *name);
                                goto next;
                        }
                        if (!get_int(b, "mtu", &mtu))
                                continue;
                        snprintf(buf, sizeof(buf), "MTU %lld", (long long)mtu);
                        if (append_item(&seen, h->name, buf) < 0)
                                return -ENOMEM;
                        if (mtu0 >= 0 && mtu != mtu0)
                                differ = true;
                        if (mtu0 < 0)
                                mtu0 = mtu;
                }
                if (differ) {
                        /* the guests it breaks are named; without any, the difference alone is a warning */
                        r = compare_guest_mtus(ctx, *name);
                        if (r == 0)
                                r = emit(
                                        ctx, &bridges_results[BRIDGES_MTU_DIFFERENT], NULL, seen,
                                        "bridge %s has different MTUs (%s): libvirt gives each guest's tap the "
                                        "bridge's MTU on each side, so migrations work; no guest defined here "
                                        "sends more than the smallest carries",
                                        *name, seen);
                        else if (r > 0)
                                r = 0;
                } else
                        r = emit(ctx, &bridges_results[BRIDGES_SAME], NULL, seen,
                                 "bridge %s is on every hypervisor with the same MTU", *name);
        next:
                if (r < 0)
                        return r;
        }
        return 0;
}

/* CPUs: this host as the destination of every peer hypervisor's guests, decided by this host's libvirt */

#if HAVE_LIBVIRT
struct cpu_batch {
        const struct cpu_question *q;
        size_t n;
        const char *uri;
};

static void libvirt_quiet(void *opaque, virErrorPtr e)
{
        /* libvirt prints its errors by default; the answers carry them */
}

static int cpu_reply_error(int fd)
{
        const char *m = virGetLastErrorMessage();
        _cleanup_free_ char *text = strdup_printf("E%s", m ? m : "cannot connect");

        return text && spawn_reply(fd, text, strlen(text)) >= 0 ? 0 : 1;
}

/* In a child, abandoned at the deadline: "C" and RESULT\0MESSAGE\0 for every question, or "E" and
 * libvirt's error when there is no connection. Read-write: libvirt refuses to compare CPUs on a
 * read-only connection ("read only access prevents virConnectCompareHypervisorCPU"); nothing changes. */
static int cpu_child(void *userdata, int fd)
{
        const struct cpu_batch *b = userdata;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        virConnectPtr c;
        FILE *out;

        virSetErrorFunc(NULL, libvirt_quiet);
        c = virConnectOpen(b->uri);
        if (!c)
                return cpu_reply_error(fd);
        out = open_memstream(&buf, &size);
        for (size_t i = 0; out && i < b->n; i++) {
                const struct cpu_question *q = &b->q[i];
                /* NULL emulator and machine, as nova asks: the defaults of the peer's arch and type */
                int r = virConnectCompareHypervisorCPU(c, NULL, q->arch, NULL, q->domain_type, q->cpu_xml,
                                                       VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE);
                const virError *e = r < 0 ? virGetLastError() : NULL;

                /* with FAIL_INCOMPATIBLE, libvirt's error names what the CPU here lacks */
                if (e && e->code == VIR_ERR_CPU_INCOMPATIBLE)
                        r = CPU_COMPARE_INCOMPATIBLE;
                fprintf(out, "%s%d%c%s%c", i == 0 ? "C" : "", r, 0, e && e->message ? e->message : "", 0);
        }
        virConnectClose(c);
        if (!out || fclose(out) != 0)
                return 1;
        return spawn_reply(fd, buf, size) < 0 ? 1 : 0;
}

/* The child's answers into q (buf is NUL-terminated at len); a missing answer is a failure. */
static int cpu_answers(const char *buf, size_t len, struct cpu_question *q, size_t n)
{
        const char *p = buf + 1, *end = buf + len;

        for (size_t i = 0; i < n; i++) {
                const char *message = p < end ? p + strlen(p) + 1 : end;
                char *e = NULL;
                long v = p < end ? strtol(p, &e, 10) : 0;

                q[i].result = (int)v;
                if (p >= end || e == p || *e || v < CPU_COMPARE_ERROR || v > CPU_COMPARE_SUPERSET) {
                        q[i].result = -1;
                        q[i].message = strdup("libvirtd gave no answer");
                } else
                        q[i].message = message < end && *message ? strdup(message) : NULL;
                if (q[i].result < 0 && !q[i].message)
                        return -ENOMEM;
                p = message < end ? message + strlen(message) + 1 : end;
        }
        return 0;
}

static int libvirt_ask_cpu_at(const char *uri, usec_t deadline, struct cpu_question *q, size_t n,
                              char **ret_error)
{
        struct cpu_batch b = {q, n, uri ? uri : LIBVIRT_URI};
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        int r;

        r = spawn_call(deadline, cpu_child, &b, 0, &out, &len, NULL);
        if (r < 0)
                return r;
        if (n > 0 && len > 0 && out[0] == 'C')
                return cpu_answers(out, len, q, n);
        *ret_error =
                strdup(len > 1 && out[0] == 'E' ? out + 1 : "no answer from the child that asks libvirtd");
        return *ret_error ? -ENOTCONN : -ENOMEM;
}

static int libvirt_ask_cpu(const struct cross_ctx *ctx, struct cpu_question *q, size_t n, char **ret_error)
{
        return libvirt_ask_cpu_at(LIBVIRT_URI, ctx->deadline, q, n, ret_error);
}
#endif

int cross_ask_cpu(const char *uri, usec_t deadline, struct cpu_question *q, size_t n, char **ret_error)
{
#if HAVE_LIBVIRT
        return libvirt_ask_cpu_at(uri, deadline, q, n, ret_error);
#else
        return -EOPNOTSUPP;
#endif
}

static int ask_cpu(const struct cross_ctx *ctx, struct cpu_question *q, size_t n, char **ret_error)
{
        if (ctx->ask_cpu)
                return ctx->ask_cpu(ctx, q, n, ret_error);
#if HAVE_LIBVIRT
        return libvirt_ask_cpu(ctx, q, n, ret_error);
#else
        return -EOPNOTSUPP;
#endif
}

/* The guests of h whose CPU mode is mode, "vm1, vm2", or NULL when none (or -ENOMEM through *oom). */
static char *guests_with_cpu_mode(const struct host_facts *h, const char *mode, bool *oom)
{
        json_object *guests = get(h->facts, "libvirt.guests");
        _cleanup_(strv_freep) char **names = NULL;
        char *s;

        if (!guests || !json_object_is_type(guests, json_type_object))
                return NULL;
        json_object_object_foreach(guests, name, g)
        {
                if (streq(strempty(json_get_string(g, "cpu_mode")), mode) && strv_push_dup(&names, name) < 0)
                        *oom = true;
        }
        s = names ? strv_join(names, ", ") : NULL;
        if (names && !s)
                *oom = true;
        return s;
}

static int emit_cpu_verdict(struct cross_ctx *ctx, const struct host_facts *peer,
                            const struct cpu_question *q)
{
        const char *here = ctx->hosts[0].name, *model = get_string(peer->facts, "libvirt.host_model.model");
        bool oom = false;
        _cleanup_free_ char *guests = guests_with_cpu_mode(peer, "host-model", &oom),
                            *evidence = strdup_printf(
                                    "%s: host-model %s (%s) for %s on %s; libvirt on %s: %s", peer->name,
                                    strna(model),
                                    strna(get_string(peer->facts, "libvirt.host_model.vendor")),
                                    strna(q->domain_type), strna(q->arch), here,
                                    q->result == CPU_COMPARE_IDENTICAL      ? "identical"
                                    : q->result == CPU_COMPARE_SUPERSET     ? "superset"
                                    : q->result == CPU_COMPARE_INCOMPATIBLE ? "incompatible"
                                                                            : "error");
        const char *const *peer_hint = HINT_VALUES("PEER", peer->name);

        if (oom || !evidence)
                return -ENOMEM;
        if (q->result == CPU_COMPARE_IDENTICAL || q->result == CPU_COMPARE_SUPERSET)
                return emit(
                        ctx, &cpu_results[CPU_COMPATIBLE], peer_hint, evidence,
                        "%s's host-model CPU (%s) is %s the CPU %s's hypervisor provides: %s's guests with "
                        "host-model can run on %s",
                        peer->name, strna(model),
                        q->result == CPU_COMPARE_IDENTICAL ? "identical to" : "a subset of", here,
                        peer->name, here);
        if (q->result == CPU_COMPARE_INCOMPATIBLE)
                return emit(ctx, &cpu_results[CPU_INCOMPATIBLE], peer_hint, evidence,
                            "guests with host-model from %s cannot run on %s: %s%s%s%s", peer->name, here,
                            q->message ? q->message : "libvirt says the CPUs are incompatible",
                            guests ? " (its guests with host-model: " : "", strempty(guests),
                            guests ? ")" : "");
        return emit(ctx, &cpu_results[CPU_COMPARE_FAILED], peer_hint, evidence,
                    "libvirt on %s could not compare %s's host-model CPU: %s", here, peer->name,
                    strna(q->message));
}

/* A question for every peer hypervisor whose facts have its host-model CPU; SKIPs for the others. */
static int cpu_questions(struct cross_ctx *ctx, struct cpu_question *q, const struct host_facts **peer,
                         size_t *ret_n, size_t *ret_unknown)
{
        size_t n = 0, unknown = 0;

        for (size_t i = 1; i < ctx->n_hosts; i++) {
                const struct host_facts *h = &ctx->hosts[i];
                const char *xml = get_string(h->facts, "libvirt.host_model.cpu_xml"),
                           *why = get_string(h->facts, "libvirt.error");
                int r;

                if (!is_hypervisor(h) || !h->facts)
                        continue; /* an unreachable peer is reported as such */
                if (xml) {
                        q[n] = (struct cpu_question){
                                .cpu_xml = xml,
                                .arch = get_string(h->facts, "libvirt.arch"),
                                .domain_type = get_string(h->facts, "libvirt.domain_type"),
                        };
                        peer[n++] = h;
                        continue;
                }
                unknown++;
                if (!why)
                        why = get(h->facts, "libvirt") ? "its libvirt has no host-model CPU"
                                                       : "its facts have no libvirt part";
                r = emit(
                        ctx, &cpu_results[CPU_PEER_UNKNOWN], NULL, why,
                        "%s's host-model CPU is not known (%s): its guests' CPUs are not compared with %s's",
                        h->name, why, ctx->hosts[0].name);
                if (r < 0)
                        return r;
        }
        *ret_n = n;
        *ret_unknown = unknown;
        return 0;
}

static int emit_cpu_asked(struct cross_ctx *ctx, int asked, const char *error,
                          const struct host_facts **peer, const struct cpu_question *q, size_t n)
{
        const char *here = ctx->hosts[0].name;
        int r = 0;

        if (asked == -EOPNOTSUPP)
                return emit(ctx, &cpu_results[CPU_NO_API], NULL, NULL,
                            "hostprep is built without the libvirt API: the peers' CPUs are not compared");
        if (asked == -ETIMEDOUT)
                return emit(ctx, &cpu_results[CPU_TIMEOUT], NULL, LIBVIRT_URI,
                            "%s's libvirtd did not compare the peers' CPUs before the deadline", here);
        if (asked == -ENOTCONN)
                return emit(ctx, &cpu_results[CPU_UNREACHABLE], NULL, LIBVIRT_URI,
                            "%s's libvirtd is not reachable (%s): the peers' CPUs are not compared", here,
                            strna(error));
        if (asked < 0)
                return asked;
        for (size_t i = 0; i < n && r >= 0; i++)
                r = emit_cpu_verdict(ctx, peer[i], &q[i]);
        return r;
}

static int compare_cpu(struct cross_ctx *ctx)
{
        _cleanup_free_ struct cpu_question *q = calloc(ctx->n_hosts + 1, sizeof(*q));
        _cleanup_free_ const struct host_facts **peer = calloc(ctx->n_hosts + 1, sizeof(*peer));
        _cleanup_free_ char *error = NULL;
        size_t n = 0, unknown = 0;
        int r;

        if (!q || !peer)
                return -ENOMEM;
        if (ctx->n_hosts == 0 || !is_hypervisor(&ctx->hosts[0]))
                return emit(ctx, &cpu_results[CPU_NOT_HYPERVISOR], NULL, NULL,
                            "%s is not a hypervisor: no guest migrates to it",
                            ctx->n_hosts ? ctx->hosts[0].name : "this host");
        if (!ctx->live)
                return emit(ctx, &cpu_results[CPU_NOT_LIVE], NULL, NULL,
                            "%s is checked as an image (--root): its libvirtd cannot be asked",
                            ctx->hosts[0].name);
        r = cpu_questions(ctx, q, peer, &n, &unknown);
        if (r < 0 || n == 0)
                return r < 0 || unknown > 0
                               ? r
                               : emit(ctx, &cpu_results[CPU_NO_PEERS], NULL, NULL,
                                      "no peer hypervisor reported: there is no CPU to compare");
        r = ask_cpu(ctx, q, n, &error);
        r = emit_cpu_asked(ctx, r, error, peer, q, n);
        for (size_t i = 0; i < n; i++)
                free(q[i].message);
        return r;
}

/* Machine types: every guest's on every other hypervisor's emulator, from the facts */

static bool machine_supported(json_object *arch_machines, const char *m);

bool cross_machine_supported(json_object *arch_machines, const char *machine)
{
        return machine_supported(arch_machines, machine);
}

/* p's emulator for arch takes machine type m, by its name or as an alias ("pc"), as libvirt checks. */
static bool machine_supported(json_object *arch_machines, const char *m)
{
        json_object *names = json_get(arch_machines, "names");

        if (json_get_string(json_get(arch_machines, "aliases"), m))
                return true;
        for (size_t i = 0;
             names && json_object_is_type(names, json_type_array) && i < json_object_array_length(names);
             i++)
                if (streq(strempty(json_object_get_string(json_object_array_get_idx(names, i))), m))
                        return true;
        return false;
}

/* One host's guests against one peer: a FAIL naming the guests the peer's emulators refuse. */
static int compare_guest_machines(struct cross_ctx *ctx, const struct host_facts *g,
                                  const struct host_facts *p, size_t *checked)
{
        json_object *guests = get(g->facts, "libvirt.guests"), *machines = get(p->facts, "libvirt.machines");
        _cleanup_free_ char *refused = NULL, *libvirt_says = NULL;

        json_object_object_foreach(guests, name, guest)
        {
                const char *m = json_get_string(guest, "machine"), *arch = json_get_string(guest, "arch");
                json_object *am = arch ? json_get(machines, arch) : NULL;
                _cleanup_free_ char *desc = NULL;

                if (!m)
                        continue;
                (*checked)++;
                if (am && machine_supported(am, m))
                        continue;
                desc = am ? strdup(m) : strdup_printf("%s, no %s emulator", m, strna(arch));
                if (!desc || append_item(&refused, name, desc) < 0)
                        return -ENOMEM;
                if (!libvirt_says && am &&
                    !(libvirt_says = strdup_printf("Emulator '%s' does not support machine type '%s'",
                                                   strna(json_get_string(am, "emulator")), m)))
                        return -ENOMEM;
        }
        if (!refused)
                return 0;
        return emit(ctx, &machines_results[MACHINES_UNSUPPORTED], HINT_VALUES("PEER", p->name), refused,
                    "%s's guests cannot run on %s, whose QEMU lacks their machine types (%s)%s%s%s", g->name,
                    p->name, refused, libvirt_says ? ": libvirt there refuses them (\"" : "",
                    strempty(libvirt_says), libvirt_says ? "\")" : "");
}

static bool has_machine_facts(const struct host_facts *h)
{
        json_object *g = get(h->facts, "libvirt.guests"), *m = get(h->facts, "libvirt.machines");

        return g && m && json_object_is_type(g, json_type_object) &&
               json_object_is_type(m, json_type_object);
}

static int compare_machines(struct cross_ctx *ctx)
{
        _cleanup_free_ char *unknown = NULL;
        size_t n = 0, checked = 0, before = ctx->results->n;
        int r = 0;

        for (size_t i = 0; i < ctx->n_hosts; i++) {
                const struct host_facts *h = &ctx->hosts[i];
                const char *why = get_string(h->facts, "libvirt.error");

                if (!is_hypervisor(h) || !h->facts)
                        continue;
                n++;
                if (!has_machine_facts(h) &&
                    append_item(&unknown, h->name, why ? why : "no libvirt facts") < 0)
                        return -ENOMEM;
        }
        if (n < 2)
                return emit(ctx, &machines_results[MACHINES_TOO_FEW], NULL, NULL,
                            "fewer than two hypervisors reported: no machine types to compare");
        if (unknown)
                r = emit(
                        ctx, &machines_results[MACHINES_UNKNOWN], NULL, unknown,
                        "the guests or machine types of some hypervisors are not known (%s): they are left out",
                        unknown);
        for (size_t i = 0; i < ctx->n_hosts && r >= 0; i++)
                for (size_t j = 0; j < ctx->n_hosts && r >= 0; j++)
                        if (i != j && is_hypervisor(&ctx->hosts[i]) && is_hypervisor(&ctx->hosts[j]) &&
                            has_machine_facts(&ctx->hosts[i]) && has_machine_facts(&ctx->hosts[j]))
                                r = compare_guest_machines(ctx, &ctx->hosts[i], &ctx->hosts[j], &checked);
        /* a FAIL says it all; nothing compared for want of facts is said by the SKIP above */
        if (r < 0 || ctx->results->n > before + (unknown ? 1 : 0) || (unknown && checked == 0))
                return r;
        if (checked == 0)
                return emit(
                        ctx, &machines_results[MACHINES_NO_GUESTS], NULL, NULL,
                        "no guests with a machine type are defined on the hypervisors that reported them");
        return emit(
                ctx, &machines_results[MACHINES_SUPPORTED], NULL, NULL,
                "every guest's machine type is supported on every other hypervisor (%zu guest-host pair%s)",
                checked, checked == 1 ? "" : "s");
}

/* cgroup v1 and v2 hosts: libvirt migrates between them, but applies guests' tunables through other
 * files (cpu.shares or cpu.weight, blkio or io, memory.limit_in_bytes or memory.max) with other ranges. */
static int compare_cgroups(struct cross_ctx *ctx)
{
        _cleanup_free_ char *seen = NULL;
        const char *first = NULL;
        bool differ = false;
        size_t n = 0;

        for (size_t i = 0; i < ctx->n_hosts; i++) {
                const struct host_facts *h = &ctx->hosts[i];
                const char *v = get_string(h->facts, "cgroup.version");

                if (!is_hypervisor(h) || !v)
                        continue;
                if (append_item(&seen, h->name, v) < 0)
                        return -ENOMEM;
                differ |= first && !streq(first, v);
                first = first ? first : v;
                n++;
        }
        if (n < 2)
                return emit(ctx, &cgroups_results[CGROUPS_TOO_FEW], NULL, seen,
                            "fewer than two hypervisors reported their cgroup version");
        if (differ)
                return emit(
                        ctx, &cgroups_results[CGROUPS_MIXED], NULL, seen,
                        "the hypervisors mix cgroup versions (%s): libvirt migrates between them, but guests' <cputune>, <memtune> and <blkiotune> land in other cgroup files with other ranges, so their limits differ after a migration",
                        seen);
        return emit(ctx, &cgroups_results[CGROUPS_SAME], NULL, seen, "cgroup %s on all %zu hypervisors",
                    first, n);
}

/* listed in registry.c */
const struct cross_check cross_mount = {
        .id = "cross.mount",
        .title = "the same export at the same path on every hypervisor",
        .results = mount_results,
        .n_results = ELEMENTSOF(mount_results),
        .compare = compare_mounts,
};
const struct cross_check cross_qemu_ids = {
        .id = "cross.qemu_ids",
        .title = "the qemu user has the same ids everywhere",
        .results = qemu_ids_results,
        .n_results = ELEMENTSOF(qemu_ids_results),
        .compare = compare_qemu_ids,
};
const struct cross_check cross_nova_ids = {
        .id = "cross.nova_ids",
        .title = "nova-compute's user has the same ids on the compute hosts and the NFS server",
        .results = nova_ids_results,
        .n_results = ELEMENTSOF(nova_ids_results),
        .compare = compare_nova_ids,
};
const struct cross_check cross_host_uuid = {
        .id = "cross.host_uuid",
        .title = "every hypervisor has its own host UUID",
        .results = host_uuid_results,
        .n_results = ELEMENTSOF(host_uuid_results),
        .compare = compare_host_uuids,
};
const struct cross_check cross_names = {
        .id = "cross.names",
        .title = "host names are set and resolve alike everywhere",
        .results = names_results,
        .n_results = ELEMENTSOF(names_results),
        .compare = compare_names,
};
const struct cross_check cross_clock = {
        .id = "cross.clock",
        .title = "the clocks agree",
        .results = clock_results,
        .n_results = ELEMENTSOF(clock_results),
        .compare = compare_clocks,
};
const struct cross_check cross_bridges = {
        .id = "cross.bridges",
        .title = "the profile's bridges on every hypervisor, same MTU",
        .results = bridges_results,
        .n_results = ELEMENTSOF(bridges_results),
        .compare = compare_bridges,
};
const struct cross_check cross_versions = {
        .id = "cross.versions",
        .title = "libvirt and QEMU: no destination older than a source",
        .results = versions_results,
        .n_results = ELEMENTSOF(versions_results),
        .compare = compare_versions,
};
const struct cross_check cross_xen = {
        .id = "cross.xen",
        .title = "Xen: the same release or the next one on every hypervisor (no migration to an older Xen)",
        .results = xen_results,
        .n_results = ELEMENTSOF(xen_results),
        .compare = compare_xen,
};
const struct cross_check cross_xen_caps = {
        .id = "cross.xen_caps",
        .title = "Xen's virt_caps (shadow, hap) alike on every hypervisor",
        .results = xen_caps_results,
        .n_results = ELEMENTSOF(xen_caps_results),
        .compare = compare_xen_caps,
};
const struct cross_check cross_cpu = {
        .id = "cross.cpu",
        .title = "every peer hypervisor's host-model CPU runs here (libvirt compares it)",
        .results = cpu_results,
        .n_results = ELEMENTSOF(cpu_results),
        .compare = compare_cpu,
};
const struct cross_check cross_lsm = {
        .id = "cross.lsm",
        .title = "the same LSM and policy state on every hypervisor",
        .results = lsm_results,
        .n_results = ELEMENTSOF(lsm_results),
        .compare = compare_lsm,
};
const struct cross_check cross_machines = {
        .id = "cross.machines",
        .title = "every guest's machine type is supported on every other hypervisor",
        .results = machines_results,
        .n_results = ELEMENTSOF(machines_results),
        .compare = compare_machines,
};
const struct cross_check cross_cgroups = {
        .id = "cross.cgroups",
        .title = "every hypervisor has the same cgroup version (v1 or v2)",
        .results = cgroups_results,
        .n_results = ELEMENTSOF(cgroups_results),
        .compare = compare_cgroups,
};

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host.virt: the host can run and receive guests, what virt-host-validate checks and what a migration
 * needs besides: hardware virtualisation and a KVM that QEMU can use (else TCG: it works, slowly),
 * nested virtualisation and an IOMMU where the profile's guests need them, /dev/net/tun and
 * /dev/vhost-net, the cgroup controllers libvirt puts guests' limits in, and room for the canary guest
 * of `hostprep migrate` in memory and on the shared mount.
 *
 * Every file is read through the root, so fixtures stand in for /proc, /sys and /dev. Device nodes are
 * opened (and /dev/kvm asked its API version) on the running host only: below another root they are an
 * image's or a fixture's files (an image's /dev is filled at boot; git keeps no device nodes), and all
 * they can say is whether they are there. The shared mount is measured on the running host only, in a
 * child abandoned at the deadline (a hung NFS server blocks statvfs in the kernel).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "common.h"
#include "deadline.h"
#include "hostkernel.h"
#include "migrate/driver.h"
#include "pathnames.h"
#include "strv.h"

/* What `hostprep migrate` starts on a destination: the canary's RAM and a QEMU around it (a TCG QEMU
 * with the 32 MiB canary measured 43 MiB resident; the rest is a margin for libvirt's helpers). */
#define CANARY_MEM_MIB    MIGRATE_DEFAULT_CANARY_MEM_MIB
#define QEMU_OVERHEAD_MIB 128U
#define CANARY_NEED_MIB   (CANARY_MEM_MIB + QEMU_OVERHEAD_MIB)
/* the canary's disk: src/verb-migrate.c makes a sparse 1 MiB file on the shared mount */
#define CANARY_DISK_BYTES (1ULL << 20)
/* below this share of the shared filesystem free, growing disks of guests are about to pause */
#define DISK_FULL_PERCENT 5U

enum {
        KERNEL_NOT_RUNNING,
        HW_NOT_X86,
        HW_PRESENT,
        HW_MISSING,
        HW_SOFTWARE_KVM,
        KVM_USABLE,
        KVM_PRESENT,
        KVM_MISSING,
        KVM_UNUSABLE,
        KVM_API_MISMATCH,
        NESTED_NOT_NEEDED,
        NESTED_NO_KVM,
        NESTED_ON,
        NESTED_OFF,
        NESTED_UNKNOWN,
        TUN_USABLE,
        TUN_PRESENT,
        TUN_MISSING,
        TUN_UNUSABLE,
        VHOST_USABLE,
        VHOST_PRESENT,
        VHOST_MISSING,
        VHOST_UNUSABLE,
        CGROUP_UNREADABLE,
        CGROUP_V1_MISSING,
        CGROUP_V2_MISSING,
        CGROUP_COMPLETE,
        IOMMU_NOT_NEEDED,
        IOMMU_MISSING,
        IOMMU_ON,
        MEMORY_UNREADABLE,
        MEMORY_LOW,
        MEMORY_ENOUGH,
        DISK_NOT_LIVE,
        DISK_NO_MOUNTPOINT,
        DISK_TIMEOUT,
        DISK_FAILED,
        DISK_NO_ROOM,
        DISK_NEARLY_FULL,
        DISK_ROOM,
};

#define KVM_PERMS_HINT                                                                                      \
        "QEMU opens /dev/kvm read-write: it must be crw-rw---- root:kvm (udev's kvm rule) with the qemu "   \
        "user in group kvm; see dmesg | grep -i kvm"
#define NESTED_HINT                                                                                         \
        "echo 'options @MODULE@ nested=1' > /etc/modprobe.d/kvm-nested.conf, then reload the module with "  \
        "no guest running: modprobe -r @MODULE@ && modprobe @MODULE@"

static const struct result_def host_virt_results[] = {
        [KERNEL_NOT_RUNNING] = {"host.virt.kernel", STATUS_SKIP, "not_running"},
        [HW_NOT_X86] = {"host.virt.hw", STATUS_SKIP, "not_x86"},
        [HW_PRESENT] = {"host.virt.hw", STATUS_PASS, "hw_virt"},
        [HW_MISSING] = {"host.virt.hw", STATUS_WARN, "no_hw_virt",
                        "enable VT-x/AMD-V in the firmware; on a VM, enable nested virtualisation in the "
                        "hypervisor it runs on"},
        [HW_SOFTWARE_KVM] = {"host.virt.hw", STATUS_WARN, "software_kvm",
                             "prove guests run here (hostprep migrate), or give them TCG (<domain "
                             "type='qemu'>); for hardware KVM, run this host where the CPU has VT-x/AMD-V"},
        [KVM_USABLE] = {"host.virt.kvm", STATUS_PASS, "kvm_usable"},
        [KVM_PRESENT] = {"host.virt.kvm", STATUS_PASS, "kvm_present"},
        [KVM_MISSING] =
                {"host.virt.kvm", STATUS_WARN, "no_kvm",
                 "load kvm_intel or kvm_amd (modprobe) once the CPU offers VT-x/AMD-V (host.virt.hw); "
                 "until then guests need <domain type='qemu'>"},
        [KVM_UNUSABLE] = {"host.virt.kvm", STATUS_FAIL, "kvm_unusable", KVM_PERMS_HINT},
        [KVM_API_MISMATCH] =
                {"host.virt.kvm", STATUS_FAIL, "api_mismatch",
                 "boot a kernel whose KVM speaks API version 12 (every mainline kernel since 2.6.22)"},
        [NESTED_NOT_NEEDED] = {"host.virt.nested", STATUS_SKIP, "not_needed"},
        [NESTED_NO_KVM] = {"host.virt.nested", STATUS_SKIP, "no_kvm"},
        [NESTED_ON] = {"host.virt.nested", STATUS_PASS, "nested_on"},
        [NESTED_OFF] = {"host.virt.nested", STATUS_FAIL, "nested_off", NESTED_HINT},
        [NESTED_UNKNOWN] = {"host.virt.nested", STATUS_WARN, "nested_unknown",
                            "load kvm_intel or kvm_amd with nested=1 (options in /etc/modprobe.d)"},
        [TUN_USABLE] = {"host.virt.tun", STATUS_PASS, "tun_usable"},
        [TUN_PRESENT] = {"host.virt.tun", STATUS_PASS, "tun_present"},
        [TUN_MISSING] = {"host.virt.tun", STATUS_FAIL, "no_tun",
                         "modprobe tun (and list it in /etc/modules-load.d/ so it loads at boot)"},
        [TUN_UNUSABLE] = {"host.virt.tun", STATUS_FAIL, "tun_unusable",
                          "/dev/net/tun must be crw-rw-rw- (udev makes it so); see dmesg | grep tun"},
        [VHOST_USABLE] = {"host.virt.vhost_net", STATUS_PASS, "vhost_usable"},
        [VHOST_PRESENT] = {"host.virt.vhost_net", STATUS_PASS, "vhost_present"},
        [VHOST_MISSING] = {"host.virt.vhost_net", STATUS_WARN, "no_vhost_net",
                           "modprobe vhost_net (and list it in /etc/modules-load.d/ so it loads at boot)"},
        [VHOST_UNUSABLE] = {"host.virt.vhost_net", STATUS_WARN, "vhost_unusable",
                            "/dev/vhost-net must be readable and writable by root; see dmesg | grep vhost"},
        [CGROUP_UNREADABLE] = {"host.virt.cgroup", STATUS_ERROR, "cgroup_unreadable"},
        [CGROUP_V1_MISSING] =
                {"host.virt.cgroup", STATUS_WARN, "missing_v1_controllers",
                 "mount the missing v1 controllers (systemd does at boot unless the kernel "
                 "command line has cgroup_disable=), or boot with systemd.unified_cgroup_hierarchy=1"},
        [CGROUP_V2_MISSING] =
                {"host.virt.cgroup", STATUS_WARN, "missing_v2_controllers",
                 "remove cgroup_disable= from the kernel command line, and unmount the v1 hierarchies "
                 "that hold them (a controller is on one hierarchy only)"},
        [CGROUP_COMPLETE] = {"host.virt.cgroup", STATUS_PASS, "controllers_present"},
        [IOMMU_NOT_NEEDED] = {"host.virt.iommu", STATUS_SKIP, "not_needed"},
        [IOMMU_MISSING] =
                {"host.virt.iommu", STATUS_FAIL, "no_iommu",
                 "enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on (Intel; AMD-Vi is "
                 "on by default), then check dmesg | grep -e DMAR -e AMD-Vi"},
        [IOMMU_ON] = {"host.virt.iommu", STATUS_PASS, "iommu_on"},
        [MEMORY_UNREADABLE] = {"host.virt.memory", STATUS_ERROR, "meminfo_unreadable"},
        [MEMORY_LOW] = {"host.virt.memory", STATUS_FAIL, "low_memory",
                        "free memory here (shut down or migrate guests away; MemAvailable in /proc/meminfo) "
                        "before migrating guests to this host"},
        [MEMORY_ENOUGH] = {"host.virt.memory", STATUS_PASS, "enough_memory"},
        [DISK_NOT_LIVE] = {"host.virt.disk", STATUS_SKIP, "not_live"},
        [DISK_NO_MOUNTPOINT] = {"host.virt.disk", STATUS_SKIP, "no_mountpoint"},
        [DISK_TIMEOUT] = {"host.virt.disk", STATUS_ERROR, "statvfs_timeout",
                          "check that the NFS server answers (nfs.mount.responsive)"},
        [DISK_FAILED] = {"host.virt.disk", STATUS_ERROR, "statvfs_failed"},
        [DISK_NO_ROOM] = {"host.virt.disk", STATUS_FAIL, "no_room",
                          "free space (and inodes) on @MOUNTPOINT@: every hypervisor's guests share it"},
        [DISK_NEARLY_FULL] = {"host.virt.disk", STATUS_WARN, "nearly_full",
                              "free space on @MOUNTPOINT@ or grow the export before guests' disks fill it"},
        [DISK_ROOM] = {"host.virt.disk", STATUS_PASS, "room"},
};

#define emit(ctx, entry, evidence, ...) check_emit(ctx, &host_virt_results[entry], evidence, __VA_ARGS__)

static bool profile_wants(const struct check_ctx *ctx, const char *key)
{
        const char *v = conf_get(ctx->profile, "guests", key);

        return v && parse_boolean(v) == 1;
}

/* Device nodes */

enum device_state {
        DEVICE_MISSING, /* no node, or a node without its driver (ENXIO, ENODEV) */
        DEVICE_PRESENT, /* there, not opened: below a root other than the running host's */
        DEVICE_OPENED,
        DEVICE_FAILED, /* there, and opening it read-write failed */
};

/* Opening creates nothing: a tap or vhost device exists only after an ioctl, a VM only with
 * KVM_CREATE_VM. *ret_fd is set for DEVICE_OPENED, *ret_error for DEVICE_FAILED. */
static enum device_state device_probe(const struct check_ctx *ctx, const char *path, int *ret_fd,
                                      int *ret_error)
{
        struct stat st;
        int fd;

        if (hostfs_stat(ctx->fs, path, &st) < 0)
                return DEVICE_MISSING;
        if (!hostfs_is_live(ctx->fs))
                return DEVICE_PRESENT;
        fd = hostfs_open(ctx->fs, path, O_RDWR | O_NONBLOCK);
        if (fd == -ENOENT || fd == -ENXIO || fd == -ENODEV)
                return DEVICE_MISSING;
        if (fd < 0) {
                *ret_error = fd;
                return DEVICE_FAILED;
        }
        *ret_fd = fd;
        return DEVICE_OPENED;
}

struct device_spec {
        const char *path;
        unsigned usable, present, missing, unusable; /* entries of the result table */
        const char *missing_effect;
};

static const struct device_spec device_specs[] = {
        {PATH_DEV_NET_TUN, TUN_USABLE, TUN_PRESENT, TUN_MISSING, TUN_UNUSABLE,
         "libvirt cannot create tap devices: guests with a bridge or network interface do not start here"},
        {PATH_DEV_VHOST_NET, VHOST_USABLE, VHOST_PRESENT, VHOST_MISSING, VHOST_UNUSABLE,
         "QEMU moves virtio-net packets itself (slower), and guests that ask for <driver name='vhost'> do not "
         "start here"},
};

static int check_device(struct check_ctx *ctx, const struct device_spec *d)
{
        _cleanup_close_ int fd = -1;
        int error = 0;

        switch (device_probe(ctx, d->path, &fd, &error)) {
        case DEVICE_MISSING:
                return emit(ctx, d->missing, d->path, "no %s: %s", d->path, d->missing_effect);
        case DEVICE_PRESENT:
                return emit(ctx, d->present, d->path, "%s is there (not opened below --root)", d->path);
        case DEVICE_FAILED:
                return emit(ctx, d->unusable, d->path, "cannot open %s read-write: %s", d->path,
                            strerror(-error));
        case DEVICE_OPENED:
        default:
                return emit(ctx, d->usable, d->path, "%s opens read-write", d->path);
        }
}

/* Hardware virtualisation and KVM */

struct kvm_state {
        int vmx, svm; /* cpuinfo_has_flag(): 1, 0, or -ENOENT (no x86 flags) */
        enum device_state device;
        int error;   /* DEVICE_FAILED: why */
        int version; /* DEVICE_OPENED: KVM_GET_API_VERSION's answer, or a negative errno */
};

static bool kvm_works(const struct kvm_state *s)
{
        return s->device == DEVICE_PRESENT ||
               (s->device == DEVICE_OPENED && s->version == KVM_API_VERSION_REQUIRED);
}

static int emit_hw(struct check_ctx *ctx, const struct kvm_state *s)
{
        if (s->vmx < 0)
                return emit(ctx, HW_NOT_X86, PATH_PROC_CPUINFO,
                            "no x86 flags in %s: KVM is judged by /dev/kvm alone", PATH_PROC_CPUINFO);
        if (s->vmx > 0 || s->svm > 0)
                return emit(ctx, HW_PRESENT, PATH_PROC_CPUINFO,
                            "the CPU offers hardware virtualisation (%s)",
                            s->vmx > 0 ? "vmx: Intel VT-x" : "svm: AMD-V");
        if (kvm_works(s))
                return emit(
                        ctx, HW_SOFTWARE_KVM, PATH_PROC_CPUINFO,
                        "%s %s but the CPU shows neither vmx nor svm: a software KVM (such as PVM in a cloud VM), under which guests' kernels may hang or stop with emulation failures",
                        PATH_DEV_KVM, s->device == DEVICE_OPENED ? "works" : "is there");
        return emit(
                ctx, HW_MISSING, PATH_PROC_CPUINFO,
                "the CPU shows neither vmx nor svm: no hardware virtualisation (off in the firmware, or a VM without nested virtualisation)");
}

static int emit_kvm(struct check_ctx *ctx, const struct kvm_state *s)
{
        switch (s->device) {
        case DEVICE_MISSING:
                return emit(
                        ctx, KVM_MISSING, PATH_DEV_KVM,
                        "no %s: guests run under TCG emulation only (libvirt domain type 'qemu'): that works, live migration too, but guests run many times slower",
                        PATH_DEV_KVM);
        case DEVICE_PRESENT:
                return emit(ctx, KVM_PRESENT, PATH_DEV_KVM, "%s is there (not opened below --root)",
                            PATH_DEV_KVM);
        case DEVICE_FAILED:
                return emit(ctx, KVM_UNUSABLE, PATH_DEV_KVM, "cannot open %s read-write: %s", PATH_DEV_KVM,
                            strerror(-s->error));
        case DEVICE_OPENED:
        default:
                break;
        }
        if (s->version < 0)
                return emit(ctx, KVM_UNUSABLE, PATH_DEV_KVM, "KVM_GET_API_VERSION on %s failed: %s",
                            PATH_DEV_KVM, strerror(-s->version));
        if (s->version != KVM_API_VERSION_REQUIRED)
                return emit(ctx, KVM_API_MISMATCH, PATH_DEV_KVM, "KVM API version %d: QEMU needs %d",
                            s->version, KVM_API_VERSION_REQUIRED);
        return emit(ctx, KVM_USABLE, PATH_DEV_KVM, "%s opens read-write, KVM API version %d", PATH_DEV_KVM,
                    s->version);
}

static int check_kvm(struct check_ctx *ctx, struct kvm_state *s)
{
        _cleanup_free_ char *cpuinfo = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        r = hostfs_read_file(ctx->fs, PATH_PROC_CPUINFO, &cpuinfo, NULL);
        if (r == -ENOMEM)
                return r;
        s->vmx = cpuinfo_has_flag(strempty(cpuinfo), "vmx");
        s->svm = cpuinfo_has_flag(strempty(cpuinfo), "svm");
        s->device = device_probe(ctx, PATH_DEV_KVM, &fd, &s->error);
        if (s->device == DEVICE_OPENED)
                s->version = kvm_api_version(fd);
        r = emit_hw(ctx, s);
        return r < 0 ? r : emit_kvm(ctx, s);
}

/* A small file's first line without surrounding white space; NULL when absent. */
static char *read_value(const struct check_ctx *ctx, const char *path)
{
        _cleanup_free_ char *buf = NULL;

        if (hostfs_read_file(ctx->fs, path, &buf, NULL) < 0)
                return NULL;
        buf[strcspn(buf, "\n")] = '\0';
        return strdup(strip(buf));
}

static int check_nested(struct check_ctx *ctx, const struct kvm_state *s)
{
        /* the module of the CPU's kind, else whichever is loaded */
        const char *paths[2] = {PATH_KVM_INTEL_NESTED, PATH_KVM_AMD_NESTED};
        const char *modules[2] = {"kvm_intel", "kvm_amd"};
        _cleanup_free_ char *value = NULL;
        size_t i = s->svm > 0 && s->vmx <= 0 ? 1 : 0;

        if (!profile_wants(ctx, "nested"))
                return emit(ctx, NESTED_NOT_NEEDED, NULL,
                            "the profile's guests run no hypervisors ([guests] nested = no)");
        if (!kvm_works(s))
                return emit(ctx, NESTED_NO_KVM, NULL, "no usable KVM (host.virt.kvm): nothing to nest in");
        value = read_value(ctx, paths[i]);
        if (!value && s->vmx <= 0 && s->svm <= 0) {
                i = 1 - i;
                value = read_value(ctx, paths[i]);
        }
        if (!value)
                return emit(ctx, NESTED_UNKNOWN, NULL,
                            "neither %s nor %s: cannot tell whether KVM offers nested virtualisation",
                            PATH_KVM_INTEL_NESTED, PATH_KVM_AMD_NESTED);
        if (streq(value, "Y") || streq(value, "1"))
                return emit(ctx, NESTED_ON, paths[i], "%s offers nested virtualisation (nested=%s)",
                            modules[i], value);
        if (streq(value, "N") || streq(value, "0"))
                return check_emit_hint(
                        ctx, &host_virt_results[NESTED_OFF], HINT_VALUES("MODULE", modules[i]), paths[i],
                        "%s has nested=%s: the profile's guests run hypervisors, which find no %s in their CPU",
                        modules[i], value, i == 0 ? "vmx" : "svm");
        return emit(ctx, NESTED_UNKNOWN, paths[i], "%s: unexpected value '%s'", paths[i], value);
}

/* cgroups */

static const char *const cgroup_v1_needed[] = {"cpu", "cpuacct", "memory", "devices", NULL};
static const char *const cgroup_v2_needed[] = {"cpu", "memory", "io", "pids", NULL};

static int check_cgroups(struct check_ctx *ctx)
{
        _cleanup_(host_cgroups_done) struct host_cgroups cg = {};
        _cleanup_(strv_freep) char **missing = NULL;
        _cleanup_free_ char *have = NULL, *lacking = NULL, *evidence = NULL;
        const char *version;
        int r;

        r = host_cgroups_read(ctx->fs, &cg);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return emit(ctx, CGROUP_UNREADABLE, PATH_PROC_SELF_CGROUP,
                            "cannot read the cgroup hierarchy (%s, %s): %s", PATH_PROC_SELF_CGROUP,
                            PATH_CGROUP_ROOT_CONTROLLERS, strerror(-r));
        version = cgroup_version_to_string(cg.version);
        for (const char *const *n = cg.version == CGROUP_VERSION_1 ? cgroup_v1_needed : cgroup_v2_needed; *n;
             n++)
                if (!strv_contains(cg.controllers, *n) && (r = strv_push_dup(&missing, *n)) < 0)
                        return r;
        have = strv_join(cg.controllers, " ");
        lacking = strv_join(missing, ", ");
        evidence = have ? strdup_printf("%s: %s", cg.source, have) : NULL;
        if (!lacking || !evidence)
                return -ENOMEM;
        if (missing)
                return emit(
                        ctx, cg.version == CGROUP_VERSION_1 ? CGROUP_V1_MISSING : CGROUP_V2_MISSING,
                        evidence,
                        "cgroup %s without the %s controller%s: guests' <cputune>, <memtune> and <blkiotune> limits (and device access control) do not apply here, and guests that set them fail to start or to migrate here",
                        version, lacking, strv_length(missing) == 1 ? "" : "s");
        return emit(ctx, CGROUP_COMPLETE, evidence, "cgroup %s with the controllers libvirt uses (%s)",
                    version, have);
}

/* IOMMU */

/* What the IOMMU units in /sys/class/iommu are: dmar0... Intel's (ACPI DMAR table), ivhd0... AMD's. */
static const char *iommu_kind(char *const *units)
{
        if (!units || !*units)
                return NULL;
        return startswith(units[0], "dmar")   ? "Intel VT-d"
               : startswith(units[0], "ivhd") ? "AMD-Vi"
                                              : units[0];
}

static int check_iommu(struct check_ctx *ctx)
{
        _cleanup_(strv_freep) char **groups = NULL, **units = NULL;
        const char *kind;
        int r;

        if (!profile_wants(ctx, "passthrough"))
                return emit(ctx, IOMMU_NOT_NEEDED, NULL,
                            "the profile's guests get no host PCI devices ([guests] passthrough = no)");
        r = hostfs_list_dir(ctx->fs, PATH_SYS_IOMMU_GROUPS, &groups);
        if (r == -ENOMEM)
                return r;
        if (strv_length(groups) == 0)
                return emit(
                        ctx, IOMMU_MISSING, PATH_SYS_IOMMU_GROUPS,
                        "no IOMMU groups in %s: the IOMMU (Intel VT-d, AMD-Vi) is off, so VFIO cannot give PCI devices to guests",
                        PATH_SYS_IOMMU_GROUPS);
        if (hostfs_list_dir(ctx->fs, PATH_SYS_CLASS_IOMMU, &units) == -ENOMEM)
                return -ENOMEM;
        kind = iommu_kind(units);
        return emit(ctx, IOMMU_ON, PATH_SYS_IOMMU_GROUPS,
                    "%zu IOMMU group%s%s%s%s: VFIO can give PCI devices to guests", strv_length(groups),
                    strv_length(groups) == 1 ? "" : "s", kind ? " (" : "", strempty(kind), kind ? ")" : "");
}

/* Room for the canary */

static int check_memory(struct check_ctx *ctx)
{
        _cleanup_free_ char *text = NULL, *evidence = NULL;
        uint64_t avail;
        int r;

        r = hostfs_read_file(ctx->fs, PATH_PROC_MEMINFO, &text, NULL);
        if (r >= 0)
                r = meminfo_get_kib(text, "MemAvailable", &avail);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return emit(ctx, MEMORY_UNREADABLE, PATH_PROC_MEMINFO, "no MemAvailable in %s: %s",
                            PATH_PROC_MEMINFO, r == -ENOENT ? "a kernel older than 3.14" : strerror(-r));
        evidence = strdup_printf("%s: MemAvailable %" PRIu64 " kB", PATH_PROC_MEMINFO, avail);
        if (!evidence)
                return -ENOMEM;
        if (avail < (uint64_t)CANARY_NEED_MIB * 1024)
                return emit(
                        ctx, MEMORY_LOW, evidence,
                        "%" PRIu64
                        " MiB of memory available: the canary guest needs %u MiB (%u MiB of guest memory and its QEMU), a real guest more",
                        avail / 1024, CANARY_NEED_MIB, CANARY_MEM_MIB);
        return emit(ctx, MEMORY_ENOUGH, evidence,
                    "%" PRIu64 " MiB of memory available (the canary guest needs %u MiB)", avail / 1024,
                    CANARY_NEED_MIB);
}

/* A child's deadline: a little before the unit's, so it can still say what the child did not. */
static usec_t disk_deadline(const struct check_ctx *ctx)
{
        return deadline_leave_margin(ctx->deadline, 100 * USEC_PER_MSEC);
}

static int check_disk(struct check_ctx *ctx)
{
        const char *mountpoint = conf_get(ctx->profile, "nfs", "mountpoint");
        _cleanup_free_ char *evidence = NULL;
        uint64_t avail, total;
        struct statvfs sv;
        int r;

        if (!hostfs_is_live(ctx->fs))
                return emit(
                        ctx, DISK_NOT_LIVE, NULL,
                        "free space on the shared mount is measured on the running host, not below --root");
        r = hostfs_statvfs_within(ctx->fs, mountpoint, disk_deadline(ctx), &sv);
        if (r == -ENOENT)
                return emit(ctx, DISK_NO_MOUNTPOINT, mountpoint, "%s does not exist (nfs.mount)",
                            mountpoint);
        if (r == -ETIMEDOUT)
                return emit(ctx, DISK_TIMEOUT, mountpoint, "%s: statvfs got no answer before the deadline",
                            mountpoint);
        if (r < 0)
                return emit(ctx, DISK_FAILED, mountpoint, "%s: statvfs failed: %s", mountpoint,
                            strerror(-r));
        avail = (uint64_t)sv.f_bavail * sv.f_frsize;
        total = (uint64_t)sv.f_blocks * sv.f_frsize;
        evidence = strdup_printf("statvfs %s: %" PRIu64 " of %" PRIu64 " MiB free, %llu inodes free",
                                 mountpoint, avail >> 20, total >> 20, (unsigned long long)sv.f_favail);
        if (!evidence)
                return -ENOMEM;
        if (avail < CANARY_DISK_BYTES || (sv.f_files > 0 && sv.f_favail == 0))
                return check_emit_hint(
                        ctx, &host_virt_results[DISK_NO_ROOM], HINT_VALUES("MOUNTPOINT", mountpoint),
                        evidence, "%s has no room for the canary's disk (%" PRIu64 " KiB, %llu inodes free)",
                        mountpoint, avail >> 10, (unsigned long long)sv.f_favail);
        if (avail < total / 100 * DISK_FULL_PERCENT)
                return check_emit_hint(
                        ctx, &host_virt_results[DISK_NEARLY_FULL], HINT_VALUES("MOUNTPOINT", mountpoint),
                        evidence,
                        "%s is nearly full (%" PRIu64
                        " MiB free, under %u%%): guests whose disks grow (qcow2, sparse files) pause when it fills",
                        mountpoint, avail >> 20, DISK_FULL_PERCENT);
        return emit(ctx, DISK_ROOM, evidence, "%s has %" PRIu64 " MiB free (the canary's disk needs 1 MiB)",
                    mountpoint, avail >> 20);
}

static int host_virt_check(struct check_ctx *ctx)
{
        struct kvm_state kvm = {};
        struct stat st;
        int r;

        /* an image or a stopped container has no /proc: nothing below is its own */
        if (hostfs_stat(ctx->fs, PATH_PROC_MEMINFO, &st) < 0)
                return emit(
                        ctx, KERNEL_NOT_RUNNING, NULL,
                        "no %s below the root: not a running host; KVM, devices, cgroups and free memory are checked on the running host",
                        PATH_PROC_MEMINFO);
        r = check_kvm(ctx, &kvm);
        if (r >= 0)
                r = check_nested(ctx, &kvm);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(device_specs); i++)
                r = check_device(ctx, &device_specs[i]);
        if (r >= 0)
                r = check_cgroups(ctx);
        if (r >= 0)
                r = check_iommu(ctx);
        if (r >= 0)
                r = check_memory(ctx);
        return r < 0 ? r : check_disk(ctx);
}

const struct unit unit_host_virt = {
        .id = "host.virt",
        .title = "the host runs guests: KVM (else TCG), tun, vhost-net, cgroups, IOMMU, room for the canary",
        .roles = ROLE_BIT(ROLE_HYPERVISOR),
        .results = host_virt_results,
        .n_results = ELEMENTSOF(host_virt_results),
        .check = host_virt_check,
};

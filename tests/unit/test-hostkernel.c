/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/hostkernel: the parsers of /proc/meminfo, /proc/cpuinfo, /proc/self/cgroup and cgroup.controllers on
 * the kernel's own formats, then the readers on this machine: its cgroups through hostfs, and the KVM API
 * version of its /dev/kvm (opened read-write and asked once; no VM is created). */
#include "test-util.h"

#include <errno.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostfs.h"
#include "hostkernel.h"
#include "pathnames.h"
#include "strv.h"

static void check_strv(char **got, const char *want, const char *what)
{
        _cleanup_free_ char *s = got ? strv_join(got, " ") : NULL;

        CHECK(want ? s && streq(s, want) : !got, "%s: got '%s', want '%s'", what, strna(s), strna(want));
}

static void test_meminfo(void)
{
        const char *text = "MemTotal:       24683652 kB\n"
                           "MemFree:        23000000 kB\n"
                           "MemAvailable:   24246272 kB\n"
                           "HugePages_Total:       0\n";
        uint64_t v = 0;

        CHECK(meminfo_get_kib(text, "MemAvailable", &v) == 0 && v == 24246272, "MemAvailable %llu",
              (unsigned long long)v);
        CHECK(meminfo_get_kib(text, "MemTotal", &v) == 0 && v == 24683652, "MemTotal");
        /* a key is matched whole: "Mem" is not MemTotal */
        CHECK(meminfo_get_kib(text, "Mem", &v) == -ENOENT, "prefix");
        CHECK(meminfo_get_kib(text, "SwapTotal", &v) == -ENOENT, "absent");
        CHECK(meminfo_get_kib(text, "HugePages_Total", &v) == -EBADMSG, "no unit");
        CHECK(meminfo_get_kib("MemAvailable: -5 kB\n", "MemAvailable", &v) == -EBADMSG, "negative");
        CHECK(meminfo_get_kib("MemAvailable: 99999999999999999999999 kB\n", "MemAvailable", &v) == -EBADMSG,
              "overflow");
        CHECK(meminfo_get_kib("MemAvailable: 12 kB", "MemAvailable", &v) == 0 && v == 12,
              "no final newline");
}

static void test_cpuinfo(void)
{
        const char *intel = "processor\t: 0\nvendor_id\t: GenuineIntel\n"
                            "flags\t\t: fpu vme vmx ept\nvmx flags\t: vnmi preemption_timer\n\n"
                            "processor\t: 1\nflags\t\t: fpu vme vmx ept\n";
        const char *pvm = "processor\t: 0\nflags\t\t: fpu vme hypervisor lm\nbugs\t\t: spectre_v1\n";
        const char *arm = "processor\t: 0\nFeatures\t: fp asimd evtstrm aes\nCPU implementer\t: 0x41\n";

        CHECK(cpuinfo_has_flag(intel, "vmx") == 1, "vmx");
        CHECK(cpuinfo_has_flag(intel, "svm") == 0, "no svm");
        /* a word of the line, not a part of one, and not the "vmx flags" line's */
        CHECK(cpuinfo_has_flag(intel, "vm") == 0, "part of a word");
        CHECK(cpuinfo_has_flag(intel, "vnmi") == 0, "vmx flags line");
        CHECK(cpuinfo_has_flag(pvm, "vmx") == 0 && cpuinfo_has_flag(pvm, "hypervisor") == 1, "pvm");
        CHECK(cpuinfo_has_flag("flags\t\t: svm", "svm") == 1, "last word");
        CHECK(cpuinfo_has_flag(arm, "vmx") == -ENOENT, "not x86");
        CHECK(cpuinfo_has_flag("", "vmx") == -ENOENT, "empty");
}

static void test_cgroup_parsers(void)
{
        /* Debian 12 booted with the hybrid hierarchy, then a v2-only host, then a container's */
        const char *hybrid = "12:pids:/init.scope\n11:blkio:/\n5:cpu,cpuacct:/init.scope\n4:cpuset:/\n"
                             "3:memory:/x\n2:devices:/\n1:name=systemd:/init.scope\n0::/init.scope\n";
        char **v = NULL;

        CHECK(proc_cgroup_v1_controllers(hybrid, &v) == 0, "hybrid");
        check_strv(v, "blkio cpu cpuacct cpuset devices memory pids", "hybrid");
        strv_free(v);
        v = NULL;
        CHECK(proc_cgroup_v1_controllers("0::/user.slice/user-0.slice/session-1.scope\n", &v) == 0, "v2");
        check_strv(v, NULL, "v2: no v1 controllers");
        CHECK(proc_cgroup_v1_controllers("1:name=systemd:/\n0::/\n", &v) == 0, "named only");
        check_strv(v, NULL, "a named hierarchy holds no controller");
        /* a path may hold ':' */
        CHECK(proc_cgroup_v1_controllers("4:memory:/a:b\n", &v) == 0, "colon in path");
        check_strv(v, "memory", "colon in path");
        strv_free(v);
        v = NULL;
        CHECK(proc_cgroup_v1_controllers("memory:/\n", &v) == -EBADMSG, "no id");
        CHECK(proc_cgroup_v1_controllers("x:memory:/\n", &v) == -EBADMSG, "id not a number");
        CHECK(proc_cgroup_v1_controllers("3:memory\n", &v) == -EBADMSG, "no path");

        CHECK(cgroup_controllers_parse("cpuset cpu io memory hugetlb pids rdma misc\n", &v) == 0, "v2 root");
        check_strv(v, "cpu cpuset hugetlb io memory misc pids rdma", "v2 root, sorted");
        strv_free(v);
        v = NULL;
        CHECK(cgroup_controllers_parse("\n", &v) == 0, "empty");
        check_strv(v, NULL, "empty");
        CHECK(streq(cgroup_version_to_string(CGROUP_VERSION_1), "v1") &&
                      streq(cgroup_version_to_string(CGROUP_VERSION_2), "v2") &&
                      !cgroup_version_to_string(_CGROUP_VERSION_MAX),
              "names");
}

/* This machine's cgroups, read as host.virt and the facts read them: v2 exactly when /proc/self/cgroup
 * names no v1 controller, and then the root's cgroup.controllers. */
static void test_live_cgroups(void)
{
        _cleanup_(hostfs_freep) struct hostfs *fs = NULL;
        _cleanup_(host_cgroups_done) struct host_cgroups cg = {};
        _cleanup_free_ char *s = NULL;
        int r;

        CHECK(hostfs_new("/", &fs) == 0, "hostfs");
        r = host_cgroups_read(fs, &cg);
        if (r == -ENOENT) {
                printf("live cgroups: not tested (%s or %s missing)\n", PATH_PROC_SELF_CGROUP,
                       PATH_CGROUP_ROOT_CONTROLLERS);
                return;
        }
        CHECK(r == 0, "host_cgroups_read: %s", strerror(-r));
        if (cg.version == CGROUP_VERSION_2) {
                struct stat st;
                CHECK(stat(PATH_CGROUP_ROOT_CONTROLLERS, &st) == 0,
                      "v2 without the root's cgroup.controllers");
        } else
                CHECK(cg.controllers && *cg.controllers, "v1 without controllers");
        s = strv_join(cg.controllers, " ");
        printf("live cgroups: %s (%s: %s)\n", cgroup_version_to_string(cg.version), cg.source, strna(s));
}

/* The ioctl host.virt makes: on a machine with KVM the answer is 12; not on a regular file. */
static void test_live_kvm(void)
{
        char path[] = "/tmp/test-hostkernel-XXXXXX";
        int fd = mkstemp(path);

        CHECK(fd >= 0 && kvm_api_version(fd) == -ENOTTY, "KVM_GET_API_VERSION on a regular file");
        if (fd >= 0) {
                close(fd);
                unlink(path);
        }
        fd = open(PATH_DEV_KVM, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                printf("live KVM: not tested (%s: %s)\n", PATH_DEV_KVM, strerror(errno));
                return;
        }
        int v = kvm_api_version(fd);
        CHECK(v == KVM_API_VERSION_REQUIRED, "KVM_GET_API_VERSION on %s: %d", PATH_DEV_KVM, v);
        printf("live KVM: %s answers API version %d\n", PATH_DEV_KVM, v);
        close(fd);
}

/* statvfs in a child, as host.virt.disk measures the shared mount */
static void test_statvfs_within(void)
{
        _cleanup_(hostfs_freep) struct hostfs *fs = NULL;
        struct statvfs sv = {};

        CHECK(hostfs_new("/", &fs) == 0, "hostfs");
        CHECK(hostfs_statvfs_within(fs, "/", now_usec() + 5 * USEC_PER_SEC, &sv) == 0 && sv.f_blocks > 0,
              "statvfs /");
        CHECK(hostfs_statvfs_within(fs, "/nonexistent-hostprep-test", now_usec() + 5 * USEC_PER_SEC, &sv) ==
                      -ENOENT,
              "statvfs of a missing directory");
}

int main(void)
{
        test_meminfo();
        test_cpuinfo();
        test_cgroup_parsers();
        test_live_cgroups();
        test_live_kvm();
        test_statvfs_within();
        if (failures)
                fprintf(stderr, "%d check(s) failed\n", failures);
        return failures ? 1 : 0;
}

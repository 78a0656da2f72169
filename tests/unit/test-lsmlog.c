/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/lsmlog.c: SELinux AVC and AppArmor records as audit.log, the kernel log and the journal carry them. */
#include <errno.h>
#include <string.h>

#include "lsmlog.h"
#include "lsmstate.h"
#include "test-util.h"

/* auditd's audit.log form (type=AVC msg=audit(...)) of a denial of svirt_t on an NFS file */
#define AVC_AUDITD                                                                                          \
        "type=AVC msg=audit(1733100000.123:456): avc:  denied  { read write } for  pid=4242 "               \
        "comm=\"qemu-system-x86\" name=\"disk.qcow2\" dev=\"0:52\" ino=131 "                                \
        "scontext=system_u:system_r:svirt_t:s0:c270,c684 tcontext=system_u:object_r:nfs_t:s0 tclass=file "  \
        "permissive=0"
/* the kernel log's form, a path= field and a hex-encoded comm (it holds a space) */
#define AVC_KERNEL                                                                                           \
        "audit: type=1400 audit(1733100001.5:7): avc:  denied  { open } for  pid=1 comm=71656D7520636F7079 " \
        "path=\"/var/lib/libvirt/images/web1.img\" dev=\"0:52\" ino=9 "                                      \
        "scontext=system_u:system_r:svirt_tcg_t:s0:c1,c2 tcontext=system_u:object_r:nfs_t:s0 tclass=file "   \
        "permissive=1"
#define AA_DENIED                                                                                           \
        "audit: type=1400 audit(1733100002.250:88): apparmor=\"DENIED\" operation=\"open\" "                \
        "profile=\"libvirt-3e3fce45-4f53-4fa7-bb32-11f34168b82b\" "                                         \
        "name=\"/var/lib/libvirt/images/other/web1.qcow2\" pid=5151 comm=\"qemu-system-x86\" "              \
        "requested_mask=\"wr\" denied_mask=\"wr\" fsuid=64055 ouid=64055"
/* auditd writes AppArmor's records as type=AVC too; a name with a space comes as hex */
#define AA_AUDITD_HEX                                                                                       \
        "type=AVC msg=audit(1733100003.000:90): apparmor=\"DENIED\" operation=\"open\" "                    \
        "profile=\"libvirt-3e3fce45-4f53-4fa7-bb32-11f34168b82b\" name=2F6D6E742F6D79206469736B pid=1 "     \
        "comm=\"qemu-system-x86\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0"

static void test_avc(void)
{
        struct avc_record r = {};

        CHECK(avc_record_parse(AVC_AUDITD, &r) == 0, "auditd form");
        CHECK(r.denied && streq(r.perms, "read write"), "perms '%s'", r.perms);
        CHECK(streq(r.comm, "qemu-system-x86") && streq(r.name, "disk.qcow2") && !r.path, "comm, name");
        CHECK(streq(r.scontext, "system_u:system_r:svirt_t:s0:c270,c684"), "scontext %s", r.scontext);
        CHECK(streq(r.tcontext, "system_u:object_r:nfs_t:s0") && streq(r.tclass, "file"), "tcontext");
        CHECK(r.permissive == 0 && r.seconds == 1733100000, "permissive %d, seconds", r.permissive);
        avc_record_done(&r);

        CHECK(avc_record_parse(AVC_KERNEL, &r) == 0, "kernel form");
        CHECK(streq(r.perms, "open") && streq(r.comm, "qemu copy"), "hex comm '%s'", r.comm);
        CHECK(streq(r.path, "/var/lib/libvirt/images/web1.img") && r.permissive == 1, "path");
        CHECK(r.seconds == 1733100001, "seconds");
        avc_record_done(&r);

        /* the journal's audit transport drops the header */
        CHECK(avc_record_parse("avc:  granted  { setenforce } for  pid=1 comm=\"x\" "
                               "scontext=a:b:c tcontext=a:b:c tclass=security",
                               &r) == 0 &&
                      !r.denied && r.seconds == 0 && r.permissive == -1,
              "granted, no header");
        avc_record_done(&r);

        CHECK(avc_record_parse("avc:  op=load_policy lsm=selinux seqno=2 res=1", &r) == -ENOMSG, "load");
        CHECK(avc_record_parse("type=SYSCALL msg=audit(1:2): arch=c000003e", &r) == -ENOMSG, "syscall");
        CHECK(avc_record_parse(AA_DENIED, &r) == -ENOMSG, "apparmor is not an avc");
        CHECK(avc_record_parse("avc:  denied  { read } for comm=\"x\" tclass=file", &r) == -EBADMSG,
              "no contexts");
        CHECK(avc_record_parse("avc:  denied  read for scontext=a:b:c tcontext=a:b:c tclass=file", &r) ==
                      -EBADMSG,
              "no braces");
        CHECK(avc_record_parse("avc:  denied  { read } for comm=\"unterminated", &r) == -EBADMSG,
              "open quote");
}

static void test_apparmor(void)
{
        struct apparmor_record r = {};

        CHECK(apparmor_record_parse(AA_DENIED, &r) == 0, "kernel form");
        CHECK(streq(r.verdict, "DENIED") && streq(r.operation, "open"), "verdict");
        CHECK(streq(r.profile, "libvirt-3e3fce45-4f53-4fa7-bb32-11f34168b82b"), "profile");
        CHECK(streq(r.name, "/var/lib/libvirt/images/other/web1.qcow2"), "name %s", r.name);
        CHECK(streq(r.requested_mask, "wr") && streq(r.denied_mask, "wr") && r.seconds == 1733100002,
              "masks");
        apparmor_record_done(&r);

        CHECK(apparmor_record_parse(AA_AUDITD_HEX, &r) == 0 && streq(r.name, "/mnt/my disk"), "hex name %s",
              r.name);
        apparmor_record_done(&r);

        CHECK(apparmor_record_parse("audit: type=1400 audit(1.2:3): apparmor=\"STATUS\" "
                                    "operation=\"profile_load\" profile=\"unconfined\" "
                                    "name=\"libvirt-3e3fce45-4f53-4fa7-bb32-11f34168b82b\" pid=1 "
                                    "comm=\"apparmor_parser\"",
                                    &r) == 0 &&
                      streq(r.verdict, "STATUS"),
              "status");
        apparmor_record_done(&r);
        CHECK(apparmor_record_parse(AVC_AUDITD, &r) == -ENOMSG, "an avc is not apparmor");
        CHECK(apparmor_record_parse("apparmor=\"DENIED\" pid=1", &r) == -EBADMSG, "no profile");
}

static void test_helpers(void)
{
        char *s = NULL;

        CHECK(audit_field("a=1 pid=1234 b=\"x y\"", "pid", &s) == 0 && streq(s, "1234"), "number kept");
        free(s);
        CHECK(audit_field("a=1 b=\"x y\" c=2", "b", &s) == 0 && streq(s, "x y"), "quoted");
        free(s);
        CHECK(audit_field("msg=\"name=evil\" name=\"ok\"", "name", &s) == 0 && streq(s, "ok"),
              "not inside a quoted value");
        free(s);
        CHECK(audit_field("a=1", "b", &s) == 0 && !s, "absent");

        s = selinux_context_type("system_u:object_r:nfs_t:s0");
        CHECK(s && streq(s, "nfs_t"), "type %s", s);
        free(s);
        s = selinux_context_type("system_u:system_r:svirt_t:s0:c1,c2");
        CHECK(s && streq(s, "svirt_t"), "mcs type");
        free(s);
        CHECK(!selinux_context_type("unlabeled") && !selinux_context_type(NULL), "malformed");

        CHECK(path_below("/var/lib/libvirt/images/a", "/var/lib/libvirt/images"), "below");
        CHECK(path_below("/var/lib/libvirt/images", "/var/lib/libvirt/images/"), "itself, slash");
        CHECK(!path_below("/var/lib/libvirt/images2/a", "/var/lib/libvirt/images"), "a sibling");
        CHECK(path_below("/x", "/") && !path_below(NULL, "/"), "root");
}

static void test_decisions(void)
{
        enum security_driver d = _SECURITY_DRIVER_INVALID;
        struct avc_record avc = {};
        struct apparmor_record aa = {};

        CHECK(selinux_mode_decide(SELINUX_MODE_ABSENT, SELINUX_MODE_ABSENT) == SELINUX_NOT_INSTALLED,
              "absent");
        CHECK(selinux_mode_decide(SELINUX_MODE_ENFORCING, SELINUX_MODE_ENFORCING) == SELINUX_ENFORCING,
              "on");
        CHECK(selinux_mode_decide(SELINUX_MODE_PERMISSIVE, SELINUX_MODE_ENFORCING) == SELINUX_PERMISSIVE,
              "permissive now");
        CHECK(selinux_mode_decide(SELINUX_MODE_ENFORCING, SELINUX_MODE_PERMISSIVE) ==
                      SELINUX_PERMISSIVE_AT_BOOT,
              "permissive at boot");
        CHECK(selinux_mode_decide(SELINUX_MODE_ENFORCING, SELINUX_MODE_DISABLED) == SELINUX_DISABLED_AT_BOOT,
              "disabled at boot, running now");
        CHECK(selinux_mode_decide(SELINUX_MODE_ABSENT, SELINUX_MODE_DISABLED) == SELINUX_DISABLED_AT_BOOT,
              "disabled in config, off");
        CHECK(selinux_mode_decide(SELINUX_MODE_ABSENT, SELINUX_MODE_ENFORCING) == SELINUX_NOT_RUNNING,
              "configured, not booted with it");
        CHECK(selinux_mode_decide(SELINUX_MODE_ENFORCING, SELINUX_MODE_ABSENT) == SELINUX_ENFORCING,
              "no config: the kernel's mode stays");
        CHECK(selinux_mode_from_config("Enforcing") == SELINUX_MODE_ENFORCING &&
                      selinux_mode_from_config("bogus") == SELINUX_MODE_ABSENT,
              "config values");

        CHECK(selinux_boolean_decide(true, true, true) == BOOLEAN_ON, "on");
        CHECK(selinux_boolean_decide(false, true, true) == BOOLEAN_OFF, "off now");
        CHECK(selinux_boolean_decide(true, true, false) == BOOLEAN_NOT_PERSISTENT, "setsebool without -P");
        CHECK(selinux_boolean_decide(true, false, true) == BOOLEAN_NOT_PERSISTENT, "pending off");
        CHECK(streq(selinux_boolean_for_fstype("nfs4"), "virt_use_nfs") &&
                      streq(selinux_boolean_for_fstype("smb3"), "virt_use_samba") &&
                      streq(selinux_boolean_for_fstype("fuse.sshfs"), "virt_use_fusefs") &&
                      !selinux_boolean_for_fstype("ext4") && !selinux_boolean_for_fstype("fusectl"),
              "fstypes");
        CHECK(streq(selinux_boolean_for_label("nfs_t"), "virt_use_nfs") &&
                      !selinux_boolean_for_label("virt_image_t"),
              "labels");

        CHECK(security_driver_pick(NULL, true, true, &d) == 0 && d == SECURITY_DRIVER_SELINUX,
              "selinux first");
        CHECK(security_driver_pick(NULL, false, true, &d) == 0 && d == SECURITY_DRIVER_APPARMOR,
              "then apparmor");
        CHECK(security_driver_pick("default", false, false, &d) == 0 && d == SECURITY_DRIVER_NONE,
              "else none");
        CHECK(security_driver_pick("none", true, true, &d) == 0 && d == SECURITY_DRIVER_NONE, "none asked");
        CHECK(security_driver_pick("apparmor", false, false, &d) == -ENXIO, "not enabled");
        CHECK(security_driver_pick("smack", true, true, &d) == -EINVAL, "unknown");

        CHECK(avc_record_parse(AVC_AUDITD, &avc) == 0 &&
                      avc_record_relevant(&avc, "/var/lib/libvirt/images"),
              "svirt on nfs_t");
        avc_record_done(&avc);
        CHECK(avc_record_parse("avc:  denied  { read } for comm=\"sshd\" path=\"/var/lib/libvirt/images/x\" "
                               "scontext=u:r:sshd_t:s0 tcontext=u:object_r:nfs_t:s0 tclass=file",
                               &avc) == 0 &&
                      !avc_record_relevant(&avc, "/var/lib/libvirt/images"),
              "not a guest");
        avc_record_done(&avc);
        CHECK(apparmor_record_parse(AA_DENIED, &aa) == 0 &&
                      apparmor_record_relevant(&aa, "/var/lib/libvirt/images") &&
                      !apparmor_record_relevant(&aa, "/srv/other"),
              "guest profile below the share");
        apparmor_record_done(&aa);
}

int main(void)
{
        test_decisions();
        test_avc();
        test_apparmor();
        test_helpers();
        return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

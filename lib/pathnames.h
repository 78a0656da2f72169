/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Every system path hostprep reads or writes, in one place (the util-linux pathnames.h idea): grep here
 * to learn what hostprep touches on a host. Paths are as seen on the checked host; they are read and
 * written through its root (hostfs), except where a comment says they belong to the machine hostprep
 * runs on.
 */

/* identity and accounts */
#define PATH_ETC_HOSTNAME        "/etc/hostname"
#define PATH_ETC_HOSTS           "/etc/hosts"
#define PATH_ETC_PASSWD          "/etc/passwd"
#define PATH_ETC_GROUP           "/etc/group"
#define PATH_OS_RELEASE          "/etc/os-release"
#define PATH_OS_RELEASE_FALLBACK "/usr/lib/os-release"
#define PATH_MACHINE_ID          "/etc/machine-id"

/* NFS */
#define PATH_EXPORTS            "/etc/exports"
#define PATH_EXPORTS_DIR        "/etc/exports.d"
#define PATH_HOSTPREP_EXPORTS   PATH_EXPORTS_DIR "/hostprep.exports"
#define PATH_EXPORTFS           "/usr/sbin/exportfs"
#define PATH_FSTAB              "/etc/fstab"
#define PATH_NFS_EXPORT_DEFAULT "/srv/nfs/images" /* the profile's default [nfs] export */

/* libvirt */
#define PATH_LIBVIRTD_CONF  "/etc/libvirt/libvirtd.conf"
#define PATH_LIBVIRT_IMAGES "/var/lib/libvirt/images" /* the profile's default [nfs] mountpoint */

/* libvirt.daemon, libvirt.listen: how the daemon runs, its sockets, options and TLS files */
#define PATH_VIRTPROXYD_CONF     "/etc/libvirt/virtproxyd.conf"
#define PATH_ETC_DEFAULT         "/etc/default"   /* Debian's EnvironmentFile= of libvirtd.service */
#define PATH_ETC_SYSCONFIG       "/etc/sysconfig" /* the same on RHEL-like systems */
#define PATH_RUN_DIR             "/run"           /* where the daemons write NAME.pid */
#define PATH_SASL2_LIBVIRT_CONF  "/etc/sasl2/libvirt.conf"
#define PATH_SASLDB_DEFAULT      "/etc/sasldb2"     /* Cyrus SASL's user database without sasldb_path */
#define PATH_KRB5_KEYTAB_DEFAULT "/etc/krb5.keytab" /* GSSAPI's keys without keytab */
#define PATH_LIBVIRT_CA_CERT     "/etc/pki/CA/cacert.pem"
#define PATH_LIBVIRT_SERVER_CERT "/etc/pki/libvirt/servercert.pem"
#define PATH_LIBVIRT_SERVER_KEY  "/etc/pki/libvirt/private/serverkey.pem"
/* what a libvirt client (a migration's source) presents: libvirt's defaults, no file configures them */
#define PATH_LIBVIRT_CLIENT_CERT "/etc/pki/libvirt/clientcert.pem"
#define PATH_LIBVIRT_CLIENT_KEY  "/etc/pki/libvirt/private/clientkey.pem"
/* where systemd looks for system unit files, first match wins (after /etc's and /run's masks) */
#define PATH_SYSTEMD_UNIT_SEARCH                                                                            \
        "/etc/systemd/system:/run/systemd/system:/usr/local/lib/systemd/system:/usr/lib/systemd/system:/lib/systemd/system"
/* libvirt.domains */
#define PATH_LIBVIRT_QEMU_DIR    "/etc/libvirt/qemu" /* persistent domain definitions, NAME.xml */
#define PATH_LIBVIRT_CHANNEL_DIR "/var/lib/libvirt/qemu/channel" /* sockets libvirt makes for channels */
/* libvirt.migration */
#define PATH_QEMU_CONF "/etc/libvirt/qemu.conf"

/* nova.compute: nova-compute's configuration, read as oslo.config does (nova.conf, then the directory) */
#define PATH_NOVA_CONF       "/etc/nova/nova.conf"
#define PATH_NOVA_CONF_DIR   "/etc/nova/nova.conf.d"
#define PATH_NOVA_STATE_PATH "/var/lib/nova" /* nova's default [DEFAULT] state_path */

/* SSH */
#define PATH_SSHD_CONFIG          "/etc/ssh/sshd_config"
#define PATH_SSHD_CONFIG_DIR      "/etc/ssh/sshd_config.d"
#define PATH_SSHD_DROPIN          PATH_SSHD_CONFIG_DIR "/00-hostprep.conf"
#define PATH_ROOT_SSH_DIR         "/root/.ssh"
#define PATH_ROOT_AUTHORIZED_KEYS PATH_ROOT_SSH_DIR "/authorized_keys"
#define PATH_ROOT_KNOWN_HOSTS     PATH_ROOT_SSH_DIR "/known_hosts"
#define PATH_ROOT_ID_ED25519      PATH_ROOT_SSH_DIR "/id_ed25519"
#define PATH_ROOT_ID_ECDSA        PATH_ROOT_SSH_DIR "/id_ecdsa"
#define PATH_ROOT_ID_RSA          PATH_ROOT_SSH_DIR "/id_rsa"

/* systemd and D-Bus */
#define PATH_SYSTEMD_UNIT_DIR   "/etc/systemd/system"
#define PATH_RUN_SYSTEMD_SYSTEM "/run/systemd/system" /* exists while systemd runs the host */
#define PATH_DBUS_SYSTEM_SOCKET "/run/dbus/system_bus_socket"
/* journald of the machine hostprep runs on */
#define PATH_JOURNALD_SOCKET "/run/systemd/journal/socket"

/* the kernel's view: meaningful for the running host only */
#define PATH_PROC_MOUNTINFO   "/proc/self/mountinfo"
#define PATH_PROC_CPUINFO     "/proc/cpuinfo"
#define PATH_PROC_MEMINFO     "/proc/meminfo"
#define PATH_PROC_NET_TCP     "/proc/net/tcp"
#define PATH_PROC_NET_TCP6    "/proc/net/tcp6"
#define PATH_DMI_PRODUCT_UUID "/sys/class/dmi/id/product_uuid"
#define PATH_SYS_CLASS_NET    "/sys/class/net"
#define PATH_SELINUXFS        "/sys/fs/selinux"
#define PATH_APPARMOR_ENABLED "/sys/module/apparmor/parameters/enabled"

/* hostprep's own */
#define PATH_HOSTPREP_STATE_DIR   "/var/lib/hostprep" /* apply's runs and their journals */
#define PATH_HOSTPREP_RUNTIME_DIR "/run/hostprep"
#define PATH_HOSTPREP_KEYS_PREFIX PATH_HOSTPREP_RUNTIME_DIR "/authorized-keys"

/* the machine hostprep runs on */
#define PATH_DEV_NULL "/dev/null"
#define PATH_TMP      "/tmp"

/* Where commands hostprep runs are looked up, on the host (below its root): a fixed list, so a caller's
 * PATH never decides what runs as root. */
#define PATH_COMMAND_SEARCH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Where daemons live that are not on a user's PATH; looked in after PATH for programs' versions. */
#define PATH_DAEMON_SEARCH "/usr/local/sbin:/usr/sbin:/sbin:/usr/libexec"
/* PATH when the environment has none (as execvp(3) assumes). */
#define PATH_DEFAULT_USER_SEARCH "/usr/local/bin:/usr/bin:/bin"

/* host.virt: what the running kernel offers guests (read through the root, so fixtures stand in) */
#define PATH_PROC_MEMINFO            "/proc/meminfo"
#define PATH_PROC_SELF_CGROUP        "/proc/self/cgroup"
#define PATH_CGROUP_ROOT_CONTROLLERS "/sys/fs/cgroup/cgroup.controllers" /* cgroup v2's root */
#define PATH_DEV_KVM                 "/dev/kvm"
#define PATH_DEV_NET_TUN             "/dev/net/tun"
#define PATH_DEV_VHOST_NET           "/dev/vhost-net"
#define PATH_KVM_INTEL_NESTED        "/sys/module/kvm_intel/parameters/nested"
#define PATH_KVM_AMD_NESTED          "/sys/module/kvm_amd/parameters/nested"
#define PATH_SYS_IOMMU_GROUPS        "/sys/kernel/iommu_groups"
#define PATH_SYS_CLASS_IOMMU         "/sys/class/iommu" /* dmar* (Intel VT-d), ivhd* (AMD-Vi) */
/* SELinux and AppArmor (security.selinux, security.apparmor) */
#define PATH_AUDIT_LOG            "/var/log/audit/audit.log"
#define PATH_SELINUX_CONFIG       "/etc/selinux/config"
#define PATH_SELINUX_STORE        "/var/lib/selinux" /* libsemanage's store: TYPE/active/booleans.local */
#define PATH_SELINUXFS_ENFORCE    PATH_SELINUXFS "/enforce"
#define PATH_SELINUXFS_BOOLEANS   PATH_SELINUXFS "/booleans" /* NAME: "ACTIVE PENDING" */
#define PATH_APPARMOR_PROFILES    "/sys/kernel/security/apparmor/profiles"
#define PATH_APPARMOR_LIBVIRT_DIR "/etc/apparmor.d/libvirt" /* TEMPLATE.qemu, libvirt-UUID{,.files} */
#define PATH_APPARMOR_TEMPLATE    PATH_APPARMOR_LIBVIRT_DIR "/TEMPLATE.qemu"
/* Debian's abstractions/libvirt-qemu ends with #include <local/abstractions/libvirt-qemu>, a file
 * libvirt-daemon-system's postinst creates empty for the site's additions */
#define PATH_APPARMOR_QEMU_LOCAL "/etc/apparmor.d/local/abstractions/libvirt-qemu"
#define PATH_LIBVIRTD_PID        "/run/libvirtd.pid"
/* The firewall (net.firewall) */
#define PATH_NFS_CONF          "/etc/nfs.conf"
#define PATH_NFS_CONF_DIR      "/etc/nfs.conf.d"
#define PATH_NFTABLES_CONF     "/etc/nftables.conf"
#define PATH_HOSTPREP_NFT_FILE "/etc/nftables.d/hostprep.nft"
#define PATH_FIREWALLD_CONF    "/etc/firewalld/firewalld.conf"
/* Under --root (an image, a test's fixture) no kernel ruleset can be listed: a captured
 * `nft -j list ruleset` in this file stands for it, and `iptables-legacy-save` output in the other. */
#define PATH_NFT_RULESET_CAPTURE     PATH_HOSTPREP_RUNTIME_DIR "/nft-ruleset.json"
#define PATH_IPTABLES_LEGACY_CAPTURE PATH_HOSTPREP_RUNTIME_DIR "/iptables-legacy-save.txt"
/* The same for what sysfs does not show of a VXLAN (lib/netstate): `ip -details -json link show` and
 * `bridge -json fdb show` */
#define PATH_IP_LINK_CAPTURE    PATH_HOSTPREP_RUNTIME_DIR "/ip-link.json"
#define PATH_BRIDGE_FDB_CAPTURE PATH_HOSTPREP_RUNTIME_DIR "/bridge-fdb.json"
/* what says which roles a host has when the profile does not name it (src/roles.c) */
#define PATH_VIRTQEMUD_CONF        "/etc/libvirt/virtqemud.conf"
#define PATH_NOVA_COMPUTE_CONF     "/etc/nova/nova-compute.conf"
#define PATH_GANESHA_CONF          "/etc/ganesha/ganesha.conf"
#define PATH_GANESHA_PID           "/run/ganesha/ganesha.pid"
#define PATH_XENSTORED_PID         "/run/xenstored.pid"
#define PATH_PROC_NFSD_THREADS     "/proc/fs/nfsd/threads"
#define PATH_PROC_XEN_CAPABILITIES "/proc/xen/capabilities"
/* Xen's xl toolstack (xen.dom0, xen.toolstack, xen.info, xen.guests) */
#define PATH_XEN_CONFIG_DIR      "/etc/xen" /* the guests' NAME.cfg, and xl.conf */
#define PATH_XL_CONF             PATH_XEN_CONFIG_DIR "/xl.conf"
#define PATH_XEN_CONSOLE_LOG_DIR "/var/log/xen/console" /* xenconsoled --log-dir: it never creates it */
/* Under --root no hypervisor answers `xl info`: a captured output in this file stands for it */
#define PATH_XL_INFO_CAPTURE PATH_HOSTPREP_RUNTIME_DIR "/xl-info.txt"
/* persistent network configuration (lib/netconf.h), and what net.bridge's fix writes */
#define PATH_NETWORK_INTERFACES     "/etc/network/interfaces"
#define PATH_NETWORK_INTERFACES_D   "/etc/network/interfaces.d"
#define PATH_NETWORKD_ETC_DIR       "/etc/systemd/network"
#define PATH_NETWORKD_WAIT_ONLINE   "/lib/systemd/systemd-networkd-wait-online"
#define PATH_NETWORKD_RUN_DIR       "/run/systemd/network"
#define PATH_NETWORKD_LIB_DIR       "/lib/systemd/network"
#define PATH_NETPLAN_LIB_DIR        "/lib/netplan"
#define PATH_NETPLAN_ETC_DIR        "/etc/netplan"
#define PATH_NETPLAN_RUN_DIR        "/run/netplan"
#define PATH_NM_ETC_CONNECTIONS     "/etc/NetworkManager/system-connections"
#define PATH_NM_RUN_CONNECTIONS     "/run/NetworkManager/system-connections"
#define PATH_NETWORKD_WANTED        PATH_SYSTEMD_UNIT_DIR "/multi-user.target.wants/systemd-networkd.service"
#define PATH_NM_WANTED              PATH_SYSTEMD_UNIT_DIR "/multi-user.target.wants/NetworkManager.service"
#define PATH_PROC_NET_ROUTE         "/proc/net/route"
#define PATH_TIMESYNCD_SYNCHRONIZED "/run/systemd/timesync/synchronized"
/* which NTP daemon runs (facts time.ntp_daemon) */
#define PATH_CHRONYD_PID   "/run/chrony/chronyd.pid"
#define PATH_NTPD_PID      "/run/ntpd.pid"
#define PATH_TIMESYNCD_DIR "/run/systemd/timesync"

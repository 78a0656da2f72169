#!/bin/sh
# Turns a booted tier VM into a hypervisor. Run by `vm-tier up` over ssh:
#   sh -s -- NFS_SOURCE MOUNTPOINT HOST_UUID < role-hv.sh
set -eu
source=$1 mnt=$2 uuid=$3

# Shared storage: the NFS export, persisted in /etc/fstab. nofail keeps a later reboot from
# hanging when the NFS server is not up yet.
mkdir -p "$mnt"
if ! grep -q "^$source " /etc/fstab; then
	printf '%s %s nfs _netdev,nofail,hard 0 0\n' "$source" "$mnt" >>/etc/fstab
fi
systemctl daemon-reload
mountpoint -q "$mnt" || mount "$mnt"

# libvirtd, started by its socket units, reachable over plain TCP from the other hypervisor.
conf=/etc/libvirt/libvirtd.conf
sed -i '/^# hostprep vm-tier:/,$d' "$conf"
cat >>"$conf" <<CONF
# hostprep vm-tier: this VM lives on a bridge inside a network namespace that only the test
# bed can reach; no other host can connect, so TCP without authentication is acceptable here
# and keeps Kerberos/SASL and TLS certificates out of the lab. Never do this on a real host.
auth_tcp = "none"
host_uuid = "$uuid"
CONF
systemctl stop libvirtd.service
systemctl enable libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket libvirtd-tcp.socket \
	libvirt-guests.service >/dev/null 2>&1
systemctl restart libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket
systemctl start libvirtd-tcp.socket
# The first connection starts libvirtd; asking for the capabilities makes it probe QEMU now
# (~15 s under TCG) rather than in the first test.
virsh -c qemu:///system capabilities >/dev/null

#!/bin/sh
# Makes a booted dom0 of the xen tier ready. Run by `xen-tier up` over ssh, after it put the
# tier's private key at /root/.ssh/id_ed25519:
#   sh -s -- NFS_SOURCE MOUNTPOINT KNOWN_HOSTS_LINE... < role-dom0.sh
# That is: the export mounted at MOUNTPOINT (in /etc/fstab), root's known_hosts for ssh to the
# peer as root (xl migrate's transport), and the Xen toolstack answering.
set -eu
source=$1 mnt=$2
shift 2

chmod 600 /root/.ssh/id_ed25519
ssh-keygen -y -f /root/.ssh/id_ed25519 >/root/.ssh/id_ed25519.pub
printf '%s\n' "$@" >/root/.ssh/known_hosts

# The dom0's own name resolves to its bridge address, as on real hosts, not to Debian's
# 127.0.1.1: xa mounts its own export as xa:..., which is exported to the bridge addresses only.
sed -i '/^127\.0\.1\.1[[:space:]]/d' /etc/hosts

mkdir -p "$mnt"
if ! grep -q "^$source " /etc/fstab; then
	printf '%s %s nfs _netdev,nofail,hard 0 0\n' "$source" "$mnt" >>/etc/fstab
fi
systemctl daemon-reload
mountpoint -q "$mnt" || mount "$mnt"

# xen.service (Debian's LSB script: xenstored, xenconsoled, xen-init-dom0) may still be
# starting when ssh answers; under TCG it takes minutes. Wait for the toolstack, bounded.
i=0
until xl info >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || { echo "xl info does not answer after 600 s" >&2; systemctl status xen >&2 || true; exit 1; }
	sleep 2
done
pgrep -x xenconsoled >/dev/null || { echo "xenconsoled is not running" >&2; exit 1; }
xl info | grep -E '^(xen_version|virt_caps|free_memory)'

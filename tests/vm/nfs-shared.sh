#!/bin/sh
# The NFS export of the "nfs" VM is mounted at /var/lib/libvirt/images on both hypervisors,
# and a file root writes on hv1 reads back on hv2, still owned by root (no_root_squash).
set -eu
. "$(dirname "$0")/lib.sh"
require_tier

mnt=/var/lib/libvirt/images
for hv in hv1 hv2; do
	mounts=$(on "$hv" cat /proc/mounts) || fail "$hv: cannot read /proc/mounts"
	line=$(echo "$mounts" | awk -v m="$mnt" '$2 == m')
	[ -n "$line" ] || fail "$hv: nothing mounted at $mnt"
	# shellcheck disable=SC2086 # split the /proc/mounts line into its fields
	set -- $line
	case $3 in nfs | nfs4) ;; *) fail "$hv: $mnt has fstype $3, not nfs/nfs4 ($line)" ;; esac
	[ "$1" = nfs:/srv/nfs/images ] || fail "$hv: $mnt comes from $1, not nfs:/srv/nfs/images"
	echo "ok: $hv mounts $1 at $mnt ($3)"
	on "$hv" "grep -q '^nfs:/srv/nfs/images $mnt nfs ' /etc/fstab" || fail "$hv: the mount is not in /etc/fstab"
done

name=smoke-$(date +%s)-$$
token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
on hv1 "printf '%s\n' $token > $mnt/$name && sync" || fail "hv1: cannot write $mnt/$name"
got=$(on hv2 "cat $mnt/$name") || fail "hv2: cannot read $mnt/$name"
owner=$(on hv2 "stat -c %U:%G $mnt/$name")
on nfs "rm -f /srv/nfs/images/$name" || true
[ "$got" = "$token" ] || fail "hv2 read '$got', hv1 wrote '$token'"
echo "ok: a file written on hv1 reads back on hv2"
[ "$owner" = root:root ] || fail "the file is owned by $owner on hv2, not root:root (root squashed?)"
echo "ok: owner root:root kept (no_root_squash)"

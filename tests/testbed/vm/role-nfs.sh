#!/bin/sh
# Turns a booted tier VM into the NFS server. Run by `vm-tier up` over ssh:
#   sh -s -- EXPORT_DIR CLIENT... < role-nfs.sh
set -eu
dir=$1
shift

mkdir -p "$dir"
line=$dir
for client in "$@"; do
	# no_root_squash: the hypervisors' root (libvirt, hostprep) must own files on the share.
	line="$line $client(rw,sync,no_root_squash,no_subtree_check)"
done
printf '# written by hostprep vm-tier\n%s\n' "$line" >/etc/exports

systemctl enable --now nfs-server.service >/dev/null 2>&1
exportfs -ra
exportfs -v

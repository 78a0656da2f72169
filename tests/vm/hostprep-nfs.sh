#!/bin/bash
# hostprep on the full VMs, against real kernel NFS: on both hypervisors nfs.mount and nfs.access pass
# on the real NFS mounts; on the server nfs.export passes with nfs-server running under systemd (read
# over sd-bus). Then apply, on hosts made "fresh" again: hv2 without its mount and fstab line, the server
# without its export; apply brings nfs.* back to PASS (FIXED) with a real mount and a real export, and
# rollback restores the files.
. "$(dirname "$0")/lib.sh"
require_tier

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

profile=$vm_profile

# 1. as the tier set them up
for vm in hv1 hv2; do
        hp "check-$vm" $vm check
        for id in nfs.mount.mounted nfs.mount.source nfs.mount.rw nfs.mount.hard nfs.mount.version nfs.mount.lock \
                nfs.mount.persistent nfs.mount.responsive nfs.access.exports nfs.access.root nfs.access.qemu_user; do
                expect "check-$vm" $id pass
        done
done
hp check-nfs nfs check
for id in nfs.export.files nfs.export.present nfs.export.client nfs.export.rw nfs.export.root_squash \
        nfs.export.service nfs.export.served nfs.export.directory nfs.storage.direct_io; do
        expect check-nfs $id pass
done

# 2. hv2 without its mount: apply mounts it again, from a fresh fstab line
on hv2 'umount /var/lib/libvirt/images && cp /etc/fstab /root/fstab.test && sed -i "\|/var/lib/libvirt/images|d" /etc/fstab' ||
        bad "hv2: could not unmount"
hp fresh-hv2 hv2 check
expect fresh-hv2 nfs.mount.mounted fail
expect fresh-hv2 nfs.mount.persistent fail
hp apply-hv2 hv2 apply
expect apply-hv2 nfs.mount.mounted fixed
expect apply-hv2 nfs.mount.persistent fixed
expect apply-hv2 nfs.mount.responsive pass
on hv2 hostprep rollback >/dev/null 2>&1 || bad "hv2: rollback failed"
on hv2 cmp -s /etc/fstab /root/fstab.test && bad "hv2: rollback should restore the fstab without the line" || true
on hv2 'cp /root/fstab.test /etc/fstab; mountpoint -q /var/lib/libvirt/images'|| bad "hv2: not mounted at the end"

# 3. the server without its export: apply writes the drop-in and re-exports with exportfs -r
on nfs 'mv /etc/exports /root/exports.test && : >/etc/exports && exportfs -ra' || bad "nfs: could not unexport"
hp fresh-nfs nfs check
expect fresh-nfs nfs.export.present fail
hp apply-nfs nfs apply
expect apply-nfs nfs.export.present fixed
expect apply-nfs nfs.export.served pass
# each change went to the journal with structured fields
on nfs "journalctl -q -o cat SYSLOG_IDENTIFIER=hostprep HOSTPREP_UNIT=nfs.export HOSTPREP_PATH=/etc/exports.d/hostprep.exports" |
        grep -q . || bad "nfs: no journal entry with HOSTPREP_UNIT and HOSTPREP_PATH for the drop-in"
hp after-hv1 hv1 check --only 'nfs.access*'
expect after-hv1 nfs.access.root pass
on nfs hostprep rollback >/dev/null 2>&1 || bad "nfs: rollback failed"
on nfs 'test ! -e /etc/exports.d/hostprep.exports' || bad "nfs: rollback left the drop-in"
on nfs 'mv /root/exports.test /etc/exports && exportfs -ra' || bad "nfs: could not restore the export"

[ $failures = 0 ] && echo "hostprep passes on real NFS, and apply brings fresh hosts back"
exit $((failures > 0))

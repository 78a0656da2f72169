#!/bin/bash
# AppArmor on a real enforcing kernel (Debian's, in the hypervisor VMs): libvirtd's own profile loaded
# and libvirtd restarted, so libvirt picks the apparmor driver and every guest runs in libvirt-UUID.
# A guest whose QEMU opens a file on the NFS mount that virt-aa-helper did not list (a block device
# added through the monitor, the way a path referenced only indirectly reaches QEMU) is DENIED by the
# kernel; hostprep check FAILs security.apparmor with that line as evidence; apply appends the shared
# path to the local abstraction and reloads the guest's profile; the same open then works, and the
# canary migrates live hv1 -> hv2. Rollback restores the abstraction (and does not trip over the guest's
# profile, which libvirt removed when the guest stopped). The tier's state (libvirtd's profile loaded by
# apparmor.service at boot, or not) is put back at the end whatever happened.
#   apparmor.sh CANARY_ELF
. "$(dirname "$0")/lib.sh"
require_tier
canary=$1
[ -r "$canary" ] || skip "no canary at $canary"

tmp=$(mktemp -d)
guest=hp-aa
share=/var/lib/libvirt/images
extra=$share/aa-extra.raw
local_file=/etc/apparmor.d/local/abstractions/libvirt-qemu
profile=$vm_profile

for vm in hv1 hv2; do
	on $vm "[ \"\$(cat /sys/module/apparmor/parameters/enabled)\" = Y ] && command -v apparmor_parser" >/dev/null ||
		skip "$vm: AppArmor is not enabled in the kernel or apparmor_parser is missing (image without apparmor)"
	on $vm "cp -a $local_file /root/aa-local.tier 2>/dev/null || : > /root/aa-local.absent
		grep -q '^libvirtd ' /sys/kernel/security/apparmor/profiles || : > /root/aa-libvirtd.unloaded"
done
restore() {
	for vm in hv1 hv2; do
		on $vm "virsh -q destroy $guest >/dev/null 2>&1; virsh -q destroy hp-aa-live >/dev/null 2>&1
			if [ -e /root/aa-local.absent ]; then rm -f $local_file /root/aa-local.absent; else cp -a /root/aa-local.tier $local_file; fi
			if [ -e /root/aa-libvirtd.unloaded ]; then
				apparmor_parser -R /etc/apparmor.d/usr.sbin.libvirtd >/dev/null 2>&1; rm -f /root/aa-libvirtd.unloaded
			else apparmor_parser -r /etc/apparmor.d/usr.sbin.libvirtd; fi
			systemctl restart libvirtd.service && virsh -c qemu:///system version >/dev/null" ||
			echo "warning: $vm: the tier's AppArmor state could not be restored"
	done
	on hv1 "rm -f $extra $share/$guest.elf /root/$guest.xml"
	rm -rf "$tmp"
}
trap restore EXIT

# the test's own setup: libvirtd confined, so libvirt picks apparmor
for vm in hv1 hv2; do
	on $vm "apparmor_parser -r /etc/apparmor.d/usr.sbin.libvirtd && systemctl restart libvirtd.service &&
		grep -qv unconfined /proc/\$(pidof libvirtd)/attr/current" || fail "$vm: cannot confine libvirtd"
	on $vm "cat /proc/\$(pidof libvirtd)/attr/current"
done

# a guest in its own profile, and a file on the share its profile does not list
on hv1 "cat > $share/$guest.elf" <"$canary" || fail "copying the canary to the share"
# read-only and world-readable: the permission bits let QEMU (libvirt-qemu) read it, only AppArmor may not
on hv1 "truncate -s 1M $extra && chmod 0644 $extra && cat > /root/$guest.xml" <<XML
<domain type="qemu">
  <name>$guest</name>
  <memory unit="MiB">32</memory>
  <vcpu>1</vcpu>
  <os><type arch="x86_64" machine="pc">hvm</type><kernel>$share/$guest.elf</kernel></os>
  <devices><serial type="pty"><target port="0"/></serial><memballoon model="none"/></devices>
</domain>
XML
on hv1 "virsh -q create /root/$guest.xml" >/dev/null || fail "hv1: the guest does not start under apparmor"
on hv1 "virsh dumpxml $guest | grep -o \"<label>libvirt-[^<]*\"" || bad "hv1: the guest has no libvirt-UUID label"
add_block() {
	on hv1 "virsh qemu-monitor-command $guest --pretty \
		'{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"file\",\"node-name\":\"aa$1\",\"filename\":\"$extra\",\"read-only\":true}}'"
}
# virsh exits 0 with QMP's error reply as well: what tells is "return" (opened) or "error" (refused)
add_block 1 >"$tmp/add1" 2>&1
cat "$tmp/add1"
grep -q '"return"' "$tmp/add1" && bad "QEMU opened $extra although its profile does not list it"
grep -q '"error"\|error:' "$tmp/add1" || bad "the first blockdev-add was not refused"
sleep 2
on hv1 "journalctl -k --since -5min --no-pager -o cat | grep -F 'apparmor=\"DENIED\"' | grep -F '$extra' | tail -n1" >"$tmp/denied"
echo "kernel: $(cat "$tmp/denied")"
[ -s "$tmp/denied" ] || bad "no apparmor=DENIED line for $extra in the kernel log"

hp check hv1 check --only security.apparmor
not_passed check
expect check security.apparmor.enabled pass
expect check security.apparmor.driver pass
expect check security.apparmor.denials fail
grep -qF "$extra" "$tmp/check.json" || bad "the check's evidence does not show the DENIED line"

t0=$(date +%s%N)
hp dry hv1 apply --only security.apparmor --dry-run
on hv1 "if [ -e /root/aa-local.absent ]; then [ ! -e $local_file ]; else cmp -s /root/aa-local.tier $local_file; fi" ||
	bad "hv1: --dry-run changed $local_file"
hp apply hv1 apply --only security.apparmor
echo "apply: $((($(date +%s%N) - t0) / 1000000)) ms"
on hv1 "grep -F '$share' $local_file" || bad "hv1: $local_file does not name $share"
add_block 2 >"$tmp/add2" 2>&1
grep -q '"return"' "$tmp/add2" || { cat "$tmp/add2"; bad "QEMU still cannot open $extra after apply"; }
on hv1 "virsh -q destroy $guest" >/dev/null 2>&1

# the canary, confined on both sides (hv2's libvirtd is confined too), migrates live
virsh_migrate_live hp-aa-live "$canary" qemu+tcp://hv2/system

on hv1 "hostprep rollback" >"$tmp/rollback" 2>&1 || { cat "$tmp/rollback"; bad "hv1: rollback failed"; }
on hv1 "if [ -e /root/aa-local.absent ]; then [ ! -e $local_file ]; else cmp -s /root/aa-local.tier $local_file; fi" ||
	bad "hv1: rollback did not restore $local_file"

[ $failures = 0 ] || fail "$failures check(s) failed"
echo "AppArmor: real DENIED on the share diagnosed, override applied, canary migrated live; rolled back"

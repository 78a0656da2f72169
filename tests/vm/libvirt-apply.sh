#!/bin/bash
# libvirt from fresh hypervisors: both VMs have Debian's socket-activated libvirtd as the package leaves
# it (libvirtd-tcp.socket disabled, libvirtd.conf without auth_tcp), so hostprep check FAILs
# libvirt.listen on each. `hostprep apply` (the profile opting in to auth_tcp = "none": the tier's
# network reaches nothing else) enables and starts the socket, writes auth_tcp in place and restarts
# libvirtd (on hv2, stopped altogether, it starts its sockets first); then check passes libvirt.listen on both, with a real connection from each to the other, and
# a real `virsh migrate --live` of a guest goes hv1 -> hv2. Rollback takes the socket and the file back;
# the tier's own setup is restored at the end whatever happened.
#   libvirt-apply.sh CANARY_ELF
. "$(dirname "$0")/lib.sh"
require_tier
canary=$1
[ -r "$canary" ] || skip "no canary at $canary"

tmp=$(mktemp -d)
conf=/etc/libvirt/libvirtd.conf
guest=hp-virsh-live

profile="$vm_profile
[libvirt]
auth_tcp = none
allow_auth_none = yes
"

# The tier's setup (tests/testbed/vm/role-hv.sh): its auth_tcp line and the TCP socket. Saved first,
# put back at the end.
for vm in hv1 hv2; do
	on $vm "cp $conf /root/libvirtd.conf.tier" || fail "$vm: cannot save $conf"
done
restore() {
	for vm in hv1 hv2; do
		# as role-hv.sh: systemd starts no socket while its service runs
		on $vm "virsh -q destroy $guest >/dev/null 2>&1; cp /root/libvirtd.conf.tier $conf &&
			systemctl stop libvirtd.service && systemctl enable --now libvirtd.socket libvirtd-ro.socket \
			libvirtd-admin.socket libvirtd-tcp.socket >/dev/null 2>&1 && virsh -c qemu:///system version >/dev/null" ||
			echo "warning: $vm: the tier's libvirt setup could not be restored"
	done
		rm -rf "$tmp"
}
trap restore EXIT

# fresh: the package's state, keeping the tier's distinct host_uuid (a property of these VMs, not of
# libvirt's listener); on hv2 libvirtd stopped altogether, sockets and all
for vm in hv1 hv2; do
	on $vm "sed -i '/^auth_tcp = /d' $conf && systemctl disable --now libvirtd-tcp.socket >/dev/null 2>&1 &&
		systemctl restart libvirtd.service && cp $conf /root/libvirtd.conf.fresh" || fail "$vm: cannot make libvirt fresh"
	on $vm "ss -Hltn 'sport = :16509'" | grep -q . && fail "$vm: something still listens on 16509"
done
on hv2 "systemctl stop libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket" ||
	fail "hv2: cannot stop libvirtd"

for vm in hv1 hv2; do
	hp "fresh-$vm" $vm check --only 'libvirt.*'
	expect "fresh-$vm" libvirt.daemon.model pass
	expect "fresh-$vm" libvirt.listen.configured fail
	expect "fresh-$vm" libvirt.listen.port fail
	expect "fresh-$vm" libvirt.listen.peer fail
done
expect fresh-hv2 libvirt.daemon.running fail

t0=$(date +%s%N)
for vm in hv1 hv2; do
	hp "dry-$vm" $vm apply --only 'libvirt.*' --dry-run
	on $vm "cmp -s $conf /root/libvirtd.conf.fresh && ! systemctl -q is-enabled libvirtd-tcp.socket" ||
		bad "$vm: --dry-run changed something"
	hp "apply-$vm" $vm apply --only 'libvirt.*'
	expect "apply-$vm" libvirt.listen.configured fixed
	expect "apply-$vm" libvirt.listen.port fixed
	[ $vm = hv2 ] && expect apply-hv2 libvirt.daemon.running fixed
	on $vm "systemctl -q is-active libvirtd-tcp.socket && ss -Hltn 'sport = :16509' | grep -q . &&
		grep -q '^auth_tcp = \"none\"' $conf" || bad "$vm: after apply: the socket, the listener or auth_tcp is missing"
done
echo "apply on both hypervisors: $((($(date +%s%N) - t0) / 1000000)) ms"

# every direction: each host connects to the other's libvirtd over qemu+tcp
for vm in hv1 hv2; do
	hp "after-$vm" $vm check --only 'libvirt.*'
	not_passed "after-$vm"
	for id in libvirt.daemon.model libvirt.daemon.ignored libvirt.listen.configured libvirt.listen.port \
		libvirt.listen.auth libvirt.listen.peer; do
		expect "after-$vm" $id pass
	done
	printf '%s' "$profile" | on $vm hostprep apply --profile - --skip 'ssh.*' --only 'libvirt.*' >"$tmp/again-$vm" 2>&1
	grep -q '^Nothing to change' "$tmp/again-$vm" || { cat "$tmp/again-$vm"; bad "$vm: a second apply changes something"; }
done

# a real live migration of a guest, by virsh, over what apply set up
virsh_migrate_live $guest "$canary" qemu+tcp://hv2/system

# rollback: the socket off and the file as it was
for vm in hv1 hv2; do
	on $vm "hostprep rollback" >/dev/null 2>&1 || bad "$vm: rollback failed"
	on $vm "cmp -s $conf /root/libvirtd.conf.fresh && ! systemctl -q is-enabled libvirtd-tcp.socket &&
		! systemctl -q is-active libvirtd-tcp.socket" || bad "$vm: rollback did not restore the socket and $conf"
done

[ $failures = 0 ] || fail "$failures check(s) failed"
echo "libvirt made to listen by apply on both hypervisors, checked from each other, a guest migrated live by virsh; rolled back"

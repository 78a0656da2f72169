#!/bin/bash
# libvirt over TLS between the VM hypervisors, with a CA and certificates this test makes (certtool, as
# libvirt's TLS guide does): with the files in libvirt's default places but libvirtd-tls.socket off,
# check FAILs libvirt.listen.configured and proves the files (libvirt.listen.tls); apply starts the
# socket (libvirtd stopped and started around it); then check passes libvirt.listen with a real
# qemu+tls connection from each host to the other, and `virsh migrate --live` over qemu+tls moves a
# guest hv1 -> hv2. Rollback takes the socket back; the certificates are removed at the end.
#   libvirt-tls.sh CANARY_ELF
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../tls-lib.sh"
require_tier
tls_need
canary=$1
[ -r "$canary" ] || skip "no canary at $canary"

tmp=$(mktemp -d)
guest=hp-virsh-tls
pki="/etc/pki/CA/cacert.pem /etc/pki/libvirt/servercert.pem /etc/pki/libvirt/private/serverkey.pem
	/etc/pki/libvirt/clientcert.pem /etc/pki/libvirt/private/clientkey.pem"
profile="${vm_profile/\[migrate\]/[migrate]
transport = tls}"

restore() {
	for vm in hv1 hv2; do
		on $vm "virsh -q destroy $guest >/dev/null 2>&1; systemctl stop libvirtd.service;
			systemctl disable --now libvirtd-tls.socket >/dev/null 2>&1; rm -f $pki;
			virsh -c qemu:///system version >/dev/null" || echo "warning: $vm: could not take TLS away again"
	done
		rm -rf "$tmp"
}
trap restore EXIT

# one CA; for each hypervisor a server certificate naming it and a client certificate
tls_ca "$tmp" ca || fail "certtool: no CA"
for vm in hv1 hv2; do
	tls_cert "$tmp" "$vm-server" ca server "$vm" && tls_cert "$tmp" "$vm-client" ca client "$vm" ||
		fail "certtool: no certificates for $vm"
	on $vm "mkdir -p /etc/pki/CA /etc/pki/libvirt/private && umask 077 &&
		cat > /etc/pki/libvirt/private/serverkey.pem" <"$tmp/$vm-server.key" &&
		on $vm "umask 077 && cat > /etc/pki/libvirt/private/clientkey.pem" <"$tmp/$vm-client.key" &&
		on $vm "cat > /etc/pki/libvirt/servercert.pem" <"$tmp/$vm-server.pem" &&
		on $vm "cat > /etc/pki/libvirt/clientcert.pem" <"$tmp/$vm-client.pem" &&
		on $vm "cat > /etc/pki/CA/cacert.pem" <"$tmp/ca.pem" || fail "$vm: cannot install the certificates"
done

for vm in hv1 hv2; do
	hp "fresh-$vm" $vm check --only 'libvirt.listen'
	expect "fresh-$vm" libvirt.listen.configured fail
	expect "fresh-$vm" libvirt.listen.tls pass
done

t0=$(date +%s%N)
for vm in hv1 hv2; do
	hp "apply-$vm" $vm apply --only 'libvirt.listen'
	expect "apply-$vm" libvirt.listen.configured fixed
	expect "apply-$vm" libvirt.listen.port fixed
	on $vm "systemctl -q is-active libvirtd-tls.socket && ss -Hltn 'sport = :16514' | grep -q ." ||
		bad "$vm: after apply nothing listens on 16514"
done
echo "apply (TLS) on both hypervisors: $((($(date +%s%N) - t0) / 1000000)) ms"

for vm in hv1 hv2; do
	hp "after-$vm" $vm check --only 'libvirt.listen'
	not_passed "after-$vm"
	for id in libvirt.listen.configured libvirt.listen.port libvirt.listen.auth libvirt.listen.tls libvirt.listen.peer; do
		expect "after-$vm" $id pass
	done
done

virsh_migrate_live $guest "$canary" qemu+tls://hv2/system

for vm in hv1 hv2; do
	on $vm "hostprep rollback" >/dev/null 2>&1 || bad "$vm: rollback failed"
	on $vm "! systemctl -q is-enabled libvirtd-tls.socket && ! systemctl -q is-active libvirtd-tls.socket" ||
		bad "$vm: rollback did not take libvirtd-tls.socket back"
done

[ $failures = 0 ] || fail "$failures check(s) failed"
echo "libvirt over TLS: files proven, apply made it listen, check passed from each side, virsh migrated live over qemu+tls; rolled back"

#!/bin/sh
# libvirtd on each hypervisor answers qemu+tcp from the other one, and the two report
# different host UUIDs (libvirt refuses to migrate between hosts that share one).
set -eu
. "$(dirname "$0")/lib.sh"
require_tier

uuid() {
	# host UUID as the other hypervisor's libvirt sees it
	on "$1" "timeout 60 virsh -c qemu+tcp://$2/system capabilities" |
		sed -n 's:.*<uuid>\(.*\)</uuid>.*:\1:p' | head -n1
}

for pair in hv1:hv2 hv2:hv1; do
	from=${pair%:*} to=${pair#*:}
	name=$(on "$from" "timeout 60 virsh -c qemu+tcp://$to/system hostname") ||
		fail "$from: virsh -c qemu+tcp://$to/system does not answer"
	[ "$name" = "$to" ] || fail "$from: qemu+tcp://$to/system says its hostname is '$name'"
	echo "ok: $from reaches libvirtd on $to over TCP (hostname $name)"
done

u1=$(uuid hv2 hv1) u2=$(uuid hv1 hv2)
{ [ -n "$u1" ] && [ -n "$u2" ]; } || fail "no host UUID in the capabilities (hv1 '$u1', hv2 '$u2')"
[ "$u1" != "$u2" ] || fail "hv1 and hv2 share host UUID $u1"
echo "ok: distinct host UUIDs: hv1 $u1, hv2 $u2"

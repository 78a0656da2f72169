#!/bin/bash
# libvirtd on h2 answers qemu+tcp from h3 (and h3's from h2); the two hypervisors have distinct host UUIDs
# and offer TCG guests (domain type qemu) only.
. "$(dirname "$0")/lib.sh"

command -v virsh >/dev/null || skip "virsh (libvirt-clients) is not installed"

virsh_on() { # virsh_on FROM TO ARGS...
        local from=$1 to=$2
        shift 2
        tb exec "$from" timeout 45 virsh -c "qemu+tcp://$to/system" "$@"
}

t0=$(now_ms)
name=$(virsh_on h3 h2 hostname) || fail "no answer from libvirtd on h2 over qemu+tcp"
[[ $name == h2 ]] || fail "libvirtd on h2 says its host is '$name'"
echo "ok: qemu+tcp://h2/system from h3 answers as h2 ($(($(now_ms) - t0)) ms)"
name=$(virsh_on h2 h3 hostname) || fail "no answer from libvirtd on h3 over qemu+tcp"
[[ $name == h3 ]] || fail "libvirtd on h3 says its host is '$name'"
echo "ok: qemu+tcp://h3/system from h2 answers as h3"

t0=$(now_ms)
caps2=$(virsh_on h3 h2 capabilities) || fail "capabilities of h2"
caps3=$(virsh_on h2 h3 capabilities) || fail "capabilities of h3"
echo "capabilities of both hosts in $(($(now_ms) - t0)) ms (the first call probes QEMU)"
uuid2=$(sed -n 's:.*<uuid>\(.*\)</uuid>.*:\1:p' <<<"$caps2" | head -1)
uuid3=$(sed -n 's:.*<uuid>\(.*\)</uuid>.*:\1:p' <<<"$caps3" | head -1)
[[ -n $uuid2 && -n $uuid3 && $uuid2 != "$uuid3" ]] || fail "host UUIDs not distinct: '$uuid2' '$uuid3'"
echo "ok: host UUIDs h2=$uuid2 h3=$uuid3"
grep -q "<domain type='qemu'" <<<"$caps2" || fail "h2 offers no TCG (type qemu) guests"
if grep -q "<domain type='kvm'" <<<"$caps2"; then
        fail "h2 offers KVM guests; the bed is meant to be TCG only"
fi
echo "ok: TCG only"

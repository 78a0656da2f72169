#!/bin/bash
# `hostprep audit` between the two VM hypervisors: a guest defined and running on hv1 with its kernel and
# its disk (cache='none') on the real NFS mount is ready to go to hv2 (exit 0); then `hostprep migrate
# --guest` moves it and it runs on hv2, as the audit said. hv1 gets SSH to hv2 for this test only (a key
# and a known_hosts of its own). The guest is removed from both afterwards.
#   audit.sh CANARY_ELF
. "$(dirname "$0")/lib.sh"
require_tier
canary=$1
[ -r "$canary" ] || skip "no canary at $canary"

tmp=$(mktemp -d)
guest=hp-audit-$$
images=/var/lib/libvirt/images
finish() {
        local vm
        for vm in hv1 hv2; do
                on $vm "virsh -q destroy $guest; virsh -q undefine $guest" >/dev/null 2>&1
        done
        on hv1 "rm -f $images/$guest.elf $images/$guest.raw /root/$guest.xml /root/$guest.id /root/$guest.id.pub /root/$guest.known" >/dev/null 2>&1
        on hv2 "sed -i '/ $guest\$/d' /root/.ssh/authorized_keys" >/dev/null 2>&1
        rm -rf "$tmp"
}
trap finish EXIT

# hv1 reaches hv2 over SSH for its facts: a key of this test's own, hv2's host key pinned in a
# known_hosts of this test's own (the tier does not set up SSH between the VMs); removed afterwards
on hv1 "ssh-keygen -q -t ed25519 -N '' -C $guest -f /root/$guest.id" || fail "hv1: ssh-keygen"
on hv1 "cat /root/$guest.id.pub" | on hv2 "mkdir -p -m 700 /root/.ssh && cat >> /root/.ssh/authorized_keys" ||
        fail "hv2: authorizing the test's key"
on hv2 "cat /etc/ssh/ssh_host_ed25519_key.pub" | awk '{print "hv2", $1, $2}' | on hv1 "cat > /root/$guest.known" ||
        fail "hv1: pinning hv2's host key"
profile="$vm_profile[ssh]
identity = /root/$guest.id
known_hosts = /root/$guest.known
"

on hv1 "cat > $images/$guest.elf" <"$canary" || fail "copying the guest's kernel to the shared mount"
on hv1 "truncate -s 1M $images/$guest.raw" || fail "making the guest's disk on the shared mount"
on hv1 "cat > /root/$guest.xml" <<XML
<domain type="qemu">
  <name>$guest</name>
  <memory unit="MiB">32</memory>
  <vcpu>1</vcpu>
  <os><type arch="x86_64" machine="pc">hvm</type><kernel>$images/$guest.elf</kernel><cmdline>dirty=1M</cmdline></os>
  <cpu mode="custom" match="exact"><model fallback="forbid">qemu64</model></cpu>
  <devices>
    <disk type="file" device="disk"><driver name="qemu" type="raw" cache="none"/><source file="$images/$guest.raw"/><target dev="vda" bus="virtio"/></disk>
    <serial type="pty"><target port="0"/></serial><memballoon model="none"/>
  </devices>
</domain>
XML
on hv1 "virsh -q define /root/$guest.xml && virsh -q start $guest" >/dev/null || fail "hv1: the guest does not start"

t0=$(date +%s%N)
printf '%s' "$profile" | VM_CMD_TIMEOUT=120 on hv1 hostprep audit --profile - --guest "$guest" --timeout 60 \
        --format json >"$tmp/audit.json" 2>"$tmp/audit.err"
rc=$?
echo "hostprep audit --guest $guest on hv1: rc=$rc in $((($(date +%s%N) - t0) / 1000000)) ms"
python3 - "$tmp/audit.json" "$guest" <<'PY' || { cat "$tmp/audit.err"; bad "the audit does not say the guest is ready for hv2"; }
import json, sys
d = json.load(open(sys.argv[1]))
g = [x for x in d["guests"] if x["name"] == sys.argv[2]]
cell = g[0]["peers"].get("hv2") if g else None
print("  hv2:", cell and cell["verdict"], cell and [(f["reason"], f["message"]) for f in cell["findings"]],
      "estimate:", cell and cell["estimate"])
sys.exit(0 if cell and cell["verdict"] in ("ready", "warn") and g[0]["destinations"] == ["hv2"] and d["exit_code"] == 0 else 1)
PY
[ $rc = 0 ] || bad "audit: exit $rc, expected 0"

t0=$(date +%s%N)
printf '%s' "$vm_profile" | VM_CMD_TIMEOUT=500 on hv1 hostprep migrate --profile - --to hv2 --guest "$guest" \
        --format json >"$tmp/m.json" 2>"$tmp/m.err"
rc=$?
echo "hostprep migrate --guest $guest hv1 -> hv2: rc=$rc in $((($(date +%s%N) - t0) / 1000000)) ms"
[ $rc = 0 ] || { cat "$tmp/m.err"; head -c 2000 "$tmp/m.json"; bad "migrate: exit $rc, expected 0"; }
state=$(on hv2 "virsh domstate $guest" 2>/dev/null | head -n1)
[ "$state" = running ] || bad "the guest is '$state' on hv2, not running"
on hv1 "virsh -q list --name" | grep -qx "$guest" && bad "the guest still runs on hv1"
[ $failures = 0 ] && echo "PASS: the audit said ready for hv2, and the guest moved there"
exit $((failures > 0))

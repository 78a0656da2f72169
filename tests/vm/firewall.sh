#!/bin/bash
# net.firewall between the VM hypervisors, with a real migration as the proof: hv2's /etc/nftables.conf
# drops QEMU's migration range, so `virsh migrate --live` hv1 -> hv2 does not get through (its
# connection to hv2:49152 never completes; aborted after MIGRATE_FAIL_WAIT seconds, 180 by default: under
# load virsh took ~90 s to give up by itself); net.firewall on hv2 FAILs the migration range naming the
# rule (table, chain, handle) and passes 16509, which the drop leaves open, port by port;
# `hostprep apply --only net.firewall` inserts an accept for hv1; the re-check passes and the same migration goes through; rollback leaves hv2's ruleset and
# /etc/nftables.conf as they were. Needs nft in the VMs (the nftables package in the tier's image).
#   firewall.sh CANARY_ELF
. "$(dirname "$0")/lib.sh"
require_tier
canary=$1
[ -r "$canary" ] || skip "no canary at $canary"
on hv2 "command -v nft" >/dev/null || skip "no nft in the VMs (the tier's image has no nftables package)"

tmp=$(mktemp -d)
T=hpvmfw
guest=hp-fw-live
WAIT_FAIL=${MIGRATE_FAIL_WAIT:-180}
profile="$vm_profile
[firewall]
probe = no
"

on hv2 "cp -p /etc/nftables.conf /root/nftables.conf.tier 2>/dev/null || : > /root/nftables.conf.none" ||
	fail "hv2: cannot save /etc/nftables.conf"
restore() {
	on hv1 "virsh -q destroy $guest >/dev/null 2>&1; rm -f /var/lib/libvirt/images/$guest.elf /root/$guest.xml"
	on hv2 "virsh -q destroy $guest >/dev/null 2>&1; nft delete table inet $T >/dev/null 2>&1;
		if [ -e /root/nftables.conf.tier ]; then mv /root/nftables.conf.tier /etc/nftables.conf;
		else rm -f /etc/nftables.conf /root/nftables.conf.none; fi; rm -f /etc/nftables.d/hostprep.nft"
	rm -rf "$tmp"
}
trap restore EXIT

# hv2's boot-time ruleset drops the range; loaded as the boot would
printf '#!/usr/sbin/nft -f\ntable inet %s {\n chain input {\n  type filter hook input priority filter; policy accept;\n  tcp dport 49152-49215 drop\n }\n}\n' $T >"$tmp/nftables.conf"
on hv2 "cat > /etc/nftables.conf && nft -f /etc/nftables.conf" <"$tmp/nftables.conf" || fail "hv2: cannot load the drop"
handle=$(on hv2 "nft -a list chain inet $T input" | sed -n 's/.*49152-49215 drop # handle \([0-9]*\)$/\1/p')
on hv2 "nft -s list ruleset" >"$tmp/ruleset.before"

# the migration does not get through
on hv1 "cat > /var/lib/libvirt/images/$guest.elf" <"$canary" || fail "copying the guest's kernel"
on hv1 "cat > /root/$guest.xml" <<XML
<domain type="qemu">
  <name>$guest</name>
  <memory unit="MiB">32</memory>
  <vcpu>1</vcpu>
  <os><type arch="x86_64" machine="pc">hvm</type><kernel>/var/lib/libvirt/images/$guest.elf</kernel><cmdline>dirty=1M</cmdline></os>
  <cpu mode="custom" match="exact"><model fallback="forbid">qemu64</model></cpu>
  <devices><serial type="pty"><target port="0"/></serial><memballoon model="none"/></devices>
</domain>
XML
# once seen in the tier: the very first guest of a fresh libvirtd exited at once without a word (QEMU's log
# shows only "shutting down, reason=failed"); its log is shown and it is started once more
if ! on hv1 "virsh -q create /root/$guest.xml" >/dev/null; then
	on hv1 "tail -n 3 /var/log/libvirt/qemu/$guest.log; journalctl -k --since -5min -o cat | grep DENIED | tail -n 3"
	echo "note: hv1: the guest did not start; once more"
	on hv1 "virsh -q create /root/$guest.xml" >/dev/null || fail "hv1: the guest does not start"
fi
t0=$(date +%s%N)
if VM_CMD_TIMEOUT=$((WAIT_FAIL + 30)) on hv1 "timeout $WAIT_FAIL virsh migrate --live $guest qemu+tcp://hv2/system" \
	>"$tmp/blocked.out" 2>&1; then
	bad "virsh migrate --live went through with the range dropped on hv2"
fi
on hv1 "virsh -q domjobabort $guest" >/dev/null 2>&1
echo "blocked migration given up after $((($(date +%s%N) - t0) / 1000000)) ms: $(tail -n1 "$tmp/blocked.out")"
on hv1 "virsh -q destroy $guest" >/dev/null 2>&1

# net.firewall names the rule
hp dropped hv2 check --only net.firewall
expect_port dropped net.firewall.rule 16509/tcp pass
expect_port dropped net.firewall.rule 49152-49215/tcp fail
grep -q "inet $T input handle $handle" "$tmp/dropped.json" || bad "dropped: the rule (handle $handle) is not named"

# apply on hv2, then the same migration goes through
t0=$(date +%s%N)
hp apply hv2 apply --only net.firewall
expect_port apply net.firewall.rule 49152-49215/tcp fixed
echo "apply on hv2: $((($(date +%s%N) - t0) / 1000000)) ms"
on hv2 "nft list chain inet $T input" | grep -q 'accept comment "hostprep"' || bad "apply: no accept rule in inet $T input"
hp after hv2 check --only net.firewall
expect_port after net.firewall.rule 16509/tcp pass
expect_port after net.firewall.rule 49152-49215/tcp pass
virsh_migrate_live $guest "$canary" qemu+tcp://hv2/system

# rollback: the ruleset and the file as they were
on hv2 "hostprep rollback" >/dev/null 2>&1 || bad "hv2: rollback failed"
on hv2 "nft -s list ruleset" >"$tmp/ruleset.after"
cmp -s "$tmp/ruleset.before" "$tmp/ruleset.after" || { bad "rollback: the ruleset differs"; diff "$tmp/ruleset.before" "$tmp/ruleset.after"; }
on hv2 "cat /etc/nftables.conf" | cmp -s "$tmp/nftables.conf" - || bad "rollback: /etc/nftables.conf differs"

[ $failures = 0 ] || fail "$failures check(s) failed"
echo "migration blocked by hv2's drop (handle $handle), named by net.firewall, opened by apply, migrated; rolled back"

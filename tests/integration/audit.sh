#!/bin/bash
# hostprep audit on h2 with h3 as the peer, against their real libvirtd, then a real `virsh migrate` of
# every guest to see that it does what the audit said. Guests defined on h2 with virsh:
#   fine:      a running TCG guest (the canary ELF as its kernel) with its disk on NBD from h1 (network
#              storage: libvirt takes it as shared) -> ready, and `virsh migrate --live` moves it
#   local:     running, its disk a file outside the shared directory -> blocked (not_shared)
#   writeback: running, a file disk in the shared directory with cache='writeback' -> blocked: the bed's
#              /var/lib/libvirt/images is a bind mount, not NFS, so by libvirt's statfs rule it is not
#              shared either (not_shared), and the cache is said too (cache_dropped_by_qemu, QEMU 7.2)
#   hostdev:   a PCI <hostdev> (no such device on the bed, so it is only defined) -> blocked (hostdev)
#   bigmem:    only defined, <memory> four times this machine's RAM, more than h3 has available ->
#              blocked on h3 (not_enough_memory); moved as a definition, it does not start there
# Checks: the table's rows and reasons (JSON), exit 1 for all, 0 for --guest fine, 3 when h3 gives no
# facts (no hostprep there), the human and JUnit formats; then each guest: `virsh migrate --live` (under timeout) succeeds for the ready one and fails
# for every blocked one. The script removes the guests from both hosts afterwards.
#   audit.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"
command -v virsh >/dev/null || { echo "SKIP: virsh missing (libvirt-clients)"; exit 77; }
command -v qemu-nbd >/dev/null || { echo "SKIP: qemu-nbd missing (qemu-utils)"; exit 77; }
"$HOSTPREP" help audit >/dev/null 2>&1 || { echo "SKIP: hostprep has no audit verb"; exit 77; }
CANARY=$(dirname "$HOSTPREP")/../migrate/canary.elf
[ -r "$CANARY" ] || { echo "SKIP: no canary.elf next to hostprep's build"; exit 77; }

IMAGES=/var/lib/libvirt/images # the bed's shared directory, as h2 and h3 see it
EXPORTS=/srv/nfs/images        # the same directory, as h1 sees it
P=hpa$$
PORT=$((10850 + $$ % 40))
KINDS=(fine local writeback hostdev bigmem)

virsh_on() { # virsh_on HOST ARGS...
        local h=$1
        shift
        "$TB" exec "$h" virsh -q -c qemu:///system "$@"
}

finish() {
        local k h
        for k in "${KINDS[@]}"; do
                for h in h2 h3; do
                        virsh_on $h destroy "$P-$k" >/dev/null 2>&1 || true
                        virsh_on $h undefine "$P-$k" >/dev/null 2>&1 || true
                done
        done
        "$TB" exec h1 sh -c "kill \$(cat /run/$P-nbd.pid) 2>/dev/null; rm -f /run/$P-nbd.pid" || true
        "$TB" exec h1 rm -f "$EXPORTS/$P.raw" || true
        "$TB" exec h2 rm -f "$IMAGES/$P.elf" "$IMAGES/$P-writeback.raw" "/var/lib/libvirt/$P-local.raw" || true
        rm -rf "$tmp"
}
trap finish EXIT

# domain NAME MEMORY_KIB DEVICES...: a small TCG guest's XML with the given <devices> content
domain() {
        local name=$1 mem=$2
        shift 2
        cat <<XML
<domain type='qemu'>
  <name>$name</name>
  <memory unit='KiB'>$mem</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$IMAGES/$P.elf</kernel>
    <cmdline>dirty=1M span=4</cmdline>
  </os>
  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
$*
    <serial type='pty'><target port='0'/></serial>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
XML
}
file_disk() { # PATH CACHE
        echo "<disk type='file' device='disk'><driver name='qemu' type='raw' cache='$2'/><source file='$1'/><target dev='vda' bus='virtio'/></disk>"
}
NBD_DISK="<disk type='network' device='disk'><driver name='qemu' type='raw' cache='none'/><source protocol='nbd' name='$P'><host name='10.213.0.11' port='$PORT'/></source><target dev='vda' bus='virtio'/></disk>"
HOSTDEV="<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x7f' slot='0x1f' function='0x7'/></source></hostdev>"

define() { # NAME MEMORY_KIB DEVICES...
        local name=$1
        domain "$@" >"$tmp/$name.xml"
        virsh_on h2 define "$tmp/$name.xml" >/dev/null || fail "defining $name on h2"
}

"$TB" exec h2 cp "$(readlink -f "$CANARY")" "$IMAGES/$P.elf"
"$TB" exec h2 truncate -s 1M "/var/lib/libvirt/$P-local.raw" "$IMAGES/$P-writeback.raw"
"$TB" exec h1 truncate -s 1M "$EXPORTS/$P.raw"
"$TB" exec h1 qemu-nbd --fork --persistent --shared=8 --bind=10.213.0.11 --port=$PORT --export-name=$P \
        --format=raw --cache=none --pid-file=/run/$P-nbd.pid "$EXPORTS/$P.raw"
mem_total=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
define "$P-fine" 32768 "$NBD_DISK"
define "$P-local" 32768 "$(file_disk "/var/lib/libvirt/$P-local.raw" none)"
define "$P-writeback" 32768 "$(file_disk "$IMAGES/$P-writeback.raw" writeback)"
define "$P-hostdev" 32768 "$HOSTDEV"
define "$P-bigmem" $((mem_total * 4)) ""
for k in fine local writeback; do
        virsh_on h2 start "$P-$k" >/dev/null || fail "starting $P-$k on h2"
done

audit() { # audit NAME ARGS...: hostprep audit on h2 into $tmp/NAME.out, its exit code in $tmp/NAME.rc
        local name=$1 t0
        shift
        t0=$(date +%s%N)
        "$TB" exec h2 "$HOSTPREP" audit --profile "$PROFILE" --set "ssh.hostprep=$HOSTPREP" "$@" \
                >"$tmp/$name.out" 2>"$tmp/$name.err"
        echo $? >"$tmp/$name.rc"
        echo "hostprep audit $*: rc=$(cat "$tmp/$name.rc") in $((($(date +%s%N) - t0) / 1000000)) ms"
}

audit all --format json
[ "$(cat "$tmp/all.rc")" = 1 ] || { fail "audit: exit $(cat "$tmp/all.rc"), expected 1"; cat "$tmp/all.err"; }
# each guest's verdict on h3 and the reasons behind it, as the audit's JSON gives them
python3 - "$tmp/all.out" "$P" >"$tmp/verdicts" <<'PY' || fail "the audit's JSON is not as expected"
import json, sys
d = json.load(open(sys.argv[1]))
p = sys.argv[2]
want = {"fine": ("ready", []), "local": ("blocked", ["not_shared"]),
        "writeback": ("blocked", ["not_shared", "cache_dropped_by_qemu"]),
        "hostdev": ("blocked", ["hostdev"]), "bigmem": ("blocked", ["not_enough_memory"])}
guests = {g["name"]: g for g in d["guests"]}
ok = d["exit_code"] == 1 and [x["name"] for x in d["peers"]] == ["h3"] and d["peers"][0]["reached"]
for kind, (verdict, reasons) in want.items():
    g = guests.get(f"{p}-{kind}")
    if not g:
        print(f"{kind}: not in the audit"); ok = False; continue
    cell = g["peers"]["h3"]
    seen = [f["reason"] for f in cell["findings"]]
    est = cell["estimate"]
    print(f"{kind}: {cell['verdict']} {seen} estimate={est and round(est['total_s'], 2)} "
          f"dirty={g['dirty_rate_mib_s']} ({g['dirty_rate_error']})")
    if cell["verdict"] != verdict or any(r not in seen for r in reasons):
        print(f"  expected {verdict} with {reasons}"); ok = False
    if kind == "fine" and (g["destinations"] != ["h3"] or not est or not est["converges"]
                           or g["dirty_rate_mib_s"] is None):
        print("  the fine guest: expected destination h3, an estimate that converges, a dirty rate"); ok = False
sys.exit(0 if ok else 1)
PY
cat "$tmp/verdicts"

audit fine --guest "$P-fine" --format json
[ "$(cat "$tmp/fine.rc")" = 0 ] || fail "audit --guest $P-fine: exit $(cat "$tmp/fine.rc"), expected 0"
audit one_local --guest "$P-local"
[ "$(cat "$tmp/one_local.rc")" = 1 ] || fail "audit --guest $P-local: exit $(cat "$tmp/one_local.rc"), expected 1"
grep -q "^$P-local  *h3  *blocked" "$tmp/one_local.out" || { fail "human: no blocked row"; cat "$tmp/one_local.out"; }
grep -q "not_shared" "$tmp/one_local.out" || fail "human: the reason is not shown"
grep -q "^exit 1: some guest cannot go anywhere" "$tmp/one_local.out" || fail "human: no closing line"
audit nosuch --guest "$P-nosuch"
[ "$(cat "$tmp/nosuch.rc")" = 2 ] || fail "audit --guest (unknown): exit $(cat "$tmp/nosuch.rc"), expected 2"
# a peer without hostprep gives no facts: the fine guest is undecided there, not ready (exit 3)
audit no_hostprep --guest "$P-fine" --set ssh.hostprep=/nonexistent/hostprep --format json
[ "$(cat "$tmp/no_hostprep.rc")" = 3 ] || fail "audit with h3 giving no facts: exit $(cat "$tmp/no_hostprep.rc"), expected 3"
grep -q '"no_facts"' "$tmp/no_hostprep.out" || fail "audit with h3 giving no facts: no no_facts finding"
audit junit --format junit
python3 - "$tmp/junit.out" "$P" <<'PY' || fail "JUnit: not one suite per guest with the blocked ones failing"
import sys, xml.etree.ElementTree as ET
suites = {s.get("name"): s for s in ET.parse(sys.argv[1]).getroot()}
p = sys.argv[2]
ok = suites[f"hostprep.audit.{p}-fine"].get("failures") == "0"
for k in ("local", "writeback", "hostdev", "bigmem"):
    ok = ok and suites[f"hostprep.audit.{p}-{k}"].get("failures") == "1"
sys.exit(0 if ok else 1)
PY
cp "$tmp/one_local.out" "$tmp/show"
sed -n '1,40p' "$tmp/show"

# what a real migration of each guest does, against what the audit said
migrate() { # migrate NAME: virsh migrate --live to h3 from h2, bounded; its exit code
        timeout 90 "$TB" exec h2 virsh -q -c qemu:///system migrate --live --persistent --undefinesource \
                "$1" qemu+tcp://h3/system >"$tmp/migrate-$1.log" 2>&1
}
for k in "${KINDS[@]}"; do
        migrate "$P-$k"
        rc=$?
        echo "virsh migrate --live $P-$k: rc=$rc $(head -c 200 "$tmp/migrate-$P-$k.log" | tr '\n' ' ')"
        if [ $k = fine ]; then
                [ $rc = 0 ] || fail "the audit said $P-fine is ready, but virsh migrate failed"
                [ "$(virsh_on h3 domstate "$P-fine" 2>&1)" = running ] || fail "$P-fine does not run on h3"
        else
                [ $rc != 0 ] || fail "the audit said $P-$k is blocked, but virsh migrate moved it"
        fi
done
# bigmem moved as a definition does not start on h3: it does not fit there, as the audit said
if timeout 60 "$TB" exec h2 virsh -q -c qemu:///system migrate --offline --persistent --undefinesource \
        "$P-bigmem" qemu+tcp://h3/system >"$tmp/offline.log" 2>&1; then
        if virsh_on h3 start "$P-bigmem" >"$tmp/start.log" 2>&1; then
                fail "$P-bigmem started on h3 although it needs more memory than h3 has"
        else
                echo "$P-bigmem on h3: $(head -c 200 "$tmp/start.log")"
        fi
else
        echo "virsh migrate --offline $P-bigmem: refused ($(head -c 200 "$tmp/offline.log"))"
fi

[ $failures = 0 ] && echo PASS
exit $((failures > 0))

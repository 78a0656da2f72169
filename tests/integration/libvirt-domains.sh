#!/bin/bash
# hostprep's libvirt.domains unit against h2's real libvirtd: domains defined there with virsh (libvirt
# writes /etc/libvirt/qemu/NAME.xml itself), one of them started (a small TCG guest: the live XML from
# libvirtd), each breakage giving its own result: a file disk outside shared storage (FAIL), cache
# 'writeback' (WARN: this QEMU drops the page cache), a <serial type='file'> (FAIL), a good domain on
# NBD (PASS); then with libvirtd frozen the unit still ends within --timeout and still checks the files.
# The bed's /var/lib/libvirt/images is a bind-mount stand-in, not NFS: by libvirt's statfs rule a file
# disk there is not shared either, so the good domain's disk is network storage.
# Then its fix: --dry-run shows the diffs of the definitions and changes nothing; apply gives the
# writeback disks cache='none' through libvirtd and changes nothing else of any definition (compared with
# virsh dumpxml --inactive); a running guest keeps its old cache (WARN) until a cold boot; a second apply
# changes nothing; rollback defines every definition as it was; with libvirtd frozen, apply ends within
# its deadline.
#   libvirt-domains.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"
command -v virsh >/dev/null || { echo "SKIP: virsh missing (libvirt-clients)"; exit 77; }
"$HOSTPREP" list | grep -q '^libvirt.domains' || { echo "SKIP: hostprep has no libvirt.domains unit"; exit 77; }
CANARY=$(dirname "$HOSTPREP")/../migrate/canary.elf
[ -r "$CANARY" ] || { echo "SKIP: no canary.elf next to hostprep's build"; exit 77; }

IMAGES=/var/lib/libvirt/images
P=hpd$$
NAMES=("$P-local" "$P-writeback" "$P-serial" "$P-good" "$P-run" "$P-hot")

virsh_h2() { "$TB" exec h2 virsh -q -c qemu:///system "$@"; }

finish() {
        local n
        "$TB" thaw h2 libvirtd >/dev/null 2>&1 || true
        for n in "${NAMES[@]}"; do
                virsh_h2 destroy "$n" >/dev/null 2>&1 || true
                virsh_h2 undefine "$n" >/dev/null 2>&1 || true
        done
        "$TB" exec h2 rm -f "/var/lib/libvirt/$P-local.raw" "$IMAGES/$P-writeback.raw" "$IMAGES/$P-run.elf" \
                "$IMAGES/$P-hot.raw" "$IMAGES/$P-hot2.raw" || true
        rm -rf "$tmp"
}
trap finish EXIT

# domain NAME DEVICES...: a small TCG guest's XML with the given <devices> content
domain() {
        local name=$1
        shift
        cat <<XML
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$IMAGES/$P-run.elf</kernel>
    <cmdline>dirty=1M span=4</cmdline>
  </os>
  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <devices>
$*
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
XML
}
file_disk() { # PATH CACHE [TARGET]; CACHE "" for the default
        echo "<disk type='file' device='disk'><driver name='qemu' type='raw'${2:+ cache='$2'}/><source file='$1'/><target dev='${3:-vda}' bus='virtio'/></disk>"
}
NBD_DISK="<disk type='network' device='disk'><driver name='qemu' type='raw' cache='none'/><source protocol='nbd' name='$P'><host name='10.213.0.11' port='10899'/></source><target dev='vda' bus='virtio'/></disk>"

define() { # NAME DEVICES...
        local name=$1
        shift
        domain "$name" "$@" >"$tmp/$name.xml"
        virsh_h2 define "$tmp/$name.xml" >/dev/null || fail "defining $name on h2"
}

"$TB" exec h2 truncate -s 1M "/var/lib/libvirt/$P-local.raw" "$IMAGES/$P-writeback.raw" "$IMAGES/$P-hot.raw" \
        "$IMAGES/$P-hot2.raw"
"$TB" exec h2 cp "$(readlink -f "$CANARY")" "$IMAGES/$P-run.elf"
define "$P-local" "$(file_disk "/var/lib/libvirt/$P-local.raw" none)"
define "$P-writeback" "$(file_disk "$IMAGES/$P-writeback.raw" writeback)"
define "$P-serial" "$NBD_DISK" "<serial type='file'><source path='/var/log/libvirt/qemu/$P-serial.log'/><target port='0'/></serial>"
define "$P-good" "$NBD_DISK" "<serial type='pty'><target port='0'/></serial>"
# the running one: no disk at all (TCG boots the canary in well under a second)
define "$P-run" "<serial type='pty'><target port='0'/></serial>"
virsh_h2 start "$P-run" >/dev/null || fail "starting $P-run on h2"
# running, with one disk cache='writeback' and one with the default cache
define "$P-hot" "$(file_disk "$IMAGES/$P-hot.raw" writeback)" "$(file_disk "$IMAGES/$P-hot2.raw" "" vdb)" \
        "<serial type='pty'><target port='0'/></serial>"
virsh_h2 start "$P-hot" >/dev/null || fail "starting $P-hot on h2"
"$TB" exec h2 test -f "/etc/libvirt/qemu/$P-good.xml" || fail "libvirtd wrote no /etc/libvirt/qemu/$P-good.xml"

# check NAME WANT_RC MAX_SECONDS ARGS...: hostprep check --only libvirt.domains on h2, JSON into $tmp/NAME.json
check() {
        local name=$1 want=$2 max=$3 t0 rc ms
        shift 3
        t0=$(date +%s%N)
        "$TB" exec h2 "$HOSTPREP" check --profile "$PROFILE" --only libvirt.domains --format json "$@" \
                >"$tmp/$name.json" 2>"$tmp/$name.err"
        rc=$?
        ms=$((($(date +%s%N) - t0) / 1000000))
        echo "$name: rc=$rc in $ms ms"
        [ "$rc" = "$want" ] || { fail "$name: exit code $rc, expected $want"; cat "$tmp/$name.err"; }
        [ "$ms" -le $((max * 1000)) ] || fail "$name: took $ms ms, more than $max s"
}

# expect NAME ID STATUS REASON LABEL: exactly one result of that id whose message starts with "LABEL:" (any
# message when LABEL is ""), with that status and reason
expect() {
        python3 - "$tmp/$1.json" "$2" "$3" "$4" "$5" <<'PY' || fail "$1: no $3 $2 ($4) for $5"
import json, sys
path, rid, status, reason, label = sys.argv[1:6]
rs = [r for r in json.load(open(path))["results"]
      if r["id"] == rid and (not label or r["message"].startswith(label + ":"))]
ok = len(rs) == 1 and rs[0]["status"] == status and rs[0]["reason"] == reason
if not ok:
    print(f"  {rid} for {label}: expected one {status} ({reason}), got " + json.dumps(rs))
sys.exit(0 if ok else 1)
PY
}

check domains 1 5
expect domains libvirt.domains.storage fail not_shared "$P-local"
expect domains libvirt.domains.cache pass cache_none "$P-local"
expect domains libvirt.domains.cache warn cache_dropped_by_qemu "$P-writeback"
expect domains libvirt.domains.storage fail not_shared "$P-writeback" # the stand-in mount is not NFS
expect domains libvirt.domains.blockers fail local_chardev "$P-serial"
expect domains libvirt.domains.storage pass shared_storage "$P-serial"
for id in storage:shared_storage cache:cache_none blockers:no_local_devices; do
        expect domains "libvirt.domains.${id%%:*}" pass "${id#*:}" "$P-good"
done
# the running guest: its definition and its live XML from libvirtd
expect domains libvirt.domains.blockers pass no_local_devices "$P-run"
expect domains libvirt.domains.blockers pass no_local_devices "$P-run (running)"
grep -q "Migration without shared storage is unsafe" "$tmp/domains.json" || fail "domains: libvirt's refusal not named"
grep -q "/etc/libvirt/qemu/$P-local.xml:[0-9]*; statfs: " "$tmp/domains.json" ||
        fail "domains: the evidence names neither file:line nor the statfs way"

# a frozen libvirtd: the live XML is given up on at half the deadline, the definitions are still checked
"$TB" freeze h2 libvirtd
check frozen 1 3 --timeout 2 # 1: the FAILs outrank the ERROR
"$TB" thaw h2 libvirtd
expect frozen libvirt.domains.defined error libvirtd_timeout ""
expect frozen libvirt.domains.storage fail not_shared "$P-local"
expect frozen libvirt.domains.blockers fail local_chardev "$P-serial"


# --- the fix ------------------------------------------------------------------------------------------

# dumped NAME SUFFIX: every domain's definition as libvirt keeps it, into $tmp/NAME.SUFFIX
dumped() {
        local n
        for n in "${NAMES[@]}"; do virsh_h2 dumpxml --inactive "$n" >"$tmp/$n.$1" || fail "dumpxml $n"; done
}
# same A B: every domain's definitions A and B are the same text
same() {
        local n
        for n in "${NAMES[@]}"; do cmp -s "$tmp/$n.$1" "$tmp/$n.$2" || { fail "$n: $1 and $2 differ"; diff -u "$tmp/$n.$1" "$tmp/$n.$2"; }; done
}
# apply_h2 NAME WANT_RC ARGS...: hostprep apply --only libvirt.domains on h2, output into $tmp/NAME
apply_h2() {
        local name=$1 want=$2 rc
        shift 2
        "$TB" exec h2 "$HOSTPREP" apply --profile "$PROFILE" --only libvirt.domains --no-color "$@" >"$tmp/$name" 2>&1
        rc=$?
        echo "$name: rc=$rc"
        [ "$rc" = "$want" ] || { fail "$name: exit code $rc, expected $want"; cat "$tmp/$name"; }
}

dumped before
# what apply should leave: cache='none' in place of writeback and where the default was, nothing else
for n in "${NAMES[@]}"; do
        sed -e "s/cache='writeback'/cache='none'/" -e "s|<driver name='qemu' type='raw'/>|<driver name='qemu' type='raw' cache='none'/>|" \
                "$tmp/$n.before" >"$tmp/$n.want"
done
cmp -s "$tmp/$P-hot.before" "$tmp/$P-hot.want" && fail "$P-hot: nothing to change in its definition?"

apply_h2 dry 1 --dry-run # 1: the FAILs apply cannot change
dumped dry
same before dry
grep -q "^\[libvirt.domains\] redefine domain $P-writeback (qemu:///system): $P-writeback: cache='none' on disk vda (was cache='writeback'), from its next start$" "$tmp/dry" ||
        fail "dry: no redefinition of $P-writeback planned"
grep -q "^\[libvirt.domains\] redefine domain $P-hot (qemu:///system): .*it runs, and keeps its old cache until its next cold boot" "$tmp/dry" ||
        fail "dry: the plan does not say that $P-hot keeps its cache until its next cold boot"
grep -q "^--- a/$P-hot.xml$" "$tmp/dry" || fail "dry: no diff of $P-hot's XML"
[ "$(grep -c "^+ *<driver name='qemu' type='raw' cache='none'/>$" "$tmp/dry")" = 3 ] ||
        { fail "dry: not three driver lines with cache='none' in the diffs"; cat "$tmp/dry"; }
grep -q "^- *<driver name='qemu' type='raw'/>$" "$tmp/dry" || fail "dry: the default-cache driver line is not in the diff"

apply_h2 apply 3 # 3: what apply cannot change (disks off shared storage, the serial file) is restated as ERROR
dumped after
same want after
grep -Eq "^FIXED +libvirt\.domains\.cache +$P-writeback:" "$tmp/apply" || fail "apply: $P-writeback's cache is not FIXED"
grep -Eq "^FIXED +libvirt\.domains\.cache +$P-hot:" "$tmp/apply" || fail "apply: $P-hot's cache is not FIXED"
grep -Eq "^WARN +libvirt\.domains\.cache +$P-hot \(running\): disk vda still runs with cache='writeback'; its definition has cache='none', which takes effect at its next cold boot" "$tmp/apply" ||
        fail "apply: no WARN that the running $P-hot keeps its cache until its next cold boot"
run=$(sed -n 's/^run \([0-9TZ-]*\); undo it with: hostprep rollback$/\1/p' "$tmp/apply")
[ -n "$run" ] || fail "apply: no run id"
virsh_h2 dumpxml "$P-hot" | grep -q "cache='writeback'" || fail "$P-hot: its live XML changed (a running QEMU keeps its cache)"

check pending 1 5
expect pending libvirt.domains.cache pass cache_none "$P-writeback"
expect pending libvirt.domains.cache pass cache_none "$P-hot"
python3 - "$tmp/pending.json" "$P-hot (running)" <<'PY' || fail "pending: not a WARN cache_pending_cold_boot for vda and vdb of $P-hot (running)"
import json, sys
rs = [r for r in json.load(open(sys.argv[1]))["results"]
      if r["id"] == "libvirt.domains.cache" and r["message"].startswith(sys.argv[2] + ":")]
ok = len(rs) == 2 and all(r["status"] == "warn" and r["reason"] == "cache_pending_cold_boot" for r in rs)
print("" if ok else json.dumps(rs))
sys.exit(0 if ok else 1)
PY

apply_h2 again 1 # 1: nothing changed, so the FAILs stay FAILs
grep -q '^Nothing to change' "$tmp/again" || fail "again: a second apply changes something"
dumped again
same after again

# a cold boot (not a reboot) gives the running guest its definition's cache
virsh_h2 destroy "$P-hot" >/dev/null && virsh_h2 start "$P-hot" >/dev/null || fail "cold boot of $P-hot"
check booted 1 5
[ "$(virsh_h2 dumpxml "$P-hot" | grep -c "cache='none'")" = 2 ] || fail "$P-hot: not cache='none' after its cold boot"
expect booted libvirt.domains.cache pass cache_none "$P-hot (running)"

"$TB" exec h2 "$HOSTPREP" rollback "$run" >"$tmp/rollback" 2>&1 || { fail "rollback $run failed"; cat "$tmp/rollback"; }
dumped rolledback
same before rolledback
grep -q "redefine domain $P-hot as before" "$tmp/rollback" || fail "rollback: $P-hot not named"

# a frozen libvirtd: the fix cannot read the definitions, says so, and apply still ends by its deadline
"$TB" freeze h2 libvirtd
t0=$(date +%s%N)
"$TB" exec h2 "$HOSTPREP" apply --profile "$PROFILE" --only libvirt.domains --timeout 2 --format json >"$tmp/frozen-apply.json" 2>"$tmp/frozen-apply.err"
ms=$((($(date +%s%N) - t0) / 1000000))
"$TB" thaw h2 libvirtd
echo "frozen apply: $ms ms"
[ "$ms" -le 8000 ] || fail "frozen apply: took $ms ms"
expect frozen-apply libvirt.domains.fix error libvirtd_unreachable ""
dumped frozen
same before frozen

[ $failures = 0 ] && echo "all libvirt.domains cases passed"
exit $((failures > 0))

#!/bin/bash
# cross.cpu and cross.machines on the test bed, decided by the real libvirtd of h2 and h3 (QEMU TCG, the
# same packages: the same host-model CPU and the same machine types on both):
# 1. as the bed is, with a guest defined on h2 (machine 'pc', which libvirt stores as its canonical
#    pc-i440fx-7.2): h2 checking with h3 as its peer and h3 with h2 both PASS cross.cpu (libvirt there
#    compares the other's host-model CPU: identical) and cross.machines;
# 2. h3's facts altered on their way to h2 (a wrapper around hostprep on h3): its host-model CPU also
#    requires avx512f, which TCG does not offer, and its emulator lists no pc-i440fx-7.2. The CPU XML is
#    made up, but the verdict on it is still h2's real libvirtd's: cross.cpu FAIL naming avx512f; and
#    cross.machines FAIL naming the guest, its machine type and h3.
#   cross-libvirt.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"
command -v virsh >/dev/null || { echo "SKIP: virsh missing (libvirt-clients)"; exit 77; }
"$HOSTPREP" list | grep -q '^cross.cpu' || { echo "SKIP: hostprep has no cross.cpu"; exit 77; }

G=hpc$$
virsh_h2() { "$TB" exec h2 virsh -q -c qemu:///system "$@"; }
finish() {
        virsh_h2 undefine "$G" >/dev/null 2>&1 || true
        rm -rf "$tmp"
}
trap finish EXIT

# check_on HOST PEER NAME [PEER_HOSTPREP]: the two comparisons on HOST with PEER, JSON into $tmp/NAME.json
check_on() {
        "$TB" exec "$1" "$HOSTPREP" check --profile "$PROFILE" --set "ssh.hostprep=${4:-$HOSTPREP}" \
                --peer "$2" --only cross.cpu,cross.machines --format json >"$tmp/$3.json" 2>"$tmp/$3.err"
        echo "$3: rc=$? ($1 with peer $2)"
}

# expect NAME ID STATUS REASON SUBSTRING...: one comparison with that id, status and reason, and every
# substring in its message
expect() {
        python3 - "$tmp/$1.json" "${@:2}" <<'PY' || fail "$1: $2 is not $3 ($4)"
import json, sys
path, rid, status, reason, subs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
rs = [r for r in json.load(open(path)).get("comparisons", []) if r["id"] == rid]
ok = len(rs) == 1 and rs[0]["status"] == status and rs[0]["reason"] == reason and all(s in rs[0]["message"] for s in subs)
print(f"  {rid}: " + "; ".join(f'{r["status"]} {r["reason"]}: {r["message"]}' for r in rs))
sys.exit(0 if ok else 1)
PY
}

cat >"$tmp/guest.xml" <<XML
<domain type='qemu'>
  <name>$G</name>
  <memory unit='MiB'>32</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <cpu mode='host-model'/>
</domain>
XML
virsh_h2 define "$tmp/guest.xml" >/dev/null || fail "cannot define $G on h2"

# 1. as the bed is
check_on h2 h3 h2_h3
if grep -q '"built_without_libvirt"' "$tmp/h2_h3.json"; then
        echo "SKIP: hostprep is built without the libvirt API"
        exit 77
fi
expect h2_h3 cross.cpu pass compatible "h3's host-model CPU" "is identical to the CPU h2's hypervisor provides"
expect h2_h3 cross.machines pass machines_supported
check_on h3 h2 h3_h2
expect h3_h2 cross.cpu pass compatible "h2's host-model CPU" "is identical to the CPU h3's hypervisor provides"
expect h3_h2 cross.machines pass machines_supported

# 2. h3's facts altered on their way: a CPU feature TCG lacks, a machine type its emulator does not list
cat >"$tmp/altered-hostprep" <<SH
#!/bin/sh
[ "\$(hostname)" = h3 ] || exec "$HOSTPREP" "\$@"
"$HOSTPREP" "\$@" >"$tmp/h3-report.json"
rc=\$?
python3 - "$tmp/h3-report.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
lv = d["facts"]["libvirt"]
lv["host_model"]["cpu_xml"] = lv["host_model"]["cpu_xml"].replace("</vendor>", "</vendor><feature policy=\"require\" name=\"avx512f\"/>", 1)
lv["machines"]["x86_64"]["names"].remove("pc-i440fx-7.2")
json.dump(d, sys.stdout)
PY
exit \$rc
SH
chmod +x "$tmp/altered-hostprep"
check_on h2 h3 altered "$tmp/altered-hostprep"
expect altered cross.cpu fail incompatible "guests with host-model from h3 cannot run on h2" \
        "Host CPU does not provide required features: avx512f"
expect altered cross.machines fail unsupported_machine "h2's guests cannot run on h3" \
        "$G: pc-i440fx-7.2" "does not support machine type 'pc-i440fx-7.2'"

[ $failures = 0 ] && echo "all cross.cpu/cross.machines cases passed"
exit $((failures > 0))

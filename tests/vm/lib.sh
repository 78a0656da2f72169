# Shared by the vm suite's tests: sourced, not run.
# A test runs only with HOSTPREP_TEST_VM=1, as root, with the tier up (tests/testbed/vm-tier up);
# otherwise it exits 77 (skipped) and says why.

tier=${HOSTPREP_VM_TIER:-$(cd "$(dirname "$0")/../testbed" && pwd)/vm-tier}

. "$(dirname "$0")/../tier-test-lib.sh"

require_tier() {
	[ "${HOSTPREP_TEST_VM:-}" = 1 ] || skip "the vm suite runs only with HOSTPREP_TEST_VM=1"
	require_up "VM tier"
}

# on VM CMD...: runs CMD in VM as root, bounded in time.
on() {
	vm=$1
	shift
	timeout "${VM_CMD_TIMEOUT:-90}" "$tier" ssh "$vm" "$@"
}

# hostprep's own tests in the VMs: the tier as a profile (sent on stdin: --profile -), a failure counter
# that lets a test go on, and a temporary directory the test removes in its EXIT trap.
vm_profile='[hosts]
nfs = nfs-server
hv1 = hypervisor
hv2 = hypervisor
[nfs]
export = /srv/nfs/images
mountpoint = /var/lib/libvirt/images
options = rw,sync,no_root_squash,no_subtree_check
version = 4.2
[check]
# the deadline of each unit: a libvirtd just restarted in a TCG VM probes QEMU before it answers (7.6 s on an
# idle machine, far more on a busy one), and libvirt.listen.peer timed out at the default 10 s in CI
timeout = 30
[migrate]
# nested TCG guests on a busy 2-core machine can take far longer than 10 s to move the first page
stall_timeout = 120
timeout = 600
'
failures=0
bad() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# What a test of hostprep in the VMs uses, with its profile in $profile and a directory in $tmp.
# hp NAME VM VERB ARGS...: hostprep in VM with the profile on stdin, JSON into $tmp/NAME.json
hp() {
	local name=$1 vm=$2 verb=$3
	shift 3
	printf '%s' "$profile" | on "$vm" hostprep "$verb" --profile - --skip 'ssh.*' --format json "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
	echo "$name ($vm $verb): rc=$?"
}

# expect NAME ID STATUS: every result with that id has STATUS
expect() {
	python3 - "$tmp/$1.json" "$2" "$3" <<'PY' || bad "$1: $2 is not $3"
import json, sys
path, rid, status = sys.argv[1:4]
try:
    d = json.load(open(path))
except Exception as e:
    print(f"  not JSON: {e}: {open(path).read()[:300]}")
    sys.exit(1)
rs = [r for r in d["results"] if r["id"] == rid]
ok = rs and all(r["status"] == status for r in rs)
if not ok:
    print(f"  {rid}: " + json.dumps(rs)[:600])
sys.exit(0 if ok else 1)
PY
}

# not_passed NAME: the results of $tmp/NAME.json that did not pass, one "status id reason" a line
not_passed() {
	python3 - "$tmp/$1.json" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    sys.exit(f"  not JSON: {e}")
for r in d["results"]:
    if r["status"] not in ("pass", "fixed"):
        print(f"  {r['status']:5} {r['id']} ({r.get('reason')})")
PY
}

# virsh_migrate_live GUEST CANARY URI: the canary booted as a transient guest on hv1 (its kernel on the
# shared mount), moved live by `virsh migrate --live` to URI (hv2), running there afterwards and gone
# from hv1; destroyed at the end. Says how long the migration took; counts failures with bad.
virsh_migrate_live() {
	local guest=$1 canary=$2 uri=$3 kernel=/var/lib/libvirt/images/$1.elf t0 state
	on hv1 "cat > $kernel" <"$canary" || { bad "copying the guest's kernel to the shared mount"; return; }
	on hv1 "cat > /root/$guest.xml" <<XML
<domain type="qemu">
  <name>$guest</name>
  <memory unit="MiB">32</memory>
  <vcpu>1</vcpu>
  <os><type arch="x86_64" machine="pc">hvm</type><kernel>$kernel</kernel><cmdline>dirty=1M</cmdline></os>
  <cpu mode="custom" match="exact"><model fallback="forbid">qemu64</model></cpu>
  <devices><serial type="pty"><target port="0"/></serial><memballoon model="none"/></devices>
</domain>
XML
	on hv1 "virsh -q create /root/$guest.xml" >/dev/null || { bad "hv1: the guest does not start"; return; }
	t0=$(date +%s%N)
	VM_CMD_TIMEOUT=400 on hv1 "timeout 380 virsh migrate --live --verbose $guest $uri" >"$tmp/migrate.out" 2>&1 ||
		{ cat "$tmp/migrate.out"; bad "virsh migrate --live $guest $uri failed"; }
	echo "virsh migrate --live hv1 -> $uri: $((($(date +%s%N) - t0) / 1000000)) ms"
	state=$(on hv2 "virsh domstate $guest" 2>/dev/null | head -n1)
	[ "$state" = running ] || bad "the guest is '$state' on hv2, not running"
	on hv1 "virsh -q list --name" | grep -qx "$guest" && bad "the guest still runs on hv1"
	on hv2 "virsh -q destroy $guest" >/dev/null 2>&1
	on hv1 "virsh -q destroy $guest >/dev/null 2>&1; rm -f $kernel /root/$guest.xml"
}

# expect_port NAME ID PORT STATUS: the one result with that id whose message is about PORT ("16509/tcp",
# "49152-49215/tcp") has STATUS; a unit that reports per port is checked port by port
expect_port() {
	python3 - "$tmp/$1.json" "$2" "$3" "$4" <<'PY' || bad "$1: $2 for $3 is not $4"
import json, sys
path, rid, port, status = sys.argv[1:5]
try:
    d = json.load(open(path))
except Exception as e:
    print(f"  not JSON: {e}: {open(path).read()[:300]}")
    sys.exit(1)
rs = [r for r in d["results"] if r["id"] == rid and r.get("message", "").startswith(port + " ")]
ok = len(rs) == 1 and rs[0]["status"] == status
if not ok:
    print(f"  {rid} {port}: " + json.dumps(rs)[:600])
sys.exit(0 if ok else 1)
PY
}

# Shared by the vm suite's tests: sourced, not run.
# A test runs only with HOSTPREP_TEST_VM=1, as root, with the tier up (tests/testbed/vm-tier up);
# otherwise it exits 77 (skipped) and says why.

tier=${HOSTPREP_VM_TIER:-$(cd "$(dirname "$0")/../testbed" && pwd)/vm-tier}

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	exit 1
}

require_tier() {
	[ "${HOSTPREP_TEST_VM:-}" = 1 ] || skip "the vm suite runs only with HOSTPREP_TEST_VM=1"
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace of the VM tier)"
	[ -x "$tier" ] || skip "no $tier"
	status=$(timeout 120 "$tier" status 2>&1) ||
		skip "the VM tier is not up (tests/testbed/vm-tier up): $(echo "$status" | tr '\n' ';')"
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

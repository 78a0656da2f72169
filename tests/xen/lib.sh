# Shared by the xen suite's tests: sourced, not run.
# A test runs only as root with the Xen tier up (tests/testbed/xen-tier up); otherwise it exits 77
# (skipped) and says why.

tier=${HOSTPREP_XEN_TIER:-$(cd "$(dirname "$0")/../testbed" && pwd)/xen-tier}
images=/var/lib/xen/images

. "$(dirname "$0")/../tier-test-lib.sh"

require_tier() { require_up "Xen tier"; }

# on VM CMD...: runs CMD in dom0 VM as root, bounded in time (XEN_CMD_TIMEOUT, default 120 s).
on() {
	vm=$1
	shift
	timeout "${XEN_CMD_TIMEOUT:-120}" "$tier" exec "$vm" "$@"
}

# now: seconds since the epoch, for the step times the tests print
now() { date +%s; }

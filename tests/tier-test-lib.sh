# Sourced (not run) by the lib.sh of the suites that need a QEMU tier up (vm, xen):
#   skip REASON, fail REASON     exit 77 / exit 1 with the reason
#   require_up WHAT              root, $tier executable and `$tier status` saying up; skip otherwise

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	exit 1
}

require_up() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace of the $1)"
	[ -x "$tier" ] || skip "no $tier"
	status=$(timeout 120 "$tier" status 2>&1) ||
		skip "the $1 is not up ($tier up): $(echo "$status" | tr '\n' ';')"
}

# shellcheck shell=bash
# Sourced by the integration tests (suite `integration`). They drive the namespace test bed
# (tests/testbed/testbed, path in $HOSTPREP_TESTBED) and exit 77 with a reason when it cannot be used.
set -euo pipefail

skip() {
        echo "SKIP: $*"
        exit 77
}

fail() {
        echo "FAIL: $*" >&2
        exit 1
}

[[ $EUID -eq 0 ]] || skip "needs root (the test bed is made of namespaces)"
TB=${HOSTPREP_TESTBED:-}
[[ -n $TB && -x $TB ]] || skip "test bed script not found (HOSTPREP_TESTBED unset)"
if ! tb_status=$("$TB" status 2>&1); then
        skip "test bed is not up (run: tests/testbed/testbed up): $(echo "$tb_status" | head -1)"
fi

tb() {
        "$TB" "$@"
}

now_ms() {
        echo $(($(date +%s%N) / 1000000))
}

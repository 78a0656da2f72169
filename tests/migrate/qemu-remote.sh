#!/bin/bash
# qemu driver across two hosts of the namespace test bed: the test program runs inside h2 and the
# destination QEMU is started on h3 over SSH (tests/migrate/test-qemu-remote.c):
#   1. the canary h2 -> h3 -> h2: magic intact, heartbeat advanced, progress for both legs;
#   2. interrupted mid-migration: the canary stays on h2, cleanup succeeds;
#   3. h3's sshd frozen: the run fails within its deadline naming h3 and SSH.
# After each case: no process and no files of the run left on either host.
#
# usage: qemu-remote.sh TEST_BINARY CANARY_ELF   (HOSTPREP_TESTBED: path of tests/testbed/testbed)
# Needs the bed up (skips otherwise) and leaves it as it found it.
set -euo pipefail

skip() {
        echo "SKIP: $*"
        exit 77
}
fail() {
        echo "FAIL: $*" >&2
        exit 1
}

TEST=$(readlink -f "${1:?test binary}")
CANARY=$(readlink -f "${2:?canary.elf}")
[[ $EUID -eq 0 ]] || skip "needs root (the test bed is made of namespaces)"
TB=${HOSTPREP_TESTBED:-}
[[ -n $TB && -x $TB ]] || skip "test bed script not found (HOSTPREP_TESTBED unset)"
"$TB" status >/dev/null 2>&1 || skip "the test bed is not up (tests/testbed/testbed up)"
"$TB" exec h3 sh -c 'command -v qemu-system-x86_64' >/dev/null || skip "no qemu-system-x86_64 on h3"

FROZEN=0
finish() {
        local rc=$?
        if ((FROZEN)); then
                "$TB" thaw h3 sshd >/dev/null || echo "could not thaw h3's sshd" >&2
        fi
        exit $rc
}
trap finish EXIT

# the hosts share /tmp and the process table with this machine (tests/testbed/README.md): what the
# driver leaves is visible from here, as h2 and h3 see it
leftovers() {
        local h
        for h in h2 h3; do
                "$TB" exec $h sh -c 'ls -d "${TMPDIR:-/tmp}"/hostprep-migrate-* 2>/dev/null' || true
        done | sort -u
        # QEMU and ssh of a run name their directory on the command line
        pgrep -af 'hostprep-migrate-' | grep -v -e pgrep -e qemu-remote.sh || true
}

before=$(leftovers)
check_clean() {
        local now
        now=$(leftovers)
        if [[ $now != "$before" ]]; then
                diff <(echo "$before") <(echo "$now") || true
                fail "$1: the run left files or processes behind"
        fi
        echo "$1: nothing left on h2 or h3"
}

run() { # run MODE: the test program in h2, destination h3
        "$TB" exec h2 "$TEST" "$1" "$CANARY" h3
}

echo "== the canary h2 -> h3 -> h2, QEMU on h3 over SSH"
run ok || fail "round trip"
check_clean "round trip"

echo "== interrupted mid-migration"
run interrupt || fail "interrupt"
check_clean "interrupt"

echo "== h3's sshd frozen"
FROZEN=1
"$TB" freeze h3 sshd >/dev/null
t0=$(date +%s%N)
run ssh-down || fail "sshd frozen"
echo "failed in $((($(date +%s%N) - t0) / 1000000)) ms (test bed exec included)"
"$TB" thaw h3 sshd >/dev/null
FROZEN=0
check_clean "sshd frozen"
echo PASS

#!/bin/bash
# libvirt migrate driver on the namespace test bed: h2 -> h3 and back over qemu+tcp (peer-to-peer, live);
# then the destination libvirtd killed before migrating. The canary's disk is an NBD export served by
# qemu-nbd --shared on h1 (the bed's storage host): libvirt treats network disks as shared, whereas the
# bed's /var/lib/libvirt/images bind mount looks like a local file system and would be refused as unsafe.
#
# usage: libvirt-migrate.sh TEST_BINARY CANARY_ELF   (HOSTPREP_TESTBED: path of tests/testbed/testbed)
# The bed is shared: if it is up, it is used and left up; if not, it is brought up and taken down after.
set -euo pipefail

skip() {
        echo "SKIP: $*"
        exit 77
}
fail() {
        echo "FAIL: $*" >&2
        exit 1
}

TEST=${1:?test binary}
CANARY=${2:?canary.elf}
[[ $EUID -eq 0 ]] || skip "needs root (the test bed is made of namespaces)"
TB=${HOSTPREP_TESTBED:-}
[[ -n $TB && -x $TB ]] || skip "test bed script not found (HOSTPREP_TESTBED unset)"
command -v qemu-nbd >/dev/null || skip "qemu-nbd not installed (qemu-utils)"
command -v virsh >/dev/null || skip "virsh not installed (libvirt-clients)"

BROUGHT_UP=0
KILLED=0
NBD_PID=
TAG=hostprep-migtest-$$
PORT=$((10900 + $$ % 100))
IMAGES=/var/lib/libvirt/images # as h2 and h3 see the shared directory
EXPORTS=/srv/nfs/images        # the same directory, as h1 sees it

finish() {
        local rc=$?
        if ((KILLED)); then
                "$TB" restart h3 libvirtd >/dev/null || echo "could not restart libvirtd on h3" >&2
        fi
        [[ -z $NBD_PID ]] || kill "$NBD_PID" 2>/dev/null || true
        "$TB" exec h2 rm -f "$IMAGES/$TAG.elf" "$IMAGES/$TAG.raw" 2>/dev/null || true
        if ((BROUGHT_UP)); then
                "$TB" down >/dev/null 2>&1 || echo "testbed down failed" >&2
        fi
        exit $rc
}
trap finish EXIT

if ! "$TB" status >/dev/null 2>&1; then
        echo "test bed is down: bringing it up for this test"
        BROUGHT_UP=1
        "$TB" up || skip "the test bed cannot be brought up here"
fi

# the canary kernel must be readable at the same path by both hypervisors: the shared images directory
"$TB" exec h2 cp "$(readlink -f "$CANARY")" "$IMAGES/$TAG.elf"
"$TB" exec h1 truncate -s 1M "$EXPORTS/$TAG.raw"
"$TB" exec h1 qemu-nbd --fork --persistent --shared=8 --bind=10.213.0.11 --port=$PORT --export-name=$TAG \
        --format=raw --cache=none --pid-file=/run/$TAG-nbd.pid "$EXPORTS/$TAG.raw"
NBD_PID=$("$TB" exec h1 cat /run/$TAG-nbd.pid)
DISK=nbd://10.213.0.11:$PORT/$TAG
SRC=qemu+tcp://10.213.0.12/system

no_canary_left() { # no_canary_left PREFIX: neither hypervisor has a domain named PREFIX*
        local h
        for h in h2 h3; do
                if "$TB" exec "$h" virsh -q -c qemu:///system list --all --name | grep -q "^$1"; then
                        fail "a canary $1* is left on $h"
                fi
        done
        echo "no canary $1* on h2 or h3"
}

echo "== success: h2 -> h3 -> h2"
out=$("$TB" exec h2 "$TEST" ok "$IMAGES/$TAG.elf" "$DISK" "$SRC" 10.213.0.13 2>&1) || {
        echo "$out"
        fail "migration h2 -> h3 -> h2"
}
echo "$out"
no_canary_left "$(sed -n 's/^canary prefix: //p' <<<"$out")"

echo "== destination libvirtd killed"
coproc T { "$TB" exec h2 "$TEST" dest-killed "$IMAGES/$TAG.elf" "$DISK" "$SRC" 10.213.0.13 2>&1; }
TPID=$T_PID
prefix=
while IFS= read -r -t 60 line <&"${T[0]}"; do
        echo "$line"
        [[ $line != "canary prefix: "* ]] || prefix=${line#canary prefix: }
        [[ $line != READY ]] || break
done
[[ $line == READY ]] || fail "the canary did not start"
KILLED=1
"$TB" kill h3 libvirtd
echo go >&"${T[1]}"
while IFS= read -r -t 120 line <&"${T[0]}"; do
        echo "$line"
done
wait "$TPID" || fail "dest-killed case"
"$TB" restart h3 libvirtd
KILLED=0
no_canary_left "$prefix"
echo PASS

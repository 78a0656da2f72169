#!/bin/bash
# net.bridge and net.mtu against real bridges and veths in the test bed's namespaces, made here and
# removed at exit (the bed itself is left as it was): a bridge brm0 on h2 with MTU 9000 and an uplink
# up2, joined through a 1500-byte bridge brm in the bed's switch namespace to h3, where brm0 is missing
# at first and then made with MTU 1500. The path MTU probe from h2 must find the 1500-byte hop.
#   net-bridge.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"

SW=hptb-br H2=hptb-h2 H3=hptb-h3

cleanup() {
        ip -n "$SW" link del up2p 2>/dev/null
        ip -n "$SW" link del up3p 2>/dev/null
        ip -n "$SW" link del brm 2>/dev/null
        ip -n "$H2" link del brm0 2>/dev/null
        ip -n "$H3" link del brm0 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT

ip netns list | grep -q "^$SW\b" || { echo "SKIP: no $SW namespace (an older bed)"; exit 77; }
set -e
ip -n "$SW" link add brm type bridge
ip -n "$SW" link set brm mtu 1500 up
for h in 2 3; do
        ip -n "$SW" link add "up${h}p" mtu 1500 type veth peer name "up$h" netns "hptb-h$h"
        ip -n "$SW" link set "up${h}p" master brm up
done
ip -n "$H2" link set up2 mtu 9000
ip -n "$H2" link add brm0 type bridge
ip -n "$H2" link set up2 master brm0 up
ip -n "$H2" link set brm0 mtu 9000 up
ip -n "$H2" addr add 10.214.0.12/24 dev brm0
ip -n "$H3" addr add 10.214.0.13/24 dev up3
ip -n "$H3" link set up3 up
set +e

# profile PEER-ADDRESS HOST: this host and its peer on the bridge's subnet (no SSH is needed: no --peer)
profile() {
        cat >"$tmp/$2.conf" <<CONF
include = kvm-nfs
[hosts]
$2 = hypervisor
$1 = hypervisor
[network]
bridges = brm0
address_bridge = brm0
CONF
}
profile 10.214.0.13 h2
profile 10.214.0.12 h3

# check NAME HOST: hostprep check --only 'net.*' on HOST as JSON into $tmp/NAME.json
check() {
        local t0 ms rc
        t0=$(date +%s%N)
        "$TB" exec "$2" "$HOSTPREP" check --profile-path "$tmp" --profile "$2" --only 'net.*' --format json \
                >"$tmp/$1.json" 2>"$tmp/$1.err"
        rc=$?
        ms=$((($(date +%s%N) - t0) / 1000000))
        echo "$1: rc=$rc in ${ms} ms"
        [ "$ms" -lt 9000 ] || fail "$1: took ${ms} ms"
}

# expect NAME ID STATUS [MESSAGE-SUBSTRING]
expect() {
        expect_result "$tmp/$1.json" "$2" "$3" "${4:-}" || fail "$1: $2 is not $3"
}

check h2 h2
expect h2 net.bridge.exists pass "bridge brm0 exists"
expect h2 net.bridge.state pass
expect h2 net.bridge.uplink pass "uplink up2"
# h2's address in /etc/hosts is its eth0's (10.213.0.12), not brm0's
expect h2 net.bridge.address fail "does not carry h2's address 10.213.0.12"
expect h2 net.bridge.persistent warn "nothing declares it"
expect h2 net.mtu.hops pass "MTU 9000"
expect h2 net.mtu.path fail "MTU 9000 on brm0 but only 1500 gets through to 10.214.0.13"

check h3_missing h3
expect h3_missing net.bridge.exists fail "there is no bridge brm0"
expect h3_missing net.mtu.path skip "none of the profile's bridges"

ip -n "$H3" link add brm0 type bridge
ip -n "$H3" addr del 10.214.0.13/24 dev up3
ip -n "$H3" link set up3 master brm0
ip -n "$H3" link set brm0 mtu 1500 up
ip -n "$H3" addr add 10.214.0.13/24 dev brm0
sleep 0.2 # the bridge's port leaves its listening state (no STP: at once)

check h3 h3
expect h3 net.bridge.exists pass
expect h3 net.bridge.uplink pass "uplink up3"
expect h3 net.mtu.hops pass "MTU 1500"
expect h3 net.mtu.path pass "1500 bytes (brm0's MTU) get through to 10.214.0.12"
# and h2 to h3 still finds the 1500-byte hop
check h2_again h2
expect h2_again net.mtu.path fail "only 1500 gets through"

[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "ok: net.bridge and net.mtu on the bed"

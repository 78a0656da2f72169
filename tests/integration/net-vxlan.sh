#!/bin/bash
# net.vxlan against real kernel VXLAN links between the bed's hypervisors h2 and h3, over their eth0
# (10.213.0.0/24, MTU 1500), made here and removed after each case and at exit (the bed is left as it
# was): the overlay of VNI 42 on UDP 4789 with a forwarding entry to the other host, MTU 1450, carries
# a ping between 10.215.0.12 and 10.215.0.13 and passes; then h3 with the wrong VNI, without a remote,
# with MTU 8901 over its 1500-byte eth0 (made without `dev`: the kernel refuses a VXLAN MTU above its
# lower device's minus 50), and without dstport (the kernel's 8472). net.firewall needs 4789/udp.
#   net-vxlan.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"

H2=hptb-h2 H3=hptb-h3
declare -A NS=([h2]=$H2 [h3]=$H3) ADDR=([h2]=10.213.0.12 [h3]=10.213.0.13) OVL=([h2]=10.215.0.12 [h3]=10.215.0.13)

links_del() {
        ip -n "$H2" link del vxt0 2>/dev/null
        ip -n "$H3" link del vxt0 2>/dev/null
        return 0
}
cleanup() {
        links_del
        rm -rf "$tmp"
}
trap cleanup EXIT

# vxlan HOST PEER [ip link add ARGS...]: vxt0 on HOST with ARGS, up, with the overlay address; a
# forwarding entry to PEER unless PEER is -
vxlan() {
        local h=$1 peer=$2
        shift 2
        ip -n "${NS[$h]}" link add vxt0 type vxlan "$@" local "${ADDR[$h]}" 2>"$tmp/ip.err" ||
                { fail "ip link add on $h: $(cat "$tmp/ip.err")"; return 1; }
        if [ "$peer" != - ]; then
                bridge -n "${NS[$h]}" fdb append 00:00:00:00:00:00 dev vxt0 dst "${ADDR[$peer]}" ||
                        fail "bridge fdb append on $h"
        fi
        ip -n "${NS[$h]}" addr add "${OVL[$h]}/24" dev vxt0
        ip -n "${NS[$h]}" link set vxt0 up
}

# profile HOST PEER OVERLAY-MTU
profile() {
        cat >"$tmp/$1.conf" <<CONF
include = kvm-nfs
[hosts]
$1 = hypervisor
${ADDR[$2]} = hypervisor
[network]
overlay = vxlan
vxlan_vni = 42
vxlan_port = 4789
overlay_mtu = $3
[firewall]
probe = no
CONF
}

# check NAME HOST: hostprep check --only net.vxlan,net.firewall on HOST as JSON into $tmp/NAME.json
check() {
        local rc
        "$TB" exec "$2" "$HOSTPREP" check --profile-path "$tmp" --profile "$2" --only net.vxlan,net.firewall \
                --format json >"$tmp/$1.json" 2>"$tmp/$1.err"
        rc=$?
        echo "$1: rc=$rc"
}

# expect NAME ID STATUS [MESSAGE-SUBSTRING]
expect() {
        expect_result "$tmp/$1.json" "$2" "$3" "${4:-}" || fail "$1: $2 is not $3"
}

profile h2 h3 1450
profile h3 h2 1450

# the good overlay on both hosts, and a packet through it
vxlan h2 h3 id 42 dstport 4789 dev eth0 mtu 1450
vxlan h3 h2 id 42 dstport 4789 dev eth0 mtu 1450
if "$TB" exec h2 ping -c 1 -W 5 "${OVL[h3]}" >/dev/null; then
        echo "ping h2 -> h3 through vxt0: ok"
else
        fail "no ping from h2 to ${OVL[h3]} through the VXLAN"
fi
check pass h2
expect pass net.vxlan.link pass "vxt0 carries VNI 42"
expect pass net.vxlan.port pass "UDP port 4789"
expect pass net.vxlan.remotes pass "a remote for every other hypervisor"
expect pass net.vxlan.mtu pass "vxt0 carries MTU 1450 and eth0 the 1500 it needs"
expect pass net.firewall.ports pass "4789/udp"
links_del

# h3 on another VNI
vxlan h3 h2 id 43 dstport 4789 dev eth0 mtu 1450
check wrong_vni h3
expect wrong_vni net.vxlan.link fail "no VXLAN carries VNI 42, the profile's: this host has vxt0 (VNI 43)"
links_del

# h3 with no remote for h2
vxlan h3 - id 42 dstport 4789 dev eth0 mtu 1450
check no_remote h3
expect no_remote net.vxlan.remotes fail "vxt0 has no remote for hypervisor 10.213.0.12"
links_del

# h3 at the seed's 8901 over a 1500-byte eth0: made without dev (the kernel refuses it with one)
profile h3 h2 8901
if ip -n "$H3" link add vxt1 type vxlan id 42 dstport 4789 dev eth0 local "${ADDR[h3]}" mtu 8901 2>/dev/null; then
        ip -n "$H3" link del vxt1
        fail "the kernel took a VXLAN MTU of 8901 over a 1500-byte dev"
fi
vxlan h3 h2 id 42 dstport 4789 mtu 8901
check mtu_too_big h3
expect mtu_too_big net.vxlan.mtu fail "eth0 is short: it carries 1500, the overlay's 8901 needs 8951 under vxt0"
links_del

# h3 made without dstport: the kernel's 8472
profile h3 h2 1450
vxlan h3 h2 id 42 dev eth0 mtu 1450 2>/dev/null
check wrong_port h3
expect wrong_port net.vxlan.port fail "vxt0 sends to UDP port 8472, the profile's overlay uses 4789"
links_del

for h in h2 h3; do
        if ip -n "${NS[$h]}" -d link show type vxlan | grep -q .; then fail "a VXLAN link is left on $h"; fi
done
[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "ok: net.vxlan on the bed"

#!/bin/bash
# net.vxlan against real kernel VXLAN links between the bed's hypervisors h2 and h3, over their eth0
# (10.213.0.0/24, MTU 1500), made here and removed after each case and at exit (the bed is left as it
# was): the overlay of VNI 42 on UDP 4789 with a forwarding entry to the other host, MTU 1450, carries
# a datagram from 10.215.0.12 to 10.215.0.13 and passes; then h3 with the wrong VNI, without a remote,
# with MTU 8901 over its 1500-byte eth0 (made without `dev`: with one, the kernel clamps a VXLAN's MTU
# to its lower device's minus 50 and refuses more), and without dstport (the kernel's 8472).
# net.firewall needs 4789/udp from the peer.
#   net-vxlan.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"

H2=hptb-h2 H3=hptb-h3
declare -A NS=([h2]=$H2 [h3]=$H3) ADDR=([h2]=10.213.0.12 [h3]=10.213.0.13) OVL=([h2]=10.215.0.12 [h3]=10.215.0.13)

links_del() {
        ip -n "$H2" link del vxt0 2>/dev/null
        ip -n "$H3" link del vxt0 2>/dev/null
        ip -n "$H3" link del vxt1 2>/dev/null
        return 0
}
cleanup() {
        links_del
        rm -rf "$tmp"
}
trap cleanup EXIT

# vxlan HOST PEER MTU [VXLAN-ARGS...]: vxt0 on HOST with MTU and VXLAN-ARGS, up, with the overlay
# address; a forwarding entry to PEER unless PEER is - (mtu is a link option: it comes before `type`)
vxlan() {
        local h=$1 peer=$2 mtu=$3
        shift 3
        ip -n "${NS[$h]}" link add vxt0 mtu "$mtu" type vxlan "$@" local "${ADDR[$h]}" 2>"$tmp/ip.err" ||
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
vxlan h2 h3 1450 id 42 dstport 4789 dev eth0
vxlan h3 h2 1450 id 42 dstport 4789 dev eth0
# a datagram from h2 to h3's overlay address (the bed has no ping): h3 receives it within 10 s
"$TB" exec h3 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 9999)); s.settimeout(10)
print(s.recv(64).decode())' "${OVL[h3]}" >"$tmp/udp.out" 2>&1 &
listener=$!
sleep 1
"$TB" exec h2 python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(5): s.sendto(b"through-vxlan", (sys.argv[1], 9999)); time.sleep(0.5)' "${OVL[h3]}"
wait "$listener"
if grep -q through-vxlan "$tmp/udp.out"; then
        echo "a datagram from h2 reached h3 through vxt0"
else
        fail "nothing from h2 reached ${OVL[h3]} through the VXLAN: $(cat "$tmp/udp.out")"
fi
check pass h2
expect pass net.vxlan.link pass "vxt0 carries VNI 42"
expect pass net.vxlan.port pass "UDP port 4789"
expect pass net.vxlan.remotes pass "a remote for every other hypervisor"
expect pass net.vxlan.mtu pass "vxt0 carries MTU 1450 and eth0 the 1500 it needs"
expect pass net.firewall.ports pass "4789/udp"
links_del

# h3 on another VNI
vxlan h3 h2 1450 id 43 dstport 4789 dev eth0
check wrong_vni h3
expect wrong_vni net.vxlan.link fail "no VXLAN carries VNI 42, the profile's: this host has vxt0 (VNI 43)"
links_del

# h3 with no remote for h2
vxlan h3 - 1450 id 42 dstport 4789 dev eth0
check no_remote h3
expect no_remote net.vxlan.remotes fail "vxt0 has no remote for hypervisor 10.213.0.12"
links_del

# h3 at the seed's 8901 over a 1500-byte eth0: made without dev (with one, the kernel clamps it)
profile h3 h2 8901
# with dev eth0 the kernel clamps the MTU at creation (to 1450) and refuses 8901 afterwards
ip -n "$H3" link add vxt1 mtu 8901 type vxlan id 42 dstport 4789 dev eth0 local "${ADDR[h3]}" ||
        fail "ip link add vxt1 with dev"
mtu=$(ip -n "$H3" -o link show vxt1 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
[ "$mtu" = 1450 ] || fail "a VXLAN over the 1500-byte eth0 created at 8901 has MTU '$mtu', not the kernel's 1450"
if ip -n "$H3" link set vxt1 mtu 8901 2>/dev/null; then fail "the kernel took MTU 8901 over a 1500-byte dev"; fi
ip -n "$H3" link del vxt1
vxlan h3 h2 8901 id 42 dstport 4789
check mtu_too_big h3
expect mtu_too_big net.vxlan.mtu fail "eth0 is short: it carries 1500, the overlay's 8901 needs 8951 under vxt0"
links_del

# h3 made without dstport: the kernel's 8472
profile h3 h2 1450
vxlan h3 h2 1450 id 42 dev eth0
check wrong_port h3
expect wrong_port net.vxlan.port fail "vxt0 sends to UDP port 8472, the profile's overlay uses 4789"
links_del

for h in h2 h3; do
        if ip -n "${NS[$h]}" -d link show type vxlan | grep -q .; then fail "a VXLAN link is left on $h"; fi
done
[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "ok: net.vxlan on the bed"

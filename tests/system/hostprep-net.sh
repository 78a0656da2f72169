#!/bin/bash
# net.firewall against firewalld's real D-Bus API, and net.bridge's fix against systemd-networkd, in the
# systemd tier's container. hostprep runs INSIDE the container, installed there from the build tree: the
# bus, the links and the files must be the container's own. The container's only network is its own, so
# the peer is an address beyond a veth pair (the container cannot load the dummy module) (no SSH, no probe: [firewall] probe = no).
#   firewalld (started here, stopped at the end; the image keeps it disabled):
#   a. the migration range open in runtime only: net.firewall.firewalld WARN runtime_only;
#   b. in permanent only: FAIL permanent_only;
#   c. closed: FAIL closed; apply opens it through D-Bus, runtime and permanent, as rich rules for the
#      peer's address ([firewall] policy = peers), the re-check PASSes; a second apply changes nothing;
#   d. rollback: the zone's runtime and permanent settings (firewall-cmd --list-all) as before.
#   systemd-networkd (started here, stopped at the end):
#   e. a bridge the profile names is missing: net.bridge FAILs; apply writes its networkd files (the
#      uplink, one end of a veth pair with a static address, as its port), networkd brings it up, the re-check PASSes
#      (exists, up with carrier, uplink, persistent); a second apply changes nothing;
#   f. rollback: the files gone, /etc/systemd/network as before.
#   hostprep-net.sh HOSTPREP BUILD_DIR
set -uo pipefail
HOSTPREP=$(readlink -f "$1")
BUILD_DIR=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)
TIER=${HOSTPREP_SYSTEMD_TIER:-$here/../testbed/systemd-tier}
WAIT=${HOSTPREP_NET_WAIT:-30} # seconds any state may take to appear
PEER=10.77.0.2 LOCAL=10.77.0.1/24 FWLINK=hpfw0
BRIDGE=hpbr0 UPLINK=hpup0 UPADDR=10.78.0.1/24
RANGE=49152-49215/tcp
NETDIR=/etc/systemd/network

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
"$TIER" status >/dev/null 2>&1 || skip "the systemd tier is not up (tests/testbed/systemd-tier up)"
[ -x "$HOSTPREP" ] || { echo "FAIL: $HOSTPREP is not an executable"; exit 1; }
command -v meson >/dev/null || skip "meson is not on PATH: cannot install hostprep into the container"
LEADER=$(sed -n -E 's|^unix:path=/proc/([0-9]+)/root/.*|\1|p' <<<"$("$TIER" bus-address)")
[ -n "$LEADER" ] || { echo "FAIL: no container leader"; exit 1; }
R=/proc/$LEADER/root

ct() { "$TIER" exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
ct test -x /usr/sbin/firewalld || skip "firewalld is not in the container's image (an image older than this test?)"

failures=0
tmp=$(mktemp -d)
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# --- hostprep, installed in the container as `meson install` lays it out (binary, templates, profiles)
tree=$tmp/install
meson install -C "$BUILD_DIR" --no-rebuild --quiet --destdir "$tree" >"$tmp/install.log" 2>&1 ||
        { cat "$tmp/install.log"; echo "FAIL: meson install of $BUILD_DIR"; exit 1; }
BIN=$(cd "$tree" && find . -path '*bin/hostprep' -type f | head -n1)
BIN=${BIN#.}
[ -n "$BIN" ] || { echo "FAIL: no hostprep in the installed tree"; exit 1; }
(cd "$tree" && find . -mindepth 1 ! -type d) | sed 's|^\.||' >"$tmp/installed"
tar -C "$tree" -cf - . | ct tar -xf - -C / --no-same-owner --no-overwrite-dir ||
        { echo "FAIL: copying hostprep into the container"; exit 1; }
if ! ct "$BIN" --version >/dev/null 2>"$tmp/version.err"; then
        missing=$(ct ldd "$BIN" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
        case $missing in
        *libasan* | *libubsan*) skip "$HOSTPREP is a sanitizer build, whose run-time is not in the container" ;;
        esac
        cat "$tmp/version.err"
        echo "FAIL: hostprep does not run in the container (libraries missing: ${missing:-none?})"
        exit 1
fi

# Files under the directories the test's services write, to remove what they added at the end.
etc_files() { (cd "$R" && find etc/firewalld "${NETDIR#/}" -xdev ! -type d 2>/dev/null | sort); }
etc_files >"$tmp/etc.before"
# Whatever happens, the container is left as it was: the next tests share it.
cleanup() {
        ct "$BIN" rollback --list 2>/dev/null | awk '$2 != "rolled-back" {print $1}' | sort -r |
                while read -r run; do ct "$BIN" rollback "$run" >/dev/null 2>&1; done
        ct systemctl stop firewalld.service systemd-networkd.service systemd-networkd.socket >/dev/null 2>&1
        ct ip link del "$FWLINK" 2>/dev/null
        ct ip link del "$BRIDGE" 2>/dev/null
        ct ip link del "$UPLINK" 2>/dev/null
        comm -13 "$tmp/etc.before" <(etc_files) | while read -r f; do rm -f "$R/$f"; done
        ct rm -f "$PROFILE" $(cat "$tmp/installed") 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT

# expect NAME ID STATUS REASON MESSAGE-SUBSTRING: some result of $tmp/NAME.json is so
expect() {
        python3 - "$tmp/$1.json" "$2" "$3" "$4" "$5" <<'PY' || fail "$1: no $2 $3/$4 with '$5'"
import json, sys
path, id, status, reason, sub = sys.argv[1:6]
rs = [r for r in json.load(open(path))["results"] if r["id"] == id]
if not any(r["status"] == status and r["reason"] == reason and sub in r["message"] for r in rs):
    print(f"  {path}: " + json.dumps(rs))
    sys.exit(1)
PY
}
# wait_for DESCRIPTION CMD...: polls CMD until it succeeds, at most $WAIT seconds
wait_for() {
        local what=$1 deadline=$((SECONDS + WAIT))
        shift
        until "$@" >/dev/null 2>&1; do
                ((SECONDS < deadline)) || { fail "$what: not after ${WAIT}s"; return 1; }
                sleep 0.2
        done
}
# hp NAME VERB ARGS...: hostprep VERB with the test's profile, JSON into $tmp/NAME.json; returns its exit code
hp() {
        local name=$1 rc t0
        shift
        t0=$(date +%s%N)
        ct "$BIN" "$@" --profile "$PROFILE" --no-color --timeout 20 --format json >"$tmp/$name.json" \
                2>"$tmp/$name.err"
        rc=$?
        echo "  ($name: hostprep $1 exit $rc, $(ms_since "$t0") ms)"
        return $rc
}

# again STEP UNIT STATE-FN: a second apply of UNIT changes nothing, neither by its word nor in STATE-FN's output
again() {
        local before
        before=$($3)
        ct "$BIN" apply --only "$2" --profile "$PROFILE" --no-color --timeout 20 >"$tmp/$1-again.txt" 2>&1 ||
                fail "$1: the second apply failed"
        grep -q '^Nothing to change' "$tmp/$1-again.txt" ||
                { fail "$1: the second apply changed something"; cat "$tmp/$1-again.txt"; }
        [ "$($3)" = "$before" ] || fail "$1: the second apply changed what $3 shows"
}

PROFILE=/run/hostprep-test-net.conf
HOST=$(ct hostname)
cat >"$R$PROFILE" <<CONF
# hostprep-net.sh: this container and a peer beyond a veth
include = kvm-nfs
[hosts]
$HOST = hypervisor
$PEER = hypervisor
[firewall]
policy = peers
probe = no
[network]
bridges = $BRIDGE
uplink = $UPLINK
probe_mtu = no
CONF

# ===== firewalld
t_fw=$(date +%s%N)
ct ip link add "$FWLINK" type veth peer name "${FWLINK}p" && ct ip addr add "$LOCAL" dev "$FWLINK" && ct ip link set "${FWLINK}p" up &&
        ct ip link set "$FWLINK" up ||
        fail "cannot make the peer's link $FWLINK"
t0=$(date +%s%N)
ct systemctl start firewalld.service || { fail "firewalld does not start"; ct journalctl -b -u firewalld --no-pager | tail; }
wait_for "firewalld running" ct firewall-cmd --state
echo "firewalld started in $(ms_since "$t0") ms"
ZONE=$(ct firewall-cmd --get-default-zone)
zone_all() { ct firewall-cmd --zone="$ZONE" --list-all; ct firewall-cmd --permanent --zone="$ZONE" --list-all; }
fwc() { ct firewall-cmd --zone="$ZONE" "$@" >/dev/null || fail "firewall-cmd $*"; }
base_zone=$(zone_all)

# a. runtime only
fwc --add-port="$RANGE"
hp a check --only net.firewall
expect a net.firewall.backend pass firewalld ""
expect a net.firewall.firewalld warn runtime_only "$RANGE"
fwc --remove-port="$RANGE"
echo "a. runtime-only opening: WARN"

# b. permanent only
fwc --permanent --add-port="$RANGE"
hp b check --only net.firewall
expect b net.firewall.firewalld fail permanent_only "$RANGE"
fwc --permanent --remove-port="$RANGE"
echo "b. permanent-only opening: FAIL"

# c. closed, then apply through D-Bus
[ "$(zone_all)" = "$base_zone" ] || fail "c: the zone is not as it was after a and b"
base_zone=$(zone_all)
hp c check --only net.firewall
expect c net.firewall.firewalld fail closed "$RANGE"
hp c-apply apply --only net.firewall || { fail "c: apply failed"; cat "$tmp/c-apply.err"; }
rich="rule family=\"ipv4\" source address=\"$PEER\" port port=\"${RANGE%/tcp}\" protocol=\"tcp\" accept"
for layer in "" --permanent; do
        ct firewall-cmd $layer --zone="$ZONE" --list-rich-rules >"$tmp/rich$layer"
        grep -qF -- "$rich" "$tmp/rich$layer" || { fail "c: no rich rule '$rich' in ${layer:-runtime}"; cat "$tmp/rich$layer"; }
        ct firewall-cmd $layer --zone="$ZONE" --query-port="$RANGE" >/dev/null &&
                fail "c: policy = peers but $RANGE is open to everyone (${layer:-runtime})"
done
hp c2 check --only net.firewall || fail "c: the check after apply does not pass"
expect c2 net.firewall.firewalld pass open "$RANGE"
again c net.firewall zone_all
echo "c. apply: rich rules for $PEER runtime and permanent, PASS; second apply: nothing to change"

# d. rollback
t0=$(date +%s%N)
ct "$BIN" rollback >"$tmp/d.txt" 2>&1 || { fail "d: rollback failed"; cat "$tmp/d.txt"; }
echo "  (rollback: $(ms_since "$t0") ms)"
[ "$(zone_all)" = "$base_zone" ] || { fail "d: the zone is not as before"; diff <(echo "$base_zone") <(zone_all); }
hp d check --only net.firewall
expect d net.firewall.firewalld fail closed "$RANGE"
ct systemctl stop firewalld.service || fail "firewalld does not stop"
ct ip link del "$FWLINK"
echo "d. rollback: zone $ZONE as before (runtime and permanent); firewalld part $(ms_since "$t_fw") ms"

# ===== systemd-networkd
t_nd=$(date +%s%N)
net_sums() { (cd "$R" && find "${NETDIR#/}" -xdev -type f -print0 2>/dev/null | sort -z | xargs -0r sha256sum); }
ct ip link add "$UPLINK" type veth peer name "${UPLINK}p" && ct ip addr add "$UPADDR" dev "$UPLINK" &&
        ct ip link set "${UPLINK}p" up && ct ip link set "$UPLINK" up ||
        fail "cannot make the uplink $UPLINK"
ct systemctl start systemd-networkd.service || { fail "systemd-networkd does not start"; ct journalctl -b -u systemd-networkd --no-pager | tail; }
base_net=$(net_sums)

# e. missing bridge, apply, networkd brings it up
hp e check --only net.bridge
expect e net.bridge.exists fail bridge_missing "$BRIDGE"
hp e-apply apply --only net.bridge || { fail "e: apply failed"; cat "$tmp/e-apply.err"; }
for f in "05-hostprep-$BRIDGE.netdev" "05-hostprep-$BRIDGE.network" "05-hostprep-$BRIDGE-port-$UPLINK.network"; do
        [ -f "$R$NETDIR/$f" ] || fail "e: apply wrote no $NETDIR/$f"
done
bridge_up() { [ "$(ct ip -br link show "$BRIDGE" | awk '{print $2}')" = UP ]; }
is_port() { ct ip -o link show "$UPLINK" | grep -q "master $BRIDGE"; }
wait_for "e: networkd made $BRIDGE with $UPLINK" is_port
wait_for "e: $BRIDGE up" bridge_up
ct networkctl status "$BRIDGE" --no-pager >"$tmp/networkctl" 2>&1
hp e2 check --only net.bridge || { fail "e: the check after apply does not pass"; cat "$tmp/networkctl"; }
expect e2 net.bridge.exists pass bridge_exists "$BRIDGE"
expect e2 net.bridge.state pass up "$BRIDGE"
expect e2 net.bridge.uplink pass uplink "$UPLINK"
expect e2 net.bridge.persistent pass configured "$BRIDGE"
again e net.bridge net_sums
echo "e. apply: $BRIDGE written for networkd and brought up ($(ct ip -br addr show "$BRIDGE" | tr -s ' ')), PASS; second apply: nothing to change"

# f. rollback
ct "$BIN" rollback >"$tmp/f.txt" 2>&1 || { fail "f: rollback failed"; cat "$tmp/f.txt"; }
[ "$(net_sums)" = "$base_net" ] || { fail "f: $NETDIR not as before"; diff <(echo "$base_net") <(net_sums); }
ct systemctl stop systemd-networkd.service systemd-networkd.socket
echo "f. rollback: $NETDIR as before; networkd part $(ms_since "$t_nd") ms"

[ $failures = 0 ] && echo "all firewalld and networkd cases passed"
exit $((failures > 0))

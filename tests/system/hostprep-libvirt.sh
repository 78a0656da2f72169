#!/bin/bash
# libvirt.daemon and libvirt.listen, and libvirt.listen's fix, against Debian's own libvirt-daemon-system
# (libvirtd socket-activated) in the systemd tier's container. hostprep runs INSIDE the container,
# installed there from the build tree: the socket table it reads (/proc/net/tcp) and the bus it talks
# to must be the container's own. Every step asserts on the JSON's result ids, statuses and reasons,
# and on the container's real state (unit states, ss, virsh, checksums):
#   a. listen_tcp = 1 in libvirtd.conf, libvirtd-tcp.socket disabled: the setting is ignored (WARN),
#      the socket is not enabled and nothing listens on 16509 (FAIL);
#   b. apply --dry-run changes nothing;
#   c. apply ([libvirt] auth_tcp = none, allow_auth_none = yes) enables and starts the socket with the
#      running libvirtd stopped and started again around it, 16509 listens, virsh connects over
#      qemu+tcp, the re-check is FIXED;
#   d. a second apply changes nothing;
#   e. rollback: the socket disabled and stopped, libvirtd.conf byte for byte, nothing on 16509.
#   hostprep-libvirt.sh HOSTPREP BUILD_DIR
set -uo pipefail
HOSTPREP=$(readlink -f "$1")
BUILD_DIR=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)
TIER=${HOSTPREP_SYSTEMD_TIER:-$here/../testbed/systemd-tier}
PORT=16509
SOCKET=libvirtd-tcp.socket
CONF=/etc/libvirt/libvirtd.conf
WAIT=${HOSTPREP_LIBVIRT_WAIT:-30} # seconds any state may take to appear

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
"$TIER" status >/dev/null 2>&1 || skip "the systemd tier is not up (tests/testbed/systemd-tier up)"
[ -x "$HOSTPREP" ] || { echo "FAIL: $HOSTPREP is not an executable"; exit 1; }
command -v meson >/dev/null || skip "meson is not on PATH: cannot install hostprep into the container"
LEADER=$(sed -n -E 's|^unix:path=/proc/([0-9]+)/root/.*|\1|p' <<<"$("$TIER" bus-address)")
[ -n "$LEADER" ] || { echo "FAIL: no container leader"; exit 1; }
R=/proc/$LEADER/root

# Inside the container, with none of this host's environment (a DBUS_SYSTEM_BUS_ADDRESS would
# send the container's sd-bus elsewhere).
ct() { "$TIER" exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
ct test -x /usr/sbin/libvirtd && ct test -e /lib/systemd/system/$SOCKET ||
        skip "libvirt-daemon-system is not in the container's image (an image older than this test?)"

failures=0
tmp=$(mktemp -d)
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

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

orig_conf=$tmp/libvirtd.conf.orig
cp "$R$CONF" "$orig_conf"
# Whatever happens, the container is left as Debian ships it: the next tests share it.
cleanup() {
        ct "$BIN" rollback --list 2>/dev/null | awk '$2 != "rolled-back" {print $1}' | sort -r |
                while read -r run; do ct "$BIN" rollback "$run" >/dev/null 2>&1; done
        ct systemctl disable --now "$SOCKET" >/dev/null 2>&1
        cp "$orig_conf" "$R$CONF"
        ct rm -f "$PROFILE" $(cat "$tmp/installed") 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT

# --- helpers
# "ID STATUS REASON" for every result of a JSON report
results() {
        python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(r["id"], r["status"], r["reason"])' "$1"
}
# expect FILE ID STATUS... REASON: the result ID has one of the statuses, with that reason
expect() {
        local file=$1 id=$2 reason=${*: -1} got st ok=
        got=$(results "$file" | awk -v id="$id" '$1 == id {print $2, $3}')
        for st in "${@:3:$#-3}"; do
                [ "$got" = "$st $reason" ] && ok=1
        done
        [ -n "$ok" ] || fail "$(basename "$file"): $id is '${got:-absent}', expected ${*:3:$#-3} $reason"
}
listening() { [ -n "$(ct ss -Hltn "sport = :$PORT")" ]; }
unit_state() { echo "$(ct systemctl is-enabled "$1" 2>/dev/null)/$(ct systemctl is-active "$1" 2>/dev/null)"; }
prop() { ct systemctl show -P "$2" "$1"; }
# wait_for DESCRIPTION CMD...: polls CMD until it succeeds, at most $WAIT seconds
wait_for() {
        local what=$1 deadline=$((SECONDS + WAIT))
        shift
        until "$@"; do
                ((SECONDS < deadline)) || { fail "$what: not after ${WAIT}s"; return 1; }
                sleep 0.1
        done
}
not() { ! "$@"; }
daemon_active() { [ "$(ct systemctl is-active libvirtd.service)" = active ]; }
# what apply may touch: libvirt's configuration and its EnvironmentFile=, as checksums
sums() { (cd "$R" && find etc/libvirt etc/default/libvirtd -xdev -type f -print0 | sort -z | xargs -0 sha256sum); }
state() { echo "$SOCKET $(unit_state "$SOCKET"); libvirtd.service MainPID $(prop libvirtd.service MainPID)"; }
hp() { ct "$BIN" "$@" --role hypervisor --profile "$PROFILE" --only 'libvirt.*' --no-color; }

PROFILE=/run/hostprep-test-libvirt.conf
printf '%s\n' '# hostprep-libvirt.sh: libvirt over plain TCP' 'include = kvm-nfs' '' '[migrate]' 'transport = tcp' \
        >"$R$PROFILE"
ALLOW_NONE=(--set libvirt.auth_tcp=none --set libvirt.allow_auth_none=yes)

# --- the starting point: Debian's units, listen_tcp = 1 as every how-to says, libvirtd running
[ "$(unit_state "$SOCKET")" = disabled/inactive ] ||
        { echo "FAIL: $SOCKET is $(unit_state "$SOCKET") before the test (bring the tier down and up)"; exit 1; }
printf '\n# hostprep-libvirt.sh: as the how-tos say\nlisten_tcp = 1\n' >>"$R$CONF"
ct systemctl start libvirtd.service || fail "libvirtd.service does not start in the container"
wait_for "libvirtd.service active" daemon_active
listening && fail "port $PORT listens before the test"
base_sums=$(sums)
base_state=$(state)
pid_before=$(prop libvirtd.service MainPID)
started_before=$(prop libvirtd.service ExecMainStartTimestampMonotonic)

# a. check
hp check --format json >"$tmp/a.json" 2>"$tmp/a.err"
rc=$?
[ $rc = 1 ] || { fail "a: check exited $rc, expected 1"; cat "$tmp/a.err"; }
expect "$tmp/a.json" libvirt.daemon.model pass socket_activated
expect "$tmp/a.json" libvirt.daemon.ignored warn listen_ignored
expect "$tmp/a.json" libvirt.daemon.running pass running
expect "$tmp/a.json" libvirt.listen.configured fail socket_disabled
expect "$tmp/a.json" libvirt.listen.port fail not_listening
listening && fail "a: port $PORT listens (ss)"
echo "a. check: listen_tcp ignored, $SOCKET disabled, $PORT not listening"

# b. dry run: the plan shown, nothing changed
hp apply --dry-run "${ALLOW_NONE[@]}" >"$tmp/b.txt" 2>&1
# systemd starts no socket of a running service: libvirtd is stopped around the socket's start
for line in "systemctl enable $SOCKET" "systemctl stop libvirtd.service" "systemctl start $SOCKET" \
        "+++ b$CONF" "systemctl start libvirtd.service"; do
        grep -qF -- "$line" "$tmp/b.txt" || { fail "b: the dry run plans no '$line'"; cat "$tmp/b.txt"; }
done
hp apply --dry-run "${ALLOW_NONE[@]}" --format json >"$tmp/b.json" 2>/dev/null
expect "$tmp/b.json" libvirt.listen.configured fail socket_disabled
[ "$(sums)" = "$base_sums" ] || fail "b: the dry run changed files"
[ "$(state)" = "$base_state" ] || fail "b: the dry run changed units: $(state), was $base_state"
echo "b. dry run: planned, nothing changed"

# c. apply
hp apply "${ALLOW_NONE[@]}" --format json >"$tmp/c.json" 2>"$tmp/c.err"
rc=$?
[ $rc = 0 ] || { fail "c: apply exited $rc"; cat "$tmp/c.err"; results "$tmp/c.json"; }
expect "$tmp/c.json" libvirt.listen.configured fixed socket_enabled
expect "$tmp/c.json" libvirt.listen.port fixed listening
expect "$tmp/c.json" libvirt.listen.auth pass fixed auth_none_allowed
expect "$tmp/c.json" libvirt.daemon.ignored fixed none_ignored
[ "$(unit_state "$SOCKET")" = enabled/active ] || fail "c: $SOCKET is $(unit_state "$SOCKET")"
wait_for "c: port $PORT listening (ss)" listening
wait_for "c: libvirtd.service active" daemon_active
pid_after=$(prop libvirtd.service MainPID)
[ "$pid_after" != "$pid_before" ] &&
        [ "$(prop libvirtd.service ExecMainStartTimestampMonotonic)" -gt "$started_before" ] ||
        fail "c: libvirtd.service was not restarted (MainPID $pid_before, now $pid_after)"
# `virsh version` fails here after connecting ("Cannot find suitable emulator": no QEMU in the
# image); `uri` asks the daemon over the same connection
ct timeout 20 virsh -c "qemu+tcp://127.0.0.1/system" uri >"$tmp/virsh" 2>&1 ||
        { fail "c: virsh does not connect over qemu+tcp"; cat "$tmp/virsh"; }
hp check "${ALLOW_NONE[@]}" --format json >"$tmp/c2.json" 2>/dev/null ||
        { fail "c: check after apply does not pass"; results "$tmp/c2.json" | grep -v ' pass \| skip '; }
expect "$tmp/c2.json" libvirt.listen.configured pass socket_enabled
expect "$tmp/c2.json" libvirt.listen.port pass listening
expect "$tmp/c2.json" libvirt.daemon.ignored pass none_ignored
expect "$tmp/c2.json" libvirt.listen.auth pass auth_none_allowed
echo "c. apply: $SOCKET $(unit_state "$SOCKET"), libvirtd restarted ($pid_before -> $pid_after), virsh: $(head -n1 "$tmp/virsh")"

# d. again: nothing to do
applied_sums=$(sums)
applied_state=$(state)
hp apply "${ALLOW_NONE[@]}" >"$tmp/d.txt" 2>&1 || { fail "d: the second apply failed"; cat "$tmp/d.txt"; }
grep -q '^Nothing to change' "$tmp/d.txt" || { fail "d: the second apply changed something"; cat "$tmp/d.txt"; }
[ "$(sums)" = "$applied_sums" ] && [ "$(state)" = "$applied_state" ] ||
        fail "d: the second apply changed the container: $(state), was $applied_state"
echo "d. second apply: nothing to change"

# e. rollback
ct "$BIN" rollback >"$tmp/e.txt" 2>&1 || { fail "e: rollback failed"; cat "$tmp/e.txt"; }
[ "$(unit_state "$SOCKET")" = disabled/inactive ] || fail "e: $SOCKET is $(unit_state "$SOCKET")"
[ "$(sums)" = "$base_sums" ] || { fail "e: files not as before"; diff <(echo "$base_sums") <(sums); }
wait_for "e: nothing listening on $PORT (ss)" not listening || { ct ss -ltnp; cat "$tmp/e.txt"; }
hp check --format json >"$tmp/e.json" 2>/dev/null
expect "$tmp/e.json" libvirt.listen.configured fail socket_disabled
expect "$tmp/e.json" libvirt.listen.port fail not_listening
echo "e. rollback: $SOCKET $(unit_state "$SOCKET"), $CONF as before, $PORT not listening"

[ $failures = 0 ] && echo "all libvirt cases passed"
exit $((failures > 0))

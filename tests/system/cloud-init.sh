#!/bin/bash
# contrib/cloud-init/user-data.yaml on a real first boot: the systemd tier's container booted with a
# NoCloud seed (/var/lib/cloud/seed/nocloud/{meta-data,user-data}, bound read-only by systemd-tier's
# HOSTPREP_SYSTEMD_TIER_BIND_RO), so Debian's cloud-init (22.4) finds its data source through
# ds-identify and runs the example's write_files and runcmd: apt installs the .deb (bound in at
# /srv/hostprep-deb: offline, its dependencies are in the image), `hostprep apply`, then `hostprep check`
# as the last, gating command. The user-data is the example's with three things changed for the
# container: the .deb's path for the package name, the site profile (libvirt over plain TCP with auth
# none allowed: the container has nothing but its own lo), and `--only 'libvirt.*'` (the container is
# no NFS client nor has QEMU):
#   pass: apply enables libvirtd-tcp.socket, check exits 0 -> `cloud-init status --wait` says done
#         (exit 0), the output log has "hostprep check: exit 0", and the host is configured: the socket
#         enabled and active, 16509 listening
#   fail: apply limited to libvirt.daemon (the listener stays off), check FAILs libvirt.listen -> status
#         error (exit 1), the output log has "hostprep check: exit 1", cloud-init.log the script's
#         "Exit code: 1"
# Each case is a fresh boot (down, up with the seed); at the end the tier is booted again without
# one, as the other tests of the suite expect it.
#   cloud-init.sh DEB_DIR
set -uo pipefail
DEB_DIR=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
TIER=${HOSTPREP_SYSTEMD_TIER:-$here/../testbed/systemd-tier}
EXAMPLE=$here/../../contrib/cloud-init/user-data.yaml

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
deb=$(ls "$DEB_DIR"/hostprep_*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || skip "no package in $DEB_DIR (tests/run builds it with tools/build-deb $DEB_DIR)"
"$TIER" status >/dev/null 2>&1 || skip "the systemd tier is not up (tests/testbed/systemd-tier up)"
ct() { "$TIER" exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
ct dpkg-query -W -f='${Status}' cloud-init 2>/dev/null | grep -q "install ok installed" ||
        skip "cloud-init is not in the container's image (an image older than this test?)"

failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
tmp=$(mktemp -d)
finish() {
        "$TIER" down >/dev/null 2>&1
        "$TIER" up >/dev/null 2>&1 || echo "FAIL: the tier does not come up again without a seed"
        rm -rf "$tmp"
}
trap finish EXIT

# seed NAME APPLY_ONLY: $tmp/NAME/ with meta-data and the example's user-data changed for the container
seed() {
        mkdir -p "$tmp/$1"
        printf 'instance-id: hostprep-%s\nlocal-hostname: hv-%s\n' "$1" "$1" >"$tmp/$1/meta-data"
        python3 - "$EXAMPLE" "/srv/hostprep-deb/$(basename "$deb")" "$2" >"$tmp/$1/user-data" <<'PY'
import sys, yaml
example, deb, apply_only = sys.argv[1:4]
text = open(example).read()
assert text.startswith("#cloud-config\n")
d = yaml.safe_load(text)
install, apply, check = d["runcmd"]
assert install[-1] == "hostprep" and apply[:2] == ["hostprep", "apply"] and "hostprep check" in check[-1]
install[-1] = deb
apply += ["--only", apply_only]
check[-1] = check[-1].replace("hostprep check", "hostprep check --only 'libvirt.*'", 1)
d["write_files"][0]["content"] = ("# cloud-init.sh: libvirt over plain TCP, in a container with only lo\n"
    "include = kvm-nfs\n\n[migrate]\ntransport = tcp\n\n[libvirt]\nauth_tcp = none\nallow_auth_none = yes\n")
print("#cloud-config")
print(yaml.safe_dump(d, sort_keys=False), end="")
PY
}

# boot NAME: the tier down and up again with NAME's seed; how long until systemd settled
boot() {
        local t0
        "$TIER" down >/dev/null 2>&1
        t0=$(date +%s%N)
        HOSTPREP_SYSTEMD_TIER_TIMEOUT=240 \
                HOSTPREP_SYSTEMD_TIER_BIND_RO="$tmp/$1:/var/lib/cloud/seed/nocloud $DEB_DIR:/srv/hostprep-deb" \
                "$TIER" up >"$tmp/$1.up" 2>&1 || { cat "$tmp/$1.up"; fail "$1: the tier does not boot with the seed"; return 1; }
        echo "$1: booted with the seed in $((($(date +%s%N) - t0) / 1000000)) ms"
}

# status NAME WANT_STATUS WANT_RC: `cloud-init status --wait --long` inside, under a deadline
status() {
        local rc
        ct timeout 240 cloud-init status --wait --long >"$tmp/$1.status" 2>&1
        rc=$?
        sed 's/^/  /' "$tmp/$1.status"
        grep -qx "status: $2" "$tmp/$1.status" || fail "$1: cloud-init status is not '$2'"
        [ "$rc" = "$3" ] || fail "$1: cloud-init status exited $rc, expected $3"
        ct cat /var/log/cloud-init-output.log >"$tmp/$1.output" 2>&1
        ct cat /var/log/cloud-init.log >"$tmp/$1.log" 2>&1
}

seed pass 'libvirt.*'
if boot pass; then
        status pass "done" 0
        grep -qx "hostprep check: exit 0" "$tmp/pass.output" || { fail "pass: no 'hostprep check: exit 0' in cloud-init-output.log"; tail -40 "$tmp/pass.output"; }
        [ "$(ct systemctl is-enabled libvirtd-tcp.socket)/$(ct systemctl is-active libvirtd-tcp.socket)" = enabled/active ] ||
                fail "pass: libvirtd-tcp.socket is not enabled and active after the first boot"
        ct ss -Htln 'sport = :16509' | grep -q . || fail "pass: nothing listens on 16509 after the first boot"
        ct dpkg-query -W hostprep >/dev/null 2>&1 || fail "pass: hostprep is not installed"
fi

seed fail libvirt.daemon
if boot fail; then
        status fail error 1
        grep -qx "hostprep check: exit 1" "$tmp/fail.output" || { fail "fail: no 'hostprep check: exit 1' in cloud-init-output.log"; tail -40 "$tmp/fail.output"; }
        grep -q "Exit code: 1" "$tmp/fail.log" || fail "fail: cloud-init.log does not give the runcmd script's exit code 1"
        grep -q "FAIL *libvirt.listen" "$tmp/fail.output" || fail "fail: the report in the output log has no FAIL of libvirt.listen"
fi

[ "$failures" = 0 ] || exit 1
echo "ok: cloud-init first boot: done and configured with hostprep passing, error with hostprep's exit 1 in the logs"

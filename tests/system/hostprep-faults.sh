#!/bin/bash
# Faults of the host during `hostprep apply`, on the booted systemd container (the systemd tier), from
# outside through --root /proc/LEADER/root, the NFS server's drop-in /etc/exports.d/hostprep.exports
# (an older version of it in place, so apply replaces a file):
#   - disk full: a 64 KiB tmpfs over /etc/exports.d, filled up: apply exits 3, the ERROR says "No space
#     left on device", the run is rolled back, the old drop-in is intact and nothing else changed;
#   - /etc read-only (a read-only bind mount over it): apply exits 3 with an ERROR saying so, nothing
#     changed.
# Checksums of /etc and /srv before and after each; every mount is undone, and rolling back every run
# restores the container as it was.
#   hostprep-faults.sh HOSTPREP
set -uo pipefail
HOSTPREP=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
TIER=$here/../testbed/systemd-tier

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
"$TIER" status >/dev/null 2>&1 || { echo "SKIP: the systemd tier is not up (tests/testbed/systemd-tier up)"; exit 77; }
LEADER=$(sed -n -E 's|^unix:path=/proc/([0-9]+)/root/.*|\1|p' <<<"$("$TIER" bus-address)")
[ -n "$LEADER" ] || { echo "FAIL: no container leader"; exit 1; }
R=/proc/$LEADER/root
DROPIN=/etc/exports.d/hostprep.exports
failures=0
tmp=$(mktemp -d)
ct() { timeout 30 "$TIER" exec "$@"; }
cleanup() {
        ct umount /etc/exports.d 2>/dev/null
        ct umount /etc 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

ARGS=(--root "$R" --role nfs-server --host ct --no-color --set hosts.hv1=hypervisor --set hosts.hv2=hypervisor
      --skip 'ssh.*' --skip 'nfs.export.service')
sums() { (cd "$R" && find etc srv -xdev \( -type f -o -type d -o -type l \) -printf '%y %m %u %p\n' 2>/dev/null |
        sort | while read -r t m u p; do
                if [ "$t" = f ]; then echo "$t $m $u $p $(sha256sum <"$p" | cut -c1-16)"; else echo "$t $m $u $p"; fi
        done); }
# the same below a mount point (find -xdev above stops at it)
sums_dir() { (cd "$R$1" && find . \( -type f -o -type d \) -printf '%y %m %p\n' | sort | while read -r t m p; do
        if [ "$t" = f ]; then echo "$t $m $p $(sha256sum <"$p" | cut -c1-16)"; else echo "$t $m $p"; fi
done); }
rollback_all() {
        "$HOSTPREP" rollback --root "$R" --list 2>/dev/null | awk '$2 != "rolled-back" {print $1}' | sort -r |
                while read -r run; do "$HOSTPREP" rollback --root "$R" "$run" >/dev/null 2>&1; done
}
latest_state() { "$HOSTPREP" rollback --root "$R" --list 2>/dev/null | awk 'NF >= 2 {s = $2} END {print s}'; }
runs() { "$HOSTPREP" rollback --root "$R" --list 2>/dev/null | grep -c '^[0-9]'; }
# an older drop-in of hostprep's own (one hypervisor only): apply rewrites it
OLD='# Written by hostprep (profile kvm-nfs): hostprep apply rewrites this, edit the profile instead.
/srv/nfs/images hv1(rw,sync,no_root_squash,no_subtree_check)'

rollback_all
ct mkdir -p /etc/exports.d && ct rm -f "$DROPIN"
base=$tmp/base.sums
sums >"$base"

# 1. disk full below /etc/exports.d
ct mount -t tmpfs -o size=64k,mode=0755 hostprep-test-full /etc/exports.d || { fail "cannot mount a tmpfs"; exit 1; }
printf '%s\n' "$OLD" >"$R$DROPIN"
old_sum=$(sha256sum <"$R$DROPIN")
ct sh -c 'dd if=/dev/zero of=/etc/exports.d/filler bs=4k 2>/dev/null; sync' # fails at ENOSPC: full
ct sh -c 'echo x >/etc/exports.d/probe' 2>/dev/null && fail "the tmpfs is not full"
sums >"$tmp/full.before"
sums_dir /etc/exports.d >"$tmp/full.dir.before"
n_runs=$(runs)
"$HOSTPREP" apply "${ARGS[@]}" >"$tmp/full" 2>&1
rc=$?
[ $rc = 3 ] || { fail "disk full: apply exited $rc, expected 3"; cat "$tmp/full"; }
grep -q '^ERROR .*No space left on device' "$tmp/full" || { fail "disk full: no ERROR saying ENOSPC"; cat "$tmp/full"; }
grep -q '(rolled back)\|^undo ' "$tmp/full" || { fail "disk full: the run was not rolled back"; cat "$tmp/full"; }
grep -q '^FIXED ' "$tmp/full" && fail "disk full: a result says FIXED although the run was rolled back"
[ "$(sha256sum <"$R$DROPIN")" = "$old_sum" ] || fail "disk full: the old drop-in did not survive intact"
sums | diff -u "$tmp/full.before" - || fail "disk full: /etc or /srv changed"
sums_dir /etc/exports.d | diff -u "$tmp/full.dir.before" - || fail "disk full: /etc/exports.d changed (a temporary file left?)"
[ "$(runs)" -gt "$n_runs" ] && [ "$(latest_state)" != rolled-back ] && fail "disk full: the run is $(latest_state), not rolled-back"
echo "disk full: exit $rc, $(grep -o 'No space left on device' "$tmp/full" | head -1), the old file intact, run $(latest_state)"
ct umount /etc/exports.d || fail "cannot unmount the tmpfs"

# 2. /etc read-only
sums >"$tmp/ro.before"
ct mount --bind /etc /etc && ct mount -o remount,bind,ro /etc || { fail "cannot make /etc read-only"; exit 1; }
ct sh -c 'touch /etc/hostprep-probe' 2>/dev/null && fail "/etc is not read-only"
"$HOSTPREP" apply "${ARGS[@]}" >"$tmp/ro" 2>&1
rc=$?
[ $rc = 3 ] || { fail "read-only /etc: apply exited $rc, expected 3"; cat "$tmp/ro"; }
grep -q '^ERROR .*[Rr]ead-only file system' "$tmp/ro" || { fail "read-only /etc: no ERROR saying so"; cat "$tmp/ro"; }
sums | diff -u "$tmp/ro.before" - || fail "read-only /etc: /etc or /srv changed"
echo "read-only /etc: exit $rc, $(grep -o '[^:(]*[Rr]ead-only file system' "$tmp/ro" | head -1)"
ct umount /etc || fail "cannot unmount the read-only /etc"

rollback_all
sums | diff -u "$base" - || fail "rolling back every run does not restore the container"
[ $failures = 0 ] && echo "all fault cases passed"
exit $((failures > 0))

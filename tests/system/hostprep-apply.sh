#!/bin/bash
# `hostprep apply` for the kvm-nfs nfs-server role on a booted systemd container (the systemd tier),
# from outside through --root /proc/LEADER/root and the container's own system bus:
#   - --dry-run leaves /etc and /srv unchanged (checksums);
#   - apply (the service skipped: the container's kernel has no nfsd) fixes the export, the re-check
#     says FIXED, a second apply changes nothing, rollback restores every file byte for byte;
#   - with the service, nfs-server.service is enabled, its start fails (no nfsd here), and the whole
#     run is rolled back: files and unit enablement as before;
#   - kill -9 at random moments of apply, 50 times: every touched file is its old or its new content,
#     and the next apply converges.
#   hostprep-apply.sh HOSTPREP
set -uo pipefail
HOSTPREP=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
TIER=$here/../testbed/systemd-tier
TRIALS=${HOSTPREP_KILL_TRIALS:-50}

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
"$TIER" status >/dev/null 2>&1 || { echo "SKIP: the systemd tier is not up (tests/testbed/systemd-tier up)"; exit 77; }
LEADER=$(sed -n -E 's|^unix:path=/proc/([0-9]+)/root/.*|\1|p' <<<"$("$TIER" bus-address)")
[ -n "$LEADER" ] || { echo "FAIL: no container leader"; exit 1; }
R=/proc/$LEADER/root
failures=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

ARGS=(--root "$R" --role nfs-server --host ct --no-color --set hosts.hv1=hypervisor --set hosts.hv2=hypervisor
      --skip 'ssh.*')
FILES_ONLY=(--skip 'nfs.export.service')

# what apply may touch, as checksums (not /var/lib/nfs: exportfs -r keeps its own state there, which a
# command's rollback cannot take back)
sums() { (cd "$R" && find etc srv -xdev \( -type f -o -type d -o -type l \) -printf '%y %m %u %p\n' 2>/dev/null |
        sort | while read -r t m u p; do
                if [ "$t" = f ]; then echo "$t $m $u $p $(sha256sum <"$p" | cut -c1-16)"; else echo "$t $m $u $p"; fi
        done); }
state() { "$TIER" exec systemctl is-enabled nfs-server.service 2>/dev/null; }
rollback_all() { # undo every recorded run, newest first
        "$HOSTPREP" rollback --root "$R" --list 2>/dev/null | awk '$2 != "rolled-back" {print $1}' | sort -r |
                while read -r run; do "$HOSTPREP" rollback --root "$R" "$run" >/dev/null 2>&1; done
}

rollback_all
base=$tmp/base.sums
sums >"$base"
base_enabled=$(state)

# 1. dry run
"$HOSTPREP" apply "${ARGS[@]}" "${FILES_ONLY[@]}" --dry-run >"$tmp/dry" 2>&1
grep -q '^+++ b/etc/exports.d/hostprep.exports' "$tmp/dry" || { fail "dry-run: no diff for the drop-in"; cat "$tmp/dry"; }
sums | cmp -s - "$base" || fail "dry-run changed the container"

# 2. apply, again, rollback
"$HOSTPREP" apply "${ARGS[@]}" "${FILES_ONLY[@]}" >"$tmp/apply" 2>&1
rc=$?
[ $rc = 0 ] || { fail "apply exited $rc"; cat "$tmp/apply"; }
grep -q '^FIXED  nfs.export.present' "$tmp/apply" || { fail "apply: nfs.export.present not FIXED"; cat "$tmp/apply"; }
"$HOSTPREP" check "${ARGS[@]}" "${FILES_ONLY[@]}" >"$tmp/check" 2>&1 || { fail "check after apply does not pass"; cat "$tmp/check"; }
"$HOSTPREP" apply "${ARGS[@]}" "${FILES_ONLY[@]}" >"$tmp/again" 2>&1
grep -q '^Nothing to change' "$tmp/again" || { fail "second apply changed something"; cat "$tmp/again"; }
"$HOSTPREP" rollback --root "$R" >"$tmp/rollback" 2>&1 || { fail "rollback failed"; cat "$tmp/rollback"; }
sums | diff -u "$base" - || fail "rollback: not byte-identical"
echo "files: dry-run, apply, second apply, rollback ok"

# 3. with the service: enabled, start fails without kernel nfsd, everything undone
"$HOSTPREP" apply "${ARGS[@]}" >"$tmp/service" 2>&1
rc=$?
[ $rc = 3 ] || { fail "apply with the service: exit $rc, expected 3 (start fails in a container)"; cat "$tmp/service"; }
grep -q 'done.*enable nfs-server.service' "$tmp/service" || { fail "nfs-server.service was not enabled"; cat "$tmp/service"; }
grep -q 'undo enable nfs-server.service' "$tmp/service" || fail "the enablement was not undone"
[ "$(state)" = "$base_enabled" ] || fail "nfs-server.service is $(state) after the rollback, was $base_enabled"
sums | diff -u "$base" - || fail "the failed run left changes"
echo "service: enable, failed start, rollback ok ($(state))"

# 4. kill -9 during apply
for i in $(seq 1 "$TRIALS"); do
        "$HOSTPREP" apply "${ARGS[@]}" "${FILES_ONLY[@]}" >/dev/null 2>&1 &
        pid=$!
        sleep "0.0$((RANDOM % 60))"
        kill -9 $pid 2>/dev/null
        wait $pid 2>/dev/null
        # the drop-in is absent or whole: never a partial file
        if [ -e "$R/etc/exports.d/hostprep.exports" ]; then
                lines=$(wc -l <"$R/etc/exports.d/hostprep.exports")
                tail -c1 "$R/etc/exports.d/hostprep.exports" | od -An -c | grep -q '\\n' && [ "$lines" = 2 ] ||
                        fail "trial $i: a partial hostprep.exports"
        fi
        ls "$R/etc/exports.d" 2>/dev/null | grep -v '^hostprep.exports$' | grep -q . && fail "trial $i: a temporary file left in /etc/exports.d"
        "$HOSTPREP" apply "${ARGS[@]}" "${FILES_ONLY[@]}" >"$tmp/converge" 2>&1 || { fail "trial $i: the next apply does not converge"; cat "$tmp/converge"; }
        rollback_all
        sums | cmp -s - "$base" || { fail "trial $i: rolling back every run does not restore the container"; sums | diff "$base" - | head; }
done
echo "kill -9: $TRIALS trials"

[ $failures = 0 ] && echo "all apply cases passed"
exit $((failures > 0))

#!/bin/bash
# Never hang on a dead NFS server, with a real kernel NFS mount: the NFS server VM is frozen (SIGSTOP
# to its QEMU), so hv1's hard mount blocks every process that touches it. `hostprep check --timeout 3`
# on hv1 must still end within the timeout + 1 s (plus the SSH hop), saying which check could not
# decide and why; then the server is thawed and everything passes again.
# Then the same for apply, whose fix() for nfs.mount stat()s the mount point: with hv1's fstab line gone
# (so nfs.mount has something to fix) and the server frozen, `hostprep apply --timeout 3` must end within
# its two deadlines (check, then the fixes) + 2 s, with ERROR for the fix that could not finish.
. "$(dirname "$0")/lib.sh"
require_tier

state=${HOSTPREP_VM_STATE_DIR:-/var/tmp/hostprep-vm-tier}
pid=$(cat "$state/nfs.pid" 2>/dev/null) || skip "no pid of the nfs VM in $state"
tmp=$(mktemp -d)
restore_fstab=:
trap 'kill -CONT "$pid" 2>/dev/null; $restore_fstab; rm -rf "$tmp"' EXIT

profile=$vm_profile
# ssh itself takes a moment under TCG: measure it, so only hostprep's share is judged
t0=$(date +%s%N); on hv1 true; ssh_ms=$((($(date +%s%N) - t0) / 1000000))

kill -STOP "$pid"
t0=$(date +%s%N)
printf '%s' "$profile" | on hv1 hostprep check --profile - --only 'nfs.*' --timeout 3 --format json >"$tmp/frozen.json" 2>"$tmp/err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
kill -CONT "$pid"
echo "frozen server: rc=$rc in $ms ms (ssh alone: $ssh_ms ms)"
[ $((ms - ssh_ms)) -le 4000 ] || bad "took $ms ms: more than --timeout 3 + 1 s beyond the ssh hop"
[ $rc = 3 ] || bad "exit code $rc, expected 3 (could not decide)"
python3 - "$tmp/frozen.json" <<'PY' || bad "the report does not say what hangs"
import json, sys
d = json.load(open(sys.argv[1]))
by = {}
for r in d["results"]:
    by.setdefault(r["id"], r)
    print(f"  {r['status']:5} {r['id']}: {r['message'][:110]}")
ok = (by.get("nfs.mount.mounted", {}).get("status") == "pass"
      and by.get("nfs.mount.responsive", {}).get("status") == "error"
      and "no answer" in by.get("nfs.mount.responsive", {}).get("message", ""))
sys.exit(0 if ok else 1)
PY

# thawed: the mount answers again
sleep 2
printf '%s' "$profile" | on hv1 hostprep check --profile - --only 'nfs.mount.responsive' --timeout 20 >"$tmp/thawed" 2>&1 ||
        { bad "after thawing, the mount does not answer"; cat "$tmp/thawed"; }

# apply: fix() runs in the unit's child under the deadline, so a fix stuck in the kernel is abandoned
on hv1 'cp /etc/fstab /root/fstab.hang-test && sed -i "\|/var/lib/libvirt/images|d" /etc/fstab' ||
        bad "hv1: cannot take the mount out of /etc/fstab"
restore_fstab='on hv1 cp /root/fstab.hang-test /etc/fstab'
kill -STOP "$pid"
# the mount point's attributes must not come from the client's cache (acdirmax is 60 s): stat() then
# asks the frozen server and blocks, as it does on a host whose server died a while ago
sleep 65
t0=$(date +%s%N)
printf '%s' "$profile" | on hv1 hostprep apply --profile - --only 'nfs.mount*' --timeout 3 --format json >"$tmp/apply.json" 2>"$tmp/apply.err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
kill -CONT "$pid"
on hv1 cp /root/fstab.hang-test /etc/fstab || bad "hv1: cannot put /etc/fstab back"
restore_fstab=:
echo "apply, frozen server: rc=$rc in $ms ms (ssh alone: $ssh_ms ms)"
[ $((ms - ssh_ms)) -le 8000 ] || bad "apply took $ms ms: more than 2 x --timeout 3 + 2 s beyond the ssh hop"
[ $rc = 1 ] || { bad "apply: exit code $rc, expected 1 (nfs.mount.persistent still fails)"; cat "$tmp/apply.err"; }
python3 - "$tmp/apply.json" <<'PY' || bad "apply's report does not say that the fix could not finish"
import json, sys
d = json.load(open(sys.argv[1]))
by = {}
for r in d["results"]:
    by.setdefault(r["id"], r)
    print(f"  {r['status']:5} {r['id']}: {r['message'][:110]}")
fix = by.get("nfs.mount", {})
ok = (by.get("nfs.mount.persistent", {}).get("status") == "fail"
      and by.get("nfs.mount.responsive", {}).get("status") == "error"
      and fix.get("status") == "error" and "fix did not finish within the deadline" in fix.get("message", ""))
sys.exit(0 if ok else 1)
PY
sleep 2
printf '%s' "$profile" | on hv1 hostprep check --profile - --only 'nfs.mount' --timeout 20 >"$tmp/thawed" 2>&1 ||
        { bad "after thawing and putting the fstab back, nfs.mount does not pass"; cat "$tmp/thawed"; }

[ $failures = 0 ] && echo "a frozen NFS server costs the deadline, never a hang (check and apply)"
exit $((failures > 0))

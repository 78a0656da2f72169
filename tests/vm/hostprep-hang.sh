#!/bin/bash
# Never hang on a dead NFS server, with a real kernel NFS mount: the NFS server VM is frozen (SIGSTOP
# to its QEMU), so hv1's hard mount blocks every process that touches it. `hostprep check --timeout 3`
# on hv1 must still end within the timeout + 1 s (plus the SSH hop), saying which check could not
# decide and why; then the server is thawed and everything passes again.
. "$(dirname "$0")/lib.sh"
require_tier

state=${HOSTPREP_VM_STATE_DIR:-/var/tmp/hostprep-vm-tier}
pid=$(cat "$state/nfs.pid" 2>/dev/null) || skip "no pid of the nfs VM in $state"
tmp=$(mktemp -d)
trap 'kill -CONT "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

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

[ $failures = 0 ] && echo "a frozen NFS server costs the deadline, never a hang"
exit $((failures > 0))

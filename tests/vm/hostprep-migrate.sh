#!/bin/bash
# `hostprep migrate` between the two VM hypervisors over the real NFS mount: the preflight passes
# without --force, libvirt accepts the disk on NFS as shared storage, the canary goes to hv2 and back
# with its memory intact and its heartbeat advancing, and nothing of it is left on either VM.
#   hostprep-migrate.sh CANARY_ELF
. "$(dirname "$0")/lib.sh"
require_tier
canary=$1
[ -r "$canary" ] || skip "no canary at $canary"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
on_nfs=/var/lib/libvirt/images/hostprep-canary.elf

profile=$vm_profile

# the canary's kernel on the shared mount: the same path on both hypervisors
on hv1 "cat > $on_nfs" <"$canary" || fail "copying the canary to hv1"

t0=$(date +%s%N)
# two migrations, each allowed the profile's stall_timeout without progress on a loaded machine
printf '%s' "$profile" | VM_CMD_TIMEOUT=500 on hv1 hostprep migrate --profile - --set "migrate.canary=$on_nfs" --to hv2 --round-trip \
        --format json >"$tmp/m.json" 2>"$tmp/m.err"
rc=$?
echo "hostprep migrate hv1 -> hv2 -> hv1: rc=$rc in $((($(date +%s%N) - t0) / 1000000)) ms"
python3 - "$tmp/m.json" <<'PY' || { cat "$tmp/m.err"; fail "the migration did not prove the pair"; }
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["results"]:
    print(f"  {r['status']:5} {r['id']}: {r['message']}")
m = d.get("migration", {})
print("  migration:", {k: m.get(k) for k in ("total_time_ms", "downtime_ms", "bytes_transferred", "heartbeat_before", "heartbeat_after", "migrations")})
ok = (d["summary"]["exit_code"] == 0 and m.get("migrations") == 2 and m.get("magic_ok")
      and m.get("heartbeat_after", 0) > m.get("heartbeat_before", 0))
sys.exit(0 if ok else 1)
PY
[ $rc = 0 ] || fail "exit code $rc"
for vm in hv1 hv2; do
        if on $vm virsh -q -c qemu:///system list --all --name | grep -q canary; then
                fail "a canary is left on $vm"
        fi
done
on hv1 rm -f "$on_nfs"
echo "the canary migrated over the real NFS mount and back; nothing left"

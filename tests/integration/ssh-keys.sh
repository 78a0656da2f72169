#!/bin/bash
# hostprep apply from a controller that reaches every host (h1): h2 no longer accepts h3's root key, so
# h3 cannot log in to h2. `apply --peer h2 --peer h3` collects every host's root key, hands them around,
# and each host appends what it lacks through its own journal: h2 reports ssh.root.authorized FIXED, h3's
# login to h2 passes, rollback on h2 restores its authorized_keys byte for byte, and no key file is left.
#   ssh-keys.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"
restore() {
        "$TB" exec h2 sh -c 'test -f /root/ak.test && mv /root/ak.test /root/.ssh/authorized_keys'
        rm -rf "$tmp"
}
trap restore EXIT

"$TB" exec h2 cp /root/.ssh/authorized_keys /root/ak.test
"$TB" exec h2 sed -i '/root@h3$/d' /root/.ssh/authorized_keys
"$TB" exec h2 cat /root/.ssh/authorized_keys >"$tmp/ak.without"
"$TB" exec h3 "$HOSTPREP" check --profile "$PROFILE" --only ssh.root.peer --no-color >"$tmp/before" 2>&1
grep -q '^FAIL   ssh.root.peer .*root@h2: the peer refuses the key' "$tmp/before" || { fail "h3 -> h2 is not refused"; cat "$tmp/before"; }

t0=$(date +%s%N)
"$TB" exec h1 "$HOSTPREP" apply --profile "$PROFILE" --set "ssh.hostprep=$HOSTPREP" --peer h2 --peer h3 \
        --only 'ssh.*' --format json >"$tmp/apply.json" 2>"$tmp/apply.err"
rc=$?
echo "apply --peer h2 --peer h3: rc=$rc in $((($(date +%s%N) - t0) / 1000000)) ms"
[ $rc = 0 ] || { fail "exit code $rc"; cat "$tmp/apply.err"; }
python3 - "$tmp/apply.json" <<'PY' || fail "the report does not show the keys handed around"
import json, sys
d = json.load(open(sys.argv[1]))
peers = {p["host"]["name"]: p["results"] for p in d.get("peers", [])}
h2 = {(r["id"], r["status"]) for r in peers.get("h2", [])}
h3 = [r for r in peers.get("h3", []) if r["id"] == "ssh.root.peer" and "h2" in r["message"]]
print("  h2:", sorted(h2))
ok = ("ssh.root.authorized", "fixed") in h2 and h3 and all(r["status"] == "pass" for r in h3)
sys.exit(0 if ok else 1)
PY
"$TB" exec h3 "$HOSTPREP" check --profile "$PROFILE" --only ssh.root.peer --no-color >"$tmp/after" 2>&1 ||
        { fail "h3 -> h2 still fails"; cat "$tmp/after"; }
for h in h1 h2 h3; do
        "$TB" exec $h sh -c 'ls /run/hostprep/authorized-keys.* 2>/dev/null' | grep -q . && fail "a key file is left on $h"
done
"$TB" exec h2 "$HOSTPREP" rollback >/dev/null 2>&1 || fail "rollback on h2 failed"
"$TB" exec h2 cat /root/.ssh/authorized_keys | cmp -s - "$tmp/ak.without" || fail "rollback on h2 is not byte-identical"

[ $failures = 0 ] && echo "keys handed around by the controller, rolled back on h2"
exit $((failures > 0))

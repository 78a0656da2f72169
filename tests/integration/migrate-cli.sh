#!/bin/bash
# `hostprep migrate` on the test bed, h2 -> h3 through libvirt (TCG): it refuses when the preflight
# fails, explains libvirt's "unsafe" refusal of storage it does not see as shared, migrates the canary
# there and back with its disk on an NBD export (network storage libvirt accepts as shared), and names an
# unreachable destination; never leaves a canary behind, and removes one that a run killed with -9 left.
#   migrate-cli.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"
"$HOSTPREP" help migrate | grep -q -- '--driver' || { echo "SKIP: hostprep built without migrate"; exit 77; }
command -v qemu-nbd >/dev/null || { echo "SKIP: qemu-nbd missing (qemu-utils)"; exit 77; }

PORT=10811
TAG=hostprep-cli-$$
finish() {
        "$TB" exec h1 sh -c "kill \$(cat /run/$TAG-nbd.pid) 2>/dev/null; rm -f /srv/nfs/$TAG.raw /run/$TAG-nbd.pid" || true
        rm -rf "$tmp"
}
trap finish EXIT

# migrate NAME WANT_RC ARGS...: on h2, JSON into $tmp/NAME.json
migrate() {
        local name=$1 want=$2 t0 rc
        shift 2
        t0=$(date +%s%N)
        "$TB" exec h2 "$HOSTPREP" migrate --profile "$PROFILE" --to h3 --format json "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
        rc=$?
        echo "$name: rc=$rc in $((($(date +%s%N) - t0) / 1000000)) ms"
        [ "$rc" = "$want" ] || { fail "$name: exit code $rc, expected $want"; cat "$tmp/$name.err"; head -c 2000 "$tmp/$name.json"; }
}

# result NAME ID STATUS SUBSTRING
result() {
        python3 - "$tmp/$1.json" "$2" "$3" "$4" <<'PY' || fail "$1: $2 is not $3 with '$4'"
import json, sys
path, rid, status, sub = sys.argv[1:5]
d = json.load(open(path))
ok = any(r["id"] == rid and r["status"] == status and sub in r["message"] for r in d["results"])
if not ok:
    print(json.dumps(d["results"], indent=1)[:1500])
sys.exit(0 if ok else 1)
PY
}

no_canary_left() {
        for h in h2 h3; do
                if "$TB" exec $h virsh -q -c qemu:///system list --all --name 2>/dev/null | grep -q canary; then
                        fail "$1: a canary is left on $h"
                fi
        done
}

# 1. the bed's images directory is a stand-in, not NFS: the preflight fails, nothing is migrated
migrate refuse 1
result refuse migrate.preflight fail "not migrating"
result refuse nfs.mount.mounted fail "not over NFS"
no_canary_left refuse

# 2. with --force, libvirt itself refuses the file disk: hostprep says why
migrate unsafe 1 --force
result unsafe migrate.run fail "shared"
# the driver classifies the refusal (unsafe storage), and this side's mount goes with it as evidence
python3 - "$tmp/unsafe.json" <<'PY' || fail "unsafe: migrate.run does not carry nfs.mount.mounted's evidence"
import json, sys
seen = {r["id"]: r.get("evidence") for r in json.load(open(sys.argv[1]))["results"]}
sys.exit(0 if seen.get("migrate.run") and seen["migrate.run"] == seen.get("nfs.mount.mounted") else 1)
PY
no_canary_left unsafe

# 3. the canary's disk on NBD from h1: there and back, memory intact, heartbeat advancing
"$TB" exec h1 truncate -s 1M /srv/nfs/$TAG.raw
"$TB" exec h1 qemu-nbd --fork --persistent --shared=8 --bind=10.213.0.11 --port=$PORT --export-name=$TAG \
        --format=raw --cache=none --pid-file=/run/$TAG-nbd.pid /srv/nfs/$TAG.raw
migrate round_trip 0 --force --round-trip --disk nbd://10.213.0.11:$PORT/$TAG
result round_trip migrate.run pass "and back"
python3 - "$tmp/round_trip.json" <<'PY' || fail "round_trip: the migration's numbers are wrong"
import json, sys
m = json.load(open(sys.argv[1]))["migration"]
print("  migration:", {k: m[k] for k in ("total_time_ms", "downtime_ms", "bytes_transferred", "heartbeat_before", "heartbeat_after")})
ok = m["migrations"] == 2 and m["magic_ok"] and m["heartbeat_after"] > m["heartbeat_before"] and m["bytes_transferred"] > 0
sys.exit(0 if ok else 1)
PY
no_canary_left round_trip

# 3b. the same over qemu+ssh (root's keys and known host keys, as ssh.root checks them)
migrate ssh_transport 0 --force --round-trip --disk nbd://10.213.0.11:$PORT/$TAG --set migrate.transport=ssh
result ssh_transport migrate.run pass "and back"
no_canary_left ssh_transport

# 4. the destination's libvirtd is gone: named, with its address and port
"$TB" kill h3 libvirtd >/dev/null
migrate dest_down 1 --force --disk nbd://10.213.0.11:$PORT/$TAG
result dest_down migrate.run fail "16509"
"$TB" restart h3 libvirtd >/dev/null 2>&1 || fail "restarting h3's libvirtd failed"
no_canary_left dest_down

# 5. the migration port dropped on h3 (libvirt's first of 49152-49215): no data arrives, the job is
#    aborted, the canary is cleaned up on the source
#    (QEMU's connect to the dropped port ends only with the kernel's SYN retries, ~2 min by default, and
#    libvirt cannot cancel it before; fewer retries in h2's namespace keep the test short)
syn=$(ip netns exec hptb-h2 sysctl -n net.ipv4.tcp_syn_retries)
ip netns exec hptb-h2 sysctl -qw net.ipv4.tcp_syn_retries=2
"$TB" block h3 49152 drop >/dev/null
migrate port_blocked 1 --force --disk nbd://10.213.0.11:$PORT/$TAG
result port_blocked migrate.run fail "49152"
"$TB" unblock h3 49152 >/dev/null
ip netns exec hptb-h2 sysctl -qw net.ipv4.tcp_syn_retries="$syn"
no_canary_left port_blocked

# 6. kill -9 of a migrate whose canary runs: the canary stays (nothing could clean up), and the next run
#    removes it first (it carries this host's marker and its run is gone), then migrates as usual
"$TB" exec h2 "$HOSTPREP" migrate --profile "$PROFILE" --to h3 --format json --force --round-trip \
        --disk nbd://10.213.0.11:$PORT/$TAG >"$tmp/killed.json" 2>"$tmp/killed.err" &
bg=$!
for _ in $(seq 1 240); do
        "$TB" exec h2 virsh -q -c qemu:///system list --name 2>/dev/null | grep -q canary && break
        sleep 0.5
done
pid=$(pgrep -f "hostprep migrate .*nbd://10.213.0.11:$PORT/$TAG" | head -1)
[ -n "$pid" ] && kill -9 "$pid"
wait "$bg" 2>/dev/null
left=$(for h in h2 h3; do "$TB" exec $h virsh -q -c qemu:///system list --all --name 2>/dev/null; done | grep -c canary)
[ "$left" -ge 1 ] || fail "killed: no canary was left after kill -9 (pid ${pid:-none}): the case proves nothing"
echo "killed: pid ${pid:-none} killed, $left canary left"
migrate after_kill 0 --force --disk nbd://10.213.0.11:$PORT/$TAG
# killed mid-migration the canary can be on both hosts for a moment (the destination's incoming one, which
# libvirt may remove itself as the aborted job ends): the next run removes at least one, at most what was
# counted, and none is left afterwards
python3 - "$tmp/after_kill.json" "$left" <<'PY' || fail "after_kill: migrate.cleanup does not say it removed 1..$left canaries"
import json, re, sys
rs = [r for r in json.load(open(sys.argv[1]))["results"] if r["id"] == "migrate.cleanup"]
m = re.search(r"(\d+) canary guest", rs[0]["message"]) if rs and rs[0]["status"] == "pass" else None
print("  migrate.cleanup:", rs[0]["message"] if rs else "none")
sys.exit(0 if m and 1 <= int(m.group(1)) <= int(sys.argv[2]) else 1)
PY
result after_kill migrate.run pass "moved to"
grep -q "removed the canary hostprep-canary-" "$tmp/after_kill.err" || fail "after_kill: stderr does not say what it removed"
no_canary_left after_kill

[ $failures = 0 ] && echo "all migrate cases passed"
exit $((failures > 0))

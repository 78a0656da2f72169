#!/bin/bash
# host.virt on the namespace test bed, on the running hosts (no --root: devices really opened, the shared
# mount really measured). h2 and h3 have a private /dev without /dev/kvm: the unit says TCG works but is
# slow (a WARN, not a FAIL), opens /dev/net/tun, and finds h2's shared images directory with room for the
# canary. h1 keeps the machine's /dev: as a hypervisor there, /dev/kvm is opened and asked its API
# version when the machine has one. Then cross.cgroups from h2 with h3 as its peer over SSH: the same
# cgroup version (the hosts share the machine's kernel).
#   host-virt.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"

trap 'rm -rf "$tmp"' EXIT

# check NAME HOST WANT_RC ARGS...: hostprep check --only host.virt on HOST, JSON into $tmp/NAME.json
check() {
        local name=$1 host=$2 want_rc=$3 t0 rc ms
        shift 3
        t0=$(date +%s%N)
        "$TB" exec "$host" "$HOSTPREP" check --profile "$PROFILE" --format json "$@" \
                >"$tmp/$name.json" 2>"$tmp/$name.err"
        rc=$?
        ms=$((($(date +%s%N) - t0) / 1000000))
        echo "$name: rc=$rc in ${ms} ms"
        [ "$rc" = "$want_rc" ] || { fail "$name: exit code $rc, expected $want_rc"; cat "$tmp/$name.err"; }
}

# expect NAME ID STATUS REASON [MESSAGE-SUBSTRING]: this host's result, or with WHERE=cross a comparison
expect() {
        python3 - "$tmp/$1.json" "$2" "$3" "$4" "${5:-}" "${WHERE:-host}" <<'PY' || fail "$1: $2 is not $3/$4"
import json, sys
path, rid, status, reason, sub, where = sys.argv[1:7]
d = json.load(open(path))
rs = [r for r in d["comparisons" if where == "cross" else "results"] if r["id"] == rid]
ok = rs and all(r["status"] == status and r["reason"] == reason and sub in r["message"] for r in rs)
print(f"  {rid}: " + "; ".join(f"{r['status']} {r['reason']}: {r['message']}" for r in rs))
if not ok:
    print(f"  {rid}: expected {status}/{reason} with '{sub}'")
sys.exit(0 if ok else 1)
PY
}

# What the machine's kernel offers decides a few answers; the bed's hosts share it.
if [ -e /dev/vhost-net ]; then vhost=(pass vhost_usable); else vhost=(warn no_vhost_net); fi

for h in h2 h3; do
        "$TB" exec "$h" test ! -e /dev/kvm || fail "$h has /dev/kvm: the bed is not as this test expects"
        check "$h" "$h" 0 --only host.virt
        expect "$h" host.virt.kvm warn no_kvm "TCG"
        expect "$h" host.virt.nested skip not_needed
        expect "$h" host.virt.tun pass tun_usable "/dev/net/tun opens read-write"
        expect "$h" host.virt.vhost_net "${vhost[@]}"
        expect "$h" host.virt.memory pass enough_memory
        expect "$h" host.virt.disk pass room "/var/lib/libvirt/images has"
done
# the cgroup answer on the hosts is the machine's, as the facts say it
version=$("$TB" exec h2 "$HOSTPREP" facts --json --profile "$PROFILE" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["cgroup"]["version"])') ||
        fail "h2's facts have no cgroup version"
python3 - "$tmp/h2.json" "$version" <<'PY' || fail "h2: host.virt.cgroup disagrees with the facts"
import json, sys
r = next(r for r in json.load(open(sys.argv[1]))["results"] if r["id"] == "host.virt.cgroup")
print(f"  host.virt.cgroup: {r['status']} {r['reason']}: {r['message']}")
sys.exit(0 if r["status"] in ("pass", "warn") and f"cgroup {sys.argv[2]} " in r["message"] else 1)
PY
# nested asked for where there is no KVM: nothing to nest in, not a FAIL
check h2_nested h2 0 --only host.virt --set guests.nested=yes
expect h2_nested host.virt.nested skip no_kvm

# h1 has the machine's /dev: its /dev/kvm is opened read-write and answers KVM_GET_API_VERSION
if [ -c /dev/kvm ]; then
        check h1 h1 0 --only host.virt --role hypervisor
        expect h1 host.virt.kvm pass kvm_usable "KVM API version 12"
else
        echo "h1: not tested (the machine has no /dev/kvm)"
fi

# the cgroup versions compared across the hypervisors, h3 answering over SSH
check cross h2 0 --only host.virt,cross.cgroups --set "ssh.hostprep=$HOSTPREP" --peer h3
WHERE=cross expect cross cross.cgroups pass same_version "cgroup $version on all 2 hypervisors"

[ "$failures" = 0 ] || exit 1
echo "ok"

#!/bin/bash
# hostprep checking three hosts of the test bed at once over real SSH, and comparing them: all good,
# then one fault at a time (a removed authorized key, a changed host key, a frozen sshd, a shared host
# UUID, a different qemu uid, a peer that answers garbage), each restored afterwards.
#   peers.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"

trap 'rm -rf "$tmp"' EXIT

# run NAME MAX_SECONDS ARGS...: hostprep check on h1 with h2 and h3 as peers, JSON into $tmp/NAME.json
run() {
        local name=$1 max=$2 t0 ms rc
        shift 2
        t0=$(date +%s%N)
        "$TB" exec h1 "$HOSTPREP" check --profile "$PROFILE" --set "ssh.hostprep=$HOSTPREP" \
                --peer h2 --peer h3 --format json "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
        rc=$?
        ms=$((($(date +%s%N) - t0) / 1000000))
        echo "$name: rc=$rc in ${ms} ms"
        if ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/$name.json" 2>/dev/null; then
                echo "FAIL $name: the report is not JSON"; head -c 600 "$tmp/$name.json"; cat "$tmp/$name.err"
                failures=$((failures + 1))
        fi
        if [ "$ms" -gt $((max * 1000)) ]; then
                echo "FAIL $name: took ${ms} ms, more than ${max} s"; failures=$((failures + 1))
        fi
}

# expect NAME WHERE ID STATUS [SUBSTRING]: WHERE is h1, h2, h3 (a host's results) or cross (comparisons).
# With several results of that id, one of them must match.
expect() {
        if ! python3 - "$tmp/$1.json" "$2" "$3" "$4" "${5:-}" <<'PY'; then
import json, sys
path, where, rid, status, sub = sys.argv[1:6]
d = json.load(open(path))
if where == "cross":
    rs = d.get("comparisons", [])
elif where == d["host"]["name"]:
    rs = d["results"]
else:
    rs = next((p["results"] for p in d.get("peers", []) if p["host"]["name"] == where), [])
rs = [r for r in rs if r["id"] == rid]
ok = any(r["status"] == status and sub in r["message"] for r in rs)
if not ok:
    print(f"  {where} {rid}: expected {status} with '{sub}', got " + json.dumps(rs)[:800])
sys.exit(0 if ok else 1)
PY
                echo "FAIL $1: $2 $3 is not $4"; failures=$((failures + 1))
        fi
}

# 1. everything as the bed sets it up
run good 15
for h in h1 h2 h3; do
        expect good $h ssh.root.key pass
        expect good $h ssh.root.peer pass
        expect good $h ssh.root.sshd pass
done
expect good h2 nfs.access.root pass
expect good cross cross.host_uuid pass
expect good cross cross.qemu_ids pass
expect good cross cross.names pass
expect good cross cross.clock pass
# the same Debian packages on every host: the same libvirt and QEMU, compared by number
expect good cross cross.versions pass "libvirt "
expect good cross cross.versions pass "QEMU "

# 2. h3 no longer accepts root's keys
"$TB" exec h3 mv /root/.ssh/authorized_keys /root/.ssh/authorized_keys.off
run no_key 15
expect no_key h1 ssh.root.peer fail "Permission denied (publickey)"
expect no_key h3 peer.reach error "Permission denied (publickey)"
expect no_key h2 ssh.root.peer pass
"$TB" exec h3 mv /root/.ssh/authorized_keys.off /root/.ssh/authorized_keys

# 3. h1 remembers another host key for h2 than h2 has
"$TB" exec h1 cp /root/.ssh/known_hosts /root/.ssh/known_hosts.orig
ssh-keygen -q -t ed25519 -N '' -f "$tmp/otherkey" >/dev/null
other=$(cut -d' ' -f1,2 "$tmp/otherkey.pub")
"$TB" exec h1 sed -i -E "s|^(h2[^ ]*) .*$|\\1 $other|" /root/.ssh/known_hosts
run changed_key 15
expect changed_key h1 ssh.root.peer fail "CHANGED"
expect changed_key h2 peer.reach error "CHANGED"
"$TB" exec h1 mv /root/.ssh/known_hosts.orig /root/.ssh/known_hosts

# 4. h3's sshd frozen: h3 costs its timeout, h2 still reports
"$TB" freeze h3 sshd
run frozen 6 --timeout 4
expect frozen h3 peer.reach error
expect frozen h2 ssh.root.key pass
expect frozen h1 ssh.root.peer fail "sends no SSH banner"
"$TB" thaw h3 sshd

# 5. h3 claims h2's host UUID
"$TB" exec h3 cp /etc/libvirt/libvirtd.conf /etc/libvirt/libvirtd.conf.orig
uuid2=$("$TB" exec h2 sed -n -E 's/^host_uuid *= *"([^"]*)".*/\1/p' /etc/libvirt/libvirtd.conf)
"$TB" exec h3 sed -i -E "s/^host_uuid *=.*/host_uuid = \"$uuid2\"/" /etc/libvirt/libvirtd.conf
run same_uuid 15
expect same_uuid cross cross.host_uuid fail "same host UUID"
"$TB" exec h3 mv /etc/libvirt/libvirtd.conf.orig /etc/libvirt/libvirtd.conf

# 6. the qemu user has another uid on h3
"$TB" exec h3 cp /etc/passwd /etc/passwd.orig
"$TB" exec h3 sed -i -E 's/^(libvirt-qemu:[^:]*:)[0-9]+:/\14242:/' /etc/passwd
run qemu_uid 15
expect qemu_uid cross cross.qemu_ids fail "different ids"
"$TB" exec h3 mv /etc/passwd.orig /etc/passwd

# 7. a peer whose hostprep prints garbage: an ERROR for that host, never a crash
cat >"$tmp/garbage-hostprep" <<SH
#!/bin/sh
if [ "\$(hostname)" = h3 ]; then cat >/dev/null; echo '{"schema": 1, "results": [ {"id": '; exit 1; fi
exec "$HOSTPREP" "\$@"
SH
chmod +x "$tmp/garbage-hostprep"
t0=$(date +%s%N)
"$TB" exec h1 "$HOSTPREP" check --profile "$PROFILE" --set "ssh.hostprep=$tmp/garbage-hostprep" --peer h2 --peer h3 \
        --format json >"$tmp/garbage.json" 2>"$tmp/garbage.err"
rc=$?
echo "garbage: rc=$rc in $((($(date +%s%N) - t0) / 1000000)) ms"
[ $rc -le 3 ] || { echo "FAIL garbage: exit code $rc (a crash?)"; cat "$tmp/garbage.err"; failures=$((failures + 1)); }
expect garbage h3 peer.reach error "malformed JSON"
expect garbage h2 ssh.root.key pass

[ $failures = 0 ] && echo "all peer cases passed"
exit $((failures > 0))

#!/bin/bash
# hostprep's NFS units against the namespace test bed's real nfs-ganesha (h1) from h1 and h2:
# a good export, a root-squash export, a missing export, a host that is no client, and a frozen,
# firewalled and stopped server, each of which must end within --timeout + 1 s with ERROR.
#   nfs-units.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"

trap 'rm -rf "$tmp"' EXIT

# check NAME HOST WANT_RC MAX_SECONDS ARGS... : runs hostprep check on HOST as JSON into $tmp/NAME.json
check() {
        local name=$1 host=$2 want_rc=$3 max=$4 t0 t1 rc ms
        shift 4
        t0=$(date +%s%N)
        "$TB" exec "$host" "$HOSTPREP" check --profile "$PROFILE" --format json "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
        rc=$?
        t1=$(date +%s%N)
        ms=$(((t1 - t0) / 1000000))
        echo "$name: rc=$rc in ${ms} ms"
        if [ "$rc" != "$want_rc" ]; then
                echo "FAIL $name: exit code $rc, expected $want_rc"; cat "$tmp/$name.err"; failures=$((failures + 1))
        fi
        if [ "$ms" -gt $((max * 1000)) ]; then
                echo "FAIL $name: took ${ms} ms, more than ${max} s"; failures=$((failures + 1))
        fi
}

# expect NAME ID STATUS [MESSAGE-SUBSTRING]
expect() {
        if ! python3 - "$tmp/$1.json" "$2" "$3" "${4:-}" <<'PY'; then
import json, sys
path, rid, status, sub = sys.argv[1:5]
d = json.load(open(path))
rs = [r for r in d["results"] if r["id"] == rid]
ok = rs and all(r["status"] == status for r in rs) and all(sub in r["message"] for r in rs)
if not ok:
    print(f"  {rid}: expected {status} with '{sub}', got " + json.dumps(rs))
sys.exit(0 if ok else 1)
PY
                echo "FAIL $1: $2 is not $3"; failures=$((failures + 1))
        fi
}

# The server's side: exports parse, reach h2 and h3 with the right options, a server listens.
check server h1 0 5
for id in nfs.export.files nfs.export.present nfs.export.client nfs.export.rw nfs.export.root_squash \
        nfs.export.service nfs.export.directory nfs.storage.direct_io; do
        expect server "$id" pass
done

# A hypervisor: h1 answers, root stays root, the qemu user's chown sticks (proven with a probe file).
check good h2 1 5 # 1: the stand-in bind mount is not NFS (nfs.mount.mounted fails, as it should)
expect good nfs.access.exports pass
expect good nfs.access.root pass
expect good nfs.access.qemu_user pass
expect good nfs.mount.mounted fail "not over NFS"
if "$TB" exec h1 sh -c 'ls -A /srv/nfs/images' | grep -q hostprep-probe; then
        echo "FAIL good: a probe file was left on the export"; failures=$((failures + 1))
fi

check squashed h2 1 5 --only 'nfs.access*' --set nfs.export=/srv/nfs/squashed
expect squashed nfs.access.root fail "root is squashed"

check missing h2 1 5 --only 'nfs.access*' --set nfs.export=/srv/nfs/nothing
expect missing nfs.access.exports fail "does not list"

# h1 exports /srv/nfs/images to h3 only: h2 is no client any more.
"$TB" exec h1 cp /etc/exports /etc/exports.hostprep-test
"$TB" exec h1 sh -c 'echo "/srv/nfs/images h3(rw,sync,no_root_squash,no_subtree_check)" >/etc/exports'
if "$TB" restart h1 ganesha >/dev/null 2>&1; then
        check wrong_client h2 1 5 --only 'nfs.access*'
        expect wrong_client nfs.access.exports fail
else
        echo "FAIL wrong_client: restarting ganesha failed"; failures=$((failures + 1))
fi
"$TB" exec h1 mv /etc/exports.hostprep-test /etc/exports
"$TB" restart h1 ganesha >/dev/null 2>&1 || { echo "FAIL: restoring ganesha failed"; failures=$((failures + 1)); }

# Never hang: frozen server, dropped packets, stopped server. --timeout 2: done within 3 s.
"$TB" freeze h1 ganesha
check frozen h2 3 3 --only 'nfs.access*' --timeout 2
expect frozen nfs.access.exports error "h1"
"$TB" thaw h1 ganesha

for port in 111 2049 20048; do "$TB" block h1 $port drop; done
check dropped h2 3 3 --only 'nfs.access*' --timeout 2
expect dropped nfs.access.exports error "did not answer within"
for port in 111 2049 20048; do "$TB" unblock h1 $port; done

"$TB" kill h1 ganesha
check stopped h2 3 3 --only 'nfs.access*' --timeout 2
expect stopped nfs.access.exports error
"$TB" restart h1 ganesha >/dev/null 2>&1 || { echo "FAIL: restarting ganesha failed"; failures=$((failures + 1)); }

# and the bed is as it was
check after h2 0 5 --only 'nfs.access*'
expect after nfs.access.root pass

[ $failures = 0 ] && echo "all NFS unit cases passed"
exit $((failures > 0))

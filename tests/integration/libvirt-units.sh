#!/bin/bash
# hostprep's libvirt units against the namespace test bed's real libvirtd: h2 and h3 run it
# traditionally (libvirtd -d --listen, no service unit), listen_tcp = 1 and auth_tcp = "none" in the
# bed's libvirtd.conf. On h2 the listener is found in h2's own socket table and auth "none" FAILs
# unless the profile opts in; h1 runs no libvirtd, so there (as a hypervisor) the daemon and the
# listener FAIL (the bed's hosts share /usr but not their network namespaces: h1's socket table has
# none of h2's listeners). Each check ends well under a second.
#   libvirt-units.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"

trap 'rm -rf "$tmp"' EXIT

# check NAME HOST WANT_RC ARGS... : hostprep check --only 'libvirt.*' on HOST as JSON into $tmp/NAME.json
check() {
        local name=$1 host=$2 want_rc=$3 t0 rc ms
        shift 3
        t0=$(date +%s%N)
        "$TB" exec "$host" "$HOSTPREP" check --profile "$PROFILE" --only 'libvirt.*' --format json "$@" \
                >"$tmp/$name.json" 2>"$tmp/$name.err"
        rc=$?
        ms=$((($(date +%s%N) - t0) / 1000000))
        echo "$name: rc=$rc in ${ms} ms"
        [ "$rc" = "$want_rc" ] || { fail "$name: exit code $rc, expected $want_rc"; cat "$tmp/$name.err"; }
        # nothing here waits for a deadline: well under the 10 s one even on a loaded machine (no timing
        # beyond that is asserted; bench/ measures speed)
        [ "$ms" -lt 5000 ] || fail "$name: took ${ms} ms, as if it waited for the deadline"
}

# expect NAME ID STATUS [MESSAGE-SUBSTRING]
expect() {
        python3 - "$tmp/$1.json" "$2" "$3" "${4:-}" <<'PY' || fail "$1: $2 is not $3"
import json, sys
path, rid, status, sub = sys.argv[1:5]
rs = [r for r in json.load(open(path))["results"] if r["id"] == rid]
ok = rs and all(r["status"] == status and sub in r["message"] for r in rs)
if not ok:
    print(f"  {rid}: expected {status} with '{sub}', got " + json.dumps(rs))
sys.exit(0 if ok else 1)
PY
}

pid=$("$TB" exec h2 cat /run/libvirtd.pid) || fail "h2 has no libvirtd pid file"

check h2 h2 1
expect h2 libvirt.daemon.installed pass
expect h2 libvirt.daemon.model pass "no service unit"
expect h2 libvirt.daemon.running pass "pid $pid"
expect h2 libvirt.daemon.args pass "--listen"
expect h2 libvirt.listen.configured pass "port 16509 of 10.213.0.12"
expect h2 libvirt.listen.port pass "16509"
expect h2 libvirt.listen.auth fail 'auth_tcp = "none"'
# a real connection to the peer hypervisor h3 (the profile's NFS server h1 is no peer of libvirt)
expect h2 libvirt.listen.peer pass "h3: connected over qemu+tcp://h3/system: libvirt "

check h2_allowed h2 0 --set libvirt.allow_auth_none=yes
expect h2_allowed libvirt.listen.port pass
expect h2_allowed libvirt.listen.auth pass "allows"

# h1 runs no libvirtd (the program is there: the hosts share /usr); as a hypervisor it must FAIL
check h1 h1 1 --role hypervisor
expect h1 libvirt.daemon.running fail "does not run"
expect h1 libvirt.listen.port fail "nothing listens on TCP port 16509"
# h1's own libvirtd does not matter for its connections to h2 and h3, which both answer
expect h1 libvirt.listen.peer pass "connected over qemu+tcp://"

# TLS: the bed's libvirtd.conf says listen_tls = 0, so no TLS port is configured
check h2_tls h2 1 --set migrate.transport=tls
expect h2_tls libvirt.listen.configured fail "listen_tls is 0"
expect h2_tls libvirt.listen.tls fail "missing" # the server's files and the client's
# h2 has no CA certificate of its own: libvirt's TLS client fails before it connects to h3
expect h2_tls libvirt.listen.peer fail "qemu+tls://h3/system: the TLS session failed"

[ "$failures" = 0 ] && echo "all libvirt unit cases passed"
exit $((failures > 0))

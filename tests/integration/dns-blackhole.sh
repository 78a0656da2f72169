#!/bin/bash
# DNS answers that never come (issue 16's fault matrix): h2's resolver is h1, whose port 53 drops every
# query, and the peer is named by a name only DNS could give. Every check that reaches the peer still
# ends at its deadline, and says what it knows:
# 1. libvirt.listen.peer: FAIL resolve_timeout (the name never resolved) within --timeout 4;
# 2. ssh.root.peer: a result within --timeout 4 (ssh's own lookup is what hangs: ERROR at the deadline);
# 3. the whole check with that peer: ends within the deadlines it is given, the peer's facts an ERROR.
# h2's resolv.conf and h1's port are restored on exit.
#   dns-blackhole.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"

peer=dnsonly-h3.hostprep.test
restore() {
        "$TB" exec h2 sh -c 'if [ -e /etc/resolv.conf.hptb ] || [ -L /etc/resolv.conf.hptb ]; then
                rm -f /etc/resolv.conf && mv /etc/resolv.conf.hptb /etc/resolv.conf; fi' >/dev/null 2>&1
        "$TB" unblock h1 53 >/dev/null 2>&1
        rm -rf "$tmp"
}
trap restore EXIT

# h2 asks h1 (a 30 s resolver timeout, one attempt: far longer than any deadline below)
"$TB" exec h2 sh -c 'mv /etc/resolv.conf /etc/resolv.conf.hptb 2>/dev/null;
        printf "nameserver 10.213.0.11\noptions timeout:30 attempts:1\n" >/etc/resolv.conf' ||
        fail "cannot set h2's resolver"
"$TB" block h1 53 drop >/dev/null || fail "cannot block h1's port 53"
"$TB" exec h2 grep -q "$peer" /etc/hosts && fail "$peer is in h2's /etc/hosts"

# run NAME MAX_SECONDS ARGS...: hostprep check on h2 with the DNS-only peer, JSON into $tmp/NAME.json
run() {
        local name=$1 max=$2 t0 ms rc
        shift 2
        t0=$(date +%s%N)
        timeout 120 "$TB" exec h2 "$HOSTPREP" check --profile "$PROFILE" --peer "$peer" --format json "$@" \
                >"$tmp/$name.json" 2>"$tmp/$name.err"
        rc=$?
        ms=$((($(date +%s%N) - t0) / 1000000))
        echo "$name: rc=$rc in ${ms} ms"
        ((ms < max * 1000)) || fail "$name: took $ms ms, more than $max s: something waited for the resolver"
        python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/$name.json" 2>/dev/null ||
                { fail "$name: the report is not JSON"; head -c 400 "$tmp/$name.err"; }
}

run libvirt 12 --only libvirt.listen --timeout 4
# (the profile's own h3 is a peer too, reached by its /etc/hosts name: its result is left alone)
python3 - "$tmp/libvirt.json" "$peer" <<'PY' || fail "libvirt: libvirt.listen.peer for $peer is not FAIL resolve_timeout naming it"
import json, sys
peer = sys.argv[2]
rs = [r for r in json.load(open(sys.argv[1]))["results"] if r["id"] == "libvirt.listen.peer" and peer in r["message"]]
ok = len(rs) == 1 and rs[0]["status"] == "fail" and rs[0]["reason"] == "resolve_timeout" and \
    "no answer from the resolver" in rs[0]["message"] and peer in rs[0]["hint"]
print("  libvirt.listen.peer:", json.dumps(rs))
sys.exit(0 if ok else 1)
PY

run ssh 12 --only ssh.root --timeout 4
python3 - "$tmp/ssh.json" "$peer" <<'PY' || fail "ssh: no ssh.root.peer result for the peer"
import json, sys
rs = [r for r in json.load(open(sys.argv[1]))["results"] if r["id"] == "ssh.root.peer" and sys.argv[2] in r["message"]]
assert rs and all(r["status"] in ("error", "fail") for r in rs), rs
print("  ssh.root.peer:", rs[0]["status"], rs[0]["reason"], "-", rs[0]["message"])
PY

# every unit, the peer's facts too: each waits at most its own deadline
run all 60 --timeout 4

[ "$failures" = 0 ] && echo "all DNS blackhole cases passed"
exit $((failures > 0))

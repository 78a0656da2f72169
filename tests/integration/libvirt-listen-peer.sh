#!/bin/bash
# libvirt.listen.peer on the test bed: h2 opens a real libvirt connection (qemu+tcp, auth_tcp "none" in
# the bed) to its peer hypervisor h3:
# 1. as the bed is: PASS naming h3's libvirt version and the host name h3's libvirtd reports;
# 2. h3's libvirtd frozen (SIGSTOP): TCP connects (the kernel accepts) but libvirt's connection never
#    completes: FAIL "no_answer" within --timeout 3, naming the stuck daemon;
# 3. h3's port 16509 rejected by nftables (TCP reset, as for a stopped libvirtd): FAIL "refused";
# 4. h3's port 16509 dropped by nftables (a filtering firewall): FAIL "filtered" within --timeout 3.
# Every change is undone on exit (thawed, unblocked).
#   libvirt-listen-peer.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"

restore() {
        "$TB" thaw h3 libvirtd >/dev/null 2>&1
        "$TB" unblock h3 16509 >/dev/null 2>&1
        rm -rf "$tmp"
}
trap restore EXIT

# check_h2 NAME ARGS...: this unit on h2 as JSON into $tmp/NAME.json; prints how long it took (ms)
check_h2() {
        local name=$1 t0
        shift
        t0=$(date +%s%3N)
        "$TB" exec h2 "$HOSTPREP" check --profile "$PROFILE" --only libvirt.listen --format json "$@" \
                >"$tmp/$name.json" 2>"$tmp/$name.err"
        echo $(($(date +%s%3N) - t0))
}

# expect NAME STATUS REASON MESSAGE-SUBSTRING: the one libvirt.listen.peer result (h3's)
expect() {
        python3 - "$tmp/$1.json" "$2" "$3" "$4" <<'PY' || fail "$1: libvirt.listen.peer is not $2 ($3)"
import json, sys
path, status, reason, sub = sys.argv[1:5]
rs = [r for r in json.load(open(path))["results"] if r["id"] == "libvirt.listen.peer"]
ok = len(rs) == 1 and rs[0]["status"] == status and rs[0]["reason"] == reason and sub in rs[0]["message"]
if not ok:
    print(f"  expected one {status}/{reason} with '{sub}', got " + json.dumps(rs))
sys.exit(0 if ok else 1)
PY
}

# 1. as it is: the version h3's libvirtd has (the hosts share /usr, so it is h2's libvirtd's too)
version=$("$TB" exec h3 libvirtd --version | sed -n 's/.* \([0-9][0-9.]*\)$/\1/p')
[ -n "$version" ] || fail "cannot tell h3's libvirtd version"
ms=$(check_h2 ok)
expect ok pass connected "h3: connected over qemu+tcp://h3/system: libvirt $version on h3"
grep -q '"h1' "$tmp/ok.json" && fail "as is: the NFS server h1 is connected to, but it runs no libvirtd"
((ms < 5000)) || fail "as is: took $ms ms, as if it waited for the 10 s deadline"
echo "as is: PASS, h3's libvirt $version ($ms ms)"

# 2. frozen: libvirtd's socket still accepts (the kernel does), but it never answers
"$TB" freeze h3 libvirtd >/dev/null || fail "cannot freeze h3's libvirtd"
ms=$(check_h2 frozen --timeout 3)
"$TB" thaw h3 libvirtd >/dev/null || fail "cannot thaw h3's libvirtd"
expect frozen fail no_answer "h3: libvirtd accepts TCP 16509 but gives no libvirt connection before the deadline"
((ms >= 2500 && ms < 6000)) || fail "frozen: took $ms ms with --timeout 3"
echo "frozen: FAIL no_answer at the deadline ($ms ms)"

# 3. rejected: what a peer without a listener or with a rejecting firewall gives
"$TB" block h3 16509 reject >/dev/null || fail "cannot block h3's port 16509"
ms=$(check_h2 refused)
"$TB" unblock h3 16509 >/dev/null || fail "cannot unblock h3's port 16509"
expect refused fail refused "refused"
python3 - "$tmp/refused.json" <<'PY' || fail "refused: the hint does not name h3 and the port"
import json, sys
r = [r for r in json.load(open(sys.argv[1]))["results"] if r["id"] == "libvirt.listen.peer"][0]
assert "h3" in r["hint"] and "16509" in r["hint"], r
PY
((ms < 5000)) || fail "refused: took $ms ms, as if it waited for the 10 s deadline"
echo "refused: FAIL ($ms ms)"

# 4. dropped: SYNs go unanswered, so TCP itself never connects
"$TB" block h3 16509 drop >/dev/null || fail "cannot block h3's port 16509"
ms=$(check_h2 dropped --timeout 3)
"$TB" unblock h3 16509 >/dev/null || fail "cannot unblock h3's port 16509"
expect dropped fail filtered "h3: no answer to a TCP connection to port 16509 before the deadline: a firewall drops it"
((ms >= 2500 && ms < 6000)) || fail "dropped: took $ms ms with --timeout 3"
echo "dropped: FAIL filtered at the deadline ($ms ms)"

# and back: the bed is as it was
check_h2 again >/dev/null
expect again pass connected "libvirt $version on h3"

[ "$failures" = 0 ] && echo "all libvirt.listen.peer cases passed"
exit $((failures > 0))

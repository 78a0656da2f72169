#!/bin/bash
# libvirt.migration on the test bed, as h3 (the destination) sees it:
# 1. as the bed is (qemu.conf: migration_address = migration_host = h3's address): every result passes,
#    and the probe's connection from h2 arrives;
# 2. the range dropped by nftables in h3's namespace: the probe from h2 FAILs naming the port and the
#    range, within its window; rejected (TCP reset): FAILs as refused;
# 3. migration_host taken out of h3's qemu.conf and h3's /etc/hosts mapping h3 to 127.0.1.1 first (as
#    Debian's installer writes it): the host check WARNs naming that line, while the probe by name from
#    h2 still arrives (h2 resolves h3 by its own /etc/hosts: this is why it is no FAIL);
# 4. apply with [libvirt] migration_host = auto writes h3's address into qemu.conf in place, the
#    re-check says FIXED, and (the bed's libvirtd runs without systemd) the fix says libvirtd must be
#    restarted by hand; rollback restores qemu.conf byte for byte.
# Every change is undone on exit.
#   libvirt-migration.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"

RANGE=49152-49215
restore() {
        "$TB" exec h3 nft delete table inet hptb_lvmig 2>/dev/null
        "$TB" exec h3 sh -c 'test -f /root/hosts.test && cat /root/hosts.test >/etc/hosts && rm /root/hosts.test'
        "$TB" exec h3 sh -c 'test -f /root/qemu.conf.test && mv /root/qemu.conf.test /etc/libvirt/qemu.conf'
        rm -rf "$tmp"
}
trap restore EXIT

check_h3() { # check_h3 OUT: hostprep check on h3, only this unit; prints how long it took (ms)
        local t0
        t0=$(date +%s%3N)
        "$TB" exec h3 "$HOSTPREP" check --profile "$PROFILE" --only libvirt.migration --no-color >"$1" 2>&1
        echo $(($(date +%s%3N) - t0))
}

# 1. as it is
ms=$(check_h3 "$tmp/ok")
for id in range address host ports probe; do
        grep -q "^PASS   libvirt.migration.$id " "$tmp/ok" || fail "as is: no PASS for libvirt.migration.$id"
done
grep -Eq "^PASS   libvirt.migration.probe +the migration port [0-9]+ of $RANGE on 10.213.0.13 is reachable from h2" "$tmp/ok" ||
        fail "as is: the probe does not say h2 reached h3's port"
"$TB" exec h3 "$HOSTPREP" check --profile "$PROFILE" --only libvirt.migration --format json >"$tmp/ok.json" 2>&1
python3 - "$tmp/ok.json" <<'PY' || fail "as is: the connection did not come from h2's address (JSON evidence)"
import json, sys
probe = [r for r in json.load(open(sys.argv[1]))["results"] if r["id"] == "libvirt.migration.probe"]
assert probe and "accepted from 10.213.0.12" in probe[0]["evidence"], probe
PY
grep -q "from h1" "$tmp/ok" && fail "as is: the NFS server h1 is probed, but it migrates no guests"
[ $failures = 0 ] && echo "as is: every result PASS, h2 reached h3's migration port ($ms ms)" || cat "$tmp/ok"

# 2. the range dropped, then rejected, in h3's namespace
"$TB" exec h3 nft add table inet hptb_lvmig
"$TB" exec h3 nft add chain inet hptb_lvmig input '{ type filter hook input priority -10; policy accept; }'
"$TB" exec h3 nft add rule inet hptb_lvmig input tcp dport "$RANGE" drop
ms=$(check_h3 "$tmp/drop")
grep -Eq "^FAIL   libvirt.migration.probe +the migration port [0-9]+ of $RANGE on 10.213.0.13 is not reachable from h2: no answer: a firewall drops it\?" "$tmp/drop" ||
        { fail "dropped: no FAIL naming port and range"; cat "$tmp/drop"; }
grep -q "hint: let the peers in to TCP $RANGE" "$tmp/drop" || fail "dropped: no hint naming the range"
((ms < 8000)) || fail "dropped: the check took $ms ms (the probe waits 4 s)"
echo "dropped: FAIL naming the port and $RANGE ($ms ms)"
"$TB" exec h3 nft flush chain inet hptb_lvmig input
"$TB" exec h3 nft add rule inet hptb_lvmig input tcp dport "$RANGE" reject with tcp reset
check_h3 "$tmp/reject" >/dev/null
grep -Eq "^FAIL   libvirt.migration.probe +the migration port [0-9]+ of $RANGE on 10.213.0.13 is not reachable from h2: refused" "$tmp/reject" ||
        { fail "rejected: no FAIL 'refused'"; cat "$tmp/reject"; }
echo "rejected: FAIL refused"
"$TB" exec h3 nft delete table inet hptb_lvmig

# 3. no migration_host, and h3 is 127.0.1.1 in its own /etc/hosts
"$TB" exec h3 cp /etc/hosts /root/hosts.test
"$TB" exec h3 cp /etc/libvirt/qemu.conf /root/qemu.conf.test
"$TB" exec h3 sed -i 's/^migration_host/# migration_host/' /etc/libvirt/qemu.conf
"$TB" exec h3 sh -c '{ echo "127.0.1.1 h3"; cat /root/hosts.test; } >/etc/hosts'
check_h3 "$tmp/lo" >/dev/null
grep -q '^WARN   libvirt.migration.host .*this host.s name h3 resolves to 127.0.1.1 here (/etc/hosts:1)' "$tmp/lo" ||
        { fail "127.0.1.1: no WARN naming /etc/hosts:1"; cat "$tmp/lo"; }
grep -q 'hint: set migration_host = "10.213.0.13"' "$tmp/lo" || { fail "127.0.1.1: the hint does not give h3's address"; cat "$tmp/lo"; }
echo "127.0.1.1: WARN naming /etc/hosts:1 and migration_host = \"10.213.0.13\""
# h2 resolves h3 with its own /etc/hosts: the probe to tcp:h3:PORT still arrives, as a migration would
grep -q '^PASS   libvirt.migration.probe .* on h3 is reachable from h2' "$tmp/lo" ||
        { fail "127.0.1.1: the probe to h3 by name did not arrive"; cat "$tmp/lo"; }
echo "127.0.1.1: the probe by name from h2 still arrives (h2's /etc/hosts gives h3's address)"

# 4. apply writes migration_host = auto's address
"$TB" exec h3 cp /etc/libvirt/qemu.conf /root/qemu.conf.before
"$TB" exec h3 "$HOSTPREP" apply --profile "$PROFILE" --only libvirt.migration --set libvirt.migration_host=auto \
        --no-color >"$tmp/apply" 2>&1
grep -q '^migration_host = "10.213.0.13"$' <("$TB" exec h3 cat /etc/libvirt/qemu.conf) ||
        { fail "apply: qemu.conf has no migration_host = \"10.213.0.13\""; cat "$tmp/apply"; }
grep -q '^FIXED  libvirt.migration.host ' "$tmp/apply" || { fail "apply: libvirt.migration.host is not FIXED"; cat "$tmp/apply"; }
grep -q '^ERROR  libvirt.migration.fix .*restarted by hand' "$tmp/apply" ||
        { fail "apply: no word that libvirtd (no service unit here) must be restarted by hand"; cat "$tmp/apply"; }
"$TB" exec h3 diff -u /root/qemu.conf.before /etc/libvirt/qemu.conf | grep '^[-+][^-+]' | grep -vq '^+\(# set by hostprep\|migration_host = \)' &&
        { fail "apply: qemu.conf changed beyond the migration_host lines"; }
"$TB" exec h3 "$HOSTPREP" rollback >/dev/null 2>&1 || fail "rollback failed"
"$TB" exec h3 cmp -s /root/qemu.conf.before /etc/libvirt/qemu.conf || fail "rollback: qemu.conf is not as before"
"$TB" exec h3 rm -f /root/qemu.conf.before
echo "apply: migration_host = \"10.213.0.13\" written in place, FIXED, restart by hand said; rollback restored qemu.conf"

[ $failures = 0 ] && echo "all libvirt.migration cases passed"
exit $((failures > 0))

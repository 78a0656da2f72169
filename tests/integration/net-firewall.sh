#!/bin/bash
# net.firewall on the test bed, with nftables rulesets loaded in the hosts' own namespaces:
# 1. as the bed is (nothing filters): every needed port PASSes and the probes from the peers arrive
#    (h3's migration range has no listener: hostprep opens one for the probe);
# 2. on h3, 16509 and the migration range dropped, on h1 2049 dropped: each a FAIL naming its rule
#    (family table chain handle), and the probes confirm they are blocked;
# 3. on h3, a rule the walker cannot read (meta mark) before a drop of 16509: WARN not understood, and
#    the probe decides: the packet arrives;
# 4. the fix of h3 with the drops in its /etc/nftables.conf: apply inserts accept rules for the peers in
#    one transaction (and the include), the probes pass, a second apply changes nothing, rollback leaves
#    the ruleset and /etc/nftables.conf byte for byte as they were.
# Every change is undone on exit.
#   net-firewall.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"

T=hpfwtest
restore() {
        for h in h1 h3; do
                "$TB" exec $h nft delete table inet $T >/dev/null 2>&1
        done
        if [ -f "$tmp/nftables.conf.orig" ]; then
                "$TB" exec h3 sh -c "cat > /etc/nftables.conf" <"$tmp/nftables.conf.orig"
                "$TB" exec h3 rm -f /etc/nftables.d/hostprep.nft
        fi
        rm -rf "$tmp"
}
trap restore EXIT

# check_on HOST NAME: net.firewall on HOST as JSON into $tmp/NAME.json, the peers probing it
check_on() {
        "$TB" exec "$1" "$HOSTPREP" check --profile "$PROFILE" --set "ssh.hostprep=$HOSTPREP" --only net.firewall \
                --timeout 20 --format json >"$tmp/$2.json" 2>"$tmp/$2.err"
}

# expect NAME ID STATUS REASON MESSAGE-SUBSTRING: some result of NAME is so
expect() {
        python3 - "$tmp/$1.json" "$2" "$3" "$4" "$5" <<'PY' || fail "$1: no $2 $3/$4 with '$5'"
import json, sys
path, id, status, reason, sub = sys.argv[1:6]
rs = [r for r in json.load(open(path))["results"] if r["id"] == id]
if not any(r["status"] == status and r["reason"] == reason and sub in r["message"] for r in rs):
    print(f"  {path}: " + json.dumps(rs))
    sys.exit(1)
PY
}

# handle HOST PATTERN: the handle of the rule of table $T matching PATTERN
handle() {
        "$TB" exec "$1" nft -a list table inet $T | sed -n "s/.*$2.* # handle \([0-9]*\)$/\1/p" | head -1
}

load() { # load HOST RULES...: table inet $T with an input chain of these rules (policy accept)
        local h=$1
        shift
        "$TB" exec "$h" nft delete table inet $T >/dev/null 2>&1
        printf 'table inet %s {\n chain input {\n  type filter hook input priority filter; policy accept;\n%s\n }\n}\n' \
                $T "$(printf '  %s\n' "$@")" | "$TB" exec "$h" nft -f - || fail "cannot load rules on $h"
}

# 1. as the bed is
check_on h3 open
expect open net.firewall.rule pass accepted "16509/tcp (libvirtd (qemu+tcp)) accepted from h2"
expect open net.firewall.probe pass arrived "16509/tcp (libvirtd (qemu+tcp)) from h2"
expect open net.firewall.probe pass arrived "49152/tcp (QEMU migration) from h2"
echo "open: PASS, probes arrived"

# 2. drops, each named by its rule
load h3 "tcp dport 16509 drop" "tcp dport 49152-49215 drop"
load h1 "tcp dport 2049 drop"
h16509=$(handle h3 "16509") hmig=$(handle h3 "49152-49215") h2049=$(handle h1 2049)
check_on h3 dropped
check_on h1 nfs
expect dropped net.firewall.rule fail dropped "16509/tcp from h2: inet $T input handle $h16509 (drop)"
expect dropped net.firewall.rule fail dropped "49152-49215/tcp from h2: inet $T input handle $hmig (drop)"
expect dropped net.firewall.probe fail blocked "16509/tcp (libvirtd (qemu+tcp)) from h2: the rules drop it"
expect dropped net.firewall.probe fail blocked "49152/tcp (QEMU migration) from h2"
expect nfs net.firewall.rule fail dropped "2049/tcp from h2: inet $T input handle $h2049 (drop)"
expect nfs net.firewall.probe fail blocked "2049/tcp (NFSv4) from h3"
"$TB" exec h1 nft delete table inet $T
echo "dropped: FAIL at handles $h16509, $hmig (h3) and $h2049 (h1), the probes blocked"

# 3. a rule not understood, decided by the probe
load h3 "tcp dport 16509 meta mark 0x00000001 drop"
hmark=$(handle h3 "16509")
check_on h3 unknown
expect unknown net.firewall.rule warn not_understood "inet $T input handle $hmark"
expect unknown net.firewall.probe pass unread_rule_opens "16509/tcp (libvirtd (qemu+tcp)) from h2"
"$TB" exec h3 nft delete table inet $T
echo "not understood: WARN at handle $hmark, the probe says it arrives"

# 4. the fix: the drops in h3's /etc/nftables.conf, loaded
"$TB" exec h3 cat /etc/nftables.conf >"$tmp/nftables.conf.orig"
printf '#!/usr/sbin/nft -f\ntable inet %s {\n chain input {\n  type filter hook input priority filter; policy accept;\n  tcp dport 16509 drop\n  tcp dport 49152-49215 drop\n }\n}\n' $T >"$tmp/nftables.conf"
"$TB" exec h3 sh -c "cat > /etc/nftables.conf" <"$tmp/nftables.conf"
"$TB" exec h3 nft -f /etc/nftables.conf || fail "cannot load h3's nftables.conf"
"$TB" exec h3 nft -s list ruleset >"$tmp/ruleset.before"
"$TB" exec h3 "$HOSTPREP" apply --profile "$PROFILE" --set "ssh.hostprep=$HOSTPREP" --only net.firewall \
        --timeout 20 --no-color >"$tmp/apply" 2>&1
grep -Eq '^FIXED +net\.firewall\.rule +16509/tcp' "$tmp/apply" || fail "apply: 16509 not FIXED"
grep -Eq '^FIXED +net\.firewall\.rule +49152-49215/tcp' "$tmp/apply" || fail "apply: the range not FIXED"
grep -Eq '^FIXED +net\.firewall\.probe +16509/tcp' "$tmp/apply" || fail "apply: the probe of 16509 does not pass"
"$TB" exec h3 nft list chain inet $T input | grep -q 'ip saddr 10.213.0.12 tcp dport { 16509, 49152-49215 } accept comment "hostprep"' ||
        fail "apply: no accept rule for h2 in inet $T input"
grep -q 'include "/etc/nftables.d/hostprep.nft"' <("$TB" exec h3 cat /etc/nftables.conf) || fail "apply: no include"
run=$(sed -n 's/^run \([0-9TZ-]*\); undo it with: hostprep rollback$/\1/p' "$tmp/apply")
[ -n "$run" ] || { fail "apply: no run id"; cat "$tmp/apply"; }
"$TB" exec h3 "$HOSTPREP" apply --profile "$PROFILE" --set "ssh.hostprep=$HOSTPREP" --only net.firewall \
        --timeout 20 --no-color >"$tmp/again" 2>&1
grep -q '^Nothing to change' "$tmp/again" || fail "again: a second apply changes something"
"$TB" exec h3 "$HOSTPREP" rollback "$run" >"$tmp/rollback" 2>&1 || fail "rollback $run failed"
"$TB" exec h3 nft -s list ruleset >"$tmp/ruleset.after"
cmp -s "$tmp/ruleset.before" "$tmp/ruleset.after" || { fail "rollback: the ruleset differs"; diff "$tmp/ruleset.before" "$tmp/ruleset.after"; }
cmp -s "$tmp/nftables.conf" <("$TB" exec h3 cat /etc/nftables.conf) || fail "rollback: nftables.conf differs"
echo "fix: FIXED and proven; again: nothing; rollback: ruleset and nftables.conf as before (run $run)"

[ "$failures" = 0 ] || { for f in "$tmp"/*.err "$tmp/apply"; do echo "== $f"; cat "$f"; done; exit 1; }

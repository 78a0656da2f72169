#!/bin/bash
# hostprep apply for ssh.root on the test bed: sshd letting root in with a password is put back to keys
# only (a marked block at the top of an sshd_config without drop-ins), and a host key root does not know is
# learnt from the profile's trusted known_hosts, never from the network; rollback restores both files.
#   ssh-fix.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"
restore() {
        "$TB" exec h2 sh -c 'test -f /root/sshd_config.test && mv /root/sshd_config.test /etc/ssh/sshd_config'
        "$TB" exec h1 sh -c 'test -f /root/known_hosts.test && mv /root/known_hosts.test /root/.ssh/known_hosts'
        rm -rf "$tmp"
}
trap restore EXIT

# 1. PermitRootLogin yes on h2
"$TB" exec h2 cp /etc/ssh/sshd_config /root/sshd_config.test
"$TB" exec h2 sed -i 's/^PermitRootLogin.*/PermitRootLogin yes/' /etc/ssh/sshd_config
"$TB" exec h2 cp /etc/ssh/sshd_config "$tmp/sshd_config.yes"
"$TB" exec h2 "$HOSTPREP" check --profile "$PROFILE" --only ssh.root.sshd --no-color >"$tmp/c1" 2>&1
grep -q '^WARN   ssh.root.sshd .*password login for root is on' "$tmp/c1" || { fail "sshd: no WARN"; cat "$tmp/c1"; }
"$TB" exec h2 "$HOSTPREP" apply --profile "$PROFILE" --only 'ssh.*' --no-color >"$tmp/a1" 2>&1
grep -q '^FIXED  ssh.root.sshd' "$tmp/a1" || { fail "sshd: not FIXED"; cat "$tmp/a1"; }
grep -q '^+# BEGIN hostprep' "$tmp/a1" || fail "sshd: no marked block in the diff"
"$TB" exec h2 "$HOSTPREP" rollback >/dev/null 2>&1 || fail "sshd: rollback failed"
"$TB" exec h2 cat /etc/ssh/sshd_config | cmp -s - "$tmp/sshd_config.yes" || fail "sshd: rollback is not byte-identical"
echo "sshd: WARN, FIXED, rolled back"

# 2. h1 no longer knows h3's host key; the profile's trusted file does
"$TB" exec h1 cp /root/.ssh/known_hosts /root/known_hosts.test
"$TB" exec h1 cp /root/.ssh/known_hosts "$tmp/trusted"
"$TB" exec h1 sed -i '/^h3[ ,]/d' /root/.ssh/known_hosts
"$TB" exec h1 cp /root/.ssh/known_hosts "$tmp/known_hosts.without"
"$TB" exec h1 "$HOSTPREP" check --profile "$PROFILE" --only ssh.root.peer --no-color >"$tmp/c2" 2>&1
grep -q '^FAIL   ssh.root.peer .*h3.*not in known_hosts' "$tmp/c2" || { fail "known_hosts: no FAIL for h3"; cat "$tmp/c2"; }
"$TB" exec h1 "$HOSTPREP" apply --profile "$PROFILE" --only 'ssh.*' --no-color >"$tmp/a2" 2>&1
grep -q '^ERROR  ssh.root.fix .*no trusted known_hosts' "$tmp/a2" || { fail "known_hosts: no ERROR saying why nothing is learnt"; cat "$tmp/a2"; }
"$TB" exec h1 cat /root/.ssh/known_hosts | cmp -s - "$tmp/known_hosts.without" || fail "known_hosts: learnt without a trusted source"
"$TB" exec h1 "$HOSTPREP" apply --profile "$PROFILE" --only 'ssh.*' --set "ssh.known_hosts=$tmp/trusted" --no-color >"$tmp/a3" 2>&1
grep -q '^FIXED  ssh.root.peer .*h3' "$tmp/a3" || { fail "known_hosts: h3 not FIXED"; cat "$tmp/a3"; }
"$TB" exec h1 "$HOSTPREP" rollback >/dev/null 2>&1 || fail "known_hosts: rollback failed"
"$TB" exec h1 cat /root/.ssh/known_hosts | cmp -s - "$tmp/known_hosts.without" || fail "known_hosts: rollback is not byte-identical"
echo "known_hosts: FAIL, not learnt blindly, learnt from the trusted file, rolled back"

[ $failures = 0 ] && echo "all ssh fix cases passed"
exit $((failures > 0))

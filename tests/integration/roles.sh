#!/bin/bash
# Roles found on the host: the namespace test bed's hosts checked with the default profile (kvm-nfs, no
# [hosts]), so each finds its role from what runs there: h1 nfs-server (nfs-ganesha with the exports of
# its /etc/exports), h2 and h3 hypervisors (libvirtd). The bed's hosts share /usr and a copy of the
# machine's /etc, so libvirtd is installed on h1 too: what runs decides, not what is installed. The
# header names the role and why, the JSON says the same, and --role still wins.
#   roles.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"

trap 'rm -rf "$tmp"' EXIT

# header HOST WANT_REGEX ARGS...: the first line of the human report on HOST
header() {
        local host=$1 want=$2 t0 ms line
        shift 2
        t0=$(date +%s%N)
        "$TB" exec "$host" "$HOSTPREP" check --profile kvm-nfs --no-color "$@" >"$tmp/$host.out" 2>"$tmp/$host.err"
        ms=$((($(date +%s%N) - t0) / 1000000))
        line=$(head -1 "$tmp/$host.out")
        echo "$host: '$line' in ${ms} ms"
        [[ $line =~ $want ]] || { fail "$host: header '$line' does not match '$want'"; cat "$tmp/$host.err"; }
}

# json HOST ROLE REASON_REGEX: host.roles is [ROLE], its reason matches, roles_detected is true
json() {
        "$TB" exec "$1" "$HOSTPREP" check --profile kvm-nfs --only "$4" --format json >"$tmp/$1.json" 2>/dev/null
        python3 - "$tmp/$1.json" "$2" "$3" <<'PY' || fail "$1: JSON host is not $2 ($3)"
import json, re, sys
path, role, why = sys.argv[1:4]
h = json.load(open(path))["host"]
ok = h["roles"] == [role] and re.fullmatch(why, h["role_reasons"].get(role, "")) and h["roles_detected"] is True
print("  JSON host:", json.dumps(h))
sys.exit(0 if ok else 1)
PY
}

header h1 '^host h1: nfs-server \(ganesha\.nfsd running, 2 exports\), profile kvm-nfs$' --only nfs.export
json h1 nfs-server 'ganesha\.nfsd running, 2 exports' nfs.export
for h in h2 h3; do
        header "$h" "^host $h: hypervisor \\(libvirtd running\\), profile kvm-nfs\$" --only libvirt.daemon
        json "$h" hypervisor 'libvirtd running' libvirt.daemon
        grep -q '^PASS   libvirt.daemon.running' "$tmp/$h.out" || fail "$h: libvirt.daemon.running does not pass"
done
# the nfs-server's units are not for a hypervisor found as one (the runner says so)
header h2 '^host h2: hypervisor \(libvirtd running\), profile kvm-nfs$' --only nfs.export,libvirt.daemon
grep -q "^not for this host's role: nfs.export$" "$tmp/h2.out" || fail "h2: nfs.export is not named as not for its role"
# --role wins over what runs
header h1 '^host h1: hypervisor \(--role\), profile kvm-nfs$' --role hypervisor --only libvirt.daemon
# and a [hosts] entry does (the bed's own profile names h2 a hypervisor)
"$TB" exec h2 "$HOSTPREP" check --profile "$PROFILE" --no-color --only libvirt.daemon >"$tmp/named.out" 2>&1
line=$(head -1 "$tmp/named.out")
echo "h2 with the bed's profile: '$line'"
[[ $line == "host h2: hypervisor (named in [hosts]), profile kvm-nfs" ]] || fail "h2: [hosts] does not win: '$line'"

[ "$failures" = 0 ] || exit 1
echo "ok: roles found on h1, h2, h3"

#!/bin/sh
# The Xen tier as the xen suite needs it: on both dom0s Xen's control domain
# (/proc/xen/capabilities: control_d) with a working toolstack (xl info), the export of xa mounted
# at the same path, and root ssh to the peer by name with a known host key (xl migrate's transport).
set -eu
. "$(dirname "$0")/lib.sh"
require_tier

for vm in xa xb; do
	caps=$(on "$vm" cat /proc/xen/capabilities) || fail "$vm: no /proc/xen/capabilities (not a Xen dom0?)"
	[ "$caps" = control_d ] || fail "$vm: /proc/xen/capabilities says '$caps', not control_d"
	info=$(on "$vm" xl info) || fail "$vm: xl info failed"
	version=$(echo "$info" | awk -F': *' '$1 ~ /^xen_version/ { print $2 }')
	caps=$(echo "$info" | awk -F': *' '$1 ~ /^virt_caps/ { print $2 }')
	[ -n "$version" ] || fail "$vm: xl info has no xen_version"
	echo "$caps" | grep -qw shadow || fail "$vm: virt_caps '$caps' lack shadow: PV guests cannot migrate"
	echo "ok: $vm is a Xen $version dom0 (control_d), virt_caps: $caps"

	line=$(on "$vm" cat /proc/mounts | awk -v m="$images" '$2 == m')
	[ -n "$line" ] || fail "$vm: nothing mounted at $images"
	# shellcheck disable=SC2086 # split the /proc/mounts line into its fields
	set -- $line
	case $3 in nfs | nfs4) ;; *) fail "$vm: $images has fstype $3, not nfs ($line)" ;; esac
	[ "$1" = xa:/srv/nfs/xen ] || fail "$vm: $images comes from $1, not xa:/srv/nfs/xen"
	echo "ok: $vm mounts $1 at $images ($3)"
done

token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
on xb "printf '%s\n' $token >$images/tier-$token && sync" || fail "xb: cannot write $images"
got=$(on xa "cat $images/tier-$token; rm -f $images/tier-$token") || fail "xa: cannot read what xb wrote"
[ "$got" = "$token" ] || fail "xa read '$got' where xb wrote '$token'"
echo "ok: a file xb writes on the share reads back on xa"

for pair in "xa xb" "xb xa"; do
	# shellcheck disable=SC2086 # "from to"
	set -- $pair
	got=$(on "$1" "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes root@$2 hostname") ||
		fail "$1: root ssh to $2 failed (key or known_hosts)"
	[ "$got" = "$2" ] || fail "$1: ssh to $2 reached '$got'"
	echo "ok: root ssh $1 -> $2 with a known host key"
done

#!/bin/sh
# xl migrate between the two Xen dom0s, as operators run it: the tiny PV guest (its kernel,
# initrd and config on the NFS share) is created on xa, migrated live to xb over root ssh, then
# back. Proof that the guest lives on: its console tick counter (xenconsoled's log of the
# domain in the dom0 it runs on) goes on past the value it had on the sender.
set -eu
. "$(dirname "$0")/lib.sh"
require_tier

guest=hpxen-tiny
cfg=$images/$guest.cfg
logs=/var/log/xen/console
# a cheap cipher: under TCG, ssh's default chacha20-poly1305 costs most of the migration time
transport="ssh -c aes128-ctr"
# every step is bounded; TCG on a busy machine is slow, so the bounds are generous: with two other
# QEMU tiers on the 2 cores one migration took 443 s, and the way back hit a 600 s bound
step=600
migrate_step=1200

cleanup() {
	for vm in xa xb; do on "$vm" "xl destroy $guest" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
cleanup

# last_tick VM LOG: the guest's last tick number in the console log LOG of dom0 VM (0: none yet)
last_tick() {
	on "$1" "tail -n 20 $logs/$2 2>/dev/null" | awk '$1 == "tick" { n = $2 } END { print n + 0 }'
}

# wait_ticks VM LOG AFTER: waits (up to $step s) until the log's last tick is above AFTER and
# moves on (the guest runs there), then prints it
wait_ticks() {
	deadline=$(($(now) + step))
	first=
	while [ "$(now)" -lt "$deadline" ]; do
		n=$(last_tick "$1" "$2")
		if [ "$n" -gt "$3" ]; then
			[ -n "$first" ] && [ "$n" -gt "$first" ] && { echo "$n"; return 0; }
			first=${first:-$n}
		fi
		sleep 3
	done
	return 1
}

# running_on VM: the guest is a domain on VM and not crashed or paused there
running_on() {
	state=$(on "$1" "xl list $guest" | awk -v g="$guest" '$1 == g { print $5 }') || return 1
	case $state in *c* | *p* | "") return 1 ;; esac
}

t=$(now)
XEN_CMD_TIMEOUT=$step on xa "xl create $cfg" || fail "xa: xl create $cfg failed"
echo "ok: xl create on xa in $(($(now) - t)) s"
running_on xa || fail "xa: $guest is not running after xl create"
before=$(last_tick xa "guest-$guest.log")
tick=$(wait_ticks xa "guest-$guest.log" "$before") || fail "xa: the guest's console shows no ticks"
echo "ok: the guest ticks on xa (tick $tick, after $(($(now) - t)) s)"

# migrate FROM TO: moves the guest and checks it runs on TO, is gone from FROM, and ticks on
migrate() {
	from=$1 to=$2 log=$3
	before=$(last_tick "$from" "$log")
	t=$(now)
	XEN_CMD_TIMEOUT=$((migrate_step + 60)) on "$from" "timeout $migrate_step xl migrate -s '$transport' $guest $to" ||
		fail "xl migrate $guest $from -> $to failed"
	echo "ok: xl migrate $from -> $to in $(($(now) - t)) s (ssh -c aes128-ctr)"
	running_on "$to" || fail "$to: $guest is not running after the migration"
	if on "$from" "xl domid $guest" >/dev/null 2>&1; then fail "$from: $guest is still there"; fi
	echo "ok: $guest runs on $to and is gone from $from"
	tick=$(wait_ticks "$to" "guest-$guest--incoming.log" "$before") ||
		fail "$to: the guest's console does not tick on past $before"
	echo "ok: the guest ticks on on $to (tick $before on $from, now $tick)"
}

migrate xa xb "guest-$guest.log"
migrate xb xa "guest-$guest--incoming.log"

# shellcheck shell=bash
# tier-lib.sh: what the QEMU test-bed tiers (vm-tier, xen-tier) share. Sourced, not run.
#
# The sourcing script sets, before calling these functions:
#   tier          its name for messages ("vm-tier")
#   image_prefix  the cache directory name's prefix ("vm": $cache_root/vm-HASH)
#   cache_root    the image cache; state: its per-run state directory
#   suite, base_packages, image_packages   what build_rootfs installs
#   netns, vms, vm_ip                       the network namespace and the VMs in it
#   qemu_name     the prefix of every QEMU's -name (pid_of checks it)
# and defines recipe_hash, configure_rootfs and make_disk.

log() { printf '%s: %s\n' "$tier" "$*" >&2; }
die() { log "error: $*"; exit 1; }
need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root"; }

# The machine's tools a tier uses, by the Debian package that ships them. Missing ones are
# installed with apt (the test bed must be able to set itself up on a fresh machine).
declare -A host_tools=(
	[debootstrap]=debootstrap [qemu-system-x86_64]=qemu-system-x86 [qemu-img]=qemu-utils
	[mkfs.ext4]=e2fsprogs [ip]=iproute2 [ssh]=openssh-client [ssh-keygen]=openssh-client
	[flock]=util-linux [unshare]=util-linux
)

need_tools() {
	local tool missing=()
	for tool in "${!host_tools[@]}"; do
		command -v "$tool" >/dev/null || missing+=("${host_tools[$tool]}")
	done
	((${#missing[@]} == 0)) && return 0
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	log "installing missing host packages: ${missing[*]}"
	local apt=(apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300)
	DEBIAN_FRONTEND=noninteractive "${apt[@]}" "${missing[@]}" >&2 ||
		{ apt-get update >&2 && DEBIAN_FRONTEND=noninteractive "${apt[@]}" "${missing[@]}" >&2; } ||
		die "could not install ${missing[*]}"
}

# without_fds CMD...: runs CMD with every descriptor above 2 closed. A daemon started by a tier
# (QEMU with -daemonize, an ssh master) must not inherit the lock descriptors of the tier
# (8, 9) or of a `flock LOCK sh -c ...` around it: it would hold those locks for as long as it
# lives, and the next run of the tier would wait for it forever.
without_fds() {
	(
		local fd
		for fd in /proc/self/fd/*; do
			fd=${fd##*/}
			((fd > 2)) || continue
			exec {fd}>&- 2>/dev/null || true
		done
		exec "$@"
	)
}

# --- build ---------------------------------------------------------------------------------

apt_mirror() {
	local uri=
	if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
		uri=$(awk '$1 == "URIs:" { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
	fi
	if [[ -z $uri && -r /etc/apt/sources.list ]]; then
		uri=$(awk '$1 == "deb" && $2 !~ /^\[/ { print $2; exit }' /etc/apt/sources.list)
	fi
	[[ -n $uri ]] || die "no Debian mirror found in the machine's apt sources"
	printf '%s\n' "$uri"
}

cache_dir() { printf '%s/%s-%s\n' "$cache_root" "$image_prefix" "$(recipe_hash)"; }

in_chroot() {
	local root=$1
	shift
	chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}

build_rootfs() {
	local root=$1 mirror=$2
	local include
	include=$(IFS=,; echo "${base_packages[*]}")
	debootstrap --variant=minbase --include="$include" "$suite" "$root" "$mirror"

	# No daemon may start inside the chroot while packages install.
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"

	# Package scripts (the kernel's initramfs hook above all) want /proc, /sys and /dev.
	# They are mounted in a private mount namespace, so they vanish with it even on failure.
	unshare --mount --propagation private -- bash -euo pipefail -c '
		root=$1; shift
		mount -t proc proc "$root/proc"
		mount -t sysfs sysfs "$root/sys"
		mount --rbind /dev "$root/dev"
		chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 \
			apt-get install -y --no-install-recommends "$@"
		chroot "$root" apt-get clean
	' build-rootfs "$root" "${image_packages[@]}"

	rm -f "$root/usr/sbin/policy-rc.d"
}

cmd_build() {
	need_root
	need_tools
	local dir
	dir=$(cache_dir)
	if [[ -f $dir/complete ]]; then
		log "image cached: $dir"
		return 0
	fi
	mkdir -p "$cache_root"
	exec 8>"$cache_root/.build-$image_prefix.lock"
	flock -w 1800 8 || die "another image build holds $cache_root/.build-$image_prefix.lock"
	[[ -f $dir/complete ]] && { log "image cached: $dir"; return 0; }

	local mirror started work
	mirror=$(apt_mirror)
	started=$(date +%s)
	work=$(mktemp -d "$cache_root/.build.XXXXXX")
	log "building $suite image in $work (log: $work/build.log)"
	mkdir "$work/out"
	{
		build_rootfs "$work/root" "$mirror"
		configure_rootfs "$work/root"
		make_disk "$work/root" "$work/out"
	} >"$work/build.log" 2>&1 || {
		tail -n 40 "$work/build.log" >&2
		die "image build failed (kept for a look: $work)"
	}
	cp "$work/build.log" "$work/out/"
	recipe_hash >"$work/out/recipe-hash"
	date -u +%Y-%m-%dT%H:%M:%SZ >"$work/out/complete"
	rm -rf "$dir"
	mv "$work/out" "$dir"
	rm -rf --one-file-system "$work"
	trap - EXIT
	# Older recipes' images are of no further use.
	find "$cache_root" -mindepth 1 -maxdepth 1 -name "$image_prefix-*" ! -path "$dir" -exec rm -rf {} +
	log "image built in $(($(date +%s) - started)) s: $dir"
}

# --- ssh -------------------------------------------------------------------------------------

ssh_opts() {
	local vm=$1
	printf '%s\n' -i "$state/id_ed25519" -o BatchMode=yes -o LogLevel=ERROR \
		-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="$state/known_hosts" \
		-o ConnectTimeout=10 -o ServerAliveInterval=15 -o ServerAliveCountMax=4 \
		-o ControlPath="$state/ssh-$vm"
}

# vm_ssh VM CMD...: runs CMD in the VM as root, within $ssh_timeout seconds when that is set.
# Reuses the connection opened at `up` when it is still there, and connects afresh otherwise.
vm_ssh() {
	local vm=$1
	shift
	local opts bound=()
	mapfile -t opts < <(ssh_opts "$vm")
	[[ -z ${ssh_timeout:-} ]] || bound=(timeout "$ssh_timeout")
	"${bound[@]}" ip netns exec "$netns" ssh "${opts[@]}" -o ControlMaster=no "root@${vm_ip[$vm]}" "$@"
}

# A master connection per VM, kept until `down`: the first login into a TCG guest takes
# seconds, later commands over the master take milliseconds. Like QEMU, it must not inherit
# any lock descriptor (without_fds).
vm_ssh_master() {
	local vm=$1
	local opts
	mapfile -t opts < <(ssh_opts "$vm")
	without_fds ip netns exec "$netns" ssh "${opts[@]}" -o ControlMaster=yes -o ControlPersist=yes \
		-f -N "root@${vm_ip[$vm]}" </dev/null >/dev/null 2>&1 ||
		log "warning: no ssh master connection to $vm; every command will log in afresh"
}

# --- processes and namespace -----------------------------------------------------------------

netns_exists() { ip netns list | awk -v ns="$netns" '$1 == ns { found = 1 } END { exit !found }'; }

pid_of() {
	local vm=$1 pid
	[[ -f $state/$vm.pid ]] || return 1
	pid=$(cat "$state/$vm.pid")
	[[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
	# The pid is ours only if that process is still the QEMU we started for this VM.
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "-name $qemu_name-$vm " || return 1
	echo "$pid"
}

# still_up: the up marker of an earlier `up` holds only while every VM's QEMU still runs and the
# namespace exists; a marker left by a killed run or a reboot (the state directory outlives both) is said
# so and removed, and `up` then starts afresh.
still_up() {
	local vm
	[[ -f $state/up ]] || return 1
	for vm in "${vms[@]}"; do
		if ! pid_of "$vm" >/dev/null; then
			log "stale state of an earlier run ($vm's QEMU is not running): starting afresh"
			rm -f "$state/up"
			return 1
		fi
	done
	if ! netns_exists; then
		log "stale state of an earlier run (no network namespace $netns): starting afresh"
		rm -f "$state/up"
		return 1
	fi
}

# alive PID: the process exists and is not a zombie waiting for its parent (QEMU daemonizes,
# so its parent is PID 1, which may reap it late).
alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

# stop_qemu VM: ends the VM's QEMU (TERM, then KILL after 5 s) if it runs.
stop_qemu() {
	local vm=$1 pid i
	pid=$(pid_of "$vm") || return 0
	kill "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
	log "stopped $vm (pid $pid)"
}

# Whatever still runs in the tier's namespace was started by it (ssh masters, a QEMU that never
# wrote its pid file): end it by pid, then remove the namespace with its bridge and taps.
remove_netns() {
	netns_exists || return 0
	local pid
	for pid in $(ip netns pids "$netns" 2>/dev/null); do
		kill "$pid" 2>/dev/null || true
	done
	sleep 0.2
	for pid in $(ip netns pids "$netns" 2>/dev/null); do
		kill -9 "$pid" 2>/dev/null || true
	done
	ip netns del "$netns"
	log "removed network namespace $netns"
}

# Waits until every VM answers ssh, or $boot_timeout seconds after $boot_started pass.
wait_for_ssh() {
	local deadline=$((boot_started + boot_timeout)) vm
	local -A ready=()
	while ((${#ready[@]} < ${#vms[@]})); do
		for vm in "${vms[@]}"; do
			[[ -n ${ready[$vm]:-} ]] && continue
			pid_of "$vm" >/dev/null || {
				tail -n 30 "$state/$vm.serial" >&2 || true
				die "QEMU of $vm is gone"
			}
			if declare -F vm_crashed >/dev/null && vm_crashed "$vm"; then
				tail -n 30 "$state/$vm.serial" >&2 || true
				die "$vm crashed while booting"
			fi
			if vm_ssh "$vm" true </dev/null 2>/dev/null; then
				ready[$vm]=1
				log "$vm answers ssh after $(($(date +%s) - boot_started)) s"
				vm_ssh_master "$vm"
			fi
		done
		((${#ready[@]} < ${#vms[@]})) || break
		if (($(date +%s) >= deadline)); then
			for vm in "${vms[@]}"; do
				[[ -n ${ready[$vm]:-} ]] && continue
				log "$vm: no ssh after $boot_timeout s; end of its serial log:"
				tail -n 30 "$state/$vm.serial" >&2 || true
			done
			die "VMs did not come up in time"
		fi
		sleep 3
	done
}

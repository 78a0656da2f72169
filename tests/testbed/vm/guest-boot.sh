#!/bin/sh
# Runs inside every VM of the tier at each boot, before the network and sshd start.
# The image is the same for all three VMs; what makes a VM "nfs", "hv1" or "hv2" is the
# kernel command line that tests/testbed/vm-tier passes to QEMU:
#   hostprep.addr=IP/PREFIX     static address for eth0 (systemd-networkd)
#   hostprep.hosts=N/IP,N/IP    /etc/hosts entries for the three VMs
#   hostprep.key=BASE64         ed25519 public key allowed to log in as root (made per run)
# The hostname comes from systemd.hostname=, the machine id from systemd.machine_id=.
set -eu

addr='' hosts='' key=''
for word in $(cat /proc/cmdline); do
	case $word in
	hostprep.addr=*) addr=${word#*=} ;;
	hostprep.hosts=*) hosts=${word#*=} ;;
	hostprep.key=*) key=${word#*=} ;;
	esac
done

if [ -n "$addr" ]; then
	mkdir -p /etc/systemd/network
	printf '[Match]\nName=eth0\n\n[Network]\nAddress=%s\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' \
		"$addr" >/etc/systemd/network/50-hostprep-lab.network
fi

{
	printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n'
	printf '127.0.1.1\t%s\n' "$(cat /proc/sys/kernel/hostname)"
	echo "$hosts" | tr ',' '\n' | while IFS=/ read -r name ip; do
		[ -n "$name" ] && printf '%s\t%s\n' "$ip" "$name"
	done
} >/etc/hosts

if [ -n "$key" ]; then
	install -d -m 700 /root/.ssh
	printf 'ssh-ed25519 %s hostprep-vm-tier\n' "$key" >/root/.ssh/authorized_keys
	chmod 600 /root/.ssh/authorized_keys
fi

# The cached image carries no sshd host key: each VM makes its own on its first boot
# (ed25519 only, see /etc/ssh/sshd_config.d/hostprep-vm.conf).
if [ ! -f /etc/ssh/ssh_host_ed25519_key ]; then
	ssh-keygen -q -t ed25519 -N '' -C "root@$(cat /proc/sys/kernel/hostname)" -f /etc/ssh/ssh_host_ed25519_key
fi

#!/bin/bash
# nova.compute on the VM hypervisors, with nova's configuration and user in place and no OpenStack
# service running (every check of the unit reads configuration and files; nova-compute itself is not
# needed): the nova user with equal ids on hv1, hv2 and the NFS server (as hostprep facts reports them)
# and an SSH key pair, an instances directory on the real NFS mount, nova.conf plus a nova.conf.d drop-in
# with the seeds' settings; libvirtd listens for qemu+tcp as the tier set it up. Check PASSes on both
# hypervisors; then an instances_path off the share FAILs, and a directory without o+x FAILs.
. "$(dirname "$0")/lib.sh"
require_tier

tmp=$(mktemp -d)
instances=/var/lib/libvirt/images/nova-instances
cleanup() {
        for vm in hv1 hv2 nfs; do
                on $vm 'rm -rf /etc/nova; userdel -r nova >/dev/null 2>&1; true' >/dev/null 2>&1
        done
        on hv1 "rm -rf $instances" >/dev/null 2>&1
        rm -rf "$tmp"
}
trap cleanup EXIT

# the tier's profile, as the nova-kvm profile: the instances directory below the tier's NFS mount
profile="[profile]
name = nova-kvm
$vm_profile
[nova]
instances_path = $instances
"

# 1. nova's user, the same ids everywhere (nova-common's system user, a login shell for SSH), its keys
for vm in nfs hv1 hv2; do
        on $vm 'getent group nova >/dev/null || groupadd -g 64060 nova; id nova >/dev/null 2>&1 ||
                useradd -u 64060 -g nova -d /var/lib/nova -m -s /bin/bash nova' || fail "$vm: cannot create nova"
done
for vm in hv1 hv2; do
        on $vm 'su -s /bin/sh nova -c "mkdir -p -m 700 ~/.ssh && ssh-keygen -q -t ed25519 -N \"\" -f ~/.ssh/id_ed25519"' ||
                fail "$vm: ssh-keygen as nova"
done
# each host accepts the other's key, as the seed's scp + cat does
for pair in hv1:hv2 hv2:hv1; do
        on ${pair%:*} 'cat /var/lib/nova/.ssh/id_ed25519.pub' | on ${pair#*:} \
                'cat >> /var/lib/nova/.ssh/authorized_keys && chown nova:nova /var/lib/nova/.ssh/authorized_keys' ||
                fail "copying $pair's key"
done
on hv1 "mkdir -p $instances && chown nova:nova $instances && chmod 0755 $instances" || fail "hv1: mkdir $instances"

# 2. nova.conf of a compute node (the install guide's) and the migration drop-in
for vm in hv1 hv2; do
        addr=$(on $vm 'hostname -I' | awk '{print $1}')
        on $vm "mkdir -p /etc/nova/nova.conf.d && cat > /etc/nova/nova.conf" <<CONF || fail "$vm: nova.conf"
[DEFAULT]
state_path = /var/lib/nova
my_ip = $addr
transport_url = rabbit://openstack:RABBIT_PASS@controller
instances_path = $instances

[libvirt]
virt_type = qemu

[vnc]
enabled = true
server_listen = 0.0.0.0
server_proxyclient_address = \$my_ip
CONF
        on $vm "cat > /etc/nova/nova.conf.d/50-migration.conf" <<CONF || fail "$vm: drop-in"
[libvirt]
live_migration_scheme = tcp
live_migration_inbound_addr = $addr
CONF
done

nova_ids=""
for vm in hv1 hv2; do
        hp "check-$vm" $vm check --only nova.compute
        for id in nova.compute.conf nova.compute.instances_path nova.compute.instances_mode nova.compute.migration_uri \
                nova.compute.connection_uri nova.compute.inbound_addr nova.compute.vnc nova.compute.user \
                nova.compute.ssh_key; do
                expect "check-$vm" $id pass
        done
        not_passed "check-$vm"
done
# the ids cross.nova_ids compares, as each host's facts give them
for vm in nfs hv1 hv2; do
        printf '%s' "$profile" | on $vm hostprep facts --json --profile - >"$tmp/facts-$vm.json" 2>/dev/null
        nova_ids="$nova_ids $(python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))["users"]["nova"]; print("%d:%d" % (u["uid"], u["gid"]))' "$tmp/facts-$vm.json" 2>/dev/null)"
done
[ "$(echo $nova_ids | tr ' ' '\n' | sort -u)" = 64060:64060 ] || bad "nova's ids in the facts: '$nova_ids'"
echo "nova's ids in the facts of nfs, hv1, hv2:$nova_ids"

# 3. breakages: instances_path off the share on hv2, then the directory without o+x
on hv2 "mkdir -p /srv/local-instances && printf '[DEFAULT]\ninstances_path = /srv/local-instances\n' > /etc/nova/nova.conf.d/90-local.conf"
hp local-hv2 hv2 check --only nova.compute
expect local-hv2 nova.compute.instances_path fail
on hv2 'rm -rf /etc/nova/nova.conf.d/90-local.conf /srv/local-instances'
on hv2 "chmod 0750 $instances"
hp mode-hv2 hv2 check --only nova.compute
expect mode-hv2 nova.compute.instances_mode fail
on hv2 "chmod 0755 $instances"

[ $failures = 0 ] && echo "nova.compute passes with nova's configuration in place and catches the breakages"
exit $((failures > 0))

#!/bin/bash
# Each host has its own UTS and mount namespace: hostname, /etc/exports, /etc/hosts.
. "$(dirname "$0")/lib.sh"

for h in h1 h2 h3; do
        name=$(tb exec "$h" hostname)
        [[ $name == "$h" ]] || fail "testbed exec $h hostname printed '$name'"
        tb exec "$h" getent hosts h1 h2 h3 | awk '{ print $2 }' | tr '\n' ' ' | grep -qx 'h1 h2 h3 ' ||
                fail "$h does not resolve h1 h2 h3 from its /etc/hosts"
done
echo "ok: hostnames h1 h2 h3, each resolves all hosts"
if tb exec h2 test -e /etc/exports; then
        fail "h2 has an /etc/exports (it should see its own /etc, without one)"
fi
tb exec h1 grep -q '^/srv/nfs/images' /etc/exports || fail "h1's /etc/exports does not export /srv/nfs/images"
echo "ok: h1 has its own /etc/exports, h2 has none"
[[ $(tb exec h2 readlink -f /var/lib/libvirt/images) == /var/lib/libvirt/images ]] || fail "images path"
f=shared-check.$$
tb exec h2 touch "/var/lib/libvirt/images/$f"
trap 'tb exec h2 rm -f "/var/lib/libvirt/images/$f"' EXIT
tb exec h3 test -e "/var/lib/libvirt/images/$f" || fail "h3 does not see h2's file in /var/lib/libvirt/images"
tb exec h1 test -e "/srv/nfs/images/$f" || fail "h1 does not export the directory h2 and h3 share"
echo "ok: /var/lib/libvirt/images shared by h2 and h3, the same directory as h1:/srv/nfs/images"
# the machine's root dot files stay out
if tb exec h2 test -e /root/.bashrc; then
        fail "h2 sees a /root/.bashrc"
fi
env=$(tb exec h2 env)
grep -q '^BASH_ENV=' <<<"$env" && fail "BASH_ENV leaks into the host"
echo "ok: clean environment, no ~/.bashrc"

#!/bin/bash
# `hostprep migrate --guest NAME` with the libvirt driver on the test bed: a small existing guest (the
# canary ELF as its kernel, its disk an NBD export served by qemu-nbd on h1, which libvirt treats as
# shared storage) defined and started on h2 by this script, moved to h3 by hostprep run inside h2.
# Checks: exit 0, the guest runs on h3 and is gone from h2, and hostprep left it alone afterwards
# (still running and still defined on h3). The script then removes the guest from both hosts itself.
#   migrate-guest.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"
"$HOSTPREP" help migrate | grep -q -- '--guest' || { echo "SKIP: hostprep built without migrate"; exit 77; }
command -v qemu-nbd >/dev/null || { echo "SKIP: qemu-nbd missing (qemu-utils)"; exit 77; }
command -v virsh >/dev/null || { echo "SKIP: virsh missing (libvirt-clients)"; exit 77; }

NAME=hp-guest-$$
PORT=$((10950 + $$ % 40))
IMAGES=/var/lib/libvirt/images # the bed's shared directory, as h2 and h3 see it
EXPORTS=/srv/nfs/images        # the same directory, as h1 sees it
CANARY=$(dirname "$HOSTPREP")/../migrate/canary.elf
[ -r "$CANARY" ] || { echo "SKIP: no canary.elf next to hostprep's build"; exit 77; }

virsh_on() { # virsh_on HOST ARGS...
        local h=$1
        shift
        "$TB" exec "$h" virsh -q -c qemu:///system "$@"
}

finish() {
        local h
        for h in h2 h3; do
                virsh_on $h destroy "$NAME" >/dev/null 2>&1 || true
                virsh_on $h undefine "$NAME" >/dev/null 2>&1 || true
        done
        "$TB" exec h1 sh -c "kill \$(cat /run/$NAME-nbd.pid) 2>/dev/null; rm -f /run/$NAME-nbd.pid" || true
        "$TB" exec h1 rm -f "$EXPORTS/$NAME.raw" "$EXPORTS/$NAME.elf" || true
        rm -rf "$tmp"
}
trap finish EXIT

# the guest: its kernel where both hypervisors read it, its disk on NBD from h1
"$TB" exec h2 cp "$(readlink -f "$CANARY")" "$IMAGES/$NAME.elf"
"$TB" exec h1 truncate -s 1M "$EXPORTS/$NAME.raw"
"$TB" exec h1 qemu-nbd --fork --persistent --shared=8 --bind=10.213.0.11 --port=$PORT --export-name=$NAME \
        --format=raw --cache=none --pid-file=/run/$NAME-nbd.pid "$EXPORTS/$NAME.raw"
cat >"$tmp/guest.xml" <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$IMAGES/$NAME.elf</kernel>
    <cmdline>dirty=1M span=4</cmdline>
  </os>
  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='network' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source protocol='nbd' name='$NAME'>
        <host name='10.213.0.11' port='$PORT'/>
      </source>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='pty'><target port='0'/></serial>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
XML
virsh_on h2 define "$tmp/guest.xml" >/dev/null || fail "defining $NAME on h2"
virsh_on h2 start "$NAME" >/dev/null || fail "starting $NAME on h2"
[ "$(virsh_on h2 domstate "$NAME")" = running ] || { fail "$NAME does not run on h2"; exit 1; }

t0=$(date +%s%N)
"$TB" exec h2 "$HOSTPREP" migrate --profile "$PROFILE" --to h3 --guest "$NAME" --force \
        --disk "nbd://10.213.0.11:$PORT/$NAME" --format json >"$tmp/out.json" 2>"$tmp/err"
rc=$?
echo "hostprep migrate --guest $NAME: rc=$rc in $((($(date +%s%N) - t0) / 1000000)) ms"
if [ $rc != 0 ]; then
        fail "exit code $rc, expected 0"
        cat "$tmp/err"
        head -c 3000 "$tmp/out.json"
fi
python3 - "$tmp/out.json" "$NAME" <<'PY' || fail "the report does not say $NAME moved to h3"
import json, sys
d = json.load(open(sys.argv[1]))
run = [r for r in d["results"] if r["id"] == "migrate.run"]
print("  migrate.run:", run[0]["status"] if run else None, "-", run[0]["message"] if run else "")
m = d.get("migration", {})
print("  migration:", {k: m.get(k) for k in ("migrations", "total_time_ms", "downtime_ms", "bytes_transferred")})
sys.exit(0 if run and run[0]["status"] == "pass" and sys.argv[2] in run[0]["message"] and m.get("migrations") == 1 else 1)
PY

state3=$(virsh_on h3 domstate "$NAME" 2>&1)
[ "$state3" = running ] || fail "on h3 the guest is '$state3', expected running (hostprep must leave it running)"
virsh_on h3 dominfo "$NAME" >"$tmp/dominfo" 2>&1
grep -Eq "^Persistent: +yes" "$tmp/dominfo" || { fail "the guest is not defined on h3 (undefined by hostprep?)"; cat "$tmp/dominfo"; }
# (no `| grep -q` on virsh: with pipefail, grep's early exit would fail the pipeline by SIGPIPE)
on_h2=$(virsh_on h2 list --all --name)
if grep -qx "$NAME" <<<"$on_h2"; then
        fail "the guest is still on h2 ($(virsh_on h2 domstate "$NAME"))"
fi
sleep 1
[ "$(virsh_on h3 domstate "$NAME" 2>&1)" = running ] || fail "the guest stopped on h3 after hostprep exited"
echo "h3: $NAME $(virsh_on h3 domstate "$NAME"); h2: not there"

[ $failures = 0 ] && echo PASS
exit $((failures > 0))

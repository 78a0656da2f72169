#!/bin/bash
# libvirt.listen with [migrate] transport = tls on the test bed, against h2's and h3's real libvirtd:
# a CA, server and client certificates made with certtool, put in each host's /etc/pki (libvirt's
# defaults), listen_tls = 1, libvirtd restarted:
# 1. on h2: the TLS files PASS (server and client), port 16514 listens, and the real qemu+tls connection
#    to h3 PASSes (libvirt.listen.peer): h3's server certificate and h2's client certificate both work;
# 2. h3's server certificate naming h9 instead: on h3 libvirt.listen.tls FAILs hostname_mismatch, and
#    h2's connection to h3 FAILs as libvirt's client refuses it (tls_failed).
# Every change is undone on exit: libvirtd.conf back, /etc/pki removed, libvirtd restarted.
#   libvirt-listen-tls.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"
. "$here/../tls-lib.sh"
tls_need

changed=
restore() {
        local h
        for h in $changed; do
                "$TB" exec "$h" sh -c 'mv /root/libvirtd.conf.tls-test /etc/libvirt/libvirtd.conf; rm -rf /etc/pki'
                "$TB" restart "$h" libvirtd >/dev/null || echo "FAIL cannot restart $h's libvirtd as it was"
        done
        rm -rf "$tmp"
}
trap restore EXIT

# install_pki HOST SERVER CLIENT: the CA and the pairs $tmp/SERVER and $tmp/CLIENT as libvirt's defaults
install_pki() {
        "$TB" exec "$1" sh -c 'install -D -m 644 "$1/ca.pem" /etc/pki/CA/cacert.pem &&
                install -D -m 644 "$1/$2.pem" /etc/pki/libvirt/servercert.pem &&
                install -D -m 600 "$1/$2.key" /etc/pki/libvirt/private/serverkey.pem &&
                install -D -m 644 "$1/$3.pem" /etc/pki/libvirt/clientcert.pem &&
                install -D -m 600 "$1/$3.key" /etc/pki/libvirt/private/clientkey.pem' sh "$tmp" "$2" "$3"
}

# check HOST NAME: this unit on HOST with transport tls, as JSON into $tmp/NAME.json
check() {
        "$TB" exec "$1" "$HOSTPREP" check --profile "$PROFILE" --only libvirt.listen \
                --set migrate.transport=tls --format json >"$tmp/$2.json" 2>"$tmp/$2.err"
}

# expect NAME ID STATUS REASON MESSAGE-SUBSTRING: a result of NAME's run is that
expect() {
        python3 - "$tmp/$1.json" "$2" "$3" "$4" "$5" <<'PY' || fail "$1: no $2 $3 ($4)"
import json, sys
path, rid, status, reason, sub = sys.argv[1:6]
rs = [r for r in json.load(open(path))["results"] if r["id"] == rid]
ok = any(r["status"] == status and r["reason"] == reason and sub in r["message"] for r in rs)
if not ok:
    print(f"  expected {rid} {status}/{reason} with '{sub}', got " + json.dumps(rs))
sys.exit(0 if ok else 1)
PY
}

{
        tls_ca "$tmp" ca &&
                tls_cert "$tmp" h2-server ca server h2 && tls_cert "$tmp" h2-client ca client h2 &&
                tls_cert "$tmp" h3-server ca server h3 && tls_cert "$tmp" h3-client ca client h3 &&
                tls_cert "$tmp" h9-server ca server h9
} || { echo "FAIL certtool could not make the certificates"; exit 1; }
for h in h2 h3; do
        "$TB" exec "$h" test ! -e /etc/pki || { echo "FAIL $h has an /etc/pki already"; exit 1; }
        "$TB" exec "$h" cp /etc/libvirt/libvirtd.conf /root/libvirtd.conf.tls-test || exit 1
        changed="$changed $h"
        install_pki "$h" "$h-server" "$h-client" || fail "cannot install $h's certificates"
        "$TB" exec "$h" sed -i 's/^listen_tls = 0/listen_tls = 1/' /etc/libvirt/libvirtd.conf
        "$TB" restart "$h" libvirtd >/dev/null || fail "$h's libvirtd does not start with TLS"
done

# 1. both hosts with certificates of one CA
version=$("$TB" exec h3 libvirtd --version | sed -n 's/.* \([0-9][0-9.]*\)$/\1/p')
check h2 ok || fail "as made: hostprep check on h2 did not pass (rc $?)"
expect ok libvirt.listen.port pass listening "port 16514"
expect ok libvirt.listen.tls pass server_proven "names h2"
expect ok libvirt.listen.tls pass client_proven "chains to /etc/pki/CA/cacert.pem"
expect ok libvirt.listen.peer pass connected "h3: connected over qemu+tls://h3/system: libvirt $version on h3"
echo "as made: h2's TLS files proven, qemu+tls://h3/system connected"

# 2. h3's server certificate names another host
install_pki h3 h9-server h3-client || fail "cannot install h3's h9 certificate"
"$TB" restart h3 libvirtd >/dev/null || fail "h3's libvirtd does not start with the h9 certificate"
check h3 h3-wrong
expect h3-wrong libvirt.listen.tls fail hostname_mismatch "names h9, not this host (h3)"
check h2 h2-wrong
expect h2-wrong libvirt.listen.peer fail tls_failed "no libvirt connection over qemu+tls://h3/system"
python3 - "$tmp/h2-wrong.json" <<'PY' || fail "wrong host: libvirt's refusal is not the evidence"
import json, sys
r = [r for r in json.load(open(sys.argv[1]))["results"] if r["id"] == "libvirt.listen.peer"][0]
assert "certificate" in r["evidence"], r # libvirt 9.0: "Failed to verify peer's certificate"
PY
echo "h9's certificate on h3: FAIL hostname_mismatch on h3, and h2's client refuses it (tls_failed)"

[ "$failures" = 0 ] && echo "all libvirt.listen TLS cases passed"
exit $((failures > 0))

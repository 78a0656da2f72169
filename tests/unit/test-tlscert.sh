#!/bin/bash
# Makes a CA and certificates with certtool, then runs test-tlscert against them (its root directory):
#   test-tlscert.sh TEST-TLSCERT
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tls-lib.sh"
tls_need

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
{
        tls_ca "$dir" ca &&
                tls_ca "$dir" other &&
                tls_cert "$dir" good ca server hv1,hv1.example.com &&
                tls_cert "$dir" stranger other client hv1 &&
                tls_cert "$dir" expired ca server hv1 "2001-01-01 00:00:00" "2002-01-01 00:00:00" &&
                tls_cert "$dir" future ca server hv1 "2090-01-01 00:00:00" "2091-01-01 00:00:00" &&
                TLS_KEY_TYPE=ecdsa tls_cert "$dir" ecdsa ca server hv1 &&
                certtool --to-p8 --load-privkey "$dir/good.key" --password secret --no-text \
                        --outfile "$dir/encrypted.key" 2>/dev/null
} || { echo "certtool failed"; exit 1; }
cat "$dir/other.pem" "$dir/ca.pem" >"$dir/bundle.pem"
echo "not a certificate" >"$dir/garbage.pem"
head -n 3 "$dir/good.pem" >"$dir/truncated.pem"
exec "$1" "$dir"

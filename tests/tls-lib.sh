# Sourced by the tests that need a real CA and certificates (not run): made with GnuTLS's certtool
# (gnutls-bin), the way libvirt's TLS guide makes them, at the time the test runs.
#   tls_need                                 exit 77 (skip) with a reason when certtool is missing
#   tls_ca DIR NAME [FROM UNTIL]             DIR/NAME.key, DIR/NAME.pem: a self-signed CA
#   tls_cert DIR NAME CA server|client NAMES [FROM UNTIL]
#                                            DIR/NAME.key, DIR/NAME.pem issued by DIR/CA; NAMES is a
#                                            comma-separated list, the first also the CN
# FROM and UNTIL are "YYYY-MM-DD HH:MM:SS" (UTC); without them a certificate is valid from now for 100
# years, so the files of a fixture never expire. Keys are RSA as in libvirt's guide (TLS_KEY_TYPE=ecdsa
# for another: certtool gives an ECDSA key no key encipherment, which libvirt 9.0 refuses).

tls_need() {
        command -v certtool >/dev/null ||
                { echo "SKIP: certtool not found (apt-get install gnutls-bin)"; exit 77; }
}

# tls_validity FROM UNTIL: the template's lines for the dates
tls_validity() {
        if [ -n "${1:-}" ]; then
                printf 'activation_date = "%s"\nexpiration_date = "%s"\n' "$1" "$2"
        else
                echo "expiration_days = 36500"
        fi
}

tls_key() { # tls_key FILE
        local type=${TLS_KEY_TYPE:-rsa} bits=()
        [ "$type" = rsa ] && bits=(--bits=2048) # certtool's 3072 takes longer and proves nothing more
        certtool --generate-privkey --key-type="$type" "${bits[@]}" --no-text --outfile "$1" 2>/dev/null
}

tls_ca() {
        local dir=$1 name=$2
        tls_key "$dir/$name.key" || return 1
        {
                echo "cn = \"hostprep test CA $name\""
                echo "ca"
                echo "cert_signing_key"
                echo "crl_signing_key"
                tls_validity "${3:-}" "${4:-}"
        } >"$dir/$name.info"
        certtool --generate-self-signed --load-privkey "$dir/$name.key" --template "$dir/$name.info" \
                --no-text --outfile "$dir/$name.pem" 2>/dev/null
}

tls_cert() {
        local dir=$1 name=$2 ca=$3 role=$4 names=$5 n
        tls_key "$dir/$name.key" || return 1
        {
                echo "cn = \"${names%%,*}\""
                for n in ${names//,/ }; do echo "dns_name = \"$n\""; done
                echo "tls_www_$role"
                # libvirt wants both usages in a certificate it loads (virNetTLSContextCheckCertKeyUsage)
                echo "signing_key"
                echo "encryption_key"
                tls_validity "${6:-}" "${7:-}"
        } >"$dir/$name.info"
        certtool --generate-certificate --load-privkey "$dir/$name.key" \
                --load-ca-certificate "$dir/$ca.pem" --load-ca-privkey "$dir/$ca.key" \
                --template "$dir/$name.info" --no-text --outfile "$dir/$name.pem" 2>/dev/null
}

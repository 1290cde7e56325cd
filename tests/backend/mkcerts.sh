#!/usr/bin/env bash
# tests/backend/mkcerts.sh OUTDIR [NAME [IP...]] - test certificates for ipvsr-testbackend.
#
# Writes into OUTDIR (created if missing), all PEM:
#   ca.crt ca.key      a test CA ("ipvsr test CA") - give ca.crt to the client as trust anchor
#   key.pem            the one server key that all server certificates below share
#   good.crt           CA-signed, CN=NAME, SAN DNS:NAME plus IP:<each IP>; valid now
#   expired.crt        like good.crt, CA-signed, but valid only in 2000-2001
#   wrongname.crt      CA-signed, valid, but for wrong-name.invalid / 203.0.113.254
#   untrusted.crt      valid name and IPs, but self-signed (no CA vouches for it)
# NAME defaults to backend.test.  EC P-256 keys: the whole run takes well under a second.
# Because every variant uses key.pem, switching the backend's certificate is just
# "copy another .crt over the served one and send SIGHUP" (or admin "reload").

# SPDX-License-Identifier: Apache-2.0
set -euo pipefail

(($# >= 1)) || { echo "usage: $0 OUTDIR [NAME [IP...]]" >&2; exit 2; }
out=$1 name=${2:-backend.test}
shift; (($#)) && shift
ips=("$@")
command -v openssl >/dev/null || { echo "$0: openssl not found" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/mkcerts.XXXXXX")
trap 'rm -rf "$work"' EXIT

san="DNS:$name"
for ip in "${ips[@]}"; do san+=",IP:$ip"; done

ossl() { openssl "$@" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }; }

# Keys.
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/ca.key"
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/key.pem"

# CA (10 years).
ossl req -new -x509 -key "$out/ca.key" -out "$out/ca.crt" -days 3650 -sha256 \
    -subj "/O=ipvs-router tests/CN=ipvsr test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# "openssl ca" is used for every CA-signed cert because, in OpenSSL 3.0, it is the
# only way to pick arbitrary validity dates (needed for expired.crt).
mkdir -p "$work/db"
: >"$work/db/index.txt"
echo 1000 >"$work/db/serial"
cat >"$work/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $work/db/index.txt
serial = $work/db/serial
new_certs_dir = $work/db
certificate = $out/ca.crt
private_key = $out/ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
email_in_dn = no
[ any ]
commonName = supplied
[ server ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = \${ENV::SAN}
EOF

sign() {  # OUT CN SAN STARTDATE ENDDATE
    ossl req -new -key "$out/key.pem" -subj "/CN=$2" -out "$work/req.csr"
    SAN=$3 ossl ca -batch -config "$work/ca.cnf" -extensions server -notext \
        -startdate "$4" -enddate "$5" -in "$work/req.csr" -out "$out/$1"
}
now_minus_1d=$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)
in_2y=$(date -u -d '2 years' +%Y%m%d%H%M%SZ)
sign good.crt "$name" "$san" "$now_minus_1d" "$in_2y"
sign expired.crt "$name" "$san" 20000101000000Z 20010101000000Z
sign wrongname.crt wrong-name.invalid "DNS:wrong-name.invalid,IP:203.0.113.254" "$now_minus_1d" "$in_2y"

# Self-signed, right name: no chain to ca.crt.
ossl req -new -x509 -key "$out/key.pem" -out "$out/untrusted.crt" -days 730 -sha256 \
    -subj "/CN=$name" -addext "subjectAltName=$san" -addext "basicConstraints=critical,CA:FALSE"

chmod 0644 "$out"/*.crt
chmod 0600 "$out"/*.key "$out/key.pem"
echo "mkcerts: wrote ca.crt ca.key key.pem good.crt expired.crt wrongname.crt untrusted.crt to $out"

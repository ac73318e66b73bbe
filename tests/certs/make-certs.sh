#!/usr/bin/env bash
# The certificate kit: every certificate case the seed document describes, made with the openssl
# CLI, for tests, samples and benchmarks.  Usage: make-certs.sh OUTDIR
#
# Trust anchors: ca.pem (root). Most leaves are signed by an intermediate (int.pem); a server
# sends "<case>.pem" = leaf + intermediate, key in "<case>.key". The names the good leaf carries
# are localhost, db1.tdsprobe.test and IP 127.0.0.1 (tests probe 127.0.0.1 as "localhost").
#
#   good          leaf+int, SAN localhost/db1.tdsprobe.test/127.0.0.1, serverAuth, RSA-2048, SHA-256
#   wrongcn       CN/SAN wrong.tdsprobe.test only
#   wildcard      CN/SAN *.tdsprobe.test
#   expired       valid 2020-01-01 .. 2021-01-01
#   notyet        valid 2099-01-01 .. 2100-01-01
#   sha1          leaf signed with SHA-1 (OpenSSL security level 2 refuses to load it)
#   clientauth    EKU clientAuth only
#   nokeyenc      key usage digitalSignature only (no keyEncipherment)
#   keyenconly    key usage keyEncipherment only (no digitalSignature: ECDHE suites fail)
#   rsa1024       RSA-1024 leaf
#   seed          the seed's own recipe: self-signed, CN=mssql.contoso.com, no SAN
#   selfsigned    self-signed CN=localhost with SAN localhost/127.0.0.1 (trusted by pinning/CA file)
#   bigchain      leaf + 2 intermediates, RSA-4096, many SANs: over 4 KB on the wire
#   ecdsa         ECDSA P-256 leaf (signed by the intermediate)
#   hugesan       leaf+int with 600 SANs: its Certificate message (~28 KB) spans two TLS records
#   other-ca.pem  an unrelated root: "trusting the wrong CA"
set -euo pipefail
out=${1:?usage: make-certs.sh OUTDIR}
# .done holds this script's hash: a kit made by an older script (a case added since) is made again
self=$(sha256sum "$0" | cut -d' ' -f1)
mkdir -p "$out"
cd "$out"
if [ -f .done ]; then
    [ "$(cat .done)" = "$self" ] && exit 0
    find . -mindepth 1 -delete # only a kit this script made (it has .done) is emptied
fi
export OPENSSL_CONF=/dev/null

cat > ca.cnf <<'CNF'
[ ca ]
default_ca = kit
[ kit ]
dir = .
database = index.txt
new_certs_dir = newcerts
serial = serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
email_in_dn = no
[ any ]
commonName = supplied
organizationName = optional
[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_leaf ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = ${ENV::SAN}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_clientauth ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectAltName = ${ENV::SAN}
[ v3_keyenconly ]
basicConstraints = CA:false
keyUsage = critical, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = ${ENV::SAN}
[ v3_nokeyenc ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = ${ENV::SAN}
CNF
mkdir -p newcerts
: > index.txt
echo 1000 > serial
export SAN="DNS:localhost"

key() { # key FILE SPEC
    case "$2" in
    rsa:*) openssl genrsa -out "$1" "${2#rsa:}" 2>/dev/null ;;
    ec) openssl ecparam -name prime256v1 -genkey -noout -out "$1" ;;
    esac
}
sign() { # sign NAME CN ISSUER EXT [extra ca args...]
    local name=$1 cn=$2 issuer=$3 ext=$4
    shift 4
    openssl req -new -key "$name.key" -subj "/CN=$cn/O=tdsprobe kit" -out "$name.csr" 2>/dev/null
    openssl ca -batch -config ca.cnf -cert "$issuer.pem" -keyfile "$issuer.key" -extensions "$ext" \
        -in "$name.csr" -out "$name.crt" -notext "$@" 2>/dev/null
}

# Root and intermediate.
key ca.key rsa:2048
openssl req -x509 -new -key ca.key -subj "/CN=tdsprobe kit root CA/O=tdsprobe kit" -days 3650 \
    -sha256 -config ca.cnf -extensions v3_ca -out ca.pem 2>/dev/null
key int.key rsa:2048
sign int "tdsprobe kit intermediate CA" ca v3_ca -days 3000
cp int.crt int.pem

leaf() { # leaf NAME CN SAN EXT KEYSPEC [ca args]
    local name=$1 cn=$2 san=$3 ext=$4 spec=$5
    shift 5
    key "$name.key" "$spec"
    SAN=$san sign "$name" "$cn" int "$ext" "$@"
    cat "$name.crt" int.pem > "$name.pem"
}
good_san="DNS:localhost,DNS:db1.tdsprobe.test,IP:127.0.0.1,IP:::1"
leaf good localhost "$good_san" v3_leaf rsa:2048 -days 825
leaf wrongcn wrong.tdsprobe.test "DNS:wrong.tdsprobe.test" v3_leaf rsa:2048 -days 825
leaf wildcard "*.tdsprobe.test" "DNS:*.tdsprobe.test" v3_leaf rsa:2048 -days 825
leaf expired localhost "$good_san" v3_leaf rsa:2048 -startdate 20200101000000Z -enddate 20210101000000Z
leaf notyet localhost "$good_san" v3_leaf rsa:2048 -startdate 20990101000000Z -enddate 21000101000000Z
leaf sha1 localhost "$good_san" v3_leaf rsa:2048 -days 825 -md sha1
leaf clientauth localhost "$good_san" v3_clientauth rsa:2048 -days 825
leaf nokeyenc localhost "$good_san" v3_nokeyenc rsa:2048 -days 825
leaf keyenconly localhost "$good_san" v3_keyenconly rsa:2048 -days 825
leaf rsa1024 localhost "$good_san" v3_leaf rsa:1024 -days 825
leaf ecdsa localhost "$good_san" v3_leaf ec -days 825

# The seed's recipe, verbatim apart from the output names.
openssl req -x509 -nodes -newkey rsa:2048 -subj '/CN=mssql.contoso.com' -keyout seed.key \
    -out seed.pem -days 365 2>/dev/null
# A self-signed certificate that does match localhost (trusted by --ca-file or a pin).
openssl req -x509 -nodes -newkey rsa:2048 -subj '/CN=localhost' -keyout selfsigned.key \
    -out selfsigned.pem -days 365 -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -addext "extendedKeyUsage=serverAuth" 2>/dev/null

# A chain over 4 KB: root -> big1 -> big2 -> leaf, RSA-4096 with many SANs.
key big1.key rsa:4096
sign big1 "tdsprobe kit big intermediate 1" ca v3_ca -days 3000
key big2.key rsa:4096
cp big1.crt big1.pem
sign big2 "tdsprobe kit big intermediate 2" big1 v3_ca -days 3000
cp big2.crt big2.pem
bigsan=$good_san
for i in $(seq 1 40); do bigsan="$bigsan,DNS:replica$i.db.tdsprobe.test"; done
key bigchain.key rsa:4096
SAN=$bigsan sign bigchain localhost big2 v3_leaf -days 825
cat bigchain.crt big2.pem big1.pem > bigchain.pem

# A Certificate message over 16 KB (RFC 5246 6.2.1: one record carries at most 2^14 bytes), so
# the server splits it across records: 600 SANs make the leaf about 28 KB.
hugesan=$good_san
for i in $(seq 1 600); do hugesan="$hugesan,DNS:listener$i.availability-group.tdsprobe.test"; done
leaf hugesan localhost "$hugesan" v3_leaf rsa:2048 -days 825

# An unrelated CA: trusting it trusts none of the above.
openssl req -x509 -nodes -newkey rsa:2048 -subj '/CN=some other CA' -keyout other-ca.key \
    -out other-ca.pem -days 3650 2>/dev/null
rm -f ./*.csr
echo "$self" > .done

#!/usr/bin/env bash
# Generates throw-away TLS material for the test brokers into DIR (idempotent: a complete DIR is left alone).
#   scripts/tls-setup.sh DIR
# PEM (for OpenSSL clients):   ca.pem ca.key                test CA that signs everything below
#                              broker.pem broker.key        broker cert, CN=localhost, SAN DNS:localhost, IP:127.0.0.1
#                              client.pem client.key        client cert (CN=kafka-test-client) signed by the test CA
#                              other-ca.pem other-ca.key    an unrelated CA, for "wrong CA" tests
#                              other-client.pem .key        a client cert signed by the unrelated CA
# PKCS12 (for the JVM), password in DIR/password ("changeit"):
#                              broker.keystore.p12          broker key + chain
#                              truststore.p12               trusts ca.pem
#                              client.keystore.p12          client key + chain
set -euo pipefail
prog=tls-setup
die() { echo "$prog: error: $*" >&2; exit 1; }
[ $# -eq 1 ] || { sed -n '2,14s/^# \{0,1\}//p' "$0" >&2; exit 2; }
for t in openssl keytool; do command -v "$t" >/dev/null || die "$t not found (run scripts/install-deps.sh)"; done

dir=$1
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pass=changeit
days=3650
outputs=(ca.pem ca.key broker.pem broker.key broker.keystore.p12 truststore.p12 client.pem client.key
         client.keystore.p12 other-ca.pem other-ca.key other-client.pem other-client.key password)

complete() {
  [ -f "$dir/.complete" ] || return 1
  local f; for f in "${outputs[@]}"; do [ -s "$dir/$f" ] || return 1; done
  # regenerate when the broker certificate expires within a day
  openssl x509 -in "$dir/broker.pem" -noout -checkend 86400 >/dev/null 2>&1
}

exec 9>"$dir/.lock"
flock 9
if complete; then exit 0; fi
echo "$prog: generating test CA, broker and client certificates in $dir" >&2
rm -f "$dir/.complete"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$dir"

new_ca() { # name CN
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days $days -subj "/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$1.key" -out "$1.pem" 2>/dev/null
}
new_leaf() { # name CN ca extensions
  openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=$2" -keyout "$1.key" -out "$tmp/$1.csr" 2>/dev/null
  printf '%s\n' "$4" > "$tmp/$1.ext"
  openssl x509 -req -sha256 -days $days -in "$tmp/$1.csr" -CA "$3.pem" -CAkey "$3.key" \
    -set_serial "0x$(openssl rand -hex 16)" -extfile "$tmp/$1.ext" -out "$1.pem" 2>/dev/null
  chmod 600 "$1.key"
}

new_ca ca kafka-test-ca
new_ca other-ca kafka-other-test-ca
new_leaf broker localhost ca "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1"
client_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
new_leaf client kafka-test-client ca "$client_ext"
new_leaf other-client kafka-other-test-client other-ca "$client_ext"

openssl verify -CAfile ca.pem broker.pem client.pem >/dev/null || die "generated certificates do not verify"

# JVM stores: key stores from OpenSSL, the trust store with keytool (only keytool marks trusted-cert entries)
openssl pkcs12 -export -name broker -in broker.pem -inkey broker.key -certfile ca.pem \
  -out broker.keystore.p12 -passout pass:$pass
openssl pkcs12 -export -name client -in client.pem -inkey client.key -certfile ca.pem \
  -out client.keystore.p12 -passout pass:$pass
rm -f truststore.p12
keytool -importcert -noprompt -alias ca -file ca.pem -keystore truststore.p12 -storetype PKCS12 \
  -storepass $pass >/dev/null 2>&1 || die "keytool could not write truststore.p12"
keytool -list -keystore broker.keystore.p12 -storetype PKCS12 -storepass $pass 2>/dev/null \
  | grep -q PrivateKeyEntry || die "the JVM cannot read broker.keystore.p12"
printf '%s\n' "$pass" > password
touch .complete
echo "$prog: done" >&2

#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian bookworm machine.
# Idempotent: a second run installs nothing new and returns quickly.
#   scripts/install-deps.sh            Debian packages + Kafka broker jars (4.x and 3.9) + a Python venv
#                                      with confluent-kafka (scripts/python-deps.sh)
#   scripts/install-deps.sh --no-kafka Debian packages only
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")

packages=(
  build-essential cmake ninja-build pkg-config git
  clang-14 libclang-rt-14-dev clang-format-14
  libasio-dev librange-v3-dev catch2
  zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev libssl-dev
  kcat librdkafka-dev
  openjdk-17-jdk-headless maven
  python3 python3-venv time procps netcat-openbsd
  # GSSAPI: the one-node Kafka rig runs its own MIT KDC (krb5kdc, kdb5_util from krb5-kdc; kadmin.local
  # from krb5-admin-server), kinit (krb5-user) gets tickets, libkrb5-dev has the GSS-API headers, and
  # kcat's Cyrus SASL needs the GSSAPI module
  krb5-kdc krb5-admin-server krb5-user libkrb5-dev libsasl2-modules-gssapi-mit
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo
  # Passed through env, not only exported: sudo's env_reset drops DEBIAN_FRONTEND. Without a frontend
  # krb5-config would ask for a default realm. Nothing needs that answer (the rig brings its own
  # krb5.conf and KDC configuration; krb5-kdc's postinst falls back to EXAMPLE.COM for its unused
  # /etc/krb5kdc/kdc.conf), and preseeding one would rewrite the machine's /etc/krb5.conf.
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" != "--no-kafka" ]; then
  "$here/kafka-jars.sh"
  "$here/python-deps.sh"   # confluent-kafka's current librdkafka, a KIP-848 peer in the mixed-group tests
fi
echo "install-deps: ok" >&2

#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian bookworm machine.
# Idempotent: a second run installs nothing new and returns quickly.
#   scripts/install-deps.sh            Debian packages + Kafka broker jars (4.x and 3.9)
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
  python3 time procps netcat-openbsd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" != "--no-kafka" ]; then
  "$here/kafka-jars.sh"
fi
echo "install-deps: ok" >&2

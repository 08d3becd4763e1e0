#!/usr/bin/env bash
# A Python environment with the confluent-kafka wheel, whose bundled librdkafka (2.12 and newer speak
# the KIP-848 consumer group protocol; Debian's librdkafka 2.0.2 does not) is a peer in the
# integration tests' mixed groups. Idempotent: a complete environment of the pinned version is left alone.
#   scripts/python-deps.sh        creates ${KAFKA_CACHE:-<repo>/.cache}/venv
#   scripts/python-deps.sh --path prints the environment's python
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${KAFKA_CACHE:-$top/.cache}
venv=$cache/venv
confluent_kafka_version=2.16.2   # bundles librdkafka 2.16.0

if [ "${1:-}" = --path ]; then echo "$venv/bin/python"; exit 0; fi
stamp=$venv/.complete-confluent-kafka-$confluent_kafka_version
if [ -f "$stamp" ]; then exit 0; fi
echo "python-deps: creating $venv with confluent-kafka $confluent_kafka_version" >&2
rm -rf "$venv"
# Debian's python3 (python3-venv from scripts/install-deps.sh), not whatever python3 comes first in PATH
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
"$py" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "confluent-kafka==$confluent_kafka_version"
"$venv/bin/python" -c 'import confluent_kafka as c; v = c.libversion()[0]; print("python-deps: librdkafka", v)' >&2
touch "$stamp"

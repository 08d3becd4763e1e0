#!/usr/bin/env bash
# Measures examples/quickstart.cpp against the prototypes: made from the example itself (so they
# follow it), compiled with ../measure.sh at -O0 -g and -O2.
#   quickstart_facade.cpp  the example against facade.hpp (declarations only, light headers)
#   quickstart_extern.cpp  the example with `extern template class KafkaConsumer<...>` for its
#                          consumer (consumer_inst.cpp would hold the explicit instantiation)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
example="$here/../../../examples/quickstart.cpp"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp "$here"/facade.hpp "$here"/my_policies.hpp "$work"/
sed 's|#include <kafka/consumer.hpp>|#include "facade.hpp"|' "$example" > "$work/quickstart_facade.cpp"
# The example's policies come from my_policies.hpp; its own definition becomes the extern declaration.
python3 - "$example" "$work/quickstart_extern.cpp" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s = s.replace('#include <kafka/consumer.hpp>', '#include "my_policies.hpp"')
s = re.sub(r'struct my_policies : kafka::default_policies \{.*?\n\};\n',
           'extern template class kafka::KafkaConsumer<std::string, std::string, my_policies>;\n', s, flags=re.S)
open(sys.argv[2], 'w').write(s)
PY
for f in quickstart_facade quickstart_extern; do
  for o in "-O0 -g" "-O2"; do
    # shellcheck disable=SC2086
    "$here/../measure.sh" -n "${RUNS:-2}" "$work/$f.cpp" $o
  done
done

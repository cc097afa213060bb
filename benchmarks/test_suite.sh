#!/usr/bin/env bash
# Wall time of what CI runs after its system packages (.ci/run): `make test`, then the fast
# suites under another CPU's numerics (`make test-other-cpu`), each timed (venv set up or not).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s.%N)
make test
mid=$(date +%s.%N)
make test-other-cpu
end=$(date +%s.%N)
echo "make test: $(echo "$mid - $start" | bc) s; make test-other-cpu: $(echo "$end - $mid" | bc) s"

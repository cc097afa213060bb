#!/usr/bin/env bash
# Wall time of the README's test command on this machine (venv already set up or not).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s.%N)
make test
echo "make test: $(echo "$(date +%s.%N) - $start" | bc) s"

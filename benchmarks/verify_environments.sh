#!/usr/bin/env bash
# Full-data reproducibility across machine environments: clone HEAD, then `make verify`
# (every stage rerun, each output checked against the committed dvc.lock) under each
# environment below, one after another. Prints per run: exit code, wall time, peak RSS.
#   bash benchmarks/verify_environments.sh [WORKDIR]        (~4 min per environment here)
# The clone reuses this checkout's .venv; nothing in this checkout is touched.
set -euo pipefail
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
work=${1:-$(mktemp -d)}
git clone -q "$root" "$work/repo"
cd "$work/repo"
ln -s "$root/.venv" .venv
touch -d 2000-01-01 requirements.txt pyproject.toml  # the linked venv is up to date
export PYTHONPATH="$PWD/src"  # this clone's code, not the editable install's
no_simd=$("$root/.venv/bin/python" -c "
from numpy._core import _multiarray_umath as m
print(' '.join(t for t in m.__cpu_dispatch__ if m.__cpu_features__.get(t)))")
environments=(
    "OPENBLAS_CORETYPE=Prescott OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1"
    "OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS=8 OPENBLAS_NUM_THREADS=8"
    "OPENBLAS_CORETYPE=Haswell NPY_DISABLE_CPU_FEATURES='$no_simd' GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F"
)
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
for env in "${environments[@]}"; do
    git checkout -q -- dvc.lock metrics
    start=$(date +%s)
    status=0
    eval "env $env /usr/bin/time -f '%M' -o ../rss make verify" > ../verify.log 2>&1 || status=$?
    echo "$env: exit $status, $(( $(date +%s) - start )) s, peak $(( $(cat ../rss) / 1024 )) MB"
    grep -E "^verified|differ|^  " ../verify.log || true
done

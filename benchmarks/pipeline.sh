#!/usr/bin/env bash
# Pipeline benchmark: cold `make repro` in a fresh clone (venv + install + full pipeline),
# then each stage forced on its own, then no-op `dvc repro`. Prints wall time and peak RSS.
#   bash benchmarks/pipeline.sh [WORKDIR]      (default: a new temp dir; ~6-8 min on 2 cores)
set -euo pipefail
src=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
work=${1:-$(mktemp -d)}
clone="$work/clone"
rm -rf "$clone"
git clone --quiet "$src" "$clone"
cd "$clone"
measure() {  # measure LABEL CMD... -> "LABEL  wall_s  peak_rss_MB"
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >"$work/$label.log" 2>&1 || {
        echo "$label failed; log: $work/$label.log" >&2; exit 1; }
    read -r wall rss <"$work/time.txt"
    printf '%-22s %8.1f s %8.0f MB\n' "$label" "$wall" "$((rss / 1024))"
}
echo "host: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; commit $(git rev-parse --short HEAD)"
printf '%-22s %10s %11s\n' step wall peak_rss
measure "make repro (cold)" make repro
export PATH="$clone/.venv/bin:$PATH"
# Every stage in dvc.yaml, forced one at a time. (In the cold run, stages whose git-tracked
# outputs already match dvc.lock are skipped by DVC, e.g. evaluate after a byte-identical train.)
for stage in $(python -c 'import yaml; print(*yaml.safe_load(open("dvc.yaml"))["stages"])'); do
    measure "stage $stage" dvc repro --force --single-item "$stage"
done
for i in 1 2 3; do
    measure "no-op dvc repro #$i" dvc repro
done
git diff --quiet dvc.lock && echo "dvc.lock unchanged: the committed lock matches this run" \
    || { echo "dvc.lock CHANGED: outputs differ from the committed run"; git diff --stat; }
echo "logs in $work"

#!/usr/bin/env bash
# Batch scoring: peak RSS and throughput on 1M rows and on all 14.3M ingested rows, with the
# model alone (--no-lookup: every password goes through the features and the model) and with
# the lookup (the product default). Streams in `predict.batch_size` batches.
#   bash benchmarks/batch_scoring.sh      (after `make repro`; ~6 min on 2 cores)
set -euo pipefail
cd "$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=.venv/bin/python
$py - "$work" <<'PY'
import sys, pyarrow.parquet as pq
t = pq.read_table("data/ingested.parquet", columns=["password"])
pq.write_table(t.slice(0, 1_000_000), f"{sys.argv[1]}/1m.parquet", row_group_size=100_000)
pq.write_table(t, f"{sys.argv[1]}/all.parquet", row_group_size=100_000)
PY
printf '%-10s %-10s %10s %12s %12s\n' input lookup rows wall_s passwords/s
for input in 1m all; do
    for mode in off on; do
        flag=$([ "$mode" = off ] && echo --no-lookup || true)
        /usr/bin/time -f "%e %M" -o "$work/time" \
            .venv/bin/password-complexity predict $flag "$work/$input.parquet" "$work/out.parquet" \
            2>"$work/log" || { cat "$work/log"; exit 1; }
        read -r wall rss <"$work/time"
        rows=$($py -c "import pyarrow.parquet as pq; print(pq.ParquetFile('$work/out.parquet').metadata.num_rows)")
        rate=$(awk -v r="$rows" -v w="$wall" 'BEGIN { printf "%.0f", r / w }')
        printf '%-10s %-10s %10s %12s %12s   peak RSS %5d MB\n' "$input" "$mode" "$rows" "$wall" \
            "$rate" "$((rss / 1024))"
    done
done

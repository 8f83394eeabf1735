#!/usr/bin/env bash
# Throughput and peak memory of training on Fashion-MNIST streamed from its memory-mapped bytes
# (--storage stream: the gzip IDX files decompressed once into the prepared cache, each batch read when
# the trainer asks for it, the next one read on a worker meanwhile) against the same set held in memory
# (--storage memory), side by side: the runs alternate (memory, stream, memory, stream, ...) so that a
# change in the machine's load falls on both. Seconds per epoch come from each run's metrics.jsonl; peak
# resident memory from /usr/bin/time -v.
#   bench/stream_fashion_mnist.sh                       # REPEATS=3 EPOCHS=1 MODEL="--model ae --arch mlp"
#   LATENT=/tmp/frozen/latent bench/stream_fashion_mnist.sh
# Prints one line per run and the ratio stream / memory of the median seconds per epoch.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
latent="${LATENT:-$root/latent}"
"$latent" --help >/dev/null      # build first
repeats="${REPEATS:-3}"
read -ra model <<< "${MODEL:---model ae --arch mlp}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
printf 'storage\tseconds_per_epoch\tpeak_rss_mib\n'
for ((r = 0; r < repeats; r++)); do
  for storage in memory stream; do
    rm -rf "$scratch/run"
    /usr/bin/time -v -o "$scratch/time.txt" "$latent" train "${model[@]}" --data fashion-mnist --storage "$storage" \
      --epochs "${EPOCHS:-1}" --out "$scratch/run" >/dev/null 2>&1
    seconds=$(python3 -c 'import json,sys; rows=[json.loads(l) for l in open(sys.argv[1])]; print(sum(r["seconds"] for r in rows)/len(rows))' "$scratch/run/metrics.jsonl")
    rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$scratch/time.txt")
    printf '%s\t%.2f\t%.0f\n' "$storage" "$seconds" "$(echo "$rss_kib / 1024" | bc -l)" | tee -a "$scratch/rows.tsv"
  done
done
python3 - "$scratch/rows.tsv" <<'PY'
import statistics, sys
rows = [line.split('\t') for line in open(sys.argv[1])]
median = {s: statistics.median(float(r[1]) for r in rows if r[0] == s) for s in ('memory', 'stream')}
print(f"median seconds per epoch: memory {median['memory']:.2f}, stream {median['stream']:.2f}; stream / memory = {median['stream'] / median['memory']:.3f}")
PY

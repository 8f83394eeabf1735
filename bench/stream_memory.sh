#!/usr/bin/env bash
# Peak resident memory of `latent train` on shapes:SIZE:rgb against the number of examples, streamed
# (--storage stream: each batch rendered when the trainer asks for it) and held in memory
# (--storage memory), one fresh process per point, measured by /usr/bin/time -v (its "Maximum resident
# set size"). The model is deliberately small (an MLP AE with one hidden layer of 32) so that the figure
# is the data's, not the network's, and one epoch is cheap; time per epoch is printed alongside.
#   bench/stream_memory.sh                                  # EXAMPLES=10000,30000,100000 SIZE=64 STORAGES=stream,memory
#   LATENT=/tmp/frozen/latent bench/stream_memory.sh        # a frozen build, so the sources may change meanwhile
# Writes bench/stream_memory.tsv (examples, storage, peak RSS in MiB, wall seconds).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
latent="${LATENT:-$root/latent}"
"$latent" --help >/dev/null      # build first
size="${SIZE:-64}"
out="${OUT:-$root/bench/stream_memory.tsv}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
printf 'examples\tstorage\tpeak_rss_mib\twall_seconds\n' > "$out"
IFS=, read -ra counts <<< "${EXAMPLES:-10000,30000,100000}"
IFS=, read -ra storages <<< "${STORAGES:-stream,memory}"
for n in "${counts[@]}"; do
  for storage in "${storages[@]}"; do
    rm -rf "$scratch/run"
    /usr/bin/time -v -o "$scratch/time.txt" "$latent" train --model ae --hidden 32 --latent-dim 8 \
      --data "shapes:$size:rgb" --examples "$n" --storage "$storage" --epochs 1 --batch-size 256 \
      --out "$scratch/run" >/dev/null 2>&1
    rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$scratch/time.txt")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$scratch/time.txt" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    printf '%s\t%s\t%.0f\t%s\n' "$n" "$storage" "$(echo "$rss_kib / 1024" | bc -l)" "$wall" | tee -a "$out"
  done
done

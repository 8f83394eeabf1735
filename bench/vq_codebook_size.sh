#!/usr/bin/env bash
# Training speed of the VQ-VAE with K = 8192 codes against K = 512, for the same model, measured side
# by side in one run: the two sizes are trained alternately (ROUNDS times each) so that drift in the
# machine's load affects both alike. Prints the seconds per epoch of each and the ratio.
#
#   bench/vq_codebook_size.sh                       # conv VQ-VAE on Fashion-MNIST (shapes when it is not installed)
#   DATA=shapes EPOCHS=2 LIMIT=10000 ROUNDS=2 bench/vq_codebook_size.sh
#   ARGS="--code-dim 8" bench/vq_codebook_size.sh   # any further model options, the same for both sizes
#
# An AVX2-only machine, emulated on an AVX-512 one (.NET, MKL and oneDNN all kept to AVX2, the AVX2 search forced):
#   DOTNET_EnableAVX512=0 MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 LATENT_NEAREST_CODE_KERNEL=avx2 bench/vq_codebook_size.sh
set -euo pipefail
cd "$(dirname "$0")/.."

data=${DATA:-$([ -d /usr/share/datasets/fashion-mnist ] && echo fashion-mnist || echo shapes)}
epochs=${EPOCHS:-2}
limit=${LIMIT:-20000}
rounds=${ROUNDS:-2}
args=${ARGS:-}
out=runs/bench-vq-codebook-size
rm -rf "$out"
mkdir -p "$out"

./latent --help >/dev/null # build first, outside the timings

# Sum of the "seconds" of every epoch in a run's metrics.jsonl (training, validation and codebook diagnostics).
seconds() { grep -o '"seconds":[0-9.eE+-]*' "$1/metrics.jsonl" | cut -d: -f2 | awk '{ s += $1 } END { printf "%.2f", s }'; }

echo "vqvae --arch conv on $data (limit $limit), $epochs epochs per run, $rounds rounds, options: ${args:-defaults}"
declare -A total
for round in $(seq "$rounds"); do
  for k in 512 8192; do
    run="$out/k$k-round$round"
    # shellcheck disable=SC2086
    ./latent train --model vqvae --arch conv --data "$data" --limit "$limit" --epochs "$epochs" \
      --codebook-size "$k" --prior-epochs 0 $args --out "$run" --quiet
    s=$(seconds "$run")
    total[$k]=$(awk -v a="${total[$k]:-0}" -v b="$s" 'BEGIN { printf "%.2f", a + b }')
    echo "round $round  K=$k  $(awk -v s="$s" -v e="$epochs" 'BEGIN { printf "%.1f", s / e }') s per epoch"
  done
done
per512=$(awk -v s="${total[512]}" -v n=$((rounds * epochs)) 'BEGIN { printf "%.1f", s / n }')
per8192=$(awk -v s="${total[8192]}" -v n=$((rounds * epochs)) 'BEGIN { printf "%.1f", s / n }')
echo "K=512:  $per512 s per epoch"
echo "K=8192: $per8192 s per epoch"
awk -v a="${total[8192]}" -v b="${total[512]}" 'BEGIN { printf "ratio K=8192 / K=512: %.2f (target: at most 1.5)\n", a / b }'

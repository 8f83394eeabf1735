#!/usr/bin/env bash
# The quantizers side by side, for the README table: each trained with the same conv VQ-VAE (channels 32, 64;
# D = 32; 7×7 positions on 28×28 images) on the same data and seed, then evaluated on the test split.
# Prints one tab-separated row per run: bits per image, test MSE, usage, perplexity (and RVQ's per-stage
# figures), and seconds per training epoch. Seconds are provisional on a shared machine: compare rows of
# one invocation, not across machines.
#
#   bench/quantizers.sh                                   # Fashion-MNIST (shapes when it is not installed), 10,000 images, 4 epochs: the README table
#   DATA=shapes EPOCHS=2 LIMIT=5000 bench/quantizers.sh
#   ONLY="fsq-2^10 lfq-2^10" bench/quantizers.sh          # some rows only
set -euo pipefail
cd "$(dirname "$0")/.."

data=${DATA:-$([ -d /usr/share/datasets/fashion-mnist ] && echo fashion-mnist || echo shapes)}
epochs=${EPOCHS:-4}
limit=${LIMIT:-10000}
out=${OUT:-runs/bench-quantizers}
mkdir -p "$out"
latent=${LATENT:-./latent} # LATENT="dotnet COPY/Latent.Cli.dll" runs a fixed build while the sources change
$latent --help >/dev/null # build first, outside the timings

# name | options (all runs: --model vqvae --arch conv --prior-epochs 0)
rows=(
  "vq-2^10|--codebook-size 1024"
  "vq-2^10-no-restarts|--codebook-size 1024 --restart-after 0"
  "vq-2^10-rotation|--codebook-size 1024 --gradient rotation"
  "vq-2^10-cosine|--codebook-size 1024 --cosine"
  "fsq-2^10|--quantizer fsq --codebook-size 1024"
  "lfq-2^10|--quantizer lfq --codebook-size 1024"
  "rvq-4x2^8|--quantizer rvq --stages 4 --codebook-size 256 --quantizer-dropout 0.5"
  "vq-2^14|--codebook-size 16384"
  "fsq-2^14|--quantizer fsq --codebook-size 16384"
  "lfq-2^14|--quantizer lfq --codebook-size 16384"
  "fsq-2^12|--quantizer fsq --codebook-size 4096"
  "lfq-2^12|--quantizer lfq --codebook-size 4096"
  "fsq-2^16|--quantizer fsq --codebook-size 65536"
  "lfq-2^16|--quantizer lfq --codebook-size 65536"
)

# A number from eval.json, or "-" when it is absent.
figure() { /usr/bin/python3 -c "import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print('-' if v is None else (f'{v:.5g}' if isinstance(v,float) else v))" "$1/eval.json" "$2"; }
seconds() { grep '"epoch"' "$1/metrics.jsonl" | grep -o '"seconds":[0-9.eE+-]*' | cut -d: -f2 | awk '{ s += $1; n++ } END { printf "%.1f", s / n }'; }

echo "vqvae --arch conv on $data (limit $limit), $epochs epochs, seed 1, kernel ${LATENT_NEAREST_CODE_KERNEL:-fastest}"
printf 'run\tbits\ttest_mse\tusage\tperplexity\ts/epoch\tstages (usage, perplexity, test_mse of the first j)\n'
for row in "${rows[@]}"; do
  name=${row%%|*}; args=${row#*|}
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then continue; fi
  run="$out/$name"
  if [ ! -f "$run/eval.json" ]; then
    rm -rf "$run"
    # shellcheck disable=SC2086
    $latent train --model vqvae --arch conv --data "$data" --limit "$limit" --epochs "$epochs" --prior-epochs 0 $args --out "$run" --quiet
    $latent eval --run "$run" >/dev/null
  fi
  stages=""
  for j in 1 2 3 4; do
    u=$(figure "$run" "codebook_usage_stage_$j"); [ "$u" = "-" ] && break
    stages+=" [$j: $u, $(figure "$run" "codebook_perplexity_stage_$j"), $(figure "$run" "test_mse_stages_$j")]"
  done
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(figure "$run" bits_per_example)" "$(figure "$run" test_mse)" \
    "$(figure "$run" codebook_usage)" "$(figure "$run" codebook_perplexity)" "$(seconds "$run")" "$stages"
done

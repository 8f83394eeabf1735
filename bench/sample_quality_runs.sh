#!/usr/bin/env bash
# The README's sample-quality table: VAE, AE + GMM and VQ-VAE + prior on Fashion-MNIST, every family at
# its defaults (MLP, D = 32, 10 epochs; the VQ-VAE's transformer prior 4 epochs), then
# `latent eval --sample-quality` on each (the AE through a 10-component mixture over its codes), the
# VAE run also with --sample-baselines (the sanity figures, which do not depend on the model).
#   bench/sample_quality_runs.sh [OUT_DIR]          (LATENT=... to use another build of the CLI)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
latent=${LATENT:-"$root/latent"}
out=${1:-runs/sample-quality}
mkdir -p "$out"
for family in vae ae vqvae; do
  run="$out/$family"
  [ -f "$run/model.safetensors" ] || $latent train --model "$family" --data fashion-mnist --out "$run" --quiet
done
$latent eval --run "$out/vae" --sample-quality --sample-baselines --quiet
$latent eval --run "$out/ae" --sample-quality --sampler gmm --quiet
$latent eval --run "$out/vqvae" --sample-quality --quiet
for family in vae ae vqvae; do
  /usr/bin/python3 -c "import json,sys; e=json.load(open(sys.argv[1])); print(sys.argv[2], ' '.join(f'{k} {v:.4g}' for k, v in sorted(e.items()) if k.startswith(('sample_', 'train_split_', 'baseline_')) or k == 'test_mse'))" "$out/$family/eval.json" "$family"
done

#!/usr/bin/env bash
# The README's comparison of the VAE variants with the plain VAE on the built-in shapes: the default MLP
# (1024-512-256-10 and its mirror), D = 10, 5 epochs, seed 1; then `latent eval --iwae-samples 100
# --sample-quality` on each, and one line per run with −ELBO, IWAE, active units and the sample figures.
#   bench/vae_variants_runs.sh [OUT_DIR]          (LATENT=... to use another build of the CLI; VARIANTS="vamp" for some)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
latent=${LATENT:-"$root/latent"}
out=${1:-runs/vae-variants}
seed=${SEED:-1}
mkdir -p "$out"
for variant in ${VARIANTS:-vae vamp iwae5 capacity tcvae}; do
  case $variant in
    vae)      model=() ;;
    vamp)     model=(--prior vamp) ;;
    iwae5)    model=(--train-samples 5) ;;
    capacity) model=(--regulariser capacity --capacity-max 25 --capacity-epochs 4) ;;
    tcvae)    model=(--regulariser total-correlation --tc-weight 6) ;;
  esac
  run="$out/$variant-seed$seed"
  if [ ! -f "$run/model.safetensors" ]; then
    $latent train --model vae "${model[@]}" --data shapes --latent-dim 10 --epochs 5 --seed "$seed" --out "$run" --quiet
  fi
  $latent eval --run "$run" --iwae-samples 100 --sample-quality --quiet
  /usr/bin/python3 -c "import json,sys; e=json.load(open(sys.argv[1])); print(sys.argv[2], ' '.join(f'{k} {e[k]:.4g}' for k in ['test_neg_elbo_nats','iwae_nll_nats','test_kl_nats','active_units','sample_fd','sample_precision','sample_recall','test_mse']))" "$run/eval.json" "$variant-seed$seed"
done

#!/usr/bin/env bash
# The README's disentanglement table: AE, VAE, β-VAE (β = 4, 16) and β-TCVAE (β = 6) on the built-in shapes, three
# seeds each, the default MLP (1024-512-256-10 and its mirror), D = 10, 5 epochs; then
# `latent eval --disentanglement` on each, and one line per run with the five figures.
#   bench/disentanglement_runs.sh [OUT_DIR]          (LATENT=... to use another build of the CLI; VARIANTS="tcvae" for some)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
latent=${LATENT:-"$root/latent"}
out=${1:-runs/disentanglement}
mkdir -p "$out"
for seed in 1 2 3; do
  for variant in ${VARIANTS:-ae vae beta4 beta16 tcvae}; do
    case $variant in
      ae)     model=(--model ae) ;;
      vae)    model=(--model vae) ;;
      beta4)  model=(--model vae --beta 4) ;;
      beta16) model=(--model vae --beta 16) ;;
      tcvae)  model=(--model vae --regulariser total-correlation --tc-weight 6) ;;
    esac
    run="$out/$variant-seed$seed"
    if [ ! -f "$run/model.safetensors" ]; then
      $latent train "${model[@]}" --data shapes --latent-dim 10 --epochs 5 --seed "$seed" --out "$run" --quiet
    fi
    $latent eval --run "$run" --disentanglement --quiet
    /usr/bin/python3 -c "import json,sys; e=json.load(open(sys.argv[1])); print(sys.argv[2], ' '.join(f'{k} {e[k]:.3f}' for k in ['mig','dci_disentanglement','dci_completeness','dci_informativeness','sap']), f\"mse {e['test_mse']:.4f}\")" "$run/eval.json" "$variant-seed$seed"
  done
done

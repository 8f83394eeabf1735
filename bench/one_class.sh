#!/usr/bin/env bash
# The one-class anomaly-detection protocol on Fashion-MNIST (e.g. Ruff et al. 2018, Deep SVDD, §4.1):
# for each class c, train on the training images of c alone (`--classes c`), then call every test
# image of the other nine classes an anomaly and measure how well each model's score separates them
# (`latent eval --anomaly`: AUROC, average precision). Latent's PCA, MLP AE, conv AE, VAE and conv
# VQ-VAE are run, and bench/one_class.py runs scikit-learn's PCA reconstruction error and
# IsolationForest on raw pixels on the same class, recomputes every Latent AUROC from the run's
# scores.csv with sklearn.metrics, and prints one table with the mean AUROC over the classes.
#
#   bench/one_class.sh                                  # all ten classes, every family, 10 epochs
#   CLASSES="0 5" FAMILIES="pca ae-mlp" EPOCHS=2 bench/one_class.sh
#   THREADS=2 LATENT_DIM=32 OUT=runs/bench-one-class bench/one_class.sh
#   LATENT_DLL=/tmp/latent/Latent.Cli.dll bench/one_class.sh   # a copy of a build, so that editing the tree meanwhile does not rebuild
#
# Runs are kept (OUT/cC-FAMILY); one that already holds eval.json and scores.csv is not trained again,
# so an interrupted bench continues where it stopped (delete OUT to start over).
set -euo pipefail
cd "$(dirname "$0")/.."

classes=${CLASSES:-0 1 2 3 4 5 6 7 8 9}
families=${FAMILIES:-pca ae-mlp ae-conv vae vqvae}
epochs=${EPOCHS:-10}
dim=${LATENT_DIM:-32}
threads=${THREADS:-2}
out=${OUT:-runs/bench-one-class}
[ -d /usr/share/datasets/fashion-mnist ] || { echo "one_class.sh needs Fashion-MNIST: apt-get install dataset-fashion-mnist" >&2; exit 2; }
mkdir -p "$out"
# ./latent rebuilds whenever a source is newer than its build; LATENT_DLL runs a fixed build instead.
latent() { if [ -n "${LATENT_DLL:-}" ]; then dotnet "$LATENT_DLL" "$@"; else ./latent "$@"; fi; }
latent --help >/dev/null # build first

# The training command of each family; every one sees the same --classes, --latent-dim and --seed (1).
train() {
  local family=$1 c=$2 run=$3
  local common=(--data fashion-mnist --classes "$c" --threads "$threads" --out "$run" --quiet)
  case $family in
    pca)     latent pca --components "$dim" "${common[@]}" ;;
    ae-mlp)  latent train --model ae --arch mlp --latent-dim "$dim" --epochs "$epochs" "${common[@]}" ;;
    ae-conv) latent train --model ae --arch conv --latent-dim "$dim" --epochs "$epochs" "${common[@]}" ;;
    vae)     latent train --model vae --arch mlp --latent-dim "$dim" --epochs "$epochs" "${common[@]}" ;;
    vqvae)   latent train --model vqvae --arch conv --latent-dim "$dim" --epochs "$epochs" "${common[@]}" ;;
    *) echo "unknown family '$family'; use pca, ae-mlp, ae-conv, vae or vqvae" >&2; exit 2 ;;
  esac
}

for c in $classes; do
  for family in $families; do
    run="$out/c$c-$family"
    if [ -f "$run/eval.json" ] && [ -f "$run/scores.csv" ] && grep -q anomaly_auroc "$run/eval.json"; then continue; fi
    rm -rf "$run"
    start=$SECONDS
    train "$family" "$c" "$run"
    latent eval --run "$run" --anomaly --threads "$threads" --quiet
    latent score --run "$run" --threads "$threads" --quiet
    echo "class $c  $family  $((SECONDS - start)) s  AUROC $(grep -o '"anomaly_auroc": [0-9.]*' "$run/eval.json" | cut -d' ' -f2)" >&2
  done
done

# shellcheck disable=SC2086
/usr/bin/python3 bench/one_class.py --runs "$out" --classes $classes --families $families --components "$dim" --threads "$threads"

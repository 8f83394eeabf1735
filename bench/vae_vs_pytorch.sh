#!/usr/bin/env bash
# Training speed of the reference VAE (784-512-256-(2×32) / 32-256-512-784, ReLU, Bernoulli, Adam 1e-3,
# batch 128) in Latent against the same model in Debian's PyTorch (bench/vae_reference.py), side by
# side in one run: the two alternate ROUNDS times with the same thread count, so that changes in the
# machine's load hit both alike. Each side's time is its training loop alone (data loaded, no
# evaluation): Latent's is the sum of the epochs' "seconds" in metrics.jsonl, PyTorch's is train_seconds.
#
#   bench/vae_vs_pytorch.sh                        # THREADS=2 EPOCHS=2 ROUNDS=2 BATCH=128
#   THREADS=1 EPOCHS=1 ROUNDS=3 bench/vae_vs_pytorch.sh
# Debian's PyTorch is built with BLAS_INFO=generic: its linear layers call libblas.so.3, which is the
# reference (netlib) BLAS unless an optimised one is installed. To also compare against PyTorch on
# OpenBLAS without touching the system, unpack it somewhere and point OPENBLAS_DIR at it:
#   apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/openblas
#   OPENBLAS_DIR=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread bench/vae_vs_pytorch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-2}
epochs=${EPOCHS:-2}
rounds=${ROUNDS:-2}
batch=${BATCH:-128}
python=${PYTHON:-/usr/bin/python3}
[ -d /usr/share/datasets/fashion-mnist ] || { echo "needs Fashion-MNIST: apt-get install dataset-fashion-mnist" >&2; exit 2; }
"$python" -c "import torch" 2>/dev/null || { echo "needs Debian's PyTorch: apt-get install python3-torch" >&2; exit 2; }

out=runs/bench-vae-vs-pytorch
rm -rf "$out"
mkdir -p "$out"
./latent --help >/dev/null # build first, outside the timings

seconds() { grep -o '"seconds":[0-9.eE+-]*' "$1/metrics.jsonl" | cut -d: -f2 | awk '{ s += $1 } END { printf "%.2f", s }'; }
latent_total=0
torch_total=0
echo "reference VAE on Fashion-MNIST (60 000 images), $epochs epochs per run, batch $batch, $threads threads, $rounds rounds"
for round in $(seq "$rounds"); do
  run="$out/latent-round$round"
  ./latent train --model vae --arch mlp --hidden 512,256 --latent-dim 32 --likelihood bernoulli --data fashion-mnist \
    --epochs "$epochs" --batch-size "$batch" --lr 1e-3 --schedule constant --warmup 0 --validation-fraction 0 \
    --threads "$threads" --quiet --out "$run"
  ours=$(seconds "$run")
  theirs=$(LD_LIBRARY_PATH="${OPENBLAS_DIR:+$OPENBLAS_DIR:}${LD_LIBRARY_PATH:-}" OPENBLAS_NUM_THREADS="$threads" "$python" bench/vae_reference.py --epochs "$epochs" --batch-size "$batch" --threads "$threads" --train-only \
    | grep -o '"train_seconds": [0-9.]*' | awk '{ print $2 }')
  latent_total=$(awk -v a="$latent_total" -v b="$ours" 'BEGIN { print a + b }')
  torch_total=$(awk -v a="$torch_total" -v b="$theirs" 'BEGIN { print a + b }')
  echo "round $round  Latent $ours s  PyTorch $theirs s"
done
echo "Latent:  $(awk -v s="$latent_total" -v n=$((rounds * epochs)) 'BEGIN { printf "%.1f", s / n }') s per epoch"
echo "PyTorch: $(awk -v s="$torch_total" -v n=$((rounds * epochs)) 'BEGIN { printf "%.1f", s / n }') s per epoch ($("$python" -c 'import torch; print(torch.__version__)'), BLAS: ${OPENBLAS_DIR:-the system libblas.so.3})"
awk -v a="$torch_total" -v b="$latent_total" 'BEGIN { printf "Latent is %.2f× as fast as PyTorch (target: at least 3)\n", a / b }'

#!/usr/bin/env bash
# How closely python/latent_torch reproduces Latent, on one process and on two (torchrun, DDP, gloo):
# for each configuration below, Latent trains one epoch; then the run is continued to EPOCHS epochs
# three ways from that same start: by `latent train --resume`, by latent_torch on one process, and by
# latent_torch under torchrun with two processes. Prints, per configuration, the largest relative
# difference over the last epoch's train_* and val_* figures (losses and every term) between PyTorch
# and Latent, and between two processes and one, and whether the metrics keys agree.
#
#   bench/ddp_agreement.sh                 # all configurations, EPOCHS=2
#   bench/ddp_agreement.sh vae vqvae       # only the configurations whose name starts with these
set -uo pipefail
cd "$(dirname "$0")/.."
epochs=${EPOCHS:-2}
python=${PYTHON:-/usr/bin/python3}
"$python" -c "import torch" 2>/dev/null || { echo "needs Debian's PyTorch: apt-get install python3-torch" >&2; exit 2; }
out=runs/bench-ddp-agreement
mkdir -p "$out"
"$python" -c "
import numpy as np
r = np.random.default_rng(3); x = r.normal(size=(1000, 3)) @ r.normal(size=(3, 12)) + 0.1 * r.normal(size=(1000, 12)) + 5
open('$out/table.csv', 'w').write(','.join(f'f{i}' for i in range(12)) + '\n' + '\n'.join(','.join(f'{v:.5f}' for v in row) for row in x) + '\n')"
S="--data shapes --limit 400 --batch-size 50"
T="--data csv:$out/table.csv --batch-size 64"
G="--data text:/usr/share/common-licenses/GPL-3 --window 32 --batch-size 32 --limit 600"
configurations=(
  "ae-mlp|--model ae --arch mlp --hidden 64 --latent-dim 8 $S"
  "ae-mlp-uneven|--model ae --arch mlp --hidden 64 --latent-dim 8 --data shapes --limit 400 --batch-size 51"
  "ae-conv|--model ae --arch conv --channels 8,16 --latent-dim 8 $S"
  "linear|--model linear --latent-dim 8 $S"
  "linear-table|--model linear --latent-dim 3 --tied --lr 0.1 $T"
  "vae-mlp|--model vae --arch mlp --hidden 64 --latent-dim 8 $S"
  "vae-conv-gaussian|--model vae --arch conv --channels 8,16 --latent-dim 8 --likelihood gaussian $S"
  "vae-full-freebits|--model vae --arch mlp --hidden 64 --latent-dim 6 --covariance full --free-bits 0.2 --kl-warmup 3 $S"
  "vae-learn-variance|--model vae --arch mlp --hidden 64 --latent-dim 8 --likelihood gaussian --learn-variance $S"
  "vqvae-conv-ema|--model vqvae --arch conv --channels 8,16 --latent-dim 8 --codebook-size 32 --prior-epochs 0 --restart-after 2 $S"
  "vqvae-mlp-loss|--model vqvae --arch mlp --hidden 64 --latent-dim 8 --slots 4 --heads 2 --codebook-size 16 --ema false --prior-epochs 1 $S"
  "dae-mlp|--model dae --arch mlp --hidden 64 --latent-dim 32 $S"
  "dae-conv-saltpepper|--model dae --arch conv --channels 8,16 --latent-dim 16 --noise salt-pepper:0.2 --loss-on masked $S"
  "dae-learned-mask|--model dae --arch mlp --hidden 64 --latent-dim 32 --learn-mask-value --loss-on masked $S"
  "dae-table|--model dae --arch mlp --hidden 32 --latent-dim 8 $T"
  "dae-table-gaussian|--model dae --arch mlp --hidden 32 --latent-dim 8 --noise gaussian:0.3 $T"
  "dae-text-transformer|--model dae --arch transformer --width 32 --depth 1 --attention-heads 2 --noise mask:0.15 --loss-on masked --stride 16 $G"
  "dae-text-words|--model dae --arch mlp --width 16 --hidden 64 --latent-dim 32 --noise salt-pepper:0.1 --tokens word $G"
  "mae|--model mae --arch vit --width 32 --depth 1 --decoder-width 16 --decoder-depth 1 --attention-heads 2 --patch-size 8 $S"
  "mae-norm-pix|--model mae --arch vit --width 32 --depth 1 --decoder-width 16 --decoder-depth 1 --attention-heads 2 --patch-size 8 --norm-pix-loss --cls-token false $S"
)
export PYTHONPATH=python OMP_NUM_THREADS=1
# a loopback port free a moment ago (--standalone's fixed 29400 may be another user's rendezvous)
free_port() { "$python" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
for entry in "${configurations[@]}"; do
  name=${entry%%|*}; options=${entry#*|}
  if [ $# -gt 0 ]; then match=0; for prefix in "$@"; do [[ $name == "$prefix"* ]] && match=1; done; [ $match = 1 ] || continue; fi
  root=$out/$name
  rm -rf "$root"
  # shellcheck disable=SC2086
  ./latent train $options --epochs 1 --threads 1 --quiet --out "$root/start" || { echo "$name: latent train failed"; continue; }
  cp -r "$root/start" "$root/latent"
  ./latent train --resume --out "$root/latent" --epochs "$epochs" --threads 1 --quiet
  "$python" -m latent_torch.train --run "$root/start" --out "$root/one" --epochs "$epochs" --threads 1 --quiet
  /usr/bin/torchrun --master_addr 127.0.0.1 --master_port "$(free_port)" --nproc_per_node 2 --redirects 1 --tee 1 \
    -m latent_torch.train --run "$root/start" --out "$root/two" --epochs "$epochs" --threads 1 --quiet
  "$python" - "$root" "$name" <<'EOF'
import json, sys
root, name = sys.argv[1:]
last = lambda kind: json.loads(open(f"{root}/{kind}/metrics.jsonl").read().strip().split("\n")[-1])
latent, one, two = last("latent"), last("one"), last("two")
keys = [key for key in one if key.startswith(("train_", "val_"))]
relative = lambda a, b: abs(a - b) / max(abs(b), 1e-12)
print(f"{name:22s} PyTorch vs Latent {max(relative(one[k], latent[k]) for k in keys):.1e}   "
      f"2 processes vs 1 {max(relative(two[k], one[k]) for k in keys):.1e}   same keys {sorted(latent) == sorted(one) == sorted(two)}")
EOF
done

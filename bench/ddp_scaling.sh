#!/usr/bin/env bash
# Seconds per epoch of one run continued three ways on this machine, side by side: Latent itself
# (`latent train --resume`, THREADS threads), PyTorch on one process (THREADS threads) and PyTorch under
# torchrun with THREADS processes of one thread each (DistributedDataParallel, gloo). The three
# alternate ROUNDS times, each continuing the same one-epoch start by one epoch, so that changes in
# the machine's load hit all alike; each time is the new epoch's "seconds" in metrics.jsonl (training
# and validation, data loading excluded). Also prints how far the 2-process losses are from 1 process.
#
#   bench/ddp_scaling.sh                       # the reference VAE, Fashion-MNIST (--limit 20000), THREADS=2 ROUNDS=2
#   LIMIT=60000 ROUNDS=3 bench/ddp_scaling.sh
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-2}
rounds=${ROUNDS:-2}
limit=${LIMIT:-20000}
python=${PYTHON:-/usr/bin/python3}
"$python" -c "import torch" 2>/dev/null || { echo "needs Debian's PyTorch: apt-get install python3-torch" >&2; exit 2; }
data=fashion-mnist
[ -d /usr/share/datasets/fashion-mnist ] || { data=shapes; echo "Fashion-MNIST is not installed: using shapes" >&2; }

out=runs/bench-ddp-scaling
rm -rf "$out"
mkdir -p "$out"
./latent train --model vae --arch mlp --hidden 512,256 --latent-dim 32 --data "$data" --limit "$limit" \
  --epochs 1 --batch-size 128 --threads "$threads" --quiet --out "$out/start"
export PYTHONPATH=python OMP_NUM_THREADS=1
# a loopback port free a moment ago (--standalone's fixed 29400 may be another user's rendezvous)
free_port() { "$python" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }

seconds() { tail -1 "$1/metrics.jsonl" | grep -o '"seconds":[0-9.eE+-]*' | cut -d: -f2; }
loss() { tail -1 "$1/metrics.jsonl" | grep -o '"train_loss":[0-9.eE+-]*' | cut -d: -f2; }
echo "reference VAE on $data (--limit $limit), batch 128: one more epoch, $rounds rounds"
for round in $(seq "$rounds"); do
  cp -r "$out/start" "$out/latent-$round"
  ./latent train --resume --out "$out/latent-$round" --epochs 2 --threads "$threads" --quiet
  "$python" -m latent_torch.train --run "$out/start" --out "$out/one-$round" --epochs 2 --threads "$threads" --quiet
  /usr/bin/torchrun --master_addr 127.0.0.1 --master_port "$(free_port)" --nproc_per_node "$threads" --redirects 1 --tee 1 \
    -m latent_torch.train --run "$out/start" --out "$out/many-$round" --epochs 2 --threads 1 --quiet
  echo "round $round: latent $(seconds "$out/latent-$round") s, pytorch 1×$threads threads $(seconds "$out/one-$round") s, pytorch $threads processes $(seconds "$out/many-$round") s"
done
"$python" - "$out" "$rounds" <<'EOF'
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
last = lambda path: json.loads(open(f"{path}/metrics.jsonl").read().strip().split("\n")[-1])
mean = lambda kind: sum(last(f"{out}/{kind}-{r}")["seconds"] for r in range(1, rounds + 1)) / rounds
latent, one, many = mean("latent"), mean("one"), mean("many")
print(f"mean s/epoch: latent {latent:.2f}, pytorch one process {one:.2f}, pytorch DDP {many:.2f}; "
      f"DDP/one process {many / one:.2f}, DDP/latent {many / latent:.2f}")
a, b = last(f"{out}/one-1"), last(f"{out}/many-1")
print("2 processes against 1, relative:", {k: f"{abs(b[k] - a[k]) / abs(a[k]):.1e}" for k in ("train_loss", "val_loss")})
EOF

#!/usr/bin/python3
"""An independent PyTorch implementation of Latent's MLP VAE, for the side-by-side check of issue 4.

The model: 784-512-256-(2x32) encoder and 32-256-512-784 decoder, ReLU, Bernoulli likelihood
(binary cross-entropy with logits, summed over the pixels), diagonal Gaussian posterior, KL to
N(0, I) in closed form, Adam (torch.optim, lr 1e-3, constant), batch 128, Fashion-MNIST in [0, 1]
read from the IDX gz files with numpy. Trains on all 60000 training images (Latent side:
--validation-fraction 0) and reports, on the 10000 test images, the negative ELBO (one draw per
example, as `latent eval` does) and the importance-weighted estimate of -log p(x) with K samples.

    /usr/bin/python3 bench/vae_reference.py --epochs 10 --iwae-samples 100
    /usr/bin/python3 bench/vae_reference.py --weights runs/fm-vae-mlp/model.safetensors --iwae-samples 100

With --replay-latent-order the script also draws the epoch's data order and each step's noise as
Latent's trainer does (SplitMix64 permutations, torch re-seeded per step); with the same seed the
initial weights are identical too (same module order, same init), so the two runs differ only by
floating-point rounding. The second form trains nothing: it loads Latent's weights (safetensors, read with numpy; the names
are the same module tree) and evaluates them here, which checks Latent's evaluation code alone.
Debian's python3-torch (1.13) and numpy are all it needs.
"""
import argparse
import gzip
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = os.environ.get("FASHION_MNIST", "/usr/share/datasets/fashion-mnist")


def read_images(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 2051, name
        pixels = np.frombuffer(f.read(), dtype=np.uint8).reshape(count, 1, rows, cols)
    return torch.from_numpy(pixels.astype(np.float32) / 255.0)


class MlpEncoder(nn.Module):
    def __init__(self, latent):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 2 * latent))

    def forward(self, x):
        return self.layers(x.flatten(1))


class MlpDecoder(nn.Module):
    def __init__(self, latent):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 784))

    def forward(self, z):
        return self.layers(z).reshape(z.shape[0], 1, 28, 28)


class Vae(nn.Module):
    def __init__(self, latent=32):
        super().__init__()
        self.latent = latent
        self.encoder = MlpEncoder(latent)
        self.decoder = MlpDecoder(latent)

    def posterior(self, x):
        out = self.encoder(x)
        return out[:, : self.latent], out[:, self.latent :]

    def log_likelihood(self, logits, x):
        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)

    def loss(self, x):
        mu, logvar = self.posterior(x)
        z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
        recon = -self.log_likelihood(self.decoder(z), x)
        kl = 0.5 * (logvar.exp() + mu.square() - logvar - 1).sum(1)
        return recon, kl

    @torch.no_grad()
    def iwae(self, x, k, rows_per_pass=8192):
        mu, logvar = self.posterior(x)
        b, d = mu.shape
        chunk = max(1, min(k, rows_per_pass // b))
        running = torch.full((b,), -math.inf, dtype=torch.float64)
        done = 0
        while done < k:
            s = min(chunk, k - done)
            eps = torch.randn(s, b, d)
            z = mu + (0.5 * logvar).exp() * eps
            log_q = -0.5 * (d * math.log(2 * math.pi) + logvar.sum(-1) + eps.square().sum(-1))
            log_p = -0.5 * (d * math.log(2 * math.pi) + z.square().sum(-1))
            logits = self.decoder(z.reshape(s * b, d))
            log_px = self.log_likelihood(logits, x.unsqueeze(0).expand(s, *x.shape).reshape(s * b, *x.shape[1:])).reshape(s, b)
            running = torch.logaddexp(running, (log_px + log_p - log_q).double().logsumexp(0))
            done += s
        return running - math.log(k)


MASK64 = (1 << 64) - 1


def mix(z):
    """SplitMix64's finaliser, as Latent's Data/Shuffle.cs."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def derive(seed, counter):
    """Latent's Shuffle.Derive(seed, counter), as an unsigned 64-bit value (torch.manual_seed takes it as is)."""
    return mix(((seed * 0x9E3779B97F4A7C15) & MASK64) ^ (counter & MASK64))


def latent_permutation(count, seed):
    """Latent's Shuffle.Permutation: Fisher-Yates driven by SplitMix64, rejection-sampled bounds."""
    order = list(range(count))
    state = seed & MASK64
    for i in range(count - 1, 0, -1):
        bound = i + 1
        limit = MASK64 - MASK64 % bound
        while True:
            state = (state + 0x9E3779B97F4A7C15) & MASK64
            value = mix(state)
            if value < limit:
                break
        j = value % bound
        order[i], order[j] = order[j], order[i]
    return torch.tensor(order)


def load_safetensors(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    kinds = {"F32": np.float32, "F64": np.float64}
    return {name: torch.from_numpy(np.frombuffer(data[e["data_offsets"][0] : e["data_offsets"][1]], dtype=kinds[e["dtype"]]).reshape(e["shape"]).copy())
            for name, e in header.items() if name != "__metadata__"}


@torch.no_grad()
def evaluate(model, test, k, batch=500):
    model.eval()
    torch.manual_seed(0x5EED)
    recon = kl = 0.0
    for start in range(0, len(test), batch):
        r, q = model.loss(test[start : start + batch])
        recon += r.sum().item()
        kl += q.sum().item()
    result = {"test_neg_elbo_nats": (recon + kl) / len(test), "test_recon_nats": recon / len(test), "test_kl_nats": kl / len(test)}
    if k > 0:
        total = 0.0
        for start in range(0, len(test), batch):
            total += model.iwae(test[start : start + batch], k).sum().item()
        result["iwae_nll_nats"] = -total / len(test)
        result["iwae_samples"] = k
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--latent-dim", type=int, default=32)
    parser.add_argument("--iwae-samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--weights", help="evaluate Latent's model.safetensors instead of training")
    parser.add_argument("--train-only", action="store_true", help="skip the evaluation (for timing, as bench/vae_vs_pytorch.sh does)")
    parser.add_argument("--replay-latent-order", action="store_true",
                        help="draw the data order and the per-step noise exactly as Latent's trainer does (same seed, same draws)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    train = read_images("train-images-idx3-ubyte.gz")
    test = read_images("t10k-images-idx3-ubyte.gz")
    model = Vae(args.latent_dim)
    result = {"torch": torch.__version__}
    if args.weights:
        model.load_state_dict(load_safetensors(args.weights))
        result["weights"] = args.weights
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
        clock = time.time()
        step = 0
        for epoch in range(args.epochs):
            model.train()
            order = latent_permutation(len(train), derive(args.seed, epoch)) if args.replay_latent_order else torch.randperm(len(train))
            total = 0.0
            for start in range(0, len(train), args.batch_size):
                if args.replay_latent_order:
                    torch.manual_seed(derive(args.seed, step))
                step += 1
                x = train[order[start : start + args.batch_size]]
                recon, kl = model.loss(x)
                loss = (recon + kl).mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(x)
            print(f"epoch {epoch + 1}: train_loss {total / len(train):.3f}  {time.time() - clock:.0f} s", flush=True)
        result["train_seconds"] = round(time.time() - clock, 1)
    if not args.train_only:
        result.update(evaluate(model, test, args.iwae_samples))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The plainest PyTorch loop for each of Latent's default configurations (measurements: bench/textbook/RESULTS.md).

    /usr/bin/python3 bench/textbook/textbook.py --family ae-mlp --data fashion-mnist --epochs 10 --seed 1 --threads 1

Prints one JSON object: the family, the data, the options, the test figures (the keys are Latent's
eval.json keys) and the training time. Families: ae-mlp, ae-conv, vae-mlp, vae-conv, vqvae-conv,
dae-mlp, mae-vit, pca (scikit-learn, the reference row)."""
import argparse
import json
import sys
import time

import torch

import common

FAMILIES = {"ae-mlp": ("ae", "mlp"), "ae-conv": ("ae", "conv"), "vae-mlp": ("vae", "mlp"), "vae-conv": ("vae", "conv"),
            "vqvae-conv": ("vqvae", "conv"), "dae-mlp": ("dae", "mlp"), "mae-vit": ("mae", "vit"), "pca": ("pca", "mlp")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--family", required=True, choices=sorted(FAMILIES))
    parser.add_argument("--data", default="fashion-mnist", choices=["fashion-mnist", "shapes"])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--latent-dim", type=int, help="default: Latent's for the family (32; 256 for dae)")
    parser.add_argument("--limit", type=int, help="train on the first N training examples only")
    parser.add_argument("--iwae-samples", type=int, default=100, help="vae: importance samples per test image (0 skips)")
    parser.add_argument("--codebook-size", type=int, default=512, help="vqvae: K")
    parser.add_argument("--plain", action="store_true", help="vqvae: codebook loss instead of EMA updates")
    parser.add_argument("--mask", type=float, help="dae: fraction of pixels blacked out (0.25); mae: fraction of patches hidden (0.75)")
    parser.add_argument("--decoder-width", type=int, default=64, help="mae")
    parser.add_argument("--decoder-depth", type=int, default=2, help="mae")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    family, args.arch = FAMILIES[args.family]
    if args.latent_dim is None:
        args.latent_dim = 256 if family == "dae" else 32
    if args.mask is None:
        args.mask = 0.75 if family == "mae" else 0.25
    args.log = (lambda *_: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    data = common.load(args.data)
    if args.limit:
        data = (data[0][: args.limit], data[1][: args.limit], data[2], data[3])
    module = __import__(family)
    clock = time.time()
    figures = module.run(args, data)
    print(json.dumps({"side": "textbook", "family": args.family, "data": args.data, "epochs": args.epochs, "seed": args.seed,
                      "threads": args.threads, "torch": torch.__version__, "seconds": round(time.time() - clock, 1), **figures}))


if __name__ == "__main__":
    main()

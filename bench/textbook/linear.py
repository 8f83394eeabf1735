#!/usr/bin/python3
"""The demo's linear autoencoder against PCA: test MSE over the Eckart–Young optimum and the largest
principal angle to PCA's subspace, for several latent sizes and recipes, with the eigenvalue gap
λ_K / λ_(K+1) that bounds how well the subspace is determined (Davis–Kahan).

    bench/textbook/linear.py --data shapes --epochs 4 --dims 8,16,32
    bench/textbook/linear.py --table

Each run is `latent train --model linear --latent-dim K --epochs E` plus the variant's flags, then
`latent eval`, whose eval.json holds test_mse, pca_optimum_mse and principal_angle_max_deg (PCA fitted
with the same K on the run's own training split). The gap comes from `latent pca` with K + 1 components
on the same split. Results go to --results as JSON lines."""
import argparse
import json
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LATENT = shlex.split(os.environ.get("LATENT", "./latent"))
sys.path.insert(0, os.path.dirname(HERE))
from vae_reference import load_safetensors  # noqa: E402


def latent(*arguments):
    subprocess.run([*LATENT, *arguments, "--threads", "1", "--quiet"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="shapes")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--dims", default="8,16,32")
    parser.add_argument("--seeds", default="1")
    parser.add_argument("--variants", default="defaults=", help="NAME=FLAGS;NAME=FLAGS")
    parser.add_argument("--out", default="runs/textbook/linear")
    parser.add_argument("--results", default=os.path.join(HERE, "linear.jsonl"))
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    if args.table:
        with open(args.results) as f:
            records = [json.loads(line) for line in f if line.strip()]
        print("| data | K | λ_K/λ_K+1 | recipe | epochs | test MSE | PCA optimum | excess | largest angle |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in sorted(records, key=lambda r: (r["data"], r["dim"], r["epochs"], r["variant"], r["seed"])):
            excess = (r["test_mse"] / r["pca_optimum_mse"] - 1) * 100
            print(f"| {r['data']} | {r['dim']} | {r['gap']:.3f} | {r['variant']} | {r['epochs']} | {r['test_mse']:.5f} | "
                  f"{r['pca_optimum_mse']:.5f} | {excess:+.2f} % | {r['principal_angle_max_deg']:.1f}° |")
        return
    variants = [(name, shlex.split(flags)) for name, _, flags in (v.partition("=") for v in args.variants.split(";") if v)]
    for dim in (int(d) for d in args.dims.split(",")):
        pca = os.path.join(args.out, f"{args.data}-pca{dim + 1}")
        latent("pca", "--data", args.data, "--components", str(dim + 1), "--out", pca)
        variance = load_safetensors(os.path.join(ROOT, pca, "model.safetensors"))["explained_variance"].double()
        gap = (variance[dim - 1] / variance[dim]).item()
        for name, flags in variants:
            for seed in (int(s) for s in args.seeds.split(",")):
                run = os.path.join(args.out, f"{args.data}-linear{dim}-{name}-e{args.epochs}-s{seed}")
                subprocess.run(["rm", "-rf", os.path.join(ROOT, run)], check=True)
                latent("train", "--model", "linear", "--data", args.data, "--latent-dim", str(dim), "--epochs", str(args.epochs),
                       "--seed", str(seed), "--out", run, *flags)
                latent("eval", "--run", run)
                with open(os.path.join(ROOT, run, "eval.json")) as f:
                    figures = json.load(f)
                record = {"data": args.data, "dim": dim, "gap": gap, "variant": name, "flags": " ".join(flags), "epochs": args.epochs,
                          "seed": seed, **{k: figures[k] for k in ("test_mse", "pca_optimum_mse", "principal_angle_max_deg")}}
                with open(args.results, "a") as f:
                    f.write(json.dumps(record) + "\n")
                print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()

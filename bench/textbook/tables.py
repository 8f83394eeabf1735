#!/usr/bin/python3
"""The table-scale problem (issue 16): Latent's AE against PCA at the same latent size on the tables that
scikit-learn ships (wine, breast cancer, digits), on raw columns and on columns standardised by hand.

    bench/textbook/tables.py                      # all three tables, seeds 1-3, prints a markdown table
    bench/textbook/tables.py --tables wine --epochs 50,200 --seeds 1

For each table it writes two CSV files under runs/textbook/tables/ (the label as the last column): the
raw values, and each column standardised with the mean and standard deviation of the rows outside
Latent's test split (DataCatalog.CarveTest: a fixed 10 % drawn with seed 0x7E57, ported here). Then it
fits `latent pca --components 2` and trains `latent train --model ae --latent-dim 2` (and the variants
given by --ae-variants) on both files, and scores every model on the test rows in both units: raw
(what `latent eval` reports on the raw file) and standardised (what it reports on the standardised one),
by `latent encode` and `latent decode` of the test split. Results go to --results as JSON lines."""
import argparse
import csv
import json
import os
import shlex
import statistics
import subprocess

import numpy as np
from sklearn import datasets

import common

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LATENT = shlex.split(os.environ.get("LATENT", "./latent"))  # e.g. "dotnet runs/textbook/cli/Latent.Cli.dll", a frozen build
LOADERS = {"wine": datasets.load_wine, "breast-cancer": datasets.load_breast_cancer, "digits": datasets.load_digits}


def test_rows(count):
    """DataCatalog.CarveTest: Permutation(count, 0x7E57), the first round(count · 0.1) indices, sorted."""
    order = common.permutation(count, 0x7E57)
    return sorted(order[: int(round(count * 0.1))])


def write_csv(path, values, labels):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([f"x{j}" for j in range(values.shape[1])] + ["label"])
        for row, label in zip(values, labels):
            writer.writerow([repr(float(v)) for v in row] + [int(label)])


def latent(*arguments):
    subprocess.run([*LATENT, *arguments, "--threads", "1", "--quiet"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def decoded_test(run, data):
    """The run's reconstructions of the test rows, through `latent encode` and `latent decode`, [M, F]."""
    codes, rows = os.path.join(run, "z-test.csv"), os.path.join(run, "x-test.csv")
    latent("encode", "--run", run, "--data", data, "--label-column", "label", "--split", "test", "--out", codes)
    latent("decode", "--run", run, "--in", codes, "--out", rows)
    return np.loadtxt(os.path.join(ROOT, rows), delimiter=",", skiprows=1, dtype=np.float64)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", default="wine,breast-cancer,digits")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--epochs", default="50")
    parser.add_argument("--ae-variants", default="", help="NAME=FLAGS;NAME=FLAGS: more AE runs with extra latent train flags")
    parser.add_argument("--units", default="raw,standardised", help="which files to train on: raw, standardised (by hand) or both")
    parser.add_argument("--out", default="runs/textbook/tables")
    parser.add_argument("--results", default=os.path.join(HERE, "tables.jsonl"))
    parser.add_argument("--table", action="store_true", help="only print the table of --results")
    args = parser.parse_args()
    if args.table:
        print_table(args.results)
        return
    os.makedirs(os.path.join(ROOT, args.out), exist_ok=True)
    variants = [("defaults", [])] + [(name, shlex.split(flags)) for name, _, flags in
                                      (v.partition("=") for v in args.ae_variants.split(";") if v)]
    for table in args.tables.split(","):
        bunch = LOADERS[table]()
        values, labels = bunch.data.astype(np.float64), bunch.target
        test = test_rows(len(values))
        rest = np.setdiff1d(np.arange(len(values)), test)
        mean, std = values[rest].mean(0), values[rest].std(0)
        std[std < 1e-12] = 1.0
        files = {"raw": os.path.join(args.out, f"{table}.csv"), "standardised": os.path.join(args.out, f"{table}-standardised.csv")}
        write_csv(os.path.join(ROOT, files["raw"]), values, labels)
        write_csv(os.path.join(ROOT, files["standardised"]), (values - mean) / std, labels)
        truth = values[test]

        def score(run, units, **record):
            restored = decoded_test(run, "csv:" + files[units])
            raw = restored if units == "raw" else restored * std + mean
            with open(os.path.join(ROOT, run, "eval.json")) as f:
                reported = json.load(f)["test_mse"]
            record.update(table=table, trained_on=units, test_mse_raw=float(((raw - truth) ** 2).mean()),
                          test_mse_standardised=float((((raw - truth) / std) ** 2).mean()), eval_test_mse=reported)
            with open(args.results, "a") as f:
                f.write(json.dumps(record) + "\n")
            print(json.dumps(record))

        for units, path in files.items():
            if units not in args.units.split(","):
                continue
            run = os.path.join(args.out, f"{table}-{units}-pca2")
            subprocess.run(["rm", "-rf", os.path.join(ROOT, run)], check=True)
            latent("pca", "--data", "csv:" + path, "--label-column", "label", "--components", "2", "--out", run)
            latent("eval", "--run", run)
            score(run, units, model="pca", epochs=0, seed=0)
            for epochs in (int(e) for e in args.epochs.split(",")):
                for name, flags in variants:
                    for seed in (int(s) for s in args.seeds.split(",")):
                        run = os.path.join(args.out, f"{table}-{units}-ae2-{name}-e{epochs}-s{seed}")
                        subprocess.run(["rm", "-rf", os.path.join(ROOT, run)], check=True)
                        latent("train", "--model", "ae", "--latent-dim", "2", "--data", "csv:" + path, "--label-column", "label",
                               "--epochs", str(epochs), "--seed", str(seed), "--out", run, *flags)
                        latent("eval", "--run", run)
                        score(run, units, model="ae", variant=name, epochs=epochs, seed=seed, flags=" ".join(flags))


def print_table(path):
    with open(path) as f:
        records = [json.loads(line) for line in f if line.strip()]
    groups = {}
    for r in records:
        groups.setdefault((r["table"], r["model"], r.get("variant", ""), r["epochs"], r["trained_on"]), []).append(r)
    print("| table | model | trained on | test MSE, raw units | test MSE, standardised units | seeds |")
    print("|---|---|---|---|---|---|")
    for (table, model, variant, epochs, units), runs in sorted(groups.items()):
        cells = []
        for figure in ("test_mse_raw", "test_mse_standardised"):
            values = [r[figure] for r in runs]
            sd = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.fmean(values):.4g} ± {sd:.2g}")
        label = "pca (2 components)" if model == "pca" else f"ae D = 2, {epochs} epochs" + ("" if variant == "defaults" else f", {variant}")
        print(f"| {table} | {label} | {units} | {cells[0]} | {cells[1]} | {len(runs)} |")


if __name__ == "__main__":
    main()

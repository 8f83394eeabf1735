#!/usr/bin/env python3
"""The scikit-learn side of bench/one_class.sh, and its table.

For each class c of Fashion-MNIST: fit scikit-learn's PCA (same number of components as Latent's
runs) and IsolationForest on the raw pixels (float32 / 255, as Latent reads them) of the training
images of class c, score the whole test split (PCA: mean squared reconstruction error per pixel;
IsolationForest: -score_samples, higher is more anomalous), and take the AUROC with the other nine
classes as positives. Then read every Latent run OUT/cC-FAMILY: eval.json's anomaly_auroc* figures,
and scores.csv, from which the AUROC and average precision are recomputed with sklearn.metrics as an
independent check of Latent's own figures (the largest difference is printed).

Usage: one_class.py --runs OUT --classes 0 1 ... --families pca ae-mlp ... [--components 32] [--threads 2]
"""
import argparse, csv, gzip, json, os, sys

import numpy as np
from threadpoolctl import threadpool_limits
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score

DATA = "/usr/share/datasets/fashion-mnist"
NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
# eval.json key of each score's AUROC and AUPRC (AnomalyDetection.cs)
KEYS = {"recon_mse": ("anomaly_auroc", "anomaly_auprc"), "neg_elbo": ("anomaly_auroc_neg_elbo", "anomaly_auprc_neg_elbo"),
        "iwae_nll": ("anomaly_auroc_iwae_nll", "anomaly_auprc_iwae_nll"), "code_nll": ("anomaly_auroc_code_nll", "anomaly_auprc_code_nll")}


def idx(name, count, shape):
    with gzip.open(os.path.join(DATA, name)) as f:
        data = np.frombuffer(f.read(), np.uint8, offset=16 if shape else 8)
    return data.reshape((count, *shape)) if shape else data


def load():
    train = idx("train-images-idx3-ubyte.gz", 60000, (784,)).astype(np.float32) / np.float32(255)
    test = idx("t10k-images-idx3-ubyte.gz", 10000, (784,)).astype(np.float32) / np.float32(255)
    return train, idx("train-labels-idx1-ubyte.gz", 60000, None), test, idx("t10k-labels-idx1-ubyte.gz", 10000, None)


def sklearn_scores(normal, test, components, seed):
    pca = PCA(n_components=components, svd_solver="full").fit(normal)
    reconstruction = pca.inverse_transform(pca.transform(test))
    forest = IsolationForest(n_estimators=100, random_state=seed).fit(normal)
    return {"sk-pca": ((reconstruction - test) ** 2).mean(axis=1), "sk-iforest": -forest.score_samples(test)}


def latent_run(path, anomalous):
    """eval.json's AUROCs by score, and the largest |Latent − sklearn.metrics| over AUROC and AUPRC from scores.csv."""
    with open(os.path.join(path, "eval.json")) as f:
        figures = json.load(f)
    with open(os.path.join(path, "scores.csv")) as f:
        rows = list(csv.DictReader(f))
    labels_ok = len(rows) == len(anomalous)
    aurocs, difference = {}, 0.0
    for score, (auroc_key, auprc_key) in KEYS.items():
        if auroc_key not in figures: continue
        aurocs[score] = figures[auroc_key]
        values = np.array([float(row[score]) for row in rows])
        difference = max(difference, abs(roc_auc_score(anomalous, values) - figures[auroc_key]),
                         abs(average_precision_score(anomalous, values) - figures[auprc_key]))
    if not labels_ok: sys.exit(f"{path}/scores.csv has {len(rows)} rows for {len(anomalous)} test examples")
    return aurocs, difference


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", required=True)
    parser.add_argument("--classes", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--families", nargs="+", default=["pca", "ae-mlp", "ae-conv", "vae", "vqvae"])
    parser.add_argument("--components", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()

    train, train_labels, test, test_labels = load()
    columns, table, worst = [], {}, 0.0
    for c in arguments.classes:
        anomalous = (test_labels != c).astype(int)
        row = {}
        for family in arguments.families:
            path = os.path.join(arguments.runs, f"c{c}-{family}")
            if not all(os.path.exists(os.path.join(path, f)) for f in ("eval.json", "scores.csv")): continue  # not finished
            aurocs, difference = latent_run(path, anomalous)
            worst = max(worst, difference)
            for score, auroc in aurocs.items():
                row[family if score == "recon_mse" else f"{family} {score}"] = auroc
        # The baselines of a class are kept in OUT/sklearn-cC-kK.json, so that the table can be printed again cheaply.
        cache = os.path.join(arguments.runs, f"sklearn-c{c}-k{arguments.components}-seed{arguments.seed}.json")
        if os.path.exists(cache):
            with open(cache) as f: baselines = json.load(f)
        else:
            with threadpool_limits(arguments.threads):
                baselines = {name: roc_auc_score(anomalous, scores)
                             for name, scores in sklearn_scores(train[train_labels == c], test, arguments.components, arguments.seed).items()}
            with open(cache, "w") as f: json.dump(baselines, f)
        row.update(baselines)
        for column in row:
            if column not in columns: columns.append(column)
        table[c] = row

    print(f"AUROC, one class normal, the other nine anomalous (Fashion-MNIST test split, {len(test)} images); "
          f"{arguments.components} components / latent dimensions")
    header = ["class"] + columns
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for c, row in table.items():
        print(f"| {c} {NAMES[c]} | " + " | ".join(f"{row[k]:.3f}" if k in row else "" for k in columns) + " |")
    means = {k: np.mean([row[k] for row in table.values() if k in row]) for k in columns}
    complete = {k: all(k in row for row in table.values()) for k in columns}
    print("| **mean** | " + " | ".join(f"**{means[k]:.3f}**" + ("" if complete[k] else "*") for k in columns) + " |")
    latent = {k: v for k, v in means.items() if not k.startswith("sk-") and complete[k]}
    if latent:
        best = max(latent, key=latent.get)
        baseline = max(means["sk-pca"], means["sk-iforest"])
        print(f"best Latent score: {best} at {means[best]:.3f}; best scikit-learn baseline {baseline:.3f}: "
              + ("beaten" if means[best] > baseline else "not beaten"))
    print(f"largest |Latent − sklearn.metrics| over every AUROC and average precision recomputed from scores.csv: {worst:.2e}")


if __name__ == "__main__":
    main()

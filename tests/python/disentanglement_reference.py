#!/usr/bin/python3
"""An independent reference for `latent eval --disentanglement`: MIG, DCI and SAP recomputed with
numpy and scikit-learn from the codes and factor classes of disentanglement-codes.csv, with the
definitions of google-research/disentanglement_lib (evaluation/metrics/mig.py, dci.py,
sap_score.py, utils.py), written out again here:

  MIG  histogram discretisation of each code dimension (20 bins, np.histogram + np.digitize),
       sklearn.metrics.mutual_info_score against each factor, top-two gap over the factor's entropy;
  DCI  one sklearn GradientBoostingClassifier() per factor on all codes, importances = its
       feature_importances_, disentanglement / completeness from their entropies (1e-11 added),
       informativeness = its accuracy on the held-out part;
  SAP  sklearn.svm.LinearSVC(C=0.01, class_weight="balanced") per (code dimension, factor), accuracy
       on the held-out part, mean over factors of the top-two gap.

DCI and SAP fit on the first ceil(N * fit_fraction) rows and score on the rest, as
disentanglement_lib's split_train_test does (Latent uses fit_fraction = 2/3). When the CSV also has
the raw factor values (`NAME_value` columns of shapes), the discretisation of the factors is checked
against them too.

Usage: disentanglement_reference.py CODES.csv [--fit-fraction 0.6667]   prints one JSON object.
Needs Debian's python3-sklearn (numpy, scipy).
"""
import argparse
import json
import math

import numpy as np
import scipy.stats
from sklearn import ensemble, metrics, svm

BINS = 20
CONTINUOUS_BINS = 10
SHAPE_SYMMETRY = [4, 2, 1, 1]           # square, ellipse, heart, triangle
RANGES = {"scale": (0.5, 1.0), "x": (0.35, 0.65), "y": (0.35, 0.65)}


def read(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    codes = [i for i, name in enumerate(header) if name.startswith("z") and name[1:].isdigit()]
    raw = [i for i, name in enumerate(header) if name.endswith("_value")]
    factors = [i for i in range(len(header)) if i not in codes and i not in raw]
    mus = data[:, codes].astype(np.float32).T                      # [num_codes, N], float32 as Latent's codes
    ys = data[:, factors].astype(np.int64).T                       # [num_factors, N]
    raw_values = {header[i][: -len("_value")]: data[:, i].astype(np.float32) for i in raw}
    return mus, ys, [header[i] for i in factors], raw_values


def histogram_discretize(target, num_bins=BINS):
    discretized = np.zeros_like(target)
    for i in range(target.shape[0]):
        discretized[i, :] = np.digitize(target[i, :], np.histogram(target[i, :], num_bins)[1][:-1])
    return discretized


def mig(mus, ys):
    discretized = histogram_discretize(mus)
    m = np.array([[metrics.mutual_info_score(ys[j], discretized[i]) for j in range(ys.shape[0])] for i in range(mus.shape[0])])
    entropy = np.array([metrics.mutual_info_score(ys[j], ys[j]) for j in range(ys.shape[0])])
    sorted_m = np.sort(m, axis=0)[::-1]
    return float(np.mean((sorted_m[0] - sorted_m[1]) / entropy)), m


def dci(mus_train, ys_train, mus_test, ys_test):
    importance = np.zeros((mus_train.shape[0], ys_train.shape[0]))
    train_accuracy, test_accuracy = [], []
    for k in range(ys_train.shape[0]):
        model = ensemble.GradientBoostingClassifier()
        model.fit(mus_train.T, ys_train[k])
        importance[:, k] = np.abs(model.feature_importances_)
        train_accuracy.append(np.mean(model.predict(mus_train.T) == ys_train[k]))
        test_accuracy.append(np.mean(model.predict(mus_test.T) == ys_test[k]))
    per_code = 1.0 - scipy.stats.entropy(importance.T + 1e-11, base=importance.shape[1])
    per_factor = 1.0 - scipy.stats.entropy(importance + 1e-11, base=importance.shape[0])
    weights = importance if importance.sum() > 0 else np.ones_like(importance)
    disentanglement = float(np.sum(per_code * weights.sum(axis=1) / weights.sum()))
    completeness = float(np.sum(per_factor * weights.sum(axis=0) / weights.sum()))
    return disentanglement, completeness, float(np.mean(test_accuracy)), float(np.mean(train_accuracy)), importance


def sap(mus_train, ys_train, mus_test, ys_test):
    score = np.zeros((mus_train.shape[0], ys_train.shape[0]))
    for i in range(mus_train.shape[0]):
        for j in range(ys_train.shape[0]):
            classifier = svm.LinearSVC(C=0.01, class_weight="balanced")
            classifier.fit(mus_train[i][:, np.newaxis], ys_train[j])
            score[i, j] = np.mean(classifier.predict(mus_test[i][:, np.newaxis]) == ys_test[j])
    sorted_score = np.sort(score, axis=0)
    return float(np.mean(sorted_score[-1] - sorted_score[-2])), score


def check_factors(ys, names, raw):
    """Mismatches between the CSV's factor classes and the discretisation rule applied to the raw values."""
    if not raw:
        return None
    shapes = ys[names.index("shape")]
    expected = {}
    for name, (low, high) in RANGES.items():
        values = raw[name].astype(np.float64)
        expected[name] = np.clip(np.floor((values - low) / (high - low) * CONTINUOUS_BINS), 0, CONTINUOUS_BINS - 1)
    period = 2 * math.pi / np.array(SHAPE_SYMMETRY, dtype=np.float64)[shapes]
    turns = raw["rotation"].astype(np.float64) / period
    expected["rotation"] = np.clip(np.floor((turns - np.floor(turns)) * CONTINUOUS_BINS), 0, CONTINUOUS_BINS - 1)
    return {name: int(np.sum(expected[name] != ys[names.index(name)])) for name in expected}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv")
    parser.add_argument("--fit-fraction", type=float, default=2.0 / 3.0)
    args = parser.parse_args()
    mus, ys, names, raw = read(args.csv)
    n = mus.shape[1]
    fit = int(np.ceil(n * args.fit_fraction))
    mig_score, mutual_information = mig(mus, ys)
    d, c, i, i_train, importance = dci(mus[:, :fit], ys[:, :fit], mus[:, fit:], ys[:, fit:])
    sap_score, sap_accuracy = sap(mus[:, :fit], ys[:, :fit], mus[:, fit:], ys[:, fit:])
    print(json.dumps({
        "mig": mig_score, "dci_disentanglement": d, "dci_completeness": c, "dci_informativeness": i,
        "dci_informativeness_train": i_train, "sap": sap_score,
        "examples": n, "fit_examples": fit, "factors": names,
        "factor_mismatches": check_factors(ys, names, raw),
        "mutual_information_nats": mutual_information.tolist(), "dci_importance": importance.tolist(),
        "sap_accuracy": sap_accuracy.tolist(),
    }))


if __name__ == "__main__":
    main()

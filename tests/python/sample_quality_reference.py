#!/usr/bin/python3
"""An independent reference for `latent eval --sample-quality`'s arithmetic: the Fréchet distance
(as pytorch-fid computes it: np.cov, scipy.linalg.sqrtm of the product, real part) and k-NN
precision and recall (Kynkäänniemi et al. 2019, k = 3, distance <= radius) of two feature sets.

Usage: sample_quality_reference.py REAL.csv GENERATED.csv   (rows of features, no header)
prints {"fd": ..., "precision": ..., "recall": ...}. Needs numpy and scipy (Debian's python3-scipy).
"""
import json
import sys

import numpy as np
from scipy import linalg


def frechet_distance(a, b):
    mu1, mu2 = a.mean(axis=0), b.mean(axis=0)
    sigma1, sigma2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    covmean = covmean.real
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def distances(a, b):
    return np.sqrt(np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T, 0))


def coverage(manifold, probes, k=3):
    radii = np.sort(distances(manifold, manifold), axis=1)[:, k]     # k-th neighbour, the point itself being the 0-th
    return float(np.mean((distances(probes, manifold) <= radii[None, :]).any(axis=1)))


def main():
    real = np.loadtxt(sys.argv[1], delimiter=",", dtype=np.float64, ndmin=2)
    generated = np.loadtxt(sys.argv[2], delimiter=",", dtype=np.float64, ndmin=2)
    print(json.dumps({"fd": frechet_distance(real, generated),
                      "precision": coverage(real, generated), "recall": coverage(generated, real)}))


if __name__ == "__main__":
    main()

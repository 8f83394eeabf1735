#!/usr/bin/env python3
"""Latent's closed-form PCA against scikit-learn's PCA(svd_solver="randomized"), side by side.

Both fit 32 components to the same 60000 x 784 Fashion-MNIST training matrix (float32 pixels / 255)
with the same number of threads. Data loading is excluded on both sides: Latent reports the time of
the fit alone in fit.json (`latent pca --validation-fraction 0` fits all 60000 rows); scikit-learn
is timed around `fit` on the array already in memory. Repeats alternate between the two so that
both see the same machine load; the best of each is compared. Then every answer is checked against
a float64 eigendecomposition of the covariance computed here with numpy.

Usage: pca_vs_sklearn.py --latent PATH/TO/latent [--threads 2] [--repeats 3] [--components 32]
"""
import argparse, gzip, json, os, struct, subprocess, tempfile, time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits
import sklearn
from sklearn.decomposition import PCA


def load_fashion_mnist(directory):
    with gzip.open(os.path.join(directory, "train-images-idx3-ubyte.gz")) as f:
        pixels = np.frombuffer(f.read(), np.uint8, offset=16)
    return pixels.reshape(60000, 784).astype(np.float32) / np.float32(255)  # as Latent's IdxSource


def read_safetensors(path):
    """The ten lines that read a safetensors file with numpy (SafeTensors.cs writes it)."""
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64}
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    return {name: np.frombuffer(data[o[0]:o[1]], dtypes[e["dtype"]]).reshape(e["shape"])
            for name, e in header.items() if name != "__metadata__" for o in [e["data_offsets"]]}


def largest_angle_deg(a, b):
    """Largest principal angle between the column spaces of a and b (orthonormalised), in degrees."""
    qa, _ = np.linalg.qr(a.astype(np.float64))
    qb, _ = np.linalg.qr(b.astype(np.float64))
    overlap = qa.T @ qb
    cosine = np.linalg.svd(overlap, compute_uv=False).min()
    sine = np.linalg.svd(qb - qa @ overlap, compute_uv=False).max()
    return np.degrees(np.arctan2(sine, cosine))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--latent", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--components", type=int, default=32)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    k = args.components

    blas = [f"{i['internal_api']} ({os.path.basename(i.get('filepath') or '?')})" for i in threadpool_info()]
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, thread pools: {', '.join(blas) or 'none found'}")
    if not any(i["user_api"] == "blas" for i in threadpool_info()):
        print("note: numpy reports no optimised BLAS: it runs on the reference (netlib) BLAS, single-threaded")
    x = load_fashion_mnist(args.data)

    latent_seconds, sklearn_seconds = [], []
    with tempfile.TemporaryDirectory() as scratch:
        run = None
        for repeat in range(args.repeats):
            run = os.path.join(scratch, f"pca-{repeat}")
            subprocess.run([args.latent, "pca", "--data", "fashion-mnist", "--components", str(k), "--validation-fraction", "0",
                            "--threads", str(args.threads), "--out", run, "--quiet"], check=True)
            with open(os.path.join(run, "fit.json")) as f:
                latent_seconds.append(json.load(f)["fit_seconds"])
            with threadpool_limits(args.threads):
                start = time.perf_counter()
                sk = PCA(n_components=k, svd_solver="randomized", random_state=0).fit(x)
                sklearn_seconds.append(time.perf_counter() - start)
            print(f"repeat {repeat + 1}: latent {latent_seconds[-1]:.3f} s, scikit-learn {sklearn_seconds[-1]:.3f} s", flush=True)
        latent = read_safetensors(os.path.join(run, "model.safetensors"))

    best_latent, best_sklearn = min(latent_seconds), min(sklearn_seconds)
    print(f"\nfit of {k} components to {x.shape[0]}x{x.shape[1]} float32, {args.threads} threads, best of {args.repeats}:")
    print(f"  latent pca (covariance + eigh)       {best_latent:8.3f} s")
    print(f"  sklearn PCA(svd_solver='randomized') {best_sklearn:8.3f} s")
    print(f"  ratio sklearn / latent               {best_sklearn / best_latent:8.2f}x")

    # The reference: a float64 eigendecomposition of the covariance of the same float32 matrix.
    start = time.perf_counter()
    x64 = x.astype(np.float64)
    centred = x64 - x64.mean(axis=0)
    covariance = centred.T @ centred / (x.shape[0] - 1)
    values, vectors = np.linalg.eigh(covariance)
    values, vectors = values[::-1], vectors[:, ::-1]
    print(f"\nreference: numpy float64 covariance + eigh in {time.perf_counter() - start:.1f} s")
    print(f"  eigenvalue ratios: lambda8/lambda9 = {values[7] / values[8]:.4f}, lambda{k}/lambda{k + 1} = {values[k - 1] / values[k]:.5f}")

    def report(name, variances, components):
        relative = np.abs(variances - values[:k]) / values[:k]
        per_component = [np.degrees(np.arccos(min(1.0, abs(float(components[i] @ vectors[:, i]))))) for i in range(k)]
        # Train reconstruction error of the projection against the Eckart-Young optimum sum_{i>k} lambda_i.
        w = components.astype(np.float64)
        residual = centred - (centred @ w.T) @ w
        error = (residual ** 2).sum() / (x.shape[0] - 1)
        optimum = values[k:].sum()
        print(f"  {name:13s} explained variance max rel. error {relative.max():.1e}; "
              f"8-subspace angle {largest_angle_deg(w[:8].T, vectors[:, :8]):.1e} deg, "
              f"{k}-subspace angle {largest_angle_deg(w.T, vectors[:, :k]):.1e} deg, "
              f"worst single component {max(per_component):.1e} deg; "
              f"train error / optimum - 1 = {error / optimum - 1:.1e}")

    print("against the reference:")
    report("latent", latent["explained_variance"].astype(np.float64), latent["components"])
    report("scikit-learn", sk.explained_variance_.astype(np.float64), sk.components_)


if __name__ == "__main__":
    main()

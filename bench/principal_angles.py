#!/usr/bin/env python3
"""All principal angles between the decoders of two Latent runs (linear or pca), read with numpy.

    principal_angles.py RUN_A RUN_B

A linear run's decoder columns are decoder.weight [F, K] (encoder.weight transposed when tied); a pca
run's are components transposed, of which the first K (RUN_A's) are used, so one pca run with more
components serves every K. `latent eval` reports only the largest angle; this prints them all, with
the eigenvalue ratios of a pca RUN_B, to show where the large ones come from. For a like-for-like
comparison both runs should see the same training rows (e.g. both with --validation-fraction 0).
"""
import json, os, struct, sys

import numpy as np


def read_safetensors(path):
    dtypes = {"F32": np.float32, "F64": np.float64}
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    return {name: np.frombuffer(data[o[0]:o[1]], dtypes[e["dtype"]]).reshape(e["shape"])
            for name, e in header.items() if name != "__metadata__" and e["dtype"] in dtypes for o in [e["data_offsets"]]}


def decoder_columns(run):
    weights = read_safetensors(os.path.join(run, "model.safetensors"))
    if "components" in weights:
        return weights["components"].T, weights
    return (weights["decoder.weight"] if "decoder.weight" in weights else weights["encoder.weight"].T), weights


def main():
    (a, _), (b, weights_b) = decoder_columns(sys.argv[1]), decoder_columns(sys.argv[2])
    b = b[:, :a.shape[1]] if "components" in weights_b else b
    qa, _ = np.linalg.qr(a.astype(np.float64))
    qb, _ = np.linalg.qr(b.astype(np.float64))
    cosines = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), 0, 1)
    angles = np.degrees(np.arccos(cosines))                       # ascending
    print("principal angles (deg):", " ".join(f"{angle:.2f}" for angle in angles))
    for limit in (1, 2, 5):
        print(f"  {np.sum(angles < limit)} of {len(angles)} below {limit} deg")
    if "explained_variance" in weights_b:
        variances = weights_b["explained_variance"]
        print(f"eigenvalue ratios lambda_k/lambda_k+1, k = 1..{len(variances) - 1}:",
              " ".join(f"{r:.3f}" for r in variances[:-1] / variances[1:]))


if __name__ == "__main__":
    main()

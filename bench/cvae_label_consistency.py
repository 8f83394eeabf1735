#!/usr/bin/env python3
"""Independent check of a label-conditioned run's samples (latent train --condition label) on Fashion-MNIST.

Draws z ~ N(0, I) (numpy, seed 0), decodes each with every label through `latent decode --label k`, and classifies
the decoded images with scikit-learn's logistic regression fitted on the real training images. Prints the share of
samples assigned to the label they were drawn for (chance is 1/10), and the same classifier's accuracy on the real
test images for scale. Usage: /usr/bin/python3 bench/cvae_label_consistency.py RUN_DIR [PER_LABEL]
"""
import gzip, json, os, subprocess, sys, tempfile
import numpy as np
from sklearn.linear_model import LogisticRegression

run = sys.argv[1]
per_label = int(sys.argv[2]) if len(sys.argv) > 2 else 100
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
data = "/usr/share/datasets/fashion-mnist"

def idx(name, offset):
    with gzip.open(os.path.join(data, name)) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)

train_x = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784) / 255.0
train_y = idx("train-labels-idx1-ubyte.gz", 8)
test_x = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784) / 255.0
test_y = idx("t10k-labels-idx1-ubyte.gz", 8)
probe = LogisticRegression(max_iter=200).fit(train_x, train_y)

dimension = json.load(open(os.path.join(run, "manifest.json")))["model"]["latent_dim"]
rng = np.random.default_rng(0)
hits, total = 0, 0
with tempfile.TemporaryDirectory() as folder:
    codes = rng.standard_normal((per_label, dimension))
    z = os.path.join(folder, "z.csv")
    with open(z, "w") as f:
        f.write(",".join(f"z{j}" for j in range(dimension)) + "\n")
        for row in codes: f.write(",".join(repr(float(v)) for v in row) + "\n")
    for label in range(10):
        out = os.path.join(folder, f"s{label}.csv")
        subprocess.run([os.path.join(root, "latent"), "decode", "--run", run, "--in", z, "--label", str(label), "--out", out], check=True, stdout=subprocess.DEVNULL)
        samples = np.loadtxt(out, delimiter=",", skiprows=1)
        predicted = probe.predict(samples)
        hits += int((predicted == label).sum()); total += len(predicted)
        print(f"label {label}: {np.mean(predicted == label):.2f} of its samples classified as {label}")
print(f"class consistency of the samples: {hits / total:.3f} (chance 0.1); the probe on real test images: {probe.score(test_x, test_y):.3f}")

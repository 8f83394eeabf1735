#!/usr/bin/python3
"""Which features of a trained MAE a linear probe should read: every candidate from one Latent run.

    /usr/bin/python3 bench/textbook/mae_features.py runs/textbook/.../mae-run [--threads 1]

Rebuilds the run's masked autoencoder in PyTorch (tests/python/interop.py, same names, Latent's
weights), encodes the 60 000 training and 10 000 test images of Fashion-MNIST with every patch visible,
and fits Latent's linear probe (common.probe_accuracy, the port of Evaluation/LinearProbe.cs) on:
the mean of the patch tokens after the final LayerNorm (what Latent's Encode returns today), the class
token after it, the mean of the patch tokens at the output of every block (before the norm), and the
class token and patch mean side by side. Prints one JSON object of accuracies."""
import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "python"))
import interop  # noqa: E402

import common  # noqa: E402


@torch.no_grad()
def candidates(model, images, batch=500):
    """name -> features [N, E] for every candidate, computed in one pass per batch."""
    out = {}
    for start in range(0, len(images), batch):
        x = images[start:start + batch]
        tokens = model.patchEmbed(x) + model.posEmbed[:, model.offset:model.offset + model.patches]
        if model.clsToken is not None:
            tokens = torch.cat([(model.clsToken + model.posEmbed[:, :1]).expand(x.shape[0], -1, -1), tokens], 1)
        found = {"patch embedding, mean": tokens[:, model.offset:].mean(1)}
        for depth, block in enumerate(model.blocks, 1):
            tokens = block(tokens)
            found[f"block {depth}, patch mean"] = tokens[:, model.offset:].mean(1)
        normed = model.norm(tokens)
        found["final norm, patch mean (Latent's Encode)"] = normed[:, model.offset:].mean(1)
        if model.clsToken is not None:
            found["final norm, class token"] = normed[:, 0]
            found["final norm, class token and patch mean"] = torch.cat([normed[:, 0], normed[:, model.offset:].mean(1)], 1)
        last_two = [found[f"block {d}, patch mean"] for d in (len(model.blocks) - 1, len(model.blocks)) if d >= 1]
        found["last two blocks, patch means"] = torch.cat(last_two, 1)
        for name, value in found.items():
            out.setdefault(name, []).append(value)
    return {name: torch.cat(parts) for name, parts in out.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--limit", type=int, help="fit the probes on the first N training images only (a quick check)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.run, "manifest.json")) as f:
        manifest = json.load(f)
    model = interop.build(manifest).eval()
    model.load_state_dict(interop.load_safetensors(os.path.join(args.run, "model.safetensors")), strict=False)
    train, train_labels, test, test_labels = common.fashion_mnist()
    if args.limit:
        train, train_labels = train[: args.limit], train_labels[: args.limit]
    train_features, test_features = candidates(model, train), candidates(model, test)
    result = {name: common.probe_accuracy(train_features[name], train_labels, test_features[name], test_labels) for name in train_features}
    result["raw pixels"] = common.probe_accuracy(train.flatten(1), train_labels, test.flatten(1), test_labels)
    print(json.dumps({"run": args.run, **result}, indent=1))


if __name__ == "__main__":
    main()

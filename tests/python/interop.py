#!/usr/bin/python3
"""Rebuilds a Latent run's network in PyTorch from its manifest and checks both directions.

    /usr/bin/python3 tests/python/interop.py RUN_DIR

Needs only Debian's python3-torch and numpy. RUN_DIR holds manifest.json, model.safetensors and
interop.safetensors (written by Latent: `input` and Latent's outputs `encode` and `reconstruct`).
The script
  1. builds the family's modules with the same names, loads model.safetensors and checks that
     PyTorch reproduces Latent's outputs on the same input within 1e-5;
  2. re-initialises the same modules with PyTorch's own initialisation, and writes them in the
     same layout to pytorch.safetensors together with PyTorch's outputs (pytorch_outputs.safetensors),
     for Latent to load and reproduce (reinitialise: constants perturbed, so no mix-up of names passes).
Buffers that a model computes from its options (MAE's sine-cosine positions) are checked against
the script's own formula instead of being re-drawn.

The PyTorch mirrors are the package python/latent_torch (one module per family in latent_torch/models,
registered in FAMILIES under its catalogue name; attribute names are the C# field names, so that the
state-dict keys agree); this script only checks them.
Exit code 0 when the outputs agree, 1 when they do not, 2 on bad usage.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from latent_torch import safetensors  # noqa: E402
from latent_torch.models import FAMILIES, build  # noqa: E402
from latent_torch.runs import Run  # noqa: E402

TOLERANCE = 1e-5  # relative to the outputs' magnitude when it exceeds 1 (float32 sums of many terms)


def outputs(model, x):
    with torch.no_grad():
        return {"encode": model.encode(x), "reconstruct": model.reconstruct(x)}


def agrees(label, value, reference):
    """Prints the largest difference and whether it is within TOLERANCE (relative beyond magnitude 1)."""
    difference = (value - reference).abs().max().item()
    scale = max(1.0, reference.abs().max().item())
    print(f"{label}: max |difference| {difference:.2e} (values up to {scale:.3g})")
    return difference <= TOLERANCE * scale


def reinitialise(model):
    """PyTorch's own values for everything the mirror's initialisers leave undrawn, so that no two
    tensors hold the same constant and a mix-up of names cannot pass unnoticed: state without an
    initialiser (PCA's fit, running averages) gets U(0.5, 1.5); constant parameters (zero biases,
    unit LayerNorm scales, a fixed [MASK] value) get a small perturbation. Fixed buffers stay."""
    fixed = set(model.fixed_buffers)
    with torch.no_grad():
        for name, buffer in model.named_buffers():
            if buffer.is_floating_point() and name not in fixed:
                buffer.copy_(torch.rand_like(buffer) + 0.5)
        for parameter in model.parameters():
            if (parameter == parameter.flatten()[0]).all():
                parameter.add_(0.1 * torch.randn_like(parameter))


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    run = sys.argv[1]
    torch.set_num_threads(1)
    manifest = Run(run).read_manifest()
    family = manifest["family"]
    if family not in FAMILIES:
        print(f"interop.py: family '{family}' has no PyTorch mirror yet", file=sys.stderr)
        sys.exit(1)
    model = build(manifest).eval()
    formula = {name: buffer.clone() for name, buffer in model.named_buffers() if name in model.fixed_buffers}

    weights = safetensors.load(f"{run}/model.safetensors")[0]
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        print(f"interop.py: state dict mismatch: missing {missing}, unexpected {unexpected}", file=sys.stderr)
        sys.exit(1)
    ok = True
    for name, value in formula.items():
        ok &= agrees(f"fixed buffer {family} {name} against this script's formula", value, weights[name])
    reference = safetensors.load(f"{run}/interop.safetensors")[0]
    for name, value in outputs(model, reference["input"]).items():
        ok &= agrees(f"latent → pytorch {family} {name}", value, reference[name])

    torch.manual_seed(0)
    fresh = build(manifest).eval()
    reinitialise(fresh)
    safetensors.save(f"{run}/pytorch.safetensors", dict(fresh.state_dict()))
    safetensors.save(f"{run}/pytorch_outputs.safetensors", outputs(fresh, reference["input"]))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

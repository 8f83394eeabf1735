"""python -m latent_torch.data RUN_DIR OUT.safetensors: the run's splits as latent_torch loads them
(train, validation, test features; train and validation labels where there are any)."""
import sys

import torch

from .. import safetensors
from ..runs import Run, UserError
from . import load


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        manifest = Run(sys.argv[1]).read_manifest()
        splits = load(manifest["data"], manifest["training"]["seed"])
    except UserError as error:
        print(f"latent_torch: error: {error}", file=sys.stderr)
        sys.exit(2)
    tensors = {"train": splits.train.features, "validation": splits.validation.features, "test": splits.test.features}
    for name, part in (("train", splits.train), ("validation", splits.validation)):
        if part.labels is not None:
            tensors[f"{name}_labels"] = torch.from_numpy(part.labels)
    safetensors.save(sys.argv[2], tensors)


if __name__ == "__main__":
    main()

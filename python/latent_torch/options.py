"""The defaults of every option record Latent writes into a manifest (src/Latent/Models/*/…Options.cs,
Data/DataOptions.cs, Training/TrainingOptions.cs), so that a manifest template may name only what it
changes. tests/Latent.Tests/Runs/DistributedTrainingTests.cs compares this table with the C# records.

    /usr/bin/python3 -m latent_torch.options FAMILY     # prints {"model": …, "training": …, "data": …} as JSON
"""
import json
import sys

MODEL = {"arch": "mlp", "latent_dim": 32, "hidden": [512, 256], "channels": [32, 64], "standardize": "yes",
         "condition": "none", "condition_classes": 0}  # ModelOptions

FAMILY_MODEL = {
    "ae": {"init": "torch"},
    "linear": {"tied": False},
    "pca": {"whiten": False, "solver": "auto", "power_iterations": None, "oversamples": None, "batch_size": None,
            "exact_check": None, "seed": 0},
    "dae": {"latent_dim": 256, "hidden": [512], "noise": "mask:0.25", "loss_on": "all", "mask_value": 0,
            "learn_mask_value": False, "width": 64, "depth": 3, "attention_heads": 4, "patch_size": 4},
    "mae": {"arch": "vit", "patch_size": 4, "mask_ratio": 0.75, "norm_pix_loss": False, "width": 128, "depth": 4,
            "attention_heads": 4, "decoder_width": 64, "decoder_depth": 2, "cls_token": True},
    "vae": {"beta": 1, "likelihood": None, "binarize": "none", "variance": 0.01, "learn_variance": False, "covariance": "diagonal",
            "kl_warmup": 0, "free_bits": 0, "init": "torch", "regulariser": "kl", "capacity_max": 25, "capacity_epochs": 20, "capacity_weight": 1000,
            "mi_weight": 1, "tc_weight": 6, "dimension_kl_weight": 1, "prior": "standard", "pseudo_inputs": 500, "train_samples": 1},
    "vqvae": {"quantizer": "vq", "levels": None, "stages": None, "shared_codebook": False, "quantizer_dropout": 0, "cosine": False,
              "gradient": "ste", "sample_entropy_weight": 0.1, "batch_entropy_weight": 0.1, "entropy_temperature": 0.01,
              "codebook_size": 512, "code_dim": None, "heads": 1, "commitment": 0.25, "ema": True, "ema_decay": 0.99,
              "kmeans_init": True, "restart_after": 20, "slots": 16, "prior_epochs": 4, "prior_width": 64, "prior_layers": 2},
}

TRAINING = {"epochs": 10, "batch_size": 128, "lr": 1e-3, "optimizer": "adam", "weight_decay": 0, "schedule": "cosine",
            "lr_floor": 0, "warmup": 0.02, "warmup_min_steps": 0, "grad_clip": 0, "seed": 1, "checkpoint_every": 0, "device": "cpu"}

FASTER = {"batch_size": 64, "lr": 2e-3, "warmup": 0.1, "warmup_min_steps": 100}  # ModelCatalog.FasterRecipe
FAMILY_TRAINING = {"ae": FASTER, "dae": FASTER, "linear": {"lr": 1e-2}, "vae": FASTER, "vqvae": FASTER}  # ModelCatalog's DefaultTraining (linear: LinearOptions.RecommendedLearningRate)

DATA = {"data": "shapes", "image_size": None, "examples": None, "storage": "auto", "alpha": None, "background": None,
        "classes": None, "label_column": None, "header": "auto", "validation_fraction": 0.1, "validation_limit": 2000, "limit": None,
        "tokens": "char", "window": 64, "stride": None, "max_vocabulary": None, "vocabulary": None}


def defaults(family):
    """The default model, training and data options of a family, as Latent writes them."""
    if family not in FAMILY_MODEL:
        raise KeyError(family)
    return {"model": {**MODEL, **FAMILY_MODEL[family]},
            "training": {**TRAINING, **FAMILY_TRAINING.get(family, {})},
            "data": dict(DATA)}


def completed(family, section, given):
    """`given` (a manifest section) over the family's defaults: what Latent would read from it. A manifest written
    before validation_limit existed held out the whole fraction (Manifest.ReadData)."""
    values = {**defaults(family)[section], **(given or {})}
    if section == "data" and given is not None and "validation_limit" not in given:
        values["validation_limit"] = 0
    return values


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in FAMILY_MODEL:
        print(f"usage: python -m latent_torch.options {'|'.join(FAMILY_MODEL)}", file=sys.stderr)
        sys.exit(2)
    print(json.dumps(defaults(sys.argv[1]), indent=2))

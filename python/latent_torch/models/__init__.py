"""One module per family (src/Latent/Models), registered under its catalogue name. A family is a subclass
of Autoencoder whose attribute names are the C# field names, so that the state-dict keys agree; its
loss(x, context) is Latent's Loss."""
from .denoising import DenoisingAutoencoder
from .linear import LinearAutoencoder
from .masked import MaskedAutoencoder
from .pca import Pca
from .plain import PlainAutoencoder
from .variational import VariationalAutoencoder
from .vqvae import VqVae

FAMILIES = {
    "ae": PlainAutoencoder,
    "linear": LinearAutoencoder,
    "pca": Pca,
    "dae": DenoisingAutoencoder,
    "mae": MaskedAutoencoder,
    "vae": VariationalAutoencoder,
    "vqvae": VqVae,
}


def build(manifest):
    """The family's modules for a manifest (model options and data shape), freshly initialised."""
    model = manifest["model"]
    if manifest["family"] in ("ae", "vae", "vqvae") and manifest["shape"]["kind"] == "table" and model.get("standardize", "yes") == "yes":
        # Nn/ColumnStandardizer.cs (buffers standardizer.mean, standardizer.scale) is not ported yet
        raise ValueError(f"latent_torch does not standardise table columns for {manifest['family']} yet; write the manifest with \"standardize\": \"no\"")
    if model.get("condition", "none") != "none":
        # Models/LabelCondition.cs (the one-hot label beside x and z) is not ported yet
        raise ValueError(f"latent_torch does not rebuild a run conditioned on labels (condition {model['condition']}) yet; train it with Latent")
    return FAMILIES[manifest["family"]](manifest["model"], manifest["shape"])

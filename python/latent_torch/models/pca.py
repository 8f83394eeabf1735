"""Models/Pca/PcaModel.cs: z = (x − μ)Wᵀ (÷ √λ when whitened), x̂ = zW + μ; scikit-learn's fitted attributes.
Fitted in closed form by `latent pca`, never trained."""
import math

import torch

from ..layers import dimensions
from .autoencoder import Autoencoder


class Pca(Autoencoder):
    ZERO_VARIANCE_TOLERANCE = 1e-6
    trainable = False

    def __init__(self, options, shape):
        super().__init__()
        self.dims = dimensions(shape)
        features, components = math.prod(self.dims), options["latent_dim"]
        self.whiten = options["whiten"]
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("components", torch.zeros(components, features))
        self.register_buffer("explained_variance", torch.zeros(components, dtype=torch.float64))
        self.register_buffer("explained_variance_ratio", torch.zeros(components))
        self.register_buffer("singular_values", torch.zeros(components, dtype=torch.float64))

    def scale(self):
        variance = self.explained_variance
        resolved = variance > variance[0] * self.ZERO_VARIANCE_TOLERANCE
        return torch.where(resolved, variance.sqrt(), torch.ones_like(variance)).float()

    def encode(self, x):
        z = (x.flatten(1) - self.mean) @ self.components.T
        return z / self.scale() if self.whiten else z

    def decode(self, z):
        scaled = z * self.scale() if self.whiten else z
        return (scaled @ self.components + self.mean).reshape(z.shape[0], *self.dims)

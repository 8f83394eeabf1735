"""Models/Linear/LinearAutoencoder.cs: z = U(x − μ), x̂ = Vz + μ (V = Uᵀ when tied), no biases, no sigmoid;
loss ‖VUX̃ − X̃‖² per element (Eckart–Young: its optimum is PCA's subspace).

μ is the `mean` buffer, a running mean of the training batches: before each training step's forward
pass μ ← μ + (Σx − Bμ) / (n + B) with n = `mean_count`, B the global batch (summed over ranks)."""
import math

import torch
from torch import nn

from ..layers import dimensions
from .autoencoder import Autoencoder, LossTerms, squared_error


class LinearAutoencoder(Autoencoder):
    def __init__(self, options, shape):
        super().__init__()
        self.dims = dimensions(shape)
        features = math.prod(self.dims)
        self.encoder = nn.Linear(features, options["latent_dim"], bias=False)
        self.decoder = None if options["tied"] else nn.Linear(options["latent_dim"], features, bias=False)
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("mean_count", torch.zeros((), dtype=torch.float64))

    def encode(self, x):
        return self.encoder(x.flatten(1) - self.mean)

    def decode(self, z):
        flat = z @ self.encoder.weight if self.decoder is None else self.decoder(z)
        return (flat + self.mean).reshape(z.shape[0], *self.dims)

    def update_mean(self, x, context):
        """LinearAutoencoder.Centre in training mode, with Σx and B of the whole global batch."""
        with torch.no_grad():
            total = context.total(x.flatten(1).sum(0))
            self.mean_count.add_(context.shard.count)
            self.mean.add_((total - self.mean * context.shard.count) / self.mean_count.to(self.mean.dtype))

    def loss(self, x, context):
        if self.training:
            self.update_mean(x, context)
        reconstruction = context.mean(squared_error(self.reconstruct(x), x))
        return LossTerms(reconstruction, [("recon", reconstruction)])
